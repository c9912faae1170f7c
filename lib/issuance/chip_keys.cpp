#include "issuance/chip_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "core/atomic_dir.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/wipe.hpp"

namespace rcperso::issuance {

namespace {

constexpr std::size_t kMaxKeyFile = 16 * 1024;

void append_hex(SecureString& out, const SecureBytes& bytes) {
  static const char* const kDigits = "0123456789ABCDEF";
  for (auto b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0F]);
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

void write_chip_keys(const ChipKeys& keys, const std::string& document_number,
                     const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    throw Error(path.string() +
                " exists already; chip keys are never overwritten (each belongs to one card)");
  SecureString text =
      "# rcperso chip keys: SECRET. Keep apart from the chip image; erased once the card is issued.\n";
  text += "format ";
  text += kChipKeysFormat;
  text += "\ndocument ";
  text += document_number.c_str();
  text += "\n";
  if (keys.chip_authentication) {
    text += "chip_authentication ";
    append_hex(text, *keys.chip_authentication);
    text += "\n";
  }
  if (keys.active_authentication) {
    text += "active_authentication ";
    append_hex(text, *keys.active_authentication);
    text += "\n";
  }
  if (keys.card_access_number) {
    text += "card_access_number ";
    append_hex(text, *keys.card_access_number);
    text += "\n";
  }
  write_file_atomic(path, ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), true);
}

ChipKeys read_chip_keys(const std::filesystem::path& path, const std::string& document_number) {
  const std::string where = path.string();
  int fd = ::open(where.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(where + ": cannot open the chip key file");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > static_cast<off_t>(kMaxKeyFile)) {
    ::close(fd);
    throw Error(where + ": not a chip key file (not a regular file or too large)");
  }
  if ((st.st_mode & 0077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    throw Error(where + ": the chip key file is open to other users (mode " + mode +
                "); it must be private (chmod 600)");
  }
  SecureString text(static_cast<std::size_t>(st.st_size), '\0');
  ssize_t got = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (got != st.st_size) throw Error(where + ": cannot read the chip key file");

  ChipKeys keys;
  bool format_seen = false, document_seen = false;
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == SecureString::npos) end = text.size();
    ++line_no;
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    auto space = line.find(' ');
    std::string_view key = line.substr(0, space),
                     value = space == std::string_view::npos ? "" : line.substr(space + 1);
    const std::string at = where + " line " + std::to_string(line_no);
    if (key == "format") {
      if (value != kChipKeysFormat) throw Error(at + ": unknown format '" + std::string(value) + "'");
      format_seen = true;
    } else if (key == "document") {
      if (value != document_number) {
        throw Error(where + ": these chip keys belong to document " + std::string(value) +
                    ", not to the chip image's " + document_number);
      }
      document_seen = true;
    } else if (key == "chip_authentication" || key == "active_authentication" ||
               key == "card_access_number") {
      auto& slot = key == "chip_authentication"     ? keys.chip_authentication
                   : key == "active_authentication" ? keys.active_authentication
                                                    : keys.card_access_number;
      if (slot) throw Error(at + ": " + std::string(key) + " given twice");
      // At most an RSA-4096 private exponent.
      if (value.empty() || value.size() % 2 != 0 || value.size() > 2 * 512)
        throw Error(at + ": " + std::string(key) + " must be an even number of hex digits");
      SecureBytes k(value.size() / 2);
      for (std::size_t i = 0; i < k.size(); ++i) {
        int hi = hex_value(value[2 * i]), lo = hex_value(value[2 * i + 1]);
        if (hi < 0 || lo < 0) throw Error(at + ": " + std::string(key) + " is not hex");
        k[i] = static_cast<std::uint8_t>(hi << 4 | lo);
      }
      slot = std::move(k);
    } else {
      throw Error(at + ": unknown entry '" + std::string(key) + "'");
    }
  }
  if (!format_seen || !document_seen)
    throw Error(where + ": not a chip key file (no format or document line)");
  return keys;
}

void erase_chip_keys(const std::filesystem::path& path) { wipe_file(path, "the chip key file"); }

}  // namespace rcperso::issuance
