// PACE on the chip side: rcsim (Crypto++) given the 9303-11 Appendix G.1
// randomness must answer MSE:Set AT and the four GENERAL AUTHENTICATE
// commands with exactly the example's bytes, then speak AES secure
// messaging that the host's (OpenSSL) implementation accepts; and the host
// PACE code runs against rcsim with random keys.
#include <doctest/doctest.h>

#include <deque>
#include <optional>

#include "core/bytes.hpp"
#include "iso7816/apdu.hpp"
#include "rcsim/chip.hpp"
#include "secure/pace.hpp"
#include "secure/secure_messaging.hpp"
#include "tlv/tlv.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_rcsim_pace {

using namespace rcperso;

namespace {

std::string send(rcsim::Chip& chip, const std::string& apdu) {
  return to_hex_upper(chip.process(from_hex(apdu)));
}

const char* kCardAccess = "31143012060A04007F0007020204020202010202010D";

/// A chip holding EF.CardAccess for PACE-ECDH-GM-AES-128 on brainpoolP256r1 and the G.1 MRZ.
void personalize(rcsim::Chip& chip) {
  chip.power_on();  // EF.CardAccess lives in the MF, the rest in the application
  REQUIRE(send(chip, "00A4000C023F00") == "9000");
  REQUIRE(send(chip, "00E000000A6208800200168302011C") == "9000");
  REQUIRE(send(chip, std::string("00D6000016") + kCardAccess) == "9000");
  REQUIRE(send(chip, "00A4040C07A0000002471001") == "9000");
  REQUIRE(send(chip,
               "00E000000A620880020004830201"
               "1E") == "9000");
  REQUIRE(send(chip, "00D60000046002AABB") == "9000");
  REQUIRE(send(chip,
               "00DA00621D621B0409"
               "543232303030313239"
               "0406"
               "363430383132"
               "0406"
               "313031303331") == "9000");
}

}  // namespace

TEST_CASE("rcsim answers the Appendix G.1 PACE exchange byte for byte") {
  std::deque<Bytes> randomness = {
      from_hex("3F00C4D39D153F2B2A214A078D899B22"),                                   // nonce s
      from_hex("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560"),   // chip mapping key
      from_hex("107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A")};  // chip ephemeral key
  rcsim::ChipOptions options;
  options.random = [&](std::size_t n) {
    REQUIRE(!randomness.empty());
    Bytes next = randomness.front();
    randomness.pop_front();
    REQUIRE(next.size() == n);
    return next;
  };
  rcsim::Chip chip(options);
  personalize(chip);
  chip.power_on();

  CHECK(send(chip, "0022C1A40F800A04007F00070202040202830101") == "9000");
  CHECK(send(chip, "10860000027C0000") == "7C12801095A3A016522EE98D01E76CB6B98B42C39000");
  CHECK(send(chip,
             "10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB67"
             "2521879"
             "9115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00") ==
        "7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58"
        "F4D52EB8"
        "7A0A0C709A49DC63719363CCD13C549000");
  CHECK(send(chip,
             "10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B18"
             "6DF10B857"
             "B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200") ==
        "7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F01"
        "8F9CB852"
        "E111B768B326904B59A0193776F0949000");
  CHECK(send(chip, "008600000C7C0A8508C2B0BD78D94BA86600") == "7C0A86083ABB9674BCE93C089000");
  CHECK(randomness.empty());

  // The session keys of the example now protect the channel (AES, SSC from zero).
  Bytes ks_enc = from_hex("F5F0E35C0D7161EE6724EE513A0D9A7F"),
        ks_mac = from_hex("FE251C7858B356B24514B3BD5F4297D1");
  secure::SecureMessaging sm({secure::SmCipher::Aes, SecureBytes(ks_enc.begin(), ks_enc.end()),
                              SecureBytes(ks_mac.begin(), ks_mac.end()), Bytes(16, 0)});
  auto aid = sm.wrap(iso7816::CommandApdu{0x00, 0xA4, 0x04, 0x0C, from_hex("A0000002471001"), std::nullopt});
  CHECK(sm.unwrap(iso7816::ResponseApdu::decode(chip.process(aid.encode()))).sw == 0x9000);
  auto select = sm.wrap(iso7816::CommandApdu{0x00, 0xA4, 0x02, 0x0C, from_hex("011E"), std::nullopt});
  CHECK(sm.unwrap(iso7816::ResponseApdu::decode(chip.process(select.encode()))).sw == 0x9000);
  auto read = sm.wrap(iso7816::CommandApdu{0x00, 0xB0, 0x00, 0x00, {}, 4});
  CHECK(to_hex_upper(sm.unwrap(iso7816::ResponseApdu::decode(chip.process(read.encode()))).data) ==
        "6002AABB");
}

