// rcperso: issues residence card chips.
//   prepare  application record -> signed chip image directory
//   write    chip image directory -> card (write, read back, verify, lock)
//   issue    both at once: the production line's main job
//   batch    many orders across readers, journaled (batch_cli.cpp)
//   journal  list, export and resolve the journal's orders
//   image    one face or fingerprint encoded exactly as a card would get it (to look at or compare)
#include <CLI/CLI.hpp>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>

#include "card/chip_keygen.hpp"
#include "card/chip_session.hpp"
#include "card/personalize.hpp"
#include "common/card_cli.hpp"
#include "common/cli_common.hpp"
#include "core/atomic_dir.hpp"
#include "core/error.hpp"
#include "core/wipe.hpp"
#include "image/image.hpp"
#include "issuance/application.hpp"
#include "issuance/chip_image.hpp"
#include "issuance/document_profile.hpp"
#include "issuance/face.hpp"
#include "issuance/fingerprint.hpp"
#include "issuance/prepare.hpp"
#include "lds/files.hpp"
#include "pki/pkcs11_uri.hpp"
#include "pki/signer.hpp"
#include "rcperso/batch_cli.hpp"
#include "secure/pace.hpp"

namespace {

using namespace rcperso;

struct PrepareArgs {
  std::string application;
  std::string profile = "dk-residence-card";
  std::string signer;
  std::string out;
  std::string chip_keys;  // where prepare keeps the chip's private keys (apart from the image)
  std::string cvca;       // CVCA certificate for Terminal Authentication
  bool production = false;
  bool keys_on_chip = false;  // the chip generates its CA/AA key pairs; DG14/DG15 and EF.SOD at write time
};

struct CardJobArgs {
  cli::ReaderArgs reader;
  std::string card_profile;
  std::vector<std::string> csca;
  std::vector<std::string> crl;
};

issuance::ChipImage prepare_chip(const PrepareArgs& a, const issuance::DocumentProfile& profile,
                                 std::string* signer_csca,
                                 std::unique_ptr<pki::Signer>* keep_signer = nullptr) {
  // Open the signer first: a wrong key should not cost an image decode.
  auto signer = pki::open_signer(a.signer);
  if (a.production && signer->is_test_key()) {
    throw Error(pki::printable_signer_spec(a.signer) +
                ": the Document Signer is a TEST ONLY sample key; --production refuses it");
  }
  auto app = issuance::load_application(a.application, profile);
  issuance::PrepareOptions options;
  options.production = a.production;
  options.keys_on_chip = a.keys_on_chip;
  if (profile.terminal_authentication && a.cvca.empty()) {
    throw ValidationError(std::vector<Problem>{
        {"--cvca",
         "profile " + profile.name +
             " protects the fingerprints with Terminal Authentication: give the CVCA certificate"}});
  }
  if (!a.cvca.empty()) {
    if (!profile.terminal_authentication) {
      throw ValidationError(
          std::vector<Problem>{{"--cvca", "profile " + profile.name + " has no Terminal Authentication"}});
    }
    options.cvca_certificate = read_file(a.cvca, 4096);
  }
  issuance::PrepareReport report;
  auto chip = issuance::prepare(app, profile, *signer, options, &report);

  std::cout << "prepared document " << app.document.number << " (profile " << profile.name << ")\n";
  std::cout << "  face:         " << report.face << "\n";
  std::cout << "  fingerprints: " << report.fingerprint_status << "\n";
  for (const auto& f : report.fingers) std::cout << "                " << f << "\n";
  if (!report.signature.empty()) std::cout << "  signature:    " << report.signature << "\n";
  std::cout << "  signer:       " << signer->key_type() << (signer->is_test_key() ? " (TEST ONLY)" : "")
            << "\n";
  for (const auto& f : lds::all_files()) {  // in file-identifier order, as on the chip
    if (const auto* data = chip.file(f.name))
      std::cout << "  " << f.name << ": " << data->size() << " bytes\n";
  }
  if (chip.keys.chip_authentication) {
    const auto& ca = *profile.chip_authentication;
    std::cout << "  chip keys:    Chip Authentication, "
              << (ca.dh_group ? "DH " + secure::pace_parameter_name(*ca.dh_group) : ca.curve)
              << " (kept apart from the chip image)\n";
  }
  if (chip.keys.active_authentication) {
    std::cout << "  chip keys:    Active Authentication, " << *profile.active_authentication
              << " (kept apart from the chip image)\n";
  }
  for (const auto& [key, what] : chip.keys_on_chip) {
    std::cout << "  chip keys:    " << (key == "chip_authentication" ? "Chip" : "Active")
              << " Authentication, " << what
              << ", to be generated on the chip (DG14/DG15 and EF.SOD are built at write time)\n";
  }
  if (signer_csca != nullptr && a.signer.rfind("pkcs11:", 0) != 0) {
    auto anchor = std::filesystem::path(a.signer) / "csca.pem";
    std::error_code ec;
    if (std::filesystem::is_regular_file(anchor, ec)) *signer_csca = anchor.string();
  }
  if (keep_signer != nullptr) *keep_signer = std::move(signer);
  return chip;
}

/// The chip key file must be given exactly when the profile makes chip keys, and lie outside the image.
void check_chip_keys_option(const PrepareArgs& a, const issuance::DocumentProfile& profile) {
  namespace fs = std::filesystem;
  if (a.keys_on_chip && !profile.chip_authentication && !profile.active_authentication) {
    throw ValidationError(std::vector<Problem>{
        {"--keys-on-chip",
         "profile " + profile.name +
             " has neither Chip nor Active Authentication: there are no key pairs for the chip "
             "to generate"}});
  }
  if (a.keys_on_chip && a.chip_keys.empty()) return;  // needed only for a CAN, checked after preparation
  if (!profile.chip_authentication && !profile.active_authentication) {
    if (!a.chip_keys.empty()) {
      throw ValidationError(std::vector<Problem>{
          {"--chip-keys",
           "profile " + profile.name + " makes no chip keys (no Chip or Active Authentication)"}});
    }
    return;
  }
  if (a.chip_keys.empty()) {
    throw ValidationError(std::vector<Problem>{
        {"--chip-keys", "profile " + profile.name +
                            " makes chip private keys (Chip or Active Authentication) for every card; name a "
                            "new private file for them, outside the chip image directory"}});
  }
  auto keys = fs::weakly_canonical(fs::absolute(a.chip_keys));
  auto out = fs::weakly_canonical(fs::absolute(a.out));
  if (keys.string().rfind(out.string() + "/", 0) == 0) {
    throw ValidationError(std::vector<Problem>{
        {"--chip-keys",
         "must not be inside the chip image directory: private keys never sit beside chip data"}});
  }
  cli::check_new_directory(a.chip_keys, "--chip-keys");  // must not exist, its directory must
}

int run_prepare(const PrepareArgs& a) {
  auto profile = issuance::DocumentProfile::resolve(a.profile);
  check_chip_keys_option(a, profile);
  auto chip = prepare_chip(a, profile, nullptr);
  if (a.keys_on_chip && chip.keys.empty() != a.chip_keys.empty()) {
    throw ValidationError(std::vector<Problem>{
        {"--chip-keys", chip.keys.empty()
                            ? "the chip generates its own key pairs and there is no card access number: no "
                              "chip key file is needed"
                            : "the card access number still travels in a private chip key file: name a new "
                              "one, outside the chip image directory"}});
  }
  // Keys first: a chip image whose keys were lost would look complete but could never be issued.
  std::string document = chip.manifest.value("document_number", "");
  if (!chip.keys.empty()) issuance::write_chip_keys(chip.keys, document, a.chip_keys);
  try {
    issuance::write_chip_image(chip, a.out);
  } catch (...) {
    if (!chip.keys.empty()) issuance::erase_chip_keys(a.chip_keys);
    throw;
  }
  std::cout << "chip image written to " << a.out
            << (chip.awaits_chip_keys() ? " (awaiting the chip's keys: rcperso write --signer completes it)"
                                        : "")
            << "\n";
  if (!chip.keys.empty())
    std::cout << "chip keys written to " << a.chip_keys << " (private; erased when the card is issued)\n";
  return cli::kExitOk;
}

std::string ratio(std::size_t wire, std::size_t payload) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f",
                payload == 0 ? 0.0 : static_cast<double>(wire) / static_cast<double>(payload));
  return buf;
}

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

