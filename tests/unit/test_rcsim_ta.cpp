// Terminal Authentication v1 on rcsim, the chip side (Crypto++), against the
// host library (OpenSSL) and the TEST ONLY sample EAC PKI: the trust point
// loaded by PUT DATA 64 before the lock, PACE or BAC, Chip Authentication,
// then MSE:Set DST / PSO:Verify Certificate / MSE:Set AT / GET CHALLENGE /
// EXTERNAL AUTHENTICATE, and DG3/DG4 served only with the matching right.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "card/chip_session.hpp"
#include "core/bytes.hpp"
#include "iso7816/apdu.hpp"
#include "pki/cvc.hpp"
#include "rcsim/chip.hpp"
#include "secure/bac.hpp"
#include "secure/chip_auth.hpp"
#include "secure/pace.hpp"
#include "secure/secure_messaging.hpp"
#include "secure/terminal_auth.hpp"
#include "sim_transport.hpp"
#include "test_support.hpp"
#include "tlv/tlv.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_rcsim_ta {

using namespace rcperso;
using iso7816::CommandApdu;
using iso7816::ResponseApdu;

namespace {

// EF.CardAccess: id-PACE-ECDH-GM-AES-CBC-CMAC-128 on brainpoolP256r1 (parameter ID 13).
const char* kCardAccess = "31143012060A04007F0007020204020202010202010D";
// PUT DATA 62: document number T22000129, born 640812, expires 101031.
const char* kMrzPutData = "00DA00621D621B040954323230303031323904063634303831320406313031303331";
const char* kDocumentNumberWithCheckDigit = "T220001293";
const char* kCaOid = "0.4.0.127.0.7.2.2.3.2.2";  // id-CA-ECDH-AES-CBC-CMAC-128
const Bytes kDg3 = {0x63, 0x03, 0x01, 0x02, 0x03};
const Bytes kDg4 = {0x76, 0x03, 0x04, 0x05, 0x06};

std::string eac(const std::string& name, const std::string& file) {
  return (test::source_dir() / "keys-sample" / "eac" / name / file).string();
}
pki::CvCertificate cert(const std::string& name) {
  return pki::CvCertificate::load(eac(name, "cert.cvcert"));
}
pki::CvPrivateKey key(const std::string& name) { return pki::CvPrivateKey::load_pem(eac(name, "key.pem")); }
Bytes cert_bytes(const std::string& name) { return cert(name).encode(); }

std::uint16_t send(rcsim::Chip& chip, const CommandApdu& c) {
  return ResponseApdu::decode(chip.process(c.encode())).sw;
}
CommandApdu apdu(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, Bytes data = {},
                 std::optional<std::size_t> le = std::nullopt) {
  return CommandApdu{0x00, ins, p1, p2, std::move(data), le};
}
CommandApdu put_trust_point(const Bytes& data, std::uint8_t p1 = 0x00) { return apdu(0xDA, p1, 0x64, data); }

Bytes be2(std::size_t v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }

void create_and_write(rcsim::Chip& chip, std::uint16_t fid, const Bytes& content) {
  Bytes fcp = tlv::encode(0x80, be2(content.size()));
  append(fcp, tlv::encode(0x83, be2(fid)));
  REQUIRE(send(chip, apdu(0xE0, 0x00, 0x00, tlv::encode(0x62, fcp))) == 0x9000);
  REQUIRE(send(chip, apdu(0xD6, 0x00, 0x00, content)) == 0x9000);
}

struct Setup {
  bool trust_point = true;
  bool lock = true;
  const char* card_access = kCardAccess;
  Bytes trust_point_certificate = {};  // empty: the sample CVCA
};

/// What personalization would do, as raw APDUs: EF.CardAccess, EF.COM, DG3, DG4, the BAC/PACE
/// seed, the Chip Authentication key and (before the lock) the CVCA certificate as trust point.
secure::ChipKeyPair personalize(rcsim::Chip& chip, Setup setup = {}) {
  chip.power_on();
  REQUIRE(send(chip, apdu(0xA4, 0x00, 0x0C, from_hex("3F00"))) == 0x9000);
  create_and_write(chip, 0x011C, from_hex(setup.card_access));
  REQUIRE(send(chip, apdu(0xA4, 0x04, 0x0C, from_hex("A0000002471001"))) == 0x9000);
  create_and_write(chip, 0x011E, from_hex("6002AABB"));
  create_and_write(chip, 0x0103, kDg3);
  create_and_write(chip, 0x0104, kDg4);
  REQUIRE(ResponseApdu::decode(chip.process(from_hex(kMrzPutData))).sw == 0x9000);
  secure::ChipKeyPair ca = secure::generate_chip_ec_key("brainpoolP256r1");
  secure::EcDomain d = secure::ec_domain_of(ca.subject_public_key_info);
  Bytes key_data;
  append(key_data, tlv::encode(0x81, d.prime));
  append(key_data, tlv::encode(0x82, d.a));
  append(key_data, tlv::encode(0x83, d.b));
  append(key_data, tlv::encode(0x84, d.generator));
  append(key_data, tlv::encode(0x85, d.order));
  append(key_data, tlv::encode(0x86, Bytes(ca.private_key.begin(), ca.private_key.end())));
  if (!d.cofactor.empty()) append(key_data, tlv::encode(0x87, d.cofactor));
  REQUIRE(send(chip, apdu(0xDA, 0x00, 0x63, key_data)) == 0x9000);
  if (setup.trust_point) {
    Bytes cvca = setup.trust_point_certificate.empty() ? cert_bytes("cvca") : setup.trust_point_certificate;
    REQUIRE(send(chip, put_trust_point(cvca)) == 0x9000);
  }
  if (setup.lock) REQUIRE(send(chip, apdu(0xDA, 0xDE, 0xAD)) == 0x9000);
  return ca;
}

/// The in-process transport, remembering the chip's ephemeral PACE key (GENERAL AUTHENTICATE 84).
class RecordingTransport : public test::SimTransport {
 public:
  using SimTransport::SimTransport;
  ResponseApdu transmit(const CommandApdu& command) override {
    ResponseApdu r = SimTransport::transmit(command);
    if (command.ins == 0x86 && (command.cla & 0x0C) == 0 && r.ok() && !r.data.empty()) {  // PACE, plain
      auto outer = tlv::decode_single(r.data, 0x7C, "GA response");
      tlv::Reader reader(outer.value, "GA");
      while (!reader.at_end()) {
        auto e = reader.next();
        if (e.tag == 0x84) chip_pace_key.assign(e.value.begin(), e.value.end());
      }
    }
    return r;
  }
  Bytes chip_pace_key;
};

enum class Access { Pace, Bac };

/// The inspection system: PACE or BAC, Chip Authentication, Terminal Authentication.
struct Terminal {
  RecordingTransport transport;
  card::ChipSession session;
  Bytes id_picc;

