// A QA report as one self-contained HTML page: the verdict, the holder's
// data with the face, the fingerprints and the signature as pictures, every
// check with its result, and every file decoded. Images are embedded as data
// URIs (JPEG 2000 and WSQ converted to PNG, since browsers show neither) and
// a Content-Security-Policy forbids anything from outside, so the page can be
// archived or mailed as one file and opened anywhere.
#pragma once

#include <string>
#include <vector>

#include "inspection/verify.hpp"
#include "issuance/chip_image.hpp"

namespace rcperso::inspection {

struct HtmlReportContext {
  std::string source;        // "chip image /path" or "card in reader ..."
  std::string generated_at;  // ISO 8601 UTC; empty: now
};

/// The whole page. Every text from the chip is escaped; nothing is fetched.
std::string render_html_report(const issuance::ChipImage& chip, const VerifyReport& report,
                               const HtmlReportContext& context);

/// One line of a batch summary page: an order, its card and its result.
struct HtmlSummaryRow {
  std::string order;
  std::string document_number;
  std::string reader;
  std::string state;   // "issued", "failed", ...
  std::string detail;  // failure reason, or empty
  std::string report;  // file name of the card's own report page, or empty
};

/// A batch summary page linking each card's report (relative file names).
std::string render_html_summary(const std::string& title, const std::vector<HtmlSummaryRow>& rows,
                                const HtmlReportContext& context);

/// `text` with & < > " ' replaced by entities.
std::string html_escape(const std::string& text);

}  // namespace rcperso::inspection
