#include "common/card_cli.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "card/chip_session.hpp"
#include "core/date.hpp"
#include "core/error.hpp"
#include "mrz/mrz.hpp"
#include "pki/cvc.hpp"
#include "secure/bac.hpp"

namespace rcperso::cli {

void add_reader_options(CLI::App& app, ReaderArgs& args) {
  app.add_option(
      "--reader", args.reader,
      "PC/SC reader: full name, a unique part of it, or its index; may be omitted with one reader");
  app.add_option(
      "--apdu-log", args.apdu_log,
      "Append an APDU log for QA (headers, lengths, status words; no keys, MRZ or biometric data)");
  app.add_option("--wait", args.wait_seconds, "Seconds to wait for a card to be inserted")
      ->check(CLI::Range(0.0, 3600.0));
}

ConnectedCard connect_card(const ReaderArgs& args) {
  ConnectedCard c;
  c.context = std::make_unique<card::PcscContext>();
  c.reader = c.context->resolve(args.reader);
  if (!c.context->wait_for_card(c.reader, static_cast<int>(args.wait_seconds * 1000))) {
    throw card::CardError(c.reader + ": no card in the reader" +
                          (args.wait_seconds > 0
                               ? " after waiting " + std::to_string(args.wait_seconds) + " s"
                               : std::string(" (use --wait to wait for one)")));
  }
  c.card = std::make_unique<card::PcscCard>(*c.context, c.reader);
  if (!args.apdu_log.empty()) c.card->set_log(std::make_shared<card::ApduLog>(args.apdu_log));
  return c;
}

void add_access_key_options(CLI::App& app, AccessKeyArgs& args) {
  auto* bac =
      app.add_option("--bac", args.bac,
                     "Access key (PACE, or BAC on chips without PACE): DOCNO DOB DOE (dates as YYMMDD or "
                     "YYYY-MM-DD), as printed in the MRZ")
          ->expected(3);
  auto* mrz = app.add_option("--mrz", args.mrz,
                             "Access key from the whole MRZ (lines joined or separated by newlines)")
                  ->excludes(bac);
  app.add_option("--can", args.can, "PACE with the card access number printed on the card")
      ->excludes(bac)
      ->excludes(mrz);
}

namespace {

std::string mrz_date(const std::string& text, const char* what) {
  if (text.size() == 6 &&
      std::all_of(text.begin(), text.end(), [](unsigned char ch) { return std::isdigit(ch); })) {
    int month = std::stoi(text.substr(2, 2)), day = std::stoi(text.substr(4, 2));
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31) return text;
  } else if (auto d = Date::parse_iso(text)) {
    return d->yymmdd();
  }
  throw ValidationError(std::vector<Problem>{
      {std::string("--bac ") + what, "'" + text + "' is not a date (YYMMDD or YYYY-MM-DD)"}});
}

}  // namespace

std::string mrz_information_from(const AccessKeyArgs& args) {
  if (!args.mrz.empty()) {
    mrz::ParsedMrz parsed;
    try {
      parsed = mrz::parse(args.mrz);
    } catch (const DecodeError& e) {
      throw ValidationError(std::vector<Problem>{{"--mrz", e.what()}});
    }
    for (const auto& c : parsed.checks) {
      if (!c.ok)
        throw ValidationError(
            std::vector<Problem>{{"--mrz", "the check digit of the " + c.name + " is wrong; mistyped?"}});
    }
    return parsed.key_seed();
  }
  if (args.bac.empty()) return {};
  std::string number = args.bac[0];
  std::transform(number.begin(), number.end(), number.begin(),
                 [](unsigned char ch) { return std::toupper(ch); });
  if (number.empty() || number.size() > 22 ||
      !std::all_of(number.begin(), number.end(),
                   [](unsigned char ch) { return std::isalnum(ch) || ch == '<'; })) {
    throw ValidationError(std::vector<Problem>{
        {"--bac DOCNO", "'" + args.bac[0] + "' is not a document number (A-Z, 0-9, at most 22)"}});
  }
  return secure::mrz_information(number, mrz_date(args.bac[1], "DOB"), mrz_date(args.bac[2], "DOE"));
}

