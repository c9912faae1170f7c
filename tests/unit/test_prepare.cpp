// Data preparation end to end in the library: application record -> chip
// image -> inspection, for adults, children, exempt holders; atomic output.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "inspection/dump.hpp"
#include "inspection/verify.hpp"
#include "issuance/prepare.hpp"
#include "lds/biometric_dg.hpp"
#include "lds/dg12.hpp"
#include "lds/sod.hpp"
#include "mrz/mrz.hpp"
#include "pki/signer.hpp"
#include "test_support.hpp"

using namespace rcperso;
using nlohmann::json;

namespace {

issuance::DocumentProfile dk() {
  return issuance::DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
}

struct Prepared {
  issuance::ChipImage chip;
  issuance::PrepareReport report;
};

Prepared prepare_record(const json& record, const test::TempDir& dir, const std::string& signer = "ds-ec") {
  auto profile = dk();
  issuance::LoadOptions load;
  load.today = Date{2026, 11, 25};
  auto app = issuance::parse_application(record.dump(), dir.path(), "app.json", profile, load);
  auto s = pki::open_signer((test::source_dir() / "keys-sample" / signer).string());
  Prepared p;
  p.chip = issuance::prepare(app, profile, *s, test::prepare_options(profile), &p.report);
  return p;
}

inspection::VerifyReport verify(const issuance::ChipImage& chip, const std::string& csca = "csca-ec.pem") {
  inspection::VerifyOptions o;
  o.csca_files = {(test::source_dir() / "keys-sample" / csca).string()};
  o.profile = dk();
  return inspection::verify_chip(chip, o);
}

std::string failures(const inspection::VerifyReport& r) {
  std::string s;
  for (const auto& c : r.checks) {
    if (c.status == Status::Fail) s += c.name + ": " + c.detail + "\n";
  }
  return s;
}

const Check& check(const inspection::VerifyReport& r, const std::string& name) {
  auto it = std::find_if(r.checks.begin(), r.checks.end(), [&](const Check& c) { return c.name == name; });
  REQUIRE_MESSAGE(it != r.checks.end(), "no check " << name);
  return *it;
}

}  // namespace

TEST_CASE("adult with fingerprints: every file, a valid MRZ, and a passing inspection") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto p = prepare_record(json::parse(test::example_application_json()), dir);
  for (const char* f : {"EF.COM", "EF.SOD", "EF.DG1", "EF.DG2", "EF.DG3", "EF.DG7", "EF.DG11", "EF.DG12"}) {
    CHECK_MESSAGE(p.chip.file(f) != nullptr, f);
  }
  auto mrz = mrz::parse(std::string(p.chip.file("EF.DG1")->begin() + 5, p.chip.file("EF.DG1")->end()));
  CHECK(mrz.all_checks_ok());
  CHECK(mrz.lines[0].substr(0, 5) == "IRDNK");
  CHECK(mrz.lines[2] == "AEROESKOEBING<AABERG<<SOEREN<P");
  auto dg2 = lds::Dg2::decode(*p.chip.file("EF.DG2"));
  CHECK(dg2.faces[0].images[0].width == 480);
  CHECK(dg2.faces[0].images[0].image.size() <= 20000);
  auto dg3 = lds::Dg3::decode(*p.chip.file("EF.DG3"));
  CHECK(dg3.fingers.size() == 2);
  CHECK(dg3.fingers[0].compression == 4);
  auto sod = lds::Sod::decode(*p.chip.file("EF.SOD"));
  CHECK(sod.lso.version == 1);  // LDS 1.8 profile
  CHECK(sod.lso.lds_version_info->first == "0108");
  auto report = verify(p.chip);
  INFO(failures(report));
  CHECK(report.passed());
  CHECK(check(report, "fingerprints by age").detail.find("2 stored") != std::string::npos);
  // The wrong CSCA fails the same chip.
  CHECK_FALSE(verify(p.chip, "csca-rsa.pem").passed());
}

TEST_CASE("RSA-PSS Document Signer") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto p = prepare_record(json::parse(test::example_application_json()), dir, "ds-rsa");
  auto sod = lds::Sod::decode(*p.chip.file("EF.SOD"));
  CHECK(sod.signer.signature_algorithm.oid == "1.2.840.113549.1.1.10");
  auto report = verify(p.chip, "csca-rsa.pem");
  INFO(failures(report));
  CHECK(report.passed());
}

