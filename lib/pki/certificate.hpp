// X.509 helpers: loading certificates and CRLs, and describing them for people.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <openssl/x509.h>

#include "core/bytes.hpp"

namespace rcperso::pki {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct X509CrlDeleter {
  void operator()(X509_CRL* x) const { X509_CRL_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using X509CrlPtr = std::unique_ptr<X509_CRL, X509CrlDeleter>;

X509Ptr parse_certificate(ByteView der, const std::string& what);
/// Every certificate in a PEM or DER file; throws rcperso::Error naming the file.
std::vector<X509Ptr> load_certificates(const std::string& path);
X509CrlPtr load_crl(const std::string& path);

struct CertificateInfo {
  std::string subject;
  std::string issuer;
  std::string serial;      // hex
  std::string not_before;  // ISO 8601 UTC
  std::string not_after;
  std::string key_type;
  bool test_only = false;
};
CertificateInfo describe_certificate(X509* cert);
CertificateInfo describe_certificate(ByteView der);

/// "EC brainpoolP256r1 (256 bit)", "RSA 3072 bit"; names explicit-parameter curves too.
std::string describe_key(EVP_PKEY* key);
/// For an EC key with explicit parameters: the named curve they equal, or empty.
std::string named_curve_of_explicit_key(EVP_PKEY* key);
std::string pem_certificate(X509* cert);
/// Seconds since the epoch for an ASN1_TIME.
long long asn1_time_seconds(const ASN1_TIME* t);

}  // namespace rcperso::pki
