// The Document Signer key in a PKCS#11 token (an HSM, SoftHSM2 in the tests).
// The private key never leaves the token: the host hashes (and for RSA
// PKCS#1 v1.5 builds the DigestInfo), the token signs. The certificate is the
// token's certificate object with the key's CKA_ID (or, failing that, label).
//
// Thread safety: sign() may be called from several threads at once. Each call
// takes an idle session from a pool (opening a new one when all are busy), so
// signatures run in parallel when the module allows; a module that refuses
// OS locking is serialised by a mutex instead.
#pragma once

#include <memory>
#include <string>

#include "pki/pkcs11_uri.hpp"
#include "pki/signer.hpp"

namespace rcperso::pki {

/// Opens the key the URI names (object= and/or id=, type=private or none) and logs in with the
/// PIN from pin-value, pin-source=file:PATH or $RCPERSO_PKCS11_PIN. Checks once that the key
/// belongs to the certificate (a test signature verified with the certificate's public key).
std::unique_ptr<Signer> open_pkcs11_signer(const std::string& uri_text);

}  // namespace rcperso::pki
