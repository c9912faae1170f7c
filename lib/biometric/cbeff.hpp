// The CBEFF wrapper ICAO 9303-10 puts around biometric records in DG2-DG4:
// a Biometric Information Group Template (7F61) holding Biometric
// Information Templates (7F60), each a header (A1) and a data block
// (5F2E for ISO/IEC 19794 records, 7F2E for ISO/IEC 39794).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::biometric {

inline constexpr std::uint16_t kFormatOwnerJtc1Sc37 = 0x0101;
inline constexpr std::uint16_t kFormatTypeFinger19794 = 0x0007;  // ISO/IEC 19794-4
inline constexpr std::uint16_t kFormatTypeFace19794 = 0x0008;    // ISO/IEC 19794-5
inline constexpr std::uint8_t kBiometricTypeFace = 0x02;
inline constexpr std::uint8_t kBiometricTypeFinger = 0x08;

struct BiometricHeader {
  std::optional<Bytes> icao_header_version;           // 80
  std::optional<std::uint8_t> biometric_type;         // 81
  std::optional<std::uint8_t> biometric_subtype;      // 82
  std::optional<Bytes> creation_datetime;             // 83 (7 bytes)
  std::optional<Bytes> validity_period;               // 85 (8 bytes)
  std::optional<Bytes> creator;                       // 86 (1-16 bytes; 2 is usual)
  std::uint16_t format_owner = kFormatOwnerJtc1Sc37;  // 87
  std::uint16_t format_type = 0;                      // 88
};

struct BiometricTemplate {
  BiometricHeader header;
  Bytes data;                     // the biometric data block's value
  bool constructed_data = false;  // 7F2E (ISO/IEC 39794) instead of 5F2E
};

struct BiometricGroup {
  std::vector<BiometricTemplate> templates;
  /// DO 53 after an empty group: random filler when no biometrics are
  /// stored (BSI TR-03105 LDS_G_3 exception).
  std::optional<Bytes> discretionary_random;

  /// outer_tag || length || 7F61 {...} [53 ...]
  Bytes encode(tlv::Tag outer_tag) const;
  static BiometricGroup decode(ByteView data, tlv::Tag outer_tag, const std::string& context);
};

}  // namespace rcperso::biometric