namespace {

/// One GENERAL AUTHENTICATE; returns the inner data object's value, or nullopt with the status word.
std::optional<Bytes> general_authenticate(rcsim::Chip& chip, tlv::Tag tag, const Bytes& value, bool last,
                                          std::uint16_t& sw) {
  Bytes inner = tag == 0 ? Bytes{} : tlv::encode(tag, value);
  iso7816::CommandApdu c{
      static_cast<std::uint8_t>(last ? 0x00 : 0x10), 0x86, 0x00, 0x00, tlv::encode(0x7C, inner), 256};
  auto r = iso7816::ResponseApdu::decode(chip.process(c.encode()));
  sw = r.sw;
  if (!r.ok()) return std::nullopt;
  auto outer = tlv::decode_single(r.data, 0x7C, "GA response");
  auto element = tlv::Reader(outer.value, "GA").next();
  return Bytes(element.value.begin(), element.value.end());
}

/// The host's PACE against the chip; the session keys, or nullopt when the chip refuses the token.
std::optional<secure::SessionKeys> run_pace(rcsim::Chip& chip, const std::string& password,
                                            secure::PacePassword type) {
  auto protocol = secure::pace_protocol("0.4.0.127.0.7.2.2.4.2.2");
  chip.power_on();
  secure::PaceInitiator pace(protocol, 13, secure::pace_password_key(password, type, protocol));
  iso7816::CommandApdu mse{0x00, 0x22, 0xC1, 0xA4, pace.mse_set_at_data(type, true), std::nullopt};
  REQUIRE(iso7816::ResponseApdu::decode(chip.process(mse.encode())).sw == 0x9000);
  std::uint16_t sw = 0;
  auto z = general_authenticate(chip, 0, {}, false, sw);
  REQUIRE(z);
  pace.receive_encrypted_nonce(*z);
  auto map = general_authenticate(chip, 0x81, pace.mapping_public_key(), false, sw);
  REQUIRE(map);
  pace.receive_chip_mapping_key(*map);
  auto eph = general_authenticate(chip, 0x83, pace.ephemeral_public_key(), false, sw);
  REQUIRE(eph);
  pace.receive_chip_ephemeral_key(*eph);
  auto token = general_authenticate(chip, 0x85, pace.terminal_token(), true, sw);
  if (!token) {
    CHECK(sw == 0x6300);
    return std::nullopt;
  }
  return pace.finish(*token);
}

}  // namespace

