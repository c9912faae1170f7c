// libFuzzer harness: the RFC 7512 PKCS#11 URI parser and its normal form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "pki/pkcs11_uri.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  std::string text(reinterpret_cast<const char*>(data), size);
  for (const std::string& input : {text, "pkcs11:" + text}) {
    try {
      auto uri = pki::parse_pkcs11_uri(input);
      // The printed form parses back to itself and never carries the PIN.
      std::string printed = uri.to_string();
      auto again = pki::parse_pkcs11_uri(printed);
      if (again.to_string() != printed || again.pin_value) std::abort();
      if (again.token != uri.token || again.object != uri.object || again.id != uri.id ||
          again.module_path != uri.module_path || again.pin_source != uri.pin_source) {
        std::abort();
      }
    } catch (const Error&) {
    }
    (void)pki::printable_signer_spec(input);
  }
  return 0;
}
