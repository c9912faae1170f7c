// The chip's side of Chip Authentication v1 on Crypto++: the static key pair
// loaded at personalization (explicit prime-curve domain parameters, or a
// MODP group p, q, g, as the host sends them) and the ECDH or DH with the
// terminal's ephemeral key.
#pragma once

#include "rcsim/chip_crypto.hpp"

namespace rcsim {

struct ChipAuthKey {
  // EC: all of them, generator uncompressed. DH: prime p, order q, generator g; no a, b, cofactor.
  Bytes prime, a, b, generator, order, cofactor;
  Bytes private_key;
  bool dh = false;

  bool empty() const { return private_key.empty(); }
};

/// False unless the parameters form a prime curve with the generator on it
/// and the private key in [1, order-1]; for DH, unless p and q are prime, q
/// divides p-1, g has order q and the private key is in [1, q-1].
bool valid_chip_auth_key(const ChipAuthKey& key);
/// EC: the x-coordinate of private_key · peer, padded to the field size; empty
/// when the peer's point is not on the curve or the product is the identity.
/// DH: peer^private_key mod p, padded to the length of p; the peer's value may
/// come without its leading zero bytes, and is refused (empty) outside
/// [2, p-2] or when not of order q.
Bytes chip_auth_shared_secret(const ChipAuthKey& key, const Bytes& peer);
/// The peer's DH public value left-padded to the length of p (Comp() hashes that form);
/// empty when it is longer.
Bytes chip_auth_padded_dh_value(const ChipAuthKey& key, const Bytes& peer);

}  // namespace rcsim
