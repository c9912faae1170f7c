// A chip image: the exact bytes of every elementary file that goes onto the
// chip, plus a manifest. On disk it is a directory written atomically.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "issuance/chip_keys.hpp"

namespace rcperso::issuance {

inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kManifestFormat = "rcperso-chip-image/1";
inline constexpr std::size_t kMaxElementaryFileSize = 1024U * 1024U;

// NOLINTNEXTLINE(bugprone-exception-escape): the implicit moves of nlohmann::json do not throw
struct ChipImage {
  std::map<std::string, Bytes> files;  // "EF.COM" -> bytes
  nlohmann::json manifest;             // empty when read from a card
  /// Where the files on disk disagree with the manifest (a tampered or
  /// damaged image); reported by rcverify as a failed check, not thrown.
  std::vector<std::string> manifest_problems;
  /// The chip's private keys, made in preparation. In memory only:
  /// write_chip_image never writes them (see chip_keys.hpp for their own file).
  ChipKeys keys;
  /// Key pairs the chip generates itself (GENERATE ASYMMETRIC KEY PAIR): "chip_authentication" ->
  /// its curve, "active_authentication" -> its key spec. Kept in the manifest as "keys_on_chip".
  std::map<std::string, std::string> keys_on_chip;
  /// The CVCA certificate the chip is to trust for Terminal Authentication (public; kept in the
  /// manifest as "cvca_certificate").
  Bytes trust_point;
  /// Files the chip would not give this reader (EF.DG3 without Terminal
  /// Authentication): name -> why. Inspection reports them as not checked.
  std::map<std::string, std::string> withheld;

  const Bytes* file(const std::string& name) const;
  /// Prepared for keys made on the chip and not sealed yet: no DG14/DG15, EF.COM or EF.SOD until
  /// the chip has answered with its public keys. Never a complete image.
  bool awaits_chip_keys() const { return !keys_on_chip.empty() && file("EF.SOD") == nullptr; }
  /// DG number -> bytes for every EF.DGn present.
  std::map<int, Bytes> data_groups() const;
  /// The same without copying: DG number -> the file in `files`.
  std::map<int, const Bytes*> data_group_files() const;
};

/// SHA-256 digests already computed (for EF.SOD), by file name, so the manifest need not hash again.
using Sha256ByFile = std::map<std::string, Bytes>;
/// Fills manifest["files"] with name, FID, size and SHA-256 of every file, taking the digest from
/// `known` where it holds one for that file (its caller hashed exactly the bytes in `image`).
void describe_files(ChipImage& image, const Sha256ByFile& known = {});
/// Writes the directory atomically; fails if `dir` exists.
void write_chip_image(const ChipImage& image, const std::filesystem::path& dir);
/// Reads a chip image directory: known EF names only, bounded sizes; the
/// manifest, if present, is compared with the files (size and SHA-256).
ChipImage read_chip_image(const std::filesystem::path& dir);

}  // namespace rcperso::issuance
