// The personalization engine against rcsim's chip in-process: whole runs for
// each card profile, refusal of locked and foreign cards, BAC read-back with
// the right and a wrong MRZ, and the card pulled out at every APDU.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "card/chip_session.hpp"
#include "card/personalize.hpp"
#include "inspection/verify.hpp"
#include "issuance/application.hpp"
#include "issuance/prepare.hpp"
#include "lds/biometric_dg.hpp"
#include "lds/card_access.hpp"
#include "lds/dg1.hpp"
#include "lds/sod.hpp"
#include "mrz/mrz.hpp"
#include "pki/hash.hpp"
#include "pki/signer.hpp"
#include "pki/sod_builder.hpp"
#include "secure/pace.hpp"
#include "sim_transport.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_personalize {

using namespace rcperso;

namespace {

issuance::ChipImage prepare_example(bool pace) {
  // dk-residence-card-bac is for applets without PACE and Chip Authentication (the JMRTD applet).
  auto profile = issuance::DocumentProfile::load(
      test::source_dir() /
      (pace ? "profiles/documents/dk-residence-card.json" : "profiles/documents/dk-residence-card-bac.json"));
  auto app = issuance::load_application(test::source_dir() / "examples/application.json", profile);
  auto signer = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
  return issuance::prepare(app, profile, *signer, test::prepare_options(profile));
}

/// The example with PACE (EF.CardAccess), BAC and Chip Authentication, as the Danish profile prepares it.
const issuance::ChipImage& example_chip() {
  static const issuance::ChipImage chip = prepare_example(true);
  return chip;
}

/// The same without PACE and Chip Authentication.
const issuance::ChipImage& example_chip_bac() {
  static const issuance::ChipImage chip = prepare_example(false);
  return chip;
}

const issuance::ChipImage& example_for(const std::string& card_profile) {
  return card_profile == "jmrtd-applet" ? example_chip_bac() : example_chip();
}

/// What an inspection system without terminal credentials reads: no EF.CardAccess (in the MF, not
/// read through BAC) unless asked, and where Terminal Authentication protects them, neither EF.DG3
/// nor EF.CVCA (which only TA reads).
std::map<std::string, Bytes> lds_files(const issuance::ChipImage& chip, bool card_access = false) {
  auto files = chip.files;
  if (!card_access) files.erase("EF.CardAccess");
  if (files.erase("EF.CVCA") != 0) files.erase("EF.DG3");
  return files;
}

card::CardProfile card_profile(const std::string& name) {
  return card::CardProfile::load(test::source_dir() / "profiles/cards" / (name + ".json"));
}

card::PersoOptions perso_options() {
  card::PersoOptions o;
  o.verify.csca_files = {(test::source_dir() / "keys-sample/csca-ec.pem").string()};
  o.verify.profile =
      issuance::DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
  return o;
}

rcsim::ChipOptions chip_for(const std::string& profile) {
  rcsim::ChipOptions o;
  if (profile == "jmrtd-applet") {
    o.jmrtd_applet = true;
    o.extended_length = false;
    o.max_file_size = 32767;
    o.max_chunk = 255;
  }
  return o;
}

std::string key_seed_of(const issuance::ChipImage& chip) {
  return mrz::parse(lds::Dg1::decode(*chip.file("EF.DG1")).mrz).key_seed();
}

issuance::ChipImage read_with_bac(rcsim::Chip& chip, const std::string& seed) {
  test::SimTransport t(chip);
  card::ChipSession session(t, card::ReadLimits{});
  session.select_application(card_profile("rcsim").select_applet);
  session.open_bac(secure::bac_keys(seed));
  return card::read_chip(session);
}

issuance::ChipImage read_with_pace(rcsim::Chip& chip, const std::string& password, secure::PacePassword type,
                                   const card::TerminalCredentials* terminal = nullptr) {
  test::SimTransport t(chip);
  card::ChipSession session(t, card::ReadLimits{});
  auto card_access = session.read_card_access();
  REQUIRE(card_access);
  session.open_pace(*card_access, password, type);
  session.select_application(card_profile("rcsim").select_applet);
  std::vector<Check> mechanisms;
  auto read = card::read_chip(session, &mechanisms, terminal);
  for (const auto& m : mechanisms)
    CHECK_MESSAGE(m.status != Status::Fail, (m.name + ": " + m.detail).c_str());
  read.files["EF.CardAccess"] = *card_access;
  return read;
}

}  // namespace

