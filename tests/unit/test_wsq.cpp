#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

#include "core/error.hpp"
#include "image/image.hpp"
#include "image/wsq.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_wsq {

using namespace rcperso;
using namespace rcperso::image;

namespace {

const char* const kNistFiles[] = {"fp-1", "fp-2",  "fp-3",  "fp-4",  "fp-5",  "fp-6",  "fp-7",  "fp-8",
                                  "fp-9", "fp-10", "fp-11", "fp-12", "fp-13", "fp-14", "sample"};

std::string nist_path(const std::string& name) {
  return std::string(RCPERSO_TEST_DATA) + "/nist-wsq/" + name;
}

Raster reference_png(const std::string& name) {
  return to_gray(decode(read_file(nist_path(name + ".png")), name + ".png"));
}

double psnr(const Raster& a, const Raster& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double se = 0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i) {
    double d = double(a.pixels[i]) - double(b.pixels[i]);
    se += d * d;
  }
  double mse = se / double(a.pixels.size());
  return mse == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

Raster flat(int w, int h, std::uint8_t v) {
  Raster r;
  r.width = w;
  r.height = h;
  r.channels = 1;
  r.pixels.assign(std::size_t(w) * h, v);
  return r;
}

Raster noise(int w, int h, int centre, int amplitude, unsigned seed) {
  Raster r = flat(w, h, 0);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-amplitude, amplitude);
  for (auto& p : r.pixels) p = static_cast<std::uint8_t>(std::clamp(centre + d(rng), 0, 255));
  return r;
}

// The 16-bit big-endian field at `offset`.
void put16_at(Bytes& b, std::size_t offset, unsigned v) {
  b[offset] = static_cast<std::uint8_t>(v >> 8);
  b[offset + 1] = static_cast<std::uint8_t>(v & 0xFF);
}

std::size_t find_marker(const Bytes& b, std::uint8_t second, std::size_t from = 0) {
  for (std::size_t i = from; i + 1 < b.size(); ++i) {
    if (b[i] == 0xFF && b[i + 1] == second) return i;
  }
  return std::string::npos;
}

}  // namespace

TEST_CASE("WSQ decoder matches the NIST reference decodings") {
  for (const std::string name : kNistFiles) {
    CAPTURE(name);
    Bytes data = read_file(nist_path(std::string(name) + ".wsq"));
    CHECK(wsq::is_wsq(data));
    wsq::Decoded d = wsq::decode(data, name);
    Raster ref = reference_png(name);
    REQUIRE(d.raster.width == ref.width);
    REQUIRE(d.raster.height == ref.height);
    std::size_t equal = 0;
    int max_diff = 0;
    for (std::size_t i = 0; i < ref.pixels.size(); ++i) {
      int diff = std::abs(int(d.raster.pixels[i]) - int(ref.pixels[i]));
      if (diff == 0) ++equal;
      max_diff = std::max(max_diff, diff);
    }
    double equal_pct = 100.0 * double(equal) / double(ref.pixels.size());
    MESSAGE(name << ": " << ref.width << "x" << ref.height << ", pixels equal " << equal_pct
                 << " %, max diff " << max_diff);
    CHECK(equal_pct >= 99.9);
    CHECK(max_diff <= 1);
    // Some of the NIST files carry "PPI 255" in their NIST_COM: compare with the text itself.
    std::string head(data.begin(), data.begin() + 400);
    std::size_t at = head.find("\nPPI ");
    REQUIRE(at != std::string::npos);
    CHECK(d.ppi == std::atoi(head.c_str() + at + 5));
    CHECK(!d.comments.empty());
    REQUIRE(!d.nistcom.empty());
    CHECK(d.nistcom.front().first == "NIST_COM");
    wsq::FrameHeader f = wsq::probe(data, name);
    CHECK(f.width == ref.width);
    CHECK(f.height == ref.height);
  }
}

