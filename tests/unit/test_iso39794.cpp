// ISO/IEC 39794-5 face records (ICAO application profile): the ICAO samples
// decode with their field values, records round-trip byte for byte, DG2
// carries them under 7F2E, malformed records are refused.
#include <doctest/doctest.h>

#include <algorithm>

#include "biometric/iso39794_face.hpp"
#include "core/error.hpp"
#include "lds/biometric_dg.hpp"
#include "test_support.hpp"
#include "tlv/tlv.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_iso39794 {

using namespace rcperso;
using biometric::Face39794ImageFormat;
using biometric::Iso39794FaceRecord;

namespace {

Bytes sample(const std::string& name) {
  return read_file(std::string(RCPERSO_TEST_DATA) + "/iso39794/" + name);
}

Iso39794FaceRecord small_record() {
  Iso39794FaceRecord r;
  r.image = {0xFF, 0xD8, 0xFF, 0xE0, 0x01, 0x02, 0xFF, 0xD9};
  r.width = 480;
  r.height = 640;
  r.colour_space = biometric::Face39794ColourSpace::Rgb24;
  r.capture_datetime = biometric::Iso39794DateTime{2026, 11, 25, 9, 30, std::nullopt, std::nullopt};
  return r;
}

}  // namespace

TEST_CASE("ICAO 39794-5 mandatory-fields sample: decoded, and encoded back byte-identical") {
  Bytes data = sample("ICAO_39794_5_AP_MandFields.dat");
  auto r = Iso39794FaceRecord::decode(data, "sample");
  CHECK(r.version_generation == 3);
  CHECK(r.version_year == 2019);
  CHECK(r.representation_id == 0);
  CHECK(r.image_format == Face39794ImageFormat::Jpeg2000Lossy);
  CHECK(r.image.size() == 15000);
  CHECK(r.image[4] == 'j');  // JPEG 2000 signature box "jP  "
  CHECK_FALSE(r.width.has_value());
  CHECK_FALSE(r.capture_datetime.has_value());
  CHECK_FALSE(r.mrtd_image_kind);
  CHECK(r.kept_representation_fields.empty());
  CHECK(r.encode() == data);
}

TEST_CASE("ICAO 39794-5 all-fields sample: modelled fields decoded, the rest kept, byte-identical") {
  Bytes data = sample("ICAO_39794_5_AP_AllFields.dat");
  auto r = Iso39794FaceRecord::decode(data, "sample");
  CHECK(r.image_format == Face39794ImageFormat::Jpeg2000Lossy);
  CHECK(r.mrtd_image_kind);
  REQUIRE(r.width.has_value());
  CHECK(*r.width == 572);
  CHECK(*r.height == 731);
  REQUIRE(r.capture_datetime.has_value());
  CHECK(r.capture_datetime->year == 2024);
  CHECK(r.capture_datetime->month == 1);
  CHECK(r.capture_datetime->day == 20);
  CHECK(r.capture_datetime->millisecond == 908);
  CHECK(r.kept_image_2d_fields.size() == 1);  // capture device 2D block [2]
  CHECK(r.kept_representation_fields.size() >=
        5);  // quality, PAD, session, derived, device, metadata, landmarks
  CHECK(r.encode() == data);
}

TEST_CASE("ICAO 39794-5 DG2 samples: 7F2E with format type 002A, decoded as ISO/IEC 39794-5") {
  for (const char* name : {"ICAO_39794_5_AP_DG2_MandFields.dat", "ICAO_39794_5_AP_DG2_AllFields.dat"}) {
    CAPTURE(name);
    Bytes data = sample(name);
    auto dg2 = lds::Dg2::decode(data);
    REQUIRE(dg2.group.templates.size() == 1);
    CHECK(dg2.group.templates[0].constructed_data);
    CHECK(dg2.group.templates[0].header.format_type == 0x002A);
    REQUIRE(dg2.face_formats.size() == 1);
    CHECK(dg2.face_formats[0] == lds::FaceRecordFormat::Iso39794_5);
    REQUIRE(dg2.faces_39794.size() == 1);
    CHECK(dg2.faces[0].images[0].image == dg2.faces_39794[0].image);
    CHECK(dg2.faces[0].images[0].image_data_type == 1);  // JPEG 2000 in the 19794 view
    CHECK(dg2.encode() == data);
  }
}