/// Writes `chip` to the card; the card counts as issued only if this returns kExitOk.
int write_to_card(const issuance::ChipImage& chip, const CardJobArgs& a,
                  const std::optional<issuance::DocumentProfile>& profile,
                  std::function<void(issuance::ChipImage&, const issuance::ChipPublicKeys&)> seal = {}) {
  auto card_profile = card::CardProfile::resolve(a.card_profile);
  card::PersoOptions options;
  options.seal = std::move(seal);
  if (chip.awaits_chip_keys()) card::check_keys_on_chip_supported(card_profile, chip);  // before the card
  options.verify.csca_files = a.csca;
  options.verify.crl_files = a.crl;
  options.verify.profile = profile;
  options.on_step = [](const std::string& line) { std::cout << "  " << line << "\n" << std::flush; };
  if (options.verify.csca_files.empty()) {
    throw ValidationError(
        std::vector<Problem>{{"--csca", "give the CSCA certificate that read-back verification trusts"}});
  }
  try {
    auto connected = cli::connect_card(a.reader);
    std::cout << "card in " << connected.reader << "\n";
    auto report = card::personalize(*connected.card, card_profile, chip, options);
    std::cout << "ISSUED: the card in " << connected.reader << " is written, read back, verified"
              << (report.locked ? " and locked" : " (profile " + card_profile.name + " has no lock)") << "\n";
    std::cout << "  payload:          " << report.files << " files, " << report.payload_bytes << " bytes\n";
    std::cout << "  write:            " << report.write_wire.apdus << " APDUs, "
              << report.write_wire.bytes_sent + report.write_wire.bytes_received << " bytes on the wire ("
              << ratio(report.write_wire.bytes_sent + report.write_wire.bytes_received, report.payload_bytes)
              << " x payload), " << secs(report.write_seconds) << "\n";
    std::cout << "  read back+verify: " << report.verify_wire.apdus << " APDUs, "
              << report.verify_wire.bytes_sent + report.verify_wire.bytes_received << " bytes on the wire ("
              << ratio(report.verify_wire.bytes_sent + report.verify_wire.bytes_received,
                       report.payload_bytes)
              << " x payload), " << secs(report.verify_seconds) << "\n";
    return cli::kExitOk;
  } catch (const card::CardError& e) {
    std::cerr << "rcperso: card NOT issued: " << e.what() << "\n";
  } catch (const card::PersoError& e) {
    std::cerr << "rcperso: card NOT issued: " << e.what() << "\n";
  } catch (const card::AccessDenied& e) {
    std::cerr << "rcperso: card NOT issued: " << e.what() << "\n";
  }
  return cli::kExitFail;
}

