// PACE on the host: ICAO 9303-11 Appendix G.1 (ECDH Generic Mapping,
// brainpoolP256r1, AES-128) step by step, then the secure messaging that
// follows, and the refusals a wrong password or a bad point must cause.
#include <doctest/doctest.h>

#include <fstream>
#include "core/error.hpp"
#include "iso7816/apdu.hpp"

#include <nlohmann/json.hpp>

#include "issuance/document_profile.hpp"
#include "lds/card_access.hpp"
#include "secure/crypto.hpp"
#include "secure/pace.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_pace {

using namespace rcperso;
using namespace rcperso::secure;

namespace {
using test::hex;
using test::secret;

constexpr const char* kOid = "0.4.0.127.0.7.2.2.4.2.2";
}  // namespace

TEST_CASE("PACE protocol OIDs") {
  auto p = pace_protocol(kOid);
  CHECK(p.mapping == PaceMapping::Generic);
  CHECK(p.ecdh);
  CHECK(p.cipher == SmCipher::Aes);
  CHECK(p.key_bits == 128);
  CHECK(pace_protocol("0.4.0.127.0.7.2.2.4.1.1").cipher == SmCipher::Tdes);
  CHECK_FALSE(pace_protocol("0.4.0.127.0.7.2.2.4.1.1").ecdh);
  CHECK(pace_protocol("0.4.0.127.0.7.2.2.4.4.4").mapping == PaceMapping::Integrated);
  CHECK(pace_protocol("0.4.0.127.0.7.2.2.4.6.3").mapping == PaceMapping::ChipAuthentication);
  CHECK_THROWS_AS(pace_protocol("0.4.0.127.0.7.2.2.4.6.1"), Error);  // CAM has no 3DES
  CHECK_THROWS_AS(pace_protocol("0.4.0.127.0.7.2.2.4.5.2"), Error);
  CHECK_THROWS_AS(pace_protocol("0.4.0.127.0.7.2.2.3.2.1"), Error);  // that is CA, not PACE
}

TEST_CASE("G.1 PACE ECDH Generic Mapping, step by step") {
  auto protocol = pace_protocol(kOid);
  SecureBytes k_pi = pace_password_key("T22000129364081251010318", PacePassword::Mrz, protocol);
  CHECK(hex(k_pi) == "89DED1B26624EC1E634C1989302849DD");

  PaceInitiator pace(protocol, 13, k_pi);
  CHECK(to_hex_upper(pace.mse_set_at_data(PacePassword::Mrz, false)) == "800A04007F00070202040202830101");
  CHECK(to_hex_upper(pace.mse_set_at_data(PacePassword::Mrz, true)) ==
        "800A04007F0007020204020283010184010D");

  pace.receive_encrypted_nonce(from_hex("95A3A016522EE98D01E76CB6B98B42C3"));
  CHECK(to_hex_upper(pace.nonce()) == "3F00C4D39D153F2B2A214A078D899B22");

  Bytes map_pub =
      pace.mapping_public_key(secret("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"));
  CHECK(to_hex_upper(map_pub) ==
        "047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F"
        "6BC3A"
        "9618E70C25AF71777A9C4922D");
  pace.receive_chip_mapping_key(from_hex(
      "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87"
      "A0A0C709A49DC63719363CCD13C54"));
  CHECK(to_hex_upper(pace.group().generator()) ==
        "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E28C879506743F8611AC33645C5B985C80B5"
        "F09A0B8"
        "3407C1B6A4D857AE76FE522");

  Bytes eph_pub =
      pace.ephemeral_public_key(secret("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"));
  CHECK(to_hex_upper(eph_pub) ==
        "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20"
        "BA5DC7B"
        "E1D43D9BF850149FBB36462");
  pace.receive_chip_ephemeral_key(from_hex(
      "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB85"
      "2E111B768B326904B59A0193776F094"));
  CHECK(to_hex_upper(pace.terminal_token()) == "C2B0BD78D94BA866");

  SessionKeys keys = pace.finish(from_hex("3ABB9674BCE93C08"));
  CHECK(hex(keys.ks_enc) == "F5F0E35C0D7161EE6724EE513A0D9A7F");
  CHECK(hex(keys.ks_mac) == "FE251C7858B356B24514B3BD5F4297D1");
  CHECK(to_hex_upper(keys.ssc) == "00000000000000000000000000000000");
  CHECK(keys.cipher == SmCipher::Aes);

  CHECK_THROWS_WITH_AS(pace.finish(from_hex("3ABB9674BCE93C09")), doctest::Contains("token is wrong"), Error);
}

