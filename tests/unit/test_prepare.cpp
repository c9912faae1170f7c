// Data preparation end to end in the library: application record -> chip
// image -> inspection, for adults, children, exempt holders; atomic output.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "image/wsq.hpp"
#include "inspection/dump.hpp"
#include "inspection/verify.hpp"
#include "issuance/prepare.hpp"
#include "lds/biometric_dg.hpp"
#include "lds/dg12.hpp"
#include "lds/dg7.hpp"
#include "lds/sod.hpp"
#include "mrz/mrz.hpp"
#include "pki/signer.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_prepare {

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

Prepared prepare_record(const json& record, const test::TempDir& dir, const std::string& signer = "ds-ec",
                        const issuance::DocumentProfile& profile = dk()) {
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
  CHECK(dg3.fingers[0].compression == 2);  // WSQ
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

namespace {

// A fingerprint as a capture station delivers it: WSQ at 0.75 bpp within 18 000 bytes.
Bytes capture_station_wsq(const image::Raster& finger, int ppi = 500) {
  return image::wsq::encode_within(finger, 18000, 0.25, 0.75, "capture", ppi).data;
}

const biometric::FingerImage& dg3_finger(const issuance::ChipImage& chip, std::size_t index) {
  static lds::Dg3 dg3;
  dg3 = lds::Dg3::decode(*chip.file("EF.DG3"));
  REQUIRE(dg3.fingers.size() > index);
  return dg3.fingers[index].fingers.at(0);
}

}  // namespace

TEST_CASE("a WSQ fingerprint within budget is kept as given and verified as WSQ") {
  test::TempDir dir;
  test::write_example_images(dir);
  Bytes right = capture_station_wsq(test::synthetic_finger(400, 500, 9.0, 0.3));
  Bytes left = capture_station_wsq(test::synthetic_finger(380, 480, 10.0, 1.1));
  dir.write("ri.wsq", right);
  dir.write("li.wsq", left);
  auto record = json::parse(test::example_application_json());
  record["biometrics"]["fingerprints"][0]["image"] = "ri.wsq";
  record["biometrics"]["fingerprints"][1]["image"] = "li.wsq";
  auto p = prepare_record(record, dir);
  auto dg3 = lds::Dg3::decode(*p.chip.file("EF.DG3"));
  REQUIRE(dg3.fingers.size() == 2);
  CHECK(dg3.fingers[0].compression == 2);
  CHECK(dg3.fingers[0].fingers[0].image == right);
  CHECK(dg3.fingers[1].fingers[0].image == left);
  CHECK(dg3.fingers[1].fingers[0].width == 380);
  CHECK(dg3.fingers[1].fingers[0].height == 480);
  REQUIRE(p.report.fingers.size() == 2);
  CHECK(p.report.fingers[0] == "right_index: kept as given, WSQ " + std::to_string(right.size()) + " bytes");
  auto report = verify(p.chip);
  INFO(failures(report));
  CHECK(report.passed());
  const auto& image_check = check(report, "DG3 left_index image");
  CHECK(image_check.status == Status::Pass);
  CHECK(image_check.detail.find("ISO/IEC 19794-4 record, WSQ 380x480, " + std::to_string(left.size()) +
                                " bytes, 0.") == 0);
}

TEST_CASE("DG7: a grayscale JPEG signature within the profile's size and budget is kept as given") {
  test::TempDir dir;
  test::write_example_images(dir);
  const auto profile = dk();  // signatures up to 600x200, 10 000 bytes
  const Bytes signature = image::encode_jpeg(test::synthetic_signature(600, 200), 90);
  REQUIRE(signature.size() <= profile.signature.max_bytes);
  dir.write("signature.jpg", signature);
  auto record = json::parse(test::example_application_json());
  record["biometrics"]["signature"] = "signature.jpg";
  auto dg7_image = [](const Prepared& p) {
    auto dg7 = lds::Dg7::decode(*p.chip.file("EF.DG7"));
    REQUIRE(dg7.images.size() == 1);
    return dg7.images[0];
  };

  SUBCASE("within budget: exactly the input bytes, and the chip passes inspection") {
    auto p = prepare_record(record, dir);
    CHECK(dg7_image(p) == signature);
    CHECK(p.report.signature ==
          "kept as given: 600x200 JPEG, " + std::to_string(signature.size()) + " bytes");
    auto report = verify(p.chip);
    INFO(failures(report));
    CHECK(report.passed());
  }
  SUBCASE("over the byte budget: re-encoded within it") {
    auto tight = profile;
    tight.signature.max_bytes = signature.size() - 1;
    auto p = prepare_record(record, dir, "ds-ec", tight);
    const Bytes stored = dg7_image(p);
    CHECK(stored != signature);
    CHECK(stored.size() <= tight.signature.max_bytes);
    CHECK(p.report.signature.find("600x200 JPEG quality ") == 0);
  }
  SUBCASE("larger than the profile's size: scaled down and re-encoded") {
    dir.write("wide.jpg", image::encode_jpeg(test::synthetic_signature(900, 200), 90));
    record["biometrics"]["signature"] = "wide.jpg";
    auto p = prepare_record(record, dir);
    auto decoded = image::decode(dg7_image(p), "DG7");
    CHECK(decoded.width == 600);
    CHECK(decoded.height == 133);
    CHECK(p.report.signature.find("600x133 JPEG quality ") == 0);
  }
  SUBCASE("in colour: re-encoded as grayscale") {
    dir.write("colour.jpg", image::encode_jpeg(image::to_rgb(test::synthetic_signature(600, 200)), 90));
    record["biometrics"]["signature"] = "colour.jpg";
    auto p = prepare_record(record, dir);
    const Bytes stored = dg7_image(p);
    CHECK(image::probe(stored, "DG7").channels == 1);
    CHECK(p.report.signature.find("600x200 JPEG quality ") == 0);
  }
  SUBCASE("a broken JPEG whose header looks within budget is still refused, naming the field") {
    dir.write("broken.jpg", Bytes(signature.begin(), signature.begin() + signature.size() / 2));
    record["biometrics"]["signature"] = "broken.jpg";
    issuance::LoadOptions load;
    load.today = Date{2026, 11, 25};
    try {
      (void)issuance::parse_application(record.dump(), dir.path(), "app.json", profile, load);
      FAIL("the truncated signature was accepted");
    } catch (const ValidationError& e) {
      bool named = std::any_of(e.problems().begin(), e.problems().end(), [](const Problem& pr) {
        return pr.field == "app.json: biometrics.signature" &&
               pr.message.find("broken.jpg: not a valid JPEG") != std::string::npos;
      });
      CHECK(named);
    }
  }
}

TEST_CASE("a PNG fingerprint is encoded to WSQ at the profile's rate within its budget") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto p = prepare_record(json::parse(test::example_application_json()), dir);
  const auto& finger = dg3_finger(p.chip, 0);
  CHECK(image::sniff(finger.image) == image::Format::Wsq);
  CHECK(finger.image.size() <= 18000);
  double bpp = 8.0 * static_cast<double>(finger.image.size()) / (400.0 * 500.0);
  CHECK(bpp == doctest::Approx(0.75).epsilon(0.05));
  auto decoded = image::wsq::decode(finger.image, "DG3");
  CHECK(decoded.raster.width == 400);
  CHECK(decoded.raster.height == 500);
  CHECK(decoded.ppi == 500);
  REQUIRE_FALSE(p.report.fingers.empty());
  CHECK(p.report.fingers[0].find("right_index: WSQ 0.7") == 0);
  CHECK(p.report.fingers[0].find(std::to_string(finger.image.size()) + " bytes") != std::string::npos);

  SUBCASE("a smaller finger fits at exactly the profile's rate") {
    dir.write("small.png", image::encode_png(test::synthetic_finger(300, 400, 9.0, 0.5)));
    auto record = json::parse(test::example_application_json());
    record["biometrics"]["fingerprints"][0]["image"] = "small.png";
    auto q = prepare_record(record, dir);
    CHECK(q.report.fingers[0].find("right_index: WSQ 0.75 bpp, ") == 0);
    double rate = 8.0 * static_cast<double>(dg3_finger(q.chip, 0).image.size()) / (300.0 * 400.0);
    CHECK(rate == doctest::Approx(0.75).epsilon(0.05));
  }
  SUBCASE("a finger that does not fit even at the lowest rate is refused, naming the image") {
    auto profile = dk();
    profile.fingerprints.max_bytes = 2000;  // 400x500 at 0.25 bpp needs 6 250
    CHECK_THROWS_WITH_AS(prepare_record(json::parse(test::example_application_json()), dir, "ds-ec", profile),
                         doctest::Contains("right_index.png"), Error);
  }
}

