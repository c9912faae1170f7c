// libFuzzer harness: EF.SOD (CMS SignedData) and Passive Authentication on it,
// with the signer certificate and signature taken from the input.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "lds/sod.hpp"
#include "pki/passive_auth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  try {
    auto sod = lds::Sod::decode(ByteView(data, size));
    pki::PassiveAuthInput in;
    in.sod = &sod;
    in.data_groups[1] = Bytes{0x61, 0x00};
    (void)pki::passive_authentication(in);
  } catch (const Error&) {
  }
  return 0;
}
