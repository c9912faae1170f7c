#include "issuance/fingerprint.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "core/error.hpp"
#include "image/image.hpp"
#include "image/wsq.hpp"

namespace rcperso::issuance {

namespace {

std::uint32_t be32(ByteView data, std::size_t at) {
  return static_cast<std::uint32_t>(data[at]) << 24 | static_cast<std::uint32_t>(data[at + 1]) << 16 |
         static_cast<std::uint32_t>(data[at + 2]) << 8 | static_cast<std::uint32_t>(data[at + 3]);
}

// The resolution a PNG's pHYs chunk states in pixels per metre, as ppi; -1
// when it states none (or only an aspect ratio). Walks the chunks before
// the image data, never past the end: a broken file is the decoder's to name.
int png_stated_ppi(ByteView data) {
  std::size_t pos = 8;  // after the signature
  while (pos + 12 <= data.size()) {
    const std::uint32_t length = be32(data, pos);
    if (length > data.size() - pos - 12) return -1;
    const auto* type = data.data() + pos + 4;
    if (std::equal(type, type + 4, "IDAT") || std::equal(type, type + 4, "IEND")) return -1;
    if (std::equal(type, type + 4, "pHYs") && length == 9) {
      const std::uint32_t per_metre_x = be32(data, pos + 8);
      if (data[pos + 16] != 1 || per_metre_x == 0) return -1;  // unit 1: metre
      return static_cast<int>(std::lround(per_metre_x * 0.0254));
    }
    pos += 12 + length;
  }
  return -1;
}

std::uint64_t be64(ByteView data, std::size_t at) {
  return static_cast<std::uint64_t>(be32(data, at)) << 32 | be32(data, at + 4);
}

// One JP2 box (ISO/IEC 15444-1 Annex I) at `pos` within [pos, end): its type,
// where its content starts and ends. False when it does not fit.
struct Jp2Box {
  std::uint32_t type = 0;
  std::size_t content = 0, end = 0;
};
bool jp2_box(ByteView data, std::size_t pos, std::size_t end, Jp2Box& box) {
  if (end - pos < 8) return false;
  std::uint64_t length = be32(data, pos);
  box.type = be32(data, pos + 4);
  box.content = pos + 8;
  if (length == 1) {  // a 64-bit length follows the type
    if (end - pos < 16) return false;
    length = be64(data, pos + 8);
    box.content = pos + 16;
  } else if (length == 0) {  // to the end of the enclosing space
    length = end - pos;
  }
  if (length < box.content - pos || length > end - pos) return false;
  box.end = pos + static_cast<std::size_t>(length);
  return true;
}

constexpr std::uint32_t box_type(const char (&name)[5]) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(name[0])) << 24 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(name[1])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(name[2])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(name[3]));
}

// Horizontal resolution of a resc/resd box (VR_N, VR_D, HR_N, HR_D, VR_E,
// HR_E: grid points per metre = N / D * 10^E) as ppi; -1 if unusable.
int jp2_resolution_ppi(ByteView data, const Jp2Box& box) {
  if (box.end - box.content != 10) return -1;
  const std::size_t at = box.content;
  const unsigned numerator = static_cast<unsigned>(data[at + 4]) << 8 | data[at + 5];
  const unsigned denominator = static_cast<unsigned>(data[at + 6]) << 8 | data[at + 7];
  const int exponent = static_cast<std::int8_t>(data[at + 9]);
  if (numerator == 0 || denominator == 0 || exponent < -10 || exponent > 10) return -1;
  const double ppi = numerator / static_cast<double>(denominator) * std::pow(10.0, exponent) * 0.0254;
  return ppi < 1.0 || ppi > 100000.0 ? -1 : static_cast<int>(std::lround(ppi));
}

