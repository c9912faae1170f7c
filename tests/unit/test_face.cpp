// DG2 faces: JPEG 2000 at a byte budget, a JPEG 2000 kept as given, the
// profile's face.format settings, and the face quality gates.
#include <doctest/doctest.h>
// clang-format off
#include <cstdio>
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "image/image.hpp"
#include "image/wsq.hpp"
#include "inspection/verify.hpp"
#include "issuance/application.hpp"
#include "issuance/face.hpp"
#include "issuance/prepare.hpp"
#include "lds/biometric_dg.hpp"
#include "pki/signer.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_face {

using namespace rcperso;
using namespace rcperso::issuance;
using nlohmann::json;

namespace {

DocumentProfile jp2_profile() {
  return DocumentProfile::load(test::source_dir() / "tests/data/dk-residence-card-face-jp2.json");
}
DocumentProfile dk_profile() {
  return DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
}

LoadOptions fixed_today() {
  LoadOptions o;
  o.today = Date{2026, 11, 25};
  return o;
}

std::vector<Problem> problems_of(const json& record, const test::TempDir& dir,
                                 const DocumentProfile& profile) {
  try {
    (void)parse_application(record.dump(), dir.path(), "app.json", profile, fixed_today());
  } catch (const ValidationError& e) {
    return e.problems();
  }
  return {};
}

bool has_problem(const std::vector<Problem>& problems, const std::string& field, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(), [&](const Problem& p) {
    return p.field == "app.json: " + field && p.message.find(text) != std::string::npos;
  });
}

std::string dump(const std::vector<Problem>& problems) {
  std::string s;
  for (const auto& p : problems) s += p.field + ": " + p.message + "\n";
  return s;
}

std::vector<Problem> profile_problems(const json& j) {
  try {
    (void)DocumentProfile::from_json(j, "p.json");
  } catch (const ValidationError& e) {
    return e.problems();
  }
  return {};
}

bool mentions(const std::vector<Problem>& ps, const std::string& wanted) {
  return std::any_of(ps.begin(), ps.end(), [&](const Problem& p) {
    return (p.field + ": " + p.message).find(wanted) != std::string::npos;
  });
}

// A CMYK JPEG as print workflows make them (libjpeg directly: our encoder writes RGB and gray only).
Bytes cmyk_jpeg(int width, int height) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  jpeg_mem_dest(&cinfo, &out, &out_size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<unsigned char> row(static_cast<std::size_t>(width) * 4);
  while (cinfo.next_scanline < cinfo.image_height) {
    for (int x = 0; x < width; ++x) {
      for (int k = 0; k < 4; ++k)
        row[static_cast<std::size_t>(x * 4 + k)] = static_cast<unsigned char>((x * (k + 1)) & 0xFF);
    }
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&cinfo, &r, 1);
  }
  jpeg_finish_compress(&cinfo);
  Bytes data(out, out + out_size);
  jpeg_destroy_compress(&cinfo);
  std::free(out);
  return data;
}

// A 16-bit RGB PNG (libpng directly: our encoder writes 8-bit only).
void write_png16(const std::filesystem::path& path, int width, int height) {
  FILE* fp = std::fopen(path.c_str(), "wb");
  REQUIRE(fp != nullptr);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, fp);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 16,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  std::vector<png_byte> row(static_cast<std::size_t>(width) * 6);
  for (int y = 0; y < height; ++y) {
    for (std::size_t i = 0; i < row.size(); ++i)
      row[i] = static_cast<png_byte>((i + static_cast<std::size_t>(y)) & 0xFF);
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(fp);
}

