// LDS value types: spec examples, the BSI sample LDS, round trips, negatives.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "lds/biometric_dg.hpp"
#include "lds/com.hpp"
#include "lds/dg1.hpp"
#include "lds/dg11.hpp"
#include "lds/dg12.hpp"
#include "lds/dg7.hpp"
#include "lds/files.hpp"
#include "lds/security_dg.hpp"
#include "mrz/mrz.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_lds {

using namespace rcperso;

namespace {
Bytes sample(const std::string& name) {
  return read_file(std::string(RCPERSO_TEST_DATA) + "/bsi-2008-sample-lds/" + name);
}
}  // namespace

TEST_CASE("EF.COM examples (9303-10 A.1, 9303-11 D.4, BSI TR-03105) decode and re-encode byte for byte") {
  for (const char* hex :
       {"60165F0104303130375F36063034303030305C046175766C", "60145F0104303130365F36063034303030305C026175",
        "60175F0104303130375F36063034303030305C05617563766E",
        "60185F0104303130385F36063034303030305C06617563766D6E"}) {
    Bytes bytes = from_hex(hex);
    lds::Com com = lds::Com::decode(bytes);
    CHECK(com.encode() == bytes);
  }
  lds::Com a1 = lds::Com::decode(from_hex("60165F0104303130375F36063034303030305C046175766C"));
  CHECK(a1.lds_version == "0107");
  CHECK(a1.unicode_version == "040000");
  CHECK(a1.data_groups() == std::vector<int>{1, 2, 4, 12});
}

TEST_CASE("EF.COM negatives") {
  CHECK_THROWS_AS(lds::Com::decode(from_hex("60165F0104303130375F36063034303030305C046175766C00")),
                  DecodeError);
  CHECK_THROWS_AS(lds::Com::decode(from_hex("60175F0104303130375F36063034303030305C05617563767F")),
                  DecodeError);  // 7F unknown
  CHECK_THROWS_AS(lds::Com::decode(from_hex("60165F0104303130375F36063034303030305C046161766C")),
                  DecodeError);  // DG1 twice
  CHECK_THROWS_AS(lds::Com::decode(from_hex("60165F01043031303X5F36063034303030305C046175766C")),
                  std::invalid_argument);
}

TEST_CASE("DG1: 9303-10 A.2.1 TD1 sample (corrected composite)") {
  std::string mrz =
      "I<NLDXI85935F86999999990<<<<<<7208148F1108268NLD<<<<<<<<<<<8VAN<DER<STEEN<<MARIANNE<LOUISE";
  lds::Dg1 dg1{mrz};
  Bytes bytes = dg1.encode();
  CHECK(to_hex_upper(ByteView(bytes).first(10)) == "615D5F1F5A493C4E4C44");
  CHECK(lds::Dg1::decode(bytes).mrz == mrz);
  CHECK(mrz::parse(lds::Dg1::decode(bytes).mrz).all_checks_ok());
  Bytes bad = bytes;
  bad[10] = 'a';
  CHECK_THROWS_AS(lds::Dg1::decode(bad), DecodeError);
  CHECK_THROWS_AS(lds::Dg1::decode(lds::Dg1{"SHORT"}.encode()), DecodeError);
}

TEST_CASE("BSI sample LDS: EF.COM, DG1, DG14, DG15 decode and re-encode byte for byte") {
  Bytes com_bytes = sample("EF_COM.bin");
  auto com = lds::Com::decode(com_bytes);
  CHECK(com.encode() == com_bytes);
  CHECK(com.data_groups() == std::vector<int>{1, 2, 3, 4, 14});

  Bytes dg1_bytes = sample("Datagroup1.bin");
  auto dg1 = lds::Dg1::decode(dg1_bytes);
  CHECK(dg1.encode() == dg1_bytes);
  auto parsed = mrz::parse(dg1.mrz);
  CHECK(parsed.format == mrz::Format::TD3);
  CHECK(parsed.primary_identifier == "MUSTERMANN");
  CHECK(parsed.all_checks_ok());

  Bytes dg14_bytes = sample("Datagroup14.bin");
  auto dg14 = lds::Dg14::decode(dg14_bytes);
  CHECK(dg14.encode() == dg14_bytes);
  std::vector<std::string> names;
  for (const auto& i : dg14.infos) names.push_back(lds::oid_name(i.protocol));
  CHECK(std::find(names.begin(), names.end(), "id-PK-ECDH") != names.end());
  CHECK(std::find(names.begin(), names.end(), "id-CA-ECDH-3DES-CBC-CBC") != names.end());
  CHECK(std::find(names.begin(), names.end(), "id-TA") != names.end());

  Bytes dg15_bytes = sample("Datagroup15.bin");
  auto dg15 = lds::Dg15::decode(dg15_bytes);
  CHECK(dg15.encode() == dg15_bytes);
  CHECK(lds::oid_name(dg15.algorithm) == "rsaEncryption");
}

