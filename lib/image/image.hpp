// Image codecs and pixel operations for the biometric inputs: JPEG
// (libjpeg-turbo), PNG (libpng), JPEG 2000 (OpenJPEG) and WSQ (image/wsq.hpp,
// for fingerprints). Every decoder is
// strict and bounded: dimensions are checked before anything is allocated,
// codec errors and warnings become DecodeError naming the input, and the
// codec libraries never print.
#pragma once

#include <cstddef>
#include <string>

#include "core/bytes.hpp"

namespace rcperso::image {

enum class Format { Unknown, Jpeg, Png, Jpeg2000, Wsq };
Format sniff(ByteView data);
const char* format_name(Format);

inline constexpr int kMaxDimension = 20000;
inline constexpr std::size_t kMaxPixels = 100U * 1000U * 1000U;

struct Info {
  Format format = Format::Unknown;
  int width = 0;
  int height = 0;
  int channels = 0;  // in the source: 1 gray, 2 gray+alpha, 3 colour, 4 CMYK or RGBA
  int bit_depth = 0;
  std::string colour_space;  // "gray", "rgb", "ycbcr", "cmyk", "ycck", "palette", "rgba", "gray+alpha"
};

/// Reads only the header. Throws DecodeError("<what>: ...").
Info probe(ByteView data, const std::string& what);

/// 8-bit pixels, row-major, 1 (gray) or 3 (RGB) channels.
struct Raster {
  int width = 0;
  int height = 0;
  int channels = 0;
  Bytes pixels;
};

/// Decodes to gray (gray sources) or RGB (everything else); alpha is
/// composited on white, CMYK converted. `min_width`/`min_height` allow a
/// smaller result (JPEG: DCT scaling; JPEG 2000: fewer wavelet levels) that
/// is still at least that large (0: full size); WSQ always decodes in full.
Raster decode(ByteView data, const std::string& what, int min_width = 0, int min_height = 0);

Raster to_gray(const Raster& in);
Raster to_rgb(const Raster& in);
/// Crops centred to the aspect ratio width:height, then resamples (area
/// average when shrinking, bilinear when enlarging) to exactly that size.
Raster fit(const Raster& in, int width, int height);

Bytes encode_jpeg(const Raster& in, int quality);
struct JpegResult {
  Bytes data;
  int quality = 0;
};
/// The highest quality in [min_quality, max_quality] whose JPEG is at most
/// `max_bytes`. Throws rcperso::Error naming `what` if none fits.
JpegResult encode_jpeg_within(const Raster& in, std::size_t max_bytes, int min_quality, int max_quality,
                              const std::string& what);
Bytes encode_png(const Raster& in);
/// JPEG 2000 in a JP2 container; lossy at `ratio` (e.g. 10 = 10:1), lossless when ratio <= 1.
Bytes encode_jpeg2000(const Raster& in, double ratio);
struct Jpeg2000Result {
  Bytes data;
  double ratio = 0;  // the compression ratio it was made at
};
/// The JPEG 2000 closest below `max_bytes` (within about 3 %) at a ratio of
/// at most `max_ratio`: OpenJPEG's rate control lands near raw/ratio bytes,
/// so a few encodes that rescale the ratio by the size missed converge.
/// Throws rcperso::Error naming `what` if even `max_ratio` does not fit.
Jpeg2000Result encode_jpeg2000_within(const Raster& in, std::size_t max_bytes, double max_ratio,
                                      const std::string& what);

struct Stats {
  double mean = 0;
  double stddev = 0;
  double dynamic_range = 0;  // 99th minus 1st percentile of the gray levels
};
Stats gray_stats(const Raster& in);
/// No usable ridge contrast: a blank, near-blank or uniform image.
bool is_blank(const Raster& in);

}  // namespace rcperso::image
