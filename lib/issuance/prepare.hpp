// Data preparation: a validated application record becomes the complete,
// signed content of a chip (plan -> prepare -> sign in DESIGN.md).
#pragma once

#include <ctime>
#include <optional>

#include "issuance/application.hpp"
#include "issuance/chip_image.hpp"
#include "issuance/document_profile.hpp"
#include "pki/signer.hpp"
#include "secure/active_auth.hpp"

namespace rcperso::issuance {

struct PrepareOptions {
  std::time_t now = std::time(nullptr);  // signing time and DG12 personalization time
  /// Production mode refuses the TEST ONLY sample keys.
  bool production = false;
  /// The CVCA certificate (7F21) whose key the chip trusts for Terminal Authentication; needed when
  /// the profile protects fingerprints with it.
  std::optional<Bytes> cvca_certificate;
  /// The chip generates its Chip and Active Authentication key pairs itself: the image leaves
  /// EF.DG14, EF.DG15, EF.COM and EF.SOD pending (the manifest says so) for seal_chip_image.
  bool keys_on_chip = false;
};

/// The public keys that DG14 and DG15 publish, made in preparation or generated on the chip.
struct ChipPublicKeys {
  std::optional<Bytes> chip_authentication;                // SubjectPublicKeyInfo, explicit curve
  std::optional<secure::AaKeyPair> active_authentication;  // its public half: DG15's key, DG14's entry
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

/// The key pairs an image prepared with keys_on_chip awaits from the chip under `profile` (the
/// chip_image.hpp names and values). Throws rcperso::Error when the profile has none the chip can make.
std::map<std::string, std::string> keys_on_chip_for(const DocumentProfile& profile);

/// Throws rcperso::Error unless `profile` is the one the image was prepared with and asks for
/// exactly the key pairs the image awaits from the chip (checked before a card is touched).
void check_keys_on_chip_match(const ChipImage& image, const DocumentProfile& profile);
/// Completes an image prepared with keys_on_chip once the chip has generated its key pairs: DG14,
/// DG15, EF.COM and EF.SOD over all data groups, signed at `now`. Throws rcperso::Error when the
/// image is not pending, the profile is not the image's, or the keys are not the ones it awaits.
void seal_chip_image(ChipImage& image, const DocumentProfile& profile, pki::Signer& signer,
                     const ChipPublicKeys& keys, std::time_t now, bool production = false);

/// Text stored in DG12 (endorsements) when the holder is exempt from
/// fingerprinting; rcdump and rcverify look for it.
inline constexpr const char* kFingerprintExemptionText = "FINGERPRINTS EXEMPT: PHYSICALLY UNABLE";

}  // namespace rcperso::issuance
