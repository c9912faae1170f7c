// UTF-8 checks for text fields that go onto the chip.
#pragma once

#include <string_view>

namespace rcperso {

/// Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);
/// Number of code points; text must be valid UTF-8.
std::size_t utf8_length(std::string_view text);
/// True if the text contains C0/C1 control characters (tab and newline included).
bool has_control_characters(std::string_view text);

}  // namespace rcperso
