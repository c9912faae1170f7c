// Chip key pairs generated on the chip: the card profile's generate_keys, rcsim's GENERATE
// ASYMMETRIC KEY PAIR, preparation that leaves DG14/DG15 and EF.SOD pending, and the
// personalization engine that seals the image with the chip's public keys, against rcsim in-process.
#include <doctest/doctest.h>

#include <string>

#include "card/chip_keygen.hpp"
#include "card/chip_session.hpp"
#include "card/personalize.hpp"
#include "inspection/verify.hpp"
#include "issuance/application.hpp"
#include "issuance/prepare.hpp"
#include "lds/dg1.hpp"
#include "lds/security_dg.hpp"
#include "lds/security_infos.hpp"
#include "mrz/mrz.hpp"
#include "pki/signer.hpp"
#include "secure/chip_auth.hpp"
#include "sim_transport.hpp"
#include "test_support.hpp"
#include "tlv/tlv.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_keys_on_chip {

using namespace rcperso;

namespace {

issuance::DocumentProfile document_profile(const std::string& aa_spec = "") {
  auto profile =
      issuance::DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
  if (!aa_spec.empty()) {
    profile.active_authentication = aa_spec;
    profile.data_groups.push_back(15);
  }
  return profile;
}

std::unique_ptr<pki::Signer> sample_signer() {
  return pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
}

issuance::ChipImage prepare_keys_on_chip(const issuance::DocumentProfile& profile) {
  auto app = issuance::load_application(test::source_dir() / "examples/application.json", profile);
  auto signer = sample_signer();
  auto options = test::prepare_options(profile);
  options.keys_on_chip = true;
  return issuance::prepare(app, profile, *signer, options);
}

card::CardProfile card_profile(const std::string& name) {
  return card::CardProfile::load(test::source_dir() / "profiles/cards" / (name + ".json"));
}

struct Sealing {
  explicit Sealing(issuance::DocumentProfile p) : profile(std::move(p)) {}
  issuance::DocumentProfile profile;
  std::unique_ptr<pki::Signer> signer = sample_signer();
  issuance::ChipImage sealed;
};

card::PersoOptions perso_options(Sealing& sealing) {
  card::PersoOptions o;
  o.verify.csca_files = {(test::source_dir() / "keys-sample/csca-ec.pem").string()};
  o.verify.profile = sealing.profile;
  o.seal = [&sealing](issuance::ChipImage& image, const issuance::ChipPublicKeys& keys) {
    issuance::seal_chip_image(image, sealing.profile, *sealing.signer, keys, std::time(nullptr));
    sealing.sealed = image;
  };
  return o;
}

std::string key_seed_of(const issuance::ChipImage& chip) {
  return mrz::parse(lds::Dg1::decode(*chip.file("EF.DG1")).mrz).key_seed();
}

Bytes generate_command(std::uint8_t p2, const Bytes& data) {
  iso7816::CommandApdu c{0x00, 0x46, 0x00, p2, data, 65536};
  return c.encode();
}

iso7816::ResponseApdu send(rcsim::Chip& chip, const Bytes& apdu) {
  return iso7816::ResponseApdu::decode(chip.process(apdu));
}

Bytes point_of(const iso7816::ResponseApdu& r) {
  tlv::Element outer = tlv::decode_single(r.data, 0x7F49, "public key");
  tlv::Element point = tlv::decode_single(outer.value, 0x86, "point");
  return Bytes(point.value.begin(), point.value.end());
}

std::vector<Check> mechanisms_of_pace_read(rcsim::Chip& chip, const issuance::ChipImage& image) {
  test::SimTransport t(chip);
  card::ChipSession session(t, card::ReadLimits{});
  auto card_access = session.read_card_access();
  REQUIRE(card_access);
  session.open_pace(*card_access, key_seed_of(image), secure::PacePassword::Mrz);
  session.select_application(card_profile("rcsim").select_applet);
  std::vector<Check> mechanisms;
  auto back = card::read_chip(session, &mechanisms);
  back.files["EF.CardAccess"] = *card_access;
  for (const auto& [name, bytes] : back.files) CHECK(image.file(name) != nullptr);
  CHECK(*back.file("EF.SOD") == *image.file("EF.SOD"));
  CHECK(*back.file("EF.DG14") == *image.file("EF.DG14"));
  return mechanisms;
}

Status status_of(const std::vector<Check>& checks, const std::string& name) {
  for (const auto& c : checks) {
    if (c.name == name) return c.status;
  }
  return Status::Skip;
}

/// Passes everything through, but spoils the chip's answer to GENERATE ASYMMETRIC KEY PAIR: one
/// bit of the point flipped (off the curve), or the point cut to another curve's size.
class TamperingTransport : public card::Transport {
 public:
  TamperingTransport(card::Transport& inner, bool shorten) : inner_(inner), shorten_(shorten) {}
  iso7816::ResponseApdu transmit(const iso7816::CommandApdu& command) override {
    iso7816::ResponseApdu r = inner_.transmit(command);
    if (command.ins == 0x46 && r.ok()) {
      Bytes point = point_of(r);
      if (shorten_) {
        point.resize(49);  // 04 || x || y of a 192-bit curve
      } else {
        point.back() ^= 0x01;
      }
      tlv::Writer w;
      w.add(0x86, point);
      r.data = w.wrap(0x7F49);
    }
    return r;
  }
  std::string description() const override { return "tampering " + inner_.description(); }
  card::WireStats stats() const override { return inner_.stats(); }

