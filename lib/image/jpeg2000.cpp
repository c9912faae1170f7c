// JPEG 2000 through OpenJPEG, with memory streams and silenced handlers.
#include <openjpeg.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "core/error.hpp"
#include "image/image.hpp"
#include "image/internal.hpp"

namespace rcperso::image {

namespace {

struct ReadState {
  ByteView data;
  std::size_t pos = 0;
};

OPJ_SIZE_T read_fn(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<ReadState*>(user);
  if (s->pos >= s->data.size()) return static_cast<OPJ_SIZE_T>(-1);
  OPJ_SIZE_T k = std::min<OPJ_SIZE_T>(n, s->data.size() - s->pos);
  std::memcpy(buffer, s->data.data() + s->pos, k);
  s->pos += k;
  return k;
}
OPJ_OFF_T skip_fn(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<ReadState*>(user);
  if (n < 0) {
    auto back = static_cast<std::size_t>(-n);
    if (back > s->pos) return -1;
    s->pos -= back;
  } else {
    s->pos = std::min(s->data.size(), s->pos + static_cast<std::size_t>(n));
  }
  return n;
}
OPJ_BOOL seek_fn(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<ReadState*>(user);
  if (n < 0 || static_cast<std::size_t>(n) > s->data.size()) return OPJ_FALSE;
  s->pos = static_cast<std::size_t>(n);
  return OPJ_TRUE;
}

struct WriteState {
  Bytes data;
  std::size_t pos = 0;
};
OPJ_SIZE_T write_fn(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<WriteState*>(user);
  if (s->pos + n > s->data.size()) s->data.resize(s->pos + n);
  std::memcpy(s->data.data() + s->pos, buffer, n);
  s->pos += n;
  return n;
}
OPJ_OFF_T wskip_fn(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<WriteState*>(user);
  if (n < 0) return -1;
  s->pos += static_cast<std::size_t>(n);
  if (s->pos > s->data.size()) s->data.resize(s->pos);
  return n;
}
OPJ_BOOL wseek_fn(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<WriteState*>(user);
  if (n < 0) return OPJ_FALSE;
  s->pos = static_cast<std::size_t>(n);
  if (s->pos > s->data.size()) s->data.resize(s->pos);
  return OPJ_TRUE;
}

void quiet(const char*, void*) {}
void keep_error(const char* msg, void* user) {
  auto* s = static_cast<std::string*>(user);
  if (s->empty()) {
    *s = msg;
    while (!s->empty() && (s->back() == '\n' || s->back() == ' ')) s->pop_back();
  }
}

struct Codec {
  opj_codec_t* codec = nullptr;
  opj_stream_t* stream = nullptr;
  opj_image_t* image = nullptr;
  ~Codec() {
    if (image != nullptr) opj_image_destroy(image);
    if (stream != nullptr) opj_stream_destroy(stream);
    if (codec != nullptr) opj_destroy_codec(codec);
  }
};

bool is_jp2_container(ByteView data) {
  static constexpr std::uint8_t kJp2[] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
  return data.size() >= sizeof kJp2 && std::memcmp(data.data(), kJp2, sizeof kJp2) == 0;
}

// Opens the codec and reads the header into c.image; dimensions checked.
void open_and_read_header(Codec& c, ReadState& state, std::string& error, const std::string& what) {
  c.codec = opj_create_decompress(is_jp2_container(state.data) ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
  opj_set_info_handler(c.codec, quiet, nullptr);
  opj_set_warning_handler(c.codec, quiet, nullptr);
  opj_set_error_handler(c.codec, keep_error, &error);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (opj_setup_decoder(c.codec, &params) == 0) throw DecodeError(what + ": JPEG 2000 decoder set-up failed");
  c.stream = opj_stream_create(64 * 1024, OPJ_TRUE);
  opj_stream_set_user_data(c.stream, &state, nullptr);
  opj_stream_set_user_data_length(c.stream, state.data.size());
  opj_stream_set_read_function(c.stream, read_fn);
  opj_stream_set_skip_function(c.stream, skip_fn);
  opj_stream_set_seek_function(c.stream, seek_fn);
  if (opj_read_header(c.stream, c.codec, &c.image) == 0 || c.image == nullptr) {
    throw DecodeError(what + ": not a valid JPEG 2000 image" + (error.empty() ? "" : ": " + error));
  }
  check_dimensions(static_cast<long long>(c.image->x1) - c.image->x0,
                   static_cast<long long>(c.image->y1) - c.image->y0, what);
  if (c.image->numcomps != 1 && c.image->numcomps != 3) {
    throw DecodeError(what + ": JPEG 2000 with " + std::to_string(c.image->numcomps) +
                      " components is not supported");
  }
}

}  // namespace

Info probe_jpeg2000(ByteView data, const std::string& what) {
  Codec c;
  ReadState state{data};
  std::string error;
  open_and_read_header(c, state, error, what);
  Info info;
  info.format = Format::Jpeg2000;
  info.width = static_cast<int>(c.image->x1 - c.image->x0);
  info.height = static_cast<int>(c.image->y1 - c.image->y0);
  info.channels = static_cast<int>(c.image->numcomps);
  info.bit_depth = static_cast<int>(c.image->comps[0].prec);
  info.colour_space = info.channels == 1 ? "gray" : "rgb";
  return info;
}

Raster decode_jpeg2000(ByteView data, const std::string& what, int min_width, int min_height) {
  Codec c;
  ReadState state{data};
  std::string error;
  open_and_read_header(c, state, error, what);
  if (min_width > 0 && min_height > 0) {
    // Decode fewer wavelet levels when a smaller image is enough.
    opj_codestream_info_v2_t* info = opj_get_cstr_info(c.codec);
    OPJ_UINT32 levels = info != nullptr && info->m_default_tile_info.tccp_info != nullptr
                            ? info->m_default_tile_info.tccp_info[0].numresolutions
                            : 1;
    opj_destroy_cstr_info(&info);
    OPJ_UINT32 w = c.image->x1 - c.image->x0, h = c.image->y1 - c.image->y0;
    OPJ_UINT32 reduce = 0;
    while (reduce + 1 < levels &&
           ((w + (2U << reduce) - 1) >> (reduce + 1)) >= static_cast<OPJ_UINT32>(min_width) &&
           ((h + (2U << reduce) - 1) >> (reduce + 1)) >= static_cast<OPJ_UINT32>(min_height)) {
      ++reduce;
    }
    if (reduce > 0 && opj_set_decoded_resolution_factor(c.codec, reduce) == 0) {
      throw DecodeError(what + ": JPEG 2000 resolution reduction failed");
    }
  }
  if (opj_decode(c.codec, c.stream, c.image) == 0 || opj_end_decompress(c.codec, c.stream) == 0) {
    throw DecodeError(what + ": corrupt JPEG 2000 data" + (error.empty() ? "" : ": " + error));
  }
  Raster out;
  out.width = static_cast<int>(c.image->comps[0].w);
  out.height = static_cast<int>(c.image->comps[0].h);
  out.channels = static_cast<int>(c.image->numcomps);
  auto n = static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height);
  for (int k = 0; k < out.channels; ++k) {
    const auto& comp = c.image->comps[k];
    if (comp.data == nullptr || comp.w != static_cast<OPJ_UINT32>(out.width) ||
        comp.h != static_cast<OPJ_UINT32>(out.height) || comp.prec < 1 || comp.prec > 16) {
      throw DecodeError(what + ": JPEG 2000 components with subsampling or odd precision are not supported");
    }
  }
  out.pixels.resize(n * static_cast<std::size_t>(out.channels));
  for (int k = 0; k < out.channels; ++k) {
    const auto& comp = c.image->comps[k];
    int shift = static_cast<int>(comp.prec) - 8;
    int offset = comp.sgnd != 0 ? 1 << (comp.prec - 1) : 0;
    for (std::size_t i = 0; i < n; ++i) {
      int v = comp.data[i] + offset;
      v = shift > 0 ? v >> shift : v << -shift;
      out.pixels[i * static_cast<std::size_t>(out.channels) + static_cast<std::size_t>(k)] =
          static_cast<std::uint8_t>(std::clamp(v, 0, 255));
    }
  }
  return out;
}

Bytes encode_jpeg2000(const Raster& in, double ratio) {
  if (in.channels != 1 && in.channels != 3) throw Error("JPEG 2000 encoder: 1 or 3 channels expected");
  opj_image_cmptparm_t params[3];
  std::memset(params, 0, sizeof params);
  for (auto& p : params) {
    p.dx = p.dy = 1;
    p.w = static_cast<OPJ_UINT32>(in.width);
    p.h = static_cast<OPJ_UINT32>(in.height);
    p.prec = 8;
    p.sgnd = 0;
  }
  Codec c;
  c.image = opj_image_create(static_cast<OPJ_UINT32>(in.channels), params,
                             in.channels == 1 ? OPJ_CLRSPC_GRAY : OPJ_CLRSPC_SRGB);
  if (c.image == nullptr) throw Error("JPEG 2000 encoder: out of memory");
  c.image->x0 = c.image->y0 = 0;
  c.image->x1 = static_cast<OPJ_UINT32>(in.width);
  c.image->y1 = static_cast<OPJ_UINT32>(in.height);
  auto n = static_cast<std::size_t>(in.width) * static_cast<std::size_t>(in.height);
  for (int k = 0; k < in.channels; ++k) {
    for (std::size_t i = 0; i < n; ++i) {
      c.image->comps[k].data[i] =
          in.pixels[i * static_cast<std::size_t>(in.channels) + static_cast<std::size_t>(k)];
    }
  }
  opj_cparameters_t cp;
  opj_set_default_encoder_parameters(&cp);
  cp.tcp_numlayers = 1;
  cp.cp_disto_alloc = 1;
  if (ratio > 1.0) {
    cp.tcp_rates[0] = static_cast<float>(ratio);
    cp.irreversible = 1;
  } else {
    cp.tcp_rates[0] = 0;  // lossless
  }
  cp.numresolution = std::min(6, 1 + static_cast<int>(std::log2(std::min(in.width, in.height) / 8.0)));
  if (cp.numresolution < 1) cp.numresolution = 1;
  if (in.channels == 3) cp.tcp_mct = 1;
  std::string error;
  c.codec = opj_create_compress(OPJ_CODEC_JP2);
  opj_set_info_handler(c.codec, quiet, nullptr);
  opj_set_warning_handler(c.codec, quiet, nullptr);
  opj_set_error_handler(c.codec, keep_error, &error);
  if (opj_setup_encoder(c.codec, &cp, c.image) == 0) throw Error("JPEG 2000 encoder set-up failed: " + error);
  WriteState state;
  c.stream = opj_stream_create(64 * 1024, OPJ_FALSE);
  opj_stream_set_user_data(c.stream, &state, nullptr);
  opj_stream_set_write_function(c.stream, write_fn);
  opj_stream_set_skip_function(c.stream, wskip_fn);
  opj_stream_set_seek_function(c.stream, wseek_fn);
  if (opj_start_compress(c.codec, c.image, c.stream) == 0 || opj_encode(c.codec, c.stream) == 0 ||
      opj_end_compress(c.codec, c.stream) == 0) {
    throw Error("JPEG 2000 encoder failed: " + error);
  }
  return std::move(state.data);
}

Jpeg2000Result encode_jpeg2000_within(const Raster& in, std::size_t max_bytes, double max_ratio,
                                      const std::string& what) {
  const double raw = static_cast<double>(in.width) * in.height * in.channels;
  const double budget = static_cast<double>(max_bytes);
  Jpeg2000Result best;
  double ratio = std::clamp(raw / budget, 1.5, max_ratio);
  for (int attempt = 0; attempt < 8; ++attempt) {
    Bytes candidate = encode_jpeg2000(in, ratio);
    const double size = static_cast<double>(candidate.size());
    if (candidate.size() <= max_bytes && candidate.size() > best.data.size()) {
      best = {std::move(candidate), ratio};
      if (size >= 0.97 * budget) break;
    }
    // Aim 1 % under the budget: the headers do not shrink with the ratio.
    double next = std::clamp(ratio * size / (0.99 * budget), 1.5, max_ratio);
    if (std::abs(next - ratio) < 1e-3 * ratio) {
      if (best.data.empty() && ratio < max_ratio) {
        next = std::min(max_ratio, ratio * 1.05);
      } else {
        break;
      }
    }
    ratio = next;
  }
  if (best.data.empty()) {
    Bytes smallest = encode_jpeg2000(in, max_ratio);
    if (smallest.size() > max_bytes) {
      throw Error(what + ": does not fit " + std::to_string(max_bytes) +
                  " bytes even at JPEG 2000 compression ratio " +
                  std::to_string(static_cast<int>(max_ratio)) + ":1 (got " + std::to_string(smallest.size()) +
                  " bytes)");
    }
    best = {std::move(smallest), max_ratio};
  }
  return best;
}

}  // namespace rcperso::image
