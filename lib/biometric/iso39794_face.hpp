// ISO/IEC 39794-5:2019 face image data block as ICAO's application profile
// (ID-ICAO-ISO-IEC-39794-5-ed-1-v1) puts it in DG2 under BDB tag 7F2E:
// [1] { [APPLICATION 5] FaceImageDataBlock }, ASN.1 DER with implicit
// context tags. The fields rcperso writes and checks are decoded; every
// other optional block (quality, PAD, capture device, identity metadata,
// landmarks, face measurements ...) is kept as its exact DER bytes so a
// decoded record encodes back to the same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "biometric/iso39794_der.hpp"
#include "core/bytes.hpp"

namespace rcperso::biometric {

inline constexpr std::uint16_t kFormatTypeFace39794 = 0x002A;  // ISO/IEC 39794-5 (BHT 88)

/// ImageDataFormatCode.
enum class Face39794ImageFormat : std::uint8_t { Jpeg = 2, Jpeg2000Lossy = 3, Jpeg2000Lossless = 4 };

/// ImageColourSpaceCode.
enum class Face39794ColourSpace : std::uint8_t {
  Unknown = 0,
  Other = 1,
  Rgb24 = 2,
  Rgb48 = 3,
  Yuv422 = 4,
  Grey8 = 5,
  Grey16 = 6,
};

struct Iso39794FaceRecord {
  std::uint32_t version_generation = 3;  // the ICAO samples carry generation 3, year 2019
  std::uint32_t version_year = 2019;
  std::uint64_t representation_id = 0;
  Bytes image;
  Face39794ImageFormat image_format = Face39794ImageFormat::Jpeg;
  bool mrtd_image_kind = true;  // faceImageKind2D = mrtd (0)
  std::optional<std::uint16_t> width, height;
  std::optional<Face39794ColourSpace> colour_space;
  std::optional<Iso39794DateTime> capture_datetime;
  /// Unmodelled optional fields, in their places by tag number.
  std::vector<KeptField> kept_representation_fields;     // RepresentationBlock [3]..
  std::vector<KeptField> kept_image_2d_fields;           // ImageRepresentation2DBlock [2]..
  std::vector<KeptField> kept_image_information_fields;  // ImageInformation2DBlock [2]..[6], [8], [10]..

  /// The BDB value: A1 { 65 { ... } }.
  Bytes encode() const;
  /// Strict: DER lengths, the expected tags in ascending order, nothing trailing.
  static Iso39794FaceRecord decode(ByteView data, const std::string& context);
};

const char* face39794_image_format_name(Face39794ImageFormat format);
const char* face39794_colour_space_name(Face39794ColourSpace space);

}  // namespace rcperso::biometric
