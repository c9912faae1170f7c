// libFuzzer harness: image header probing and decoding (JPEG, PNG, JPEG 2000, WSQ).
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "image/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  ByteView in(data, size);
  try {
    auto info = image::probe(in, "fuzz");
    // Keep each run short: the decoders accept up to 100 Mpixel, the fuzzer need not.
    if (static_cast<long long>(info.width) * info.height <= 4LL * 1000 * 1000) {
      auto r = image::decode(in, "fuzz", 64, 64);
      if (r.width > 0 && r.height > 0) (void)image::is_blank(r);
    }
  } catch (const Error&) {
  }
  return 0;
}