TEST_CASE("host PACE against rcsim: MRZ and CAN passwords, and wrong ones") {
  rcsim::Chip chip({});
  personalize(chip);
  REQUIRE(send(chip, "00DA00650A6508040631323334353600").substr(0, 4) == "9000");  // CAN 123456

  auto keys = run_pace(chip, "T22000129364081251010318", secure::PacePassword::Mrz);
  REQUIRE(keys);
  secure::SecureMessaging sm(*keys);
  auto aid = sm.wrap(iso7816::CommandApdu{0x00, 0xA4, 0x04, 0x0C, from_hex("A0000002471001"), std::nullopt});
  CHECK(sm.unwrap(iso7816::ResponseApdu::decode(chip.process(aid.encode()))).sw == 0x9000);
  auto read = sm.wrap(iso7816::CommandApdu{0x00, 0xA4, 0x02, 0x0C, from_hex("011E"), std::nullopt});
  CHECK(sm.unwrap(iso7816::ResponseApdu::decode(chip.process(read.encode()))).sw == 0x9000);

  CHECK(run_pace(chip, "123456", secure::PacePassword::Can).has_value());
  CHECK_FALSE(run_pace(chip, "123457", secure::PacePassword::Can).has_value());
  CHECK_FALSE(run_pace(chip, "T22000129364081251010317", secure::PacePassword::Mrz).has_value());
}

TEST_CASE("rcsim answers the Appendix G.2 PACE exchange (DH, MODP 1024/160) with the example's keys") {
  std::deque<Bytes> randomness = {
      from_hex("FA5B7E3E49753A0DB9178B7B9BD898C8"),           // nonce s
      from_hex("66DDAFEAC1609CB5B963BB0CB3FF8B3E047F336C"),   // chip mapping key
      from_hex("A5B780126B7C980E9FCEA1D4539DA1D27C342DFA")};  // chip ephemeral key
  rcsim::ChipOptions options;
  options.random = [&](std::size_t n) {
    REQUIRE(!randomness.empty());
    Bytes next = randomness.front();
    randomness.pop_front();
    REQUIRE(next.size() == n);
    return next;
  };
  rcsim::Chip chip(options);
  chip.power_on();
  REQUIRE(send(chip, "00A4000C023F00") == "9000");
  REQUIRE(send(chip, "00E000000A6208800200168302011C") == "9000");
  REQUIRE(send(chip, "00D600001631143012060A04007F00070202040102020102020100") == "9000");
  REQUIRE(send(chip, "00A4040C07A0000002471001") == "9000");
  REQUIRE(send(chip,
               "00DA00621D621B0409"
               "543232303030313239"
               "0406"
               "363430383132"
               "0406"
               "313031303331") == "9000");
  chip.power_on();

  // The host side with the example's terminal keys; the chip answers with the example's values.
  auto protocol = secure::pace_protocol("0.4.0.127.0.7.2.2.4.1.2");
  secure::PaceInitiator pace(
      protocol, 0,
      secure::pace_password_key("T22000129364081251010318", secure::PacePassword::Mrz, protocol));
  CHECK(send(chip, "0022C1A40F800A04007F00070202040102830101") == "9000");
  std::uint16_t sw = 0;
  auto z = general_authenticate(chip, 0, {}, false, sw);
  REQUIRE(z);
  CHECK(to_hex_upper(*z) == "854D8DF5827FA6852D1A4FA701CDDDCA");
  pace.receive_encrypted_nonce(*z);
  Bytes key = from_hex("5265030F751F4AD18B08AC565FC7AC952E41618D");
  auto map = general_authenticate(chip, 0x81, pace.mapping_public_key(SecureBytes(key.begin(), key.end())),
                                  false, sw);
  REQUIRE(map);
  CHECK(to_hex_upper(*map).substr(0, 32) == "78879F57225AA8080D52ED0FC890A4B2");
  pace.receive_chip_mapping_key(*map);
  key = from_hex("89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA");
  auto eph = general_authenticate(chip, 0x83, pace.ephemeral_public_key(SecureBytes(key.begin(), key.end())),
                                  false, sw);
  REQUIRE(eph);
  CHECK(to_hex_upper(*eph).substr(0, 32) == "075693D9AE941877573E634B6E644F8E");
  pace.receive_chip_ephemeral_key(*eph);
  auto token = general_authenticate(chip, 0x85, pace.terminal_token(), true, sw);
  REQUIRE(token);
  CHECK(to_hex_upper(*token) == "917F37B5C0E6D8D1");
  CHECK(randomness.empty());
}

}  // namespace test_rcsim_pace
