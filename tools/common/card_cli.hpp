// What the tools share for cards: choosing a reader, waiting for and
// connecting to the card, the QA APDU log, and the access key options.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "card/card_profile.hpp"
#include "card/chip_session.hpp"
#include "card/pcsc.hpp"
#include "core/check.hpp"
#include "issuance/chip_image.hpp"

namespace rcperso::cli {

struct ReaderArgs {
  std::string reader;    // name, unique substring or index; empty: the only reader
  std::string apdu_log;  // QA log of headers and status words, never secrets
  double wait_seconds = 0;
};

void add_reader_options(CLI::App& app, ReaderArgs& args);

struct ConnectedCard {
  std::unique_ptr<card::PcscContext> context;
  std::string reader;
  std::unique_ptr<card::PcscCard> card;
};

/// Resolves the reader, waits up to --wait for a card, connects exclusively.
ConnectedCard connect_card(const ReaderArgs& args);

struct AccessKeyArgs {
  std::vector<std::string> bac;  // DOCNO DOB DOE
  std::string mrz;               // the MRZ lines
  std::string can;               // card access number (PACE)
};

void add_access_key_options(CLI::App& app, AccessKeyArgs& args);
/// BAC's MRZ_information from --bac or --mrz; empty when neither was given.
/// Throws ValidationError naming the option for malformed values.
std::string mrz_information_from(const AccessKeyArgs& args);

/// Reads the chip in the reader as an inspection system does: EF.CardAccess
/// first; PACE with the CAN or the MRZ when the chip offers it, BAC with the
/// MRZ only when it does not; then the eMRTD application, with the card
/// profile's read limits when one is given. `access` tells what was used;
/// `mechanisms` gets a line for Chip Authentication (run when DG14 offers it).
issuance::ChipImage read_card(card::Transport& card, const AccessKeyArgs& key,
                              const std::optional<card::CardProfile>& profile, std::string& access,
                              std::vector<Check>& mechanisms,
                              const card::TerminalCredentials* terminal = nullptr);

/// What rcverify and rcdump need to read a card instead of a chip image directory.
struct CardReadArgs {
  ReaderArgs reader;
  AccessKeyArgs key;
  std::string card_profile;
  std::string save_dir;
  std::vector<std::string> terminal_certs;  // DV and terminal (IS) CV certificates
  std::string terminal_key;                 // the terminal's private key (PEM)
  CLI::Option* reader_option = nullptr;
};

/// Loads --terminal-cert/--terminal-key and checks them as an inspection system would before it
/// touches the card: a chain DV -> terminal, in force today, granting fingerprint (DG3) access.
/// Nothing given: nullopt. Throws ValidationError naming the option and the problem.
std::optional<card::TerminalCredentials> load_terminal_credentials(const CardReadArgs& args);

/// --reader (excluding the CHIPDIR positional), --apdu-log, --wait, --bac/--mrz/--can, --card-profile,
/// --save.
void add_card_read_options(CLI::App& app, CardReadArgs& args, CLI::Option* chip_dir);
bool reading_a_card(const CardReadArgs& args);
/// Checks the key and --save, connects, reads (see read_card) and keeps the
/// result with --save. Throws card::AccessDenied when access control fails.
issuance::ChipImage read_card_for_inspection(const CardReadArgs& args, std::string& access,
                                             std::vector<Check>& mechanisms);

/// Fails early (before the card is read) if --save cannot be created.
void check_new_directory(const std::string& dir, const char* option);
/// Keeps what was read as a chip image directory (with a manifest of hashes).
void save_card_image(issuance::ChipImage chip, const std::string& dir, const std::string& reader);

}  // namespace rcperso::cli
