#include "core/wipe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace rcperso {

void wipe_file(const std::filesystem::path& path, const std::string& what) {
  const std::string where = path.string();
  int fd = ::open(where.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int e = errno;
    throw Error(
        where + ": cannot erase " + what + ": " +
        (e == ELOOP ? std::string("it is a symbolic link; erase the file it points to") : std::strerror(e)));
  }
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (ok) {
    std::vector<unsigned char> zeros(64 * 1024, 0);
    auto left = static_cast<std::size_t>(st.st_size);
    while (ok && left > 0) {
      std::size_t n = std::min(left, zeros.size());
      ssize_t written = ::write(fd, zeros.data(), n);
      if (written < 0 && errno == EINTR) continue;
      ok = written > 0;
      if (ok) left -= static_cast<std::size_t>(written);
    }
    ok = ok && ::fsync(fd) == 0;
  }
  int e = errno;
  ::close(fd);
  if (!ok) throw Error(where + ": erasing " + what + " failed: " + std::strerror(e));
  if (::unlink(where.c_str()) != 0)
    throw Error(where + ": removing " + what + " failed: " + std::strerror(errno));
}

void wipe_directory(const std::filesystem::path& dir, const std::string& what) {
  std::error_code ec;
  auto status = std::filesystem::symlink_status(dir, ec);
  if (ec || !std::filesystem::is_directory(status))
    throw Error(dir.string() + ": cannot erase " + what + ": not a directory");
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) files.push_back(it->path());
  }
  if (ec) throw Error(dir.string() + ": cannot erase " + what + ": " + ec.message());
  for (const auto& f : files) wipe_file(f, what);
  std::filesystem::remove_all(dir, ec);
  if (ec) throw Error(dir.string() + ": removing " + what + " failed: " + ec.message());
}

}  // namespace rcperso
