// libFuzzer harness for ISO/IEC 39794-5 face records and DG2 around them:
// the strict decoder must throw only rcperso::Error, and whatever it
// accepts must encode back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "biometric/iso39794_face.hpp"
#include "core/error.hpp"
#include "lds/biometric_dg.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rcperso::ByteView input(data, size);
  try {
    auto record = rcperso::biometric::Iso39794FaceRecord::decode(input, "fuzz");
    if (record.encode() != rcperso::Bytes(data, data + size)) std::abort();
  } catch (const rcperso::Error&) {
  }
  try {
    auto dg2 = rcperso::lds::Dg2::decode(input);
    (void)dg2.encode();
  } catch (const rcperso::Error&) {
  }
  return 0;
}
