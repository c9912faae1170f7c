// WSQ codec (FBI IAFIS-IC-0110 v3.1). Layout of this file: markers and the
// filter bank, the 20-node decomposition and its 64 subbands, the wavelet
// transform, Huffman tables, the decoder, the encoder with its bit
// allocation, and the ridge-contrast measure.
#include "image/wsq.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <queue>

#include "core/byte_reader.hpp"
#include "core/error.hpp"

namespace rcperso::image::wsq {

namespace {

// ---------------------------------------------------------------- markers

constexpr std::uint16_t kSOI = 0xFFA0;
constexpr std::uint16_t kEOI = 0xFFA1;
constexpr std::uint16_t kSOF = 0xFFA2;
constexpr std::uint16_t kSOB = 0xFFA3;
constexpr std::uint16_t kDTT = 0xFFA4;
constexpr std::uint16_t kDQT = 0xFFA5;
constexpr std::uint16_t kDHT = 0xFFA6;
constexpr std::uint16_t kDRI = 0xFFA7;
constexpr std::uint16_t kCOM = 0xFFA8;

std::string marker_name(std::uint16_t m) {
  switch (m) {
    case kSOI:
      return "SOI";
    case kEOI:
      return "EOI";
    case kSOF:
      return "SOF";
    case kSOB:
      return "SOB";
    case kDTT:
      return "DTT";
    case kDQT:
      return "DQT";
    case kDHT:
      return "DHT";
    case kDRI:
      return "DRI";
    case kCOM:
      return "COM";
    default:
      break;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%04X", static_cast<unsigned>(m));
  return buf;
}

constexpr int kSubbands = 64;
constexpr int kCodedSubbands = 60;  // 60..63 (the finest diagonal band) are never transmitted
constexpr int kNodes = 20;
// The three blocks of the coefficient stream start at these subbands (spec: 3 blocks).
constexpr int kBlockStart[4] = {0, 19, 52, kCodedSubbands};
constexpr double kBinCentre = 0.44;  // C: reconstruction offset of a bin
constexpr int kMaxHuffmanTables = 8;
constexpr int kMaxCodeLength = 16;
constexpr int kMaxRadius = 15;  // filters of up to 31 taps

// Right halves (centre tap first) of the analysis filters of the spec's 9/7
// whole-sample symmetric biorthogonal filter bank.
constexpr float kAnalysisLow[5] = {0.852698679009f, 0.377402855613f, -0.110624404418f, -0.023849465020f,
                                   0.037828455507f};
constexpr float kAnalysisHigh[4] = {0.788485616406f, -0.418092273222f, -0.040689417609f, 0.064538882629f};

// ---------------------------------------------------------------- scaled values (V / 10^E)

double scaled_value(int exponent, std::uint32_t value) {
  double v = value;
  for (int i = 0; i < exponent; ++i) v /= 10.0;
  return v;
}

struct Scaled {
  std::uint8_t exponent = 0;
  std::uint32_t value = 0;
};

// The most precise E/V pair with V below `limit` (2^16 or 2^32); x at or
// above the limit saturates (only a bin width of an absurd q could).
Scaled to_scaled(double x, double limit) {
  Scaled s;
  if (!(x > 0)) return s;
  double v = x;
  int e = 0;
  while (e < 20 && std::round(v * 10.0) < limit) {
    v *= 10.0;
    ++e;
  }
  s.exponent = static_cast<std::uint8_t>(e);
  s.value = static_cast<std::uint32_t>(std::min(std::round(v), limit - 1));
  return s;
}

// ---------------------------------------------------------------- decomposition layout

struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
};

// The first (left or top) part of a split: the lowpass half (the larger one
// for odd lengths), unless the node is inverted and the highpass half comes first.
int first_part(int length, bool inverted) { return inverted ? length / 2 : (length + 1) / 2; }

std::array<Rect, 4> quadrants(const Rect& r, bool inv_x, bool inv_y) {
  int w0 = first_part(r.w, inv_x);
  int h0 = first_part(r.h, inv_y);
  return {Rect{r.x, r.y, w0, h0}, Rect{r.x + w0, r.y, r.w - w0, h0}, Rect{r.x, r.y + h0, w0, r.h - h0},
          Rect{r.x + w0, r.y + h0, r.w - w0, r.h - h0}};
}

struct Node {
  Rect rect;
  bool inv_x = false;  // highpass columns first
  bool inv_y = false;  // highpass rows first
};

struct Layout {
  std::array<Node, kNodes> nodes;
  std::array<Rect, kSubbands> bands;
};

// Sixteen subbands: a node split in four, each quarter split in four again;
// a quarter right of or below a split is a highpass band and so inverted.
void sixteen(const Node& n, Rect* out) {
  auto children = quadrants(n.rect, n.inv_x, n.inv_y);
  for (int c = 0; c < 4; ++c) {
    auto q = quadrants(children[c], c == 1 || c == 3, c == 2 || c == 3);
    for (int i = 0; i < 4; ++i) out[4 * c + i] = q[i];
  }
}

Layout make_layout(int width, int height) {
  Layout l;
  auto& n = l.nodes;
  n[0].rect = Rect{0, 0, width, height};
  auto q0 = quadrants(n[0].rect, false, false);
  n[1].rect = q0[0];
  n[2].rect = q0[1];
  n[3].rect = q0[2];
  auto q1 = quadrants(n[1].rect, false, false);
  n[14].rect = q1[0];
  n[4].rect = q1[1];
  n[5].rect = q1[2];
  for (int i : {2, 4, 7, 9, 11, 13, 16, 18}) n[i].inv_x = true;
  for (int i : {3, 5, 8, 9, 12, 13, 17, 18}) n[i].inv_y = true;
  auto q4 = quadrants(n[4].rect, n[4].inv_x, n[4].inv_y);
  auto q5 = quadrants(n[5].rect, n[5].inv_x, n[5].inv_y);
  auto q14 = quadrants(n[14].rect, false, false);
  for (int i = 0; i < 4; ++i) {
    n[6 + i].rect = q4[i];
    n[10 + i].rect = q5[i];
    n[15 + i].rect = q14[i];
  }
  n[19].rect = quadrants(n[15].rect, false, false)[0];

  auto& b = l.bands;
  auto q19 = quadrants(n[19].rect, false, false);
  for (int i = 0; i < 4; ++i) b[i] = q19[i];
  Rect tmp[16];
  sixteen(n[14], tmp);
  for (int i = 1; i < 16; ++i) b[3 + i] = tmp[i];  // the first is node 19, split above
  sixteen(n[4], &b[19]);
  sixteen(n[5], &b[35]);
  sixteen(n[0], tmp);
  for (int i = 3; i < 16; ++i) b[48 + i] = tmp[i];  // 0..2 are nodes 14, 4 and 5
  return l;
}

// ---------------------------------------------------------------- wavelet transform

// Whole-sample symmetric extension of an index into [0, n).
inline int reflect(int i, int n) {
  if (n == 1) return 0;
  int period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i >= n ? period - i : i;
}

struct FilterBank {
  std::vector<float> lo, hi;  // analysis right halves, centre first
  int radius = 0;             // the larger half length
  // Synthesis kernels over d = -radius..radius, for even and odd output samples.
  std::vector<float> synth_even, synth_odd;