// An 8-bit gray PNG whose pHYs chunk states `per_metre` pixels per metre.
void write_png_with_phys(const std::filesystem::path& path, const image::Raster& gray,
                         png_uint_32 per_metre) {
  REQUIRE(gray.channels == 1);
  FILE* fp = std::fopen(path.c_str(), "wb");
  REQUIRE(fp != nullptr);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, fp);
  png_set_IHDR(png, info, static_cast<png_uint_32>(gray.width), static_cast<png_uint_32>(gray.height), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_pHYs(png, info, per_metre, per_metre, PNG_RESOLUTION_METER);
  png_write_info(png, info);
  for (int y = 0; y < gray.height; ++y) {
    png_write_row(png,
                  gray.pixels.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(gray.width));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(fp);
}

// `jp2` with a res box holding one `kind` box ("resc" capture, "resd"
// display) of numerator / denominator * 10^exponent grid points per metre,
// appended inside its jp2h header box (OpenJPEG writes no res box).
Bytes with_jp2_resolution(const Bytes& jp2, const char* kind, std::uint16_t numerator,
                          std::uint16_t denominator, std::int8_t exponent) {
  auto be32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(jp2[at]) << 24 | static_cast<std::uint32_t>(jp2[at + 1]) << 16 |
           static_cast<std::uint32_t>(jp2[at + 2]) << 8 | jp2[at + 3];
  };
  const auto high = [](unsigned v) { return static_cast<std::uint8_t>(v >> 8); };
  const auto low = [](unsigned v) { return static_cast<std::uint8_t>(v & 0xFF); };
  Bytes res = {0,
               0,
               0,
               26,
               'r',
               'e',
               's',
               ' ',
               0,
               0,
               0,
               18,
               static_cast<std::uint8_t>(kind[0]),
               static_cast<std::uint8_t>(kind[1]),
               static_cast<std::uint8_t>(kind[2]),
               static_cast<std::uint8_t>(kind[3])};
  for (unsigned v : {numerator, denominator, numerator, denominator}) {  // vertical, then horizontal
    res.push_back(high(v));
    res.push_back(low(v));
  }
  res.push_back(static_cast<std::uint8_t>(exponent));
  res.push_back(static_cast<std::uint8_t>(exponent));
  for (std::size_t pos = 0; pos + 8 <= jp2.size();) {
    const std::uint32_t length = be32(pos);
    REQUIRE(length >= 8);
    if (std::equal(jp2.begin() + static_cast<long>(pos) + 4, jp2.begin() + static_cast<long>(pos) + 8,
                   "jp2h")) {
      Bytes out(jp2.begin(), jp2.begin() + static_cast<long>(pos + length));
      out.insert(out.end(), res.begin(), res.end());
      out.insert(out.end(), jp2.begin() + static_cast<long>(pos + length), jp2.end());
      const std::uint32_t grown = length + static_cast<std::uint32_t>(res.size());
      for (int i = 0; i < 4; ++i)
        out[pos + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(grown >> (24 - 8 * i));
      return out;
    }
    pos += length;
  }
  FAIL("no jp2h box: not a JP2 file");
  return {};
}

struct Fixture {
  test::TempDir dir;
  json record = json::parse(test::example_application_json());
  Fixture() { test::write_example_images(dir); }
};

ChipImage prepare_with(const json& record, const test::TempDir& dir, const DocumentProfile& profile,
                       PrepareReport* report) {
  auto app = parse_application(record.dump(), dir.path(), "app.json", profile, fixed_today());
  auto signer = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
  return prepare(app, profile, *signer, test::prepare_options(profile), report);
}

}  // namespace

TEST_CASE("encode_jpeg2000_within lands just under the budget, or names the image it cannot fit") {
  image::Raster face = test::synthetic_face(480, 640);
  for (std::size_t budget : {12000U, 20000U, 40000U}) {
    auto r = image::encode_jpeg2000_within(face, budget, 80.0, "face.png");
    INFO("budget " << budget << " got " << r.data.size() << " at ratio " << r.ratio);
    CHECK(image::sniff(r.data) == image::Format::Jpeg2000);
    CHECK(r.data.size() <= budget);
    CHECK(static_cast<double>(r.data.size()) >= 0.9 * static_cast<double>(budget));
    image::Raster back = image::decode(r.data, "round trip");
    CHECK(back.width == 480);
    CHECK(back.height == 640);
  }
  CHECK_THROWS_WITH_AS(
      image::encode_jpeg2000_within(face, 2000, 4.0, "face.png"),
      doctest::Contains("face.png: does not fit 2000 bytes even at JPEG 2000 compression ratio 4:1"), Error);
}

