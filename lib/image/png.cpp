// PNG through libpng's simplified API (no longjmp on our side); the header
// is parsed by hand first so that dimensions are checked before decoding.
#include <png.h>

#include <cstring>

#include "core/error.hpp"
#include "image/image.hpp"
#include "image/internal.hpp"

namespace rcperso::image {

Info probe_png(ByteView data, const std::string& what) {
  static constexpr std::uint8_t kSignature[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (data.size() < 33 || std::memcmp(data.data(), kSignature, 8) != 0) {
    throw DecodeError(what + ": not a valid PNG (bad signature or too short)");
  }
  if (get_be(data, 8, 4) != 13 || std::memcmp(data.data() + 12, "IHDR", 4) != 0) {
    throw DecodeError(what + ": not a valid PNG (first chunk is not IHDR)");
  }
  Info info;
  info.format = Format::Png;
  auto width = static_cast<long long>(get_be(data, 16, 4));
  auto height = static_cast<long long>(get_be(data, 20, 4));
  check_dimensions(width, height, what);
  info.width = static_cast<int>(width);
  info.height = static_cast<int>(height);
  info.bit_depth = data[24];
  switch (data[25]) {
    case 0:
      info.channels = 1;
      info.colour_space = "gray";
      break;
    case 2:
      info.channels = 3;
      info.colour_space = "rgb";
      break;
    case 3:
      info.channels = 3;
      info.colour_space = "palette";
      break;
    case 4:
      info.channels = 2;
      info.colour_space = "gray+alpha";
      break;
    case 6:
      info.channels = 4;
      info.colour_space = "rgba";
      break;
    default:
      throw DecodeError(what + ": not a valid PNG (colour type " + std::to_string(data[25]) + ")");
  }
  int depth = info.bit_depth;
  bool depth_ok = depth == 8 || depth == 16 ||
                  ((data[25] == 0 || data[25] == 3) && (depth == 1 || depth == 2 || depth == 4));
  if (!depth_ok) throw DecodeError(what + ": not a valid PNG (bit depth " + std::to_string(depth) + ")");
  return info;
}

Raster decode_png(ByteView data, const std::string& what) {
  Info info = probe_png(data, what);
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&img, data.data(), data.size()) == 0) {
    std::string msg = img.message;
    png_image_free(&img);
    throw DecodeError(what + ": not a valid PNG: " + msg);
  }
  bool gray = info.colour_space == "gray" || info.colour_space == "gray+alpha";
  img.format = gray ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  Raster out;
  out.width = static_cast<int>(img.width);
  out.height = static_cast<int>(img.height);
  out.channels = gray ? 1 : 3;
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  png_color white{255, 255, 255};  // alpha is composited on white
  if (png_image_finish_read(&img, &white, out.pixels.data(), 0, nullptr) == 0) {
    std::string msg = img.message;
    png_image_free(&img);
    throw DecodeError(what + ": not a valid PNG: " + msg);
  }
  png_image_free(&img);
  return out;
}

Bytes encode_png(const Raster& in) {
  if (in.channels != 1 && in.channels != 3) throw Error("PNG encoder: 1 or 3 channels expected");
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(in.width);
  img.height = static_cast<png_uint_32>(in.height);
  img.format = in.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (png_image_write_to_memory(&img, nullptr, &size, 0, in.pixels.data(), 0, nullptr) == 0) {
    throw Error(std::string("PNG encoder failed: ") + img.message);
  }
  Bytes out(size);
  if (png_image_write_to_memory(&img, out.data(), &size, 0, in.pixels.data(), 0, nullptr) == 0) {
    throw Error(std::string("PNG encoder failed: ") + img.message);
  }
  out.resize(size);
  return out;
}

}  // namespace rcperso::image
