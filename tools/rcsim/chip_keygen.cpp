#include "rcsim/chip_keygen.hpp"
#include "rcsim/chip_integer.hpp"

#include <cryptopp/ecp.h>
#include <cryptopp/integer.h>
#include <cryptopp/osrng.h>
#include <cryptopp/rsa.h>

#include <stdexcept>

namespace rcsim {

namespace {

Bytes encode(const CryptoPP::Integer& v) {
  Bytes out(v.MinEncodedSize());
  v.Encode(out.data(), out.size());
  return out;
}

}  // namespace

Bytes random_scalar(const Bytes& order, const std::function<Bytes(std::size_t)>& random) {
  CryptoPP::Integer n = integer(order);
  if (n < 2) throw std::invalid_argument("group order too small");
  for (;;) {
    Bytes candidate = random(order.size());
    CryptoPP::Integer k = integer(candidate);
    if (!k.IsZero() && k < n) return candidate;
  }
}

Bytes chip_auth_public_point(const ChipAuthKey& key) {
  if (!valid_chip_auth_key(key)) throw std::invalid_argument("invalid Chip Authentication key");
  CryptoPP::Integer p = integer(key.prime);
  CryptoPP::ECP curve(p, integer(key.a), integer(key.b));
  CryptoPP::ECP::Point g;
  curve.DecodePoint(g, key.generator.data(), key.generator.size());
  CryptoPP::ECP::Point q = curve.ScalarMultiply(g, integer(key.private_key));
  const std::size_t field = p.ByteCount();
  Bytes out(1 + 2 * field);
  out[0] = 0x04;
  q.x.Encode(out.data() + 1, field);
  q.y.Encode(out.data() + 1 + field, field);
  return out;
}

RsaKeyPair rsa_generate(unsigned bits) {
  CryptoPP::AutoSeededRandomPool rng;
  CryptoPP::InvertibleRSAFunction key;
  key.Initialize(rng, bits, CryptoPP::Integer(65537));
  if (key.GetModulus().BitCount() != bits) throw std::runtime_error("RSA key of the wrong size");
  return {encode(key.GetModulus()), encode(key.GetPublicExponent()), encode(key.GetPrivateExponent())};
}

}  // namespace rcsim