  explicit Terminal(rcsim::Chip& chip) : transport(chip), session(transport, card::ReadLimits{}) {}

  void open(rcsim::Chip& chip, Access access) {
    chip.power_on();
    std::string mrz = secure::mrz_information("T22000129", "640812", "101031");
    CommandApdu select_aid = apdu(0xA4, 0x04, 0x0C, from_hex("A0000002471001"));
    if (access == Access::Pace) {
      auto card_access = session.read_card_access();
      REQUIRE(card_access);
      session.open_pace(*card_access, mrz, secure::PacePassword::Mrz);
      session.select_application(select_aid);
      REQUIRE(transport.chip_pace_key.size() == 65);
      id_picc = secure::ta_id_picc_pace_ec(transport.chip_pace_key);
    } else {
      session.select_application(select_aid);
      session.open_bac(secure::bac_keys(mrz));
      id_picc = secure::ta_id_picc_document_number(kDocumentNumberWithCheckDigit);
    }
  }
  void chip_authentication(const secure::ChipKeyPair& ca) {
    session.chip_authentication(secure::chip_authentication_protocol(kCaOid), ca.subject_public_key_info,
                                std::nullopt);
    REQUIRE(session.chip_authentication_terminal_key().size() == 32);
  }
  std::uint16_t send(const CommandApdu& c) { return session.send(c).sw; }
  /// The status words of MSE:Set DST, PSO:Verify Certificate (per certificate) and MSE:Set AT.
  std::vector<std::uint16_t> certificates(const std::vector<pki::CvCertificate>& chain) {
    std::vector<std::uint16_t> sws;
    for (const auto& c : secure::ta_commands(chain)) sws.push_back(send(c));
    return sws;
  }
  /// GET CHALLENGE and EXTERNAL AUTHENTICATE; `tamper` flips a bit of r_PICC before signing.
  std::uint16_t authenticate(const std::string& terminal, bool tamper = false) {
    ResponseApdu challenge = session.send(secure::ta_get_challenge());
    REQUIRE(challenge.sw == 0x9000);
    REQUIRE(challenge.data.size() == 8);
    last_challenge = challenge.data;
    Bytes r = challenge.data;
    if (tamper) r[0] ^= 0x01;
    pki::CvCertificate c = cert(terminal);
    Bytes signature = secure::ta_sign(key(terminal), c.public_key.algorithm(), id_picc, r,
                                      session.chip_authentication_terminal_key());
    return send(secure::ta_external_authenticate(signature));
  }
  /// The whole Terminal Authentication with DV and `terminal`: the last status word.
  std::uint16_t terminal_authentication(const std::string& dv, const std::string& terminal) {
    auto sws = certificates({cert(dv), cert(terminal)});
    CHECK(sws == std::vector<std::uint16_t>(5, 0x9000));
    if (sws != std::vector<std::uint16_t>(5, 0x9000)) return sws.back();
    return authenticate(terminal);
  }
  std::uint16_t select(std::uint16_t fid) { return send(apdu(0xA4, 0x02, 0x0C, be2(fid))); }
  /// READ BINARY B0 (offset 0) or B1 (DO 54 offset 0) of the selected file: status word, data in `out`.
  std::uint16_t read(bool odd, Bytes* out = nullptr) {
    ResponseApdu r = odd ? session.send(apdu(0xB1, 0x00, 0x00, from_hex("540100"), 16))
                         : session.send(apdu(0xB0, 0x00, 0x00, {}, 5));
    if (out) *out = r.data;
    return r.sw;
  }
  Bytes last_challenge;
};

rcsim::ChipOptions options_at(const std::string& date) {
  rcsim::ChipOptions o;
  o.date = date;
  return o;
}

}  // namespace

