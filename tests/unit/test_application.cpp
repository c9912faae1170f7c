#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "image/wsq.hpp"
#include "issuance/application.hpp"
#include "issuance/countries.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_application {

using namespace rcperso;
using namespace rcperso::issuance;
using nlohmann::json;

namespace {

DocumentProfile dk_profile() {
  return DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
}

LoadOptions fixed_today() {
  LoadOptions o;
  o.today = Date{2026, 11, 25};
  return o;
}

// Parses `record` (with the example images in `dir`) and returns the problems found.
std::vector<Problem> problems_of(const json& record, const test::TempDir& dir) {
  try {
    (void)parse_application(record.dump(), dir.path(), "app.json", dk_profile(), fixed_today());
  } catch (const ValidationError& e) {
    return e.problems();
  }
  return {};
}

bool has_problem(const std::vector<Problem>& problems, const std::string& field,
                 const std::string& text = "") {
  return std::any_of(problems.begin(), problems.end(), [&](const Problem& p) {
    return p.field == "app.json: " + field && p.message.find(text) != std::string::npos;
  });
}

std::string dump(const std::vector<Problem>& problems) {
  std::string s;
  for (const auto& p : problems) s += p.field + ": " + p.message + "\n";
  return s;
}

struct Fixture {
  test::TempDir dir;
  json record = json::parse(test::example_application_json());
  Fixture() { test::write_example_images(dir); }
};

}  // namespace

TEST_CASE("the example application record is valid") {
  Fixture f;
  auto problems = problems_of(f.record, f.dir);
  INFO(dump(problems));
  CHECK(problems.empty());
  auto app = parse_application(f.record.dump(), f.dir.path(), "app.json", dk_profile(), fixed_today());
  CHECK(app.holder.surname == "Ærøskøbing-Åberg");
  CHECK(app.fingerprints.size() == 2);
  CHECK(app.fingerprints[0].position_code == 2);
  CHECK(app.fingerprints[1].position_code == 7);
  CHECK(app.age_at_issue() == 38);
  CHECK(app.face.raster.width >= 480);
}

TEST_CASE("every problem is reported in one run, each naming its field") {
  Fixture f;
  f.record["document"]["date_of_issue"] = "2026-02-30";
  f.record["holder"]["nationalty"] = f.record["holder"]["nationality"];
  f.record["holder"].erase("nationality");
  f.record["holder"]["sex"] = "Q";
  f.record["document"]["number"] = "rc-123";
  f.record["biometrics"]["fingerprints"][1]["position"] = "right_index";
  f.record["biometrics"]["face"] = "missing.jpg";
  auto problems = problems_of(f.record, f.dir);
  INFO(dump(problems));
  CHECK(has_problem(problems, "document.date_of_issue", "not a real date"));
  CHECK(has_problem(problems, "holder.nationalty", "did you mean \"nationality\""));
  CHECK(has_problem(problems, "holder.nationality", "missing"));
  CHECK(has_problem(problems, "holder.sex", "F, M or X"));
  CHECK(has_problem(problems, "document.number", "A-Z and 0-9"));
  CHECK(has_problem(problems, "biometrics.fingerprints[1].position", "duplicate"));
  CHECK(has_problem(problems, "biometrics.face", "does not exist"));
}

