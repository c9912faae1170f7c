// The Document Signer behind an interface: a PEM key file (demos, tests) or a
// key in a PKCS#11 token (pki/pkcs11_signer.hpp). Private keys stay inside
// the signer and are never logged. sign() is safe to call from several
// threads at once.
#pragma once

#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "pki/hash.hpp"

namespace rcperso::pki {

enum class SignatureScheme { Ecdsa, RsaPkcs1v15, RsaPss };
/// "ecdsa", "rsa-pkcs1", "rsa-pss".
SignatureScheme scheme_from_name(const std::string& name);
std::string scheme_name(SignatureScheme s);
/// The CMS signatureAlgorithm for a scheme and hash: OID and DER parameters (PSS only).
std::pair<std::string, Bytes> signature_algorithm(SignatureScheme s, HashAlgorithm h);

class Signer {
 public:
  virtual ~Signer() = default;
  virtual Bytes certificate_der() const = 0;
  /// Signature over `message` in CMS form (DER ECDSA-Sig-Value, or the RSA block).
  virtual Bytes sign(ByteView message, HashAlgorithm hash, SignatureScheme scheme) = 0;
  virtual std::string key_type() const = 0;  // "EC brainpoolP256r1 (256 bit)", "RSA 3072 bit"
  virtual bool is_rsa() const = 0;
  /// The certificate is one of the TEST ONLY samples (its subject says so).
  virtual bool is_test_key() const = 0;
};

/// `spec`: a directory with cert.pem and key.pem, optionally written "file:DIR", or an RFC 7512
/// "pkcs11:" URI naming a token key (see open_pkcs11_signer). Print `spec` only through
/// printable_signer_spec() (pki/pkcs11_uri.hpp): a URI may carry a PIN.
std::unique_ptr<Signer> open_signer(const std::string& spec);

}  // namespace rcperso::pki