TEST_CASE("rcsim TA: PUT DATA 64 takes a whole CVCA certificate and refuses anything else") {
  rcsim::Chip chip(options_at("2026-12-01"));
  chip.power_on();
  Bytes good = cert_bytes("cvca");
  REQUIRE(good.size() > 255);  // extended length
  Bytes truncated(good.begin(), good.end() - 1);
  Bytes longer = good;
  longer.push_back(0x00);
  Bytes bad_signature = good;
  bad_signature.back() ^= 0x01;
  Bytes body = cert("cvca").encode_body();
  CHECK(send(chip, put_trust_point(truncated)) == 0x6A80);
  CHECK(send(chip, put_trust_point(longer)) == 0x6A80);
  CHECK(send(chip, put_trust_point(bad_signature)) == 0x6A80);
  CHECK(send(chip, put_trust_point(cert_bytes("dv"))) == 0x6A80);  // not a CVCA, no domain parameters
  CHECK(send(chip, put_trust_point(body)) == 0x6A80);              // rcsim wants the whole certificate
  CHECK(send(chip, put_trust_point(good, 0x01)) == 0x6A80);        // the JMRTD applet's form
  CHECK(send(chip, put_trust_point({})) == 0x6A80);
  CHECK(send(chip, put_trust_point(good)) == 0x9000);
  CHECK(send(chip, put_trust_point(cert_bytes("cvca-other"))) == 0x9000);  // replaces it

  SUBCASE("the JMRTD applet's form: P1=01 and the body only") {
    rcsim::ChipOptions o = options_at("2026-12-01");
    o.jmrtd_applet = true;
    rcsim::Chip applet(o);
    applet.power_on();
    CHECK(send(applet, put_trust_point(good, 0x01)) == 0x6A80);
    CHECK(send(applet, put_trust_point(body, 0x00)) == 0x6A80);
    Bytes short_body(body.begin(), body.end() - 1);
    CHECK(send(applet, put_trust_point(short_body, 0x01)) == 0x6A80);
    CHECK(send(applet, put_trust_point(body, 0x01)) == 0x9000);
  }
}

TEST_CASE(
    "rcsim TA: the trust point is kept in the state file, erased with the card, refused after the lock") {
  test::TempDir dir;
  rcsim::ChipOptions o = options_at("2026-12-01");
  o.state_file = (dir / "card.json").string();
  auto state = [&] {
    std::ifstream in(o.state_file);
    return nlohmann::json::parse(in);
  };
  secure::ChipKeyPair ca;
  {
    rcsim::Chip chip(o);
    ca = personalize(chip);
    CHECK(send(chip, put_trust_point(cert_bytes("cvca"))) == 0x6985);  // personalization is over
  }
  CHECK(state().contains("ta_trust_point"));
  {
    rcsim::Chip reloaded(o);  // a new process: the trust point comes from the file
    Terminal t(reloaded);
    t.open(reloaded, Access::Pace);
    t.chip_authentication(ca);
    CHECK(t.select(0x0103) == 0x6982);
    CHECK(t.terminal_authentication("dv", "is") == 0x9000);
    CHECK(t.select(0x0103) == 0x9000);
  }
  std::filesystem::remove(o.state_file);
  {
    rcsim::Chip chip(o);
    personalize(chip, {.trust_point = true, .lock = false});
    CHECK(state().contains("ta_trust_point"));
    CHECK(send(chip, apdu(0xDA, 0xDE, 0xE5)) == 0x9000);
    CHECK(!state().contains("ta_trust_point"));
  }
}

TEST_CASE("rcsim TA over PACE and Chip Authentication: DG3 only after TA with the right, DG4 not granted") {
  rcsim::Chip chip(options_at("2026-12-01"));
  secure::ChipKeyPair ca = personalize(chip);
  Terminal t(chip);
  t.open(chip, Access::Pace);
  t.chip_authentication(ca);
  CHECK(t.select(0x011E) == 0x9000);  // other files as before
  CHECK(t.select(0x0103) == 0x6982);
  CHECK(t.select(0x0104) == 0x6982);

  CHECK(t.terminal_authentication("dv", "is") == 0x9000);
  CHECK(t.select(0x0103) == 0x9000);
  Bytes data;
  CHECK(t.read(false, &data) == 0x9000);
  CHECK(data == kDg3);
  CHECK(t.read(true, &data) == 0x9000);
  CHECK(data == tlv::encode(0x53, kDg3));
  // CVCA C3 (DG3+DG4) AND DV 83 (DG3+DG4) AND IS 01 (DG3): no DG4.
  CHECK(t.select(0x0104) == 0x6982);

  SUBCASE("a failed EXTERNAL AUTHENTICATE takes the rights away, even from a selected file") {
    CHECK(t.select(0x0103) == 0x9000);
    CHECK(t.authenticate("is", true) == 0x6300);
    CHECK(t.read(false) == 0x6982);
    CHECK(t.read(true) == 0x6982);
    CHECK(t.select(0x0103) == 0x6982);
  }
  SUBCASE("a new SELECT of the application ends TA") {
    CHECK(t.send(apdu(0xA4, 0x04, 0x0C, from_hex("A0000002471001"))) == 0x9000);
    CHECK(t.select(0x0103) == 0x6982);
    // Chip Authentication still holds: TA again.
    CHECK(t.terminal_authentication("dv", "is") == 0x9000);
    CHECK(t.select(0x0103) == 0x9000);
  }
  SUBCASE("a new session (power cycle, PACE) starts without TA") {
    Terminal again(chip);
    again.open(chip, Access::Pace);
    again.chip_authentication(ca);
    CHECK(again.select(0x0103) == 0x6982);
  }
}