 private:
  card::Transport& inner_;
  bool shorten_;
};

}  // namespace

TEST_CASE("card profile generate_keys: the shipped rcsim entries, and every mistake named") {
  auto rcsim = card_profile("rcsim");
  REQUIRE(rcsim.generate_keys.size() == 3);
  CHECK(rcsim.generate_keys.at("ca_ec").ins == 0x46);
  CHECK(rcsim.generate_keys.at("ca_ec").p2 == 0x63);
  CHECK(rcsim.generate_keys.at("aa_ec").p2 == 0x66);
  CHECK(rcsim.generate_keys.at("aa_rsa").p2 == 0x60);
  CHECK(card_profile("jmrtd-applet").generate_keys.empty());

  test::TempDir dir;
  dir.write_text("bad.json", R"({
    "profile": "bad", "select_applet": "00A4040C07A0000002471001", "create_file": "fcp",
    "max_file_size": 4096, "chunk_plain": 255, "read_chunk": 255, "read_chunk_sm": 223,
    "generate_keys": {"ca_ec": "00DA0063", "aa_ec": "0046006601AA", "aa_dh": "00460067", "aa_rsa": 46}
  })");
  try {
    card::CardProfile::load(dir / "bad.json");
    FAIL("no error");
  } catch (const ValidationError& e) {
    std::string all;
    for (const auto& p : e.problems()) all += p.field + ": " + p.message + "\n";
    CAPTURE(all);
    CHECK(all.find("generate_keys.ca_ec: must be the 4-byte header") != std::string::npos);
    CHECK(all.find("generate_keys.aa_ec: must be the 4-byte header") != std::string::npos);
    CHECK(all.find("aa_dh") != std::string::npos);
    CHECK(all.find("generate_keys.aa_rsa: must be an APDU in hex") != std::string::npos);
  }
  dir.write_text("list.json", R"({
    "profile": "bad", "select_applet": "00A4040C07A0000002471001", "create_file": "fcp",
    "max_file_size": 4096, "chunk_plain": 255, "read_chunk": 255, "read_chunk_sm": 223,
    "generate_keys": ["00460063"]
  })");
  CHECK_THROWS_WITH_AS(card::CardProfile::load(dir / "list.json"), doctest::Contains("generate_keys"),
                       ValidationError);
}

