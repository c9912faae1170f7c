// libFuzzer harness: ISO/IEC 19794-5 face and 19794-4 finger records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "biometric/face_record.hpp"
#include "biometric/finger_record.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  ByteView in(data, size);
  try {
    auto face = biometric::FaceRecord::decode(in, "fuzz");
    if (face.encode() != Bytes(in.begin(), in.end())) std::abort();
  } catch (const Error&) {
  }
  try {
    auto finger = biometric::FingerRecord::decode(in, "fuzz");
    if (finger.encode() != Bytes(in.begin(), in.end())) std::abort();
  } catch (const Error&) {
  }
  return 0;
}