TEST_CASE("dates: expiry before issue, birth in the future, validity limits") {
  SUBCASE("expiry before issue") {
    Fixture f;
    f.record["document"]["date_of_expiry"] = "2026-01-01";
    CHECK(
        has_problem(problems_of(f.record, f.dir), "document.date_of_expiry", "not after the date of issue"));
  }
  SUBCASE("birth in the future") {
    Fixture f;
    f.record["holder"]["date_of_birth"] = "2027-01-01";
    auto p = problems_of(f.record, f.dir);
    CHECK(has_problem(p, "holder.date_of_birth", "in the future"));
  }
  SUBCASE("adult: 10 years allowed, 10 years and a day not") {
    Fixture f;
    f.record["document"]["date_of_expiry"] = "2036-11-02";
    CHECK(problems_of(f.record, f.dir).empty());
    f.record["document"]["date_of_expiry"] = "2036-11-03";
    CHECK(has_problem(problems_of(f.record, f.dir), "document.date_of_expiry", "more than 10 years"));
  }
  SUBCASE("minor: at most 5 years") {
    Fixture f;
    f.record["holder"]["date_of_birth"] = "2010-05-05";  // 16 at issue
    f.record["document"]["date_of_expiry"] = "2031-11-02";
    CHECK(problems_of(f.record, f.dir).empty());
    f.record["document"]["date_of_expiry"] = "2032-11-01";
    CHECK(has_problem(problems_of(f.record, f.dir), "document.date_of_expiry", "a minor"));
  }
  SUBCASE("18th birthday on the date of issue counts as adult") {
    Fixture f;
    f.record["holder"]["date_of_birth"] = "2008-11-02";
    f.record["document"]["date_of_expiry"] = "2036-11-01";
    CHECK(problems_of(f.record, f.dir).empty());
  }
}

TEST_CASE("fingerprint rules by age") {
  SUBCASE("under 6: fingerprints and signature are refused") {
    Fixture f;
    f.record["holder"]["date_of_birth"] = "2021-01-01";  // 5 at issue
    auto p = problems_of(f.record, f.dir);
    CHECK(has_problem(p, "biometrics.fingerprints", "only from age 6"));
    CHECK(has_problem(p, "biometrics.signature", "only from age 6"));
  }
  SUBCASE("under 6 without fingerprints or signature is valid") {
    Fixture f;
    f.record["holder"]["date_of_birth"] = "2021-01-01";
    f.record["biometrics"].erase("fingerprints");
    f.record["biometrics"]["signature"] = nullptr;
    auto p = problems_of(f.record, f.dir);
    INFO(dump(p));
    CHECK(p.empty());
  }
  SUBCASE("exactly 6 on the date of issue needs fingerprints") {
    Fixture f;
    f.record["holder"]["date_of_birth"] = "2020-11-02";
    f.record["biometrics"]["fingerprints"] = json::array();
    CHECK(has_problem(problems_of(f.record, f.dir), "biometrics.fingerprints", "needs 2 fingerprints"));
  }
  SUBCASE("adult without fingerprints only with the exemption") {
    Fixture f;
    f.record["biometrics"]["fingerprints"] = json::array();
    CHECK(has_problem(problems_of(f.record, f.dir), "biometrics.fingerprints", "physically_unable"));
    f.record["holder"]["fingerprint_exemption"] = "physically_unable";
    CHECK(problems_of(f.record, f.dir).empty());
  }
  SUBCASE("exemption with fingerprints is contradictory") {
    Fixture f;
    f.record["holder"]["fingerprint_exemption"] = "physically_unable";
    CHECK(has_problem(problems_of(f.record, f.dir), "biometrics.fingerprints", "must be empty"));
  }
  SUBCASE("unknown exemption value") {
    Fixture f;
    f.record["holder"]["fingerprint_exemption"] = "refused";
    CHECK(has_problem(problems_of(f.record, f.dir), "holder.fingerprint_exemption"));
  }
}

TEST_CASE("broken and wrong-format images are named") {
  Fixture f;
  f.dir.write_text("broken.jpg", "\xFF\xD8\xFF\xE0 this is not a JPEG");
  f.dir.write("colour_finger.png", image::encode_png(test::synthetic_face(400, 500)));
  f.dir.write("blank_finger.png", image::encode_png(test::uniform_gray(400, 500, 240)));
  f.dir.write("small_face.jpg", image::encode_jpeg(test::synthetic_face(240, 320), 90));
  f.record["biometrics"]["face"] = "broken.jpg";
  f.record["biometrics"]["fingerprints"][0]["image"] = "colour_finger.png";
  f.record["biometrics"]["fingerprints"][1]["image"] = "blank_finger.png";
  auto p = problems_of(f.record, f.dir);
  INFO(dump(p));
  CHECK(has_problem(p, "biometrics.face", "broken.jpg"));
  CHECK(has_problem(p, "biometrics.fingerprints[0].image", "8-bit grayscale"));
  CHECK(has_problem(p, "biometrics.fingerprints[1].image", "blank"));
  f.record["biometrics"]["face"] = "small_face.jpg";
  CHECK(has_problem(problems_of(f.record, f.dir), "biometrics.face", "at least 480x640"));
}

