#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>

#include "core/error.hpp"
#include "image/image.hpp"
#include "image/wsq.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_image {

using namespace rcperso;
using namespace rcperso::image;

namespace {
double mean_abs_diff(const Raster& a, const Raster& b) {
  REQUIRE(a.pixels.size() == b.pixels.size());
  double sum = 0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return sum / static_cast<double>(a.pixels.size());
}
}  // namespace

TEST_CASE("JPEG round trip and probe") {
  Raster face = test::synthetic_face(300, 400);
  Bytes jpeg = encode_jpeg(face, 90);
  CHECK(sniff(jpeg) == Format::Jpeg);
  Info info = probe(jpeg, "face.jpg");
  CHECK(info.width == 300);
  CHECK(info.height == 400);
  CHECK(info.channels == 3);
  CHECK(info.bit_depth == 8);
  Raster back = decode(jpeg, "face.jpg");
  CHECK(back.width == 300);
  CHECK(back.channels == 3);
  CHECK(mean_abs_diff(face, back) < 3.0);
  Raster gray = to_gray(face);
  Raster gray_back = decode(encode_jpeg(gray, 90), "g.jpg");
  CHECK(gray_back.channels == 1);
  CHECK(probe(encode_jpeg(gray, 90), "g.jpg").colour_space == "gray");
}

TEST_CASE("PNG round trip is lossless") {
  Raster finger = test::synthetic_finger(200, 250);
  Bytes png = encode_png(finger);
  CHECK(sniff(png) == Format::Png);
  Info info = probe(png, "f.png");
  CHECK(info.channels == 1);
  CHECK(info.bit_depth == 8);
  CHECK(info.colour_space == "gray");
  Raster back = decode(png, "f.png");
  CHECK(back.pixels == finger.pixels);
  Raster rgb = test::synthetic_face(64, 80);
  CHECK(decode(encode_png(rgb), "c.png").pixels == rgb.pixels);
  CHECK(probe(encode_png(rgb), "c.png").colour_space == "rgb");
}

TEST_CASE("JPEG DCT scaling decodes a large face at a smaller size") {
  Bytes big = encode_jpeg(test::synthetic_face(1200, 1600), 90);
  Raster r = decode(big, "big.jpg", 480, 640);
  CHECK(r.width >= 480);
  CHECK(r.height >= 640);
  CHECK(r.width < 1200);
  Raster full = decode(big, "big.jpg");
  CHECK(full.width == 1200);
}

TEST_CASE("fit crops to the aspect ratio and resamples to the exact size") {
  Raster wide = test::synthetic_face(800, 800);
  Raster out = fit(wide, 300, 400);
  CHECK(out.width == 300);
  CHECK(out.height == 400);
  CHECK(out.channels == 3);
  // The centre of a uniform image stays the same value after resampling.
  Raster flat = test::uniform_gray(100, 60, 77);
  Raster up = fit(flat, 150, 90);
  Raster down = fit(flat, 33, 20);
  for (auto v : up.pixels) REQUIRE(v == 77);
  for (auto v : down.pixels) REQUIRE(v == 77);
}

TEST_CASE("encode_jpeg_within picks the highest quality that fits") {
  Raster face = fit(test::synthetic_face(600, 800), 480, 640);
  std::size_t budget = 12000;
  auto r = encode_jpeg_within(face, budget, 30, 95, "face");
  CHECK(r.data.size() <= budget);
  CHECK(r.quality >= 30);
  if (r.quality < 95) CHECK(encode_jpeg(face, r.quality + 1).size() > budget);
  CHECK(decode(r.data, "face").width == 480);
  CHECK_THROWS_WITH_AS(encode_jpeg_within(face, 300, 30, 95, "face.jpg"),
                       doctest::Contains("face.jpg: does not fit 300 bytes"), Error);
}

TEST_CASE("encode_jpeg_within finds what trying every quality finds") {
  // The search probes where a model puts the budget; whatever the budget, the answer must be the
  // highest quality whose JPEG fits, with exactly that JPEG's bytes.
  for (const Raster& image :
       {fit(test::synthetic_face(600, 800), 240, 320), test::synthetic_signature(300, 100)}) {
    std::vector<std::size_t> sizes(101);
    for (int q = 20; q <= 95; ++q) sizes[static_cast<std::size_t>(q)] = encode_jpeg(image, q).size();
    for (double share : {0.05, 0.3, 0.5, 0.75, 0.9, 0.97, 1.0}) {
      const auto budget = static_cast<std::size_t>(share * static_cast<double>(sizes[95]));
      CAPTURE(budget);
      int expected = 0;
      for (int q = 20; q <= 95; ++q)
        if (sizes[static_cast<std::size_t>(q)] <= budget) expected = q;
      if (expected == 0) {
        CHECK_THROWS_WITH_AS(encode_jpeg_within(image, budget, 20, 95, "small"),
                             doctest::Contains(("(got " + std::to_string(sizes[20]) + " bytes)").c_str()),
                             Error);
        continue;
      }
      auto r = encode_jpeg_within(image, budget, 20, 95, "image");
      CHECK(r.quality == expected);
      CHECK(r.data == encode_jpeg(image, expected));
    }
  }
}

