// Shared helpers for the unit tests: synthetic images and temporary directories.
#pragma once

#include <filesystem>
#include <string>

#include "core/bytes.hpp"
#include "core/secure_bytes.hpp"
#include "image/image.hpp"
#include "issuance/document_profile.hpp"
#include "issuance/prepare.hpp"

namespace rcperso::test {

/// Sweeps that pull the card at every APDU of a run take every APDU in the Release tests and one
/// in kSweepStride under the sanitizers, where each run is ten times slower.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr std::size_t kSweepStride = 3;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr std::size_t kSweepStride = 3;
#else
inline constexpr std::size_t kSweepStride = 1;
#endif
#else
inline constexpr std::size_t kSweepStride = 1;
#endif

/// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  void write(const std::string& name, ByteView data) const;
  void write_text(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

image::Raster synthetic_face(int width, int height);
image::Raster synthetic_finger(int width, int height, double period = 9.0, double angle = 0.3);
image::Raster uniform_gray(int width, int height, std::uint8_t value);
image::Raster synthetic_signature(int width, int height);

/// Writes face.jpg (600x800), right_index.png, left_index.png, signature.png into `dir`.
void write_example_images(const TempDir& dir);

/// The example record of docs/application-record.md as JSON text, adult, dates fixed.
std::string example_application_json();

std::filesystem::path source_dir();

/// Secret bytes from hex, for worked examples; and back to upper-case hex.
SecureBytes secret(const char* hex);
std::string hex(const SecureBytes& bytes);

/// Preparation options for the sample PKI: the TEST ONLY CVCA (keys-sample/eac/cvca) when the
/// profile protects fingerprints with Terminal Authentication.
issuance::PrepareOptions prepare_options(const issuance::DocumentProfile& profile);

}  // namespace rcperso::test
