// Data preparation: a validated application record becomes the complete,
// signed content of a chip (plan -> prepare -> sign in DESIGN.md).
#pragma once

#include <ctime>
#include <optional>

#include "issuance/application.hpp"
#include "issuance/chip_image.hpp"
#include "issuance/document_profile.hpp"
#include "pki/signer.hpp"

namespace rcperso::issuance {

struct PrepareOptions {
  std::time_t now = std::time(nullptr);  // signing time and DG12 personalization time
  /// Production mode refuses the TEST ONLY sample keys.
  bool production = false;
  /// The CVCA certificate (7F21) whose key the chip trusts for Terminal Authentication; needed when
  /// the profile protects fingerprints with it.
  std::optional<Bytes> cvca_certificate;
};

/// What preparation decided about each image, for the operator (no pixels).
struct PrepareReport {
  std::string face;  // e.g. "re-encoded 480x640 JPEG q=83, 17 342 bytes"
  std::vector<std::string> fingers;
  std::string signature;
  std::string fingerprint_status;  // "2 fingerprints", "exempt: physically unable", "none: under 6"
};

ChipImage prepare(const Application& app, const DocumentProfile& profile, pki::Signer& signer,
                  const PrepareOptions& options = {}, PrepareReport* report = nullptr);

/// Text stored in DG12 (endorsements) when the holder is exempt from
/// fingerprinting; rcdump and rcverify look for it.
inline constexpr const char* kFingerprintExemptionText = "FINGERPRINTS EXEMPT: PHYSICALLY UNABLE";

}  // namespace rcperso::issuance
