// rcdump: shows what is on a chip image, for QA staff.
#include <CLI/CLI.hpp>

#include <iostream>

#include "common/cli_common.hpp"
#include "inspection/dump.hpp"
#include "issuance/chip_image.hpp"

int main(int argc, char** argv) {
  CLI::App app{"rcdump: show every file of a residence card chip image"};
  std::string chip_dir;
  std::string extract_dir;
  bool json = false;
  app.add_option("CHIPDIR", chip_dir, "Chip image directory")->required();
  app.add_flag("--json", json, "Print as JSON");
  app.add_option("--extract", extract_dir,
                 "Write face, fingerprints, signature and DS certificate into this new directory");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : rcperso::cli::kExitInput;
  }
  return rcperso::cli::run_guarded("rcdump", [&] {
    using namespace rcperso;
    auto chip = issuance::read_chip_image(chip_dir);
    auto description = inspection::describe_chip(chip);
    std::cout << (json ? description.dump(2) + "\n" : inspection::render_text(description));
    if (!extract_dir.empty()) {
      auto files = inspection::extract_chip(chip, extract_dir);
      std::cerr << "extracted " << files.size() << " file(s) to " << extract_dir << ":";
      for (const auto& f : files) std::cerr << " " << f;
      std::cerr << "\n";
    }
    return cli::kExitOk;
  });
}