/// Seals an image that awaits the chip's keys with the Document Signer, at the moment of writing.
std::function<void(issuance::ChipImage&, const issuance::ChipPublicKeys&)> sealer(
    const issuance::DocumentProfile& profile, pki::Signer& signer, bool production,
    issuance::ChipImage* sealed_copy = nullptr) {
  return [&profile, &signer, production, sealed_copy](issuance::ChipImage& image,
                                                      const issuance::ChipPublicKeys& keys) {
    issuance::seal_chip_image(image, profile, signer, keys, std::time(nullptr), production);
    if (sealed_copy != nullptr) *sealed_copy = image;
  };
}

struct WriteSigning {
  std::string signer;
  bool production = false;
};

int run_write(const std::string& chip_dir, const std::string& chip_keys, const CardJobArgs& a,
              const WriteSigning& signing) {
  auto chip = issuance::read_chip_image(chip_dir);
  if (!chip.manifest_problems.empty()) {
    std::string list;
    for (const auto& p : chip.manifest_problems) list += "\n  " + p;
    throw Error(chip_dir + ": the chip image does not match its manifest; prepare it again:" + list);
  }
  std::optional<issuance::DocumentProfile> profile;
  if (chip.manifest.is_object() && !chip.manifest.value("profile", "").empty()) {
    profile = issuance::DocumentProfile::resolve(chip.manifest.value("profile", ""));
  }
  bool needs_keys = chip.manifest.is_object() && chip.manifest.contains("chip_keys");
  if (needs_keys && chip_keys.empty()) {
    throw ValidationError(std::vector<Problem>{
        {"--chip-keys", chip_dir + " needs its chip keys (Chip or Active Authentication): give the key "
                                   "file that rcperso prepare wrote with it"}});
  }
  std::unique_ptr<pki::Signer> signer;
  if (chip.awaits_chip_keys()) {
    if (signing.signer.empty()) {
      throw ValidationError(std::vector<Problem>{
          {"--signer",
           chip_dir + " was prepared with --keys-on-chip: its DG14/DG15 and EF.SOD are built from the keys "
                      "the chip generates and signed now; give the Document Signer"}});
    }
    if (!profile) throw Error(chip_dir + ": the manifest names no document profile to seal the image with");
    try {
      issuance::check_keys_on_chip_match(chip, *profile);
    } catch (const Error& e) {
      throw Error(chip_dir + ": " + e.what());
    }
    signer = pki::open_signer(signing.signer);
    if (signing.production && signer->is_test_key()) {
      throw Error(pki::printable_signer_spec(signing.signer) +
                  ": the Document Signer is a TEST ONLY sample key; --production refuses it");
    }
  } else if (!signing.signer.empty()) {
    throw ValidationError(std::vector<Problem>{
        {"--signer",
         chip_dir + " is signed already; --signer is only for images prepared with --keys-on-chip"}});
  }
  if (!chip_keys.empty()) {
    chip.keys = issuance::read_chip_keys(chip_keys, chip.manifest.value("document_number", ""));
  }
  int status = signer ? write_to_card(chip, a, profile, sealer(*profile, *signer, signing.production))
                      : write_to_card(chip, a, profile);
  if (status == cli::kExitOk && !chip_keys.empty()) {
    // The key now lives on exactly one card; no copy stays behind.
    issuance::erase_chip_keys(chip_keys);
    std::cout << "  chip keys erased: " << chip_keys << "\n";
  }
  if (status == cli::kExitOk) {
    // The card now carries the data; the image on disk goes unless the profile keeps it (no profile
    // named: the default, erase).
    if (profile && profile->retention.keep_chip_image) {
      std::cout << "  chip image kept: " << chip_dir << " (profile " << profile->name << " retention)\n";
    } else {
      wipe_directory(chip_dir, "the chip image");
      std::cout << "  chip image erased: " << chip_dir << "\n";
    }
  }
  return status;
}