TEST_CASE("rcsim TA after BAC: ID_PICC is the document number with its check digit") {
  rcsim::Chip chip(options_at("2026-12-01"));
  secure::ChipKeyPair ca = personalize(chip);
  Terminal t(chip);
  t.open(chip, Access::Bac);
  t.chip_authentication(ca);
  CHECK(t.select(0x0103) == 0x6982);
  SUBCASE("the right ID_PICC") {
    CHECK(t.terminal_authentication("dv", "is") == 0x9000);
    CHECK(t.select(0x0103) == 0x9000);
  }
  SUBCASE("a PACE-style ID_PICC does not verify after BAC") {
    t.id_picc = Bytes(32, 0x11);
    CHECK(t.terminal_authentication("dv", "is") == 0x6300);
    CHECK(t.select(0x0103) == 0x6982);
  }
}

TEST_CASE("rcsim TA: an IS without the DG3 right authenticates, gets DG4, never DG3") {
  rcsim::Chip chip(options_at("2026-12-01"));
  secure::ChipKeyPair ca = personalize(chip);
  Terminal t(chip);
  t.open(chip, Access::Pace);
  t.chip_authentication(ca);
  CHECK(t.terminal_authentication("dv", "is-no-dg3") == 0x9000);
  CHECK(t.select(0x0103) == 0x6982);
  CHECK(t.select(0x0104) == 0x9000);
  Bytes data;
  CHECK(t.read(false, &data) == 0x9000);
  CHECK(data == kDg4);
}

TEST_CASE("rcsim TA: only inside secure messaging and after Chip Authentication") {
  rcsim::Chip chip(options_at("2026-12-01"));
  secure::ChipKeyPair ca = personalize(chip, {.trust_point = true, .lock = false});
  auto set_dst = apdu(0x22, 0x81, 0xB6, secure::ta_mse_set_dst_data(cert("dv").car));
  CHECK(send(chip, set_dst) == 0x6982);  // plain, before the lock
  REQUIRE(send(chip, apdu(0xDA, 0xDE, 0xAD)) == 0x9000);
  Terminal t(chip);
  t.open(chip, Access::Pace);
  CHECK(t.certificates({cert("dv"), cert("is")}) == std::vector<std::uint16_t>(5, 0x6982));
  CHECK(t.send(secure::ta_get_challenge()) == 0x6982);
  CHECK(t.send(secure::ta_external_authenticate(Bytes(64, 0x01))) == 0x6982);
  CHECK(t.select(0x0103) == 0x6982);
  t.chip_authentication(ca);
  CHECK(t.terminal_authentication("dv", "is") == 0x9000);
  CHECK(t.select(0x0103) == 0x9000);
}