TEST_CASE("personalization writes, reads back through BAC, verifies and locks, for each BAC profile") {
  for (std::string name : {"rcsim", "jmrtd-applet"}) {
    CAPTURE(name);
    rcsim::Chip chip(chip_for(name));
    test::SimTransport t(chip);
    const auto& image = example_for(name);
    auto report = card::personalize(t, card_profile(name), image, perso_options());
    CHECK(report.found == card::CardState::Blank);
    CHECK(report.locked);
    CHECK(chip.lifecycle() == rcsim::Lifecycle::Locked);
    CHECK(report.files == image.files.size());
    CHECK(report.verification.passed());
    std::size_t payload = 0;
    for (const auto& [n, b] : image.files) payload += b.size();
    CHECK(report.payload_bytes == payload);
    CHECK(report.write_wire.apdus > 0);
    CHECK(report.write_wire.bytes_sent >= payload);  // every byte went over the wire

    // An inspection system reads the same bytes back with the MRZ.
    chip.power_on();
    auto back = read_with_bac(chip, key_seed_of(image));
    CHECK(back.manifest_problems.empty());
    CHECK(back.files == lds_files(image));
    CHECK(back.withheld.count("EF.DG3") == (image.file("EF.CVCA") != nullptr ? 1U : 0U));
    if (image.file("EF.CardAccess") != nullptr) {
      chip.power_on();
      CHECK(read_with_pace(chip, key_seed_of(image), secure::PacePassword::Mrz).files ==
            lds_files(image, true));
      // With the sample inspection system's certificates, Terminal Authentication releases EF.DG3.
      card::TerminalCredentials terminal;
      terminal.chain = {
          pki::CvCertificate::load((test::source_dir() / "keys-sample/eac/dv/cert.cvcert").string()),
          pki::CvCertificate::load((test::source_dir() / "keys-sample/eac/is/cert.cvcert").string())};
      terminal.key = std::make_shared<pki::CvPrivateKey>(
          pki::CvPrivateKey::load_pem((test::source_dir() / "keys-sample/eac/is/key.pem").string()));
      chip.power_on();
      auto full = read_with_pace(chip, key_seed_of(image), secure::PacePassword::Mrz, &terminal);
      CHECK(full.files == image.files);
      CHECK(full.withheld.empty());
    }
  }
}

TEST_CASE("a locked card is refused and a wrong MRZ fails BAC") {
  rcsim::Chip chip(chip_for("rcsim"));
  test::SimTransport t(chip);
  card::personalize(t, card_profile("rcsim"), example_chip(), perso_options());
  chip.power_on();
  CHECK_THROWS_WITH_AS(card::personalize(t, card_profile("rcsim"), example_chip(), perso_options()),
                       doctest::Contains("locked"), card::PersoError);
  CHECK(chip.lifecycle() == rcsim::Lifecycle::Locked);

  chip.power_on();
  std::string wrong = key_seed_of(example_chip());
  wrong[10] = wrong[10] == '1' ? '2' : '1';  // another date of birth
  CHECK_THROWS_WITH_AS(read_with_bac(chip, wrong), doctest::Contains("BAC failed"), card::AccessDenied);

  // Without BAC a locked chip serves nothing.
  chip.power_on();
  card::ChipSession plain(t, card::ReadLimits{});
  plain.select_application(card_profile("rcsim").select_applet);
  CHECK_THROWS_AS(card::read_chip(plain), card::AccessDenied);
}

