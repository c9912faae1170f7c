// Inspection of a chip image (and, later, a card): Passive Authentication,
// the structure of every file, and the issuer's rules. Each check is one
// line in the report; the chip passes only if none fails.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "issuance/chip_image.hpp"
#include "issuance/document_profile.hpp"

namespace rcperso::inspection {

enum class Status { Pass, Fail, Skip };
const char* status_name(Status);

struct Check {
  std::string name;
  Status status;
  std::string detail;
};

struct VerifyOptions {
  std::vector<std::string> csca_files;  // PEM or DER
  std::vector<std::string> crl_files;
  std::optional<issuance::DocumentProfile> profile;  // rules are checked only with a profile
};

struct VerifyReport {
  std::vector<Check> checks;
  bool passed() const;
  nlohmann::json to_json() const;
  std::string to_text() const;
};

VerifyReport verify_chip(const issuance::ChipImage& chip, const VerifyOptions& options);

}  // namespace rcperso::inspection