TEST_CASE("rcsim TA: MSE:Set DST, PSO:Verify Certificate, MSE:Set AT and EXTERNAL AUTHENTICATE refusals") {
  rcsim::Chip chip(options_at("2026-12-01"));
  secure::ChipKeyPair ca = personalize(chip);
  Terminal t(chip);
  t.open(chip, Access::Pace);
  t.chip_authentication(ca);
  auto set_dst = [&](const std::string& car) {
    return t.send(apdu(0x22, 0x81, 0xB6, secure::ta_mse_set_dst_data(car)));
  };
  auto verify = [&](const pki::CvCertificate& c) {
    return t.send(apdu(0x2A, 0x00, 0xBE, secure::ta_verify_certificate_data(c)));
  };
  auto set_at = [&](const pki::CvCertificate& c, bool with_oid = true) {
    return t.send(apdu(0x22, 0x81, 0xA4, secure::ta_mse_set_at_data(c, with_oid)));
  };
  const auto dv = cert("dv"), is = cert("is");

  CHECK(set_dst(cert("cvca-other").chr) == 0x6A88);                         // not this chip's trust point
  CHECK(set_dst(dv.chr) == 0x6A88);                                         // not imported yet
  CHECK(t.send(apdu(0x22, 0x81, 0xB6, from_hex("8305414243"))) == 0x6A80);  // length beyond the data
  CHECK(t.send(apdu(0x22, 0x81, 0xB6, from_hex("8403414243"))) == 0x6A80);  // not a CAR
  CHECK(verify(dv) == 0x6985);                                              // no key selected
  CHECK(set_dst(dv.car) == 0x9000);
  Bytes garbage = secure::ta_verify_certificate_data(dv);
  garbage.resize(garbage.size() - 3);
  CHECK(t.send(apdu(0x2A, 0x00, 0xBE, garbage)) == 0x6A80);
  CHECK(set_dst(dv.car) == 0x9000);
  CHECK(verify(is) == 0x6300);  // CAR is the DV's, not the CVCA's
  CHECK(set_dst(dv.car) == 0x9000);
  CHECK(t.send(apdu(0x2A, 0x00, 0xBF, secure::ta_verify_certificate_data(dv))) == 0x6A86);
  pki::CvCertificate wrong_car = dv;  // signed by the CVCA, but naming another issuer
  wrong_car.car = "DKTESTCVCA00002";
  wrong_car.sign(key("cvca"), cert("cvca").public_key.algorithm());
  CHECK(set_dst(dv.car) == 0x9000);
  CHECK(verify(wrong_car) == 0x6300);
  CHECK(set_dst(dv.car) == 0x9000);
  CHECK(verify(dv) == 0x9000);
  CHECK(t.send(apdu(0x22, 0x81, 0xA4, tlv::encode(0x83, as_bytes(dv.chr)))) == 0x6A88);  // no terminal key

  SUBCASE("role order: a DV certificate under a DV is refused, a terminal certificate taken") {
    auto dv_key = key("dv");
    pki::CvCertificate sub = dv;
    sub.car = dv.chr;
    sub.chr = "DKTESTDV00099";
    sub.sign(dv_key, dv.public_key.algorithm());
    CHECK(set_dst(dv.chr) == 0x9000);
    CHECK(verify(sub) == 0x6300);
    sub.chat = pki::Chat::inspection_system(pki::CvRole::InspectionSystem, pki::kReadDg3);
    sub.sign(dv_key, dv.public_key.algorithm());
    CHECK(set_dst(dv.chr) == 0x9000);
    CHECK(verify(sub) == 0x9000);
  }
  SUBCASE("MSE:Set AT with the terminal's CHR, with or without the OID, not with another OID") {
    CHECK(set_at(is) == 0x6A88);  // not verified yet
    CHECK(set_dst(is.car) == 0x9000);
    CHECK(verify(is) == 0x9000);
    pki::CvCertificate other_oid = is;
    other_oid.public_key.oid = pki::ta_oid(pki::TaAlgorithm::EcdsaSha512);
    CHECK(set_at(other_oid) == 0x6A80);
    CHECK(t.send(secure::ta_external_authenticate(Bytes(64, 0x01))) == 0x6985);  // no MSE:Set AT
    CHECK(set_at(is, false) == 0x9000);
    CHECK(t.send(secure::ta_external_authenticate(Bytes(64, 0x01))) == 0x6985);  // no GET CHALLENGE
    CHECK(t.send(apdu(0x84, 0x00, 0x00, {}, 16)) == 0x6700);
    CHECK(set_at(is) == 0x9000);
    CHECK(t.authenticate("is") == 0x9000);
    CHECK(t.select(0x0103) == 0x9000);
  }
  SUBCASE("a signature over a wrong challenge, then the old challenge again") {
    CHECK(set_dst(is.car) == 0x9000);
    CHECK(verify(is) == 0x9000);
    CHECK(set_at(is) == 0x9000);
    CHECK(t.authenticate("is", true) == 0x6300);
    CHECK(t.select(0x0103) == 0x6982);
    // The right signature over the spent challenge: no challenge any more.
    Bytes late = secure::ta_sign(key("is"), is.public_key.algorithm(), t.id_picc, t.last_challenge,
                                 t.session.chip_authentication_terminal_key());
    CHECK(t.send(secure::ta_external_authenticate(late)) == 0x6985);
    CHECK(t.authenticate("is") == 0x9000);
    CHECK(t.select(0x0103) == 0x9000);
  }
  SUBCASE("a signature by another terminal's key") {
    CHECK(set_dst(is.car) == 0x9000);
    CHECK(verify(is) == 0x9000);
    CHECK(set_at(is) == 0x9000);
    ResponseApdu challenge = t.session.send(secure::ta_get_challenge());
    REQUIRE(challenge.ok());
    Bytes forged = secure::ta_sign(key("is-no-dg3"), is.public_key.algorithm(), t.id_picc, challenge.data,
                                   t.session.chip_authentication_terminal_key());
    CHECK(t.send(secure::ta_external_authenticate(forged)) == 0x6300);
    CHECK(t.select(0x0103) == 0x6982);
  }
}

TEST_CASE("rcsim TA: the other CVCA's chain does not verify") {
  rcsim::Chip chip(options_at("2026-12-01"));
  secure::ChipKeyPair ca = personalize(chip);
  Terminal t(chip);
  t.open(chip, Access::Pace);
  t.chip_authentication(ca);
  auto sws = t.certificates({cert("dv-other"), cert("is-other")});
  CHECK(sws.front() == 0x6A88);  // MSE:Set DST: the chip knows no DKTESTCVCX00001
  // The other CVCA's DV relabelled as issued by our CVCA (and signed again by the other CVCA's key).
  pki::CvCertificate forged = cert("dv-other");
  forged.car = cert("cvca").chr;
  forged.sign(key("cvca-other"), cert("cvca-other").public_key.algorithm());
  CHECK(t.certificates({forged, cert("is-other")}) ==
        std::vector<std::uint16_t>{0x9000, 0x6300, 0x6A88, 0x6985, 0x6A88});
  CHECK(t.select(0x0103) == 0x6982);
  // The genuine chain still works in the same session.
  CHECK(t.terminal_authentication("dv", "is") == 0x9000);
}

TEST_CASE("rcsim TA: the chip's current date refuses an expired IS and advances with accepted certificates") {
  SUBCASE("after the expiry (2026-11-15): PSO:Verify refuses it") {
    rcsim::Chip chip(options_at("2026-12-01"));
    secure::ChipKeyPair ca = personalize(chip);
    Terminal t(chip);
    t.open(chip, Access::Pace);
    t.chip_authentication(ca);
    CHECK(t.certificates({cert("dv"), cert("is-expired")}) ==
          std::vector<std::uint16_t>{0x9000, 0x9000, 0x9000, 0x6300, 0x6A88});
    CHECK(t.select(0x0103) == 0x6982);
  }
  SUBCASE("before it: accepted; the DV's effective date moves the chip's date forward") {
    test::TempDir dir;
    rcsim::ChipOptions o = options_at("2026-01-01");
    o.state_file = (dir / "card.json").string();
    rcsim::Chip chip(o);
    secure::ChipKeyPair ca = personalize(chip);
    CHECK(chip.current_date() == 20260101);
    Terminal t(chip);
    t.open(chip, Access::Pace);
    t.chip_authentication(ca);
    CHECK(t.terminal_authentication("dv", "is-expired") == 0x9000);
    CHECK(chip.current_date() == 20261101);
    CHECK(t.select(0x0103) == 0x9000);
    rcsim::Chip reloaded(o);  // the learnt date is kept
    CHECK(reloaded.current_date() == 20261101);
  }
  SUBCASE("the date option is checked") {
    CHECK_THROWS_AS(rcsim::Chip(options_at("2026-02-30")), std::invalid_argument);
    CHECK_THROWS_AS(rcsim::Chip(options_at("20260101")), std::invalid_argument);
  }
}

