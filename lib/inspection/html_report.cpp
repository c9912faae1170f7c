#include "inspection/html_report.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <sstream>

#include "core/error.hpp"
#include "image/image.hpp"
#include "inspection/chip_view.hpp"
#include "inspection/dump.hpp"
#include "lds/biometric_dg.hpp"

namespace rcperso::inspection {

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// Colours the screenshot test looks for: keep them in step with tests/integration/html_report.sh.
constexpr const char* kStyle = R"(
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0; color: #1d1d1d; background: #f4f4f4; }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
.verdict { padding: 18px 24px; color: #fff; font-size: 28px; font-weight: bold; }
.verdict.pass { background: #1b7f3b; }
.verdict.fail { background: #b3261e; }
.verdict small { display: block; font-size: 15px; font-weight: normal; margin-top: 4px; }
section { background: #fff; margin: 16px 0; padding: 12px 18px; border: 1px solid #d0d0d0; }
h2 { font-size: 19px; margin: 4px 0 12px 0; }
.holder { display: flex; gap: 24px; align-items: flex-start; }
.holder img { width: 240px; border: 1px solid #999; }
table { border-collapse: collapse; }
td, th { text-align: left; vertical-align: top; padding: 3px 10px 3px 0; }
th { color: #555; font-weight: normal; white-space: nowrap; }
.mrz { font-family: "DejaVu Sans Mono", monospace; font-size: 18px; letter-spacing: 2px; background: #f0f0e8;
       padding: 8px 12px; display: inline-block; }
.fingers { display: flex; gap: 24px; flex-wrap: wrap; }
figure { margin: 0; }
.fingers img { height: 250px; border: 1px solid #999; }
.signature img { max-width: 500px; border: 1px solid #999; background: #fff; }
figcaption { font-size: 14px; color: #444; margin-top: 4px; }
.note { padding: 8px 12px; background: #fff4d6; border-left: 5px solid #c98a00; }
.checks td.status { font-weight: bold; width: 60px; }
.checks tr.PASS td.status { color: #1b7f3b; }
.checks tr.FAIL { background: #fde8e6; }
.checks tr.FAIL td.status { color: #b3261e; }
.checks tr.SKIP td.status { color: #8a6d00; }
.files table table { margin-left: 8px; }
.files td { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; word-break: break-all; }
footer { color: #666; font-size: 13px; margin: 8px 0 24px 0; }
)";

std::string base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// An <img> for image bytes from the chip. JPEG and PNG are embedded as they are; JPEG 2000 and WSQ are
// decoded and embedded as PNG. An image that does not decode is named, not hidden.
std::string image_tag(ByteView data, const std::string& what, const std::string& alt) {
  auto format = image::sniff(data);
  try {
    if (format == image::Format::Jpeg || format == image::Format::Png) {
      (void)image::probe(data, what);  // a header that does not parse is reported, not embedded
      return "<img alt=\"" + html_escape(alt) + "\" src=\"data:image/" +
             (format == image::Format::Jpeg ? "jpeg" : "png") + ";base64," + base64(data) + "\">";
    }
    if (format == image::Format::Jpeg2000 || format == image::Format::Wsq) {
      Bytes png = image::encode_png(image::decode(data, what));
      return "<img alt=\"" + html_escape(alt) + "\" src=\"data:image/png;base64," + base64(png) + "\">";
    }
    return "<p class=\"note\">" + html_escape(what) + ": not an image format this report can show</p>";
  } catch (const Error& e) {
    return "<p class=\"note\">" + html_escape(what) + " cannot be shown: " + html_escape(e.what()) + "</p>";
  }
}

void row(std::ostringstream& out, const std::string& label, const std::optional<std::string>& value) {
  if (!value || value->empty()) return;
  out << "<tr><th>" << html_escape(label) << "</th><td>" << html_escape(*value) << "</td></tr>\n";
}

std::string format_date(const std::optional<Date>& d) {
  if (!d) return {};
  return d->iso();
}

// A decoded file's description (rcdump's JSON) as nested tables.
void render_json(std::ostringstream& out, const nlohmann::ordered_json& j) {
  if (j.is_object()) {
    out << "<table>";
    for (const auto& [key, value] : j.items()) {
      out << "<tr><th>" << html_escape(key) << "</th><td>";
      render_json(out, value);
      out << "</td></tr>";
    }
    out << "</table>";
  } else if (j.is_array()) {
    bool scalars = std::all_of(j.begin(), j.end(), [](const auto& e) { return !e.is_structured(); });
    if (scalars) {
      bool first = true;
      for (const auto& e : j) {
        out << (first ? "" : "<br>");
        render_json(out, e);
        first = false;
      }
    } else {
      out << "<table>";
      std::size_t n = 0;
      for (const auto& e : j) {
        out << "<tr><th>" << ++n << "</th><td>";
        render_json(out, e);
        out << "</td></tr>";
      }
      out << "</table>";
    }
  } else if (j.is_string()) {
    out << html_escape(j.get<std::string>());
  } else {
    out << html_escape(j.dump());
  }
}

void page_start(std::ostringstream& out, const std::string& title) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
         "style-src 'unsafe-inline'\">\n"
      << "<title>" << html_escape(title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
}

}  // namespace

std::string render_html_report(const issuance::ChipImage& chip, const VerifyReport& report,
                               const HtmlReportContext& context) {
  ChipView v = decode_chip(chip);
  std::size_t failed = 0, skipped = 0;
  for (const auto& c : report.checks) {
    if (c.status == Status::Fail) ++failed;
    if (c.status == Status::Skip) ++skipped;
  }
  const bool passed = report.passed();
  std::string number = v.mrz ? v.mrz->document_number : std::string();
  std::string verdict = passed ? "PASS" : "FAIL";

  std::ostringstream out;
  page_start(out, "rcverify " + verdict + (number.empty() ? "" : " " + number));
  out << "<div class=\"verdict " << (passed ? "pass" : "fail") << "\">" << verdict
      << (number.empty() ? "" : " &mdash; document " + html_escape(number)) << "<small>"
      << report.checks.size() << " checks: " << (report.checks.size() - failed - skipped) << " passed, "
      << failed << " failed, " << skipped << " not checked</small></div>\n<main>\n";

  // The holder as on the card: face beside the printed data.
  out << "<section class=\"holder\">";
  bool face_shown = false;
  if (v.dg2) {
    for (const auto& rec : v.dg2->faces) {
      for (const auto& img : rec.images) {
        if (!face_shown) out << "<figure>" << image_tag(img.image, "EF.DG2 face", "face") << "</figure>";
        face_shown = true;
      }
    }
  }
  if (!face_shown) out << "<p class=\"note\">No facial image on the chip</p>";
  out << "<div><h2>Holder and document</h2><table>\n";
  if (v.dg11) row(out, "Full name", v.dg11->text(lds::Dg11::kFullName));
  if (v.mrz) {
    row(out, "Surname (MRZ)", v.mrz->primary_identifier);
    row(out, "Given names (MRZ)", v.mrz->secondary_identifier);
    row(out, "Document code", v.mrz->document_code);
    row(out, "Document number", v.mrz->document_number);
    row(out, "Issuing state", v.mrz->issuing_state);
    row(out, "Nationality", v.mrz->nationality);
    row(out, "Sex", v.mrz->sex);
  }
  row(out, "Date of birth", format_date(v.date_of_birth()));
  if (v.dg11) {
    row(out, "Place of birth", v.dg11->text(lds::Dg11::kPlaceOfBirth));
    row(out, "Personal number", v.dg11->text(lds::Dg11::kPersonalNumber));
  }
  row(out, "Date of issue", format_date(v.date_of_issue()));
  row(out, "Date of expiry", format_date(v.date_of_expiry()));
  if (v.dg12) {
    row(out, "Issuing authority", v.dg12->text(lds::Dg12::kIssuingAuthority));
    row(out, "Endorsements", v.dg12->text(lds::Dg12::kEndorsements));
    row(out, "Personalised", v.dg12->text(lds::Dg12::kPersonalizationTime));
  }
  out << "</table></div></section>\n";

  if (v.mrz) {
    out << "<section><h2>Machine readable zone (DG1)</h2><div class=\"mrz\">";
    for (std::size_t i = 0; i < v.mrz->lines.size(); ++i)
      out << (i ? "<br>" : "") << html_escape(v.mrz->lines[i]);
    out << "</div></section>\n";
  }

  out << "<section><h2>Fingerprints (DG3)</h2>";
  auto withheld = chip.withheld.find("EF.DG3");
  if (withheld != chip.withheld.end()) {
    out << "<p class=\"note\">Not read: " << html_escape(withheld->second) << "</p>";
  } else if (v.dg3 && v.dg3->has_fingerprints()) {
    out << "<div class=\"fingers\">";
    for (std::size_t r = 0; r < v.dg3->fingers.size(); ++r) {
      const auto& rec = v.dg3->fingers[r];
      std::string format = r < v.dg3->finger_formats.size()
                               ? lds::finger_record_format_name(v.dg3->finger_formats[r])
                               : std::string("finger record");
      for (const auto& f : rec.fingers) {
        std::string position = biometric::finger_position_name(f.position);
        std::string what = "EF.DG3 " + position;
        out << "<figure>" << image_tag(f.image, what, position) << "<figcaption>" << html_escape(position)
            << ", " << format << ", " << image::format_name(image::sniff(f.image));
        // 39794-4 records state no image size: the picture shows it.
        if (f.width != 0 && f.height != 0) out << " " << f.width << "&times;" << f.height;
        out << ", " << f.image.size() << " bytes</figcaption></figure>";
      }
    }
    out << "</div>";
  } else if (v.fingerprint_exemption_recorded()) {
    out << "<p class=\"note\">No fingerprints: the holder is exempt (recorded on the chip)</p>";
  } else if (chip.file("EF.DG3") != nullptr) {
    out << "<p class=\"note\">EF.DG3 holds no fingerprints</p>";
  } else {
    out << "<p class=\"note\">No EF.DG3 on the chip</p>";
  }
  out << "</section>\n";

  if (v.dg7) {
    out << "<section class=\"signature\"><h2>Signature (DG7)</h2>";
    for (const auto& img : v.dg7->images)
      out << "<figure>" << image_tag(img, "EF.DG7 signature", "signature") << "</figure>";
    out << "</section>\n";
  }

  out << "<section class=\"checks\"><h2>Checks</h2><table>\n";
  for (const auto& c : report.checks) {
    out << "<tr class=\"" << status_name(c.status) << "\"><td class=\"status\">" << status_name(c.status)
        << "</td><td>" << html_escape(c.name) << "</td><td>" << html_escape(c.detail) << "</td></tr>\n";
  }
  out << "</table></section>\n";

  out << "<section class=\"files\"><h2>Files</h2>";
  auto description = describe_chip(chip);
  for (const auto& [name, value] : description.items()) {
    out << "<details open><summary>" << html_escape(name) << "</summary>";
    render_json(out, value);
    out << "</details>\n";
  }
  out << "</section>\n";

  out << "<footer>rcverify report, "
      << html_escape(context.generated_at.empty() ? now_utc() : context.generated_at)
      << (context.source.empty() ? "" : ", " + html_escape(context.source))
      << ". Holds biometric data: keep it as the issuer's retention rules "
         "say.</footer>\n</main>\n</body>\n</html>\n";
  return out.str();
}

std::string render_html_summary(const std::string& title, const std::vector<HtmlSummaryRow>& rows,
                                const HtmlReportContext& context) {
  std::size_t issued = static_cast<std::size_t>(
      std::count_if(rows.begin(), rows.end(), [](const HtmlSummaryRow& r) { return r.state == "issued"; }));
  const bool all_issued = issued == rows.size();
  std::ostringstream out;
  page_start(out, title);
  out << "<div class=\"verdict " << (all_issued ? "pass" : "fail") << "\">" << html_escape(title) << "<small>"
      << rows.size() << " orders: " << issued << " issued, " << rows.size() - issued
      << " not issued</small></div>\n"
      << "<main><section "
         "class=\"checks\"><table>\n<tr><th>Order</th><th>Document</th><th>Reader</th><th>State</th>"
         "<th>Detail</th><th>Report</th></tr>\n";
  for (const auto& r : rows) {
    std::string cls = r.state == "issued" ? "PASS" : "FAIL";
    out << "<tr class=\"" << cls << "\"><td>" << html_escape(r.order) << "</td><td>"
        << html_escape(r.document_number) << "</td><td>" << html_escape(r.reader)
        << "</td><td class=\"status\">" << html_escape(r.state) << "</td><td>" << html_escape(r.detail)
        << "</td><td>";
    if (!r.report.empty())
      out << "<a href=\"" << html_escape(r.report) << "\">" << html_escape(r.report) << "</a>";
    out << "</td></tr>\n";
  }
  out << "</table></section>\n<footer>rcperso batch summary, "
      << html_escape(context.generated_at.empty() ? now_utc() : context.generated_at)
      << (context.source.empty() ? "" : ", " + html_escape(context.source))
      << "</footer>\n</main>\n</body>\n</html>\n";
  return out.str();
}

}  // namespace rcperso::inspection