TEST_CASE("a WSQ over budget is re-encoded; rcdump writes the WSQ and a PNG beside it") {
  test::TempDir dir;
  test::write_example_images(dir);
  image::wsq::EncodeOptions rich;
  rich.bitrate = 2.0;
  Bytes large = image::wsq::encode(test::synthetic_finger(400, 500, 9.0, 0.3), rich, "capture");
  REQUIRE(large.size() > 18000);
  dir.write("large.wsq", large);
  auto record = json::parse(test::example_application_json());
  record["biometrics"]["fingerprints"][0]["image"] = "large.wsq";
  auto p = prepare_record(record, dir);
  const auto& finger = dg3_finger(p.chip, 0);
  CHECK(finger.image.size() <= 18000);
  CHECK(finger.image != large);
  CHECK(p.report.fingers[0].find("right_index: WSQ 0.7") == 0);

  auto out = dir / "extracted";
  auto written = inspection::extract_chip(p.chip, out);
  for (const char* name : {"finger-right_index.wsq", "finger-right_index.png", "finger-left_index.png"}) {
    CHECK_MESSAGE(std::find(written.begin(), written.end(), name) != written.end(), name);
  }
  auto png = image::decode(read_file((out / "finger-right_index.png").string()), "png");
  CHECK(png.width == 400);
  CHECK(png.height == 500);
  CHECK(read_file((out / "finger-right_index.wsq").string()) == finger.image);
  CHECK(inspection::describe_chip(p.chip)["DG3"]["fingerprints"][0]["compression"] == "WSQ");
}

