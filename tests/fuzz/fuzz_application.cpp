// libFuzzer harness: the application record parser and validator (JSON from
// outside). Image paths point nowhere, so only the record itself is exercised.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "issuance/application.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  static const issuance::DocumentProfile profile;  // defaults are the Danish rules
  try {
    (void)issuance::parse_application(std::string_view(reinterpret_cast<const char*>(data), size),
                                      "/nonexistent-rcperso-fuzz", "fuzz.json", profile);
  } catch (const Error&) {
  }
  return 0;
}
