// PACE Integrated Mapping and Chip Authentication Mapping on the chip side:
// rcsim (Crypto++) given the randomness of 9303-11 Appendix H.1 and
// Appendix I must answer with exactly the examples' bytes; then the host's
// (OpenSSL) IM and CAM run against rcsim with random keys over several
// curves, ciphers and a MODP group.
#include <doctest/doctest.h>

#include <deque>
#include <stdexcept>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "iso7816/apdu.hpp"
#include "rcsim/chip.hpp"
#include "rcsim/chip_crypto.hpp"
#include "secure/pace.hpp"
#include "secure/secure_messaging.hpp"
#include "tlv/tlv.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_rcsim_pace_im_cam {

using namespace rcperso;

namespace {

std::string send(rcsim::Chip& chip, const std::string& apdu) {
  return to_hex_upper(chip.process(from_hex(apdu)));
}

/// Replays `values` as the chip's randomness, each of the length the chip asks for.
rcsim::ChipOptions replaying(std::deque<Bytes>& values) {
  rcsim::ChipOptions options;
  options.random = [&values](std::size_t n) {
    REQUIRE(!values.empty());
    Bytes next = values.front();
    values.pop_front();
    REQUIRE(next.size() == n);
    return next;
  };
  return options;
}

/// EF.CardAccess (the hex of a SET of PACEInfos), EF.COM, an MRZ given as document number,
/// birth and expiry dates, and the CAN 123456.
void personalize(rcsim::Chip& chip, const std::string& card_access, const std::string& mrz_put_data) {
  chip.power_on();
  REQUIRE(send(chip, "00A4000C023F00") == "9000");
  const auto length = static_cast<std::uint8_t>(card_access.size() / 2);  // one byte: kept under 256
  REQUIRE(send(chip, "00E000000A62088002" + to_hex_upper(Bytes{0x00, length}) + "8302011C") == "9000");
  REQUIRE(send(chip, "00D60000" + to_hex_upper(Bytes{length}) + card_access) == "9000");
  REQUIRE(send(chip, "00A4040C07A0000002471001") == "9000");
  REQUIRE(send(chip, "00E000000A6208800200048302011E") == "9000");
  REQUIRE(send(chip, "00D60000046002AABB") == "9000");
  REQUIRE(send(chip, mrz_put_data) == "9000");
  REQUIRE(send(chip, "00DA00650A6508040631323334353600").substr(0, 4) == "9000");
}

// PUT DATA of the MRZ fields: T22000129 / 640812 / 101031 (Appendix G), C11T002JM / 960812 / 231031 (I).
const char* kMrzG = "00DA00621D621B040954323230303031323904063634303831320406313031303331";
const char* kMrzI = "00DA00621D621B0409433131543030324A4D04063936303831320406323331303331";

/// Reads EF.COM under the session keys: proves both sides derived the same keys.
void check_secure_messaging(rcsim::Chip& chip, const secure::SessionKeys& keys) {
  secure::SecureMessaging sm(keys);
  auto aid = sm.wrap(iso7816::CommandApdu{0x00, 0xA4, 0x04, 0x0C, from_hex("A0000002471001"), std::nullopt});
  CHECK(sm.unwrap(iso7816::ResponseApdu::decode(chip.process(aid.encode()))).sw == 0x9000);
  auto select = sm.wrap(iso7816::CommandApdu{0x00, 0xA4, 0x02, 0x0C, from_hex("011E"), std::nullopt});
  CHECK(sm.unwrap(iso7816::ResponseApdu::decode(chip.process(select.encode()))).sw == 0x9000);
  auto read = sm.wrap(iso7816::CommandApdu{0x00, 0xB0, 0x00, 0x00, {}, 4});
  CHECK(to_hex_upper(sm.unwrap(iso7816::ResponseApdu::decode(chip.process(read.encode()))).data) ==
        "6002AABB");
}

Bytes to_bytes(const SecureBytes& b) { return Bytes(b.begin(), b.end()); }

// Appendix I: the static key's public half is published (EF.CardSecurity); the private half is not, but
// follows from CA_IC = SK_IC^-1 · SK_map: SK_IC = SK_map · CA_IC^-1 mod n (checked below).
constexpr const char* kCamStaticPrivate = "86C88A4579CE48135878E6348A734B5D47CE5BC1E54C0E8978687B49FDE2E2C2";
constexpr const char* kCamStaticPublic =
    "041872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC884D256A40E35EFCB59BF6753D3A489D28C7A4D"
    "97"
    "3C2DA138A6E7A4A08F68E16F";

}  // namespace