TEST_CASE("PACE refuses points off the curve and a mirrored key") {
  auto protocol = pace_protocol(kOid);
  PaceInitiator pace(protocol, 13, pace_password_key("123456", PacePassword::Can, protocol));
  pace.receive_encrypted_nonce(from_hex("95A3A016522EE98D01E76CB6B98B42C3"));
  Bytes mine = pace.mapping_public_key();
  CHECK_THROWS_WITH_AS(pace.receive_chip_mapping_key(mine), doctest::Contains("equals"), Error);
  Bytes off = mine;
  off.back() ^= 1;
  CHECK_THROWS_WITH_AS(pace.receive_chip_mapping_key(off), doctest::Contains("not a point"), Error);
  CHECK_THROWS_AS(pace.receive_chip_mapping_key(Bytes{0x04, 0x01}), Error);
  CHECK_THROWS_AS(PaceInitiator(pace_protocol("0.4.0.127.0.7.2.2.4.2.2"), 3, SecureBytes(16)), Error);
}

TEST_CASE("G.2 PACE DH Generic Mapping (RFC 5114 1024/160), step by step") {
  auto protocol = pace_protocol("0.4.0.127.0.7.2.2.4.1.2");
  SecureBytes k_pi = pace_password_key("T22000129364081251010318", PacePassword::Mrz, protocol);
  PaceInitiator pace(protocol, 0, k_pi);
  // OpenSSL's named group is the one the example uses.
  CHECK(to_hex_upper(pace.group().generator()) ==
        "A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F2131602"
        "17B4B01"
        "B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA"
        "32D779D5"
        "918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5");
  pace.receive_encrypted_nonce(from_hex("854D8DF5827FA6852D1A4FA701CDDDCA"));
  CHECK(to_hex_upper(pace.nonce()) == "FA5B7E3E49753A0DB9178B7B9BD898C8");
  Bytes map_pub = pace.mapping_public_key(secret("5265030F751F4AD18B08AC565FC7AC952E41618D"));
  CHECK(to_hex_upper(map_pub).substr(0, 32) == "23FB3749EA030D2A25B278D2A562047A");
  pace.receive_chip_mapping_key(
      from_hex("78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E623EA5738B26381E4DA19E004706FA"
               "CE7B235C2DBF2F38"
               "748312F3C98C2DD4882A41947B324AA1259AC22579DB93F7085655AF30889DBB845D9E6783FE42C9F244940030625"
               "4C8AE8EE9DD812A8"
               "04C0B66E8CAFC14F84D8258950A91B44126EE6"));
  CHECK(to_hex_upper(pace.group().generator()) ==
        "7C9CBFE98F9FBDDA8D143506FA7D9306F4CB17E3C71707AFF5E1C1A12370249684D64EE37AF44B8DBD9D45BF6023919CBAA0"
        "27AB97A"
        "CC771666C8E98FF483301BFA4872DEDE9034EDFACB70814166B7F360676829B826BEA57291B5AD69FBC84EF1E779032A3058"
        "03F7434"
        "1793E869742D401325B37EE8565FFCDEE618342DC5");
  Bytes eph_pub = pace.ephemeral_public_key(secret("89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA"));
  CHECK(to_hex_upper(eph_pub).substr(0, 32) == "907D89E2D425A178AA81AF4A7774EC8E");
  pace.receive_chip_ephemeral_key(
      from_hex("075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152BD8B3A213F53820C42ADC79AB5D0AE"
               "EC3AEFB91394DA"
               "476BD97B9B14D0A65C1FC71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A250767A6D46DB974064386CD456"
               "743585F8E5D90CC"
               "8B4004B1F6D866C79CE0584E49687FF61BC29AEA1"));
  CHECK(to_hex_upper(pace.terminal_token()) == "B46DD9BD4D98381F");
  SessionKeys keys = pace.finish(from_hex("917F37B5C0E6D8D1"));
  CHECK(hex(keys.ks_enc) == "2F7F46ADCC9E7E521B45D192FAFA9126");
  CHECK(hex(keys.ks_mac) == "805A1D27D45A5116F73C54469462B7D8");

  // An element outside the subgroup is refused.
  PaceInitiator other(protocol, 0, k_pi);
  other.receive_encrypted_nonce(from_hex("854D8DF5827FA6852D1A4FA701CDDDCA"));
  (void)other.mapping_public_key();
  CHECK_THROWS_WITH_AS(other.receive_chip_mapping_key(Bytes(128, 0xFF)),
                       doctest::Contains("not in the group"), Error);
  CHECK_THROWS_AS(PaceInitiator(protocol, 13, k_pi), Error);  // DH protocol on a curve
}

