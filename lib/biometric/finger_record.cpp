#include "biometric/finger_record.hpp"

#include <array>

#include "core/byte_reader.hpp"
#include "core/error.hpp"

namespace rcperso::biometric {

namespace {
constexpr std::uint8_t kFirMagic[] = {'F', 'I', 'R', 0};
constexpr std::uint8_t kFirVersion[] = {'0', '1', '0', 0};
constexpr std::size_t kFirHeaderSize = 32;
constexpr std::size_t kFingerHeaderSize = 14;
constexpr std::size_t kMaxFingers = 16;
constexpr std::array<const char*, 11> kPositions = {
    "unknown",    "right_thumb", "right_index", "right_middle", "right_ring", "right_little",
    "left_thumb", "left_index",  "left_middle", "left_ring",    "left_little"};
}  // namespace

Bytes FingerRecord::encode() const {
  std::size_t total = kFirHeaderSize;
  for (const auto& f : fingers) total += kFingerHeaderSize + f.image.size();
  Bytes out;
  out.reserve(total);  // also keeps GCC 12's -Warray-bounds false positive on vector::insert away
  for (auto b : kFirMagic) out.push_back(b);
  for (auto b : kFirVersion) out.push_back(b);
  put_be(out, total, 6);
  put_be(out, capture_device_id & 0x0FFFU, 2);
  put_be(out, acquisition_level, 2);
  out.push_back(static_cast<std::uint8_t>(fingers.size()));
  out.push_back(scale_units);
  put_be(out, scan_res_h, 2);
  put_be(out, scan_res_v, 2);
  put_be(out, image_res_h, 2);
  put_be(out, image_res_v, 2);
  out.push_back(pixel_depth);
  out.push_back(compression);
  put_be(out, 0, 2);
  for (const auto& f : fingers) {
    put_be(out, kFingerHeaderSize + f.image.size(), 4);
    out.push_back(f.position);
    out.push_back(f.view_count);
    out.push_back(f.view_number);
    out.push_back(f.quality);
    out.push_back(f.impression_type);
    put_be(out, f.width, 2);
    put_be(out, f.height, 2);
    out.push_back(0);
    append(out, f.image);
  }
  return out;
}

FingerRecord FingerRecord::decode(ByteView data, const std::string& context) {
  ByteReader r(data, context);
  r.expect(kFirMagic, "format identifier (FIR)");
  r.expect(kFirVersion, "version (010)");
  std::uint64_t length = r.uint(6, "record length");
  if (length != data.size()) {
    r.fail("record length field says " + std::to_string(length) + " but the record has " +
           std::to_string(data.size()) + " bytes");
  }
  FingerRecord rec;
  rec.capture_device_id = r.u16("capture device ID");
  if (rec.capture_device_id > 0x0FFF) r.fail("capture device ID uses more than 12 bits");
  rec.acquisition_level = r.u16("image acquisition level");
  std::uint8_t count = r.u8("number of fingers");
  if (count == 0 || count > kMaxFingers)
    r.fail("number of fingers " + std::to_string(count) + " out of range");
  rec.scale_units = r.u8("scale units");
  if (rec.scale_units != 1 && rec.scale_units != 2) r.fail("scale units must be 1 (ppi) or 2 (ppcm)");
  rec.scan_res_h = r.u16("horizontal scan resolution");
  rec.scan_res_v = r.u16("vertical scan resolution");
  rec.image_res_h = r.u16("horizontal image resolution");
  rec.image_res_v = r.u16("vertical image resolution");
  rec.pixel_depth = r.u8("pixel depth");
  if (rec.pixel_depth < 1 || rec.pixel_depth > 16) r.fail("pixel depth must be 1 to 16 bits");
  rec.compression = r.u8("compression algorithm");
  if (rec.compression > 5) r.fail("unknown compression algorithm " + std::to_string(rec.compression));
  if (r.u16("reserved") != 0) r.fail("reserved bytes are not zero");
  for (std::uint8_t i = 0; i < count; ++i) {
    std::uint32_t block = r.u32("finger data block length");
    if (block < kFingerHeaderSize || block - 4 > r.remaining()) {
      r.fail("finger data block length " + std::to_string(block) + " does not fit the record");
    }
    FingerImage f;
    f.position = r.u8("finger position");
    if (f.position > 15 && (f.position < 20 || f.position > 36))
      r.fail("invalid finger position " + std::to_string(f.position));
    f.view_count = r.u8("count of views");
    f.view_number = r.u8("view number");
    f.quality = r.u8("finger image quality");
    f.impression_type = r.u8("impression type");
    f.width = r.u16("horizontal line length");
    f.height = r.u16("vertical line length");
    if (r.u8("finger header reserved byte") != 0) r.fail("finger header reserved byte is not zero");
    ByteView payload = r.bytes(block - kFingerHeaderSize, "finger image data");
    f.image.assign(payload.begin(), payload.end());
    if (f.image.empty()) r.fail("finger image " + std::to_string(i + 1) + " has no image data");
    rec.fingers.push_back(std::move(f));
  }
  r.expect_end();
  return rec;
}

std::uint8_t finger_position_code(std::string_view name) {
  for (std::size_t i = 1; i < kPositions.size(); ++i) {
    if (name == kPositions[i]) return static_cast<std::uint8_t>(i);
  }
  return 0;
}

std::string finger_position_name(std::uint8_t code) {
  return code < kPositions.size() ? kPositions[code] : "position " + std::to_string(code);
}

std::uint8_t cbeff_finger_subtype(std::uint8_t position) {
  if (position < 1 || position > 10) return 0;
  std::uint8_t side = position <= 5 ? 0x01 : 0x02;
  static constexpr std::uint8_t kFinger[] = {0x04, 0x08, 0x0C, 0x10, 0x14};  // thumb .. little
  return static_cast<std::uint8_t>(side | kFinger[(position - 1) % 5]);
}

const char* compression_name(std::uint8_t compression) {
  switch (compression) {
    case 0:
      return "uncompressed";
    case 1:
      return "uncompressed, bit-packed";
    case 2:
      return "WSQ";
    case 3:
      return "JPEG";
    case 4:
      return "JPEG 2000";
    case 5:
      return "PNG";
    default:
      return "unknown";
  }
}

}  // namespace rcperso::biometric
