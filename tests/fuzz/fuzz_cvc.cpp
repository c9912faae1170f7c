// libFuzzer harness: the CV certificate decoder. Whatever it accepts must
// re-encode to the same bytes; a self-signed certificate is also verified
// with its own key, and the describe() text is built.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/error.hpp"
#include "pki/cvc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  try {
    ByteView in(data, size);
    auto cert = pki::CvCertificate::decode(in);
    Bytes again = cert.encode();
    if (again.size() != size || !std::equal(again.begin(), again.end(), in.begin())) std::abort();
    (void)cert.describe();
    if (cert.self_signed()) (void)cert.verify(cert.public_key);
  } catch (const Error&) {
  }
  return 0;
}
