// WSQ gray-scale fingerprint compression (FBI IAFIS-IC-0110 v3.1), written
// from the specification: a 9/7 biorthogonal wavelet decomposition into 64
// subbands, scalar quantization with a dead zone, and Huffman coding of
// run-length/coefficient categories. The decoder is strict and bounded (every
// length is checked against the bytes present, dimensions are limited before
// allocation, malformed data is a DecodeError naming the input and marker).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "image/image.hpp"

namespace rcperso::image::wsq {

inline constexpr int kMinDimension = 32;  // five decomposition levels need at least 2 samples at the last
inline constexpr int kMaxDimension = 4096;
inline constexpr double kDefaultBitrate = 0.75;

/// The SOF segment.
struct FrameHeader {
  int black = 0;     // A: the black level
  int white = 255;   // B: the white level
  int width = 0;     // X
  int height = 0;    // Y
  double shift = 0;  // M: added back after the inverse transform
  double scale = 1;  // R: multiplies the reconstructed coefficients
  int encoder = 0;   // Ev: the encoder number
  int software = 0;  // Sf: the software implementation number
};

struct Decoded {
  Raster raster;  // 8-bit gray
  FrameHeader frame;
  std::vector<std::string> comments;                         // every COM segment's text
  std::vector<std::pair<std::string, std::string>> nistcom;  // the first NIST_COM comment, in order
  int ppi = -1;                                              // from NIST_COM "PPI", -1 when absent
};

/// Decodes a WSQ file. Throws DecodeError("<what>: WSQ ...") on anything malformed.
Decoded decode(ByteView data, const std::string& what);
/// Only the markers up to and including SOF (and the comments before it).
FrameHeader probe(ByteView data, const std::string& what);
struct Header {
  FrameHeader frame;
  int ppi = -1;  // from a NIST_COM "PPI" before SOF, -1 when absent
};
Header probe_header(ByteView data, const std::string& what);
bool is_wsq(ByteView data);

struct EncodeOptions {
  double bitrate = kDefaultBitrate;  // target bits per pixel (0.75 is the FBI's 15:1 setting)
  int ppi = 500;
  int software = 0;  // Sf in the frame header
};

/// Encodes an 8-bit gray raster (width and height within [kMinDimension, kMaxDimension]).
/// The file size is searched to within about 2 % of bitrate * width * height / 8.
Bytes encode(const Raster& gray, const EncodeOptions& options, const std::string& what);

struct BudgetResult {
  Bytes data;
  double bitrate = 0;  // achieved bits per pixel
};
/// The largest file that is at most `max_bytes`, at a rate between `min_bitrate` and
/// `max_bitrate`. Throws rcperso::Error naming `what` when even `min_bitrate` does not fit.
BudgetResult encode_within(const Raster& gray, std::size_t max_bytes, double min_bitrate, double max_bitrate,
                           const std::string& what, int ppi = 500);

/// Ridge contrast from the wavelet subbands (no inverse transform). `ridge_rms`
/// is the RMS, in gray levels, of the subbands that hold the ridge frequencies
/// at 500 ppi (about 1/16 to 1/4 cycle per pixel, ridge periods of 4 to 16
/// pixels); `high_rms` the same for the finest subbands (1/4 to 1/2 cycle per
/// pixel, mostly sensor noise). A finger has a strong ridge band and a ridge
/// band much denser in energy than the finest band; blank, flat and
/// noise-only images have one or the other missing.
struct RidgeContrast {
  double ridge_rms = 0;
  double high_rms = 0;
  double concentration = 0;  // ridge-band energy per coefficient over finest-band energy per coefficient
};
/// From the pixels (forward transform only).
RidgeContrast ridge_contrast(const Raster& gray);
/// From a WSQ file (dequantized subbands, no inverse transform).
RidgeContrast ridge_contrast(ByteView wsq_data, const std::string& what);
/// The same figures over the dequantized subband image a full decode builds (slower: the
/// reference that ridge_contrast's streaming sums must equal exactly).
RidgeContrast ridge_contrast_of_subbands(ByteView wsq_data, const std::string& what);
inline constexpr double kMinRidgeRms = 8.0;
inline constexpr double kMinRidgeConcentration = 4.0;
/// The quality gate: false for a blank, near-blank, flat or noise-only image.
bool has_ridge_contrast(const RidgeContrast& contrast);

}  // namespace rcperso::image::wsq