TEST_CASE("a built 39794-5 record and DG2 round-trip byte-identical") {
  auto r = small_record();
  Bytes encoded = r.encode();
  auto back = Iso39794FaceRecord::decode(encoded, "rt");
  CHECK(back.image == r.image);
  CHECK(back.width == r.width);
  CHECK(back.height == r.height);
  CHECK(back.colour_space == r.colour_space);
  CHECK(back.capture_datetime == r.capture_datetime);
  CHECK(back.mrtd_image_kind);
  CHECK(back.encode() == encoded);

  auto dg2 = lds::Dg2::from_face_39794(r);
  Bytes dg2_bytes = dg2.encode();
  auto decoded = lds::Dg2::decode(dg2_bytes);
  CHECK(decoded.face_formats.at(0) == lds::FaceRecordFormat::Iso39794_5);
  CHECK(decoded.faces.at(0).images.at(0).width == 480);
  CHECK(decoded.faces.at(0).images.at(0).colour_space == 1);
  CHECK(decoded.encode() == dg2_bytes);
  CHECK(std::string(lds::face_record_format_name(decoded.face_formats[0])) == "ISO/IEC 39794-5");
}

TEST_CASE("malformed 39794-5 records are refused") {
  Bytes good = small_record().encode();
  SUBCASE("trailing data") {
    Bytes bad = good;
    bad.push_back(0x00);
    CHECK_THROWS_AS(Iso39794FaceRecord::decode(bad, "x"), DecodeError);
  }
  SUBCASE("truncated") {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{5}, good.size() / 2, good.size() - 1}) {
      CAPTURE(n);
      CHECK_THROWS_AS(Iso39794FaceRecord::decode(ByteView(good.data(), n), "x"), DecodeError);
    }
  }
  SUBCASE("wrong outer tag") {
    Bytes bad = good;
    bad[0] = 0xA2;
    CHECK_THROWS_AS(Iso39794FaceRecord::decode(bad, "x"), DecodeError);
  }
  SUBCASE("non-minimal length") {
    REQUIRE(good[1] == good.size() - 2);  // the small record has a one-byte outer length
    Bytes bad = {0xA1, 0x81, good[1]};
    bad.insert(bad.end(), good.begin() + 2, good.end());
    CHECK_THROWS_AS(Iso39794FaceRecord::decode(bad, "x"), DecodeError);
  }
  SUBCASE("unknown image data format") {
    auto r = small_record();
    r.image_format = static_cast<Face39794ImageFormat>(7);
    CHECK_THROWS_WITH_AS(Iso39794FaceRecord::decode(r.encode(), "x"), doctest::Contains("image data format"),
                         DecodeError);
  }
  SUBCASE("fields out of order") {
    auto r = small_record();
    r.kept_representation_fields.push_back({3, tlv::encode(0xA3, Bytes{})});
    r.kept_representation_fields.push_back({4, tlv::encode(0xA4, Bytes{})});
    Bytes ok = r.encode();
    CHECK(Iso39794FaceRecord::decode(ok, "x").kept_representation_fields.size() == 2);
    const Bytes in_order = {0xA3, 0x00, 0xA4, 0x00};
    auto at = std::search(ok.begin(), ok.end(), in_order.begin(), in_order.end());
    REQUIRE(at != ok.end());
    at[0] = 0xA4;
    at[2] = 0xA3;
    CHECK_THROWS_WITH_AS(Iso39794FaceRecord::decode(ok, "x"), doctest::Contains("out of order"), DecodeError);
  }
  SUBCASE("a 7F2E data block with a 19794 format type") {
    auto dg2 = lds::Dg2::from_face_39794(small_record());
    dg2.group.templates[0].header.format_type = 0x0008;
    CHECK_THROWS_WITH_AS(lds::Dg2::decode(dg2.encode()), doctest::Contains("002A"), DecodeError);
  }
  SUBCASE("an empty image") {
    auto r = small_record();
    r.image.clear();
    CHECK_THROWS_WITH_AS(Iso39794FaceRecord::decode(r.encode(), "x"), doctest::Contains("empty"),
                         DecodeError);
  }
}

}  // namespace test_iso39794
