// Inspection of a chip image the way an inspection system checks a chip:
// the structure of every file, Passive Authentication, the images, and the
// issuer's rules of the document profile. One Check per line of the report;
// the chip passes only if no check fails.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/check.hpp"
#include "issuance/chip_image.hpp"
#include "issuance/document_profile.hpp"

namespace rcperso::inspection {

struct VerifyOptions {
  std::vector<std::string> csca_files;  // PEM or DER
  std::vector<std::string> crl_files;
  /// The issuer's rules are checked only with a profile (from --profile or the manifest).
  std::optional<issuance::DocumentProfile> profile;
};

struct VerifyReport {
  std::vector<Check> checks;
  bool passed() const;
  nlohmann::json to_json() const;
  std::string to_text() const;
};

/// Throws rcperso::Error only for unusable inputs (a CSCA or CRL file that
/// cannot be read); everything wrong with the chip is a failed check.
VerifyReport verify_chip(const issuance::ChipImage& chip, const VerifyOptions& options);

}  // namespace rcperso::inspection
