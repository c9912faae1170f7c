// ISO/IEC 39794-4 finger records: records round-trip byte for byte (also
// with fields kept raw and codes in the extension-block form), DG3 carries
// them under 7F2E with format type 0028, malformed records are refused.
#include <doctest/doctest.h>

#include <algorithm>

#include "biometric/iso39794_finger.hpp"
#include "core/error.hpp"
#include "image/image.hpp"
#include "lds/biometric_dg.hpp"
#include "test_support.hpp"
#include "tlv/tlv.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_iso39794_finger {

using namespace rcperso;
using biometric::Finger39794ImageFormat;
using biometric::Finger39794Representation;
using biometric::Iso39794FingerRecord;

namespace {

Finger39794Representation finger(std::uint8_t position) {
  Finger39794Representation rep;
  rep.position = position;
  rep.image_format = Finger39794ImageFormat::Wsq;
  rep.image = {0xFF, 0xA0, 0xFF, 0xA8, 0x00, 0x02, 0xFF, 0xA1};  // WSQ SOI, COM, EOI markers
  rep.sampling_rate = biometric::Finger39794SamplingRate{500, false};
  return rep;
}

Iso39794FingerRecord one_finger(std::uint8_t position = 2) {
  Iso39794FingerRecord r;
  r.representations.push_back(finger(position));
  return r;
}

// Replaces the first occurrence of `from` in `data` by `to` (same length).
Bytes patched(Bytes data, const Bytes& from, const Bytes& to) {
  REQUIRE(from.size() == to.size());
  auto at = std::search(data.begin(), data.end(), from.begin(), from.end());
  REQUIRE(at != data.end());
  std::copy(to.begin(), to.end(), at);
  return data;
}

// A1 { 64 { version 3/2019, A1 { blocks } } } around hand-made representation blocks.
Bytes record_around(const Bytes& blocks) {
  Bytes content = {0xA0, 0x07, 0x80, 0x01, 0x03, 0x81, 0x02, 0x07, 0xE3};
  Bytes wrapped = tlv::encode(0xA1, blocks);
  content.insert(content.end(), wrapped.begin(), wrapped.end());
  return tlv::encode(0xA1, tlv::encode(0x64, content));
}

}  // namespace

TEST_CASE("a 39794-4 record: the exact DER of one WSQ finger, and decoded back to the same fields") {
  auto r = one_finger();
  Bytes encoded = r.encode();
  // A1 { 64 { A0 {80 03, 81 2019}, A1 { 30 { A0 {80 02}, A1 {80 00}, A2 {80 01}, 83 image,
  //   A7 {80 01F4, 81 00} } } } }
  CHECK(to_hex_upper(encoded) ==
        "A131642F"
        "A007800103810207E3"
        "A1243022"
        "A0038001"
        "02"
        "A1038001"
        "00"
        "A2038001"
        "01"
        "8308"
        "FFA0FFA80002FFA1"
        "A707800201F4810100");
  auto back = Iso39794FingerRecord::decode(encoded, "rt");
  CHECK(back == r);
  CHECK(back.version_generation == 3);
  CHECK(back.version_year == 2019);
  REQUIRE(back.representations.size() == 1);
  CHECK(back.representations[0].position == 2);
  CHECK(back.representations[0].impression == 0);
  CHECK(back.representations[0].image_format == Finger39794ImageFormat::Wsq);
  REQUIRE(back.representations[0].sampling_rate.has_value());
  CHECK(back.representations[0].sampling_rate->ppi() == 500);
  CHECK(back.encode() == encoded);
}

TEST_CASE("39794-4 round trips with every modelled field, kept fields, extension-form codes, two fingers") {
  Iso39794FingerRecord r;
  auto right = finger(2);
  right.impression = 1;  // rolled contact
  right.image_format = Finger39794ImageFormat::Jpeg2000Lossless;
  right.capture_datetime = biometric::Iso39794DateTime{2026, 11, 25, 9, 30, 15, 250};
  right.sampling_rate = biometric::Finger39794SamplingRate{197, true};  // 197 per cm = 500 ppi
  // capture device [5] { model [0] { organization [0] 0101, id [1] 0002 } }, a boolean [8], an extension
  // [20].
  right.kept_fields.push_back(
      {5, tlv::encode(0xA5, tlv::encode(0xA0, Bytes{0x80, 0x02, 0x01, 0x01, 0x81, 0x02, 0x00, 0x02}))});
  right.kept_fields.push_back({8, Bytes{0x88, 0x01, 0xFF}});
  right.kept_fields.push_back({20, Bytes{0x94, 0x01, 0x07}});
  right.position_extension_form = true;
  r.representations.push_back(right);
  auto left = finger(7);
  left.image_format = Finger39794ImageFormat::Png;
  left.sampling_rate.reset();
  left.impression_extension_form = true;
  left.image_format_extension_form = true;
  r.representations.push_back(left);

  Bytes encoded = r.encode();
  auto back = Iso39794FingerRecord::decode(encoded, "rt");
  CHECK(back == r);
  CHECK(back.representations[0].sampling_rate->ppi() == 500);
  CHECK(back.representations[0].capture_datetime->millisecond == 250);
  CHECK(back.representations[0].kept_fields.size() == 3);
  CHECK(back.representations[1].position == 7);
  CHECK_FALSE(back.representations[1].sampling_rate.has_value());
  CHECK(back.encode() == encoded);
  // The extension-block form of a code: [0] { [1] { [0] 02 } }.
  CHECK(to_hex_upper(encoded).find("A005A103800102") != std::string::npos);
  CHECK(biometric::finger39794_compression_code(Finger39794ImageFormat::Png) == 5);
  CHECK(std::string(biometric::finger39794_image_format_name(Finger39794ImageFormat::Jpeg2000Lossless)) ==
        "JPEG 2000 (lossless)");
}

