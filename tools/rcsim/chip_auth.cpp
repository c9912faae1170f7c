#include "rcsim/chip_auth.hpp"

#include <cryptopp/ecp.h>
#include <cryptopp/integer.h>
#include <cryptopp/nbtheory.h>

namespace rcsim {

namespace {

CryptoPP::Integer integer(const Bytes& b) { return CryptoPP::Integer(b.data(), b.size()); }

}  // namespace

bool valid_chip_auth_key(const ChipAuthKey& key) {
  if (key.prime.empty() || key.order.empty() || key.private_key.empty() || key.generator.empty())
    return false;
  CryptoPP::Integer p = integer(key.prime), n = integer(key.order), d = integer(key.private_key);
  if (p < 3 || !CryptoPP::IsPrime(p) || d.IsZero() || d >= n) return false;
  CryptoPP::ECP curve(p, integer(key.a), integer(key.b));
  CryptoPP::ECP::Point g;
  if (!curve.DecodePoint(g, key.generator.data(), key.generator.size()) || !curve.VerifyPoint(g) ||
      g.identity)
    return false;
  return curve.ScalarMultiply(g, n).identity;
}

Bytes chip_auth_shared_secret(const ChipAuthKey& key, const Bytes& peer_uncompressed) {
  CryptoPP::Integer p = integer(key.prime);
  CryptoPP::ECP curve(p, integer(key.a), integer(key.b));
  const std::size_t field = p.ByteCount();
  if (peer_uncompressed.size() != 1 + 2 * field || peer_uncompressed[0] != 0x04) return {};
  CryptoPP::ECP::Point peer;
  if (!curve.DecodePoint(peer, peer_uncompressed.data(), peer_uncompressed.size()) ||
      !curve.VerifyPoint(peer) || peer.identity)
    return {};
  CryptoPP::ECP::Point shared = curve.ScalarMultiply(peer, integer(key.private_key));
  if (shared.identity) return {};
  Bytes x(field);
  shared.x.Encode(x.data(), x.size());
  return x;
}

}  // namespace rcsim
