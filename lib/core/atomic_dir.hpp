// Writes a directory all at once: files go to a private staging directory
// beside the target, which is renamed into place only when complete. A run
// that fails (or crashes) leaves no directory under the target name.
#pragma once

#include <filesystem>
#include <string>

#include "core/bytes.hpp"

namespace rcperso {

class AtomicDirectory {
 public:
  /// Fails if `target` already exists (never overwrite an issued chip image by accident).
  explicit AtomicDirectory(std::filesystem::path target);
  ~AtomicDirectory();  // removes the staging directory unless committed
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;

  /// Writes one file (mode 0644, or 0600 when `private_file`) and fsyncs it.
  void write(const std::string& name, ByteView data, bool private_file = false);
  /// fsyncs and renames the staging directory to the target.
  void commit();
  const std::filesystem::path& staging() const { return staging_; }

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

/// Writes one file atomically (temp file + fsync + rename).
void write_file_atomic(const std::filesystem::path& path, ByteView data, bool private_file = false);

}  // namespace rcperso