TEST_CASE("EF.CardAccess with PACEInfo: the G.1 and G.2 examples, round trip and strictness") {
  auto g1 = lds::CardAccess::decode(from_hex("31143012060A04007F0007020204020202010202010D"));
  REQUIRE(g1.pace.size() == 1);
  CHECK(g1.pace[0].protocol == "0.4.0.127.0.7.2.2.4.2.2");
  CHECK(g1.pace[0].parameter_id == 13);
  CHECK(to_hex_upper(g1.encode()) == "31143012060A04007F0007020204020202010202010D");
  auto g2 = lds::CardAccess::decode(from_hex("31143012060A04007F00070202040102020102020100"));
  CHECK(g2.pace[0].parameter_id == 0);
  CHECK(to_hex_upper(g2.encode()) == "31143012060A04007F00070202040102020102020100");

  lds::CardAccess both;
  both.pace = {{"0.4.0.127.0.7.2.2.4.2.2", 2, 13}, {"0.4.0.127.0.7.2.2.4.6.2", 2, 13}};
  both.others = g1.others;
  CHECK(lds::CardAccess::decode(both.encode()).pace == both.pace);

  CHECK_THROWS_AS(lds::CardAccess::decode(from_hex("31143012060A04007F0007020204020202010302010D")),
                  DecodeError);                                             // version 3
  CHECK_THROWS_AS(lds::CardAccess::decode(from_hex("3100")), DecodeError);  // empty
  CHECK_THROWS_AS(lds::CardAccess::decode(from_hex("31143012060A04007F0007020204020202010202010D00")),
                  DecodeError);  // trailing byte
  CHECK_THROWS_AS(lds::CardAccess::decode(from_hex("31143012060A04007F00070202040202020102020120")),
                  DecodeError);  // parameter ID 32
}

TEST_CASE(
    "BSI worked example for EAC: PACE-GM ECDH brainpoolP256r1 with a PIN, then Chip Authentication keys") {
  auto protocol = pace_protocol(kOid);
  SecureBytes k_pi = pace_password_key("123456", PacePassword::Can, protocol);  // a PIN derives like a CAN
  CHECK(hex(k_pi) == "591468CDA83D65219CCCB8560233600F");
  PaceInitiator pace(protocol, 13, k_pi);
  pace.receive_encrypted_nonce(from_hex("CE834CDE69FFBB1D1EB21585CD709F18"));
  CHECK(to_hex_upper(pace.nonce()) == "7D98C00FC6C9E9543BBF94A87073A123");
  CHECK(to_hex_upper(pace.mapping_public_key(
            secret("752287F5B02DE3C4BC3E17945118C51B23C97278E4CD748048AC56BA5BDC3D46"))) ==
        "043DD29BBE5907FD21A152ADA4895FAAE7ACC55F5E50EFBFDE5AB0C6EB54F198D615913635F0FDF5BEB383E00355F82D3C41"
        "ED0DF2E28363433DFB73856A15DC9F");
  pace.receive_chip_mapping_key(from_hex(
      "049CFCF7582AC986D0DD52FA53123414C3E1B96B4D00ABA8E574679B70EFB5BC3B45D2F13729CC2AE178E7E241B443213533"
      "B77DBB44649A815DDC4A2384BA422A"));
  CHECK(to_hex_upper(pace.group().generator()) ==
        "043929D28BA1E5339D6C5DADE5E33BD3C2F0BD14DD77C7521532261659C918FA6014DD48FA84E62BDE438EDB4C9771D042CD"
        "B24B7788BDBAB2031C45751E777F66");
  CHECK(to_hex_upper(pace.ephemeral_public_key(
            secret("009D9A32DF93A57CCE33CA3CDD3457E33A976F293546C73550F397259C93BE0120"))) ==
        "04518BC4E532AD2A9BD6527804D5D665ABD51041037A0CC8AA922804EB501C222B3427388599AFAAE9FBACE2DF93E13C3C49"
        "79CD12F0AE3E3C0126028391554582");
  pace.receive_chip_ephemeral_key(from_hex(
      "04282CF38073036AFAC216AF135BD994DA0C357F10BD4C34AFEA1042B2EB0FD6804DF3658B835AC2E7133F13691184542BB5"
      "0B109963A4662ABDC08B9763AF4B5B"));
  CHECK(to_hex_upper(pace.terminal_token()) == "A27AE7B36573C1D9");
  SessionKeys keys = pace.finish(from_hex("A2658C2F38600B0F"));
  CHECK(hex(keys.ks_enc) == "68406B4162100563D9C901A6154D2901");
  CHECK(hex(keys.ks_mac) == "73FF268784F72AF833FDC9464049AFC9");

  // Chip Authentication (ICAO v1, through DG14: no nonce) with the example's static and ephemeral keys. K is
  // the published value; the v1 session keys (KDF(K, 1/2), no nonce) are derived, not published.
  auto group = PaceGroup::standard(13);
  SecureBytes terminal = secret("00A6A4D255C5BF7A77EC3D0553DB74F693CF044E18C98364D4977A296108AF19BD");
  CHECK(to_hex_upper(group->public_key(terminal)) ==
        "045A7A377FC9CAFC03AC7FF45441A8B2909D88EAB8E6B0173847AB49B949DF3799A34EE57EC55268CF8B1C3EC489F8BF4CF4"
        "C68D3FD9670E89C0D5D3FFF1AAF89F");
  SecureBytes k = group->shared_secret(terminal, from_hex("04A44EBE5451DF7AADB01E459B8C928A87746A57927C8C28A6"
                                                          "775C97A7E1FE8D9A46FF4A1CC7E4D1389AEA19758E4F75C28C"
                                                          "598FD734AEBEB135337CF95BE12E94"));
  CHECK(hex(k) == "791DA04273CCFE862E52DF60347E2557192E1F8D7517822CE3D306056C1CDEB4");
  SessionKeys ca = chip_authentication_keys(*group, terminal,
                                            from_hex("04A44EBE5451DF7AADB01E459B8C928A87746A57927C8C28A6775C9"
                                                     "7A7E1FE8D9A46FF4A1CC7E4D1389AEA19758E4F75C28C"
                                                     "598FD734AEBEB135337CF95BE12E94"),
                                            SmCipher::Aes, 128);
  CHECK(hex(ca.ks_enc) == "74DFF1029B548FA273C13D86CE775A5B");
  CHECK(hex(ca.ks_mac) == "4AE4F2F70ABC8C4C3DA7588BE9A1C9E2");
  CHECK(to_hex_upper(ca.ssc) == "00000000000000000000000000000000");
}

