#include "biometric/face_record.hpp"

#include "core/byte_reader.hpp"
#include "core/error.hpp"

namespace rcperso::biometric {

namespace {
constexpr std::uint8_t kFaceMagic[] = {'F', 'A', 'C', 0};
constexpr std::uint8_t kFaceVersion[] = {'0', '1', '0', 0};
constexpr std::size_t kFaceHeaderSize = 14;
constexpr std::size_t kInfoSize = 20;
constexpr std::size_t kPointSize = 8;
constexpr std::size_t kImageInfoSize = 12;
constexpr std::size_t kMaxImages = 8;
}  // namespace

Bytes FaceRecord::encode() const {
  std::size_t total = kFaceHeaderSize;
  for (const auto& img : images)
    total += kInfoSize + kPointSize * img.feature_points.size() + kImageInfoSize + img.image.size();
  Bytes out;
  out.reserve(total);  // also keeps GCC 12's -Warray-bounds false positive on vector::insert away
  for (auto b : kFaceMagic) out.push_back(b);
  for (auto b : kFaceVersion) out.push_back(b);
  put_be(out, total, 4);
  put_be(out, images.size(), 2);
  for (const auto& img : images) {
    put_be(out, kInfoSize + kPointSize * img.feature_points.size() + kImageInfoSize + img.image.size(), 4);
    put_be(out, img.feature_points.size(), 2);
    out.push_back(img.gender);
    out.push_back(img.eye_colour);
    out.push_back(img.hair_colour);
    put_be(out, img.feature_mask & 0xFFFFFFU, 3);
    put_be(out, img.expression, 2);
    out.insert(out.end(), img.pose.begin(), img.pose.end());
    out.insert(out.end(), img.pose_uncertainty.begin(), img.pose_uncertainty.end());
    for (const auto& p : img.feature_points) {
      out.push_back(p.type);
      out.push_back(p.code);
      put_be(out, p.x, 2);
      put_be(out, p.y, 2);
      put_be(out, 0, 2);
    }
    out.push_back(img.face_image_type);
    out.push_back(img.image_data_type);
    put_be(out, img.width, 2);
    put_be(out, img.height, 2);
    out.push_back(img.colour_space);
    out.push_back(img.source_type);
    put_be(out, img.device_type, 2);
    put_be(out, img.quality, 2);
    append(out, img.image);
  }
  return out;
}

FaceRecord FaceRecord::decode(ByteView data, const std::string& context) {
  ByteReader r(data, context);
  r.expect(kFaceMagic, "format identifier (FAC)");
  r.expect(kFaceVersion, "version (010)");
  std::uint32_t length = r.u32("record length");
  if (length != data.size()) {
    r.fail("record length field says " + std::to_string(length) + " but the record has " +
           std::to_string(data.size()) + " bytes");
  }
  std::uint16_t count = r.u16("number of images");
  if (count == 0 || count > kMaxImages)
    r.fail("number of facial images " + std::to_string(count) + " out of range");
  FaceRecord rec;
  for (std::uint16_t i = 0; i < count; ++i) {
    std::size_t start = r.position();
    std::uint32_t block = r.u32("facial record data length");
    if (block < kInfoSize + kImageInfoSize || block > r.remaining() + 4) {
      r.fail("facial record data length " + std::to_string(block) + " does not fit the record");
    }
    FaceImage img;
    std::uint16_t points = r.u16("number of feature points");
    if (kInfoSize + kPointSize * points + kImageInfoSize > block)
      r.fail("feature points exceed the block length");
    img.gender = r.u8("gender");
    img.eye_colour = r.u8("eye colour");
    img.hair_colour = r.u8("hair colour");
    img.feature_mask = static_cast<std::uint32_t>(r.uint(3, "feature mask"));
    img.expression = r.u16("expression");
    for (auto& v : img.pose) v = r.u8("pose angle");
    for (auto& v : img.pose_uncertainty) v = r.u8("pose angle uncertainty");
    for (std::uint16_t k = 0; k < points; ++k) {
      FeaturePoint p;
      p.type = r.u8("feature point type");
      p.code = r.u8("feature point code");
      p.x = r.u16("feature point x");
      p.y = r.u16("feature point y");
      if (r.u16("feature point reserved") != 0) r.fail("feature point reserved bytes are not zero");
      img.feature_points.push_back(p);
    }
    img.face_image_type = r.u8("face image type");
    img.image_data_type = r.u8("image data type");
    img.width = r.u16("width");
    img.height = r.u16("height");
    img.colour_space = r.u8("colour space");
    img.source_type = r.u8("source type");
    img.device_type = r.u16("device type");
    img.quality = r.u16("quality");
    std::size_t used = r.position() - start;
    ByteView payload = r.bytes(block - used, "image data");
    img.image.assign(payload.begin(), payload.end());
    if (img.image.empty()) r.fail("facial image " + std::to_string(i + 1) + " has no image data");
    rec.images.push_back(std::move(img));
  }
  r.expect_end();
  return rec;
}

const char* face_image_data_type_name(std::uint8_t type) {
  switch (type) {
    case 0:
      return "JPEG";
    case 1:
      return "JPEG 2000";
    default:
      return "unknown";
  }
}

const char* face_colour_space_name(std::uint8_t space) {
  switch (space) {
    case 0:
      return "unspecified";
    case 1:
      return "RGB24";
    case 2:
      return "YUV422";
    case 3:
      return "Gray8";
    case 4:
      return "other";
    default:
      return "invalid";
  }
}

const char* gender_name(std::uint8_t gender) {
  switch (gender) {
    case 0:
      return "unspecified";
    case 1:
      return "male";
    case 2:
      return "female";
    case 0xFF:
      return "unknown";
    default:
      return "invalid";
  }
}

}  // namespace rcperso::biometric
