#include "core/bytes.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "core/error.hpp"

namespace rcperso {

namespace {
std::string hex_with(ByteView data, const char* digits) {
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0F]);
  }
  return out;
}
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string to_hex(ByteView data) { return hex_with(data, "0123456789abcdef"); }
std::string to_hex_upper(ByteView data) { return hex_with(data, "0123456789ABCDEF"); }

Bytes from_hex(std::string_view hex) {
  Bytes out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ':') continue;
    int v = nibble(c);
    if (v < 0) throw std::invalid_argument("invalid hex character");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>((high << 4) | v));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

void put_be(Bytes& out, std::uint64_t value, std::size_t width) {
  for (std::size_t i = width; i > 0; --i) {
    out.push_back(static_cast<std::uint8_t>(value >> (8 * (i - 1))));
  }
}

std::uint64_t get_be(ByteView in, std::size_t offset, std::size_t width) {
  if (offset > in.size() || width > in.size() - offset) {
    throw DecodeError("truncated data: need " + std::to_string(width) + " bytes at offset " +
                      std::to_string(offset));
  }
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) v = (v << 8) | in[offset + i];
  return v;
}

Bytes read_file(const std::string& path, std::size_t max_size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open: " + std::strerror(errno));
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size < 0) throw Error(path + ": cannot determine size");
  if (static_cast<std::uint64_t>(size) > max_size) {
    throw Error(path + ": file is " + std::to_string(size) + " bytes, more than the limit of " +
                std::to_string(max_size));
  }
  in.seekg(0);
  Bytes data(static_cast<std::size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(data.data()), size)) {
    throw Error(path + ": read failed");
  }
  return data;
}

}  // namespace rcperso
