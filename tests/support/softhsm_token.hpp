// A SoftHSM2 token for the PKCS#11 tests and benchmark, in a directory of its
// own (its own SOFTHSM2_CONF and token store, never the system's).
//
// Objects on the token "rcperso-test" (user PIN in DIR/pin):
//   ds-ec       id 01  keys-sample/ds-ec key (imported) and certificate
//   ds-rsa      id 02  keys-sample/ds-rsa key (imported) and certificate
//   ds-hsm      id 03  brainpoolP256r1 key pair generated inside the token (never extractable),
//                      with a TEST ONLY DS certificate issued now by the sample CSCA (csca-ec)
//   ds-mismatch id 04  keys-sample/ds-ec-expired key beside ds-ec's certificate (a wrong pair)
//   ds-nocert   id 05  keys-sample/ds-ec-revoked key without any certificate
//   ds-ed25519  id 06  an Ed25519 key pair made in the token (a key type the signer refuses),
//                      beside ds-ec's certificate
#pragma once

#include <filesystem>
#include <string>

namespace rcperso::test {

struct SoftHsmToken {
  std::filesystem::path dir;
  std::string module;  // the SoftHSM2 module file
  std::string label = "rcperso-test";
  std::string pin = "246810";
  std::string so_pin = "13579111";

  std::filesystem::path conf() const { return dir / "softhsm2.conf"; }
  std::filesystem::path pin_file() const { return dir / "pin"; }
  /// pkcs11:token=rcperso-test;object=NAME?module-path=...&pin-source=file:DIR/pin
  std::string uri(const std::string& object) const;
};

/// Builds the token above in `dir` (an empty directory) and points this process's SOFTHSM2_CONF at it.
/// Needs softhsm2-util (Debian softhsm2). `source` is the repository (for keys-sample/).
SoftHsmToken make_softhsm_token(const std::filesystem::path& dir, const std::filesystem::path& source);

/// The description of a token make_softhsm_token (or rcperso_make_softhsm_token) built in `dir`.
SoftHsmToken softhsm_token_at(const std::filesystem::path& dir);

}  // namespace rcperso::test