TEST_CASE("a card profile that does not match the applet stops at the first refused command") {
  rcsim::Chip chip(chip_for("jmrtd-applet"));
  test::SimTransport t(chip);
  CHECK_THROWS_WITH_AS(card::personalize(t, card_profile("rcsim"), example_chip_bac(), perso_options()),
                       doctest::Contains("CREATE FILE EF.COM"), card::PersoError);
  // A PACE chip image needs a card with a master file. (Its DG3, two 18 000-byte WSQ
  // fingers, is also too large for the applet; the BAC image's smaller DG3 isolates the MF check.)
  auto pace = example_chip();
  CHECK_THROWS_WITH_AS(card::personalize(t, card_profile("jmrtd-applet"), pace, perso_options()),
                       doctest::Contains("allows files of at most 32767"), Error);
  pace.files["EF.DG3"] = example_chip_bac().files.at("EF.DG3");
  CHECK_THROWS_WITH_AS(card::personalize(t, card_profile("jmrtd-applet"), pace, perso_options()),
                       doctest::Contains("no master file"), Error);
  CHECK(chip.lifecycle() != rcsim::Lifecycle::Locked);
}

TEST_CASE("chunks step down when the card takes less than its profile promised") {
  auto options = chip_for("rcsim");
  options.max_chunk = 200;
  options.extended_length = false;
  rcsim::Chip chip(options);
  test::SimTransport t(chip);
  auto report = card::personalize(t, card_profile("rcsim"), example_chip(), perso_options());
  CHECK(report.locked);
  CHECK(report.write_chunk <= 200);
}

TEST_CASE("a card that names the exact length (6Cxx) under secure messaging is read to the end") {
  auto options = chip_for("rcsim");
  options.exact_le = true;
  rcsim::Chip chip(options);
  test::SimTransport t(chip);
  auto report = card::personalize(t, card_profile("rcsim"), example_chip(), perso_options());
  CHECK(report.locked);
  chip.power_on();
  CHECK(read_with_bac(chip, key_seed_of(example_chip())).files == lds_files(example_chip()));
}

TEST_CASE("files beyond offset 32767 are written with D7 and read with B1") {
  // A valid chip whose face JPEG carries 40 KB of comment segments (FFFE), re-signed.
  auto image = example_chip();
  auto dg2 = lds::Dg2::decode(*image.file("EF.DG2"));
  biometric::FaceImage face = dg2.faces.at(0).images.at(0);
  Bytes jpeg(face.image.begin(), face.image.begin() + 2);  // SOI
  for (int i = 0; i < 4; ++i) {
    Bytes comment = {0xFF, 0xFE, 0x27, 0x12};  // 10002 bytes including the length field
    comment.resize(4 + 10000, static_cast<std::uint8_t>('a' + i));
    append(jpeg, comment);
  }
  jpeg.insert(jpeg.end(), face.image.begin() + 2, face.image.end());
  face.image = jpeg;
  image.files["EF.DG2"] = lds::Dg2::from_face(face).encode();
  REQUIRE(image.files["EF.DG2"].size() > 50000);
  lds::LdsSecurityObject lso = lds::Sod::decode(*image.file("EF.SOD")).lso;
  auto groups = image.data_groups();
  for (auto& h : lso.hashes) h.hash = pki::digest(pki::HashAlgorithm::Sha256, groups.at(h.number));
  auto signer = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
  image.files["EF.SOD"] =
      pki::build_sod(lso, *signer, pki::HashAlgorithm::Sha256, pki::SignatureScheme::Ecdsa, 1795000000);

  rcsim::Chip chip(chip_for("rcsim"));
  test::SimTransport t(chip);
  card::PersoOptions options = perso_options();
  options.verify.profile.reset();  // the padded face is over the profile's byte budget on purpose
  auto report = card::personalize(t, card_profile("rcsim"), image, options);
  CHECK(report.locked);
  CHECK(t.ins_count[0xD7] > 0);  // odd-INS UPDATE BINARY beyond 32767
  CHECK(t.ins_count[0xB1] > 0);  // odd-INS READ BINARY in the read-back (wrapped, same INS)
  chip.power_on();
  CHECK(read_with_bac(chip, key_seed_of(image)).files.at("EF.DG2") == image.files.at("EF.DG2"));
}

