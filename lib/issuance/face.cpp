#include "issuance/face.hpp"

#include <cstdio>

#include "image/image.hpp"

namespace rcperso::issuance {

std::uint8_t face_image_data_type(const FaceSettings& face) { return face.format == "jpeg2000" ? 1 : 0; }

const char* face_file_extension(const FaceSettings& face) {
  return face.format == "jpeg2000" ? ".jp2" : ".jpg";
}

void decode_face(InputImage& face, const DocumentProfile& profile) {
  // A face kept as given is only validated: any size will do. One to be
  // re-encoded is cropped to the profile's aspect and shrunk, so its size
  // is all the decoder must keep (JPEG DCT scaling, JPEG 2000 levels).
  const bool kept = face_kept_as_is(face, profile);
  const int min_w = kept ? 1 : profile.face.width;
  const int min_h = kept ? 1 : profile.face.height;
  face.raster = image::decode(face.data, face.path.string(), min_w, min_h);
}

std::vector<std::string> face_problems(const InputImage& face, const DocumentProfile& profile) {
  const auto& info = face.info;
  const std::string name = face.path.string();
  std::vector<std::string> problems;
  if (info.format != image::Format::Jpeg && info.format != image::Format::Png &&
      info.format != image::Format::Jpeg2000) {
    problems.push_back(name + " must be a JPEG, JPEG 2000 or PNG image (not " +
                       image::format_name(info.format) + ")");
  }
  if (info.colour_space == "cmyk" || info.colour_space == "ycck") {
    problems.push_back(name + " is in the " + info.colour_space +
                       " colour space (a print file); an RGB or grayscale photo is required");
  }
  if (info.bit_depth > 8) {
    problems.push_back(name + " has " + std::to_string(info.bit_depth) + "-bit samples; 8-bit is required");
  }
  // The crop to the profile's aspect keeps one side whole and the other at
  // least the profile's, so the crop leaves enough pixels exactly when both
  // sides are at least the profile's.
  if (info.width < profile.face.width || info.height < profile.face.height) {
    problems.push_back(name + " is " + std::to_string(info.width) + "x" + std::to_string(info.height) +
                       " pixels; the profile needs at least " + std::to_string(profile.face.width) + "x" +
                       std::to_string(profile.face.height));
  }
  if (info.width > info.height) {
    problems.push_back(name + " is landscape; a portrait (taller than wide) is required");
  }
  return problems;
}

Bytes face_image_data(const InputImage& face, const DocumentProfile& profile, std::string& note) {
  const auto& f = profile.face;
  const std::string size = std::to_string(f.width) + "x" + std::to_string(f.height);
  const bool jp2 = f.format == "jpeg2000";
  if (face_kept_as_is(face, profile)) {
    note = "kept as given: " + size + (jp2 ? " JPEG 2000, " : " JPEG, ") + std::to_string(face.data.size()) +
           " bytes";
    return face.data;
  }
  // Convert only when the decoder's channels are not the profile's (no copy of the decoded face).
  const bool convert = face.raster.channels != (f.colour ? 3 : 1);
  const image::Raster converted = !convert   ? image::Raster{}
                                  : f.colour ? image::to_rgb(face.raster)
                                             : image::to_gray(face.raster);
  image::Raster sized = image::fit(convert ? converted : face.raster, f.width, f.height);
  if (jp2) {
    auto encoded =
        image::encode_jpeg2000_within(sized, f.max_bytes, f.max_compression_ratio, face.path.string());
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.1f", encoded.ratio);
    note = "re-encoded " + size + " JPEG 2000 ratio " + ratio + ":1, " + std::to_string(encoded.data.size()) +
           " bytes";
    return std::move(encoded.data);
  }
  auto jpeg = image::encode_jpeg_within(sized, f.max_bytes, f.min_quality, f.max_quality, face.path.string());
  note = "re-encoded " + size + " JPEG quality " + std::to_string(jpeg.quality) + ", " +
         std::to_string(jpeg.data.size()) + " bytes";
  return std::move(jpeg.data);
}

}  // namespace rcperso::issuance