TEST_CASE("rcsim generates key pairs before the lock and never changes a published one") {
  rcsim::Chip chip(rcsim::ChipOptions{});
  chip.power_on();
  REQUIRE(send(chip, Bytes{0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01}).ok());

  // Chip Authentication on the explicit curve: a valid point, a fresh one each time before DG14.
  Bytes ca_data = card::generate_ca_ec_data("brainpoolP256r1");
  auto first = send(chip, generate_command(0x63, ca_data));
  REQUIRE(first.ok());
  Bytes point = point_of(first);
  CHECK(point.size() == 65);
  CHECK_NOTHROW(secure::ec_public_key_info("brainpoolP256r1", point, true));
  auto second = send(chip, generate_command(0x63, ca_data));
  REQUIRE(second.ok());
  CHECK(point_of(second) != point);
  // A point that is not on the curve is refused by the host.
  Bytes off_curve = point;
  off_curve.back() ^= 0x01;
  CHECK_THROWS_WITH_AS(secure::ec_public_key_info("brainpoolP256r1", off_curve, true),
                       doctest::Contains("not a point of"), Error);

  // Active Authentication: ECDSA and RSA, checked against the spec they were asked for.
  auto aa_ec = send(chip, generate_command(0x66, card::generate_aa_data("ecdsa-secp256r1-sha256")));
  REQUIRE(aa_ec.ok());
  CHECK_NOTHROW(secure::aa_key_from_chip_ec("ecdsa-secp256r1-sha256", point_of(aa_ec)));
  CHECK_THROWS_AS(secure::aa_key_from_chip_ec("ecdsa-brainpoolP384r1-sha256", point_of(aa_ec)), Error);
  auto aa_rsa = send(chip, generate_command(0x60, card::generate_aa_data("rsa-1024")));
  REQUIRE(aa_rsa.ok());
  tlv::Element rsa = tlv::decode_single(aa_rsa.data, 0x7F49, "public key");
  tlv::Reader fields(rsa.value, "public key");
  tlv::Element modulus = fields.expect(0x81);
  tlv::Element exponent = fields.expect(0x82);
  fields.expect_end();
  CHECK(modulus.value.size() == 128);
  CHECK_NOTHROW(secure::aa_key_from_chip_rsa("rsa-1024", modulus.value, exponent.value));
  CHECK_THROWS_WITH_AS(secure::aa_key_from_chip_rsa("rsa-2048", modulus.value, exponent.value),
                       doctest::Contains("1024 bits"), Error);

  // Malformed requests.
  Bytes with_private = ca_data;
  with_private.insert(with_private.end(), {0x86, 0x01, 0x05});
  CHECK(send(chip, generate_command(0x63, with_private)).sw == 0x6A80);
  CHECK(send(chip, generate_command(0x63, {})).sw == 0x6A80);
  CHECK(send(chip, generate_command(0x61, ca_data)).sw == 0x6A86);
  CHECK(send(chip, generate_command(0x60, Bytes{0x80, 0x02, 0x03, 0xE8})).sw == 0x6A80);  // 1000 bits
  CHECK(send(chip, generate_command(0x66, Bytes{0x80, 0x03, 'x', 'y', 'z', 0x81, 0x01, 0x03})).sw == 0x6A80);

  // Once DG14 is on the chip, the published key stays: 6985.
  tlv::Writer fcp;
  fcp.add(0x80, Bytes{0x00, 0x10}).add(0x82, Bytes{0x01}).add(0x83, Bytes{0x01, 0x0E});
  REQUIRE(
      send(chip, iso7816::CommandApdu{0x00, 0xE0, 0x00, 0x00, fcp.wrap(0x62), std::nullopt}.encode()).ok());
  CHECK(send(chip, generate_command(0x63, ca_data)).sw == 0x6985);
  CHECK(send(chip, generate_command(0x66, card::generate_aa_data("ecdsa-secp256r1-sha256"))).sw == 0x6985);

  // The JMRTD applet has no such command.
  rcsim::ChipOptions jmrtd;
  jmrtd.jmrtd_applet = true;
  rcsim::Chip applet(jmrtd);
  applet.power_on();
  CHECK(send(applet, generate_command(0x63, ca_data)).sw == 0x6D00);
}