TEST_CASE("DG3 with 39794-4 records: 7F2E, format type 0028, subtype from the position, a 19794-4 view") {
  auto dg3 = lds::Dg3::from_fingers_39794({one_finger(2), one_finger(7)});
  Bytes bytes = dg3.encode();
  auto back = lds::Dg3::decode(bytes);
  REQUIRE(back.group.templates.size() == 2);
  CHECK(back.group.templates[0].constructed_data);
  CHECK(back.group.templates[0].header.format_type == 0x0028);
  CHECK(back.group.templates[0].header.biometric_subtype == 0x09);  // right index
  CHECK(back.group.templates[1].header.biometric_subtype == 0x0A);  // left index
  REQUIRE(back.finger_formats.size() == 2);
  CHECK(back.finger_formats[1] == lds::FingerRecordFormat::Iso39794_4);
  REQUIRE(back.fingers_39794.size() == 2);
  CHECK(back.fingers[1].compression == 2);  // WSQ in the 19794-4 view
  CHECK(back.fingers[1].image_res_h == 500);
  CHECK(back.fingers[1].fingers.at(0).position == 7);
  CHECK(back.fingers[1].fingers.at(0).image == one_finger().representations[0].image);
  CHECK(back.encode() == bytes);
  CHECK(std::string(lds::finger_record_format_name(back.finger_formats[0])) == "ISO/IEC 39794-4");
  // "BIT 7F60 { A1 {81 01 08, 82 01 09, 87 02 0101, 88 02 0028}, 7F2E { A1 ... } }"
  CHECK(to_hex_upper(bytes).find("A10E81010882010987020101880200287F2E") != std::string::npos);
}

TEST_CASE("malformed 39794-4 records and DG3 templates are refused") {
  Bytes good = one_finger().encode();
  SUBCASE("trailing data") {
    Bytes bad = good;
    bad.push_back(0x00);
    CHECK_THROWS_AS(Iso39794FingerRecord::decode(bad, "x"), DecodeError);
  }
  SUBCASE("truncated anywhere") {
    for (std::size_t n = 0; n < good.size(); ++n) {
      CAPTURE(n);
      CHECK_THROWS_AS(Iso39794FingerRecord::decode(ByteView(good.data(), n), "x"), DecodeError);
    }
  }
  SUBCASE("a length longer than its content") {
    // The image data's length 08 -> 09 runs into the next field.
    CHECK_THROWS_AS(Iso39794FingerRecord::decode(patched(good, {0x83, 0x08}, {0x83, 0x09}), "x"),
                    DecodeError);
  }
  SUBCASE("the face's [APPLICATION 5] instead of [APPLICATION 4]") {
    CHECK_THROWS_AS(Iso39794FingerRecord::decode(patched(good, {0xA1, 0x31, 0x64}, {0xA1, 0x31, 0x65}), "x"),
                    DecodeError);
  }
  SUBCASE("unknown image data format") {
    auto r = one_finger();
    r.representations[0].image_format = static_cast<Finger39794ImageFormat>(5);
    CHECK_THROWS_WITH_AS(Iso39794FingerRecord::decode(r.encode(), "x"),
                         doctest::Contains("image data format 5"), DecodeError);
  }
  SUBCASE("a universal tag where context tags go") {
    // The impression's [1] as a SEQUENCE.
    CHECK_THROWS_WITH_AS(
        Iso39794FingerRecord::decode(
            patched(good, {0xA1, 0x03, 0x80, 0x01, 0x00}, {0x30, 0x03, 0x80, 0x01, 0x00}), "x"),
        doctest::Contains("context tag was expected"), DecodeError);
  }
  SUBCASE("an unknown field in the sampling-rate block, which has no extension marker") {
    Bytes rate = {0xA7, 0x07, 0x80, 0x02, 0x01, 0xF4, 0x81, 0x01, 0x00};
    Bytes bad = good;
    auto at = std::search(bad.begin(), bad.end(), rate.begin(), rate.end());
    REQUIRE(at != bad.end());
    // Same length: replace the unit [1] by [2].
    at[6] = 0x82;
    CHECK_THROWS_WITH_AS(Iso39794FingerRecord::decode(bad, "x"),
                         doctest::Contains("unit dimension [1] is missing"), DecodeError);
  }
  SUBCASE("a field out of order") {
    // Swap impression [1] and image format [2] tags.
    Bytes bad = patched(good, {0xA1, 0x03, 0x80, 0x01, 0x00, 0xA2}, {0xA2, 0x03, 0x80, 0x01, 0x00, 0xA1});
    CHECK_THROWS_AS(Iso39794FingerRecord::decode(bad, "x"), DecodeError);
  }
  SUBCASE("a CHOICE with both alternatives") {
    // position [0] { base 80 01 02, extension A1 { 80 01 02 } }
    Bytes rep = {0xA0, 0x08, 0x80, 0x01, 0x02, 0xA1, 0x03, 0x80, 0x01, 0x02};
    Bytes rest = {0xA1, 0x03, 0x80, 0x01, 0x00, 0xA2, 0x03, 0x80, 0x01, 0x01, 0x83, 0x01, 0xFF};
    rep.insert(rep.end(), rest.begin(), rest.end());
    CHECK_THROWS_WITH_AS(Iso39794FingerRecord::decode(record_around({tlv::encode(0x30, rep)}), "x"),
                         doctest::Contains("unexpected field [1]"), DecodeError);
  }
  SUBCASE("an empty image") {
    auto r = one_finger();
    r.representations[0].image.clear();
    CHECK_THROWS_WITH_AS(Iso39794FingerRecord::decode(r.encode(), "x"), doctest::Contains("empty"),
                         DecodeError);
  }
  SUBCASE("no representation block") {
    CHECK_THROWS_WITH_AS(Iso39794FingerRecord::decode(record_around({}), "x"),
                         doctest::Contains("no representation block"), DecodeError);
  }
  SUBCASE("a 7F2E data block with the 19794-4 format type") {
    auto dg3 = lds::Dg3::from_fingers_39794({one_finger()});
    dg3.group.templates[0].header.format_type = 0x0007;
    CHECK_THROWS_WITH_AS(lds::Dg3::decode(dg3.encode()), doctest::Contains("0028"), DecodeError);
  }
  SUBCASE("a header subtype that is not the record's finger") {
    auto dg3 = lds::Dg3::from_fingers_39794({one_finger(2)});
    dg3.group.templates[0].header.biometric_subtype = 0x0A;
    CHECK_THROWS_WITH_AS(lds::Dg3::decode(dg3.encode()), doctest::Contains("subtype"), DecodeError);
  }
}

