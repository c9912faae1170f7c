// rcdump: shows what is on a chip, on a card or as a chip image directory, for QA staff.
// Exit 0 shown, 1 access refused (BAC), 2 usage or input error, 3 card or reader error.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "card/chip_session.hpp"
#include "common/card_cli.hpp"
#include "common/cli_common.hpp"
#include "core/atomic_dir.hpp"
#include "core/bytes.hpp"
#include "image/image.hpp"
#include "image/wsq.hpp"
#include "inspection/dump.hpp"
#include "issuance/chip_image.hpp"
#include "issuance/fingerprint.hpp"

namespace {

// A bare fingerprint file (a capture station's, or one extracted from DG3),
// WSQ or JPEG 2000: its header, and with --extract a PNG to look at.
int dump_image_file(const std::string& file, const std::string& extract_dir) {
  using namespace rcperso;
  Bytes data = read_file(file, 64U * 1024U * 1024U);
  image::Raster raster;
  switch (image::sniff(data)) {
    case image::Format::Wsq: {
      auto decoded = image::wsq::decode(data, file);
      raster = std::move(decoded.raster);
      char rate[32];
      std::snprintf(rate, sizeof rate, "%.2f",
                    8.0 * static_cast<double>(data.size()) / (double(raster.width) * raster.height));
      std::cout << "WSQ " << raster.width << "x" << raster.height << ", " << data.size() << " bytes, " << rate
                << " bpp, "
                << (decoded.ppi > 0 ? std::to_string(decoded.ppi) + " ppi" : std::string("no PPI stated"))
                << ", encoder software " << decoded.frame.software << "\n";
      for (const auto& [key, value] : decoded.nistcom) std::cout << "  " << key << ": " << value << "\n";
      break;
    }
    case image::Format::Jpeg2000: {
      auto info = image::probe(data, file);
      raster = image::decode(data, file);
      int ppi = issuance::stated_ppi(data, image::Format::Jpeg2000, file);
      std::cout << "JPEG 2000 " << info.width << "x" << info.height << ", " << data.size() << " bytes, "
                << info.colour_space << " " << info.bit_depth << " bit, "
                << (ppi > 0 ? std::to_string(ppi) + " ppi (res box)" : std::string("no resolution stated"))
                << "\n";
      break;
    }
    default:
      throw Error(file +
                  ": not a WSQ or JPEG 2000 image; rcdump reads chip image directories and bare .wsq "
                  "or .jp2 fingerprint files");
  }
  if (!extract_dir.empty()) {
    AtomicDirectory out(extract_dir);
    std::string name = std::filesystem::path(file).stem().string() + ".png";
    out.write(name, image::encode_png(raster));
    out.commit();
    std::cerr << "extracted 1 file(s) to " << extract_dir << ": " << name << "\n";
  }
  return cli::kExitOk;
}

int tool_main(int argc, char** argv) {
  CLI::App app{"rcdump: show every file of a residence card chip, on a card or as a chip image directory"};
  std::string chip_dir;
  std::string extract_dir;
  bool json = false;
  rcperso::cli::CardReadArgs card;
  auto* dir_opt =
      app.add_option("CHIPDIR", chip_dir, "Chip image directory, or a bare .wsq or .jp2 fingerprint file");
  rcperso::cli::add_card_read_options(app, card, dir_opt);
  app.add_flag("--json", json, "Print as JSON");
  app.add_option("--extract", extract_dir,
                 "Write face, fingerprints, signature and DS certificate into this new directory");
  try {
    app.parse(argc, argv);
    if (chip_dir.empty() && !rcperso::cli::reading_a_card(card)) {
      throw CLI::ValidationError("CHIPDIR", "give a chip image directory or --reader");
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : rcperso::cli::kExitInput;
  }
  return rcperso::cli::run_guarded("rcdump", [&] {
    using namespace rcperso;
    std::error_code ec;
    if (!chip_dir.empty() && std::filesystem::is_regular_file(chip_dir, ec))
      return dump_image_file(chip_dir, extract_dir);
    issuance::ChipImage chip;
    std::string access;
    std::vector<Check> mechanisms;
    if (cli::reading_a_card(card)) {
      try {
        chip = cli::read_card_for_inspection(card, access, mechanisms);
      } catch (const card::AccessDenied& e) {
        std::cerr << "rcdump: " << e.what() << "\n";
        return cli::kExitFail;
      }
      for (const auto& p : chip.manifest_problems) std::cerr << "rcdump: warning: " << p << "\n";
      for (const auto& [name, why] : chip.withheld) std::cerr << "rcdump: " << name << " " << why << "\n";
      std::cerr << "rcdump: read with access control: " << access << "\n";
      for (const auto& m : mechanisms)
        std::cerr << "rcdump: " << m.name << ": " << status_name(m.status) << " " << m.detail << "\n";
    } else {
      chip = issuance::read_chip_image(chip_dir);
      if (chip.awaits_chip_keys()) {
        std::cerr << "rcdump: warning: " << chip_dir
                  << " awaits the chip's own key pairs (--keys-on-chip): EF.DG14/EF.DG15, EF.COM and EF.SOD "
                     "are built at write time; this is not a complete chip image\n";
      }
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
