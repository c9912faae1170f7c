#include "image/image.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "image/internal.hpp"
#include "image/wsq.hpp"

namespace rcperso::image {

void check_dimensions(long long width, long long height, const std::string& what) {
  if (width < 1 || height < 1 || width > kMaxDimension || height > kMaxDimension ||
      static_cast<unsigned long long>(width) * static_cast<unsigned long long>(height) > kMaxPixels) {
    throw DecodeError(what + ": image size " + std::to_string(width) + "x" + std::to_string(height) +
                      " is outside the accepted range (1.." + std::to_string(kMaxDimension) + " per side)");
  }
}

Format sniff(ByteView d) {
  if (d.size() >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return Format::Jpeg;
  if (d.size() >= 8 && std::memcmp(d.data(), "\x89PNG\r\n\x1a\n", 8) == 0) return Format::Png;
  if (d.size() >= 12 && std::memcmp(d.data(), "\x00\x00\x00\x0CjP  \r\n\x87\n", 12) == 0)
    return Format::Jpeg2000;
  if (d.size() >= 4 && d[0] == 0xFF && d[1] == 0x4F && d[2] == 0xFF && d[3] == 0x51) return Format::Jpeg2000;
  // WSQ: SOI (FFA0) followed by another marker (a table, comment or the frame).
  if (d.size() >= 4 && d[0] == 0xFF && d[1] == 0xA0 && d[2] == 0xFF && d[3] >= 0xA2 && d[3] <= 0xA8)
    return Format::Wsq;
  return Format::Unknown;
}

const char* format_name(Format f) {
  switch (f) {
    case Format::Jpeg:
      return "JPEG";
    case Format::Png:
      return "PNG";
    case Format::Jpeg2000:
      return "JPEG 2000";
    case Format::Wsq:
      return "WSQ";
    case Format::Unknown:
      break;
  }
  return "unknown";
}

Info probe(ByteView data, const std::string& what) {
  switch (sniff(data)) {
    case Format::Jpeg:
      return probe_jpeg(data, what);
    case Format::Png:
      return probe_png(data, what);
    case Format::Jpeg2000:
      return probe_jpeg2000(data, what);
    case Format::Wsq: {
      wsq::FrameHeader frame = wsq::probe(data, what);
      return Info{Format::Wsq, frame.width, frame.height, 1, 8, "gray"};
    }
    case Format::Unknown:
      break;
  }
  throw DecodeError(what + ": not a JPEG, PNG, JPEG 2000 or WSQ image");
}

Raster decode(ByteView data, const std::string& what, int min_width, int min_height) {
  switch (sniff(data)) {
    case Format::Jpeg:
      return decode_jpeg(data, what, min_width, min_height);
    case Format::Png:
      return decode_png(data, what);
    case Format::Jpeg2000:
      return decode_jpeg2000(data, what, min_width, min_height);
    case Format::Wsq:
      return wsq::decode(data, what).raster;
    case Format::Unknown:
      break;
  }
  throw DecodeError(what + ": not a JPEG, PNG, JPEG 2000 or WSQ image");
}

Raster to_gray(const Raster& in) {
  if (in.channels == 1) return in;
  Raster out{in.width, in.height, 1,
             Bytes(static_cast<std::size_t>(in.width) * static_cast<std::size_t>(in.height))};
  for (std::size_t i = 0; i < out.pixels.size(); ++i) {
    const std::uint8_t* p = &in.pixels[i * 3];
    // ITU-R BT.601 luma in fixed point.
    out.pixels[i] = static_cast<std::uint8_t>((p[0] * 299 + p[1] * 587 + p[2] * 114 + 500) / 1000);
  }
  return out;
}

Raster to_rgb(const Raster& in) {
  if (in.channels == 3) return in;
  Raster out{in.width, in.height, 3, Bytes(in.pixels.size() * 3)};
  for (std::size_t i = 0; i < in.pixels.size(); ++i) {
    out.pixels[i * 3] = out.pixels[i * 3 + 1] = out.pixels[i * 3 + 2] = in.pixels[i];
  }
  return out;
}

namespace {

// Resampling weights for one axis: each output sample is a weighted sum of
// source samples (area average when shrinking, linear when enlarging).
struct Tap {
  int first;
  std::vector<float> weights;
};

std::vector<Tap> axis_taps(int src_offset, int src_len, int dst_len) {
  std::vector<Tap> taps(static_cast<std::size_t>(dst_len));
  double scale = static_cast<double>(src_len) / dst_len;
  for (int o = 0; o < dst_len; ++o) {
    Tap& t = taps[static_cast<std::size_t>(o)];
    if (scale >= 1.0) {
      double a = o * scale, b = (o + 1) * scale;
      int first = static_cast<int>(std::floor(a));
      int last = std::min(src_len - 1, static_cast<int>(std::ceil(b)) - 1);
      t.first = src_offset + first;
      for (int s = first; s <= last; ++s) {
        double w = std::min<double>(b, s + 1) - std::max<double>(a, s);
        t.weights.push_back(static_cast<float>(w / scale));
      }
    } else {
      double center = (o + 0.5) * scale - 0.5;
      int s0 = std::clamp(static_cast<int>(std::floor(center)), 0, src_len - 1);
      int s1 = std::min(s0 + 1, src_len - 1);
      double f = std::clamp(center - s0, 0.0, 1.0);
      t.first = src_offset + s0;
      if (s1 == s0) {
        t.weights = {1.0F};
      } else {
        t.weights = {static_cast<float>(1.0 - f), static_cast<float>(f)};
      }
    }
  }
  return taps;
}

// One output row of the horizontal pass: each sample is its taps' weighted sum, taken in tap order
// from zero (for every channel count the same sums in the same order).
template <int kChannels>
void horizontal_pass(const std::uint8_t* row, const std::vector<Tap>& taps, float* out) {
  for (const Tap& t : taps) {
    const std::uint8_t* src = row + static_cast<std::size_t>(t.first) * kChannels;
    float acc[kChannels] = {};
    const std::size_t n = t.weights.size();
    for (std::size_t k = 0; k < n; ++k) {
      const float w = t.weights[k];
      for (int c = 0; c < kChannels; ++c) acc[c] += w * src[k * kChannels + c];
    }
    for (int c = 0; c < kChannels; ++c) out[c] = acc[c];
    out += kChannels;
  }
}

void horizontal_pass_any(const std::uint8_t* row, const std::vector<Tap>& taps, int ch, float* out) {
  for (const Tap& t : taps) {
    const std::uint8_t* src = row + static_cast<std::size_t>(t.first) * ch;
    for (int c = 0; c < ch; ++c) {
      float acc = 0;
      for (std::size_t k = 0; k < t.weights.size(); ++k) acc += t.weights[k] * src[k * ch + c];
      *out++ = acc;
    }
  }
}

}  // namespace

Raster fit(const Raster& in, int width, int height) {
  if (width < 1 || height < 1) throw Error("fit: invalid target size");
  // Centred crop to the target aspect ratio.
  int crop_w = in.width, crop_h = in.height;
  if (static_cast<long long>(in.width) * height > static_cast<long long>(in.height) * width) {
    crop_w = static_cast<int>(std::lround(static_cast<double>(in.height) * width / height));
  } else {
    crop_h = static_cast<int>(std::lround(static_cast<double>(in.width) * height / width));
  }
  crop_w = std::clamp(crop_w, 1, in.width);
  crop_h = std::clamp(crop_h, 1, in.height);
  int x0 = (in.width - crop_w) / 2, y0 = (in.height - crop_h) / 2;
  auto xt = axis_taps(x0, crop_w, width);
  auto yt = axis_taps(y0, crop_h, height);
  const int ch = in.channels;
  // Horizontal pass into float rows of the cropped height, then vertical. The vertical pass adds
  // whole weighted rows (a loop the compiler vectorizes), and rounds without lround, since the
  // clamped value is never negative.
  const std::size_t row_len = static_cast<std::size_t>(width) * static_cast<std::size_t>(ch);
  // Every element is written below: no zero fill of the 4.6 MB a 600x800 colour face needs.
  std::unique_ptr<float[]> tmp(new float[row_len * static_cast<std::size_t>(crop_h)]);
  for (int y = 0; y < crop_h; ++y) {
    const std::uint8_t* row = &in.pixels[(static_cast<std::size_t>(y0 + y) * in.width) * ch];
    float* out_row = &tmp[static_cast<std::size_t>(y) * row_len];
    switch (ch) {
      case 1:
        horizontal_pass<1>(row, xt, out_row);
        break;
      case 3:
        horizontal_pass<3>(row, xt, out_row);
        break;
      default:
        horizontal_pass_any(row, xt, ch, out_row);
    }
  }
  Raster out{width, height, ch, Bytes(row_len * static_cast<std::size_t>(height))};
  std::vector<float> acc(row_len);
  for (int y = 0; y < height; ++y) {
    const Tap& t = yt[static_cast<std::size_t>(y)];
    // The first weighted row starts the sum (the same sums as adding it to zeros, without clearing).
    if (t.weights.empty()) std::fill(acc.begin(), acc.end(), 0.0F);
    for (std::size_t k = 0; k < t.weights.size(); ++k) {
      const float w = t.weights[k];
      const float* src = &tmp[(static_cast<std::size_t>(t.first - y0) + k) * row_len];
      if (k == 0) {
        for (std::size_t i = 0; i < row_len; ++i) acc[i] = w * src[i];
      } else {
        for (std::size_t i = 0; i < row_len; ++i) acc[i] += w * src[i];
      }
    }
    std::uint8_t* out_row = &out.pixels[static_cast<std::size_t>(y) * row_len];
    for (std::size_t i = 0; i < row_len; ++i)
      out_row[i] = static_cast<std::uint8_t>(std::clamp(acc[i], 0.0F, 255.0F) + 0.5F);
  }
  return out;
}

namespace {

// libjpeg's quality -> quantization table scaling (jpeg_quality_scaling, in percent), at least 1
// (quality 100 scales by 0, but no table entry goes below 1).
double quality_scaling(int quality) {
  return std::max(1.0, quality < 50 ? 5000.0 / quality : 200.0 - 2.0 * quality);
}

double quality_of_scaling(double scaling) {
  return scaling >= 100.0 ? 5000.0 / scaling : (200.0 - scaling) / 2.0;
}

}  // namespace

JpegResult encode_jpeg_within(const Raster& in, std::size_t max_bytes, int min_quality, int max_quality,
                              const std::string& what) {
  min_quality = std::clamp(min_quality, 1, 100);
  max_quality = std::clamp(max_quality, min_quality, 100);
  Bytes top = encode_jpeg(in, max_quality);  // simple images often fit at once
  if (top.size() <= max_bytes) return {std::move(top), max_quality};
  // The answer is in [min_quality, max_quality): keep the highest quality known to fit (`fits`;
  // none yet: min_quality - 1) and the lowest known not to (`too_big`), and probe where the budget
  // falls on a line through log size against log quantization scaling (through both ends once a
  // fit is known; before, with a typical slope), which ends in 3 or 4 encodes where bisecting
  // 30..95 took 8. The same answer as bisection, as the size grows with the quality.
  constexpr double kTypicalSlope = -0.8;  // d log(size) / d log(scaling), photos at high quality
  int fits = min_quality - 1, too_big = max_quality;
  std::size_t fits_size = 0, too_big_size = top.size();
  auto log_of = [](std::size_t bytes) { return std::log(static_cast<double>(bytes)); };
  const double target = std::log(static_cast<double>(max_bytes));
  JpegResult best;
  bool last_fit = false;
  int same_side = 0;  // probes in a row on the same side: the line is off, bisect
  while (too_big - fits > 1) {
    int q = (fits + too_big + 1) / 2;
    if (same_side < 2) {
      const double x_big = std::log(quality_scaling(too_big));
      double slope = kTypicalSlope;
      if (fits >= min_quality) {
        const double x_fits = std::log(quality_scaling(fits));
        if (x_fits > x_big) slope = (log_of(fits_size) - log_of(too_big_size)) / (x_fits - x_big);
      }
      if (slope < 0 && std::isfinite(slope)) {
        const double scaling = std::exp(x_big + (target - log_of(too_big_size)) / slope);
        const double predicted = quality_of_scaling(scaling);
        if (std::isfinite(predicted)) q = static_cast<int>(std::floor(predicted));
      }
    }
    q = std::clamp(q, fits + 1, too_big - 1);
    Bytes candidate = encode_jpeg(in, q);
    const bool fit = candidate.size() <= max_bytes;
    same_side = fit == last_fit ? same_side + 1 : 1;
    last_fit = fit;
    if (fit) {
      fits = q;
      fits_size = candidate.size();
      best = {std::move(candidate), q};
    } else {
      too_big = q;
      too_big_size = candidate.size();
    }
  }
  if (fits < min_quality) {
    throw Error(what + ": does not fit " + std::to_string(max_bytes) + " bytes even at JPEG quality " +
                std::to_string(min_quality) + " (got " + std::to_string(too_big_size) + " bytes)");
  }
  return best;
}

Stats gray_stats(const Raster& in) {
  Raster gray = to_gray(in);
  std::array<std::size_t, 256> histogram{};
  double sum = 0, sum_sq = 0;
  for (auto v : gray.pixels) {
    ++histogram[v];
    sum += v;
    sum_sq += static_cast<double>(v) * v;
  }
  Stats s;
  auto n = static_cast<double>(gray.pixels.size());
  if (n == 0) return s;
  s.mean = sum / n;
  s.stddev = std::sqrt(std::max(0.0, sum_sq / n - s.mean * s.mean));
  auto percentile = [&](double p) {
    auto target = static_cast<std::size_t>(p * n);
    std::size_t acc = 0;
    for (int v = 0; v < 256; ++v) {
      acc += histogram[static_cast<std::size_t>(v)];
      if (acc > target) return v;
    }
    return 255;
  };
  s.dynamic_range = percentile(0.99) - percentile(0.01);
  return s;
}

bool is_blank(const Raster& in) {
  // A fingerprint has ridges: strong, widespread contrast. Paper, a glass
  // platen or a smudge does not. Thresholds on 0..255 gray levels.
  Stats s = gray_stats(in);
  return s.stddev < 12.0 || s.dynamic_range < 48.0;
}

}  // namespace rcperso::image
