// libFuzzer harness: every LDS file decoder, chosen by the outer tag, and
// the property that whatever decodes re-encodes to exactly the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/error.hpp"
#include "lds/biometric_dg.hpp"
#include "lds/card_access.hpp"
#include "lds/com.hpp"
#include "lds/dg1.hpp"
#include "lds/dg11.hpp"
#include "lds/dg12.hpp"
#include "lds/dg7.hpp"
#include "lds/security_dg.hpp"
#include "lds/security_infos.hpp"
#include "lds/sod.hpp"

namespace {
template <typename T>
void round_trip(rcperso::ByteView in) {
  try {
    T value = T::decode(in);
    rcperso::Bytes again = value.encode();
    if (again.size() != in.size() || !std::equal(again.begin(), again.end(), in.begin())) std::abort();
  } catch (const rcperso::Error&) {
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  ByteView in(data, size);
  if (size == 0) return 0;
  switch (data[0]) {
    case 0x60:
      round_trip<lds::Com>(in);
      break;
    case 0x61:
      round_trip<lds::Dg1>(in);
      break;
    case 0x75:
      round_trip<lds::Dg2>(in);
      break;
    case 0x63:
      round_trip<lds::Dg3>(in);
      break;
    case 0x67:
      round_trip<lds::Dg7>(in);
      break;
    case 0x6B:
      round_trip<lds::Dg11>(in);
      break;
    case 0x6C:
      round_trip<lds::Dg12>(in);
      break;
    case 0x6E:
      round_trip<lds::Dg14>(in);
      try {  // the typed Chip Authentication entries must decode strictly and re-encode exactly
        for (const auto& offer : lds::chip_authentication_offers(lds::Dg14::decode(in))) {
          if (!offer.key.subject_public_key_info.empty() &&
              lds::ChipAuthenticationPublicKeyInfo::decode(offer.key.encode()).encode() != offer.key.encode())
            std::abort();
        }
      } catch (const Error&) {
      }
      break;
    case 0x6F:
      round_trip<lds::Dg15>(in);
      break;
    case 0x77:
      try {
        auto sod = lds::Sod::decode(in);
        if (sod.lso.encode() != sod.econtent && !sod.lso.hashes.empty()) {
          // The LSO is decoded strictly (DER), so it must re-encode exactly.
          std::abort();
        }
      } catch (const Error&) {
      }
      break;
    case 0x30:
      round_trip<lds::LdsSecurityObject>(in);
      break;
    case 0x31:  // EF.CardAccess: PACEInfos are re-encoded first, so compare decoded values
      try {
        auto ca = lds::CardAccess::decode(in);
        auto again = lds::CardAccess::decode(ca.encode());
        if (!(again.pace == ca.pace) || again.others.size() != ca.others.size()) std::abort();
      } catch (const Error&) {
      }
      break;
    default:
      break;
  }
  return 0;
}