TEST_CASE("rcsim TA: before the lock and without a trust point DG3 stays readable") {
  SUBCASE("personalization phase") {
    rcsim::Chip chip(options_at("2026-12-01"));
    personalize(chip, {.trust_point = true, .lock = false});
    CHECK(send(chip, apdu(0xA4, 0x02, 0x0C, from_hex("0103"))) == 0x9000);
    ResponseApdu r = ResponseApdu::decode(chip.process(apdu(0xB0, 0x00, 0x00, {}, 5).encode()));
    CHECK(r.sw == 0x9000);
    CHECK(r.data == kDg3);
  }
  SUBCASE("locked, no trust point") {
    rcsim::Chip chip(options_at("2026-12-01"));
    personalize(chip, {.trust_point = false, .lock = true});
    Terminal t(chip);
    t.open(chip, Access::Pace);
    CHECK(t.select(0x0103) == 0x9000);
    CHECK(t.read(false) == 0x9000);
    CHECK(t.select(0x0104) == 0x9000);
  }
  SUBCASE("locked, with a trust point") {
    rcsim::Chip chip(options_at("2026-12-01"));
    personalize(chip);
    Terminal t(chip);
    t.open(chip, Access::Pace);
    CHECK(t.select(0x0103) == 0x6982);
    CHECK(t.select(0x0104) == 0x6982);
  }
}

TEST_CASE("rcsim TA: the effective rights are the intersection over CVCA, DV and IS") {
  rcsim::Chip chip(options_at("2026-12-01"));
  secure::ChipKeyPair ca = personalize(chip);
  Terminal t(chip);
  t.open(chip, Access::Pace);
  t.chip_authentication(ca);
  // A DV with read DG3 only (signed by the sample CVCA), and an IS under it that claims DG3 and DG4.
  pki::CvCertificate dv = cert("dv");
  dv.chat = pki::Chat::inspection_system(pki::CvRole::DvDomestic, pki::kReadDg3);
  dv.sign(key("cvca"), cert("cvca").public_key.algorithm());
  pki::CvCertificate is = cert("is");
  is.chat = pki::Chat::inspection_system(pki::CvRole::InspectionSystem, pki::kReadDg3 | pki::kReadDg4);
  is.sign(key("dv"), dv.public_key.algorithm());
  CHECK(t.certificates({dv, is}) == std::vector<std::uint16_t>(5, 0x9000));
  CHECK(t.authenticate("is") == 0x9000);
  CHECK(t.select(0x0103) == 0x9000);
  CHECK(t.select(0x0104) == 0x6982);
  SUBCASE("the same IS under the sample DV (DG3 and DG4) reads both") {
    CHECK(t.certificates({cert("dv"), is}) == std::vector<std::uint16_t>(5, 0x9000));
    CHECK(t.authenticate("is") == 0x9000);
    CHECK(t.select(0x0103) == 0x9000);
    CHECK(t.select(0x0104) == 0x9000);
  }
}

