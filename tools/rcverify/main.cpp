// rcverify: checks a chip image as a border inspection system would.
// Exit 0 PASS, 1 FAIL, 2 usage or input error.
#include <CLI/CLI.hpp>

#include <iostream>

#include "common/cli_common.hpp"
#include "inspection/verify.hpp"
#include "issuance/chip_image.hpp"
#include "issuance/document_profile.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "rcverify: inspect a residence card chip image (Passive Authentication, structure, issuer's rules)"};
  std::string chip_dir;
  rcperso::inspection::VerifyOptions options;
  std::string profile;
  bool json = false;
  app.add_option("CHIPDIR", chip_dir, "Chip image directory")->required();
  app.add_option("--csca", options.csca_files, "Trusted CSCA certificate(s), PEM or DER")->required();
  app.add_option("--crl", options.crl_files, "CRL(s) to check the Document Signer against");
  app.add_option("--profile", profile,
                 "Document profile for the issuer's rules (default: from the manifest)");
  app.add_flag("--json", json, "Print the report as JSON");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : rcperso::cli::kExitInput;
  }
  return rcperso::cli::run_guarded("rcverify", [&] {
    using namespace rcperso;
    auto chip = issuance::read_chip_image(chip_dir);
    if (profile.empty() && chip.manifest.is_object()) profile = chip.manifest.value("profile", "");
    if (!profile.empty()) options.profile = issuance::DocumentProfile::resolve(profile);
    auto report = inspection::verify_chip(chip, options);
    std::cout << (json ? report.to_json().dump(2) + "\n" : report.to_text());
    return report.passed() ? cli::kExitOk : cli::kExitFail;
  });
}