TEST_CASE("DG3 inspection fails a WSQ whose record header disagrees or that does not decode") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto p = prepare_record(json::parse(test::example_application_json()), dir);
  auto dg3 = lds::Dg3::decode(*p.chip.file("EF.DG3"));
  SUBCASE("dimension mismatch") {
    dg3.fingers[0].fingers[0].width = 401;
    p.chip.files["EF.DG3"] = lds::Dg3::from_fingers(dg3.fingers).encode();
    const auto report = verify(p.chip);
    const auto& c = check(report, "DG3 right_index image");
    CHECK(c.status == Status::Fail);
    CHECK(c.detail.find("401x500") != std::string::npos);
  }
  SUBCASE("truncated WSQ") {
    auto& image = dg3.fingers[1].fingers[0].image;
    image.resize(image.size() / 2);
    p.chip.files["EF.DG3"] = lds::Dg3::from_fingers(dg3.fingers).encode();
    CHECK(check(verify(p.chip), "DG3 left_index image").status == Status::Fail);
  }
  SUBCASE("the record says WSQ but holds JPEG 2000") {
    dg3.fingers[0].fingers[0].image = image::encode_jpeg2000(test::synthetic_finger(400, 500), 10.0);
    p.chip.files["EF.DG3"] = lds::Dg3::from_fingers(dg3.fingers).encode();
    const auto report = verify(p.chip);
    const auto& c = check(report, "DG3 right_index image");
    CHECK(c.status == Status::Fail);
    CHECK(c.detail.find("JPEG 2000") != std::string::npos);
  }
}

TEST_CASE("a JPEG 2000 profile still stores JPEG 2000 fingers (compression 4)") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto profile = dk();
  profile.fingerprints.format = "jpeg2000";
  Bytes jp2 = image::encode_jpeg2000(test::synthetic_finger(400, 500, 9.0, 0.3), 12.0);
  REQUIRE(jp2.size() <= 18000);
  dir.write("ri.jp2", jp2);
  auto record = json::parse(test::example_application_json());
  record["biometrics"]["fingerprints"][0]["image"] = "ri.jp2";
  auto p = prepare_record(record, dir, "ds-ec", profile);
  auto dg3 = lds::Dg3::decode(*p.chip.file("EF.DG3"));
  CHECK(dg3.fingers[0].compression == 4);
  CHECK(dg3.fingers[0].fingers[0].image == jp2);
  CHECK(p.report.fingers[0].find("kept as given, JPEG 2000") != std::string::npos);
  CHECK(image::sniff(dg3.fingers[1].fingers[0].image) == image::Format::Jpeg2000);
  CHECK(p.report.fingers[1].find("left_index: JPEG 2000 ratio") == 0);
  auto report = verify(p.chip);
  INFO(failures(report));
  CHECK(report.passed());
  CHECK(check(report, "DG3 right_index image").detail.find("ISO/IEC 19794-4 record, JPEG 2000 400x500") == 0);
}

