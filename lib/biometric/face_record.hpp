// ISO/IEC 19794-5:2005 face image record, as DG2 carries it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"

namespace rcperso::biometric {

struct FeaturePoint {
  std::uint8_t type = 1;
  std::uint8_t code = 0;  // major << 4 | minor
  std::uint16_t x = 0;
  std::uint16_t y = 0;
};

struct FaceImage {
  std::uint8_t gender = 0;  // 0 unspecified, 1 male, 2 female, 0xFF unknown
  std::uint8_t eye_colour = 0;
  std::uint8_t hair_colour = 0;
  std::uint32_t feature_mask = 0;  // 24 bits
  std::uint16_t expression = 0;
  std::array<std::uint8_t, 3> pose{};
  std::array<std::uint8_t, 3> pose_uncertainty{};
  std::vector<FeaturePoint> feature_points;
  std::uint8_t face_image_type = 1;  // 0 basic, 1 full frontal, 2 token frontal
  std::uint8_t image_data_type = 0;  // 0 JPEG, 1 JPEG 2000
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  std::uint8_t colour_space = 1;  // 0 unspecified, 1 RGB24, 2 YUV422, 3 Gray8, 4 other
  std::uint8_t source_type = 2;
  std::uint16_t device_type = 0;
  std::uint16_t quality = 0;
  Bytes image;
};

struct FaceRecord {
  std::vector<FaceImage> images;

  Bytes encode() const;
  static FaceRecord decode(ByteView data, const std::string& context);
};

const char* face_image_data_type_name(std::uint8_t type);
const char* face_colour_space_name(std::uint8_t space);
const char* gender_name(std::uint8_t gender);

}  // namespace rcperso::biometric