  void prepare() {
    int a = static_cast<int>(lo.size()) - 1;
    int b = static_cast<int>(hi.size()) - 1;
    radius = std::max(a, b);
    auto tap = [](const std::vector<float>& h, int k) {
      // Synthesis filters are the analysis filters of the other band, alternately negated.
      if (k >= static_cast<int>(h.size())) return 0.0f;
      return (k % 2 == 0) ? h[k] : -h[k];
    };
    synth_even.assign(2 * radius + 1, 0.0f);
    synth_odd.assign(2 * radius + 1, 0.0f);
    for (int d = -radius; d <= radius; ++d) {
      int k = std::abs(d);
      bool d_even = (k % 2) == 0;
      // A lowpass sample sits at an even position: weight slo = tap(hi, .), a highpass one shi = tap(lo, .).
      synth_even[d + radius] = d_even ? tap(hi, k) : tap(lo, k);
      synth_odd[d + radius] = d_even ? tap(lo, k) : tap(hi, k);
    }
  }
};

FilterBank standard_filters() {
  FilterBank f;
  f.lo.assign(std::begin(kAnalysisLow), std::end(kAnalysisLow));
  f.hi.assign(std::begin(kAnalysisHigh), std::end(kAnalysisHigh));
  f.prepare();
  return f;
}

// Copies a line into `ext` with `pad` samples of whole-sample symmetric
// extension on each side (only the pads need the index reflection).
inline void extend(const float* line, int n, int pad, float* ext) {
  std::memcpy(ext + pad, line, sizeof(float) * n);
  for (int i = 1; i <= pad; ++i) {
    ext[pad - i] = line[reflect(-i, n)];
    ext[pad + n - 1 + i] = line[reflect(n - 1 + i, n)];
  }
}

// One level of analysis along a line of n samples (stride 1) into [L | H] or
// [H | L]. kLow/kHigh are the half lengths when known at compile time (the
// spec's 9/7 bank: 4 and 3), 0 for any filter bank.
template <int kLow, int kHigh>
void analyse_line(float* line, int n, bool inverted, const FilterBank& f, std::vector<float>& ext,
                  std::vector<float>& out) {
  const int a = kLow > 0 ? kLow : static_cast<int>(f.lo.size()) - 1;
  const int b = kHigh > 0 ? kHigh : static_cast<int>(f.hi.size()) - 1;
  const int pad = std::max(a, b) + 1;
  extend(line, n, pad, ext.data());
  const float* e = ext.data() + pad;
  const int nl = (n + 1) / 2, nh = n / 2;
  float* low = out.data() + (inverted ? nh : 0);
  float* high = out.data() + (inverted ? 0 : nl);
  const float* lo = f.lo.data();
  const float* hi = f.hi.data();
  for (int k = 0; k < nl; ++k) {
    const float* c = e + 2 * k;
    float s = lo[0] * c[0];
    for (int j = 1; j <= a; ++j) s += lo[j] * (c[-j] + c[j]);
    low[k] = s;
  }
  for (int k = 0; k < nh; ++k) {
    const float* c = e + 2 * k + 1;
    float s = hi[0] * c[0];
    for (int j = 1; j <= b; ++j) s += hi[j] * (c[-j] + c[j]);
    high[k] = s;
  }
  std::memcpy(line, out.data(), sizeof(float) * n);
}

// Inverse of analyse_line; kRadius is the larger half length when known (4), else 0.
template <int kRadius>
void synthesise_line(float* line, int n, bool inverted, const FilterBank& f, std::vector<float>& ext,
                     std::vector<float>& out) {
  const int nl = (n + 1) / 2, nh = n / 2;
  const float* low = line + (inverted ? nh : 0);
  const float* high = line + (inverted ? 0 : nl);
  // Interleave (low at even positions), then extend symmetrically.
  for (int k = 0; k < nh; ++k) {
    out[2 * k] = low[k];
    out[2 * k + 1] = high[k];
  }
  if (nl > nh) out[n - 1] = low[nl - 1];
  const int r = kRadius > 0 ? kRadius : f.radius;
  extend(out.data(), n, r, ext.data());
  const float* e = ext.data();  // e[i + d + r] is sample i + d
  const float* ke = f.synth_even.data();
  const float* ko = f.synth_odd.data();
  int i = 0;
  for (; i + 1 < n; i += 2) {
    float se = 0, so = 0;
    for (int d = 0; d <= 2 * r; ++d) {
      se += ke[d] * e[i + d];
      so += ko[d] * e[i + 1 + d];
    }
    line[i] = se;
    line[i + 1] = so;
  }
  if (i < n) {
    float se = 0;
    for (int d = 0; d <= 2 * r; ++d) se += ke[d] * e[i + d];
    line[i] = se;
  }
}

struct Image {
  int width = 0, height = 0;
  std::vector<float> px;
  float* row(int y) { return px.data() + static_cast<std::size_t>(y) * width; }
};

class Transformer {
 public:
  Transformer(const FilterBank& f, int max_len)
      : f_(f), standard_(f.lo.size() == 5 && f.hi.size() == 4 && f.radius == 4) {
    // Full symmetric analysis filters for the vertical pass.
    for (int j = -static_cast<int>(f.lo.size()) + 1; j < static_cast<int>(f.lo.size()); ++j)
      lo_full_.push_back(f.lo[std::abs(j)]);
    for (int j = -static_cast<int>(f.hi.size()) + 1; j < static_cast<int>(f.hi.size()); ++j)
      hi_full_.push_back(f.hi[std::abs(j)]);
    std::size_t n = static_cast<std::size_t>(max_len) + 2 * (f.radius + 2);
    ext_.assign(n, 0.0f);
    out_.assign(n, 0.0f);
  }

  void forward(Image& img, const Layout& layout) {
    for (int i = 0; i < kNodes; ++i) {
      const Node& n = layout.nodes[i];
      rows(img, n, true);
      columns_forward(img, n);
    }
  }
  void inverse(Image& img, const Layout& layout) {
    for (int i = kNodes - 1; i >= 0; --i) {
      const Node& n = layout.nodes[i];
      columns_inverse(img, n);
      rows(img, n, false);
    }
  }

 private:
  void rows(Image& img, const Node& n, bool analysis) {
    for (int y = 0; y < n.rect.h; ++y) {
      float* line = img.row(n.rect.y + y) + n.rect.x;
      if (analysis) {
        if (standard_) {
          analyse_line<4, 3>(line, n.rect.w, n.inv_x, f_, ext_, out_);
        } else {
          analyse_line<0, 0>(line, n.rect.w, n.inv_x, f_, ext_, out_);
        }
      } else if (standard_) {
        synthesise_line<4>(line, n.rect.w, n.inv_x, f_, ext_, out_);
      } else {
        synthesise_line<0>(line, n.rect.w, n.inv_x, f_, ext_, out_);
      }
    }
  }

  // Vertical filtering works on whole rows of the region at a time, which keeps
  // the memory access sequential and lets the compiler vectorise the inner loop.
  void columns_forward(Image& img, const Node& n) {
    const int w = n.rect.w, h = n.rect.h;
    scratch_.resize(static_cast<std::size_t>(w) * h);
    auto src = [&](int r) -> const float* { return img.row(n.rect.y + reflect(r, h)) + n.rect.x; };
    const int nl = (h + 1) / 2, nh = h / 2;
    const int low0 = n.inv_y ? nh : 0, high0 = n.inv_y ? 0 : nl;
    const int a = static_cast<int>(f_.lo.size()) - 1, b = static_cast<int>(f_.hi.size()) - 1;
    std::array<const float*, 2 * kMaxRadius + 1> rows{};
    for (int k = 0; k < nl; ++k) {
      for (int j = -a; j <= a; ++j) rows[j + a] = src(2 * k + j);
      filter_rows(scratch_.data() + static_cast<std::size_t>(low0 + k) * w, rows.data(), lo_full_.data(),
                  2 * a + 1, w);
    }
    for (int k = 0; k < nh; ++k) {
      for (int j = -b; j <= b; ++j) rows[j + b] = src(2 * k + 1 + j);
      filter_rows(scratch_.data() + static_cast<std::size_t>(high0 + k) * w, rows.data(), hi_full_.data(),
                  2 * b + 1, w);
    }
    copy_back(img, n);
  }

  void columns_inverse(Image& img, const Node& n) {
    const int w = n.rect.w, h = n.rect.h;
    scratch_.resize(static_cast<std::size_t>(w) * h);
    const int nl = (h + 1) / 2, nh = h / 2;
    const int low0 = n.inv_y ? nh : 0, high0 = n.inv_y ? 0 : nl;
    // Row of the interleaved signal (lowpass at even positions) after symmetric extension.
    auto src = [&](int m) -> const float* {
      int p = reflect(m, h);
      int band_row = (p % 2 == 0) ? low0 + p / 2 : high0 + p / 2;
      return img.row(n.rect.y + band_row) + n.rect.x;
    };
    const int r = f_.radius;
    std::array<const float*, 2 * kMaxRadius + 1> rows{};
    for (int i = 0; i < h; ++i) {
      const float* kern = (i % 2 == 0) ? f_.synth_even.data() : f_.synth_odd.data();
      for (int d = -r; d <= r; ++d) rows[d + r] = src(i + d);
      filter_rows(scratch_.data() + static_cast<std::size_t>(i) * w, rows.data(), kern, 2 * r + 1, w);
    }
    copy_back(img, n);
  }

  // dst[x] = sum over t of k[t] * rows[t][x]: one pass per output row, vectorised over x.
  void filter_rows(float* dst, const float* const* rows, const float* k, int taps, int w) const {
    if (standard_ && taps == 9) {
      filter_rows_fixed<9>(dst, rows, k, w);
    } else if (standard_ && taps == 7) {
      filter_rows_fixed<7>(dst, rows, k, w);
    } else {
      for (int x = 0; x < w; ++x) {
        float s = 0;
        for (int t = 0; t < taps; ++t) s += k[t] * rows[t][x];
        dst[x] = s;
      }
    }
  }
  template <int kTaps>
  static void filter_rows_fixed(float* __restrict dst, const float* const* rows, const float* k, int w) {
    float c[kTaps];
    const float* p[kTaps];
    for (int t = 0; t < kTaps; ++t) {
      c[t] = k[t];
      p[t] = rows[t];
    }
    for (int x = 0; x < w; ++x) {
      float s = 0;
      for (int t = 0; t < kTaps; ++t) s += c[t] * p[t][x];
      dst[x] = s;
    }
  }
  void copy_back(Image& img, const Node& n) {
    for (int y = 0; y < n.rect.h; ++y) {
      std::memcpy(img.row(n.rect.y + y) + n.rect.x, scratch_.data() + static_cast<std::size_t>(y) * n.rect.w,
                  sizeof(float) * n.rect.w);
    }
  }

  const FilterBank& f_;
  bool standard_;  // the 9/7 bank: fixed loop bounds the compiler unrolls
  std::vector<float> ext_, out_, scratch_, lo_full_, hi_full_;
};

// ---------------------------------------------------------------- Huffman tables

struct HuffmanTable {
  std::array<std::uint8_t, kMaxCodeLength> counts{};  // codes of length 1..16
  std::vector<std::uint8_t> values;                   // in order of increasing code length
  bool defined = false;
};

// Canonical decoding: a 10-bit lookup for short codes, the length-by-length search for the rest.
class HuffmanDecoder {
 public:
  static constexpr int kFastBits = 10;