TEST_CASE(
    "a profile with face.record_format iso39794: DG2 under 7F2E, verified and dumped as ISO/IEC 39794-5") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto profile =
      issuance::DocumentProfile::load(test::source_dir() / "tests/data/dk-residence-card-iso39794.json");
  CHECK(profile.face.iso39794);
  CHECK_FALSE(dk().face.iso39794);  // the Danish profile stays on 19794-5
  auto p = prepare_record(json::parse(test::example_application_json()), dir, "ds-ec", profile);
  const Bytes& dg2_bytes = *p.chip.file("EF.DG2");
  auto dg2 = lds::Dg2::decode(dg2_bytes);
  REQUIRE(dg2.faces_39794.size() == 1);
  CHECK(dg2.group.templates[0].constructed_data);
  CHECK(dg2.group.templates[0].header.format_type == 0x002A);
  CHECK(dg2.faces_39794[0].width == 480);
  CHECK(dg2.faces_39794[0].image_format == biometric::Face39794ImageFormat::Jpeg);
  CHECK(dg2.faces_39794[0].image.size() <= 20000);

  inspection::VerifyOptions o;
  o.csca_files = {(test::source_dir() / "keys-sample" / "csca-ec.pem").string()};
  o.profile = profile;
  auto report = inspection::verify_chip(p.chip, o);
  INFO(failures(report));
  CHECK(report.passed());
  CHECK(check(report, "DG2 face image").detail.find("ISO/IEC 39794-5 record, JPEG 480x640") == 0);
  CHECK(check(report, "facial image present").detail.find("ISO/IEC 39794-5") != std::string::npos);
  CHECK(check(report, "face record format").status == Status::Pass);
  // Under the Danish profile (19794-5) the same chip breaks the issuer's rule.
  auto under_dk = verify(p.chip);
  CHECK(check(under_dk, "face record format").status == Status::Fail);
  CHECK(check(under_dk, "face record format").detail.find("ISO/IEC 19794-5") != std::string::npos);

  auto described = inspection::describe_chip(p.chip);
  CHECK(described["DG2"]["faces"][0]["record_format"] == "ISO/IEC 39794-5");
  CHECK(described["DG2"]["faces"][0]["width"] == 480);
  CHECK(inspection::render_text(described).find("record_format: ISO/IEC 39794-5") != std::string::npos);
  // The Danish profile's chip says 19794-5.
  auto classic = prepare_record(json::parse(test::example_application_json()), dir);
  CHECK(inspection::render_text(inspection::describe_chip(classic.chip))
            .find("record_format: ISO/IEC 19794-5") != std::string::npos);
  auto written = inspection::extract_chip(p.chip, dir / "extracted");
  CHECK(std::find(written.begin(), written.end(), "face.jpg") != written.end());
  CHECK(read_file((dir / "extracted" / "face.jpg").string()) == dg2.faces_39794[0].image);
}

TEST_CASE("face.record_format accepts only iso19794 or iso39794") {
  test::TempDir dir;
  auto text = read_file((test::source_dir() / "tests/data/dk-residence-card-iso39794.json").string());
  std::string s(text.begin(), text.end());
  auto at = s.find("\"iso39794\"");
  REQUIRE(at != std::string::npos);
  s.replace(at, 10, "\"iso39795\"");
  dir.write_text("bad.json", s);
  CHECK_THROWS_WITH_AS(issuance::DocumentProfile::load(dir / "bad.json"),
                       doctest::Contains("face.record_format"), Error);
}

