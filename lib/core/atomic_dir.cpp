#include "core/atomic_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "core/error.hpp"
#include "core/wipe.hpp"

namespace rcperso {

namespace fs = std::filesystem;

namespace {
void write_all_fd(int fd, ByteView data, const fs::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(path.string() + ": write failed: " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

void write_new_file(const fs::path& path, ByteView data, bool private_file) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, private_file ? 0600 : 0644);
  if (fd < 0) throw Error(path.string() + ": cannot create: " + std::strerror(errno));
  try {
    write_all_fd(fd, data, path);
    if (::fsync(fd) != 0) throw Error(path.string() + ": fsync failed: " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw Error(path.string() + ": close failed: " + std::strerror(errno));
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

AtomicDirectory::AtomicDirectory(fs::path target) : target_(std::move(target)) {
  if (target_.filename().empty()) target_ = target_.parent_path();
  std::error_code ec;
  if (fs::exists(target_, ec)) {
    throw Error(target_.string() + ": already exists; choose a new output directory");
  }
  fs::path parent = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) {
    throw Error(parent.string() + ": parent directory does not exist");
  }
  std::string hidden = ".";  // built piecewise: GCC 12 warns falsely (-Wrestrict) on "." + string
  hidden += target_.filename().string();
  hidden += ".partial-XXXXXX";
  std::string templ = (parent / hidden).string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw Error(parent.string() + ": cannot create a staging directory: " + std::strerror(errno));
  }
  staging_ = templ;
}

AtomicDirectory::~AtomicDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

void AtomicDirectory::write(const std::string& name, ByteView data, bool private_file) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    throw Error("invalid file name in chip image: " + name);
  }
  write_new_file(staging_ / name, data, private_file);
}

void AtomicDirectory::commit() {
  ::chmod(staging_.c_str(), 0755);
  fsync_dir(staging_);
  // renameat2(RENAME_NOREPLACE) would be ideal; a plain rename onto a missing
  // target is atomic, and an existing empty directory must not be replaced.
  std::error_code ec;
  if (fs::exists(target_, ec)) throw Error(target_.string() + ": appeared while writing; not replaced");
  if (::rename(staging_.c_str(), target_.c_str()) != 0) {
    throw Error(target_.string() + ": cannot move chip image into place: " + std::strerror(errno));
  }
  committed_ = true;
  fsync_dir(target_.has_parent_path() ? target_.parent_path() : fs::path("."));
}

void write_file_atomic(const fs::path& path, ByteView data, bool private_file) {
  fs::path tmp = path;
  tmp += ".partial-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove(tmp, ec);
  // Named by the file the user asked for, not by the temporary beside it.
  fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(parent, ec))
    throw Error(path.string() + ": cannot write: no directory " + parent.string());
  // A private temporary that failed half-written may hold part of the data: erased, not unlinked.
  auto discard = [&] {
    if (private_file && fs::is_regular_file(tmp, ec)) {
      try {
        wipe_file(tmp, "temporary file");
        return;
      } catch (const Error&) {
      }
    }
    fs::remove(tmp, ec);
  };
  try {
    write_new_file(tmp, data, private_file);
  } catch (...) {
    discard();
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    discard();
    throw Error(path.string() + ": cannot write: " + std::strerror(saved));
  }
}

}  // namespace rcperso