TEST_CASE("rcsim TA after PACE-CAM: the mapping authenticated the chip; Comp() of the terminal's PACE key") {
  // id-PACE-ECDH-CAM-AES-CBC-CMAC-128 on brainpoolP256r1.
  rcsim::Chip chip(options_at("2026-12-01"));
  // The static key is the Chip Authentication key of PUT DATA 63 (DG14's), on the PACE curve.
  secure::ChipKeyPair static_key =
      personalize(chip, {.card_access = "31143012060A04007F0007020204060202010202010D"});
  chip.power_on();
  auto protocol = secure::pace_protocol("0.4.0.127.0.7.2.2.4.6.2");
  std::string mrz = secure::mrz_information("T22000129", "640812", "101031");
  secure::PaceInitiator pace(protocol, 13,
                             secure::pace_password_key(mrz, secure::PacePassword::Mrz, protocol));
  REQUIRE(send(chip, apdu(0x22, 0xC1, 0xA4, pace.mse_set_at_data(secure::PacePassword::Mrz, true))) ==
          0x9000);
  auto ga = [&](tlv::Tag tag, const Bytes& value, bool last) {
    Bytes inner = tag == 0 ? Bytes{} : tlv::encode(tag, value);
    CommandApdu c{
        static_cast<std::uint8_t>(last ? 0x00 : 0x10), 0x86, 0x00, 0x00, tlv::encode(0x7C, inner), 256};
    ResponseApdu r = ResponseApdu::decode(chip.process(c.encode()));
    REQUIRE(r.sw == 0x9000);
    std::map<tlv::Tag, Bytes> out;
    auto outer = tlv::decode_single(r.data, 0x7C, "GA");
    tlv::Reader reader(outer.value, "GA");
    while (!reader.at_end()) {
      auto e = reader.next();
      out[e.tag] = Bytes(e.value.begin(), e.value.end());
    }
    return out;
  };
  pace.receive_encrypted_nonce(ga(0, {}, false).at(0x80));
  pace.receive_chip_mapping_key(ga(0x81, pace.mapping_public_key(), false).at(0x82));
  Bytes terminal_ephemeral = pace.ephemeral_public_key();
  Bytes chip_ephemeral = ga(0x83, terminal_ephemeral, false).at(0x84);
  pace.receive_chip_ephemeral_key(chip_ephemeral);
  auto last = ga(0x85, pace.terminal_token(), true);
  secure::SecureMessaging sm(pace.finish(last.at(0x86)));
  pace.verify_chip_authentication(last.at(0x8A), secure::ec_public_point(static_key.subject_public_key_info));
  auto protected_send = [&](const CommandApdu& c) {
    return sm.unwrap(ResponseApdu::decode(chip.process(sm.wrap(c).encode())));
  };
  auto select = [&](std::uint16_t fid) { return protected_send(apdu(0xA4, 0x02, 0x0C, be2(fid))).sw; };
  REQUIRE(protected_send(apdu(0xA4, 0x04, 0x0C, from_hex("A0000002471001"))).sw == 0x9000);
  CHECK(select(0x0103) == 0x6982);
  for (const auto& c : secure::ta_commands(std::vector<pki::CvCertificate>{cert("dv"), cert("is")}))
    CHECK(protected_send(c).sw == 0x9000);
  Bytes id_picc = secure::ta_id_picc_pace_ec(chip_ephemeral);
  auto authenticate = [&](const Bytes& comp) {
    ResponseApdu challenge = protected_send(secure::ta_get_challenge());
    REQUIRE(challenge.sw == 0x9000);
    Bytes signature =
        secure::ta_sign(key("is"), cert("is").public_key.algorithm(), id_picc, challenge.data, comp);
    return protected_send(secure::ta_external_authenticate(signature)).sw;
  };
  CHECK(authenticate(secure::ta_compress_ec(chip_ephemeral)) == 0x6300);  // Comp() of the wrong key
  CHECK(select(0x0103) == 0x6982);
  CHECK(authenticate(secure::ta_compress_ec(terminal_ephemeral)) == 0x9000);
  CHECK(select(0x0103) == 0x9000);
}

namespace {

/// An RSA EAC chain made here (TEST ONLY holder references): CVCA, domestic DV, IS with the DG3
/// right, every certificate of `algorithm`. Keys are made once; the certificates per algorithm.
struct RsaChain {
  pki::CvCertificate cvca, dv, is;
  const pki::CvPrivateKey* cvca_key = nullptr;
  const pki::CvPrivateKey* is_key = nullptr;
};

RsaChain rsa_chain(pki::TaAlgorithm algorithm) {
  static const pki::CvPrivateKey cvca_key = pki::CvPrivateKey::generate_rsa(2048);
  static const pki::CvPrivateKey dv_key = pki::CvPrivateKey::generate_rsa(2048);
  static const pki::CvPrivateKey is_key = pki::CvPrivateKey::generate_rsa(2048);
  auto make = [&](const pki::CvPrivateKey& holder, const std::string& chr, const std::string& car,
                  pki::CvRole role, std::uint8_t rights, const pki::CvPrivateKey& issuer) {
    pki::CvCertificate c;
    c.car = car;
    c.chr = chr;
    c.public_key = holder.public_key(algorithm, role == pki::CvRole::Cvca);
    c.chat = pki::Chat::inspection_system(role, rights);
    c.effective = *Date::parse_iso("2026-11-01");
    c.expiration = *Date::parse_iso("2029-10-31");
    c.sign(issuer, algorithm);
    return c;
  };
  const std::uint8_t all = pki::kReadDg3 | pki::kReadDg4;
  RsaChain chain;
  chain.cvca = make(cvca_key, "DKTESTRSACA001", "DKTESTRSACA001", pki::CvRole::Cvca, all, cvca_key);
  chain.dv = make(dv_key, "DKTESTRSADV001", chain.cvca.chr, pki::CvRole::DvDomestic, all, cvca_key);
  chain.is =
      make(is_key, "DKTESTRSAIS001", chain.dv.chr, pki::CvRole::InspectionSystem, pki::kReadDg3, dv_key);
  chain.cvca_key = &cvca_key;
  chain.is_key = &is_key;
  return chain;
}

}  // namespace

