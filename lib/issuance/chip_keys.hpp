// The chip's private keys that preparation makes (Chip Authentication; Active
// Authentication later). They never sit in the chip image directory: in
// memory they are wiped, and on disk (between `rcperso prepare` and `rcperso
// write`) they live in a private file of their own (0600) that is erased once
// the card holding them is issued.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/secure_bytes.hpp"

namespace rcperso::issuance {

inline constexpr const char* kChipKeysFormat = "rcperso-chip-keys/1";

struct ChipKeys {
  /// The private scalar of DG14's Chip Authentication public key.
  std::optional<SecureBytes> chip_authentication;
  /// Active Authentication's private key: the RSA private exponent or the EC scalar (DG15 has the rest).
  std::optional<SecureBytes> active_authentication;
  /// PACE's card access number (digits), loaded as the chip's CAN password.
  std::optional<SecureBytes> card_access_number;

  bool empty() const { return !chip_authentication && !active_authentication && !card_access_number; }
};

/// Writes the keys to `path` (mode 0600, atomically), tagged with the
/// document number so they cannot be paired with the wrong chip image.
/// Refuses an existing file: a key belongs to exactly one card.
void write_chip_keys(const ChipKeys& keys, const std::string& document_number,
                     const std::filesystem::path& path);
/// Reads a chip key file; throws rcperso::Error naming the file and line for
/// anything malformed, and when it belongs to another document number.
ChipKeys read_chip_keys(const std::filesystem::path& path, const std::string& document_number);
/// Overwrites the file with zeros, syncs it and removes it.
void erase_chip_keys(const std::filesystem::path& path);

}  // namespace rcperso::issuance
