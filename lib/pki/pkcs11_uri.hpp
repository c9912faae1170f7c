// PKCS#11 URIs (RFC 7512): which module, token and object a signer uses.
// The parser is strict: unknown, repeated or malformed attributes are refused
// with a message naming the attribute, never echoing a PIN.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "core/secure_bytes.hpp"

namespace rcperso::pki {

struct Pkcs11Uri {
  // Path attributes (what to match). Text is percent-decoded UTF-8; `id` is raw bytes.
  std::optional<std::string> token;                 // CK_TOKEN_INFO label
  std::optional<std::string> manufacturer;          // CK_TOKEN_INFO manufacturerID
  std::optional<std::string> serial;                // CK_TOKEN_INFO serialNumber
  std::optional<std::string> model;                 // CK_TOKEN_INFO model
  std::optional<std::string> object;                // CKA_LABEL
  std::optional<Bytes> id;                          // CKA_ID
  std::optional<std::string> type;                  // public, private, cert, secret-key, data
  std::optional<std::string> library_manufacturer;  // CK_INFO manufacturerID
  std::optional<std::string> library_description;   // CK_INFO libraryDescription
  std::optional<std::string> library_version;       // "M" or "M.m", CK_INFO libraryVersion
  std::optional<std::uint64_t> slot_id;             // CK_SLOT_ID
  std::optional<std::string> slot_description;      // CK_SLOT_INFO slotDescription
  std::optional<std::string> slot_manufacturer;     // CK_SLOT_INFO manufacturerID
  // Query attributes (how to get there).
  std::optional<std::string> pin_source;   // "file:PATH"
  std::optional<SecureString> pin_value;   // the PIN itself: kept in wiped memory, never printed
  std::optional<std::string> module_name;  // "softhsm2" -> libsofthsm2.so in the module directories
  std::optional<std::string> module_path;  // a module file, or a directory to find module_name in

  /// The URI in normal form (attributes in a fixed order, values re-escaped) with any pin-value left out.
  std::string to_string() const;
};

/// Parses "pkcs11:..." (at most 4096 characters); throws rcperso::Error naming the attribute at fault.
Pkcs11Uri parse_pkcs11_uri(const std::string& text);

/// The spec as it may appear in messages and logs: a PKCS#11 URI without its PIN (or a placeholder when
/// it does not even parse), anything else unchanged.
std::string printable_signer_spec(const std::string& spec);

}  // namespace rcperso::pki
