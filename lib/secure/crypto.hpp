// Symmetric primitives of ICAO 9303-11 on the host (OpenSSL): 2-key 3DES
// CBC with zero IV, the ISO 9797-1 retail MAC, padding method 2, the key
// derivation function, and AES-CBC/CMAC for AES secure messaging.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"
#include "core/secure_bytes.hpp"

namespace rcperso::secure {

/// ISO/IEC 9797-1 padding method 2: 80 then zeros up to the block size.
Bytes pad(ByteView data, std::size_t block = 8);
/// Removes method-2 padding; throws DecodeError if malformed.
Bytes unpad(ByteView data);

/// Sets DES odd parity in every byte.
void set_des_parity(SecureBytes& key);

/// 2-key 3DES (16-byte key) CBC, IV zero, no padding (input a multiple of 8).
Bytes tdes_cbc_encrypt(const SecureBytes& key, ByteView data);
Bytes tdes_cbc_decrypt(const SecureBytes& key, ByteView data);
/// ISO/IEC 9797-1 MAC algorithm 3 with DES (the retail MAC), padding method 2 applied here.
Bytes retail_mac(const SecureBytes& key, ByteView data);

/// AES-CBC without padding; `iv` of 16 bytes.
Bytes aes_cbc_encrypt(const SecureBytes& key, ByteView iv, ByteView data);
Bytes aes_cbc_decrypt(const SecureBytes& key, ByteView iv, ByteView data);
Bytes aes_ecb_encrypt_block(const SecureBytes& key, ByteView block);
/// AES-CMAC (RFC 4493), full 16 bytes.
Bytes aes_cmac(const SecureBytes& key, ByteView data);

enum class KeyUse : std::uint32_t { Enc = 1, Mac = 2, Pace = 3 };
/// KDF of 9303-11 §9.7.1 for 3DES keys: SHA-1(seed || counter), first 16 bytes, DES parity.
SecureBytes kdf_3des(ByteView seed, KeyUse use);
/// For AES keys: SHA-1 (128) or SHA-256 (192/256), truncated to key_bits/8.
SecureBytes kdf_aes(ByteView seed, KeyUse use, int key_bits);

/// Random bytes from OpenSSL's generator.
Bytes random_bytes(std::size_t n);

}  // namespace rcperso::secure