TEST_CASE("exempt adult: empty DG3 with filler, exemption in DG12, shown by rcdump and rcverify") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto record = json::parse(test::example_application_json());
  record["holder"]["fingerprint_exemption"] = "physically_unable";
  record["biometrics"].erase("fingerprints");
  auto p = prepare_record(record, dir);
  auto dg3 = lds::Dg3::decode(*p.chip.file("EF.DG3"));
  CHECK_FALSE(dg3.has_fingerprints());
  CHECK(dg3.group.discretionary_random->size() == 16);
  auto dg12 = lds::Dg12::decode(*p.chip.file("EF.DG12"));
  CHECK(dg12.text(lds::Dg12::kEndorsements)->find(issuance::kFingerprintExemptionText) != std::string::npos);
  auto report = verify(p.chip);
  INFO(failures(report));
  CHECK(report.passed());
  CHECK(check(report, "fingerprints by age").detail.find("exempt") != std::string::npos);
  auto dump = inspection::describe_chip(p.chip);
  CHECK(dump["fingerprints"] == "none, holder exempt (physically unable)");
  CHECK(p.report.fingerprint_status.find("exempt") != std::string::npos);
}

TEST_CASE("child under 6: no fingerprints, no signature, at most 5 years") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto record = json::parse(test::example_application_json());
  record["holder"]["date_of_birth"] = "2022-05-01";
  record["document"]["date_of_expiry"] = "2031-11-01";
  record["biometrics"].erase("fingerprints");
  record["biometrics"].erase("signature");
  auto p = prepare_record(record, dir);
  CHECK(p.chip.file("EF.DG7") == nullptr);
  CHECK_FALSE(lds::Dg3::decode(*p.chip.file("EF.DG3")).has_fingerprints());
  auto report = verify(p.chip);
  INFO(failures(report));
  CHECK(report.passed());
  CHECK(inspection::describe_chip(p.chip)["fingerprints"] == "none, holder 4 on the date of issue");
}

TEST_CASE("rcverify's rules catch a chip that breaks the issuer's rules") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto record = json::parse(test::example_application_json());
  record["holder"]["fingerprint_exemption"] = "physically_unable";
  record["biometrics"].erase("fingerprints");
  auto p = prepare_record(record, dir);
  // The same chip under a profile allowing only 3 years for adults fails the validity rule.
  auto profile = dk();
  profile.validity.max_years_adult = 3;
  inspection::VerifyOptions o;
  o.csca_files = {(test::source_dir() / "keys-sample/csca-ec.pem").string()};
  o.profile = profile;
  auto report = inspection::verify_chip(p.chip, o);
  CHECK_FALSE(report.passed());
  CHECK(check(report, "validity period").status == Status::Fail);
}

TEST_CASE("production mode refuses the TEST ONLY signer") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto profile = dk();
  issuance::LoadOptions load;
  load.today = Date{2026, 11, 25};
  auto app =
      issuance::parse_application(test::example_application_json(), dir.path(), "app.json", profile, load);
  auto s = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
  issuance::PrepareOptions o = test::prepare_options(profile);
  o.production = true;
  CHECK_THROWS_WITH_AS(issuance::prepare(app, profile, *s, o), doctest::Contains("TEST ONLY"), Error);
}

TEST_CASE("chip images are written atomically and read back strictly") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto p = prepare_record(json::parse(test::example_application_json()), dir);
  auto out = dir / "chip";
  issuance::write_chip_image(p.chip, out);
  auto back = issuance::read_chip_image(out);
  CHECK(back.files == p.chip.files);
  CHECK(back.manifest_problems.empty());
  CHECK_THROWS_WITH_AS(issuance::write_chip_image(p.chip, out), doctest::Contains("already exists"), Error);

  // A failure while writing leaves neither the target nor a staging directory.
  auto broken = p.chip;
  broken.files["NOT-AN-EF"] = Bytes{1};
  CHECK_THROWS_AS(issuance::write_chip_image(broken, dir / "chip2"), Error);
  CHECK_FALSE(std::filesystem::exists(dir / "chip2"));
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    CHECK_MESSAGE(e.path().filename().string().find("partial") == std::string::npos, e.path());
  }

  // A changed file is reported against the manifest, not thrown.
  {
    auto dg11 = read_file((out / "EF.DG11").string());
    dg11[5] ^= 1;
    test::TempDir copy;
    for (const auto& e : std::filesystem::directory_iterator(out))
      std::filesystem::copy_file(e.path(), copy / e.path().filename().string());
    std::filesystem::remove(copy / "EF.DG11");
    copy.write("EF.DG11", dg11);
    auto tampered = issuance::read_chip_image(copy.path());
    REQUIRE(tampered.manifest_problems.size() == 1);
    auto report = verify(tampered);
    CHECK_FALSE(report.passed());
    CHECK(check(report, "chip image manifest").status == Status::Fail);
    CHECK(check(report, "DG11 hash").status == Status::Fail);
  }
  // Unknown files and missing directories are input errors.
  CHECK_THROWS_AS(issuance::read_chip_image(dir / "nothing"), Error);
  test::TempDir odd;
  odd.write("README", as_bytes("x"));
  CHECK_THROWS_WITH_AS(issuance::read_chip_image(odd.path()), doctest::Contains("unexpected file"), Error);
}
