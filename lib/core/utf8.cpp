#include "core/utf8.hpp"

#include <cstdint>

namespace rcperso {

namespace {
// Decodes one code point at `i`; returns false on malformed input.
bool next_code_point(std::string_view s, std::size_t& i, std::uint32_t& cp) {
  auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  std::uint8_t b0 = byte(i);
  std::size_t extra = 0;
  if (b0 < 0x80) {
    cp = b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    cp = b0 & 0x1FU;
    extra = 1;
  } else if ((b0 & 0xF0) == 0xE0) {
    cp = b0 & 0x0FU;
    extra = 2;
  } else if ((b0 & 0xF8) == 0xF0) {
    cp = b0 & 0x07U;
    extra = 3;
  } else {
    return false;
  }
  if (extra > s.size() - i - 1) return false;
  for (std::size_t k = 1; k <= extra; ++k) {
    std::uint8_t b = byte(i + k);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3FU);
  }
  static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += extra + 1;
  return true;
}
}  // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  std::uint32_t cp = 0;
  while (i < text.size()) {
    if (!next_code_point(text, i, cp)) return false;
  }
  return true;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  std::size_t i = 0;
  std::uint32_t cp = 0;
  while (i < text.size() && next_code_point(text, i, cp)) ++n;
  return n;
}

bool has_control_characters(std::string_view text) {
  std::size_t i = 0;
  std::uint32_t cp = 0;
  while (i < text.size()) {
    if (!next_code_point(text, i, cp)) return true;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) return true;
  }
  return false;
}

}  // namespace rcperso