// The capture resolution a JP2 file's header box states (res box, resc; the
// display resolution resd when no capture one is given) as ppi; -1 when it
// states none or is a bare codestream. Never reads past a box: a broken file
// is the decoder's to name.
int jp2_stated_ppi(ByteView data) {
  Jp2Box box;
  for (std::size_t pos = 0; jp2_box(data, pos, data.size(), box); pos = box.end) {
    if (box.type == box_type("jp2c")) return -1;  // the codestream: no header box before it
    if (box.type != box_type("jp2h")) continue;
    Jp2Box inner;
    for (std::size_t in = box.content; jp2_box(data, in, box.end, inner); in = inner.end) {
      if (inner.type != box_type("res ")) continue;
      int capture = -1, display = -1;
      Jp2Box res;
      for (std::size_t r = inner.content; jp2_box(data, r, inner.end, res); r = res.end) {
        if (res.type == box_type("resc")) capture = jp2_resolution_ppi(data, res);
        if (res.type == box_type("resd")) display = jp2_resolution_ppi(data, res);
      }
      return capture != -1 ? capture : display;
    }
    return -1;
  }
  return -1;
}

std::string rate_text(double bits_per_pixel) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", bits_per_pixel);
  return buf;
}

// The ridge-band measure of image/wsq.hpp: unlike the gray-level spread of
// image::is_blank it also refuses noise-only images and smooth smudges. Its
// bands assume full resolution, so a reduced preview (a JPEG 2000 kept as
// it is) falls back to is_blank.
bool has_ridges(const InputImage& in) {
  if (in.raster.pixels.empty()) {
    // A WSQ kept as it is: from its dequantized subbands, no inverse transform.
    return image::wsq::has_ridge_contrast(image::wsq::ridge_contrast(in.data, in.path.string()));
  }
  if (in.raster.width != in.info.width || in.raster.height != in.info.height)
    return !image::is_blank(in.raster);
  return image::wsq::has_ridge_contrast(image::wsq::ridge_contrast(image::to_gray(in.raster)));
}

std::string downsampled_note(const InputImage& in) {
  if (in.downsampled_from_ppi == 0) return {};
  return ", downsampled from " + std::to_string(in.downsampled_from_ppi) + " ppi";
}

Bytes wsq_image(const InputImage& in, const DocumentProfile& profile, std::string& note) {
  const auto& fp = profile.fingerprints;
  const std::string what = in.path.string();
  if (finger_kept_as_is(in, profile)) {
    note = "kept as given, WSQ " + std::to_string(in.data.size()) + " bytes";
    return in.data;
  }
  image::Raster gray = image::to_gray(in.raster);
  image::wsq::EncodeOptions options;
  options.bitrate = fp.bitrate;
  options.ppi = fp.resolution_ppi;
  Bytes data = image::wsq::encode(gray, options, what);
  if (data.size() <= fp.max_bytes) {
    note = "WSQ " + rate_text(fp.bitrate) + " bpp, " + std::to_string(data.size()) + " bytes" +
           downsampled_note(in);
    return data;
  }
  // Too large at the profile's rate: the largest file within the budget (TR-03121: 17 to 18 kB).
  auto fitted = image::wsq::encode_within(gray, fp.max_bytes, std::min(kLowestFingerBitrate, fp.bitrate),
                                          fp.bitrate, what, fp.resolution_ppi);
  note = "WSQ " + rate_text(fitted.bitrate) + " bpp (" + rate_text(fp.bitrate) + " bpp exceeds " +
         std::to_string(fp.max_bytes) + " bytes), " + std::to_string(fitted.data.size()) + " bytes" +
         downsampled_note(in);
  return std::move(fitted.data);
}

Bytes jpeg2000_image(const InputImage& in, const DocumentProfile& profile, std::string& note) {
  const auto& fp = profile.fingerprints;
  if (finger_kept_as_is(in, profile)) {
    note = "kept as given, JPEG 2000 " + std::to_string(in.data.size()) + " bytes";
    return in.data;
  }
  // Raise the compression ratio until the finger fits its byte budget.
  double ratio = fp.compression_ratio;
  Bytes data;
  for (int attempt = 0;; ++attempt) {
    data = image::encode_jpeg2000(in.raster, ratio);
    if (data.size() <= fp.max_bytes) break;
    if (attempt == 6) {
      throw Error(in.path.string() + ": fingerprint does not fit " + std::to_string(fp.max_bytes) +
                  " bytes even at compression ratio " + std::to_string(static_cast<int>(ratio)));
    }
    ratio *= 1.5;
  }
  note = "JPEG 2000 ratio " + std::to_string(static_cast<int>(std::lround(ratio))) + ", " +
         std::to_string(data.size()) + " bytes" + downsampled_note(in);
  return data;
}

}  // namespace