TEST_CASE("WSQ encoder: NIST images at 0.75 bpp round trip at PSNR >= 33 dB and within 5 % of the size") {
  for (const std::string name : kNistFiles) {
    CAPTURE(name);
    Raster ref = reference_png(name);
    Bytes wsq_data = wsq::encode(ref, {}, name);
    double target = 0.75 * ref.width * ref.height / 8.0;
    double ratio = double(wsq_data.size()) / target;
    wsq::Decoded back = wsq::decode(wsq_data, name);
    REQUIRE(back.raster.width == ref.width);
    REQUIRE(back.raster.height == ref.height);
    double p = psnr(ref, back.raster);
    MESSAGE(name << ": encoded " << wsq_data.size() << " bytes, size ratio " << ratio << ", PSNR " << p
                 << " dB");
    CHECK(p >= 33.0);
    CHECK(ratio >= 0.95);
    CHECK(ratio <= 1.05);
  }
}

TEST_CASE("WSQ header fields and NIST_COM round trip") {
  Raster finger = test::synthetic_finger(400, 500);
  wsq::EncodeOptions opt;
  opt.ppi = 500;
  opt.software = 1234;
  Bytes data = wsq::encode(finger, opt, "finger");
  wsq::Decoded d = wsq::decode(data, "finger");
  CHECK(d.frame.width == 400);
  CHECK(d.frame.height == 500);
  CHECK(d.frame.black == 0);
  CHECK(d.frame.white == 255);
  CHECK(d.frame.software == 1234);
  CHECK(d.frame.scale > 0);
  double mean = 0;
  for (auto p : finger.pixels) mean += p;
  mean /= double(finger.pixels.size());
  CHECK(std::abs(d.frame.shift - mean) < 0.01);
  CHECK(d.ppi == 500);
  REQUIRE(d.comments.size() == 1);
  auto field = [&](const std::string& key) {
    for (auto& [k, v] : d.nistcom) {
      if (k == key) return v;
    }
    return std::string("<absent>");
  };
  CHECK(field("NIST_COM") == std::to_string(d.nistcom.size()));
  CHECK(field("PIX_WIDTH") == "400");
  CHECK(field("PIX_HEIGHT") == "500");
  CHECK(field("PIX_DEPTH") == "8");
  CHECK(field("PPI") == "500");
  CHECK(field("LOSSY") == "1");
  CHECK(field("COLORSPACE") == "GRAY");
  CHECK(field("COMPRESSION") == "WSQ");
  CHECK(field("WSQ_BITRATE") == "0.750000");
  CHECK(psnr(finger, d.raster) >= 30.0);
}

TEST_CASE("WSQ encoding within a byte budget") {
  Raster ref = reference_png("fp-1");
  std::size_t budget = 30000;
  wsq::BudgetResult r = wsq::encode_within(ref, budget, 0.3, 2.0, "fp-1");
  CHECK(r.data.size() <= budget);
  CHECK(r.data.size() >= budget * 97 / 100);
  CHECK(wsq::decode(r.data, "fp-1").raster.width == ref.width);
  MESSAGE("fp-1 within " << budget << " bytes: " << r.data.size() << " bytes, " << r.bitrate << " bpp");
  // A budget below the lowest rate allowed is refused, naming the input.
  CHECK_THROWS_WITH_AS(wsq::encode_within(ref, 5000, 0.3, 2.0, "fp-1"), doctest::Contains("fp-1"), Error);
}