TEST_CASE(
    "an image prepared for keys on the chip leaves DG14/DG15 and EF.SOD pending and never looks complete") {
  auto profile = document_profile("ecdsa-brainpoolP256r1-sha256");
  auto image = prepare_keys_on_chip(profile);
  CHECK(image.awaits_chip_keys());
  for (const char* pending : {"EF.COM", "EF.DG14", "EF.DG15", "EF.SOD"})
    CHECK(image.file(pending) == nullptr);
  CHECK(image.file("EF.DG1") != nullptr);
  CHECK(image.file("EF.CardAccess") != nullptr);
  CHECK_FALSE(image.keys.chip_authentication);
  CHECK_FALSE(image.keys.active_authentication);
  CHECK(image.keys.card_access_number);  // the CAN still travels apart from the image
  CHECK(image.manifest.at("keys_on_chip").at("chip_authentication") == "brainpoolP256r1");
  CHECK(image.manifest.at("keys_on_chip").at("active_authentication") == "ecdsa-brainpoolP256r1-sha256");
  CHECK(image.manifest.at("pending_files") ==
        nlohmann::json::array({"EF.COM", "EF.DG14", "EF.DG15", "EF.SOD"}));
  CHECK_FALSE(image.manifest.contains("signer"));

  // On disk and back: still pending; inspection says so and fails.
  test::TempDir dir;
  issuance::write_chip_image(image, dir / "chip");
  auto back = issuance::read_chip_image(dir / "chip");
  CHECK(back.manifest_problems.empty());
  CHECK(back.awaits_chip_keys());
  CHECK(back.keys_on_chip == image.keys_on_chip);
  inspection::VerifyOptions verify;
  verify.csca_files = {(test::source_dir() / "keys-sample/csca-ec.pem").string()};
  auto report = inspection::verify_chip(back, verify);
  CHECK_FALSE(report.passed());
  CHECK(report.to_text().find("awaits the chip's own key pairs") != std::string::npos);

  // A manifest whose keys_on_chip is not what rcperso writes is refused.
  std::string manifest = image.manifest.dump();
  auto tampered = image.manifest;
  tampered["keys_on_chip"] = {{"chip_authentication", 7}};
  std::filesystem::remove(dir / "chip/manifest.json");
  dir.write_text("chip/manifest.json", tampered.dump());
  CHECK_THROWS_WITH_AS(issuance::read_chip_image(dir / "chip"), doctest::Contains("keys_on_chip"), Error);

  // Sealing wants the keys it awaits and the image's own profile.
  auto signer = sample_signer();
  issuance::ChipImage copy = image;
  CHECK_THROWS_WITH_AS(issuance::seal_chip_image(copy, profile, *signer, {}, std::time(nullptr)),
                       doctest::Contains("not the ones"), Error);
  CHECK_THROWS_WITH_AS(issuance::seal_chip_image(copy, document_profile(), *signer, {}, std::time(nullptr)),
                       doctest::Contains("do not match profile"), Error);
}

TEST_CASE("keys generated on the chip: sealed, written, proven by Chip and Active Authentication, locked") {
  for (std::string aa : {"", "ecdsa-brainpoolP256r1-sha256", "rsa-2048"}) {
    CAPTURE(aa);
    Sealing sealing{document_profile(aa)};
    auto image = prepare_keys_on_chip(sealing.profile);
    rcsim::Chip chip(rcsim::ChipOptions{});
    test::SimTransport t(chip);
    auto report = card::personalize(t, card_profile("rcsim"), image, perso_options(sealing));
    CHECK(report.locked);
    CHECK(report.verification.passed());
    CHECK(chip.lifecycle() == rcsim::Lifecycle::Locked);
    CHECK(t.ins_count[0x46] == (aa.empty() ? 1U : 2U));
    CHECK(status_of(report.mechanisms, "Chip Authentication") == Status::Pass);
    if (!aa.empty()) CHECK(status_of(report.mechanisms, "Active Authentication") == Status::Pass);
    // No private key went over the wire: no PUT DATA 63 or 66/60/61.
    CHECK(t.ins_count[0xDA] == 4U);  // the BAC seed, the CAN, the CVCA trust point and the lock

    // The sealed image publishes the chip's key and the SOD covers it.
    REQUIRE_FALSE(sealing.sealed.awaits_chip_keys());
    auto offers = lds::chip_authentication_offers(lds::Dg14::decode(*sealing.sealed.file("EF.DG14")));
    REQUIRE(offers.size() == 1);
    CHECK(secure::describe_ec_key(offers[0].key.subject_public_key_info).find("brainpoolP256r1") !=
          std::string::npos);
    CHECK_FALSE(sealing.sealed.manifest.contains("pending_files"));
    CHECK(sealing.sealed.manifest.at("signer") == sealing.signer->key_type());

    // An inspection system later: PACE, the same files, Chip (and Active) Authentication pass again.
    chip.power_on();
    auto mechanisms = mechanisms_of_pace_read(chip, sealing.sealed);
    CHECK(status_of(mechanisms, "Chip Authentication") == Status::Pass);
    if (!aa.empty()) CHECK(status_of(mechanisms, "Active Authentication") == Status::Pass);
    // Locked: no second generation.
    chip.power_on();
    CHECK(send(chip, generate_command(0x63, card::generate_ca_ec_data("brainpoolP256r1"))).sw == 0x6985);
  }
}

