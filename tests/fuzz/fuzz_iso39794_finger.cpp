// libFuzzer harness for ISO/IEC 39794-4 finger records and DG3 around them:
// the strict decoder must throw only rcperso::Error, and whatever it
// accepts as a record must encode back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "biometric/iso39794_finger.hpp"
#include "core/error.hpp"
#include "lds/biometric_dg.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rcperso::ByteView input(data, size);
  try {
    auto record = rcperso::biometric::Iso39794FingerRecord::decode(input, "fuzz");
    if (record.encode() != rcperso::Bytes(data, data + size)) std::abort();
  } catch (const rcperso::Error&) {
  }
  try {
    auto dg3 = rcperso::lds::Dg3::decode(input);
    (void)dg3.encode();  // the group header's own element order is not this harness's concern
  } catch (const rcperso::Error&) {
  }
  return 0;
}
