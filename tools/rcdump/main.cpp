// rcdump: shows what is on a chip, on a card or as a chip image directory, for QA staff.
// Exit 0 shown, 1 access refused (BAC), 2 usage or input error, 3 card or reader error.
#include <CLI/CLI.hpp>

#include <iostream>

#include "card/chip_session.hpp"
#include "common/card_cli.hpp"
#include "common/cli_common.hpp"
#include "inspection/dump.hpp"
#include "issuance/chip_image.hpp"

namespace {

int tool_main(int argc, char** argv) {
  CLI::App app{"rcdump: show every file of a residence card chip, on a card or as a chip image directory"};
  std::string chip_dir;
  std::string extract_dir;
  std::string card_profile;
  std::string save_dir;
  bool json = false;
  rcperso::cli::ReaderArgs reader;
  rcperso::cli::AccessKeyArgs key;
  auto* dir_opt = app.add_option("CHIPDIR", chip_dir, "Chip image directory");
  auto* reader_opt = app.add_option("--reader", reader.reader,
                                    "Read the card in this PC/SC reader (name, unique part, or index; '' for "
                                    "the only one)")
                         ->excludes(dir_opt);
  app.add_option("--apdu-log", reader.apdu_log, "Append an APDU log for QA (no keys, MRZ or biometric data)");
  app.add_option("--wait", reader.wait_seconds, "Seconds to wait for a card")->check(CLI::Range(0.0, 3600.0));
  rcperso::cli::add_access_key_options(app, key);
  app.add_option("--card-profile", card_profile,
                 "Card profile whose read limits to use (default: short APDUs)");
  app.add_option("--save", save_dir, "Keep what was read from the card as a chip image directory");
  app.add_flag("--json", json, "Print as JSON");
  app.add_option("--extract", extract_dir,
                 "Write face, fingerprints, signature and DS certificate into this new directory");
  try {
    app.parse(argc, argv);
    if (chip_dir.empty() && reader_opt->count() == 0) {
      throw CLI::ValidationError("CHIPDIR", "give a chip image directory or --reader");
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : rcperso::cli::kExitInput;
  }
  return rcperso::cli::run_guarded("rcdump", [&] {
    using namespace rcperso;
    issuance::ChipImage chip;
    std::string access;
    if (reader_opt->count() > 0) {
      (void)cli::mrz_information_from(key);  // a malformed key fails before the card is touched
      cli::check_new_directory(save_dir, "--save");
      std::optional<card::CardProfile> cp;
      if (!card_profile.empty()) cp = card::CardProfile::resolve(card_profile);
      auto connected = cli::connect_card(reader);
      try {
        chip = cli::read_card(*connected.card, key, cp, access);
      } catch (const card::AccessDenied& e) {
        std::cerr << "rcdump: " << e.what() << "\n";
        return cli::kExitFail;
      }
      for (const auto& p : chip.manifest_problems) std::cerr << "rcdump: warning: " << p << "\n";
      std::cerr << "rcdump: read with access control: " << access << "\n";
      if (!save_dir.empty()) cli::save_card_image(chip, save_dir, connected.reader);
    } else {
      chip = issuance::read_chip_image(chip_dir);
    }
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

}  // namespace

int main(int argc, char** argv) { return rcperso::cli::guarded_main("rcdump", tool_main, argc, argv); }
