// A card profile: an applet's personalization command set and limits, as
// data (profiles/cards/*.json), so a new applet needs no rebuild.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "iso7816/apdu.hpp"

namespace rcperso::card {

enum class CreateFileTemplate { Fcp, Jmrtd };

struct CardProfile {
  std::string name;
  std::string description;
  iso7816::CommandApdu select_applet;
  /// SELECT of the master file, where EF.CardAccess (PACE) lives; none: the card cannot offer PACE.
  std::optional<iso7816::CommandApdu> select_mf;
  CreateFileTemplate create_file = CreateFileTemplate::Fcp;
  std::size_t max_file_size = 32767;
  std::size_t chunk_plain = 255;    // UPDATE BINARY data bytes per command
  std::size_t read_chunk = 255;     // READ BINARY bytes per command, plain
  std::size_t read_chunk_sm = 223;  // ... and under secure messaging
  bool extended_length = false;
  bool odd_ins = false;                          // D7/B1 for offsets beyond 32767
  std::optional<iso7816::CommandApdu> bac_seed;  // header of PUT DATA for the BAC seed
  bool pad_document_number = true;
  /// PUT DATA headers that load private keys, by key ("aa_rsa_modulus", "ca_ec", ...).
  /// Chip images do not carry private keys yet; Active and Chip Authentication keys use these.
  std::map<std::string, iso7816::CommandApdu> private_keys;
  /// GENERATE ASYMMETRIC KEY PAIR headers (INS 46) for key pairs the chip makes itself, by key:
  /// "ca_ec" (Chip Authentication on an explicit prime curve), "aa_ec", "aa_rsa" (Active Authentication).
  std::map<std::string, iso7816::CommandApdu> generate_keys;
  std::optional<iso7816::CommandApdu> lock;
  std::optional<iso7816::CommandApdu> erase;  // back to blank, for torn cards
  /// Some file systems start empty: create the application's DF (this FID,
  /// with the eMRTD AID as its name) when SELECT by AID finds nothing.
  std::optional<std::uint16_t> create_application_df;
  bool update_needs_le = false;      // quirk: UPDATE BINARY must carry Le
  bool update_accepts_6282 = false;  // quirk: UPDATE BINARY answers 6282 on success

  static CardProfile load(const std::filesystem::path& path);
  /// A .json path, or a name looked up in the profile directories' cards/.
  static CardProfile resolve(const std::string& name_or_path);
};

}  // namespace rcperso::card
