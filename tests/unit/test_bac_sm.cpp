// ICAO 9303-11 Appendix D worked example, step by step: BAC key derivation,
// mutual authentication, session keys, and 3DES secure messaging of SELECT
// and READ BINARY; AES secure messaging rules from the BSI EAC example; APDUs.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "iso7816/apdu.hpp"
#include "secure/bac.hpp"
#include "secure/crypto.hpp"
#include "secure/secure_messaging.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_bac_sm {

using namespace rcperso;
using namespace rcperso::secure;
using iso7816::CommandApdu;
using iso7816::ResponseApdu;

namespace {
SecureBytes key(const char* hex) {
  Bytes b = from_hex(hex);
  return SecureBytes(b.begin(), b.end());
}
std::string hex(const SecureBytes& b) { return to_hex_upper(ByteView(b.data(), b.size())); }
}  // namespace

TEST_CASE("D.2 key derivation from the MRZ") {
  std::string info = mrz_information("L898902C", "690806", "940623");
  CHECK(info == "L898902C<369080619406236");
  CHECK(hex(bac_key_seed(info)) == "239AB9CB282DAF66231DC5A4DF6BFBAE");
  auto keys = bac_keys(info);
  CHECK(hex(keys.k_enc) == "AB94FDECF2674FDFB9B391F85D7F76F2");
  CHECK(hex(keys.k_mac) == "7962D9ECE03D1ACD4C76089DCE131543");
}

TEST_CASE("D.3 mutual authentication and session keys") {
  auto keys = bac_keys("L898902C<369080619406236");
  BacInitiator bac(keys, from_hex("781723860C06C226"), key("0B795240CB7049B01C19B33E32804F0B"));
  Bytes cmd = bac.authenticate_data(from_hex("4608F91988702212"));
  CHECK(to_hex_upper(ByteView(cmd).first(32)) ==
        "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2");
  CHECK(to_hex_upper(ByteView(cmd).last(8)) == "5F1448EEA8AD90A7");
  CommandApdu ext{0x00, 0x82, 0x00, 0x00, cmd, 40};
  CHECK(to_hex_upper(ext.encode()).substr(0, 10) == "0082000028");
  SessionKeys s = bac.finish(
      from_hex("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449"));
  CHECK(hex(s.ks_enc) == "979EC13B1CBFE9DCD01AB0FED307EAE5");
  CHECK(hex(s.ks_mac) == "F1CB1F1FB5ADF208806B89DC579DC1F8");
  CHECK(to_hex_upper(s.ssc) == "887022120C06C226");
}

TEST_CASE("BAC refuses a chip with other keys or a changed answer") {
  auto keys = bac_keys("L898902C<369080619406236");
  BacInitiator bac(keys, from_hex("781723860C06C226"), key("0B795240CB7049B01C19B33E32804F0B"));
  (void)bac.authenticate_data(from_hex("4608F91988702212"));
  Bytes answer = from_hex("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449");
  Bytes bad_mac = answer;
  bad_mac[39] ^= 1;
  CHECK_THROWS_WITH_AS(bac.finish(bad_mac), doctest::Contains("wrong document number"), Error);
  CHECK_THROWS_AS(bac.finish(ByteView(answer).first(39)), Error);
  BacInitiator other(bac_keys("L898902C<369080619406237"), from_hex("781723860C06C226"),
                     key("0B795240CB7049B01C19B33E32804F0B"));
  (void)other.authenticate_data(from_hex("4608F91988702212"));
  CHECK_THROWS_AS(other.finish(answer), Error);
}