TEST_CASE("names must be transliterable and countries real") {
  Fixture f;
  f.record["holder"]["surname"] = "Smith 3rd";
  f.record["holder"]["nationality"] = "ABC";
  f.record["document"]["issuing_state"] = "SWE";
  auto p = problems_of(f.record, f.dir);
  INFO(dump(p));
  CHECK(has_problem(p, "holder.surname", "MRZ"));
  CHECK(has_problem(p, "holder.nationality", "not an ISO 3166-1"));
  CHECK(has_problem(p, "document.issuing_state", "issues for DNK"));
  CHECK(is_valid_nationality("DNK"));
  CHECK(is_valid_nationality("XXA"));
  CHECK(is_valid_nationality("D"));
  CHECK_FALSE(is_valid_nationality("DK"));
}

TEST_CASE("bad JSON names the line") {
  test::TempDir dir;
  try {
    (void)parse_application("{\n \"document\": {,\n}", dir.path(), "app.json", dk_profile(), fixed_today());
    FAIL("expected a ValidationError");
  } catch (const ValidationError& e) {
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].field == "app.json: line 2");
  }
}

TEST_CASE("the document profile is strict") {
  auto j = json::parse(R"({"profile":"x"})");
  CHECK_THROWS_AS(DocumentProfile::from_json(j, "p.json"), ValidationError);
  auto good = dk_profile();
  CHECK(good.document_code == "IR");
  CHECK(good.lds_security_object_version() == 1);
  CHECK(good.validity.max_years_minor == 5);
}