  HuffmanDecoder(const HuffmanTable& t, const std::string& what, int id) {
    fast_.fill(0);
    int code = 0, k = 0;
    for (int len = 1; len <= kMaxCodeLength; ++len) {
      int count = t.counts[len - 1];
      first_index_[len] = k;
      first_code_[len] = code;
      for (int i = 0; i < count; ++i, ++k, ++code) {
        if (code >= (1 << len)) {
          throw DecodeError(what + ": WSQ DHT table " + std::to_string(id) + ": more codes than fit in " +
                            std::to_string(len) + " bits");
        }
        if (len <= kFastBits) {
          int shift = kFastBits - len;
          for (int fill = 0; fill < (1 << shift); ++fill) {
            fast_[(code << shift) | fill] = static_cast<std::uint16_t>((len << 8) | t.values[k]);
          }
        }
      }
      last_code_[len] = code - 1;  // -1 (none) when first_code_ == code
      count_[len] = count;
      code <<= 1;
    }
    values_ = t.values;
  }

  // Returns the symbol and its length in bits given up to 16 bits of lookahead (MSB first), 0 length if none.
  std::pair<int, int> lookup(std::uint32_t bits16) const {
    std::uint16_t e = fast_[bits16 >> (kMaxCodeLength - kFastBits)];
    if (e != 0) return {e & 0xFF, e >> 8};
    for (int len = kFastBits + 1; len <= kMaxCodeLength; ++len) {
      int code = static_cast<int>(bits16 >> (kMaxCodeLength - len));
      if (count_[len] > 0 && code >= first_code_[len] && code <= last_code_[len]) {
        return {values_[first_index_[len] + code - first_code_[len]], len};
      }
    }
    return {0, 0};
  }

 private:
  std::array<std::uint16_t, 1 << kFastBits> fast_;
  std::array<int, kMaxCodeLength + 1> first_code_{}, last_code_{}, first_index_{}, count_{};
  std::vector<std::uint8_t> values_;
};

// Code lengths (limited to 16 bits, the all-ones code kept free) from symbol frequencies.
HuffmanTable build_table(const std::array<std::uint32_t, 256>& freq) {
  struct Item {
    std::uint64_t weight;
    int id;
  };
  // Symbol 256 is a placeholder with the smallest weight: it takes the all-ones code, removed at the end.
  std::vector<int> parent(2 * 257, -1);
  std::vector<int> symbols;
  for (int s = 0; s < 256; ++s) {
    if (freq[s] > 0) symbols.push_back(s);
  }
  if (symbols.empty()) symbols.push_back(1);  // an empty block still needs a valid table
  auto cmp = [](const Item& x, const Item& y) {
    return x.weight > y.weight || (x.weight == y.weight && x.id < y.id);
  };
  std::priority_queue<Item, std::vector<Item>, decltype(cmp)> heap(cmp);
  for (int s : symbols) heap.push({std::max<std::uint64_t>(freq[s], 1) * 2, s});
  heap.push({1, 256});
  int next = 257;
  while (heap.size() > 1) {
    Item x = heap.top();
    heap.pop();
    Item y = heap.top();
    heap.pop();
    parent[x.id] = next;
    parent[y.id] = next;
    heap.push({x.weight + y.weight, next});
    ++next;
  }
  auto depth = [&](int id) {
    int d = 0;
    while (parent[id] >= 0) {
      id = parent[id];
      ++d;
    }
    return d;
  };
  std::array<int, 300> bits{};
  std::vector<std::pair<int, int>> by_length;  // (length, symbol)
  for (int s : symbols) {
    int d = depth(s);
    ++bits[d];
    by_length.push_back({d, s});
  }
  ++bits[depth(256)];
  // Limit to 16 bits (the procedure of JPEG Annex K.3: move pairs up, split a shorter code).
  for (int i = 299; i > kMaxCodeLength; --i) {
    while (bits[i] > 0) {
      int j = i - 2;
      while (bits[j] == 0) --j;
      bits[i] -= 2;
      bits[i - 1] += 1;
      bits[j + 1] += 2;
      bits[j] -= 1;
    }
  }
  int longest = kMaxCodeLength;
  while (bits[longest] == 0) --longest;
  bits[longest] -= 1;  // the placeholder's code
  // Frequent symbols get the short codes.
  std::sort(by_length.begin(), by_length.end(), [&](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first < y.first;
    if (freq[x.second] != freq[y.second]) return freq[x.second] > freq[y.second];
    return x.second < y.second;
  });
  HuffmanTable t;
  t.defined = true;
  for (int len = 1; len <= kMaxCodeLength; ++len) t.counts[len - 1] = static_cast<std::uint8_t>(bits[len]);
  for (auto& [len, s] : by_length) t.values.push_back(static_cast<std::uint8_t>(s));
  return t;
}

struct EncoderCodes {
  std::array<std::uint16_t, 256> code{};
  std::array<std::uint8_t, 256> length{};
};

EncoderCodes encoder_codes(const HuffmanTable& t) {
  EncoderCodes c;
  int code = 0, k = 0;
  for (int len = 1; len <= kMaxCodeLength; ++len) {
    for (int i = 0; i < t.counts[len - 1]; ++i, ++k, ++code) {
      c.code[t.values[k]] = static_cast<std::uint16_t>(code);
      c.length[t.values[k]] = static_cast<std::uint8_t>(len);
    }
    code <<= 1;
  }
  return c;
}

// ---------------------------------------------------------------- coefficient symbols

// Category symbols of the spec's Table: 1..100 a run of that many zeros,
// 101/102 a positive/negative coefficient in 8 more bits, 103/104 the same in
// 16 bits, 105/106 a zero run in 8/16 bits, 107..254 the coefficient
// symbol - 180 (-73..74).
constexpr int kRun8 = 105, kRun16 = 106, kPos8 = 101, kNeg8 = 102, kPos16 = 103, kNeg16 = 104;
constexpr int kValueOffset = 180;
constexpr int kMinInline = 107 - kValueOffset, kMaxInline = 254 - kValueOffset;

struct Symbol {
  std::uint8_t sym;
  std::uint8_t extra_bits;  // 0, 8 or 16
  std::uint16_t extra;
};

void emit_run(std::vector<Symbol>& out, std::uint32_t run) {
  while (run > 0) {
    if (run <= 100) {
      out.push_back({static_cast<std::uint8_t>(run), 0, 0});
      return;
    }
    if (run <= 255) {
      out.push_back({kRun8, 8, static_cast<std::uint16_t>(run)});
      return;
    }
    std::uint32_t part = std::min<std::uint32_t>(run, 65535);
    out.push_back({kRun16, 16, static_cast<std::uint16_t>(part)});
    run -= part;
  }
}

void symbolise(const int* q, std::size_t n, std::vector<Symbol>& out) {
  std::uint32_t run = 0;
  for (std::size_t i = 0; i < n; ++i) {
    int v = q[i];
    if (v == 0) {
      ++run;
      continue;
    }
    emit_run(out, run);
    run = 0;
    if (v >= kMinInline && v <= kMaxInline) {
      out.push_back({static_cast<std::uint8_t>(v + kValueOffset), 0, 0});
    } else {
      unsigned mag = static_cast<unsigned>(std::abs(v));
      if (mag <= 255) {
        out.push_back({static_cast<std::uint8_t>(v > 0 ? kPos8 : kNeg8), 8, static_cast<std::uint16_t>(mag)});
      } else {
        out.push_back(
            {static_cast<std::uint8_t>(v > 0 ? kPos16 : kNeg16), 16, static_cast<std::uint16_t>(mag)});
      }
    }
  }
  emit_run(out, run);
}

// ---------------------------------------------------------------- the quantization table

struct QuantTable {
  double bin_centre = kBinCentre;
  std::array<double, kSubbands> q{};  // bin width, 0: subband not transmitted
  std::array<double, kSubbands> z{};  // zero-bin width
  bool defined = false;
};

std::size_t coded_count(const QuantTable& qt, const Layout& layout) {
  std::size_t n = 0;
  for (int k = 0; k < kCodedSubbands; ++k) {
    if (qt.q[k] > 0) n += static_cast<std::size_t>(layout.bands[k].w) * layout.bands[k].h;
  }
  return n;
}

void check_frame_dimensions(long long width, long long height, const std::string& what) {
  if (width < kMinDimension || height < kMinDimension || width > kMaxDimension || height > kMaxDimension) {
    throw DecodeError(what + ": WSQ SOF: " + std::to_string(width) + "x" + std::to_string(height) +
                      " is outside the supported " + std::to_string(kMinDimension) + ".." +
                      std::to_string(kMaxDimension) + " pixels per side");
  }
}

// ---------------------------------------------------------------- decoder

class Parser {
 public:
  Parser(ByteView data, const std::string& what) : data_(data), what_(what) {}

  [[noreturn]] void fail(const std::string& msg) const {
    throw DecodeError(what_ + ": WSQ " + msg + " (offset " + std::to_string(pos_) + ")");
  }