TEST_CASE("a card that answers 6B00 when Le runs past the end of a file: header first, full chunks after") {
  auto options = chip_for("rcsim");
  options.past_end_6b00 = true;
  rcsim::Chip chip(options);
  test::SimTransport t(chip);
  auto report = card::personalize(t, card_profile("rcsim"), example_chip(), perso_options());
  CHECK(report.locked);
  // Per file at most one refused read and one header read more than usual; chunks stay large.
  rcsim::Chip plain_chip(chip_for("rcsim"));
  test::SimTransport plain(plain_chip);
  auto usual = card::personalize(plain, card_profile("rcsim"), example_chip(), perso_options());
  CHECK(report.verify_wire.apdus <= usual.verify_wire.apdus + 2 * (example_chip().files.size() + 1));
}

TEST_CASE("a file too large for the card profile is refused before the card is touched") {
  auto image = example_chip();
  image.files["EF.DG2"].resize(40000);
  rcsim::Chip chip(chip_for("jmrtd-applet"));
  test::SimTransport t(chip);
  CHECK_THROWS_WITH_AS(card::personalize(t, card_profile("jmrtd-applet"), image, perso_options()),
                       doctest::Contains("EF.DG2 has 40000 bytes"), Error);
  CHECK(t.stats().apdus == 0);
}

TEST_CASE("verification failure after read-back leaves the card unlocked and unissued") {
  auto image = example_chip();
  image.files["EF.DG7"].back() ^= 1;  // hash no longer matches EF.SOD
  rcsim::Chip chip(chip_for("rcsim"));
  test::SimTransport t(chip);
  CHECK_THROWS_WITH_AS(card::personalize(t, card_profile("rcsim"), image, perso_options()),
                       doctest::Contains("verification"), card::PersoError);
  CHECK(chip.lifecycle() == rcsim::Lifecycle::Personalized);
}

TEST_CASE(
    "a card pulled out at any APDU is never reported issued; when it comes back it is redone or spoiled") {
  for (std::string name : {"rcsim", "jmrtd-applet"}) {
    CAPTURE(name);
    std::size_t total = 0;
    {
      rcsim::Chip chip(chip_for(name));
      test::SimTransport t(chip);
      auto report = card::personalize(t, card_profile(name), example_for(name), perso_options());
      total = report.write_wire.apdus + report.verify_wire.apdus;
    }
    REQUIRE(total > 20);
    bool erasable = card_profile(name).erase.has_value();
    for (std::size_t k = 0; k < total; k += test::kSweepStride) {
      CAPTURE(k);
      auto options = chip_for(name);
      options.vanish_after = static_cast<long>(k);
      rcsim::Chip chip(options);
      test::SimTransport t(chip);
      CHECK_THROWS_AS(card::personalize(t, card_profile(name), example_for(name), perso_options()),
                      card::CardError);

      chip.reinsert();
      bool locked_before = chip.lifecycle() == rcsim::Lifecycle::Locked;
      try {
        auto report = card::personalize(t, card_profile(name), example_for(name), perso_options());
        // Issued on the second attempt: the card is complete, verified and locked.
        CHECK(report.locked);
        CHECK(report.verification.passed());
        CHECK((report.found == card::CardState::Blank || erasable));
        chip.power_on();
        CHECK(read_with_bac(chip, key_seed_of(example_for(name))).files == lds_files(example_for(name)));
      } catch (const card::PersoError& e) {
        // Refused: the card held files it could not erase, or was locked already.
        std::string why = e.what();
        CHECK((locked_before || !erasable));
        CHECK((why.find("spoiled") != std::string::npos || why.find("locked") != std::string::npos));
      }
    }
  }
}