TEST_CASE("WSQ fingerprints: blank refused naming the field, wrong resolution refused, JPEG refused") {
  Fixture f;
  image::wsq::EncodeOptions at500;
  f.dir.write("good.wsq", image::wsq::encode(test::synthetic_finger(300, 400), at500, "good"));
  f.dir.write("blank.wsq", image::wsq::encode(test::uniform_gray(300, 400, 235), at500, "blank"));
  image::wsq::EncodeOptions at1000;
  at1000.ppi = 1000;
  f.dir.write("fine.wsq", image::wsq::encode(test::synthetic_finger(300, 400, 18.0), at1000, "fine"));
  f.dir.write("finger.jpg", image::encode_jpeg(test::synthetic_finger(300, 400), 95));

  f.record["biometrics"]["fingerprints"][0]["image"] = "good.wsq";
  f.record["biometrics"]["fingerprints"][1]["image"] = "blank.wsq";
  auto p = problems_of(f.record, f.dir);
  INFO(dump(p));
  CHECK_FALSE(has_problem(p, "biometrics.fingerprints[0].image"));
  CHECK(has_problem(p, "biometrics.fingerprints[1].image", "blank.wsq is blank or has no ridge contrast"));

  // Noise and a smooth smudge have a wide gray-level spread but no ridge band.
  auto noise = test::uniform_gray(300, 400, 128);
  std::uint32_t state = 1;
  for (auto& px : noise.pixels) {
    state = state * 1664525U + 1013904223U;
    px = static_cast<std::uint8_t>(state >> 24);
  }
  f.dir.write("noise.png", image::encode_png(noise));
  auto smudge = test::uniform_gray(300, 400, 0);
  for (std::size_t i = 0; i < smudge.pixels.size(); ++i)
    smudge.pixels[i] = static_cast<std::uint8_t>(40 + i % 300 / 2);
  f.dir.write("smudge.png", image::encode_png(smudge));
  REQUIRE_FALSE(image::is_blank(noise));
  REQUIRE_FALSE(image::is_blank(smudge));
  f.record["biometrics"]["fingerprints"][0]["image"] = "noise.png";
  f.record["biometrics"]["fingerprints"][1]["image"] = "smudge.png";
  p = problems_of(f.record, f.dir);
  CHECK(has_problem(p, "biometrics.fingerprints[0].image", "noise.png is blank or has no ridge contrast"));
  CHECK(has_problem(p, "biometrics.fingerprints[1].image", "smudge.png is blank or has no ridge contrast"));
  f.record["biometrics"]["fingerprints"][0]["image"] = "good.wsq";

  f.record["biometrics"]["fingerprints"][1]["image"] = "fine.wsq";
  p = problems_of(f.record, f.dir);
  CHECK(has_problem(p, "biometrics.fingerprints[1].image", "WSQ at 1000 ppi; the profile needs 500 ppi"));

  f.record["biometrics"]["fingerprints"][1]["image"] = "finger.jpg";
  p = problems_of(f.record, f.dir);
  CHECK(has_problem(p, "biometrics.fingerprints[1].image", "must be a PNG, JPEG 2000 or WSQ image"));

  // Kept as given: the raster is not decoded, the header says 8-bit gray.
  f.record["biometrics"]["fingerprints"][1]["image"] = "good.wsq";
  f.record["biometrics"]["fingerprints"][1]["position"] = "left_index";
  auto app = parse_application(f.record.dump(), f.dir.path(), "app.json", dk_profile(), fixed_today());
  const auto& in = app.fingerprints[0].image;
  CHECK(in.info.format == image::Format::Wsq);
  CHECK(in.info.width == 300);
  CHECK(in.ppi == 500);
  CHECK(in.raster.pixels.empty());
  CHECK(finger_kept_as_is(in, dk_profile()));
}

TEST_CASE("fingerprints.format and its settings are validated") {
  Bytes text = read_file((test::source_dir() / "profiles/documents/dk-residence-card.json").string());
  auto base = json::parse(text.begin(), text.end());
  auto problems = [&](const json& j) {
    try {
      (void)DocumentProfile::from_json(j, "p.json");
    } catch (const ValidationError& e) {
      return e.problems();
    }
    return std::vector<Problem>{};
  };
  auto mentions = [](const std::vector<Problem>& ps, const std::string& wanted) {
    return std::any_of(ps.begin(), ps.end(), [&](const Problem& p) {
      return (p.field + ": " + p.message).find(wanted) != std::string::npos;
    });
  };
  CHECK(problems(base).empty());
  CHECK(dk_profile().fingerprints.format == "wsq");
  CHECK(dk_profile().fingerprints.bitrate == doctest::Approx(0.75));
  CHECK(dk_profile().fingerprints.max_bytes == 18000);
  auto j = base;
  j["fingerprints"]["format"] = "png";
  CHECK(mentions(problems(j), "must be \"wsq\" or \"jpeg2000\""));
  j = base;
  j["fingerprints"]["bitrate"] = 9;
  CHECK(mentions(problems(j), "fingerprints.bitrate"));
  j = base;
  j["fingerprints"]["bitrate"] = "0.75";
  CHECK(mentions(problems(j), "fingerprints.bitrate"));
  j = base;
  j["fingerprints"]["compression_ratio"] = 10;
  CHECK(mentions(problems(j), "applies to format \"jpeg2000\" only"));
  j = base;
  j["fingerprints"]["format"] = "jpeg2000";
  j["fingerprints"].erase("bitrate");
  j["fingerprints"]["compression_ratio"] = 10;
  CHECK(problems(j).empty());
  j["fingerprints"]["bitrate"] = 0.75;
  CHECK(mentions(problems(j), "applies to format \"wsq\" only"));
}

}  // namespace test_application