TEST_CASE("rcsim TA with RSA terminal keys: v1.5 and PSS with SHA-1, SHA-256, SHA-512") {
  for (auto algorithm :
       {pki::TaAlgorithm::RsaV15Sha1, pki::TaAlgorithm::RsaV15Sha256, pki::TaAlgorithm::RsaV15Sha512,
        pki::TaAlgorithm::RsaPssSha1, pki::TaAlgorithm::RsaPssSha256, pki::TaAlgorithm::RsaPssSha512}) {
    CAPTURE(pki::ta_name(algorithm));
    RsaChain rsa = rsa_chain(algorithm);
    rcsim::Chip chip(options_at("2026-12-01"));
    secure::ChipKeyPair ca = personalize(chip, {.trust_point_certificate = rsa.cvca.encode()});
    for (Access access : {Access::Pace, Access::Bac}) {
      CAPTURE(access == Access::Pace ? "PACE" : "BAC");
      Terminal t(chip);
      t.open(chip, access);
      t.chip_authentication(ca);
      CHECK(t.select(0x0103) == 0x6982);
      std::vector<pki::CvCertificate> chain{rsa.dv, rsa.is};
      // The host's whole TA: certificates (extended length: RSA certificates exceed 255 bytes), then
      // the terminal's RSA signature over ID_PICC || r_PICC || Comp(PK_PCD).
      CHECK(t.session.terminal_authentication(chain, *rsa.is_key).find("DKTESTRSAIS001") !=
            std::string::npos);
      CHECK(t.select(0x0103) == 0x9000);
      CHECK(t.select(0x0104) == 0x6982);  // the IS has the DG3 right only
    }
    SUBCASE("a wrong signature is refused") {
      Terminal t(chip);
      t.open(chip, Access::Pace);
      t.chip_authentication(ca);
      std::vector<pki::CvCertificate> chain{rsa.dv, rsa.is};
      REQUIRE(t.certificates(chain) == std::vector<std::uint16_t>(5, 0x9000));
      ResponseApdu challenge = t.session.send(secure::ta_get_challenge());
      REQUIRE(challenge.sw == 0x9000);
      Bytes signature = secure::ta_sign(*rsa.is_key, algorithm, t.id_picc, challenge.data,
                                        t.session.chip_authentication_terminal_key());
      signature[signature.size() / 2] ^= 0x01;
      CHECK(t.send(secure::ta_external_authenticate(signature)) == 0x6300);
      CHECK(t.select(0x0103) == 0x6982);
    }
    SUBCASE("a certificate with a bad signature is refused") {
      Terminal t(chip);
      t.open(chip, Access::Pace);
      t.chip_authentication(ca);
      pki::CvCertificate dv = rsa.dv;
      dv.signature[5] ^= 0x40;
      auto sws = t.certificates({dv, rsa.is});
      CHECK(sws[1] == 0x6300);
    }
  }
}

TEST_CASE(
    "rcsim TA: a chain keeps the trust point's key type (no EC DV under an RSA CVCA, nor the reverse)") {
  RsaChain rsa = rsa_chain(pki::TaAlgorithm::RsaPssSha256);
  {
    rcsim::Chip chip(options_at("2026-12-01"));
    secure::ChipKeyPair ca = personalize(chip, {.trust_point_certificate = rsa.cvca.encode()});
    Terminal t(chip);
    t.open(chip, Access::Pace);
    t.chip_authentication(ca);
    pki::CvCertificate ec_dv = cert("dv");  // an EC key, signed by the RSA CVCA
    ec_dv.car = rsa.cvca.chr;
    ec_dv.sign(*rsa.cvca_key, rsa.cvca.public_key.algorithm());
    auto sws = t.certificates({ec_dv, cert("is")});
    CHECK(sws[0] == 0x9000);  // MSE:Set DST names the RSA trust point
    CHECK(sws[1] == 0x6A80);  // PSO:Verify Certificate refuses the EC key under it
  }
  {
    rcsim::Chip chip(options_at("2026-12-01"));
    secure::ChipKeyPair ca = personalize(chip);  // the EC sample CVCA
    Terminal t(chip);
    t.open(chip, Access::Pace);
    t.chip_authentication(ca);
    pki::CvCertificate rsa_dv = rsa.dv;
    rsa_dv.car = cert("cvca").chr;
    rsa_dv.sign(key("cvca"), cert("cvca").public_key.algorithm());  // signed by the EC CVCA, RSA key inside
    auto sws = t.certificates({rsa_dv, rsa.is});
    CHECK(sws[1] == 0x6A80);
  }
  // PUT DATA 64 takes an RSA CVCA certificate only if it verifies under its own key.
  rcsim::Chip chip(options_at("2026-12-01"));
  chip.power_on();
  pki::CvCertificate tampered = rsa.cvca;
  tampered.signature[0] ^= 0x01;
  CHECK(send(chip, put_trust_point(tampered.encode())) == 0x6A80);
  CHECK(send(chip, put_trust_point(rsa.cvca.encode())) == 0x9000);
}

TEST_CASE("rcsim PACE-CAM: the PUT DATA 63 key serves only its own curve") {
  // EF.CardAccess offers PACE-CAM on NIST P-256 (12); the Chip Authentication key is on brainpoolP256r1.
  rcsim::Chip chip(options_at("2026-12-01"));
  personalize(chip, {.card_access = "31143012060A04007F0007020204060202010202010C"});
  chip.power_on();
  auto protocol = secure::pace_protocol("0.4.0.127.0.7.2.2.4.6.2");
  secure::PaceInitiator pace(protocol, 12,
                             secure::pace_password_key("x", secure::PacePassword::Mrz, protocol));
  CHECK(send(chip, apdu(0x22, 0xC1, 0xA4, pace.mse_set_at_data(secure::PacePassword::Mrz, true))) == 0x6A88);
  // The test hook does not override the card's own key either.
  secure::ChipKeyPair p256 = secure::generate_chip_ec_key("prime256v1");
  chip.set_chip_authentication_key(Bytes(p256.private_key.begin(), p256.private_key.end()), 12);
  CHECK(send(chip, apdu(0x22, 0xC1, 0xA4, pace.mse_set_at_data(secure::PacePassword::Mrz, true))) == 0x6A88);
}

}  // namespace test_rcsim_ta