TEST_CASE("WSQ decoder refuses malformed input") {
  Bytes good = wsq::encode(test::synthetic_finger(64, 80), {}, "small");
  REQUIRE_NOTHROW(wsq::decode(good, "small"));
  SUBCASE("every truncation, by the decoder and by the ridge check on the file") {
    for (std::size_t n = 0; n + 1 < good.size(); ++n) {
      Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
      CHECK_THROWS_AS(wsq::decode(cut, "cut.wsq"), DecodeError);
      CHECK_THROWS_AS(wsq::ridge_contrast(cut, "cut.wsq"), DecodeError);
    }
  }
  SUBCASE("a quantization table that changes after the first block") {
    // The first block fixes how many coefficients there are and what they mean.
    std::size_t dqt = find_marker(good, 0xA5);
    std::size_t first_block = find_marker(good, 0xA3);
    std::size_t second_block = find_marker(good, 0xA3, first_block + 2);
    REQUIRE(dqt != std::string::npos);
    REQUIRE(second_block != std::string::npos);
    std::size_t length = (std::size_t{good[dqt + 2]} << 8) | good[dqt + 3];
    Bytes table(good.begin() + static_cast<std::ptrdiff_t>(dqt),
                good.begin() + static_cast<std::ptrdiff_t>(dqt + 2 + length));
    Bytes same = good;
    same.insert(same.begin() + static_cast<std::ptrdiff_t>(second_block), table.begin(), table.end());
    CHECK_NOTHROW(wsq::decode(same, "same.wsq"));  // repeating the table is harmless
    for (std::size_t k = 0; k < 64; ++k) {         // make an untransmitted subband transmitted
      std::size_t entry = 7 + 6 * k;
      if (table[entry + 1] == 0 && table[entry + 2] == 0) {
        table[entry + 2] = 1;
        break;
      }
    }
    Bytes changed = good;
    changed.insert(changed.begin() + static_cast<std::ptrdiff_t>(second_block), table.begin(), table.end());
    CHECK_THROWS_WITH_AS(wsq::decode(changed, "dqt.wsq"), doctest::Contains("changes after the first block"),
                         DecodeError);
    CHECK_THROWS_WITH_AS(wsq::ridge_contrast(changed, "dqt.wsq"),
                         doctest::Contains("changes after the first block"), DecodeError);
  }
  SUBCASE("bad first marker") {
    Bytes b = good;
    b[1] = 0xD8;
    CHECK_THROWS_WITH_AS(wsq::decode(b, "bad.wsq"), doctest::Contains("SOI"), DecodeError);
  }
  SUBCASE("unknown marker between segments") {
    Bytes b = good;
    std::size_t dtt = find_marker(b, 0xA4);
    REQUIRE(dtt != std::string::npos);
    b[dtt + 1] = 0xC4;
    CHECK_THROWS_WITH_AS(wsq::decode(b, "bad.wsq"), doctest::Contains("0xFFC4"), DecodeError);
  }
  SUBCASE("absurd dimensions") {
    Bytes b = good;
    std::size_t sof = find_marker(b, 0xA2);
    REQUIRE(sof != std::string::npos);
    put16_at(b, sof + 6, 60000);  // height
    CHECK_THROWS_WITH_AS(wsq::decode(b, "big.wsq"), doctest::Contains("outside"), DecodeError);
    put16_at(b, sof + 6, 8);
    CHECK_THROWS_AS(wsq::decode(b, "tiny.wsq"), DecodeError);
    put16_at(b, sof + 6, 0);
    CHECK_THROWS_AS(wsq::probe(b, "zero.wsq"), DecodeError);
  }
  SUBCASE("segment length past the end") {
    Bytes b = good;
    std::size_t dqt = find_marker(b, 0xA5);
    put16_at(b, dqt + 2, 0xFFFF);
    CHECK_THROWS_WITH_AS(wsq::decode(b, "len.wsq"), doctest::Contains("DQT"), DecodeError);
  }
  SUBCASE("Huffman table id and selector out of range") {
    Bytes b = good;
    std::size_t dht = find_marker(b, 0xA6);
    b[dht + 4] = 9;
    CHECK_THROWS_WITH_AS(wsq::decode(b, "dht.wsq"), doctest::Contains("table id 9"), DecodeError);
    Bytes c = good;
    std::size_t sob = find_marker(c, 0xA3);
    c[sob + 4] = 5;
    CHECK_THROWS_WITH_AS(wsq::decode(c, "sob.wsq"), doctest::Contains("undefined Huffman table 5"),
                         DecodeError);
  }
  SUBCASE("Huffman code overrun") {
    // Mark a transmitted subband as not transmitted: the coded data then holds
    // more coefficients than the remaining subbands.
    Bytes b = good;
    std::size_t dqt = find_marker(b, 0xA5);
    REQUIRE(dqt != std::string::npos);
    bool patched = false;
    for (int k = 59; k >= 0 && !patched; --k) {
      std::size_t entry = dqt + 7 + 6 * std::size_t(k);
      if (b[entry + 1] != 0 || b[entry + 2] != 0) {
        put16_at(b, entry + 1, 0);
        patched = true;
      }
    }
    REQUIRE(patched);
    CHECK_THROWS_WITH_AS(wsq::decode(b, "over.wsq"), doctest::Contains("overruns"), DecodeError);
    CHECK_THROWS_WITH_AS(wsq::ridge_contrast(b, "over.wsq"), doctest::Contains("overruns"), DecodeError);
  }
  SUBCASE("a filter length of zero") {
    Bytes b = good;
    std::size_t dtt = find_marker(b, 0xA4);
    b[dtt + 4] = 0;
    CHECK_THROWS_WITH_AS(wsq::decode(b, "dtt.wsq"), doctest::Contains("DTT"), DecodeError);
  }
}