TEST_CASE("rcsim PACE-IM primitives agree with Appendix H.1 and with the host's") {
  Bytes s = from_hex("2923BE84E16CD6AE529049F1F1BBE9EB"), t = from_hex("5DD4CBFC96F5453B130D890A1CDBAE32");
  Bytes r = rcsim::pace_pseudo_random(s, t, 256);
  CHECK(to_hex_upper(r) ==
        "E4447E2DFB3586BAC05DDB00156B57FBB2179A3949294C97254189800C517BAA8DA0FF397ED8C445D3E421E4FEB57322");
  rcsim::EcCurve curve(13);
  CHECK(curve.prime_bits() == 256);
  REQUIRE(curve.map_integrated(r));
  CHECK(to_hex_upper(curve.generator()) ==
        "048E82D31559ED0FDE92A4D0498ADD3C23BABA94FB77691E31E90AEA77FB17D4274C1AE14BD0C3DBAC0C871B7F3608169364"
        "437"
        "CA30AC243A089D3F266C1E60FAD");
  CHECK(rcsim::pace_pseudo_random(s, Bytes(15, 0), 256).empty());
  CHECK(rcsim::pace_pseudo_random(Bytes(16, 0), Bytes(32, 0), 256).empty());  // AES-256 wants s of 32 bytes
  rcsim::EcCurve p224(10);  // p = 1 mod 4: no point encoding
  CHECK_FALSE(p224.map_integrated(r));

  // H.2 on the MODP 1024/160 group: R(s, t) has 9 blocks, g' = R_p^((p-1)/q).
  Bytes r2 = rcsim::pace_pseudo_random(from_hex("FA5B7E3E49753A0DB9178B7B9BD898C8"),
                                       from_hex("B3A6DB3C870C3E99245E0D1C06B747DE"), 1024);
  CHECK(to_hex_upper(r2) ==
        "EAB98D13E09052952AA729907C3C946184DEA0FE74AD2B3AF506F0A83018459C38099CD1F7FF4EA0A078DB1FAC1365505E3D"
        "C85500EF95E20B4EEF2E88489233BEE0546B472F994B618D168702406791DEEF3CB4810932EC278F3533FDB860EB4835C36F"
        "A4F1BF"
        "3FA0B828A718C96BDE88FBA38A3E6C35AAA10959251EB5FC710FC187258995944C0F926E249373F485");
  auto modp = rcsim::PaceDomain::standard(0);
  REQUIRE(modp->map_integrated(r2));
  CHECK(to_hex_upper(modp->generator()) ==
        "1D7D767F11E333BCD6DBAEF40E799E7A926B96973550656FF3C830726D118D61C276CDCC61D475CF03A98E0C0E79CAEBA5BE"
        "25578BD4551D0B10903236F0B0F976852FA78EEA14EA0ACA87D1E91F688FE0DFF897BBE35A472621D343564B262F34223AE8"
        "FC59B6"
        "64BFEDFA2BFE7516CA5510A6BBB633D517EC25D4E0BBAA16C2");
  CHECK_FALSE(modp->map_integrated(Bytes(128, 0)));

  // AES-192 and AES-256 (no published example): Crypto++ and OpenSSL must agree.
  for (const char* oid : {"0.4.0.127.0.7.2.2.4.4.3", "0.4.0.127.0.7.2.2.4.4.4"}) {
    auto protocol = secure::pace_protocol(oid);
    Bytes chip_nonce = rcsim::random_bytes(secure::pace_im_chip_nonce_bytes(protocol));
    Bytes terminal_nonce = rcsim::random_bytes(secure::pace_im_terminal_nonce_bytes(protocol));
    for (std::size_t bits : {256U, 384U, 1024U}) {
      Bytes chip_r = rcsim::pace_pseudo_random(chip_nonce, terminal_nonce, bits);
      CHECK(chip_r.size() == (bits + 64 + 255) / 256 * 32);
      CHECK(chip_r == to_bytes(secure::pace_im_pseudo_random(chip_nonce, terminal_nonce, protocol, bits)));
    }
  }

  // The PACE-CAM chip data of Appendix I from the (derived) static key and the chip's mapping key.
  rcsim::EcCurve i_curve(13);
  CHECK(to_hex_upper(i_curve.public_key(from_hex(kCamStaticPrivate))) == kCamStaticPublic);
  CHECK(to_hex_upper(i_curve.chip_authentication_data(
            from_hex(kCamStaticPrivate),
            from_hex("9E56A6B59C95D06ECE5CD10F983BB2F4F1943528E577F23881D89D8C3BBEE0AA"))) ==
        "85DC3FA93D0952BFA82F5FD189EE75BD82F11D1F0B8ED4BF5319AC9B53C426B3");
  CHECK(i_curve.chip_authentication_data(Bytes(32, 0), from_hex(kCamStaticPrivate)).empty());
}