TEST_CASE("face.format and its settings are validated") {
  Bytes text = read_file((test::source_dir() / "profiles/documents/dk-residence-card.json").string());
  auto base = json::parse(text.begin(), text.end());
  CHECK(dk_profile().face.format == "jpeg");
  CHECK(jp2_profile().face.format == "jpeg2000");
  CHECK(jp2_profile().face.max_compression_ratio == doctest::Approx(80.0));
  auto j = base;
  j["face"]["format"] = "png";
  CHECK(mentions(profile_problems(j), "face.format: must be \"jpeg\" or \"jpeg2000\", not \"png\""));
  j = base;
  j["face"]["max_compression_ratio"] = 40;
  CHECK(mentions(profile_problems(j), "face.max_compression_ratio: applies to format \"jpeg2000\" only"));
  j = base;
  j["face"]["format"] = "jpeg2000";
  CHECK(mentions(profile_problems(j), "face.min_quality: applies to format \"jpeg\" only"));
  CHECK(mentions(profile_problems(j), "face.max_quality: applies to format \"jpeg\" only"));
  j["face"].erase("min_quality");
  j["face"].erase("max_quality");
  CHECK(profile_problems(j).empty());
  j["face"]["max_compression_ratio"] = 1;
  CHECK(mentions(profile_problems(j), "face.max_compression_ratio: must be a number from 2 to 200"));
  j["face"]["max_compression_ratio"] = "40";
  CHECK(mentions(profile_problems(j), "face.max_compression_ratio: must be a number from 2 to 200"));
}

TEST_CASE("a JPEG 2000 profile re-encodes the face to JPEG 2000 (image data type 1) and rcverify passes it") {
  Fixture f;
  auto profile = jp2_profile();
  PrepareReport report;
  ChipImage chip = prepare_with(f.record, f.dir, profile, &report);
  auto dg2 = lds::Dg2::decode(*chip.file("EF.DG2"));
  const auto& face = dg2.faces.at(0).images.at(0);
  CHECK(face.image_data_type == 1);
  CHECK(image::sniff(face.image) == image::Format::Jpeg2000);
  CHECK(face.image.size() <= 20000);
  CHECK(face.image.size() >= 19000);
  CHECK(report.face.find("re-encoded 480x640 JPEG 2000 ratio ") == 0);

  // The same bytes as the shared encoder gives (what `rcperso image --face` writes).
  auto app = parse_application(f.record.dump(), f.dir.path(), "app.json", profile, fixed_today());
  std::string note;
  CHECK(face_image_data(app.face, profile, note) == face.image);

  inspection::VerifyOptions o;
  o.csca_files = {(test::source_dir() / "keys-sample/csca-ec.pem").string()};
  o.profile = profile;
  auto verified = inspection::verify_chip(chip, o);
  bool found = false;
  for (const auto& c : verified.checks) {
    if (c.name == "DG2 face image") {
      found = true;
      CHECK(c.status == Status::Pass);
      CHECK(c.detail.find("ISO/IEC 19794-5 record, JPEG 2000 480x640") == 0);
    }
  }
  CHECK(found);
}

TEST_CASE("a JPEG 2000 face already at the profile's size within budget is kept as given") {
  Fixture f;
  auto profile = jp2_profile();
  Bytes given = image::encode_jpeg2000(test::synthetic_face(480, 640), 60.0);
  REQUIRE(given.size() <= profile.face.max_bytes);
  f.dir.write("face.jp2", given);
  f.record["biometrics"]["face"] = "face.jp2";
  PrepareReport report;
  ChipImage chip = prepare_with(f.record, f.dir, profile, &report);
  auto dg2 = lds::Dg2::decode(*chip.file("EF.DG2"));
  CHECK(dg2.faces.at(0).images.at(0).image == given);
  CHECK(report.face.find("kept as given: 480x640 JPEG 2000") == 0);

  // The JPEG profile re-encodes the same input to JPEG.
  PrepareReport jpeg_report;
  chip = prepare_with(f.record, f.dir, dk_profile(), &jpeg_report);
  dg2 = lds::Dg2::decode(*chip.file("EF.DG2"));
  CHECK(dg2.faces.at(0).images.at(0).image_data_type == 0);
  CHECK(image::sniff(dg2.faces.at(0).images.at(0).image) == image::Format::Jpeg);
  CHECK(jpeg_report.face.find("re-encoded 480x640 JPEG quality") == 0);
}

