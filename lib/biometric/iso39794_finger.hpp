// ISO/IEC 39794-4:2019 finger image data block as DG3 carries it under BDB
// tag 7F2E: [1] { [APPLICATION 4] FingerImageDataBlock }, ASN.1 DER with
// implicit context tags, the same wrapping ICAO's 39794-5 profile gives the
// face. ICAO wrote no application profile for 39794-4 (fingers are optional
// in Doc 9303; Europe's is CEN/TS 18214, not available here), so this is the
// base standard: one representation block per finger, codes in the base
// CHOICE alternative. The fields rcperso writes and checks are decoded;
// every other optional field (capture device, quality, segmentation, PAD,
// comments ...) is kept as its exact DER bytes so a decoded record encodes
// back to the same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "biometric/iso39794_der.hpp"
#include "core/bytes.hpp"

namespace rcperso::biometric {

inline constexpr std::uint16_t kFormatTypeFinger39794 = 0x0028;  // g3-binary-finger-image (BHT 88)

/// ImageDataFormatCode of ISO/IEC 39794-4.
enum class Finger39794ImageFormat : std::uint8_t {
  Pgm = 0,
  Wsq = 1,
  Jpeg2000Lossy = 2,
  Jpeg2000Lossless = 3,
  Png = 4,
};

/// SpatialSamplingRateBlock: samples per inch or per centimetre.
struct Finger39794SamplingRate {
  std::uint16_t samples_per_unit = 500;
  bool per_centimetre = false;  // UnitDimensionCode cm (1), else inch (0)
  /// Samples per inch, rounded.
  int ppi() const;
  bool operator==(const Finger39794SamplingRate&) const = default;
};

struct Finger39794Representation {
  std::uint8_t position = 0;    // FingerImagePositionCode: 1 right thumb .. 10 left little, as 19794-4
  std::uint8_t impression = 0;  // ImpressionCode: 0 plain contact
  Finger39794ImageFormat image_format = Finger39794ImageFormat::Wsq;
  Bytes image;
  std::optional<Iso39794DateTime> capture_datetime;      // [4]
  std::optional<Finger39794SamplingRate> sampling_rate;  // [7]
  /// Codes a writer put in the extension block's fallback form instead of
  /// the base alternative; kept so the record round-trips.
  bool position_extension_form = false;
  bool impression_extension_form = false;
  bool image_format_extension_form = false;
  /// Unmodelled optional fields [5], [6], [8].. in their places by tag number.
  std::vector<KeptField> kept_fields;
  bool operator==(const Finger39794Representation&) const = default;
};

struct Iso39794FingerRecord {
  std::uint32_t version_generation = 3;  // as the 39794-5 samples: generation 3, year 2019
  std::uint32_t version_year = 2019;
  std::vector<Finger39794Representation> representations;  // at least one

  /// The BDB value: A1 { 64 { ... } }.
  Bytes encode() const;
  /// Strict: DER lengths, the expected tags in ascending order, known image
  /// formats only, nothing trailing.
  static Iso39794FingerRecord decode(ByteView data, const std::string& context);
  /// The bare FingerImageDataBlock 64 { ... } (as ISO's sample files hold it).
  Bytes encode_block() const;
  static Iso39794FingerRecord decode_block(ByteView data, const std::string& context);
  bool operator==(const Iso39794FingerRecord&) const = default;
};

const char* finger39794_image_format_name(Finger39794ImageFormat format);
/// The ISO/IEC 19794-4 compression code for the same image data (0 for PGM,
/// which has no 19794-4 code of its own).
std::uint8_t finger39794_compression_code(Finger39794ImageFormat format);

}  // namespace rcperso::biometric
