// libFuzzer harness: MRZ parsing, transliteration and name truncation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "mrz/mrz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)mrz::parse(text);
  } catch (const Error&) {
  }
  std::size_t split = size / 2;
  try {
    std::string field = mrz::name_field(text.substr(0, split), text.substr(split));
    if (field.size() != 30) std::abort();
  } catch (const Error&) {
  }
  return 0;
}