TEST_CASE("face gates: too small, landscape, CMYK, 16-bit, each naming biometrics.face, all in one run") {
  Fixture f;
  f.dir.write("landscape.jpg", image::encode_jpeg(test::synthetic_face(900, 700), 90));
  f.dir.write("cmyk.jpg", cmyk_jpeg(600, 800));
  write_png16(f.dir / "deep.png", 600, 800);
  f.dir.write("small.jp2", image::encode_jpeg2000(test::synthetic_face(300, 400), 20.0));

  f.record["biometrics"]["face"] = "landscape.jpg";
  auto p = problems_of(f.record, f.dir, dk_profile());
  INFO(dump(p));
  CHECK(has_problem(p, "biometrics.face",
                    "landscape.jpg is landscape; a portrait (taller than wide) is required"));

  f.record["biometrics"]["face"] = "cmyk.jpg";
  f.dir.write("colour_finger.png", image::encode_png(test::synthetic_face(400, 500)));
  f.record["biometrics"]["fingerprints"][0]["image"] =
      "colour_finger.png";  // and a finger problem in the same run
  p = problems_of(f.record, f.dir, dk_profile());
  INFO(dump(p));
  CHECK(has_problem(p, "biometrics.face", "cmyk.jpg is in the cmyk colour space"));
  CHECK(has_problem(p, "biometrics.fingerprints[0].image", "8-bit grayscale"));
  f.record["biometrics"]["fingerprints"][0]["image"] = "right_index.png";

  f.record["biometrics"]["face"] = "deep.png";
  p = problems_of(f.record, f.dir, dk_profile());
  INFO(dump(p));
  CHECK(has_problem(p, "biometrics.face", "deep.png has 16-bit samples; 8-bit is required"));

  f.record["biometrics"]["face"] = "small.jp2";
  p = problems_of(f.record, f.dir, jp2_profile());
  INFO(dump(p));
  CHECK(has_problem(p, "biometrics.face", "small.jp2 is 300x400 pixels; the profile needs at least 480x640"));

  f.record["biometrics"]["face"] = "face.jpg";
  CHECK(problems_of(f.record, f.dir, jp2_profile()).empty());
}

TEST_CASE("a PNG fingerprint whose pHYs states another resolution is refused, naming the field") {
  Fixture f;
  image::Raster finger = test::synthetic_finger(400, 500);
  write_png_with_phys(f.dir / "ri_1000.png", finger, 39370);  // 1000 ppi
  write_png_with_phys(f.dir / "ri_500.png", finger, 19685);   // 500 ppi
  f.record["biometrics"]["fingerprints"][0]["image"] = "ri_1000.png";
  auto p = problems_of(f.record, f.dir, dk_profile());
  INFO(dump(p));
  CHECK(has_problem(p, "biometrics.fingerprints[0].image",
                    "ri_1000.png is a PNG at 1000 ppi; the profile needs 500 ppi"));
  f.record["biometrics"]["fingerprints"][0]["image"] = "ri_500.png";
  CHECK(problems_of(f.record, f.dir, dk_profile()).empty());
}