int run_issue(const PrepareArgs& p, CardJobArgs a, const std::string& keep) {
  auto profile = issuance::DocumentProfile::resolve(p.profile);
  auto card_profile = card::CardProfile::resolve(a.card_profile);  // a typo fails before any work
  std::string signer_csca;
  std::unique_ptr<pki::Signer> signer;
  if (!keep.empty()) {
    if (!profile.retention.keep_chip_image && p.production) {
      throw ValidationError(std::vector<Problem>{
          {"--keep", "profile " + profile.name +
                         " erases chip images after issuance (retention chip_image \"erase\"); a production "
                         "card's image is not kept"}});
    }
    if (!profile.retention.keep_chip_image)
      std::cout << "note: --keep keeps the chip image although profile " << profile.name
                << " erases chip images (not a production run)\n";
  }
  auto chip = prepare_chip(p, profile, &signer_csca, &signer);
  if (a.csca.empty() && !signer_csca.empty()) a.csca = {signer_csca};
  if (chip.awaits_chip_keys()) {
    // The image is complete only once the chip has made its keys: it is kept after the card is issued.
    if (!keep.empty()) cli::check_new_directory(keep, "--keep");
    issuance::ChipImage sealed;
    int status = write_to_card(chip, a, profile, sealer(profile, *signer, p.production, &sealed));
    if (status == cli::kExitOk && !keep.empty()) {
      issuance::write_chip_image(sealed, keep);
      std::cout << "chip image kept in " << keep << "\n";
    }
    return status;
  }
  if (!keep.empty()) {
    issuance::write_chip_image(chip, keep);
    std::cout << "chip image kept in " << keep << "\n";
  }
  return write_to_card(chip, a, profile);
}