issuance::ChipImage read_card(card::Transport& transport, const AccessKeyArgs& key,
                              const std::optional<card::CardProfile>& profile, std::string& access,
                              std::vector<Check>& mechanisms, const card::TerminalCredentials* terminal) {
  std::string mrz_information = mrz_information_from(key);
  if (!key.can.empty() &&
      (key.can.size() < 4 || key.can.size() > 12 ||
       !std::all_of(key.can.begin(), key.can.end(), [](unsigned char c) { return std::isdigit(c); }))) {
    throw ValidationError(std::vector<Problem>{{"--can", "the card access number is 4 to 12 digits"}});
  }
  card::ReadLimits limits;
  iso7816::CommandApdu select{0x00, 0xA4, 0x04, 0x0C, from_hex("A0000002471001"), std::nullopt};
  if (profile) {
    limits.chunk_plain = profile->read_chunk;
    limits.chunk_sm = profile->read_chunk_sm;
    limits.extended_length = profile->extended_length;
    select = profile->select_applet;
  }
  card::ChipSession session(transport, limits);
  std::optional<Bytes> card_access = session.read_card_access();
  bool pace_done = false;
  if (card_access && (!key.can.empty() || !mrz_information.empty())) {
    try {
      access = !key.can.empty() ? session.open_pace(*card_access, key.can, secure::PacePassword::Can)
                                : session.open_pace(*card_access, mrz_information, secure::PacePassword::Mrz);
      pace_done = true;
    } catch (const card::PaceUnsupported& e) {
      if (!key.can.empty()) throw;
      access = std::string("BAC (") + e.what() + ")";  // such chips usually keep BAC
    }
  }
  if (pace_done) {
    session.select_application(select);
  } else {
    if (!key.can.empty())
      throw card::AccessDenied("the chip offers no PACE (no EF.CardAccess), so a CAN cannot open it");
    session.select_application(select);
    if (!mrz_information.empty()) {
      session.open_bac(secure::bac_keys(mrz_information));
      if (access.empty()) access = card_access ? "BAC" : "BAC (the chip offers no PACE)";
    } else {
      access = "none (no access key given)";
    }
  }
  issuance::ChipImage chip = card::read_chip(session, &mechanisms, terminal);
  if (card_access) chip.files["EF.CardAccess"] = *card_access;
  return chip;
}

void add_card_read_options(CLI::App& app, CardReadArgs& args, CLI::Option* chip_dir) {
  args.reader_option =
      app.add_option("--reader", args.reader.reader,
                     "Read the card in this PC/SC reader (name, unique part, or index; '' for "
                     "the only one)")
          ->excludes(chip_dir);
  app.add_option("--apdu-log", args.reader.apdu_log,
                 "Append an APDU log for QA (no keys, MRZ or biometric data)");
  app.add_option("--wait", args.reader.wait_seconds, "Seconds to wait for a card")
      ->check(CLI::Range(0.0, 3600.0));
  add_access_key_options(app, args.key);
  app.add_option("--card-profile", args.card_profile,
                 "Card profile whose read limits to use (default: short APDUs)");
  app.add_option("--save", args.save_dir, "Keep what was read from the card as a chip image directory");
  auto* certs = app.add_option("--terminal-cert", args.terminal_certs,
                               "Terminal Authentication: the DV and inspection system CV certificates "
                               "(.cvcert), for reading fingerprints (EF.DG3)");
  auto* key = app.add_option("--terminal-key", args.terminal_key,
                             "Terminal Authentication: the inspection system's private key (PEM)");
  certs->needs(key);
  key->needs(certs);
}

