// DG14 (SecurityInfos for Chip Authentication and friends) and DG15 (Active
// Authentication public key). This version reads them (the BSI sample has
// both) and keeps their bytes; building them comes with chip security.
#pragma once

#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace rcperso::lds {

struct SecurityInfo {
  std::string protocol;  // OID text, e.g. "0.4.0.127.0.7.2.2.1.2"
  Bytes encoded;         // the whole SEQUENCE
};

struct Dg14 {
  Bytes security_infos;  // DER SET OF SecurityInfo
  std::vector<SecurityInfo> infos;

  Bytes encode() const;
  static Dg14 decode(ByteView data);
};

/// DG14 from encoded SecurityInfo SEQUENCEs, written as a DER SET OF (sorted by encoding). The
/// result is decoded again, so a malformed entry throws DecodeError.
Dg14 build_dg14(std::vector<Bytes> security_infos);

struct Dg15 {
  Bytes public_key_info;  // DER SubjectPublicKeyInfo
  std::string algorithm;  // OID text of the key algorithm

  Bytes encode() const;
  static Dg15 decode(ByteView data);
};

/// A readable name for the OIDs that appear in DG14, DG15 and EF.SOD ("id-PK-ECDH"); the OID itself
/// otherwise.
std::string oid_name(const std::string& oid);

}  // namespace rcperso::lds
