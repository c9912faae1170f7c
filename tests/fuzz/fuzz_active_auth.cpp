// libFuzzer harness: Active Authentication on untrusted bytes. The first
// byte chooses the target: a DG15 SubjectPublicKeyInfo, an
// ActiveAuthenticationInfo (which must re-encode exactly), or a chip's
// answer checked against a fixed RSA or EC key. Verification must never
// throw, and must never accept: the keys are made at start-up, so no input
// can carry a valid signature.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/error.hpp"
#include "lds/active_auth_info.hpp"
#include "secure/active_auth.hpp"

namespace {
const rcperso::secure::AaPublicKey& key(bool rsa) {
  static const rcperso::secure::AaPublicKey r =
      rcperso::secure::aa_public_key(rcperso::secure::generate_aa_key("rsa-1024").public_key_info);
  static const rcperso::secure::AaPublicKey e = rcperso::secure::aa_public_key(
      rcperso::secure::generate_aa_key("ecdsa-brainpoolP256r1-sha256", true).public_key_info);
  return rsa ? r : e;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  if (size == 0) return 0;
  ByteView in(data + 1, size - 1);
  const Bytes challenge = {0xF1, 0x73, 0x58, 0x99, 0x74, 0xBF, 0x40, 0xC6};
  switch (data[0] % 4) {
    case 0:
      try {
        (void)secure::aa_public_key(in);
      } catch (const Error&) {
      }
      break;
    case 1:
      try {
        auto info = lds::ActiveAuthenticationInfo::decode(in);
        Bytes again = info.encode();
        if (again.size() != in.size() || !std::equal(again.begin(), again.end(), in.begin())) std::abort();
      } catch (const Error&) {
      }
      break;
    default: {
      auto r = secure::verify_active_authentication(key(data[0] % 4 == 2), pki::HashAlgorithm::Sha256,
                                                    challenge, in);
      if (r.ok || r.reason.empty()) std::abort();
      break;
    }
  }
  return 0;
}
