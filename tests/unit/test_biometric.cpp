// ISO/IEC 19794-4/-5 records, the CBEFF wrapper, DG2 and DG3.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "lds/biometric_dg.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_biometric {

using namespace rcperso;
using namespace rcperso::biometric;

namespace {
FaceImage sample_face() {
  FaceImage f;
  f.gender = 2;
  f.feature_mask = 0x000001;
  f.feature_points.push_back({1, 0x41, 200, 300});
  f.width = 480;
  f.height = 640;
  f.image = from_hex("FFD8FFE0AABBCCDDFFD9");
  return f;
}
FingerRecord sample_finger(std::uint8_t position) {
  FingerRecord r;
  FingerImage f;
  f.position = position;
  f.width = 400;
  f.height = 500;
  f.image = from_hex("0000000C6A5020200D0A870A0102");
  r.fingers.push_back(f);
  return r;
}
}  // namespace

TEST_CASE("19794-5 face record: layout by hand and round trip") {
  FaceRecord rec;
  rec.images.push_back(sample_face());
  Bytes b = rec.encode();
  // Header: FAC\0 010\0, record length 14 + 20 + 8 + 12 + 10 = 64, one image.
  CHECK(to_hex_upper(ByteView(b).first(14)) == "4641430030313000000000400001");
  // Facial information block: length 20 + 8 + 12 + 10 = 50, 1 feature point, gender 2, eye 0, hair 0, mask
  // 000001.
  CHECK(to_hex_upper(ByteView(b).subspan(14, 12)) == "000000320001020000000001");
  // Feature point: type 1, code 41, x 200, y 300, reserved.
  CHECK(to_hex_upper(ByteView(b).subspan(34, 8)) == "014100C8012C0000");
  // Image information: full frontal, JPEG, 480 x 640, RGB24, source 2, device 0, quality 0.
  CHECK(to_hex_upper(ByteView(b).subspan(42, 12)) ==
        "010001E0028001020000"
        "0000");
  CHECK(b.size() == 64);
  auto back = FaceRecord::decode(b, "face");
  CHECK(back.encode() == b);
  CHECK(back.images[0].feature_points[0].y == 300);
}

TEST_CASE("19794-5 negatives") {
  FaceRecord rec;
  rec.images.push_back(sample_face());
  Bytes b = rec.encode();
  Bytes truncated(b.begin(), b.end() - 3);
  CHECK_THROWS_AS(FaceRecord::decode(truncated, "face"), DecodeError);  // record length lies
  Bytes lying = b;
  lying[17] = 0x70;  // block length beyond the record
  CHECK_THROWS_AS(FaceRecord::decode(lying, "face"), DecodeError);
  Bytes zero = b;
  zero[13] = 0;  // zero images
  CHECK_THROWS_AS(FaceRecord::decode(zero, "face"), DecodeError);
  Bytes magic = b;
  magic[0] = 'X';
  CHECK_THROWS_WITH_AS(FaceRecord::decode(magic, "DG2 face"), doctest::Contains("DG2 face"), DecodeError);
}

TEST_CASE("19794-4 finger record: layout and round trip") {
  FingerRecord rec = sample_finger(2);
  Bytes b = rec.encode();
  CHECK(b.size() == 32 + 14 + 14);
  CHECK(to_hex_upper(ByteView(b).first(14)) ==
        "46495200303130000000000000"
        "3C");
  // device 0, level 31, 1 finger, ppi, 500/500/500/500, depth 8, JPEG 2000, reserved.
  CHECK(to_hex_upper(ByteView(b).subspan(14, 18)) == "0000001F010101F401F401F401F408040000");
  // finger header: length 28, right index, 1 view, view 1, quality 0, plain, 400 x 500, reserved.
  CHECK(to_hex_upper(ByteView(b).subspan(32, 14)) ==
        "0000001C020101000001900"
        "1F400");
  CHECK(FingerRecord::decode(b, "finger").encode() == b);
  Bytes bad = b;
  bad[29] = 0x09;  // compression 9
  CHECK_THROWS_AS(FingerRecord::decode(bad, "finger"), DecodeError);
  Bytes trailing = b;
  trailing.push_back(0);
  CHECK_THROWS_AS(FingerRecord::decode(trailing, "finger"), DecodeError);
}