void add_card_job_options(CLI::App& cmd, CardJobArgs& a) {
  cli::add_reader_options(cmd, a.reader);
  cmd.add_option("--card-profile", a.card_profile,
                 "Card profile: rcsim, jmrtd-applet, iso7816-fs, or a .json path")
      ->required();
  cmd.add_option("--csca", a.csca, "CSCA certificate(s) the read-back's Passive Authentication trusts");
  cmd.add_option("--crl", a.crl, "CRL(s) to check the Document Signer against");
}

void add_prepare_options(CLI::App& cmd, PrepareArgs& p) {
  cmd.add_option("--application", p.application, "Application record (JSON)")->required();
  cmd.add_option("--profile", p.profile, "Document profile: a name in profiles/documents or a .json path")
      ->capture_default_str();
  cmd.add_option("--signer", p.signer,
                 "Document Signer: a directory with cert.pem and key.pem (and csca.pem, its trust anchor), "
                 "or a pkcs11: URI naming a key in a token (docs/operator-guide.md)")
      ->required();
  cmd.add_flag("--production", p.production, "Production mode: refuse TEST ONLY sample keys");
  cmd.add_option(
      "--cvca", p.cvca,
      "CVCA certificate (.cvcert) the chip trusts for Terminal Authentication, when the profile has it");
  cmd.add_flag("--keys-on-chip", p.keys_on_chip,
               "The chip generates its Chip/Active Authentication key pairs (card profile generate_keys); "
               "DG14/DG15 and EF.SOD are built and signed at write time");
}

struct ImageArgs {
  std::string finger;
  std::string face;
  std::string out;
  std::string profile = "dk-residence-card";
  double bitrate = 0;  // 0: the profile's
};

/// One face through the gates and the encoder preparation uses: the bytes DG2 would get.
int run_image_face(const ImageArgs& a, const issuance::DocumentProfile& profile) {
  if (a.bitrate != 0) throw Error("--bitrate applies to --finger only");
  const std::string wanted = issuance::face_file_extension(profile.face);
  const std::string extension = std::filesystem::path(a.out).extension().string();
  if (extension != wanted) {
    throw Error("--out " + a.out + ": profile " + profile.name + " stores the face as " +
                (profile.face.format == "jpeg2000" ? "JPEG 2000" : "JPEG") + "; name the file *" + wanted);
  }
  if (std::filesystem::exists(a.out)) throw Error(a.out + " already exists");
  issuance::InputImage in;
  in.field = "--face";
  in.path = a.face;
  in.data = read_file(a.face, 64U * 1024U * 1024U);
  in.info = image::probe(in.data, a.face);
  auto problems = issuance::face_problems(in, profile);
  if (!problems.empty()) {
    std::vector<Problem> list;
    for (auto& p : problems) list.push_back({"--face", std::move(p)});
    throw ValidationError(std::move(list));
  }
  issuance::decode_face(in, profile);
  std::string note;
  Bytes data = issuance::face_image_data(in, profile, note);
  write_file_atomic(a.out, data);
  std::cout << a.out << ": " << note << " (profile " << profile.name << ")\n";
  return cli::kExitOk;
}

int run_image(const ImageArgs& a) {
  auto profile = issuance::DocumentProfile::resolve(a.profile);
  if (a.face.empty() == a.finger.empty()) throw Error("give exactly one of --face and --finger");
  if (!a.face.empty()) return run_image_face(a, profile);
  if (a.bitrate != 0) {
    if (profile.fingerprints.format != "wsq")
      throw Error("--bitrate applies to WSQ; profile " + profile.name + " stores JPEG 2000 fingerprints");
    if (!(a.bitrate >= 0.1 && a.bitrate <= 4.0))
      throw Error("--bitrate must be from 0.1 to 4 bits per pixel");
    profile.fingerprints.bitrate = a.bitrate;
  }
  const std::string wanted = profile.fingerprints.format == "wsq" ? ".wsq" : ".jp2";
  if (std::filesystem::path(a.out).extension().string() != wanted) {
    throw Error("--out " + a.out + ": profile " + profile.name + " stores fingerprints as " +
                (profile.fingerprints.format == "wsq" ? "WSQ" : "JPEG 2000") + "; name the file *" + wanted);
  }
  if (std::filesystem::exists(a.out)) throw Error(a.out + " already exists");
  issuance::InputImage in;
  in.field = "--finger";
  in.path = a.finger;
  in.data = read_file(a.finger, 64U * 1024U * 1024U);
  in.info = image::probe(in.data, a.finger);
  issuance::decode_fingerprint(in, profile);
  auto problems = issuance::fingerprint_problems(in, profile);
  if (!problems.empty()) {
    std::vector<Problem> list;
    for (auto& p : problems) list.push_back({"--finger", std::move(p)});
    throw ValidationError(std::move(list));
  }
  std::string note;
  Bytes data = issuance::fingerprint_image_data(in, profile, note);
  write_file_atomic(a.out, data);
  std::cout << a.out << ": " << note << " (profile " << profile.name << ")\n";
  return cli::kExitOk;
}

