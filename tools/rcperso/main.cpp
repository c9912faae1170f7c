// rcperso: issues residence card chips. This version prepares chip images;
// later versions write them to cards.
#include <CLI/CLI.hpp>

#include <iostream>

#include "common/cli_common.hpp"
#include "core/error.hpp"
#include "issuance/application.hpp"
#include "issuance/chip_image.hpp"
#include "issuance/document_profile.hpp"
#include "issuance/prepare.hpp"
#include "lds/files.hpp"
#include "pki/signer.hpp"

namespace {

struct PrepareArgs {
  std::string application;
  std::string profile = "dk-residence-card";
  std::string signer;
  std::string out;
  bool production = false;
};

int run_prepare(const PrepareArgs& a) {
  using namespace rcperso;
  auto profile = issuance::DocumentProfile::resolve(a.profile);
  // Open the signer first: a wrong key should not cost an image decode.
  auto signer = pki::open_signer(a.signer);
  if (a.production && signer->is_test_key()) {
    throw rcperso::Error(a.signer +
                         ": the Document Signer is a TEST ONLY sample key; --production refuses it");
  }
  auto app = issuance::load_application(a.application, profile);
  issuance::PrepareOptions options;
  options.production = a.production;
  issuance::PrepareReport report;
  auto chip = issuance::prepare(app, profile, *signer, options, &report);
  issuance::write_chip_image(chip, a.out);

  std::cout << "prepared " << a.out << " (profile " << profile.name << ", document " << app.document.number
            << ")\n";
  std::cout << "  face:         " << report.face << "\n";
  std::cout << "  fingerprints: " << report.fingerprint_status << "\n";
  for (const auto& f : report.fingers) std::cout << "                " << f << "\n";
  if (!report.signature.empty()) std::cout << "  signature:    " << report.signature << "\n";
  std::cout << "  signer:       " << signer->key_type() << (signer->is_test_key() ? " (TEST ONLY)" : "")
            << "\n";
  for (const auto& f : rcperso::lds::all_files()) {  // in file-identifier order, as on the chip
    if (const auto* data = chip.file(f.name))
      std::cout << "  " << f.name << ": " << data->size() << " bytes\n";
  }
  return rcperso::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rcperso: issue residence card chips (ICAO 9303)"};
  app.require_subcommand(1);
  PrepareArgs prepare;
  auto* cmd = app.add_subcommand("prepare", "Turn an application record into a signed chip image directory");
  cmd->add_option("--application", prepare.application, "Application record (JSON)")->required();
  cmd->add_option("--profile", prepare.profile,
                  "Document profile: a name in profiles/documents or a .json path")
      ->capture_default_str();
  cmd->add_option("--signer", prepare.signer,
                  "Document Signer: a directory with cert.pem and key.pem (a pkcs11: URI in a later version)")
      ->required();
  cmd->add_option("--out", prepare.out, "Chip image directory to create (must not exist)")->required();
  cmd->add_flag("--production", prepare.production, "Production mode: refuse TEST ONLY sample keys");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : rcperso::cli::kExitInput;
  }
  return rcperso::cli::run_guarded("rcperso", [&] { return run_prepare(prepare); });
}