TEST_CASE("ISO's 39794-4 sample: decoded with its field values, every optional block kept, byte-identical") {
  const Bytes data = read_file(std::string(RCPERSO_TEST_DATA) + "/iso39794/sample-39794-4-ed-1-v1.der");
  REQUIRE(data.size() == 1076);
  auto r = Iso39794FingerRecord::decode_block(data, "sample");
  CHECK(r.version_generation == 3);
  CHECK(r.version_year == 2019);
  REQUIRE(r.representations.size() == 1);
  const auto& rep = r.representations[0];
  CHECK(rep.position == 2);    // right index
  CHECK(rep.impression == 1);  // rolled contact
  CHECK(rep.image_format == Finger39794ImageFormat::Png);
  CHECK(rep.image.size() == 689);
  CHECK(image::sniff(rep.image) == image::Format::Png);
  auto info = image::probe(rep.image, "sample");
  CHECK(info.width == 24);
  CHECK(info.height == 24);
  REQUIRE(rep.capture_datetime.has_value());
  CHECK(rep.capture_datetime->year == 2018);
  CHECK(rep.capture_datetime->month == 12);
  CHECK(rep.capture_datetime->day == 30);
  CHECK(rep.capture_datetime->hour == 13);
  CHECK_FALSE(rep.capture_datetime->minute.has_value());
  REQUIRE(rep.sampling_rate.has_value());
  CHECK(rep.sampling_rate->samples_per_unit == 100);
  CHECK(rep.sampling_rate->per_centimetre);
  CHECK(rep.sampling_rate->ppi() == 254);
  CHECK_FALSE(rep.position_extension_form);
  // capture device [5], quality [6], four booleans/rotation [8]-[11], segmentation [12],
  // annotation [13], PAD [14], comments [15], vendor data [16].
  std::vector<int> kept;
  for (const auto& k : rep.kept_fields) kept.push_back(k.tag_number);
  CHECK(kept == std::vector<int>{5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  CHECK(r.encode_block() == data);
  // In DG3 it goes under 7F2E wrapped in A1, as 39794-5 faces are.
  Bytes wrapped = r.encode();
  CHECK(wrapped.size() == data.size() + 4);  // A1 82 04 34
  CHECK(Iso39794FingerRecord::decode(wrapped, "wrapped") == r);
  auto dg3 = lds::Dg3::decode(lds::Dg3::from_fingers_39794({r}).encode());
  CHECK(dg3.fingers.at(0).compression == 5);  // PNG in the 19794-4 view
  CHECK(dg3.fingers.at(0).image_res_h == 254);
  CHECK(dg3.fingers_39794.at(0) == r);
}

}  // namespace test_iso39794_finger