TEST_CASE("D.4 3DES secure messaging: SELECT EF.COM and two READ BINARY") {
  SessionKeys k{SmCipher::Tdes, key("979EC13B1CBFE9DCD01AB0FED307EAE5"),
                key("F1CB1F1FB5ADF208806B89DC579DC1F8"), from_hex("887022120C06C226")};
  SecureMessaging sm(k);

  // Intermediate values of the SELECT.
  CHECK(to_hex_upper(pad(from_hex("0CA4020C"))) == "0CA4020C80000000");
  CHECK(to_hex_upper(sm.encrypt(pad(from_hex("011E")))) == "6375432908C044F6");
  CHECK(to_hex_upper(retail_mac(key("F1CB1F1FB5ADF208806B89DC579DC1F8"),
                                from_hex("887022120C06C2270CA4020C800000008709016375432908C044F6"))) ==
        "BF8B92D635FF24F8");

  CommandApdu select = CommandApdu::decode(from_hex("00A4020C02011E"));
  CHECK(to_hex_upper(sm.wrap(select).encode()) == "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800");
  CHECK(to_hex_upper(sm.ssc()) == "887022120C06C227");
  ResponseApdu r = sm.unwrap(ResponseApdu::decode(from_hex("990290008E08FA855A5D4C50A8ED9000")));
  CHECK(r.sw == 0x9000);
  CHECK(r.data.empty());
  CHECK(to_hex_upper(sm.ssc()) == "887022120C06C228");

  CommandApdu read4 = CommandApdu::decode(from_hex("00B0000004"));
  CHECK(to_hex_upper(sm.wrap(read4).encode()) == "0CB000000D9701048E08ED6705417E96BA5500");
  r = sm.unwrap(ResponseApdu::decode(from_hex("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")));
  CHECK(to_hex_upper(r.data) == "60145F01");

  CommandApdu read_rest = CommandApdu::decode(from_hex("00B0000412"));
  CHECK(to_hex_upper(sm.wrap(read_rest).encode()) == "0CB000040D9701128E082EA28A70F3C7B53500");
  r = sm.unwrap(ResponseApdu::decode(
      from_hex("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000")));
  CHECK(to_hex_upper(r.data) == "04303130365F36063034303030305C026175");
  CHECK(to_hex_upper(sm.ssc()) == "887022120C06C22C");
}

TEST_CASE("secure messaging refuses a forged response") {
  SessionKeys k{SmCipher::Tdes, key("979EC13B1CBFE9DCD01AB0FED307EAE5"),
                key("F1CB1F1FB5ADF208806B89DC579DC1F8"), from_hex("887022120C06C226")};
  SecureMessaging sm(k);
  (void)sm.wrap(CommandApdu::decode(from_hex("00A4020C02011E")));
  CHECK_THROWS_WITH_AS(sm.unwrap(ResponseApdu::decode(from_hex("990290008E08FA855A5D4C50A8EC9000"))),
                       doctest::Contains("not authentic"), Error);
  CHECK_THROWS_AS(sm.unwrap(ResponseApdu::decode(from_hex("990290009000"))), Error);  // no MAC
  // A plain error status from the card passes through as an error.
  CHECK(sm.unwrap(ResponseApdu::decode(from_hex("6982"))).sw == 0x6982);
}

TEST_CASE("AES secure messaging rules (BSI EAC worked example): IV from SSC, CMAC") {
  // BSI worked example for EAC: PACE session keys; with SSC = 1 the CAR of MSE:Set DST encrypts to this
  // value.
  SecureBytes enc = key("68406B4162100563D9C901A6154D2901");  // KS_enc after PACE
  SecureBytes mac = key("73FF268784F72AF833FDC9464049AFC9");  // KS_mac after PACE
  Bytes ssc(16, 0);
  ssc[15] = 1;
  SessionKeys k{SmCipher::Aes, enc, mac, ssc};
  SecureMessaging sm(k);
  CHECK(to_hex_upper(sm.encrypt(pad(from_hex("830D44454356434141543030303031"), 16))) ==
        "BE90237EEB4BA0FF253EA246AE31C8B8");
  ssc[15] = 2;
  SecureMessaging sm2({SmCipher::Aes, enc, mac, ssc});
  Bytes mac_input = ssc;
  append(mac_input, from_hex("99029000"));
  CHECK(to_hex_upper(sm2.mac(mac_input)) == "A89570A68664A7D6");
}