TEST_CASE("DG11: 9303-10 A.5 sample (lengths corrected as gmrtd did) round-trips") {
  Bytes bytes = from_hex(
      "6B605C0A5F0E5F115F425F125F135F0E0D534D4954483C3C4A4F484E3C4A5F110A414E59544F574E3C4D4E5F4217313233204D"
      "41504C"
      "452052443C414E59544F574E3C4D4E5F120B31363132353535313231325F130C54524156454C3C4147454E54");
  auto dg11 = lds::Dg11::decode(bytes);
  CHECK(dg11.text(lds::Dg11::kFullName) == "SMITH<<JOHN<J");
  CHECK(dg11.text(lds::Dg11::kPlaceOfBirth) == "ANYTOWN<MN");
  CHECK(dg11.text(lds::Dg11::kAddress) == "123 MAPLE RD<ANYTOWN<MN");
  CHECK(dg11.text(lds::Dg11::kTelephone) == "16125551212");
  CHECK(dg11.text(lds::Dg11::kProfession) == "TRAVEL<AGENT");
  CHECK_FALSE(dg11.text(lds::Dg11::kPersonalNumber).has_value());
  CHECK(dg11.encode() == bytes);
  // The sample as printed in 9303-10 has wrong lengths (6B 63, 5F12 0E): strict decoding refuses it.
  Bytes printed = bytes;
  printed[1] = 0x63;
  CHECK_THROWS_AS(lds::Dg11::decode(printed), DecodeError);
}

TEST_CASE("DG11 and DG12 build in canonical order, UTF-8 preserved, other names in A0") {
  lds::Dg11 dg11;
  dg11.set_text(lds::Dg11::kPlaceOfBirth, "Tromsø");
  dg11.set_text(lds::Dg11::kFullName, "Ærø<<Søren");
  dg11.set(lds::Dg11::kOtherNames, lds::encode_name_list({"SØREN<<AERO", "X<<Y"}, lds::Dg11::kOtherNames));
  Bytes bytes = dg11.encode();
  auto back = lds::Dg11::decode(bytes);
  REQUIRE(back.fields().size() == 3);
  CHECK(back.fields()[0].tag == lds::Dg11::kFullName);
  CHECK(back.fields()[1].tag == lds::Dg11::kOtherNames);
  CHECK(back.text(lds::Dg11::kPlaceOfBirth) == "Tromsø");
  CHECK(lds::decode_name_list(*back.bytes(lds::Dg11::kOtherNames), lds::Dg11::kOtherNames, "t").size() == 2);
  CHECK(back.encode() == bytes);
  CHECK_THROWS_AS(dg11.set_text(0x5F26, "x"), Error);

  lds::Dg12 dg12;
  dg12.set_text(lds::Dg12::kPersonalizationTime, "20261125101500");
  dg12.set_text(lds::Dg12::kIssuingAuthority, "SIRI");
  dg12.set_text(lds::Dg12::kDateOfIssue, "20261102");
  Bytes d12 = dg12.encode();
  CHECK(to_hex_upper(ByteView(d12).first(10)) == "6C2B5C065F195F265F55");
  CHECK(lds::Dg12::decode(d12).encode() == d12);
}

TEST_CASE("DG11/DG12 negatives: tag list and fields must agree") {
  // Tag list names 5F0E but the field is 5F10.
  CHECK_THROWS_AS(lds::Dg11::decode(from_hex("6B095C025F0E5F1001 41")), DecodeError);
  // Field present that the list does not name.
  CHECK_THROWS_AS(lds::Dg11::decode(from_hex("6B0D5C025F0E5F0E01415F100142")), DecodeError);
  // Unknown tag in the list.
  CHECK_THROWS_AS(lds::Dg12::decode(from_hex("6C095C025F995F990141")), DecodeError);
}

TEST_CASE("DG7 round trip and negatives") {
  lds::Dg7 dg7;
  dg7.images.push_back(from_hex("FFD8FFE000104A464946"));
  Bytes bytes = dg7.encode();
  CHECK(to_hex_upper(bytes) == "67100201015F430AFFD8FFE000104A464946");
  CHECK(lds::Dg7::decode(bytes).images == dg7.images);
  CHECK_THROWS_AS(lds::Dg7::decode(from_hex("6710020102 5F430AFFD8FFE000104A464946")),
                  DecodeError);  // count lies
}

TEST_CASE("file table") {
  CHECK(lds::file_by_name("EF.DG3")->fid == 0x0103);
  CHECK(lds::file_by_dg(2)->tag == 0x75);
  CHECK(lds::file_by_tag(0x6C)->dg == 12);
  CHECK(lds::file_by_name("EF.SOD")->sfi == 0x1D);
  CHECK(lds::file_by_name("EF.XYZ") == nullptr);
}

}  // namespace test_lds