  // A marker, after any 0xFF fill bytes.
  std::uint16_t marker() {
    if (pos_ >= data_.size() || data_[pos_] != 0xFF) fail("expected a marker");
    while (pos_ + 1 < data_.size() && data_[pos_ + 1] == 0xFF) ++pos_;
    if (pos_ + 2 > data_.size()) fail("truncated marker");
    auto m = static_cast<std::uint16_t>(0xFF00 | data_[pos_ + 1]);
    pos_ += 2;
    return m;
  }

  // The segment after a marker: its length field counts itself.
  ByteReader segment(std::uint16_t m) {
    std::string ctx = what_ + ": WSQ " + marker_name(m) + " segment";
    if (pos_ + 2 > data_.size()) fail(marker_name(m) + " segment: truncated length");
    std::size_t len = (static_cast<std::size_t>(data_[pos_]) << 8) | data_[pos_ + 1];
    if (len < 2) fail(marker_name(m) + " segment: length " + std::to_string(len) + " is too short");
    if (pos_ + len > data_.size()) {
      fail(marker_name(m) + " segment: length " + std::to_string(len) + " runs past the end of the data");
    }
    ByteReader r(data_.subspan(pos_ + 2, len - 2), ctx);
    pos_ += len;
    return r;
  }

  // Entropy-coded bytes up to the next marker, with the stuffed 0x00 after
  // each 0xFF removed, followed by 4 bytes of 1-bits (padding for the bit
  // reader's lookahead, not counted in the returned size).
  std::size_t entropy_data(std::vector<std::uint8_t>& out) {
    out.clear();
    while (true) {
      if (pos_ >= data_.size()) fail("entropy-coded data runs to the end of the data without EOI");
      // Everything up to the next 0xFF at once.
      const auto* from = data_.data() + pos_;
      const auto* ff = static_cast<const std::uint8_t*>(std::memchr(from, 0xFF, data_.size() - pos_));
      const std::size_t plain = ff == nullptr ? data_.size() - pos_ : static_cast<std::size_t>(ff - from);
      if (plain > 0) {
        out.insert(out.end(), from, from + plain);
        pos_ += plain;
        continue;
      }
      if (pos_ + 1 >= data_.size()) fail("entropy-coded data ends in a lone 0xFF");
      if (data_[pos_ + 1] == 0x00) {
        out.push_back(0xFF);
        pos_ += 2;
        continue;
      }
      std::size_t size = out.size();  // a marker
      out.insert(out.end(), 4, 0xFF);
      return size;
    }
  }

  std::size_t position() const { return pos_; }

