// Active Authentication in the LDS (ICAO 9303-11 §6.1, 9303-10): the
// ActiveAuthenticationInfo entry of DG14, which names the signature
// algorithm of an ECDSA Active Authentication key, and the builders that
// preparation uses to write DG14 and DG15.
//
//   ActiveAuthenticationInfo ::= SEQUENCE {
//     protocol           OBJECT IDENTIFIER (id-icao-mrtd-security-aaProtocolObject),
//     version            INTEGER -- MUST be 1
//     signatureAlgorithm OBJECT IDENTIFIER }
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "lds/security_dg.hpp"

namespace rcperso::lds {

/// id-icao-mrtd-security-aaProtocolObject.
inline constexpr const char* kOidAaProtocol = "2.23.136.1.1.5";

struct ActiveAuthenticationInfo {
  int version = 1;
  std::string signature_algorithm;  // OID text, e.g. "1.2.840.10045.4.3.2" (ecdsa-with-SHA256)

  /// The DER SEQUENCE as it goes into DG14's SET OF SecurityInfo.
  Bytes encode() const;
  /// Strict decode of one SecurityInfo SEQUENCE (the whole TLV); throws DecodeError when it is not an
  /// ActiveAuthenticationInfo, its version is not 1, or anything follows the algorithm.
  static ActiveAuthenticationInfo decode(ByteView sequence);
};

/// The ActiveAuthenticationInfo of DG14, if there is one. Throws DecodeError when there are two or
/// the one there is malformed.
std::optional<ActiveAuthenticationInfo> active_authentication_info(const Dg14& dg14);

/// DG15 from a DER SubjectPublicKeyInfo (RSA or EC); throws DecodeError when it is not one.
Dg15 build_dg15(ByteView subject_public_key_info);

}  // namespace rcperso::lds
