// The chip's side of Chip Authentication v1 on Crypto++: the static key pair
// loaded at personalization (explicit prime-curve domain parameters, as the
// host sends them) and the ECDH with the terminal's ephemeral key.
#pragma once

#include "rcsim/chip_crypto.hpp"

namespace rcsim {

struct ChipAuthKey {
  Bytes prime, a, b, generator, order, cofactor;  // generator uncompressed
  Bytes private_key;

  bool empty() const { return private_key.empty(); }
};

/// False unless the parameters form a prime curve with the generator on it
/// and the private key in [1, order-1].
bool valid_chip_auth_key(const ChipAuthKey& key);
/// The x-coordinate of private_key · peer, padded to the field size; empty
/// when the peer's point is not on the curve or the product is the identity.
Bytes chip_auth_shared_secret(const ChipAuthKey& key, const Bytes& peer_uncompressed);

}  // namespace rcsim
