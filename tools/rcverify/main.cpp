// rcverify: checks a chip, on a card or as a chip image directory, as a
// border inspection system would.
// Exit 0 PASS, 1 FAIL (BAC refused included), 2 usage or input error, 3 card or reader error.
#include <CLI/CLI.hpp>

#include <iostream>

#include "card/chip_session.hpp"
#include "common/card_cli.hpp"
#include "common/cli_common.hpp"
#include "core/atomic_dir.hpp"
#include "inspection/html_report.hpp"
#include "inspection/verify.hpp"
#include "issuance/chip_image.hpp"
#include "issuance/document_profile.hpp"

namespace {

int tool_main(int argc, char** argv) {
  CLI::App app{
      "rcverify: inspect a residence card chip (Passive Authentication, structure, issuer's rules), "
      "on a card or as a chip image directory"};
  std::string chip_dir;
  rcperso::inspection::VerifyOptions options;
  std::string profile;
  bool json = false;
  rcperso::cli::CardReadArgs card;
  auto* dir_opt = app.add_option("CHIPDIR", chip_dir, "Chip image directory");
  rcperso::cli::add_card_read_options(app, card, dir_opt);
  app.add_option("--csca", options.csca_files, "Trusted CSCA certificate(s), PEM or DER")->required();
  app.add_option("--crl", options.crl_files, "CRL(s) to check the Document Signer against");
  app.add_option("--profile", profile,
                 "Document profile for the issuer's rules (default: from the manifest)");
  app.add_flag("--json", json, "Print the report as JSON");
  std::string html;
  app.add_option(
      "--html", html,
      "Also write the report as one self-contained HTML page (face, fingerprints, every field and check; "
      "private file, it holds biometric data)");
  try {
    app.parse(argc, argv);
    if (chip_dir.empty() && !rcperso::cli::reading_a_card(card)) {
      throw CLI::ValidationError("CHIPDIR", "give a chip image directory or --reader");
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : rcperso::cli::kExitInput;
  }
  return rcperso::cli::run_guarded("rcverify", [&] {
    using namespace rcperso;
    issuance::ChipImage chip;
    std::string access;
    std::vector<Check> mechanisms;
    if (cli::reading_a_card(card)) {
      try {
        chip = cli::read_card_for_inspection(card, access, mechanisms);
      } catch (const card::AccessDenied& e) {
        std::cout << "FAIL  access control: " << e.what() << "\n";
        return cli::kExitFail;
      }
    } else {
      chip = issuance::read_chip_image(chip_dir);
      if (profile.empty() && chip.manifest.is_object()) profile = chip.manifest.value("profile", "");
    }
    if (!profile.empty()) options.profile = issuance::DocumentProfile::resolve(profile);
    auto report = inspection::verify_chip(chip, options);
    // The chip's own proofs first, in the order they ran: access control, then Chip Authentication.
    report.checks.insert(report.checks.begin(), mechanisms.begin(), mechanisms.end());
    if (!access.empty()) report.checks.insert(report.checks.begin(), pass("access control", access));
    if (!html.empty()) {
      inspection::HtmlReportContext context;
      context.source = cli::reading_a_card(card)
                           ? "card in reader " + (card.reader.reader.empty() ? std::string("(the only one)")
                                                                             : card.reader.reader)
                           : "chip image " + chip_dir;
      // Written whole or not at all, 0600: the page embeds the face and the fingerprints.
      write_file_atomic(html, as_bytes(inspection::render_html_report(chip, report, context)), true);
    }
    std::cout << (json ? report.to_json().dump(2) + "\n" : report.to_text());
    return report.passed() ? cli::kExitOk : cli::kExitFail;
  });
}

}  // namespace

int main(int argc, char** argv) { return rcperso::cli::guarded_main("rcverify", tool_main, argc, argv); }
