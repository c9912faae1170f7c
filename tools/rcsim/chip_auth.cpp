#include "rcsim/chip_auth.hpp"
#include "rcsim/chip_integer.hpp"

#include <cryptopp/ecp.h>
#include <cryptopp/integer.h>
#include <cryptopp/nbtheory.h>

namespace rcsim {

namespace {

bool valid_dh_key(const ChipAuthKey& key) {
  if (key.prime.empty() || key.order.empty() || key.generator.empty() || key.private_key.empty() ||
      !key.a.empty() || !key.b.empty() || !key.cofactor.empty() || key.prime.size() > 512 ||
      key.prime[0] == 0 || key.order.size() >= key.prime.size() || key.generator.size() > key.prime.size() ||
      key.private_key.size() > key.order.size())
    return false;  // bounded before any primality test: p of at most 4096 bits, q shorter
  CryptoPP::Integer p = integer(key.prime), q = integer(key.order), g = integer(key.generator),
                    x = integer(key.private_key);
  if (p.BitCount() < 1024 || (p - 1) % q != 0 || !CryptoPP::IsPrime(q) || !CryptoPP::IsPrime(p)) return false;
  if (g < 2 || g > p - 2 || a_exp_b_mod_c(g, q, p) != 1) return false;
  return !x.IsZero() && x < q;
}

Bytes dh_shared_secret(const ChipAuthKey& key, const Bytes& peer) {
  Bytes padded = chip_auth_padded_dh_value(key, peer);
  if (padded.empty()) return {};
  CryptoPP::Integer p = integer(key.prime), q = integer(key.order), y = integer(padded);
  // In [2, p-2] and of order q: no small-subgroup values.
  if (y < 2 || y > p - 2 || a_exp_b_mod_c(y, q, p) != 1) return {};
  CryptoPP::Integer k = a_exp_b_mod_c(y, integer(key.private_key), p);
  Bytes out(key.prime.size());
  k.Encode(out.data(), out.size());
  return out;
}

}  // namespace

Bytes chip_auth_padded_dh_value(const ChipAuthKey& key, const Bytes& peer) {
  if (peer.empty() || peer.size() > key.prime.size()) return {};
  Bytes padded(key.prime.size() - peer.size(), 0);
  padded.insert(padded.end(), peer.begin(), peer.end());
  return padded;
}

bool valid_chip_auth_key(const ChipAuthKey& key) {
  if (key.dh) return valid_dh_key(key);
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
  if (key.dh) return dh_shared_secret(key, peer_uncompressed);
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