TEST_CASE(
    "Active Authentication: keys made in preparation are loaded and proven at read-back and inspection") {
  struct Case {
    const char* spec;
    const char* card;
  };
  for (Case c : {Case{"rsa-2048", "rcsim"}, Case{"ecdsa-brainpoolP256r1-sha256", "rcsim"},
                 Case{"rsa-1024", "jmrtd-applet"}}) {
    CAPTURE(c.spec);
    bool jmrtd = std::string(c.card) == "jmrtd-applet";
    auto profile = issuance::DocumentProfile::load(test::source_dir() /
                                                   (jmrtd ? "profiles/documents/dk-residence-card-bac.json"
                                                          : "profiles/documents/dk-residence-card.json"));
    profile.active_authentication = c.spec;
    profile.data_groups.push_back(15);
    auto app = issuance::load_application(test::source_dir() / "examples/application.json", profile);
    auto signer = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
    auto image = issuance::prepare(app, profile, *signer, test::prepare_options(profile));
    REQUIRE(image.file("EF.DG15") != nullptr);
    REQUIRE(image.keys.active_authentication);

    rcsim::Chip chip(chip_for(c.card));
    test::SimTransport t(chip);
    auto report = card::personalize(t, card_profile(c.card), image, perso_options());
    CHECK(report.locked);
    bool proven = false;
    for (const auto& m : report.mechanisms) {
      if (m.name == "Active Authentication") proven = m.status == Status::Pass;
    }
    CHECK(proven);

    // An inspection system later: a fresh challenge, the same proof.
    chip.power_on();
    card::ChipSession session(t, card::ReadLimits{});
    if (jmrtd) {
      session.select_application(card_profile(c.card).select_applet);
      session.open_bac(secure::bac_keys(key_seed_of(image)));
    } else {
      auto card_access = session.read_card_access();
      REQUIRE(card_access);
      session.open_pace(*card_access, key_seed_of(image), secure::PacePassword::Mrz);
      session.select_application(card_profile(c.card).select_applet);
    }
    std::vector<Check> mechanisms;
    card::read_chip(session, &mechanisms);
    REQUIRE(!mechanisms.empty());
    CHECK(mechanisms.back().name == "Active Authentication");
    CHECK(mechanisms.back().status == Status::Pass);
    CHECK(mechanisms.back().detail.find(std::string(c.spec).rfind("rsa", 0) == 0 ? "RSA" : "ECDSA") !=
          std::string::npos);
  }
}

TEST_CASE("a chip whose Active Authentication key does not match DG15 is never issued") {
  auto profile =
      issuance::DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
  profile.active_authentication = "ecdsa-brainpoolP256r1-sha256";
  profile.data_groups.push_back(15);
  auto app = issuance::load_application(test::source_dir() / "examples/application.json", profile);
  auto signer = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
  auto image = issuance::prepare(app, profile, *signer, test::prepare_options(profile));
  image.keys.active_authentication =
      issuance::prepare(app, profile, *signer, test::prepare_options(profile)).keys.active_authentication;
  rcsim::Chip chip(chip_for("rcsim"));
  test::SimTransport t(chip);
  CHECK_THROWS_WITH_AS(card::personalize(t, card_profile("rcsim"), image, perso_options()),
                       doctest::Contains("Active Authentication"), card::PersoError);
  CHECK(chip.lifecycle() != rcsim::Lifecycle::Locked);
}

TEST_CASE("PACE with Integrated Mapping: issued, read back and inspected when the profile offers it") {
  auto profile =
      issuance::DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
  profile.pace = {lds::PaceInfo{"0.4.0.127.0.7.2.2.4.4.2", 2, 13}};  // id-PACE-ECDH-IM-AES-CBC-CMAC-128
  auto app = issuance::load_application(test::source_dir() / "examples/application.json", profile);
  auto signer = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
  auto image = issuance::prepare(app, profile, *signer, test::prepare_options(profile));
  rcsim::Chip chip(chip_for("rcsim"));
  test::SimTransport t(chip);
  auto report = card::personalize(t, card_profile("rcsim"), image, perso_options());
  CHECK(report.locked);
  chip.power_on();
  card::ChipSession session(t, card::ReadLimits{});
  auto card_access = session.read_card_access();
  REQUIRE(card_access);
  auto how = session.open_pace(*card_access, key_seed_of(image), secure::PacePassword::Mrz);
  CHECK(how.find("id-PACE-ECDH-IM-AES-CBC-CMAC-128") != std::string::npos);
  session.select_application(card_profile("rcsim").select_applet);
  std::vector<Check> mechanisms;
  auto read = card::read_chip(session, &mechanisms);
  CHECK(read.manifest_problems.empty());
  CHECK(mechanisms.front().status == Status::Pass);  // Chip Authentication after PACE-IM
  // A wrong MRZ fails PACE-IM too.
  chip.power_on();
  card::ChipSession wrong(t, card::ReadLimits{});
  std::string seed = key_seed_of(image);
  seed[10] = seed[10] == '1' ? '2' : '1';
  CHECK_THROWS_WITH_AS(wrong.open_pace(*wrong.read_card_access(), seed, secure::PacePassword::Mrz),
                       doctest::Contains("PACE failed"), card::AccessDenied);
}

