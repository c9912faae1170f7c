// Key pairs the chip generates itself (ISO/IEC 7816-8 GENERATE ASYMMETRIC KEY
// PAIR): the private half never leaves the chip, only the public key is
// answered. Crypto++, like the rest of the chip.
#pragma once

#include <functional>

#include "rcsim/chip_auth.hpp"
#include "rcsim/chip_crypto.hpp"

namespace rcsim {

/// A scalar in [1, order - 1] from `random`, as many bytes as the order.
Bytes random_scalar(const Bytes& order, const std::function<Bytes(std::size_t)>& random);
/// private_key · generator of a valid Chip Authentication key, uncompressed.
Bytes chip_auth_public_point(const ChipAuthKey& key);

struct RsaKeyPair {
  Bytes modulus, public_exponent, private_exponent;  // big-endian, without leading zero bytes
};
/// An RSA key pair of exactly `bits` bits with the public exponent 65537.
RsaKeyPair rsa_generate(unsigned bits);

}  // namespace rcsim
