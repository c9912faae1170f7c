// The issuer's rules as data: a document profile (profiles/documents/*.json)
// says which data groups a card carries, how images are encoded, which
// algorithms sign it, and the age and validity rules.
#pragma once

#include <filesystem>
#include <optional>

#include <string>
#include <vector>
#include "lds/card_access.hpp"

#include <nlohmann/json.hpp>

#include "core/profile_path.hpp"

namespace rcperso::issuance {

struct FaceSettings {
  int width = 480;  // pixels on the chip
  int height = 640;
  bool colour = true;           // false: Gray8
  std::string format = "jpeg";  // "jpeg" (19794-5 image data type 0) or "jpeg2000" (1)
  std::size_t max_bytes = 20000;
  int min_quality = 30;  // jpeg only: the quality range searched
  int max_quality = 95;
  double max_compression_ratio = 80.0;  // jpeg2000 only: the most it may compress to fit max_bytes
  /// DG2 record: ISO/IEC 19794-5 (5F2E) or 39794-5 (7F2E). ICAO 9303-9 lets
  /// issuers use either until 2030.
  bool iso39794 = false;
};

struct FingerprintSettings {
  int count = 2;
  int minimum_age = 6;  // on the date of issue; below it fingerprints are refused
  std::vector<std::string> preferred_positions{"right_index", "left_index"};
  std::string format = "wsq";       // "wsq" (19794-4 compression 2) or "jpeg2000" (4)
  double bitrate = 0.75;            // wsq: bits per pixel (the FBI's 15:1 setting)
  double compression_ratio = 10.0;  // jpeg2000 only
  int resolution_ppi = 500;
  /// Inputs stating this resolution (1000) are downsampled 2:1 to resolution_ppi; 0: refused.
  int downsample_from_ppi = 0;
  int min_width = 150;
  int min_height = 150;
  int max_width = 1200;
  int max_height = 1600;
  std::size_t max_bytes = 18000;
  /// DG3 records: ISO/IEC 19794-4 (5F2E) or 39794-4 (7F2E), as for the face.
  bool iso39794 = false;
};

struct SignatureImageSettings {
  int minimum_age = 6;
  bool required = true;  // from minimum_age on
  int max_width = 800;
  int max_height = 400;
  std::size_t max_bytes = 12000;
};

struct ValidityRules {
  int adult_age = 18;
  int max_years_minor = 5;
  int max_years_adult = 10;
};

/// What stays on disk after a card is issued (verified and locked). Personal data the card now
/// carries is erased by default: the operator keeps it only by saying so in the profile.
struct RetentionSettings {
  bool keep_input_images = false;  // the face, finger and signature files an order names (batch)
  bool keep_chip_image = false;    // a prepared chip image directory (write, issue --keep)
};

/// Chip Authentication v1: the protocol in DG14's ChipAuthenticationInfo and
/// the group of the chip key pair made for every card: a curve for
/// id-CA-ECDH-*, a standardized MODP group (parameter ID 0-2) for id-CA-DH-*.
struct ChipAuthenticationSettings {
  std::string protocol;         // id-CA-ECDH-* or id-CA-DH-*, dotted
  std::string curve;            // "brainpoolP256r1"; empty for DH
  std::optional<int> dh_group;  // 0, 1 or 2 (RFC 5114); only for DH
};

struct DocumentProfile {
  std::string name;  // "dk-residence-card"
  std::string description;
  std::string mrz_layout = "TD1";
  std::string document_code = "IR";
  std::string issuing_state = "DNK";
  std::string lds_version = "0108";  // "0108" writes LDSSecurityObject v1 with LdsVersionInfo
  std::string unicode_version = "040000";
  std::vector<int> data_groups{1, 2, 3, 7, 11, 12};
  std::string hash_algorithm = "SHA-256";  // data group hashes and the CMS digest
  std::string ec_signature_scheme = "ecdsa";
  std::string rsa_signature_scheme = "rsa-pss";
  FaceSettings face;
  FingerprintSettings fingerprints;
  SignatureImageSettings signature;
  ValidityRules validity;
  RetentionSettings retention;
  /// PACE protocols the chip offers (EF.CardAccess), in order of preference;
  /// empty: BAC only. BAC stays available for legacy readers when `bac` is set.
  std::vector<lds::PaceInfo> pace;
  bool bac = true;
  /// Chip Authentication with a key pair made in preparation (DG14); none: no CA.
  std::optional<ChipAuthenticationSettings> chip_authentication;
  /// Active Authentication key made in preparation (DG15): "rsa-2048", "ecdsa-brainpoolP256r1-sha256"...
  std::optional<std::string> active_authentication;
  /// Terminal Authentication v1 protects DG3 (and DG4): DG14 names id-TA, EF.CVCA the trusted CVCA.
  bool terminal_authentication = false;
  std::filesystem::path source;  // file it was loaded from

  bool has_dg(int dg) const;
  int lds_security_object_version() const { return lds_version >= "0108" ? 1 : 0; }

  /// Strict: unknown keys and wrong types are errors naming the key and the file.
  static DocumentProfile from_json(const nlohmann::json& j, const std::string& source_name);
  static DocumentProfile load(const std::filesystem::path& path);
  /// A path to a .json file, or a profile name looked up in the profile directories.
  static DocumentProfile resolve(const std::string& name_or_path);
};

/// For a PACE-CAM PACEInfo: what keeps the profile from issuing it ("" if nothing, and for other
/// mappings). PACE-CAM's static key is the Chip Authentication key of DG14, so it needs
/// chip_authentication on the PACEInfo's curve (ICAO 9303-11 §4.4.3.5, TR-03110-3).
std::string pace_cam_problem(const DocumentProfile& profile, const lds::PaceInfo& pace);

}  // namespace rcperso::issuance