TEST_CASE("AES-CMAC matches RFC 4493") {
  SecureBytes k = key("2b7e151628aed2a6abf7158809cf4f3c");
  CHECK(to_hex(aes_cmac(k, {})) == "bb1d6929e95937287fa37d129b756746");
  CHECK(to_hex(aes_cmac(k, from_hex("6bc1bee22e409f96e93d7e117393172a"))) ==
        "070a16b46b4d4144f79bdd9dd04a287c");
  CHECK(
      to_hex(aes_cmac(
          k, from_hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411"))) ==
      "dfa66747de9ae63030ca32611497c827");
}

TEST_CASE("APDU encoding: short and extended, all cases, strict decoding") {
  CHECK(to_hex_upper(CommandApdu{0x00, 0x84, 0x00, 0x00, {}, 8}.encode()) == "0084000008");
  CHECK(to_hex_upper(CommandApdu{0x00, 0xB0, 0x00, 0x00, {}, 256}.encode()) == "00B0000000");
  CHECK(to_hex_upper(CommandApdu{0x00, 0xDA, 0xDE, 0xAD, {}, std::nullopt}.encode()) == "00DADEAD");
  Bytes big(300, 0xAB);
  Bytes ext = CommandApdu{0x00, 0xD6, 0x00, 0x00, big, std::nullopt}.encode();
  CHECK(to_hex_upper(ByteView(ext).first(7)) ==
        "00D60000"
        "00012C");
  CHECK(CommandApdu::decode(ext).data == big);
  Bytes ext_le = CommandApdu{0x00, 0xB1, 0x00, 0x00, from_hex("5402000A"), 65536}.encode();
  CHECK(to_hex_upper(ext_le) == "00B100000000045402000A0000");
  auto back = CommandApdu::decode(ext_le);
  CHECK(back.le == 65536);
  CHECK(back.extended);
  CHECK_THROWS_AS(CommandApdu::decode(from_hex("00A4020C05011E")), DecodeError);
  CHECK_THROWS_AS(CommandApdu::decode(from_hex("00A4")), DecodeError);
  CHECK(ResponseApdu::decode(from_hex("6A82")).sw == 0x6A82);
  CHECK(iso7816::status_text(0x6A82) == "6A82 (file not found)");
  CHECK(iso7816::status_text(0x6110) == "6110 (more data available)");
}

TEST_CASE("AES-256 secure messaging end to end: SELECT EF.COM and two READ BINARY (gmrtd vector)") {
  SessionKeys k{SmCipher::Aes, key("74B94F408BBB2CD92571FD5B6370A94CCE7A2FA42AE3EB4DA47B97CE6EAA24C6"),
                key("9E28D5D9FF1D979BE752E8926BF0E1D35A440FC0AEFC4AA3BC5610055AC8B113"),
                from_hex("00000000000000000000000000000020")};
  SecureMessaging sm(k);
  CHECK(to_hex_upper(sm.wrap(CommandApdu::decode(from_hex("00A4020C02011E"))).encode()) ==
        "0CA4020C1D8711011D35E7EB510E21A0DD12380D9AD2B92D8E0828CB68B81D3FAFC000");
  CHECK(sm.unwrap(ResponseApdu::decode(from_hex("990290008E08E083EAA61ADABFCE9000"))).sw == 0x9000);
  CHECK(to_hex_upper(sm.wrap(CommandApdu::decode(from_hex("00B0000004"))).encode()) ==
        "0CB000000D9701048E084AFC933E0CDBE5F000");
  auto r = sm.unwrap(ResponseApdu::decode(
      from_hex("871101D8059A9CF835105082CA2B1837E4AEC0990290008E08B36DB56761D706BB9000")));
  CHECK(to_hex_upper(r.data) == "60185F01");
  CHECK(to_hex_upper(sm.wrap(CommandApdu::decode(from_hex("00B0000416"))).encode()) ==
        "0CB000040D9701168E0811F7EFC907D1F27400");
  r =
      sm.unwrap(ResponseApdu::decode(from_hex("87210142E919C115FAF69350B01813D77A9E8D91912A7F717AFD073F199070"
                                              "E61B79C6990290008E083382E3D983F441369000")));
  CHECK(to_hex_upper(r.data) == "04303130385F36063034303030305C06617563766D6E");
}

}  // namespace test_bac_sm
