// EF.CardAccess (ICAO 9303-10 §3.11.3): the SecurityInfos a terminal reads
// before any access control, above all the PACEInfo entries that tell it
// which PACE protocol and domain parameters the chip supports.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "lds/security_dg.hpp"

namespace rcperso::lds {

/// PACEInfo ::= SEQUENCE { protocol OID, version INTEGER (2), parameterId INTEGER OPTIONAL }
struct PaceInfo {
  std::string protocol;  // an id-PACE-* OID, dotted
  int version = 2;
  std::optional<int> parameter_id;  // a standardized domain parameter ID (0-31)

  bool operator==(const PaceInfo&) const = default;
};

struct CardAccess {
  std::vector<PaceInfo> pace;
  std::vector<SecurityInfo>
      others;  // kept as they are (e.g. PACEDomainParameterInfo, ChipAuthenticationInfo)

  /// DER SET OF SecurityInfo: the PACEInfos, then the others.
  Bytes encode() const;
  /// Strict: a PACEInfo must have version 2 and a small parameter ID; an empty SET is refused.
  static CardAccess decode(ByteView data);
};

inline constexpr std::uint16_t kCardAccessFid = 0x011C;

}  // namespace rcperso::lds
