// The virtual chip's cryptography, on Crypto++ (not the host's OpenSSL), so
// that host and chip are two implementations that meet on the wire.
#pragma once

#include <cstdint>
#include <vector>

namespace rcsim {

using Bytes = std::vector<std::uint8_t>;

Bytes sha1(const Bytes& data);
Bytes pad8(const Bytes& data);
/// Removes ISO 9797-1 method 2 padding; false if malformed.
bool unpad(Bytes& data);
Bytes tdes_cbc(const Bytes& key16, const Bytes& data, bool encrypt);
Bytes retail_mac(const Bytes& key16, const Bytes& data);  // pads internally
/// ICAO KDF for 3DES: SHA-1(seed || counter)[0..16] with DES parity.
Bytes kdf_3des(const Bytes& seed, std::uint32_t counter);
Bytes random_bytes(std::size_t n);
bool equal_constant_time(const Bytes& a, const Bytes& b);

}  // namespace rcsim
