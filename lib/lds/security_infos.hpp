// The typed SecurityInfos of DG14 for Chip Authentication v1 (BSI TR-03110-3
// A.1.1, ICAO 9303-11 §9.2): ChipAuthenticationInfo names the protocol,
// ChipAuthenticationPublicKeyInfo carries the chip's static public key
// (explicit domain parameters), matched by the optional keyId.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "lds/security_dg.hpp"

namespace rcperso::lds {

inline constexpr const char* kIdPkDh = "0.4.0.127.0.7.2.2.1.1";
inline constexpr const char* kIdPkEcdh = "0.4.0.127.0.7.2.2.1.2";
inline constexpr const char* kIdTa = "0.4.0.127.0.7.2.2.2";
inline constexpr const char* kIdCaPrefix = "0.4.0.127.0.7.2.2.3.";

/// ChipAuthenticationInfo ::= SEQUENCE { protocol id-CA-*, version INTEGER, keyId INTEGER OPTIONAL }
struct ChipAuthenticationInfo {
  std::string protocol;
  int version = 1;
  std::optional<std::uint64_t> key_id;

  Bytes encode() const;
  /// `encoded` is the whole SEQUENCE; strict (version 1 or 2, nothing after keyId).
  static ChipAuthenticationInfo decode(ByteView encoded);
};

/// ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol id-PK-DH|id-PK-ECDH,
///   chipAuthenticationPublicKey SubjectPublicKeyInfo, keyId INTEGER OPTIONAL }
struct ChipAuthenticationPublicKeyInfo {
  std::string protocol;
  Bytes subject_public_key_info;  // DER, as it is on the chip
  std::optional<std::uint64_t> key_id;

  Bytes encode() const;
  static ChipAuthenticationPublicKeyInfo decode(ByteView encoded);
};

/// TerminalAuthenticationInfo ::= SEQUENCE { protocol id-TA, version INTEGER (1) }
Bytes terminal_authentication_info(int version = 1);

bool is_chip_authentication_info(const std::string& oid);

/// One way to run Chip Authentication v1: a protocol and the key it uses.
struct ChipAuthenticationOffer {
  ChipAuthenticationInfo info;
  ChipAuthenticationPublicKeyInfo key;
};

/// Every ChipAuthenticationInfo of DG14 paired with its public key (by keyId;
/// without keyIds there must be exactly one key). A public key without a
/// ChipAuthenticationInfo is offered with the 3DES protocol of its family, as
/// version 1.0 chips do (TR-03110-3 A.1.1). Throws DecodeError for malformed
/// entries or an info whose key is missing.
std::vector<ChipAuthenticationOffer> chip_authentication_offers(const Dg14& dg14);

}  // namespace rcperso::lds