TEST_CASE("WSQ encoder refuses what it cannot encode") {
  CHECK_THROWS_AS(wsq::encode(test::synthetic_face(64, 64), {}, "colour"), Error);
  CHECK_THROWS_AS(wsq::encode(flat(16, 100, 128), {}, "narrow"), Error);
  wsq::EncodeOptions opt;
  opt.bitrate = 0;
  CHECK_THROWS_AS(wsq::encode(flat(64, 64, 128), opt, "rate"), Error);
}

TEST_CASE("WSQ flat image round trip") {
  Raster f = flat(64, 64, 200);
  wsq::Decoded d = wsq::decode(wsq::encode(f, {}, "flat"), "flat");
  CHECK(d.raster.pixels == f.pixels);
}

TEST_CASE("WSQ ridge contrast separates fingers from blank, flat and noise-only images") {
  for (const std::string name : kNistFiles) {
    CAPTURE(name);
    Bytes data = read_file(nist_path(std::string(name) + ".wsq"));
    wsq::RidgeContrast c = wsq::ridge_contrast(data, name);
    wsq::RidgeContrast from_pixels = wsq::ridge_contrast(reference_png(name));
    MESSAGE(name << ": ridge rms " << c.ridge_rms << " (pixels " << from_pixels.ridge_rms << "), high rms "
                 << c.high_rms << ", concentration " << c.concentration << " (pixels "
                 << from_pixels.concentration << ")");
    CHECK(wsq::has_ridge_contrast(c));
    CHECK(wsq::has_ridge_contrast(from_pixels));
    // The streaming sums are the decoded subbands' sums, to the last bit.
    wsq::RidgeContrast of_subbands = wsq::ridge_contrast_of_subbands(data, name);
    CHECK(c.ridge_rms == of_subbands.ridge_rms);
    CHECK(c.high_rms == of_subbands.high_rms);
    CHECK(c.concentration == of_subbands.concentration);
  }
  struct Case {
    const char* label;
    Raster r;
  };
  Case rejects[] = {
      {"white", flat(400, 500, 255)},
      {"gray", flat(400, 500, 128)},
      {"near-blank (white, +-3 noise)", noise(400, 500, 250, 3, 1)},
      {"noise only (full range)", noise(400, 500, 128, 127, 2)},
      {"noise only (+-40)", noise(400, 500, 180, 40, 3)},
  };
  for (auto& c : rejects) {
    CAPTURE(c.label);
    wsq::RidgeContrast rc = wsq::ridge_contrast(c.r);
    MESSAGE(std::string(c.label) << ": ridge rms " << rc.ridge_rms << ", high rms " << rc.high_rms
                                 << ", concentration " << rc.concentration);
    CHECK(!wsq::has_ridge_contrast(rc));
    Bytes coded = wsq::encode(c.r, {}, c.label);
    wsq::RidgeContrast streamed = wsq::ridge_contrast(coded, c.label);
    CHECK(!wsq::has_ridge_contrast(streamed));
    wsq::RidgeContrast of_subbands = wsq::ridge_contrast_of_subbands(coded, c.label);
    CHECK(streamed.ridge_rms == of_subbands.ridge_rms);
    CHECK(streamed.concentration == of_subbands.concentration);
  }
  CHECK(wsq::has_ridge_contrast(wsq::ridge_contrast(test::synthetic_finger(400, 500))));
  Bytes finger = wsq::encode(test::synthetic_finger(400, 500), {}, "finger");
  wsq::RidgeContrast streamed = wsq::ridge_contrast(finger, "finger");
  wsq::RidgeContrast of_subbands = wsq::ridge_contrast_of_subbands(finger, "finger");
  CHECK(streamed.ridge_rms == of_subbands.ridge_rms);
  CHECK(streamed.high_rms == of_subbands.high_rms);
  CHECK(streamed.concentration == of_subbands.concentration);
}

}  // namespace test_wsq