TEST_CASE("keys on the chip: refused before the card is touched without a signer or a capable card profile") {
  Sealing sealing{document_profile()};
  auto image = prepare_keys_on_chip(sealing.profile);
  rcsim::Chip chip(rcsim::ChipOptions{});
  test::SimTransport t(chip);
  auto options = perso_options(sealing);
  options.seal = nullptr;
  CHECK_THROWS_WITH_AS(card::personalize(t, card_profile("rcsim"), image, options),
                       doctest::Contains("--signer"), Error);
  auto without = card_profile("rcsim");
  without.generate_keys.erase("ca_ec");
  CHECK_THROWS_WITH_AS(card::personalize(t, without, image, perso_options(sealing)),
                       doctest::Contains("generate_keys.ca_ec"), Error);
  auto small = card_profile("rcsim");
  small.max_file_size = 4096;
  CHECK_THROWS_WITH_AS(card::personalize(t, small, image, perso_options(sealing)),
                       doctest::Contains("EF.DG2 has"), Error);
  CHECK(t.ins_count.empty());
  CHECK(chip.lifecycle() == rcsim::Lifecycle::Blank);
}

TEST_CASE("a chip answering a key that is not what was asked for is never issued") {
  Sealing sealing{document_profile()};
  auto image = prepare_keys_on_chip(sealing.profile);
  // A chip that refuses to generate.
  rcsim::ChipOptions refusing;
  refusing.fail_on = {{Bytes{0x00, 0x46, 0x00, 0x63}, 0x6A80}};
  rcsim::Chip chip(refusing);
  test::SimTransport t(chip);
  CHECK_THROWS_WITH_AS(card::personalize(t, card_profile("rcsim"), image, perso_options(sealing)),
                       doctest::Contains("GENERATE ASYMMETRIC KEY PAIR"), card::PersoError);
  CHECK(chip.lifecycle() != rcsim::Lifecycle::Locked);
  // A chip whose answer is off the curve, or of another curve, never reaches DG14.
  for (bool other_curve : {false, true}) {
    CAPTURE(other_curve);
    rcsim::Chip sim(rcsim::ChipOptions{});
    test::SimTransport inner(sim);
    TamperingTransport tampering(inner, other_curve);
    CHECK_THROWS_WITH_AS(card::personalize(tampering, card_profile("rcsim"), image, perso_options(sealing)),
                         doctest::Contains("the chip's Chip Authentication key is unusable"),
                         card::PersoError);
    CHECK(inner.ins_count[0xE0] == 0U);  // nothing was created
  }
  // The image and the profile that seals it must agree on what the chip made.
  auto other = image;
  other.keys_on_chip["chip_authentication"] = "prime256v1";
  rcsim::Chip chip2(rcsim::ChipOptions{});
  test::SimTransport t2(chip2);
  CHECK_THROWS_WITH_AS(card::personalize(t2, card_profile("rcsim"), other, perso_options(sealing)),
                       doctest::Contains("do not match profile"), card::PersoError);
  CHECK(chip2.lifecycle() != rcsim::Lifecycle::Locked);
}

TEST_CASE("keys on the chip: a card pulled out at any APDU is never reported issued, and is redone") {
  Sealing sealing{document_profile()};
  auto image = prepare_keys_on_chip(sealing.profile);
  std::size_t total = 0;
  {
    rcsim::Chip chip(rcsim::ChipOptions{});
    test::SimTransport t(chip);
    auto report = card::personalize(t, card_profile("rcsim"), image, perso_options(sealing));
    total = report.write_wire.apdus + report.verify_wire.apdus;
  }
  REQUIRE(total > 20);
  for (std::size_t k = 0; k < total; k += test::kSweepStride) {
    CAPTURE(k);
    rcsim::ChipOptions options;
    options.vanish_after = static_cast<long>(k);
    rcsim::Chip chip(options);
    test::SimTransport t(chip);
    CHECK_THROWS_AS(card::personalize(t, card_profile("rcsim"), image, perso_options(sealing)),
                    card::CardError);
    chip.reinsert();
    bool locked_before = chip.lifecycle() == rcsim::Lifecycle::Locked;
    try {
      auto report = card::personalize(t, card_profile("rcsim"), image, perso_options(sealing));
      CHECK(report.locked);
      CHECK(report.verification.passed());
      CHECK(status_of(report.mechanisms, "Chip Authentication") == Status::Pass);
    } catch (const card::PersoError& e) {
      // Only a card that was locked already is refused: rcsim can erase a torn one.
      CHECK(locked_before);
      CHECK(std::string(e.what()).find("locked") != std::string::npos);
    }
  }
}

}  // namespace test_keys_on_chip