int stated_ppi(ByteView data, image::Format format, const std::string& what) {
  if (format == image::Format::Wsq) return image::wsq::probe_header(data, what).ppi;
  if (format == image::Format::Png) return png_stated_ppi(data);
  if (format == image::Format::Jpeg2000) return jp2_stated_ppi(data);
  return -1;
}

void decode_fingerprint(InputImage& in, const DocumentProfile& profile) {
  const std::string what = in.path.string();
  in.ppi = stated_ppi(in.data, in.info.format, what);
  const auto& fp = profile.fingerprints;
  if (fp.downsample_from_ppi != 0 && in.ppi == fp.downsample_from_ppi && in.info.channels == 1 &&
      in.info.bit_depth == 8) {
    // 1000 ppi capture for a 500 ppi chip: every 2x2 block averaged, which keeps the ridge spacing
    // in millimetres and halves it in pixels, as a 500 ppi scanner would have seen it.
    image::Raster full = image::to_gray(image::decode(in.data, what));
    in.raster = image::fit(full, std::max(1, full.width / 2), std::max(1, full.height / 2));
    in.downsampled_from_ppi = in.ppi;
    in.ppi = fp.resolution_ppi;
    in.info.width = in.raster.width;
    in.info.height = in.raster.height;
    return;
  }
  int min_w = 0, min_h = 0;
  if (finger_kept_as_is(in, profile)) {
    if (in.info.format == image::Format::Wsq) return;
    // Half size keeps the ridges for the blank check.
    min_w = (in.info.width + 1) / 2;
    min_h = (in.info.height + 1) / 2;
  }
  in.raster = image::decode(in.data, what, min_w, min_h);
}

std::vector<std::string> fingerprint_problems(const InputImage& in, const DocumentProfile& profile) {
  const auto& fp = profile.fingerprints;
  const std::string name = in.path.string();
  std::vector<std::string> problems;
  if (in.info.format != image::Format::Png && in.info.format != image::Format::Jpeg2000 &&
      in.info.format != image::Format::Wsq) {
    problems.push_back(name + " must be a PNG, JPEG 2000 or WSQ image (not " +
                       image::format_name(in.info.format) + ": its artefacts blur the ridges)");
  }
  // Resampling is not done here (it changes ridge spacing a matcher relies on):
  // a WSQ (NIST_COM), PNG (pHYs) or JP2 (res box) that states another resolution is refused.
  if (in.ppi != -1 && in.ppi != fp.resolution_ppi) {
    problems.push_back(name + " is a " + image::format_name(in.info.format) + " at " +
                       std::to_string(in.ppi) + " ppi; the profile needs " +
                       std::to_string(fp.resolution_ppi) + " ppi");
  }
  if (in.info.channels != 1 || in.info.bit_depth != 8) {
    problems.push_back(name + " must be 8-bit grayscale (it is " + in.info.colour_space + ", " +
                       std::to_string(in.info.bit_depth) + " bit)");
  }
  if (in.info.width < fp.min_width || in.info.height < fp.min_height || in.info.width > fp.max_width ||
      in.info.height > fp.max_height) {
    problems.push_back(name + " is " + std::to_string(in.info.width) + "x" + std::to_string(in.info.height) +
                       " pixels; the profile accepts " + std::to_string(fp.min_width) + "x" +
                       std::to_string(fp.min_height) + " to " + std::to_string(fp.max_width) + "x" +
                       std::to_string(fp.max_height));
  }
  if (!problems.empty()) return problems;
  try {
    if (!has_ridges(in)) problems.push_back(name + " is blank or has no ridge contrast");
  } catch (const Error& e) {
    problems.push_back(std::string("cannot use image: ") + e.what());
  }
  return problems;
}

Bytes fingerprint_image_data(const InputImage& in, const DocumentProfile& profile, std::string& note) {
  return profile.fingerprints.format == "wsq" ? wsq_image(in, profile, note)
                                              : jpeg2000_image(in, profile, note);
}

}  // namespace rcperso::issuance
