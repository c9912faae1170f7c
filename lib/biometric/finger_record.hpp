// ISO/IEC 19794-4:2005 finger image record, as DG3 carries it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace rcperso::biometric {

struct FingerImage {
  std::uint8_t position = 0;  // 1 right thumb .. 10 left little (Table 5)
  std::uint8_t view_count = 1;
  std::uint8_t view_number = 1;
  std::uint8_t quality = 0;
  std::uint8_t impression_type = 0;  // 0 live-scan plain
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  Bytes image;
};

struct FingerRecord {
  std::uint16_t capture_device_id = 0;
  std::uint16_t acquisition_level = 31;  // 500 ppi
  std::uint8_t scale_units = 1;          // pixels per inch
  std::uint16_t scan_res_h = 500;
  std::uint16_t scan_res_v = 500;
  std::uint16_t image_res_h = 500;
  std::uint16_t image_res_v = 500;
  std::uint8_t pixel_depth = 8;
  std::uint8_t compression = 4;  // 0 raw, 1 packed, 2 WSQ, 3 JPEG, 4 JPEG 2000, 5 PNG
  std::vector<FingerImage> fingers;

  Bytes encode() const;
  static FingerRecord decode(ByteView data, const std::string& context);
};

/// "right_index" -> 2 (ISO/IEC 19794-4 Table 5); 0 for anything else.
std::uint8_t finger_position_code(std::string_view name);
/// 2 -> "right_index"; "unknown" for codes outside 1..10.
std::string finger_position_name(std::uint8_t code);
/// CBEFF (ISO/IEC 19785-3) subtype for DG3's header: right 0x01 / left 0x02
/// plus thumb 0x04, index 0x08, middle 0x0C, ring 0x10, little 0x14.
std::uint8_t cbeff_finger_subtype(std::uint8_t position);
const char* compression_name(std::uint8_t compression);

}  // namespace rcperso::biometric