TEST_CASE("rcsim answers the Appendix H.1 PACE-IM exchange byte for byte") {
  std::deque<Bytes> randomness = {
      from_hex("2923BE84E16CD6AE529049F1F1BBE9EB"),                                   // nonce s
      from_hex("107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A")};  // chip ephemeral key
  rcsim::Chip chip(replaying(randomness));
  personalize(chip, "31143012060A04007F0007020204040202010202010D", kMrzG);
  chip.power_on();

  // K_pi of the appendix is the CAN 123456's (password reference 02).
  CHECK(send(chip, "0022C1A40F800A04007F00070202040402830102") == "9000");
  CHECK(send(chip, "10860000027C0000") == "7C128010143DC40C08C8E891FBED7DEDB92B64AD9000");
  CHECK(send(chip, "10860000147C1281105DD4CBFC96F5453B130D890A1CDBAE3200") == "7C0282009000");
  CHECK(send(chip,
             "10860000457C4383410489CBA23FFE96AA18D824627C3E934E54A9FD0B87A95D1471DC1C0ABFDCD640D46755DE9B7B7"
             "78280"
             "B6BEBD57439ADFEB0E21FD4ED6DF42578C13418A59B34C3700") ==
        "7C4384410467F78E5F7F7686082B293E8D087E056916D0F74BC01A5F8957D0DE45691E51E8932B69A962B52A0985AD2C0A27"
        "1EE6A"
        "13A8ADDDCD1A3A994B9DED257F4D227539000");
  CHECK(send(chip, "008600000C7C0A8508450F02B86F6A090900") == "7C0A860875D4D96E8D5B03089000");
  CHECK(randomness.empty());

  Bytes ks_enc = from_hex("0D3FEB33251A6370893D62AE8DAAF51B"),
        ks_mac = from_hex("B01E89E3D9E8719E586B50B4A7506E0B");
  check_secure_messaging(chip, {secure::SmCipher::Aes, SecureBytes(ks_enc.begin(), ks_enc.end()),
                                SecureBytes(ks_mac.begin(), ks_mac.end()), Bytes(16, 0)});
}

TEST_CASE("rcsim answers the Appendix I PACE-CAM exchange byte for byte") {
  std::deque<Bytes> randomness = {
      from_hex("658B860BC94DF6F044FCE6D5C82CF8E5"),                                  // nonce s
      from_hex("9E56A6B59C95D06ECE5CD10F983BB2F4F1943528E577F23881D89D8C3BBEE0AA"),  // chip mapping key
      // The appendix's chip ephemeral key CD626EF3...9E78 exceeds the order n, which the chip never draws;
      // this is the same key reduced mod n.
      from_hex("2367171820683879C023083A24FEEC7499C71436B5D85ECD3F681BB9436F47D1")};
  rcsim::Chip chip(replaying(randomness));
  personalize(chip, "31143012060A04007F0007020204060202010202010D", kMrzI);
  chip.power_on();

  // Without a static key the chip refuses CAM: referenced data not found.
  CHECK(send(chip, "0022C1A40F800A04007F00070202040602830101") == "6A88");
  CHECK_THROWS_AS(chip.set_chip_authentication_key(from_hex(kCamStaticPrivate), 0), std::invalid_argument);
  CHECK_THROWS_AS(chip.set_chip_authentication_key(Bytes(32, 0), 13), std::invalid_argument);
  CHECK_THROWS_AS(chip.set_chip_authentication_key(Bytes(32, 0xFF), 13), std::invalid_argument);  // >= order
  chip.set_chip_authentication_key(from_hex(kCamStaticPrivate), 14);  // a key on another curve does not do
  CHECK(send(chip, "0022C1A40F800A04007F00070202040602830101") == "6A88");
  chip.set_chip_authentication_key(from_hex(kCamStaticPrivate), 13);

  CHECK(send(chip, "0022C1A40F800A04007F00070202040602830101") == "9000");
  CHECK(send(chip, "10860000027C0000") == "7C128010CB60E8E0D85B76A9BD304747C2AD42E29000");
  CHECK(send(chip,
             "10860000457C438141047F1D410ADB7DDB3B84BF1030800981A9105D7457B4A3ADE002384F3086C67EDE1AB889104A2"
             "7DB6D"
             "842B019020FBF3CEACB0DC627F7BDCAC29969E19D0E553C100") ==
        "7C43824104A234236AA9B9621E8EFB73B5245C0E09D2576E5277183C1208BDD55280CAE8B304F365713A356E65A451E165EC"
        "C9AC0"
        "AC46E3771342C8FE5AEDD092685338E239000");
  CHECK(send(chip,
             "10860000457C43834104446C934084D9DAB863944F219520076C29EE3F7AE6722B11FF319EC1C7728F955483400BFF6"
             "0BF0C"
             "5929270009277DC2A515E12575010AD9BA916CF1BF86FEFC00") ==
        "7C4384410402AD566F3C6EC7F9324509AD50A51FA52030782A4968FCFEDF737DAEA993333111C3B9B4C2287789BD137E7F8A"
        "A882E"
        "2A3C633CCD6ECC2C63C57AD401A09C2E19000");
  CHECK(send(chip, "008600000C7C0A8508E86BD06018A1CD3B00") ==
        "7C3C86088596CF055C67C1A38A301EEA964DAAE372AC990E3EFDE6333353BFC89A6704D93DA8798CF77F5B7A54BD10CBA372"
        "B42B"
        "E0B9B5F28AA8DE2F4F929000");
  CHECK(randomness.empty());
  Bytes ks_enc = from_hex("0A9DA4DB03BDDE39FC5202BC44B2E89E"),
        ks_mac = from_hex("4B1C06491ED5140CA2B537D344C6C0B1");
  check_secure_messaging(chip, {secure::SmCipher::Aes, SecureBytes(ks_enc.begin(), ks_enc.end()),
                                SecureBytes(ks_mac.begin(), ks_mac.end()), Bytes(16, 0)});
}