int tool_main(int argc, char** argv) {
  CLI::App app{"rcperso: issue residence card chips (ICAO 9303)"};
  app.require_subcommand(1);

  PrepareArgs prepare;
  auto* prep = app.add_subcommand("prepare", "Turn an application record into a signed chip image directory");
  add_prepare_options(*prep, prepare);
  prep->add_option("--out", prepare.out, "Chip image directory to create (must not exist)")->required();
  prep->add_option("--chip-keys", prepare.chip_keys,
                   "New private file (0600) for the chip's private keys, outside the chip image; needed "
                   "when the profile has Chip Authentication");

  std::string chip_dir;
  CardJobArgs write_args;
  auto* write = app.add_subcommand("write", "Write a chip image to a card, read it back, verify it, lock it");
  write->add_option("CHIPDIR", chip_dir, "Chip image directory (from rcperso prepare)")->required();
  add_card_job_options(*write, write_args);
  std::string write_keys;
  write->add_option("--chip-keys", write_keys,
                    "The chip key file rcperso prepare wrote (erased once the card is issued)");
  WriteSigning write_signing;
  write->add_option(
      "--signer", write_signing.signer,
      "Document Signer for an image prepared with --keys-on-chip (signs EF.SOD over the chip's keys): "
      "a key directory or a pkcs11: URI");
  write->add_flag("--production", write_signing.production, "Production mode: refuse TEST ONLY sample keys");

  PrepareArgs issue_prep;
  CardJobArgs issue_args;
  std::string keep;
  auto* issue = app.add_subcommand("issue", "Prepare, write, read back, verify and lock one card");
  add_prepare_options(*issue, issue_prep);
  add_card_job_options(*issue, issue_args);
  issue->add_option("--keep", keep, "Also keep the chip image in this new directory");

  ImageArgs image_args;
  auto* image_cmd = app.add_subcommand(
      "image", "Encode one face or fingerprint exactly as preparation would put it into DG2/DG3");
  auto* face_opt = image_cmd->add_option("--face", image_args.face, "Face image (JPEG, JPEG 2000 or PNG)");
  image_cmd->add_option("--finger", image_args.finger, "Fingerprint image (PNG, JPEG 2000 or WSQ)")
      ->excludes(face_opt);
  image_cmd
      ->add_option("--out", image_args.out,
                   "File to write: a face .jpg (.jp2 for a JPEG 2000 face profile); a finger .wsq (.jp2)")
      ->required();
  image_cmd->add_option("--profile", image_args.profile,
                        "Document profile: a name in profiles/documents or a .json path");
  image_cmd->add_option("--bitrate", image_args.bitrate, "WSQ bits per pixel instead of the profile's");

  cli::BatchArgs batch_args;
  auto* batch_cmd = cli::add_batch_command(app, batch_args);
  cli::JournalArgs journal_args;
  auto* journal_cmd = cli::add_journal_command(app, journal_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : cli::kExitInput;
  }
  return cli::run_guarded("rcperso", [&] {
    if (*prep) return run_prepare(prepare);
    if (*write) return run_write(chip_dir, write_keys, write_args, write_signing);
    if (*image_cmd) return run_image(image_args);
    if (*batch_cmd) return cli::run_batch_command(batch_args);
    if (*journal_cmd) return cli::run_journal_command(journal_args);
    return run_issue(issue_prep, issue_args, keep);
  });
}

}  // namespace

int main(int argc, char** argv) { return rcperso::cli::guarded_main("rcperso", tool_main, argc, argv); }