TEST_CASE("document profiles: access control is checked strictly") {
  std::ifstream in(test::source_dir() / "profiles/documents/dk-residence-card.json");
  nlohmann::json base = nlohmann::json::parse(in);
  auto dk = issuance::DocumentProfile::from_json(base, "dk");
  REQUIRE(dk.pace.size() == 1);
  CHECK(dk.pace[0].protocol == kOid);
  CHECK(dk.pace[0].parameter_id == 13);
  CHECK(dk.bac);

  auto problems = [&](const nlohmann::json& access_control) {
    nlohmann::json j = base;
    j["access_control"] = access_control;
    try {
      (void)issuance::DocumentProfile::from_json(j, "test");
    } catch (const ValidationError& e) {
      std::string all;
      for (const auto& p : e.problems()) all += p.field + ": " + p.message + "\n";
      return all;
    }
    return std::string();
  };
  CHECK(problems({{"pace", nlohmann::json::array()}, {"bac", true}}).empty());
  CHECK(problems({{"pace", nlohmann::json::array()}, {"bac", false}}).find("needs PACE or BAC") !=
        std::string::npos);
  CHECK(problems({{"pace", {{{"protocol", kOid}, {"parameter_id", 0}}}}}).find("does not fit") !=
        std::string::npos);
  CHECK(
      problems({{"pace", {{{"protocol", "0.4.0.127.0.7.2.2.4.4.2"}, {"parameter_id", 13}}}}}).empty());  // IM
  // PACE-CAM: the static key is DG14's Chip Authentication key, so it must lie on the PACE curve.
  CHECK(problems({{"pace", {{{"protocol", "0.4.0.127.0.7.2.2.4.6.2"}, {"parameter_id", 13}}}}}).empty());
  CHECK(problems({{"pace", {{{"protocol", "0.4.0.127.0.7.2.2.4.6.4"}, {"parameter_id", 12}}}}})
            .find("PACE-CAM runs on NIST P-256 but chip_authentication.curve is brainpoolP256r1") !=
        std::string::npos);
  {
    nlohmann::json j = base;
    j["access_control"] = {{"pace", {{{"protocol", "0.4.0.127.0.7.2.2.4.6.2"}, {"parameter_id", 13}}}}};
    j.erase("chip_authentication");
    j.erase("terminal_authentication");
    j["data_groups"] = {1, 2, 3, 7, 11, 12};
    CHECK_THROWS_WITH_AS((void)issuance::DocumentProfile::from_json(j, "test"),
                         doctest::Contains("add chip_authentication with curve brainpoolP256r1"),
                         ValidationError);
  }
  CHECK(problems({{"pace", {{{"protocol", "1.2.3"}, {"parameter_id", 13}}}}}).find("pace[0].protocol") !=
        std::string::npos);
  CHECK(
      problems({{"pace", {{{"protocol", kOid}, {"parameter_id", 13}, {"mapping", "gm"}}}}}).find("mapping") !=
      std::string::npos);
  CHECK(problems({{"pace", "yes"}}).find("must be a list") != std::string::npos);
}

}  // namespace test_pace