namespace {

/// One GENERAL AUTHENTICATE: the data objects inside 7C, or nothing with the status word.
std::optional<std::vector<tlv::Element>> general_authenticate(rcsim::Chip& chip, tlv::Tag tag,
                                                              const Bytes& value, bool last,
                                                              std::uint16_t& sw, Bytes& response) {
  Bytes inner = tag == 0 ? Bytes{} : tlv::encode(tag, value);
  iso7816::CommandApdu c{
      static_cast<std::uint8_t>(last ? 0x00 : 0x10), 0x86, 0x00, 0x00, tlv::encode(0x7C, inner), 256};
  auto r = iso7816::ResponseApdu::decode(chip.process(c.encode()));
  sw = r.sw;
  if (!r.ok()) return std::nullopt;
  response = r.data;  // the elements point into it
  auto outer = tlv::decode_single(response, 0x7C, "GA response");
  tlv::Reader reader(outer.value, "GA");
  std::vector<tlv::Element> elements;
  while (!reader.at_end()) elements.push_back(reader.next());
  return elements;
}

Bytes value_of(const tlv::Element& e, tlv::Tag tag) {
  REQUIRE(e.tag == tag);
  return Bytes(e.value.begin(), e.value.end());
}

struct Outcome {
  std::optional<secure::SessionKeys> keys;  // none if the chip refused the terminal's token
  Bytes encrypted_ca_data;                  // 8A, for CAM
  std::unique_ptr<secure::PaceInitiator> pace;
};

/// The host's PACE (any mapping) against the chip with random keys and nonces.
Outcome run_pace(rcsim::Chip& chip, const char* oid, int parameter_id, const std::string& password,
                 secure::PacePassword type) {
  auto protocol = secure::pace_protocol(oid);
  chip.power_on();
  Outcome out;
  out.pace = std::make_unique<secure::PaceInitiator>(protocol, parameter_id,
                                                     secure::pace_password_key(password, type, protocol));
  secure::PaceInitiator& pace = *out.pace;
  iso7816::CommandApdu mse{0x00, 0x22, 0xC1, 0xA4, pace.mse_set_at_data(type, true), std::nullopt};
  REQUIRE(iso7816::ResponseApdu::decode(chip.process(mse.encode())).sw == 0x9000);
  std::uint16_t sw = 0;
  Bytes response;
  auto z = general_authenticate(chip, 0, {}, false, sw, response);
  REQUIRE(z);
  REQUIRE(z->size() == 1);
  pace.receive_encrypted_nonce(value_of(z->at(0), 0x80));
  if (protocol.mapping == secure::PaceMapping::Integrated) {
    auto map = general_authenticate(chip, 0x81, pace.integrated_mapping_nonce(), false, sw, response);
    REQUIRE(map);
    REQUIRE(map->size() == 1);
    pace.receive_integrated_mapping_response(value_of(map->at(0), 0x82));
  } else {
    auto map = general_authenticate(chip, 0x81, pace.mapping_public_key(), false, sw, response);
    REQUIRE(map);
    pace.receive_chip_mapping_key(value_of(map->at(0), 0x82));
  }
  auto eph = general_authenticate(chip, 0x83, pace.ephemeral_public_key(), false, sw, response);
  REQUIRE(eph);
  pace.receive_chip_ephemeral_key(value_of(eph->at(0), 0x84));
  auto token = general_authenticate(chip, 0x85, pace.terminal_token(), true, sw, response);
  if (!token) {
    CHECK(sw == 0x6300);
    return out;
  }
  bool cam = protocol.mapping == secure::PaceMapping::ChipAuthentication;
  REQUIRE(token->size() == (cam ? 2U : 1U));  // 8A if and only if CAM
  out.keys = pace.finish(value_of(token->at(0), 0x86));
  if (cam) out.encrypted_ca_data = value_of(token->at(1), 0x8A);
  return out;
}

// ECDH-IM-AES-128 on brainpoolP256r1, ECDH-IM-AES-192 on NIST P-256, ECDH-IM-AES-256 on brainpoolP384r1,
// DH-IM-AES-128 on MODP 1024/160, ECDH-CAM-AES-192 and -256 on brainpoolP256r1... one OID each.
const char* kManyProtocols =
    "3178"
    "3012060A04007F0007020204040202010202010D"
    "3012060A04007F0007020204040302010202010C"
    "3012060A04007F00070202040404020102020110"
    "3012060A04007F00070202040302020102020100"
    "3012060A04007F0007020204060302010202010D"
    "3012060A04007F0007020204060402010202010D";

}  // namespace

