// The application record: one JSON file per card (docs/application-record.md).
// Loading validates everything against the document profile and reports
// every problem in one ValidationError, each naming its field.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/date.hpp"
#include "core/secure_bytes.hpp"
#include "image/image.hpp"
#include "issuance/document_profile.hpp"

namespace rcperso::issuance {

/// One input image: where it came from, its bytes, and its decoded pixels.
struct InputImage {
  std::string field;  // "biometrics.face", for messages
  std::filesystem::path path;
  Bytes data;
  image::Info info{};
  /// Decoded pixels. For an image that goes onto the chip as it is (see
  /// kept_as_is) this is a reduced decode, enough to validate it; empty for
  /// a WSQ fingerprint kept as it is (checked from its wavelet coefficients).
  image::Raster raster;
  int ppi = -1;  // fingerprints: the resolution a WSQ's NIST_COM, a PNG's pHYs or a JP2's res box states, -1
                 // when none
  /// Fingerprints captured at the profile's fingerprints.downsample_from_ppi (1000): the resolution
  /// they came in at; `raster` and `info`'s size are then the 2:1 downsampled image, at `ppi`.
  int downsampled_from_ppi = 0;
};

/// A face that is already a JPEG of the profile's size, colour and budget
/// goes onto the chip unchanged.
bool face_kept_as_is(const InputImage& face, const DocumentProfile& profile);
/// Likewise a fingerprint already in the profile's format (WSQ or JPEG 2000)
/// within the byte budget.
bool finger_kept_as_is(const InputImage& finger, const DocumentProfile& profile);
/// And a signature that is already an 8-bit grayscale JPEG within the profile's
/// largest size and byte budget (what DG7 would get after re-encoding).
bool signature_kept_as_is(const InputImage& signature, const DocumentProfile& profile);

struct FingerprintInput {
  std::string position;            // "right_index"
  std::uint8_t position_code = 0;  // ISO/IEC 19794-4 finger position
  InputImage image;
};

struct Application {
  struct Document {
    std::string number;
    std::string issuing_state;
    Date date_of_issue;
    Date date_of_expiry;
    std::string permit_type;
    std::string issuing_authority;
    std::string remarks;
    /// The card access number printed on the card (PACE with the CAN); empty when not used.
    SecureString card_access_number;
  } document;
  struct Holder {
    std::string surname;      // UTF-8, national characters
    std::string given_names;  // UTF-8, may be empty
    std::string nationality;
    char sex = 'X';  // 'F', 'M' or 'X'
    Date date_of_birth;
    std::string place_of_birth;
    std::string personal_number;
    std::optional<std::string> fingerprint_exemption;  // "physically_unable"
  } holder;
  InputImage face;
  std::vector<FingerprintInput> fingerprints;
  std::optional<InputImage> signature;
  std::filesystem::path source;

  int age_at_issue() const { return document.date_of_issue.years_since(holder.date_of_birth); }
};

struct LoadOptions {
  Date today = Date::today_utc();  // "birth in the future" is judged against this
  std::size_t max_image_bytes = 20U * 1024U * 1024U;
};

/// Parses and validates `path`. Throws ValidationError listing every problem.
Application load_application(const std::filesystem::path& path, const DocumentProfile& profile,
                             const LoadOptions& options = {});
/// Same, from JSON text; image paths are relative to `base_dir`.
Application parse_application(std::string_view json_text, const std::filesystem::path& base_dir,
                              const std::string& source_name, const DocumentProfile& profile,
                              const LoadOptions& options = {});

}  // namespace rcperso::issuance