TEST_CASE("finger positions and CBEFF subtypes") {
  CHECK(finger_position_code("right_index") == 2);
  CHECK(finger_position_code("left_index") == 7);
  CHECK(finger_position_code("left_little") == 10);
  CHECK(finger_position_code("nose") == 0);
  CHECK(finger_position_name(7) == "left_index");
  CHECK(cbeff_finger_subtype(2) == 0x09);
  CHECK(cbeff_finger_subtype(7) == 0x0A);
  CHECK(cbeff_finger_subtype(1) == 0x05);
  CHECK(cbeff_finger_subtype(10) == 0x16);
}

TEST_CASE("DG2 with one face round-trips and has the ICAO header") {
  auto dg2 = lds::Dg2::from_face(sample_face());
  Bytes b = dg2.encode();
  CHECK(b[0] == 0x75);
  auto back = lds::Dg2::decode(b);
  REQUIRE(back.faces.size() == 1);
  CHECK(back.faces[0].images[0].width == 480);
  CHECK(back.group.templates[0].header.format_type == 0x0008);
  CHECK(back.group.templates[0].header.format_owner == 0x0101);
  CHECK(back.encode() == b);
  // 7F61 { 02 01 01, 7F60 { A1 {81 01 02, 87 02 0101, 88 02 0008}, 5F2E ... } }
  std::string hex = to_hex_upper(b);
  CHECK(hex.find("7F61") != std::string::npos);
  CHECK(hex.find("020101"
                 "7F60") != std::string::npos);
  CHECK(hex.find("A10B810102870201018802"
                 "0008"
                 "5F2E") != std::string::npos);
}

TEST_CASE("DG3 with two fingers: subtypes 09/0A, round trip; empty DG3 with random filler") {
  auto dg3 = lds::Dg3::from_fingers({sample_finger(2), sample_finger(7)});
  Bytes b = dg3.encode();
  auto back = lds::Dg3::decode(b);
  REQUIRE(back.fingers.size() == 2);
  CHECK(*back.group.templates[0].header.biometric_subtype == 0x09);
  CHECK(*back.group.templates[1].header.biometric_subtype == 0x0A);
  CHECK(back.group.templates[0].header.format_type == 0x0007);
  CHECK(back.encode() == b);
  CHECK(back.has_fingerprints());

  auto empty = lds::Dg3::empty(from_hex("00112233445566778899AABBCCDDEEFF"));
  Bytes e = empty.encode();
  CHECK(to_hex_upper(e) ==
        "63187F610302010053"
        "1000112233445566778899AABBCCDDEEFF");
  auto eback = lds::Dg3::decode(e);
  CHECK_FALSE(eback.has_fingerprints());
  CHECK(eback.encode() == e);
}

TEST_CASE("CBEFF negatives: count mismatch, header order, subtype mismatch, trailing garbage") {
  auto dg3 = lds::Dg3::from_fingers({sample_finger(2), sample_finger(7)});
  Bytes b = dg3.encode();
  // Count says 3.
  Bytes count = b;
  auto pos = to_hex_upper(count).find("020102");
  REQUIRE(pos != std::string::npos);
  count[pos / 2 + 2] = 3;
  CHECK_THROWS_AS(lds::Dg3::decode(count), DecodeError);
  // Subtype says left index for a right index record.
  Bytes subtype = b;
  auto sp = to_hex_upper(subtype).find("820109");
  REQUIRE(sp != std::string::npos);
  subtype[sp / 2 + 2] = 0x0A;
  CHECK_THROWS_AS(lds::Dg3::decode(subtype), DecodeError);
  // Trailing byte after the group.
  Bytes trailing = b;
  trailing.push_back(0);
  CHECK_THROWS_AS(lds::Dg3::decode(trailing), DecodeError);
  // DO 53 after a non-empty group.
  BiometricGroup g = dg3.group;
  g.discretionary_random = Bytes{1, 2, 3};
  CHECK_THROWS_AS(lds::Dg3::decode(g.encode(0x63)), DecodeError);
  // DG2 without any face.
  BiometricGroup none;
  CHECK_THROWS_AS(lds::Dg2::decode(none.encode(0x75)), DecodeError);
}

}  // namespace test_biometric