TEST_CASE("host PACE-IM and PACE-CAM against rcsim: curves, key sizes, DH, passwords, static keys") {
  rcsim::Chip chip({});
  personalize(chip, kManyProtocols, kMrzG);
  auto curve = secure::PaceGroup::standard(13);
  SecureBytes static_private = curve->random_private();
  Bytes static_public = curve->public_key(static_private);
  chip.set_chip_authentication_key(to_bytes(static_private), 13);

  struct Run {
    const char* oid;
    int parameter_id;
  };
  for (Run run : {Run{"0.4.0.127.0.7.2.2.4.4.2", 13}, Run{"0.4.0.127.0.7.2.2.4.4.3", 12},
                  Run{"0.4.0.127.0.7.2.2.4.4.4", 16}, Run{"0.4.0.127.0.7.2.2.4.3.2", 0},
                  Run{"0.4.0.127.0.7.2.2.4.6.3", 13}, Run{"0.4.0.127.0.7.2.2.4.6.4", 13}}) {
    CAPTURE(run.oid);
    Outcome ok =
        run_pace(chip, run.oid, run.parameter_id, "T22000129364081251010318", secure::PacePassword::Mrz);
    REQUIRE(ok.keys);
    if (secure::pace_protocol(run.oid).mapping == secure::PaceMapping::ChipAuthentication) {
      CHECK(ok.pace->chip_authentication_data(ok.encrypted_ca_data).size() == 32);
      CHECK_NOTHROW(ok.pace->verify_chip_authentication(ok.encrypted_ca_data, static_public));
      // Another chip's key: the proof does not transfer.
      Bytes stranger = curve->public_key(curve->random_private());
      CHECK_THROWS_WITH_AS(ok.pace->verify_chip_authentication(ok.encrypted_ca_data, stranger),
                           doctest::Contains("does not match"), Error);
    }
    check_secure_messaging(chip, *ok.keys);
    Outcome can = run_pace(chip, run.oid, run.parameter_id, "123456", secure::PacePassword::Can);
    CHECK(can.keys.has_value());
    Outcome wrong = run_pace(chip, run.oid, run.parameter_id, "123457", secure::PacePassword::Can);
    CHECK_FALSE(wrong.keys.has_value());
  }

  // Protocols EF.CardAccess does not offer, or malformed IM nonces, are refused.
  chip.power_on();
  CHECK(send(chip, "0022C1A40F800A04007F00070202040402830101") == "9000");  // IM-128 offered
  CHECK(send(chip, "10860000027C0000").substr(0, 4) == "7C12");
  CHECK(send(chip, "10860000137C11810F5DD4CBFC96F5453B130D890A1CDBAE00") == "6A80");  // t of 15 bytes
  CHECK(send(chip, "0022C1A40F800A04007F00070202040304830101") == "6A80");  // DH-IM-256: not offered
  CHECK(send(chip, "0022C1A40F800A04007F00070202040502830101") == "6A80");  // no mapping 5
  CHECK(send(chip, "0022C1A40F800A04007F00070202040601830101") == "6A80");  // CAM-3DES does not exist
}

}  // namespace test_rcsim_pace_im_cam
