// libFuzzer harness: command/response APDU parsing and secure messaging
// unwrapping of responses from a (possibly hostile) card, and its CPLC.
#include <cstddef>
#include <cstdint>

#include "card/card_identity.hpp"
#include "core/error.hpp"
#include "iso7816/apdu.hpp"
#include "secure/secure_messaging.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  ByteView in(data, size);
  try {
    auto c = iso7816::CommandApdu::decode(in);
    (void)c.encode();
  } catch (const Error&) {
  }
  try {
    (void)card::parse_cplc(in).identifier();
  } catch (const Error&) {
  }
  for (auto cipher : {secure::SmCipher::Tdes, secure::SmCipher::Aes}) {
    try {
      std::size_t n = cipher == secure::SmCipher::Tdes ? 8 : 16;
      secure::SessionKeys keys{cipher, SecureBytes(16, 0x11), SecureBytes(16, 0x22), Bytes(n, 0)};
      secure::SecureMessaging sm(keys);
      (void)sm.unwrap(iso7816::ResponseApdu::decode(in));
    } catch (const Error&) {
    }
  }
  return 0;
}