TEST_CASE(
    "a profile with fingerprints.record_format iso39794: DG3 under 7F2E, verified and dumped as ISO/IEC "
    "39794-4") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto profile =
      issuance::DocumentProfile::load(test::source_dir() / "tests/data/dk-residence-card-iso39794-4.json");
  CHECK(profile.fingerprints.iso39794);
  CHECK_FALSE(dk().fingerprints.iso39794);  // the Danish profile stays on 19794-4
  auto p = prepare_record(json::parse(test::example_application_json()), dir, "ds-ec", profile);
  const Bytes& dg3_bytes = *p.chip.file("EF.DG3");
  auto dg3 = lds::Dg3::decode(dg3_bytes);
  REQUIRE(dg3.fingers_39794.size() == 2);
  CHECK(dg3.group.templates[0].constructed_data);
  CHECK(dg3.group.templates[0].header.format_type == 0x0028);
  const auto& right = dg3.fingers_39794[0].representations.at(0);
  CHECK(right.position == 2);
  CHECK(right.image_format == biometric::Finger39794ImageFormat::Wsq);
  CHECK(right.sampling_rate->ppi() == 500);
  CHECK(image::sniff(right.image) == image::Format::Wsq);
  CHECK(right.image.size() <= 18000);

  inspection::VerifyOptions o;
  o.csca_files = {(test::source_dir() / "keys-sample" / "csca-ec.pem").string()};
  o.profile = profile;
  auto report = inspection::verify_chip(p.chip, o);
  INFO(failures(report));
  CHECK(report.passed());
  CHECK(check(report, "DG3 right_index image").detail.find("ISO/IEC 39794-4 record, WSQ 400x500") == 0);
  CHECK(check(report, "finger record format").status == Status::Pass);
  CHECK(check(report, "finger record format").detail == "ISO/IEC 39794-4");
  // Under the Danish profile (19794-4) the same chip breaks the issuer's rule.
  auto under_dk = verify(p.chip);
  CHECK(check(under_dk, "finger record format").status == Status::Fail);
  CHECK(check(under_dk, "finger record format").detail ==
        "ISO/IEC 39794-4 but profile dk-residence-card: ISO/IEC 19794-4");

  auto described = inspection::describe_chip(p.chip);
  const auto& first = described["DG3"]["fingerprints"][0];
  CHECK(first["record_format"] == "ISO/IEC 39794-4");
  CHECK(first["compression"] == "WSQ");
  CHECK(first["width"] == 400);  // from the image: 39794-4 states no size
  CHECK(first["height"] == 500);
  CHECK(first["resolution_ppi"] == 500);
  CHECK(first["version"] == "3/2019");
  CHECK(inspection::render_text(described).find("record_format: ISO/IEC 39794-4") != std::string::npos);
  // The Danish profile's chip says 19794-4, and passes its rule.
  auto classic = prepare_record(json::parse(test::example_application_json()), dir);
  CHECK(inspection::render_text(inspection::describe_chip(classic.chip))
            .find("record_format: ISO/IEC 19794-4") != std::string::npos);
  CHECK(check(verify(classic.chip), "finger record format").status == Status::Pass);
  auto written = inspection::extract_chip(p.chip, dir / "extracted");
  CHECK(std::find(written.begin(), written.end(), "finger-right_index.wsq") != written.end());
  CHECK(std::find(written.begin(), written.end(), "finger-left_index.png") != written.end());
  CHECK(read_file((dir / "extracted" / "finger-right_index.wsq").string()) == right.image);
  auto png = image::decode(read_file((dir / "extracted" / "finger-left_index.png").string()), "png");
  CHECK(png.width == 400);  // the example's left finger, decoded from its WSQ
}

TEST_CASE("fingerprints.record_format accepts only iso19794 or iso39794") {
  test::TempDir dir;
  auto text = read_file((test::source_dir() / "tests/data/dk-residence-card-iso39794-4.json").string());
  std::string s(text.begin(), text.end());
  auto at = s.rfind("\"iso39794\"");  // the fingerprints' one comes after the face's
  REQUIRE(at != std::string::npos);
  s.replace(at, 10, "\"iso39794-4\"");
  dir.write_text("bad.json", s);
  CHECK_THROWS_WITH_AS(issuance::DocumentProfile::load(dir / "bad.json"),
                       doctest::Contains("fingerprints.record_format"), Error);
}

}  // namespace test_prepare