std::optional<card::TerminalCredentials> load_terminal_credentials(const CardReadArgs& args) {
  if (args.terminal_certs.empty()) return std::nullopt;
  auto problem = [](const std::string& option, const std::string& what) {
    return ValidationError(std::vector<Problem>{{option, what}});
  };
  std::vector<pki::CvCertificate> certs;
  for (const auto& path : args.terminal_certs) {
    try {
      certs.push_back(pki::CvCertificate::load(path));
    } catch (const Error& e) {
      throw problem("--terminal-cert", path + ": " + e.what());
    }
  }
  // Order them by issuer: each certificate's CAR names the one before it.
  std::vector<pki::CvCertificate> chain;
  for (const auto& c : certs) {
    bool issued_by_given = std::any_of(
        certs.begin(), certs.end(), [&](const pki::CvCertificate& o) { return &o != &c && o.chr == c.car; });
    if (!issued_by_given) chain.push_back(c);
  }
  if (chain.size() != 1)
    throw problem("--terminal-cert", "the certificates do not form one chain (DV, then terminal)");
  while (chain.size() < certs.size()) {
    auto next = std::find_if(certs.begin(), certs.end(), [&](const pki::CvCertificate& c) {
      return c.car == chain.back().chr && c.chr != c.car;
    });
    if (next == certs.end())
      throw problem("--terminal-cert", "the certificates do not form one chain (DV, then terminal)");
    chain.push_back(*next);
  }
  if (chain.back().role() != pki::CvRole::InspectionSystem)
    throw problem("--terminal-cert", "the last certificate, " + pki::cv_label(chain.back()) +
                                         ", is not an inspection system certificate");
  Date today = Date::today_utc();
  std::uint8_t rights = 0x3F;
  for (const auto& c : chain) {
    if (c.expiration < today)
      throw problem("--terminal-cert",
                    pki::cv_label(c) + " expired " + c.expiration.iso() + "; the chip will refuse it");
    if (c.effective > today)
      throw problem("--terminal-cert", pki::cv_label(c) + " is not valid before " + c.effective.iso());
    rights &= c.chat.rights();
  }
  if ((rights & pki::kReadDg3) == 0) {
    throw problem("--terminal-cert",
                  "the chain grants no fingerprint (DG3) access (CHAT: " + pki::rights_text(rights) +
                      "); Terminal Authentication would not release EF.DG3");
  }
  card::TerminalCredentials credentials;
  try {
    credentials.key = std::make_shared<pki::CvPrivateKey>(pki::CvPrivateKey::load_pem(args.terminal_key));
  } catch (const Error& e) {
    throw problem("--terminal-key", args.terminal_key + ": " + e.what());
  }
  credentials.chain = std::move(chain);
  return credentials;
}

bool reading_a_card(const CardReadArgs& args) {
  return args.reader_option != nullptr && args.reader_option->count() > 0;
}

issuance::ChipImage read_card_for_inspection(const CardReadArgs& args, std::string& access,
                                             std::vector<Check>& mechanisms) {
  (void)mrz_information_from(args.key);  // a malformed key fails before the card is touched
  auto terminal = load_terminal_credentials(args);
  check_new_directory(args.save_dir, "--save");
  std::optional<card::CardProfile> profile;
  if (!args.card_profile.empty()) profile = card::CardProfile::resolve(args.card_profile);
  auto connected = connect_card(args.reader);
  issuance::ChipImage chip =
      read_card(*connected.card, args.key, profile, access, mechanisms, terminal ? &*terminal : nullptr);
  if (!args.save_dir.empty()) save_card_image(chip, args.save_dir, connected.reader);
  return chip;
}

void check_new_directory(const std::string& dir, const char* option) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::path p(dir);
  if (std::filesystem::exists(p, ec))
    throw ValidationError(std::vector<Problem>{{option, dir + " exists already"}});
  auto parent = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(parent, ec)) {
    throw ValidationError(std::vector<Problem>{{option, parent.string() + " is not a directory"}});
  }
}

void save_card_image(issuance::ChipImage chip, const std::string& dir, const std::string& reader) {
  chip.manifest = nlohmann::json::object();
  chip.manifest["format"] = issuance::kManifestFormat;
  chip.manifest["source"] = "read from the card in " + reader;
  issuance::describe_files(chip);
  issuance::write_chip_image(chip, dir);
}

}  // namespace rcperso::cli
