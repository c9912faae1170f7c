// The QA report page: escaping, embedded pictures, verdict, and what it shows
// for a chip whose images do not decode or whose fingerprints are withheld.
// (Rendering in a browser: tests/integration/html_report.sh.)
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "inspection/html_report.hpp"
#include "issuance/application.hpp"
#include "lds/biometric_dg.hpp"
#include "pki/signer.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_html_report {

using namespace rcperso;
using namespace rcperso::issuance;

namespace {

struct Prepared {
  test::TempDir dir;
  DocumentProfile profile =
      DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
  ChipImage chip;
  inspection::VerifyReport report;
  Prepared() {
    test::write_example_images(dir);
    LoadOptions o;
    o.today = Date{2026, 11, 25};
    auto app = parse_application(test::example_application_json(), dir.path(), "app.json", profile, o);
    auto signer = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
    chip = prepare(app, profile, *signer, test::prepare_options(profile), nullptr);
    report = verify();
  }
  inspection::VerifyReport verify() const {
    inspection::VerifyOptions v;
    v.csca_files = {(test::source_dir() / "keys-sample/csca-ec.pem").string()};
    v.profile = profile;
    return inspection::verify_chip(chip, v);
  }
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("html_escape replaces the five markup characters and keeps UTF-8") {
  CHECK(inspection::html_escape("<a href=\"x\">Ø & 'å'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;Ø &amp; &#39;å&#39;&lt;/a&gt;");
  CHECK(inspection::html_escape("") == "");
}

TEST_CASE("the report page of a good chip: PASS, every check, the pictures embedded, nothing external") {
  Prepared p;
  REQUIRE(p.report.passed());
  inspection::HtmlReportContext context{"chip image /x", "2026-12-01T10:00:00Z"};
  std::string page = inspection::render_html_report(p.chip, p.report, context);
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("<div class=\"verdict pass\">PASS &mdash; document RC0012345") != std::string::npos);
  CHECK(count(page, "<tr class=\"PASS\">") + count(page, "<tr class=\"SKIP\">") == p.report.checks.size());
  CHECK(count(page, "<tr class=\"FAIL\">") == 0);
  CHECK(count(page, "src=\"data:image/jpeg;base64,") == 2);  // face and signature
  CHECK(count(page, "src=\"data:image/png;base64,") == 2);   // two WSQ fingers as PNG
  CHECK(page.find("src=\"http") == std::string::npos);
  CHECK(page.find("2026-12-01T10:00:00Z, chip image /x") != std::string::npos);
  // The '<' fillers of the MRZ are text, not markup.
  CHECK(page.find("IRDNKRC00123458&lt;") != std::string::npos);
}

TEST_CASE("the report page names a failed check and an image it cannot show") {
  Prepared p;
  // A face that is no longer an image: DG2 re-encoded with garbage in place of the JPEG.
  auto dg2 = lds::Dg2::decode(*p.chip.file("EF.DG2"));
  auto face = dg2.faces.at(0).images.at(0);
  face.image = Bytes{0xFF, 0xD8, 0xFF, 0x00, 0x01, 0x02};
  p.chip.files["EF.DG2"] = lds::Dg2::from_face(face).encode();
  auto report = p.verify();
  REQUIRE_FALSE(report.passed());
  std::string page = inspection::render_html_report(p.chip, report, {});
  CHECK(page.find("<div class=\"verdict fail\">FAIL") != std::string::npos);
  CHECK(page.find("<tr class=\"FAIL\"><td class=\"status\">FAIL</td><td>DG2 hash") != std::string::npos);
  CHECK(page.find("EF.DG2 face cannot be shown: ") != std::string::npos);
  CHECK(count(page, "alt=\"face\"") == 0);
}

TEST_CASE("the report page says why fingerprints are not shown") {
  Prepared p;
  p.chip.files.erase("EF.DG3");
  p.chip.withheld["EF.DG3"] = "needs Terminal Authentication";
  std::string page = inspection::render_html_report(p.chip, p.verify(), {});
  CHECK(page.find("Not read: needs Terminal Authentication") != std::string::npos);
  CHECK(count(page, "alt=\"right_index\"") == 0);
}

TEST_CASE("the batch summary page: one row per order, failed orders marked, reports linked") {
  std::vector<inspection::HtmlSummaryRow> rows = {
      {"0001", "RC0000001", "Virtual PCD 00 00", "issued", "", "0001.html"},
      {"0002", "RC0000002", "Virtual PCD 00 01", "failed", "card removed <during> write", ""}};
  std::string page = inspection::render_html_summary("Batch 7", rows, {});
  CHECK(page.find("<div class=\"verdict fail\">Batch 7<small>2 orders: 1 issued, 1 not issued") !=
        std::string::npos);
  CHECK(page.find("<a href=\"0001.html\">") != std::string::npos);
  CHECK(page.find("card removed &lt;during&gt; write") != std::string::npos);
  rows.pop_back();
  CHECK(inspection::render_html_summary("Batch 7", rows, {}).find("verdict pass") != std::string::npos);
}

}  // namespace test_html_report