 private:
  ByteView data_;
  const std::string& what_;
  std::size_t pos_ = 0;
};

struct DecoderState {
  FrameHeader frame;
  bool have_frame = false;
  FilterBank filters;
  bool have_filters = false;
  QuantTable quant;
  std::array<HuffmanTable, kMaxHuffmanTables> tables;
  std::vector<std::string> comments;
  std::vector<std::pair<std::string, std::string>> nistcom;
  bool have_nistcom = false;
  int ppi = -1;
};

void read_transform_table(ByteReader r, DecoderState& st) {
  int low_len = r.u8("lowpass filter length");
  int high_len = r.u8("highpass filter length");
  if (low_len % 2 == 0 || high_len % 2 == 0 || low_len < 3 || high_len < 3 || low_len > 31 || high_len > 31) {
    r.fail("filter lengths " + std::to_string(low_len) + "/" + std::to_string(high_len) +
           " are not supported (odd lengths 3..31, whole-sample symmetric)");
  }
  auto read_half = [&](int len, const char* which) {
    std::vector<float> half;
    for (int i = 0; i < (len + 1) / 2; ++i) {
      int sign = r.u8(which);
      int exponent = r.u8(which);
      std::uint32_t value = r.u32(which);
      if (sign > 1) r.fail(std::string(which) + " coefficient sign byte " + std::to_string(sign));
      double v = scaled_value(exponent, value);
      half.push_back(static_cast<float>(sign ? -v : v));
    }
    return half;
  };
  st.filters.lo = read_half(low_len, "lowpass coefficient");
  st.filters.hi = read_half(high_len, "highpass coefficient");
  r.expect_end();
  st.filters.prepare();
  st.have_filters = true;
}

void read_quant_table(ByteReader r, DecoderState& st) {
  int ec = r.u8("bin centre exponent");
  st.quant.bin_centre = scaled_value(ec, r.u16("bin centre"));
  for (int k = 0; k < kSubbands; ++k) {
    int eq = r.u8("bin width exponent");
    std::uint16_t q = r.u16("bin width");
    int ez = r.u8("zero bin exponent");
    std::uint16_t z = r.u16("zero bin width");
    st.quant.q[k] = scaled_value(eq, q);
    st.quant.z[k] = scaled_value(ez, z);
  }
  r.expect_end();
  st.quant.defined = true;
}

void read_huffman_tables(ByteReader r, DecoderState& st) {
  if (r.remaining() == 0) r.fail("no table");
  while (r.remaining() > 0) {
    int id = r.u8("table id");
    if (id >= kMaxHuffmanTables) r.fail("table id " + std::to_string(id) + " (0..7 allowed)");
    HuffmanTable t;
    int total = 0;
    for (int i = 0; i < kMaxCodeLength; ++i) {
      t.counts[i] = r.u8("code counts");
      total += t.counts[i];
    }
    if (total == 0 || total > 256)
      r.fail("table " + std::to_string(id) + " has " + std::to_string(total) + " codes");
    ByteView v = r.bytes(static_cast<std::size_t>(total), "code values");
    t.values.assign(v.begin(), v.end());
    // Kraft: the canonical codes must fit in their lengths.
    long long capacity = 1;
    for (int i = 0; i < kMaxCodeLength; ++i) {
      capacity = capacity * 2 - t.counts[i];
      if (capacity < 0)
        r.fail("table " + std::to_string(id) + ": more codes than fit in " + std::to_string(i + 1) + " bits");
    }
    t.defined = true;
    st.tables[id] = std::move(t);
  }
}

void parse_nistcom(const std::string& text, DecoderState& st) {
  st.have_nistcom = true;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t sp = line.find_first_of(" \t");
    std::string key = line.substr(0, sp);
    std::string value;
    if (sp != std::string::npos) {
      std::size_t v0 = line.find_first_not_of(" \t", sp);
      if (v0 != std::string::npos) value = line.substr(v0);
    }
    if (key.empty()) continue;
    if (key == "PPI") {
      char* endp = nullptr;
      long ppi = std::strtol(value.c_str(), &endp, 10);
      if (endp != value.c_str() && ppi > 0 && ppi < 100000) st.ppi = static_cast<int>(ppi);
    }
    st.nistcom.emplace_back(std::move(key), std::move(value));
  }
}

void read_comment(ByteReader r, DecoderState& st) {
  ByteView body = r.bytes(r.remaining(), "comment");
  std::string text(body.begin(), body.end());
  if (auto nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
  if (!st.have_nistcom && text.rfind("NIST_COM", 0) == 0) parse_nistcom(text, st);
  st.comments.push_back(std::move(text));
}

FrameHeader read_frame(ByteReader r, const std::string& what) {
  FrameHeader f;
  f.black = r.u8("black");
  f.white = r.u8("white");
  f.height = r.u16("height");
  f.width = r.u16("width");
  int em = r.u8("shift exponent");
  f.shift = scaled_value(em, r.u16("shift"));
  int er = r.u8("scale exponent");
  f.scale = scaled_value(er, r.u16("scale"));
  f.encoder = r.u8("encoder number");
  f.software = r.u16("software id");
  r.expect_end();
  check_frame_dimensions(f.width, f.height, what);
  if (!(f.scale > 0) || !std::isfinite(f.scale)) r.fail("scale R is zero");
  return f;
}

// Table and comment segments that may appear before the frame and between blocks.
bool read_table_segment(Parser& p, std::uint16_t m, DecoderState& st) {
  switch (m) {
    case kDTT:
      read_transform_table(p.segment(m), st);
      return true;
    case kDQT:
      read_quant_table(p.segment(m), st);
      return true;
    case kDHT:
      read_huffman_tables(p.segment(m), st);
      return true;
    case kCOM:
      read_comment(p.segment(m), st);
      return true;
    case kDRI:
      p.fail("DRI: restart intervals are not supported");
    default:
      return false;
  }
}

// Bits MSB first from an unstuffed block.
class BitReader {
 public:
  // `d` holds `size` bytes of data and at least 3 bytes of padding after them.
  BitReader(const std::vector<std::uint8_t>& d, std::size_t size) : d_(d.data()), total_(8 * size) {}
  std::size_t remaining() const { return total_ - pos_; }
  // 16 bits of lookahead, 1-bits past the end (the padding value).
  std::uint32_t peek16() const {
    std::uint32_t w;  // the 4 bytes from pos_'s byte on, big-endian: pos_ & 7 + 16 bits fit
    std::memcpy(&w, d_ + (pos_ >> 3), sizeof w);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap32(w);
    return (w << (pos_ & 7)) >> 16;
  }
  void skip(int n) { pos_ += static_cast<std::size_t>(n); }
  bool rest_is_padding() const {
    std::size_t left = remaining();
    if (left >= 8) return false;
    std::uint32_t bits = peek16() >> (16 - left);
    return bits == (1u << left) - 1;
  }

 private:
  const std::uint8_t* d_;
  std::size_t total_;
  std::size_t pos_ = 0;
};

// What a category symbol means when it needs no extra bits: how many coefficients it covers and
// the value of the first (0 for a zero run), so the hot loop does not branch on the category.
struct SymbolMeaning {
  std::uint8_t kind = 0;  // kInline, kExtraBits or 0: not a valid category
  std::uint8_t advance = 0;
  std::int16_t value = 0;
};
constexpr std::uint8_t kInline = 1, kExtraBits = 2;
constexpr std::array<SymbolMeaning, 256> kSymbolMeanings = [] {
  std::array<SymbolMeaning, 256> m{};
  for (int sym = 1; sym <= 100; ++sym) m[sym] = {kInline, static_cast<std::uint8_t>(sym), 0};
  for (int sym = 107; sym <= 254; ++sym) m[sym] = {kInline, 1, static_cast<std::int16_t>(sym - kValueOffset)};
  for (int sym = kPos8; sym <= kRun16; ++sym) m[sym] = {kExtraBits, 0, 0};
  return m;
}();

// Entropy-decodes one block. For each symbol, `sink.code(index, value)` gets the index of its first
// coefficient and that coefficient's value (0 for a zero run); `count` (of `total` coefficients in
// all blocks) advances past the symbol's coefficients.
template <typename Sink>
void decode_block(const std::vector<std::uint8_t>& data, std::size_t size, const HuffmanDecoder& dec,
                  Sink& sink, std::size_t total, std::size_t& counted, int block, const std::string& what) {
  BitReader br(data, size);
  std::size_t count = counted;  // a local the compiler keeps in a register
  auto bad = [&](const std::string& msg) {
    throw DecodeError(what + ": WSQ block " + std::to_string(block) + ": " + msg);
  };
  auto overrun = [&](bool is_value) {
    bad(std::string(is_value ? "Huffman data" : "zero run") + " overruns the subbands (" +
        std::to_string(total) + " coefficients)");
  };
  while (br.remaining() > 0) {
    if (br.rest_is_padding()) break;
    auto [sym, len] = dec.lookup(br.peek16());
    if (len == 0) bad("invalid Huffman code");
    if (static_cast<std::size_t>(len) > br.remaining()) bad("Huffman data truncated");
    br.skip(len);
    const SymbolMeaning meaning = kSymbolMeanings[static_cast<std::size_t>(sym)];
    if (meaning.kind == kInline) {
      const bool is_value = sym >= 107;
      if (meaning.advance > total - count) overrun(is_value);
      sink.code(count, meaning.value);
      count += meaning.advance;
      continue;
    }
    if (meaning.kind != kExtraBits) bad("invalid category symbol " + std::to_string(sym));
    const int bits = sym == kPos16 || sym == kNeg16 || sym == kRun16 ? 16 : 8;
    if (static_cast<std::size_t>(bits) > br.remaining()) bad("Huffman data truncated");
    const int extra = static_cast<int>(br.peek16() >> (16 - bits));
    br.skip(bits);
    if (sym == kRun8 || sym == kRun16) {
      if (static_cast<std::size_t>(extra) > total - count) overrun(false);
      if (extra > 0) sink.code(count, 0);
      count += static_cast<std::size_t>(extra);
    } else {
      if (count >= total) overrun(true);
      sink.code(count, sym == kNeg8 || sym == kNeg16 ? -extra : extra);
      ++count;
    }
  }
  counted = count;
}

bool same_quantization(const QuantTable& a, const QuantTable& b) {
  return a.bin_centre == b.bin_centre && a.q == b.q && a.z == b.z;
}

/// Reads a WSQ file up to EOI with every header, table and entropy check of a full decode, and hands
/// the coded coefficients to the sink: `sink.start(total)` once the first block fixes their number
/// (from the quantization table), then `sink.code(index, value)` for each symbol (see decode_block)
/// in stream order (subband by subband, each row by row).
template <typename Sink>
void read_coded(ByteView data, const std::string& what, DecoderState& st, Layout& layout, Sink& sink) {
  Parser p(data, what);
  if (p.marker() != kSOI) p.fail("does not start with SOI");
  while (true) {
    std::uint16_t m = p.marker();
    if (m == kSOF) {
      st.frame = read_frame(p.segment(m), what);
      st.have_frame = true;
      break;
    }
    if (!read_table_segment(p, m, st)) p.fail("unexpected " + marker_name(m) + " before SOF");
  }
  layout = make_layout(st.frame.width, st.frame.height);
  std::size_t total = 0, count = 0;
  QuantTable sized_by;
  int blocks = 0;
  std::vector<std::uint8_t> entropy;
  while (true) {
    std::uint16_t m = p.marker();
    if (m == kEOI) break;
    if (read_table_segment(p, m, st)) continue;
    if (m != kSOB) p.fail("unexpected " + marker_name(m) + " after SOF");
    ByteReader hdr = p.segment(m);
    int id = hdr.u8("table selector");
    hdr.expect_end();
    if (id >= kMaxHuffmanTables || !st.tables[id].defined) {
      p.fail("SOB: block " + std::to_string(blocks + 1) + " selects undefined Huffman table " +
             std::to_string(id));
    }
    if (!st.quant.defined) p.fail("SOB: block before any DQT");
    if (blocks == 0) {
      total = coded_count(st.quant, layout);
      sized_by = st.quant;
      sink.start(total);
    } else if (!same_quantization(st.quant, sized_by)) {
      // The coefficients' number and meaning come from the table the first block was read with.
      p.fail("DQT: the quantization table changes after the first block");
    }
    ++blocks;
    HuffmanDecoder dec(st.tables[id], what, id);
    std::size_t size = p.entropy_data(entropy);
    decode_block(entropy, size, dec, sink, total, count, blocks, what);
  }
  if (blocks == 0) p.fail("no SOB block");
  if (!st.have_filters) p.fail("no DTT transform table");
  if (!same_quantization(st.quant, sized_by))
    p.fail("DQT: the quantization table changes after the first block");
  if (count != total) {
    p.fail("Huffman data ends after " + std::to_string(count) + " of " + std::to_string(total) +
           " coefficients");
  }
}

// The dequantized value of coded coefficient p of a subband with bin width q and zero bin z, in
// normalized units: Q (p - C) + Z/2 for p > 0, Q (p + C) - Z/2 for p < 0.
inline float dequantized(int v, double q, double c, double half_z) {
  return static_cast<float>(v > 0 ? q * (v - c) + half_z : q * (v + c) - half_z);
}

struct Coefficients {
  DecoderState st;
  Layout layout;
  Image img;  // dequantized subbands, normalized units
};

Coefficients decode_coefficients(ByteView data, const std::string& what) {
  Coefficients out;
  DecoderState& st = out.st;
  struct CoefficientArray {
    std::vector<int> coef;
    void start(std::size_t total) { coef.assign(total, 0); }
    void code(std::size_t index, int value) { coef[index] = value; }
  } sink;
  read_coded(data, what, st, out.layout, sink);
  const std::vector<int>& coef = sink.coef;
  out.img.width = st.frame.width;
  out.img.height = st.frame.height;
  out.img.px.assign(static_cast<std::size_t>(st.frame.width) * st.frame.height, 0.0f);
  std::size_t i = 0;
  const double c = st.quant.bin_centre;
  for (int k = 0; k < kCodedSubbands; ++k) {
    double q = st.quant.q[k];
    if (!(q > 0)) continue;
    double half_z = st.quant.z[k] / 2.0;
    const Rect& b = out.layout.bands[k];
    for (int y = 0; y < b.h; ++y) {
      float* row = out.img.row(b.y + y) + b.x;
      for (int x = 0; x < b.w; ++x) {
        int v = coef[i++];
        if (v != 0) row[x] = dequantized(v, q, c, half_z);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- encoder

void put16(Bytes& out, unsigned v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

class BitWriter {
 public:
  explicit BitWriter(Bytes& out) : out_(out) {}
  void put(std::uint32_t bits, int n) {
    acc_ = (acc_ << n) | (bits & ((1u << n) - 1));
    fill_ += n;
    while (fill_ >= 8) {
      fill_ -= 8;
      byte(static_cast<std::uint8_t>(acc_ >> fill_));
    }
    acc_ &= (1ull << fill_) - 1;
  }
  void flush() {  // pad with 1-bits
    if (fill_ > 0) put((1u << (8 - fill_)) - 1, 8 - fill_);
  }

 private:
  void byte(std::uint8_t b) {
    out_.push_back(b);
    if (b == 0xFF) out_.push_back(0x00);
  }
  Bytes& out_;
  std::uint64_t acc_ = 0;
  int fill_ = 0;
};

struct Analysis {
  int width = 0, height = 0;
  double shift = 0, scale = 1;
  Layout layout;
  Image img;  // subbands
  std::array<double, kSubbands> variance{};
};

double mean_of(const Raster& r) {
  double s = 0;
  for (auto p : r.pixels) s += p;
  return s / static_cast<double>(r.pixels.size());
}

Analysis analyse(const Raster& gray, const std::string& what) {
  if (gray.channels != 1)
    throw Error(what + ": WSQ encodes 8-bit gray images only (" + std::to_string(gray.channels) +
                " channels)");
  if (gray.width < kMinDimension || gray.height < kMinDimension || gray.width > kMaxDimension ||
      gray.height > kMaxDimension) {
    throw Error(what + ": " + std::to_string(gray.width) + "x" + std::to_string(gray.height) +
                " is outside what WSQ supports here (" + std::to_string(kMinDimension) + ".." +
                std::to_string(kMaxDimension) + " pixels per side)");
  }
  if (gray.pixels.size() != static_cast<std::size_t>(gray.width) * gray.height) {
    throw Error(what + ": raster size does not match its dimensions");
  }
  Analysis a;
  a.width = gray.width;
  a.height = gray.height;
  // Normalization: M the mean, R so that the normalized image is within [-128, 128).
  double mean = mean_of(gray);
  auto [mn, mx] = std::minmax_element(gray.pixels.begin(), gray.pixels.end());
  double r = std::max(mean - *mn, *mx - mean) / 128.0;
  // Use the values as the header will carry them, so that encoder and decoder agree.
  Scaled sm = to_scaled(mean, 65536.0);
  Scaled sr = to_scaled(r > 0 ? r : 1.0, 65536.0);
  a.shift = scaled_value(sm.exponent, sm.value);
  a.scale = scaled_value(sr.exponent, sr.value);
  if (!(a.scale > 0)) a.scale = 1.0;
  a.layout = make_layout(a.width, a.height);
  a.img.width = a.width;
  a.img.height = a.height;
  a.img.px.resize(gray.pixels.size());
  const float inv = static_cast<float>(1.0 / a.scale), m = static_cast<float>(a.shift);
  for (std::size_t i = 0; i < gray.pixels.size(); ++i)
    a.img.px[i] = (static_cast<float>(gray.pixels[i]) - m) * inv;
  static const FilterBank filters = standard_filters();
  Transformer t(filters, std::max(a.width, a.height));
  t.forward(a.img, a.layout);
  // Subband variances: over the central part of each band as the spec does
  // (the first four always; the rest over the whole band when the lowest four are quiet).
  auto var = [&](int k, bool cropped) {
    const Rect& b = a.layout.bands[k];
    int x0 = 0, y0 = 0, w = b.w, h = b.h;
    if (cropped) {
      x0 = b.w / 8;
      y0 = (9 * b.h) / 32;
      w = (3 * b.w) / 4;
      h = (7 * b.h) / 16;
    }
    if (w * h < 2) return 0.0;
    double s = 0, ss = 0;
    for (int y = 0; y < h; ++y) {
      const float* row = a.img.row(b.y + y0 + y) + b.x + x0;
      for (int x = 0; x < w; ++x) {
        s += row[x];
        ss += static_cast<double>(row[x]) * row[x];
      }
    }
    double n = static_cast<double>(w) * h;
    return (ss - s * s / n) / (n - 1.0);
  };
  double low_sum = 0;
  for (int k = 0; k < 4; ++k) low_sum += (a.variance[k] = var(k, true));
  bool whole = low_sum < 20000.0;
  for (int k = 0; k < kCodedSubbands; ++k) a.variance[k] = var(k, !whole);
  return a;
}

// The spec's bit allocation: relative bin widths from the subband variances,
// and the overall factor q that a target rate gives.
// A subband whose bin would reach 5 sigma carries (almost) nothing and is
// not transmitted; which ones that are depends on q, so the size search
// re-applies the rule at every q it tries (at the spec's own q it gives the
// spec's set).
struct Allocation {
  std::array<double, kSubbands> relative{};  // Q_k * q; 0 for subbands with variance below 1.01
  std::array<double, kSubbands> sigma{};
  double q = 1;
  bool transmitted(int k, double at_q) const {
    return relative[k] > 0 && relative[k] / at_q < 5.0 * sigma[k];
  }
};

Allocation allocate(const Analysis& a, double bitrate) {
  Allocation al;
  std::array<double, kSubbands> weight;
  weight.fill(1.0);
  const double tail[8] = {1.32, 1.08, 1.42, 1.08, 1.32, 1.42, 1.08, 1.08};
  for (int k = 52; k < 60; ++k) weight[k] = tail[k - 52];
  std::array<bool, kSubbands> active{};
  for (int k = 0; k < kCodedSubbands; ++k) {
    if (a.variance[k] < 1.01) continue;
    active[k] = true;
    al.relative[k] = k < 4 ? 1.0 : 10.0 / (weight[k] * std::log(a.variance[k]));
  }
  auto size_fraction = [](int k) { return k < 4 ? 1.0 / 1024 : k < 51 ? 1.0 / 256 : 1.0 / 16; };
  double q = 1;
  for (int round = 0; round < kSubbands; ++round) {
    double s = 0, log_p = 0;
    for (int k = 0; k < kCodedSubbands; ++k) {
      if (!active[k]) continue;
      s += size_fraction(k);
      log_p += size_fraction(k) * std::log(std::sqrt(a.variance[k]) / al.relative[k]);
    }
    if (s <= 0) break;
    q = (std::pow(2.0, bitrate / s - 1.0) / 2.5) / std::exp(log_p / s);
    bool removed = false;
    for (int k = 0; k < kCodedSubbands; ++k) {
      if (active[k] && al.relative[k] / q >= 5.0 * std::sqrt(a.variance[k])) {
        active[k] = false;
        removed = true;
      }
    }
    if (!removed) break;
  }
  for (int k = 0; k < kCodedSubbands; ++k) al.sigma[k] = std::sqrt(a.variance[k]);
  al.q = q;
  return al;
}

struct Coded {
  QuantTable table;
  std::vector<int> coef;
  std::array<std::size_t, 4> block_offset{};  // index of each block's first coefficient
};

Coded quantize(const Analysis& a, const Allocation& al, double q) {
  Coded c;
  c.table.defined = true;
  for (int k = 0; k < kCodedSubbands; ++k) {
    if (al.transmitted(k, q)) {
      // Through the header's representation, so that the encoder quantizes with what the decoder reads.
      Scaled sq = to_scaled(al.relative[k] / q, 65536.0);
      c.table.q[k] = scaled_value(sq.exponent, sq.value);
      if (c.table.q[k] <= 0) continue;
      Scaled sz = to_scaled(1.2 * c.table.q[k], 65536.0);
      c.table.z[k] = scaled_value(sz.exponent, sz.value);
    }
  }
  c.coef.reserve(a.img.px.size());
  for (int k = 0; k < kCodedSubbands; ++k) {
    if (k == kBlockStart[1]) c.block_offset[1] = c.coef.size();
    if (k == kBlockStart[2]) c.block_offset[2] = c.coef.size();
    double qk = c.table.q[k];
    if (!(qk > 0)) continue;
    const float inv_q = static_cast<float>(1.0 / qk);
    const float half_z = static_cast<float>(c.table.z[k] / 2.0);
    const Rect& b = a.layout.bands[k];
    for (int y = 0; y < b.h; ++y) {
      const float* row = a.img.px.data() + static_cast<std::size_t>(b.y + y) * a.width + b.x;
      for (int x = 0; x < b.w; ++x) {
        float v = row[x];
        int p = 0;
        // Bins beyond the 16 bits the symbols can carry saturate (and the float never reaches int overflow).
        if (v > half_z) {
          p = static_cast<int>(std::min((v - half_z) * inv_q, 65534.0f)) + 1;
        } else if (v < -half_z) {
          p = -(static_cast<int>(std::min((-v - half_z) * inv_q, 65534.0f)) + 1);
        }
        c.coef.push_back(p);
      }
    }
  }
  c.block_offset[3] = c.coef.size();
  return c;
}

struct EntropyPlan {
  std::array<std::vector<Symbol>, 3> symbols;
  HuffmanTable table0, table1;  // block 1; blocks 2 and 3
  std::size_t bits = 0;         // entropy-coded bits of the three blocks
};

EntropyPlan plan_entropy(const Coded& c) {
  EntropyPlan plan;
  std::array<std::uint32_t, 256> f0{}, f1{};
  for (int blk = 0; blk < 3; ++blk) {
    auto& syms = plan.symbols[blk];
    syms.reserve((c.block_offset[blk + 1] - c.block_offset[blk]) / 2 + 16);
    symbolise(c.coef.data() + c.block_offset[blk], c.block_offset[blk + 1] - c.block_offset[blk], syms);
    auto& f = blk == 0 ? f0 : f1;
    for (const Symbol& s : syms) ++f[s.sym];
  }
  plan.table0 = build_table(f0);
  plan.table1 = build_table(f1);
  auto codes0 = encoder_codes(plan.table0), codes1 = encoder_codes(plan.table1);
  for (int blk = 0; blk < 3; ++blk) {
    const auto& codes = blk == 0 ? codes0 : codes1;
    std::size_t bits = 0;
    for (const Symbol& s : plan.symbols[blk]) bits += codes.length[s.sym] + s.extra_bits;
    plan.bits += (bits + 7) / 8 * 8;
  }
  return plan;
}

void put_scaled16(Bytes& out, double v) {
  Scaled s = to_scaled(v, 65536.0);
  out.push_back(s.exponent);
  put16(out, s.value);
}

void put_huffman_table(Bytes& out, int id, const HuffmanTable& t) {
  put16(out, kDHT);
  put16(out, static_cast<unsigned>(2 + 1 + kMaxCodeLength + t.values.size()));
  out.push_back(static_cast<std::uint8_t>(id));
  for (auto n : t.counts) out.push_back(n);
  out.insert(out.end(), t.values.begin(), t.values.end());
}

std::string nistcom_text(int width, int height, int ppi, double bitrate) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.6f", bitrate);
  return "NIST_COM 9\nPIX_WIDTH " + std::to_string(width) + "\nPIX_HEIGHT " + std::to_string(height) +
         "\nPIX_DEPTH 8\nPPI " + std::to_string(ppi) +
         "\nLOSSY 1\nCOLORSPACE GRAY\nCOMPRESSION WSQ\nWSQ_BITRATE " + rate;
}

Bytes write_file(const Analysis& a, const Coded& c, const EntropyPlan& plan, int ppi, double bitrate,
                 int software) {
  Bytes out;
  out.reserve(plan.bits / 8 + plan.bits / 2048 + 2048);
  put16(out, kSOI);
  std::string com = nistcom_text(a.width, a.height, ppi, bitrate);
  put16(out, kCOM);
  put16(out, static_cast<unsigned>(com.size() + 2));
  out.insert(out.end(), com.begin(), com.end());
  // DTT: the analysis filters' right halves as sign, exponent, 32-bit value.
  put16(out, kDTT);
  put16(out, 2 + 2 + 6 * (5 + 4));
  out.push_back(9);
  out.push_back(7);
  auto put_tap = [&](float v) {
    out.push_back(v < 0 ? 1 : 0);
    Scaled s = to_scaled(std::fabs(static_cast<double>(v)), 4294967296.0);
    out.push_back(s.exponent);
    put_be(out, s.value, 4);
  };
  for (float v : kAnalysisLow) put_tap(v);
  for (float v : kAnalysisHigh) put_tap(v);
  // DQT
  put16(out, kDQT);
  put16(out, 2 + 3 + 6 * kSubbands);
  put_scaled16(out, c.table.bin_centre);
  for (int k = 0; k < kSubbands; ++k) {
    put_scaled16(out, c.table.q[k]);
    put_scaled16(out, c.table.z[k]);
  }
  // SOF
  put16(out, kSOF);
  put16(out, 17);
  out.push_back(0);
  out.push_back(255);
  put16(out, static_cast<unsigned>(a.height));
  put16(out, static_cast<unsigned>(a.width));
  put_scaled16(out, a.shift);
  put_scaled16(out, a.scale);
  out.push_back(2);  // Ev: the WSQ encoder number
  put16(out, static_cast<unsigned>(software));
  auto codes0 = encoder_codes(plan.table0), codes1 = encoder_codes(plan.table1);
  for (int blk = 0; blk < 3; ++blk) {
    int id = blk == 0 ? 0 : 1;
    if (blk < 2) put_huffman_table(out, id, id == 0 ? plan.table0 : plan.table1);
    put16(out, kSOB);
    put16(out, 3);
    out.push_back(static_cast<std::uint8_t>(id));
    const auto& codes = id == 0 ? codes0 : codes1;
    BitWriter bw(out);
    for (const Symbol& s : plan.symbols[blk]) {
      bw.put(codes.code[s.sym], codes.length[s.sym]);
      if (s.extra_bits) bw.put(s.extra, s.extra_bits);
    }
    bw.flush();
  }
  put16(out, kEOI);
  return out;
}

// Bytes of the file apart from the entropy-coded data (plus an allowance for stuffing).
std::size_t estimated_size(const EntropyPlan& plan) {
  std::size_t entropy = plan.bits / 8;
  std::size_t stuffing = entropy / 256;  // a 0x00 after each 0xFF, for data that looks random
  constexpr std::size_t kSoiEoi = 4, kCom = 4 + 200, kDtt = 2 + 58, kDqt = 2 + 389, kSof = 2 + 17,
                        kSob = 3 * 5;
  std::size_t dht = 2 * (4 + 1 + kMaxCodeLength) + plan.table0.values.size() + plan.table1.values.size();
  return entropy + stuffing + kSoiEoi + kCom + kDtt + kDqt + kSof + kSob + dht;
}

struct Search {
  Coded coded;
  EntropyPlan plan;
  std::size_t size = 0;
  double q = 0;
};

Search trial(const Analysis& a, const Allocation& al, double q) {
  Search s;
  s.q = q;
  s.coded = quantize(a, al, q);
  s.plan = plan_entropy(s.coded);
  s.size = estimated_size(s.plan);
  return s;
}

// Finds q whose file is close to `target` bytes (within 1 %); with `at_most`,
// the largest one found that does not exceed it. The size grows with q (finer
// bins) roughly as a power of q, whose exponent the secant steps refine.
Search search_q(const Analysis& a, const Allocation& al, std::size_t target, bool at_most) {
  const double goal = static_cast<double>(target);
  Search closest, below;
  bool have_closest = false, have_below = false;
  double lo_q = 0, hi_q = 0;  // size(lo_q) <= target < size(hi_q)
  double cur_q = al.q > 0 && std::isfinite(al.q) ? al.q : 1.0, cur_size = 0, exponent = 1.0;
  const double q_floor = cur_q / 8, q_ceiling = cur_q * 256;
  double prev_q = 0, prev_size = 0;
  auto keep = [&](Search&& s) {
    double size = static_cast<double>(s.size);
    if (s.size <= target) {
      lo_q = std::max(lo_q, s.q);
    } else {
      hi_q = hi_q == 0 ? s.q : std::min(hi_q, s.q);
    }
    bool better_below = s.size <= target && (!have_below || s.size > below.size);
    bool better_closest =
        !have_closest || std::abs(size - goal) < std::abs(static_cast<double>(closest.size) - goal);
    if (better_below && better_closest) {
      below = s;
      have_below = true;
      closest = std::move(s);
      have_closest = true;
    } else if (better_below) {
      below = std::move(s);
      have_below = true;
    } else if (better_closest) {
      closest = std::move(s);
      have_closest = true;
    }
  };
  for (int iter = 0; iter < 14; ++iter) {
    if (iter > 0) {
      double aim = at_most ? goal * 0.995 : goal;
      double next_q = cur_q * std::pow(aim / cur_size, 1.0 / exponent);
      if (lo_q > 0 && hi_q > 0 && (next_q <= lo_q || next_q >= hi_q)) next_q = std::sqrt(lo_q * hi_q);
      // Stay near the spec's allocation: far below its q every subband would
      // be dropped (a flat image) just to approach a target below the headers.
      next_q = std::clamp(next_q, q_floor, q_ceiling);
      if (next_q == cur_q) break;  // pinned at a bound
      cur_q = next_q;
    }
    Search s = trial(a, al, cur_q);
    double size = static_cast<double>(s.size);
    keep(std::move(s));
    if (iter > 0) {
      double dq = std::log(cur_q / prev_q);
      if (std::abs(dq) > 1e-9 && size > 0 && prev_size > 0) {
        double slope = std::log(size / prev_size) / dq;
        if (slope > 0.2 && slope < 5) exponent = slope;
      }
    }
    prev_q = cur_q;
    prev_size = size;
    cur_size = size;
    if (!at_most && have_closest && std::abs(static_cast<double>(closest.size) - goal) < 0.02 * goal) break;
    if (at_most && have_below && goal - static_cast<double>(below.size) < 0.01 * goal) break;
    if (lo_q > 0 && hi_q > 0 && hi_q / lo_q < 1.0001) break;
  }
  if (at_most) return have_below ? std::move(below) : std::move(closest);
  return closest;
}

// ---------------------------------------------------------------- ridge contrast

// Ridge band: level 3 and 4 detail subbands (nodes 16-18, 4 and 5: 7..50);
// finest: the level-1 detail subbands that are coded (52..59).
constexpr int kFirstRidgeBand = 7, kLastRidgeBand = 50, kFirstFinestBand = 52, kLastFinestBand = 59;

// From each subband's energy (sum of squared coefficients, normalized units).
RidgeContrast contrast_from_energy(const std::array<double, kSubbands>& energy, const Layout& layout,
                                   int width, int height, double scale) {
  double ridge = 0, high = 0;
  std::size_t ridge_n = 0, high_n = 0;
  for (int k = kFirstRidgeBand; k <= kLastFinestBand; ++k) {
    if (k > kLastRidgeBand && k < kFirstFinestBand) continue;
    const Rect& b = layout.bands[k];
    std::size_t n = static_cast<std::size_t>(b.w) * b.h;
    if (k <= kLastRidgeBand) {
      ridge += energy[k];
      ridge_n += n;
    } else {
      high += energy[k];
      high_n += n;
    }
  }
  RidgeContrast c;
  double pixels = static_cast<double>(width) * height;
  // The filter bank is close to orthonormal, so band energy over all pixels is a gray-level variance.
  c.ridge_rms = std::sqrt(ridge / pixels) * scale;
  c.high_rms = std::sqrt(high / pixels) * scale;
  double ridge_density = ridge_n ? ridge / static_cast<double>(ridge_n) : 0;
  double high_density = high_n ? high / static_cast<double>(high_n) : 0;
  c.concentration = ridge_density / std::max(high_density, 1e-12);
  if (ridge_density == 0) c.concentration = 0;
  return c;
}

RidgeContrast contrast_of(const Image& img, const Layout& layout, double scale) {
  std::array<double, kSubbands> energy{};
  for (int k = kFirstRidgeBand; k <= kLastFinestBand; ++k) {
    const Rect& b = layout.bands[k];
    double ss = 0;
    for (int y = 0; y < b.h; ++y) {
      const float* row = img.px.data() + static_cast<std::size_t>(b.y + y) * img.width + b.x;
      for (int x = 0; x < b.w; ++x) ss += static_cast<double>(row[x]) * row[x];
    }
    energy[k] = ss;
  }
  return contrast_from_energy(energy, layout, img.width, img.height, scale);
}

// Sums the squared dequantized coefficients per subband straight from the entropy decoder, in the
// order (and so with the rounding) of contrast_of over a decoded image, without building the image.
struct BandEnergySink {
  const DecoderState& st;
  const Layout& layout;
  std::array<double, kSubbands> energy{};
  // The coded subbands in stream order, each with where its coefficients end.
  std::array<int, kCodedSubbands> band{};
  std::array<std::size_t, kCodedSubbands> end{};
  int bands = 0, current = 0;
  double q = 0, c = 0, half_z = 0;
  double sum = 0;       // the current subband's, kept out of memory in the hot loop
  bool wanted = false;  // a subband contrast_of sums (the others need only be decoded)
  // The current subband's squared dequantized values for the magnitudes of inline symbols (0 for a
  // zero run, and every entry 0 in a subband that is not summed).
  static constexpr int kInlineMagnitudes = 1 + std::max(-kMinInline, kMaxInline);
  std::array<double, kInlineMagnitudes> squares{};

  void start(std::size_t) {
    std::size_t at = 0;
    for (int k = 0; k < kCodedSubbands; ++k) {
      if (!(st.quant.q[k] > 0)) continue;
      at += static_cast<std::size_t>(layout.bands[k].w) * layout.bands[k].h;
      band[bands] = k;
      end[bands++] = at;
    }
    c = st.quant.bin_centre;
    select(0);
  }
  void select(int i) {
    current = i;
    q = st.quant.q[band[i]];
    half_z = st.quant.z[band[i]] / 2.0;
    wanted = band[i] >= kFirstRidgeBand && band[i] <= kLastFinestBand;
    sum = energy[band[i]];
    squares[0] = 0;
    for (int m = 1; m < kInlineMagnitudes; ++m) squares[m] = wanted ? square_of(m) : 0.0;
  }
  // dequantized(-v) is exactly -dequantized(v) (IEEE rounding is symmetric), so the square is the
  // same from the magnitude. Not inlined: GCC 12 at -O3 vectorizes select's loop over it and drops
  // the rounding to float in the loop's last two iterations (the unit test caught it).
  [[gnu::noinline]] double square_of(int magnitude) const {
    const double a = static_cast<float>(q * (magnitude - c) + half_z);
    return a * a;
  }
  void code(std::size_t index, int value) {
    if (index >= end[current]) {
      energy[band[current]] = sum;
      int i = current;
      while (index >= end[i]) ++i;  // index < total = end[bands - 1]
      select(i);
    }
    // Zero runs and subbands not summed add an exact 0.0 (the sum is never -0): the same as not
    // adding, without a branch on the data in the hot loop.
    const int magnitude = value < 0 ? -value : value;
    sum += magnitude < kInlineMagnitudes ? squares[static_cast<std::size_t>(magnitude)]
                                         : (wanted ? square_of(magnitude) : 0.0);
  }
  void finish() { energy[band[current]] = sum; }
};

}  // namespace

bool is_wsq(ByteView data) { return data.size() >= 2 && data[0] == 0xFF && data[1] == 0xA0; }

Header probe_header(ByteView data, const std::string& what) {
  DecoderState st;
  Parser p(data, what);
  if (p.marker() != kSOI) p.fail("does not start with SOI");
  while (true) {
    std::uint16_t m = p.marker();
    if (m == kSOF) return Header{read_frame(p.segment(m), what), st.ppi};
    if (!read_table_segment(p, m, st)) p.fail("unexpected " + marker_name(m) + " before SOF");
  }
}

FrameHeader probe(ByteView data, const std::string& what) { return probe_header(data, what).frame; }

Decoded decode(ByteView data, const std::string& what) {
  Coefficients c = decode_coefficients(data, what);
  Transformer t(c.st.filters, std::max(c.img.width, c.img.height));
  t.inverse(c.img, c.layout);
  Decoded d;
  d.frame = c.st.frame;
  d.comments = std::move(c.st.comments);
  d.nistcom = std::move(c.st.nistcom);
  d.ppi = c.st.ppi;
  d.raster.width = c.img.width;
  d.raster.height = c.img.height;
  d.raster.channels = 1;
  d.raster.pixels.resize(c.img.px.size());
  const float r = static_cast<float>(d.frame.scale), m = static_cast<float>(d.frame.shift);
  for (std::size_t i = 0; i < c.img.px.size(); ++i) {
    float v = c.img.px[i] * r + m + 0.5f;
    // NaN compares false and becomes 0.
    d.raster.pixels[i] = v >= 255.0f ? 255 : v > 0.0f ? static_cast<std::uint8_t>(v) : 0;
  }
  return d;
}

Bytes encode(const Raster& gray, const EncodeOptions& options, const std::string& what) {
  if (!(options.bitrate > 0.05 && options.bitrate <= 8.0)) {
    throw Error(what + ": WSQ bit rate " + std::to_string(options.bitrate) +
                " is outside 0.05..8 bits per pixel");
  }
  Analysis a = analyse(gray, what);
  Allocation al = allocate(a, options.bitrate);
  auto target = static_cast<std::size_t>(options.bitrate * a.width * a.height / 8.0);
  Search s = search_q(a, al, target, false);
  return write_file(a, s.coded, s.plan, options.ppi, options.bitrate, options.software);
}

BudgetResult encode_within(const Raster& gray, std::size_t max_bytes, double min_bitrate, double max_bitrate,
                           const std::string& what, int ppi) {
  if (!(min_bitrate > 0.05) || max_bitrate < min_bitrate || max_bitrate > 8.0) {
    throw Error(what + ": WSQ bit rate range " + std::to_string(min_bitrate) + ".." +
                std::to_string(max_bitrate) + " is invalid");
  }
  Analysis a = analyse(gray, what);
  double pixels = static_cast<double>(a.width) * a.height;
  double rate = std::min(max_bitrate, static_cast<double>(max_bytes) * 8.0 / pixels);
  auto min_target = static_cast<std::size_t>(min_bitrate * pixels / 8.0);
  if (rate < min_bitrate) {
    throw Error(what + ": a " + std::to_string(a.width) + "x" + std::to_string(a.height) +
                " WSQ fingerprint needs at least " + std::to_string(min_target) +
                " bytes at the lowest allowed rate " + std::to_string(min_bitrate) + " bpp; the budget is " +
                std::to_string(max_bytes));
  }
  Allocation al = allocate(a, rate);
  auto target = static_cast<std::size_t>(rate * pixels / 8.0);
  Search s = search_q(a, al, std::min(target, max_bytes), true);
  Bytes data = write_file(a, s.coded, s.plan, ppi, rate, 0);
  // The estimate allows for byte stuffing; should the real file still be larger, step q down.
  double q = s.q;
  for (int i = 0; i < 20 && data.size() > max_bytes; ++i) {
    q *= 0.98;
    Search t = trial(a, al, q);
    data = write_file(a, t.coded, t.plan, ppi, rate, 0);
  }
  if (data.size() > max_bytes) {
    throw Error(what + ": the WSQ fingerprint does not fit in " + std::to_string(max_bytes) + " bytes");
  }
  BudgetResult r;
  r.bitrate = static_cast<double>(data.size()) * 8.0 / pixels;
  r.data = std::move(data);
  return r;
}

RidgeContrast ridge_contrast(const Raster& gray) {
  Analysis a = analyse(gray, "ridge contrast");
  return contrast_of(a.img, a.layout, a.scale);
}

RidgeContrast ridge_contrast(ByteView wsq_data, const std::string& what) {
  DecoderState st;
  Layout layout;
  BandEnergySink sink{st, layout};
  read_coded(wsq_data, what, st, layout, sink);
  sink.finish();
  return contrast_from_energy(sink.energy, layout, st.frame.width, st.frame.height, st.frame.scale);
}

RidgeContrast ridge_contrast_of_subbands(ByteView wsq_data, const std::string& what) {
  Coefficients c = decode_coefficients(wsq_data, what);
  return contrast_of(c.img, c.layout, c.st.frame.scale);
}

bool has_ridge_contrast(const RidgeContrast& c) {
  return c.ridge_rms >= kMinRidgeRms && c.concentration >= kMinRidgeConcentration;
}

}  // namespace rcperso::image::wsq