namespace {

/// The Danish profile with PACE-CAM as its PACE protocol (the CA key on brainpoolP256r1, as PACE).
issuance::ChipImage prepare_cam(std::vector<lds::PaceInfo> pace) {
  auto profile =
      issuance::DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
  profile.pace = std::move(pace);
  auto app = issuance::load_application(test::source_dir() / "examples/application.json", profile);
  auto signer = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
  return issuance::prepare(app, profile, *signer, test::prepare_options(profile));
}

const lds::PaceInfo kCam128{"0.4.0.127.0.7.2.2.4.6.2", 2, 13};  // id-PACE-ECDH-CAM-AES-CBC-CMAC-128
const lds::PaceInfo kGm128{"0.4.0.127.0.7.2.2.4.2.2", 2, 13};   // id-PACE-ECDH-GM-AES-CBC-CMAC-128

const Check* mechanism(const std::vector<Check>& mechanisms, const std::string& name) {
  for (const auto& m : mechanisms)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("PACE-CAM: issued with DG14's Chip Authentication key, read back and inspected without CA v1") {
  // The chip lists GM first and CAM second: the inspection system still prefers CAM.
  auto image = prepare_cam({kGm128, kCam128});
  auto card_access = lds::CardAccess::decode(*image.file("EF.CardAccess"));
  CHECK(card_access.pace == std::vector<lds::PaceInfo>{kGm128, kCam128});
  rcsim::Chip chip(chip_for("rcsim"));
  test::SimTransport t(chip);
  auto report = card::personalize(t, card_profile("rcsim"), image, perso_options());
  CHECK(report.locked);
  const Check* cam_at_read_back = mechanism(report.mechanisms, "Chip Authentication (PACE-CAM)");
  REQUIRE(cam_at_read_back != nullptr);
  CHECK(cam_at_read_back->status == Status::Pass);

  chip.power_on();
  card::ChipSession session(t, card::ReadLimits{});
  auto how = session.open_pace(*session.read_card_access(), key_seed_of(image), secure::PacePassword::Mrz);
  CHECK(how.find("id-PACE-ECDH-CAM-AES-CBC-CMAC-128") != std::string::npos);
  CHECK(session.pace_cam_pending());
  session.select_application(card_profile("rcsim").select_applet);
  std::vector<Check> mechanisms;
  auto read = card::read_chip(session, &mechanisms);
  CHECK(read.manifest_problems.empty());
  CHECK(session.pace_cam_verified());
  const Check* cam = mechanism(mechanisms, "Chip Authentication (PACE-CAM)");
  REQUIRE(cam != nullptr);
  CHECK(cam->status == Status::Pass);
  CHECK(cam->detail.find("brainpoolP256r1") != std::string::npos);
  const Check* ca = mechanism(mechanisms, "Chip Authentication");
  REQUIRE(ca != nullptr);
  CHECK(ca->status == Status::Skip);  // no CA v1 after PACE-CAM
  read.files["EF.CardAccess"] = *image.file("EF.CardAccess");
  CHECK(read.files == lds_files(image, true));
  // DG14, whose key the check used, goes through Passive Authentication like every data group.
  auto verified = inspection::verify_chip(read, perso_options().verify);
  bool dg14_hash = false;
  for (const auto& c : verified.checks)
    if (c.name == "DG14 hash") dg14_hash = c.status == Status::Pass;
  CHECK(dg14_hash);
}

TEST_CASE("PACE-CAM: a cloned chip (DG14 copied, not its key) fails the inspection and is never issued") {
  auto image = prepare_cam({kCam128});
  rcsim::ChipOptions cloned = chip_for("rcsim");
  cloned.cloned = true;
  cloned.state_file = "";
  {
    rcsim::Chip clone(cloned);
    test::SimTransport ct(clone);
    CHECK_THROWS_WITH_AS(card::personalize(ct, card_profile("rcsim"), image, perso_options()),
                         doctest::Contains("does not hold the private key of DG14"), card::PersoError);
    CHECK(clone.lifecycle() != rcsim::Lifecycle::Locked);
    clone.power_on();
    card::ChipSession session(ct, card::ReadLimits{});
    session.open_pace(*session.read_card_access(), key_seed_of(image), secure::PacePassword::Mrz);
    session.select_application(card_profile("rcsim").select_applet);
    std::vector<Check> mechanisms;
    auto read = card::read_chip(session, &mechanisms);
    const Check* cam = mechanism(mechanisms, "Chip Authentication (PACE-CAM)");
    REQUIRE(cam != nullptr);
    CHECK(cam->status == Status::Fail);
    CHECK(cam->detail.find("cloned") != std::string::npos);
    CHECK(!read.manifest_problems.empty());  // the reading stops: nothing else is trusted
  }
}

TEST_CASE("PACE-CAM needs chip_authentication on the PACE curve: preparation says so") {
  CHECK_THROWS_WITH_AS(prepare_cam({lds::PaceInfo{"0.4.0.127.0.7.2.2.4.6.2", 2, 12}}),
                       doctest::Contains("PACE-CAM runs on NIST P-256"), Error);
}

namespace {

card::TerminalCredentials sample_terminal(const std::string& is = "is") {
  auto eac = test::source_dir() / "keys-sample/eac";
  card::TerminalCredentials terminal;
  terminal.chain = {pki::CvCertificate::load((eac / "dv/cert.cvcert").string()),
                    pki::CvCertificate::load((eac / is / "cert.cvcert").string())};
  terminal.key =
      std::make_shared<pki::CvPrivateKey>(pki::CvPrivateKey::load_pem((eac / is / "key.pem").string()));
  return terminal;
}

}  // namespace

TEST_CASE("Terminal Authentication after BAC and CA v1: ID_PICC is the document number; DG3 only after it") {
  // The BAC-only profile with EAC v1 added: BAC, Chip Authentication, Terminal Authentication.
  auto profile =
      issuance::DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card-bac.json");
  profile.data_groups.push_back(14);
  profile.chip_authentication =
      issuance::ChipAuthenticationSettings{"0.4.0.127.0.7.2.2.3.2.2", "brainpoolP256r1", std::nullopt};
  profile.terminal_authentication = true;
  auto app = issuance::load_application(test::source_dir() / "examples/application.json", profile);
  auto signer = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
  auto image = issuance::prepare(app, profile, *signer, test::prepare_options(profile));
  REQUIRE(image.file("EF.CardAccess") == nullptr);
  REQUIRE(image.file("EF.CVCA") != nullptr);
  rcsim::Chip chip(chip_for("rcsim"));
  test::SimTransport t(chip);
  REQUIRE(card::personalize(t, card_profile("rcsim"), image, perso_options()).locked);

  auto read = [&](const card::TerminalCredentials* terminal, std::vector<Check>& mechanisms) {
    chip.power_on();
    card::ChipSession session(t, card::ReadLimits{});
    session.select_application(card_profile("rcsim").select_applet);
    session.open_bac(secure::bac_keys(key_seed_of(image)));
    return card::read_chip(session, &mechanisms, terminal);
  };
  std::vector<Check> without;
  auto plain = read(nullptr, without);
  CHECK(plain.withheld.count("EF.DG3") == 1);
  CHECK(mechanism(without, "Terminal Authentication")->status == Status::Skip);

  auto terminal = sample_terminal();
  std::vector<Check> with;
  auto full = read(&terminal, with);
  REQUIRE(mechanism(with, "Chip Authentication") != nullptr);
  CHECK(mechanism(with, "Chip Authentication")->status == Status::Pass);
  const Check* ta = mechanism(with, "Terminal Authentication");
  REQUIRE(ta != nullptr);
  CHECK_MESSAGE(ta->status == Status::Pass, ta->detail);
  CHECK(full.withheld.empty());
  CHECK(full.files == image.files);

  // A BAC key without the document number cannot bind TA: the host says so.
  chip.power_on();
  card::ChipSession session(t, card::ReadLimits{});
  session.select_application(card_profile("rcsim").select_applet);
  secure::BacKeys keys = secure::bac_keys(key_seed_of(image));
  keys.document_number.clear();
  session.open_bac(keys);
  std::vector<Check> unbound;
  card::read_chip(session, &unbound, &terminal);
  CHECK(mechanism(unbound, "Terminal Authentication")->status == Status::Fail);
  CHECK(mechanism(unbound, "Terminal Authentication")->detail.find("no ID_PICC") != std::string::npos);
}

TEST_CASE("Terminal Authentication after PACE-CAM through read_chip releases DG3") {
  auto image = prepare_cam({kCam128});
  rcsim::Chip chip(chip_for("rcsim"));
  test::SimTransport t(chip);
  REQUIRE(card::personalize(t, card_profile("rcsim"), image, perso_options()).locked);
  chip.power_on();
  auto terminal = sample_terminal();
  auto full = read_with_pace(chip, key_seed_of(image), secure::PacePassword::Mrz, &terminal);
  CHECK(full.withheld.empty());
  CHECK(full.files == image.files);
}

TEST_CASE("PACE-CAM: a channel the chip dropped over a READ BINARY is reopened and CAM proven again") {
  auto image = prepare_cam({kCam128});
  rcsim::Chip chip(chip_for("rcsim"));
  /// Counts PACE runs (MSE:Set AT for PACE, 00 22 C1 A4); answers one protected READ BINARY with a
  /// plain 6700, as a card does that ends secure messaging over an Le it cannot take.
  struct Dropping : test::SimTransport {
    using SimTransport::SimTransport;
    iso7816::ResponseApdu transmit(const iso7816::CommandApdu& c) override {
      if (c.ins == 0x22 && c.p1 == 0xC1 && c.p2 == 0xA4) ++pace_runs;
      if (c.ins == 0xB0 && (c.cla & 0x0C) != 0 && ++protected_reads == drop_at)
        return iso7816::ResponseApdu{{}, 0x6700};
      return SimTransport::transmit(c);
    }
    int pace_runs = 0, protected_reads = 0, drop_at = -1;
  } t(chip);
  REQUIRE(card::personalize(t, card_profile("rcsim"), image, perso_options()).locked);
  chip.power_on();
  t.pace_runs = 0;
  t.protected_reads = 0;
  t.drop_at = 8;  // after DG14 and the CAM check, inside the data groups
  card::ChipSession session(t, card::ReadLimits{});
  session.open_pace(*session.read_card_access(), key_seed_of(image), secure::PacePassword::Mrz);
  session.select_application(card_profile("rcsim").select_applet);
  std::vector<Check> mechanisms;
  auto read = card::read_chip(session, &mechanisms);
  CHECK(read.manifest_problems.empty());
  CHECK(t.pace_runs == 2);  // the channel was reopened once
  CHECK(session.pace_cam_verified());
  CHECK(mechanism(mechanisms, "Chip Authentication (PACE-CAM)")->status == Status::Pass);
  read.files["EF.CardAccess"] = *image.file("EF.CardAccess");
  CHECK(read.files == lds_files(image, true));
}

}  // namespace test_personalize
