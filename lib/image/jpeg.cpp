// JPEG through libjpeg-turbo. libjpeg reports errors by calling error_exit;
// ours longjmps back to the caller's frame (only C frames lie between), and
// treats warnings (e.g. premature end of data) as errors too.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

#include <jpeglib.h>

#include "core/error.hpp"
#include "image/image.hpp"
#include "image/internal.hpp"

namespace rcperso::image {

namespace {

struct ErrorManager {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) {  // a warning: corrupt or truncated data
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, err->message);
    std::longjmp(err->jump, 1);
  }
}

void install(ErrorManager& err, jpeg_common_struct* cinfo) {
  cinfo->err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_error;
  err.mgr.emit_message = on_message;
  err.mgr.output_message = [](j_common_ptr) {};
  err.message[0] = '\0';
}

struct Decompressor {
  jpeg_decompress_struct cinfo{};
  ErrorManager err{};
  ~Decompressor() { jpeg_destroy_decompress(&cinfo); }
};

const char* colour_space_name(J_COLOR_SPACE cs) {
  switch (cs) {
    case JCS_GRAYSCALE:
      return "gray";
    case JCS_RGB:
      return "rgb";
    case JCS_YCbCr:
      return "ycbcr";
    case JCS_CMYK:
      return "cmyk";
    case JCS_YCCK:
      return "ycck";
    default:
      return "other";
  }
}

}  // namespace

Info probe_jpeg(ByteView data, const std::string& what) {
  auto d = std::make_unique<Decompressor>();
  install(d->err, reinterpret_cast<jpeg_common_struct*>(&d->cinfo));
  if (setjmp(d->err.jump) != 0) throw DecodeError(what + ": not a valid JPEG: " + d->err.message);
  jpeg_create_decompress(&d->cinfo);
  jpeg_mem_src(&d->cinfo, data.data(), static_cast<unsigned long>(data.size()));
  jpeg_read_header(&d->cinfo, TRUE);
  Info info;
  info.format = Format::Jpeg;
  info.width = static_cast<int>(d->cinfo.image_width);
  info.height = static_cast<int>(d->cinfo.image_height);
  info.channels = d->cinfo.num_components;
  info.bit_depth = d->cinfo.data_precision;
  info.colour_space = colour_space_name(d->cinfo.jpeg_color_space);
  check_dimensions(info.width, info.height, what);
  return info;
}

Raster decode_jpeg(ByteView data, const std::string& what, int min_width, int min_height) {
  auto d = std::make_unique<Decompressor>();
  auto out = std::make_unique<Raster>();
  install(d->err, reinterpret_cast<jpeg_common_struct*>(&d->cinfo));
  if (setjmp(d->err.jump) != 0) throw DecodeError(what + ": not a valid JPEG: " + d->err.message);
  jpeg_create_decompress(&d->cinfo);
  jpeg_mem_src(&d->cinfo, data.data(), static_cast<unsigned long>(data.size()));
  jpeg_read_header(&d->cinfo, TRUE);
  check_dimensions(static_cast<int>(d->cinfo.image_width), static_cast<int>(d->cinfo.image_height), what);
  if (d->cinfo.data_precision != 8) throw DecodeError(what + ": only 8-bit JPEG is supported");
  bool cmyk = d->cinfo.jpeg_color_space == JCS_CMYK || d->cinfo.jpeg_color_space == JCS_YCCK;
  bool gray = d->cinfo.jpeg_color_space == JCS_GRAYSCALE;
  d->cinfo.out_color_space = gray ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
  // Largest DCT downscale that still yields at least the requested size.
  unsigned denom = 1;
  for (unsigned candidate : {8U, 4U, 2U}) {
    unsigned w = (d->cinfo.image_width + candidate - 1) / candidate;
    unsigned h = (d->cinfo.image_height + candidate - 1) / candidate;
    if (min_width > 0 && min_height > 0 && w >= static_cast<unsigned>(min_width) &&
        h >= static_cast<unsigned>(min_height)) {
      denom = candidate;
      break;
    }
  }
  d->cinfo.scale_num = 1;
  d->cinfo.scale_denom = denom;
  jpeg_start_decompress(&d->cinfo);
  out->width = static_cast<int>(d->cinfo.output_width);
  out->height = static_cast<int>(d->cinfo.output_height);
  int components = d->cinfo.output_components;
  std::size_t row_bytes = static_cast<std::size_t>(out->width) * static_cast<std::size_t>(components);
  Bytes& buffer = out->pixels;
  buffer.resize(row_bytes * static_cast<std::size_t>(out->height));
  while (d->cinfo.output_scanline < d->cinfo.output_height) {
    JSAMPROW row = buffer.data() + row_bytes * d->cinfo.output_scanline;
    jpeg_read_scanlines(&d->cinfo, &row, 1);
  }
  jpeg_finish_decompress(&d->cinfo);
  if (components == 4) {
    // Adobe writes CMYK inverted; libjpeg passes it through unchanged.
    bool inverted = d->cinfo.saw_Adobe_marker != 0;
    Bytes rgb(static_cast<std::size_t>(out->width) * static_cast<std::size_t>(out->height) * 3);
    for (std::size_t i = 0, o = 0; i < buffer.size(); i += 4, o += 3) {
      int c = buffer[i], m = buffer[i + 1], y = buffer[i + 2], k = buffer[i + 3];
      if (!inverted) {
        c = 255 - c;
        m = 255 - m;
        y = 255 - y;
        k = 255 - k;
      }
      rgb[o] = static_cast<std::uint8_t>(c * k / 255);
      rgb[o + 1] = static_cast<std::uint8_t>(m * k / 255);
      rgb[o + 2] = static_cast<std::uint8_t>(y * k / 255);
    }
    buffer = std::move(rgb);
    components = 3;
  }
  out->channels = components;
  return std::move(*out);
}

Bytes encode_jpeg(const Raster& in, int quality) {
  if (in.channels != 1 && in.channels != 3) throw Error("JPEG encoder: 1 or 3 channels expected");
  struct Compressor {
    jpeg_compress_struct cinfo{};
    ErrorManager err{};
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    ~Compressor() {
      jpeg_destroy_compress(&cinfo);
      std::free(buffer);
    }
  };
  auto c = std::make_unique<Compressor>();
  install(c->err, reinterpret_cast<jpeg_common_struct*>(&c->cinfo));
  if (setjmp(c->err.jump) != 0) throw Error(std::string("JPEG encoder failed: ") + c->err.message);
  jpeg_create_compress(&c->cinfo);
  jpeg_mem_dest(&c->cinfo, &c->buffer, &c->size);
  c->cinfo.image_width = static_cast<JDIMENSION>(in.width);
  c->cinfo.image_height = static_cast<JDIMENSION>(in.height);
  c->cinfo.input_components = in.channels;
  c->cinfo.in_color_space = in.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c->cinfo);
  jpeg_set_quality(&c->cinfo, quality, TRUE);
  c->cinfo.optimize_coding = TRUE;
  c->cinfo.dct_method = JDCT_ISLOW;
  jpeg_start_compress(&c->cinfo, TRUE);
  std::size_t row_bytes = static_cast<std::size_t>(in.width) * static_cast<std::size_t>(in.channels);
  while (c->cinfo.next_scanline < c->cinfo.image_height) {
    auto* row = const_cast<JSAMPROW>(in.pixels.data() + row_bytes * c->cinfo.next_scanline);
    jpeg_write_scanlines(&c->cinfo, &row, 1);
  }
  jpeg_finish_compress(&c->cinfo);
  return Bytes(c->buffer, c->buffer + c->size);
}

}  // namespace rcperso::image
