// libFuzzer harness: the WSQ decoder (header probe, full decode, subband
// ridge contrast), and the encoder on whatever the decoder accepted.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "image/wsq.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  ByteView in(data, size);
  try {
    auto frame = image::wsq::probe(in, "fuzz");
    // Keep each run short: the decoder accepts up to 4096x4096, the fuzzer need not.
    if (static_cast<long long>(frame.width) * frame.height > 1000LL * 1000) return 0;
    auto decoded = image::wsq::decode(in, "fuzz");
    (void)image::wsq::ridge_contrast(in, "fuzz");
    if (decoded.raster.pixels.size() <= 128U * 128U) {
      Bytes again = image::wsq::encode(decoded.raster, {}, "fuzz");
      auto back = image::wsq::decode(again, "fuzz re-encoded");
      if (back.raster.width != decoded.raster.width || back.raster.height != decoded.raster.height)
        __builtin_trap();
    }
  } catch (const Error&) {
  }
  return 0;
}