TEST_CASE("JPEG 2000 encode and decode") {
  Raster finger = test::synthetic_finger(400, 500);
  Bytes lossy = encode_jpeg2000(finger, 10.0);
  CHECK(sniff(lossy) == Format::Jpeg2000);
  CHECK(lossy.size() < finger.pixels.size() / 5);
  Info info = probe(lossy, "f.jp2");
  CHECK(info.width == 400);
  CHECK(info.height == 500);
  CHECK(info.channels == 1);
  Raster back = decode(lossy, "f.jp2");
  CHECK(back.width == 400);
  CHECK(mean_abs_diff(finger, back) < 8.0);
  Bytes lossless = encode_jpeg2000(finger, 1.0);
  CHECK(decode(lossless, "f.jp2").pixels == finger.pixels);
}

TEST_CASE("blank fingerprints are detected") {
  CHECK(is_blank(test::uniform_gray(400, 500, 255)));
  Raster noisy = test::uniform_gray(400, 500, 200);
  std::srand(7);
  for (auto& v : noisy.pixels) v = static_cast<std::uint8_t>(200 + std::rand() % 9);
  CHECK(is_blank(noisy));
  CHECK_FALSE(is_blank(test::synthetic_finger(400, 500)));
}

TEST_CASE("corrupt images throw DecodeError naming the input") {
  Bytes jpeg = encode_jpeg(test::synthetic_face(300, 400), 90);
  Bytes truncated(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(jpeg.size() / 2));
  CHECK_THROWS_WITH_AS(decode(truncated, "cut.jpg"), doctest::Contains("cut.jpg"), DecodeError);
  Bytes png = encode_png(test::synthetic_finger(200, 250));
  Bytes png_cut(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() / 2));
  CHECK_THROWS_WITH_AS(decode(png_cut, "cut.png"), doctest::Contains("cut.png"), DecodeError);
  Bytes random(500);
  for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<std::uint8_t>(i * 37 + 11);
  CHECK_THROWS_AS(probe(random, "r.bin"), DecodeError);
  CHECK_THROWS_AS(decode(random, "r.bin"), DecodeError);
  // A PNG header that claims 100000 x 100000 pixels is refused before decoding.
  Bytes huge = png;
  huge[16] = 0x00;
  huge[17] = 0x01;
  huge[18] = 0x86;
  huge[19] = 0xA0;
  huge[20] = 0x00;
  huge[21] = 0x01;
  huge[22] = 0x86;
  huge[23] = 0xA0;
  CHECK_THROWS_WITH_AS(probe(huge, "huge.png"), doctest::Contains("outside the accepted range"), DecodeError);
  Bytes jp2 = encode_jpeg2000(test::synthetic_finger(200, 250), 10.0);
  Bytes jp2_cut(jp2.begin(), jp2.begin() + static_cast<std::ptrdiff_t>(jp2.size() / 3));
  CHECK_THROWS_AS(decode(jp2_cut, "cut.jp2"), DecodeError);
}

TEST_CASE("WSQ through the generic image API: sniff, probe, decode") {
  Raster finger = test::synthetic_finger(240, 300);
  Bytes w = wsq::encode(finger, {}, "f.wsq");
  CHECK(sniff(w) == Format::Wsq);
  CHECK(std::string(format_name(Format::Wsq)) == "WSQ");
  Info info = probe(w, "f.wsq");
  CHECK(info.format == Format::Wsq);
  CHECK(info.width == 240);
  CHECK(info.height == 300);
  CHECK(info.channels == 1);
  CHECK(info.bit_depth == 8);
  CHECK(info.colour_space == "gray");
  Raster back = decode(w, "f.wsq", 10, 10);  // no reduced WSQ decode: always full size
  CHECK(back.width == 240);
  CHECK(back.channels == 1);
  CHECK(mean_abs_diff(back, finger) < 6.0);
  // SOI alone, or SOI followed by a JPEG marker, is not WSQ.
  CHECK(sniff(Bytes{0xFF, 0xA0}) == Format::Unknown);
  CHECK(sniff(Bytes{0xFF, 0xA0, 0xFF, 0xD8}) == Format::Unknown);
  Bytes cut(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(w.size() / 2));
  CHECK_THROWS_WITH_AS(decode(cut, "cut.wsq"), doctest::Contains("cut.wsq"), DecodeError);
  CHECK_THROWS_WITH_AS(probe(Bytes{1, 2, 3, 4}, "x"), doctest::Contains("JPEG 2000 or WSQ"), DecodeError);
}

}  // namespace test_image