TEST_CASE("a JPEG 2000 fingerprint's res box: another capture resolution is refused, naming the image") {
  Fixture f;
  const Bytes jp2 = image::encode_jpeg2000(test::synthetic_finger(400, 500), 10.0);
  REQUIRE(image::sniff(jp2) == image::Format::Jpeg2000);
  f.dir.write("ri_none.jp2", jp2);                                               // no res box
  f.dir.write("ri_1000.jp2", with_jp2_resolution(jp2, "resc", 3937, 1, 1));      // 39370 per metre: 1000 ppi
  f.dir.write("ri_500.jp2", with_jp2_resolution(jp2, "resc", 19685, 1, 0));      // 500 ppi
  f.dir.write("ri_500cm.jp2", with_jp2_resolution(jp2, "resc", 19685, 100, 2));  // the same, as 196.85 * 10^2
  f.dir.write("ri_300d.jp2", with_jp2_resolution(jp2, "resd", 11811, 1, 0));     // display only: 300 ppi
  auto& image = f.record["biometrics"]["fingerprints"][0]["image"];

  image = "ri_1000.jp2";
  auto p = problems_of(f.record, f.dir, dk_profile());
  INFO(dump(p));
  CHECK(has_problem(p, "biometrics.fingerprints[0].image",
                    "ri_1000.jp2 is a JPEG 2000 at 1000 ppi; the profile needs 500 ppi"));
  image = "ri_300d.jp2";
  p = problems_of(f.record, f.dir, dk_profile());
  INFO(dump(p));
  CHECK(has_problem(p, "biometrics.fingerprints[0].image",
                    "ri_300d.jp2 is a JPEG 2000 at 300 ppi; the profile needs 500 ppi"));
  for (const char* ok : {"ri_none.jp2", "ri_500.jp2", "ri_500cm.jp2"}) {
    CAPTURE(ok);
    image = ok;
    CHECK(problems_of(f.record, f.dir, dk_profile()).empty());
  }
  // The same where JPEG 2000 fingers are kept as given (decoded at half size only).
  DocumentProfile jp2_fingers = dk_profile();
  jp2_fingers.fingerprints.format = "jpeg2000";
  image = "ri_1000.jp2";
  CHECK(has_problem(problems_of(f.record, f.dir, jp2_fingers), "biometrics.fingerprints[0].image",
                    "ri_1000.jp2 is a JPEG 2000 at 1000 ppi"));
  image = "ri_500.jp2";
  CHECK(problems_of(f.record, f.dir, jp2_fingers).empty());
}

TEST_CASE(
    "a profile with downsample_from_ppi takes a 1000 ppi fingerprint down to 500 ppi; others refuse it") {
  Fixture f;
  // Ridges every 18 pixels at 1000 ppi: every 9 at 500 ppi, as synthetic_finger draws them.
  write_png_with_phys(f.dir / "ri_1000.png", test::synthetic_finger(800, 1000, 18.0), 39370);
  f.record["biometrics"]["fingerprints"][0]["image"] = "ri_1000.png";
  Bytes text = read_file((test::source_dir() / "profiles/documents/dk-residence-card.json").string());
  json j = json::parse(text.begin(), text.end());
  j["fingerprints"]["downsample_from_ppi"] = 1000;
  auto profile = DocumentProfile::from_json(j, "dk-1000ppi");
  REQUIRE(problems_of(f.record, f.dir, profile).empty());

  PrepareReport report;
  ChipImage chip = prepare_with(f.record, f.dir, profile, &report);
  auto dg3 = lds::Dg3::decode(*chip.file("EF.DG3"));
  const auto& record = dg3.fingers.at(0);
  CHECK(record.scan_res_h == 1000);  // the scanner's resolution
  CHECK(record.image_res_h == 500);  // the image's
  CHECK(record.fingers.at(0).width == 400);
  CHECK(record.fingers.at(0).height == 500);
  auto decoded = image::decode(record.fingers.at(0).image, "DG3 finger");
  CHECK(decoded.width == 400);
  CHECK(decoded.height == 500);
  CHECK(image::wsq::has_ridge_contrast(image::wsq::ridge_contrast(decoded)));

  // The same capture against the Danish profile, which takes 500 ppi only.
  auto p = problems_of(f.record, f.dir, dk_profile());
  CHECK(has_problem(p, "biometrics.fingerprints[0].image",
                    "ri_1000.png is a PNG at 1000 ppi; the profile needs 500 ppi"));
  j["fingerprints"]["downsample_from_ppi"] = 800;
  CHECK(
      mentions(profile_problems(j), "fingerprints.downsample_from_ppi: must be twice resolution_ppi (1000)"));
}

}  // namespace test_face
