// The EC_KEY API is deprecated in OpenSSL 3 but is still the only direct way
// to ask which named curve explicit domain parameters are equal to.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "pki/certificate.hpp"
#include "core/openssl_ptr.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <ctime>

#include "core/error.hpp"

namespace rcperso::pki {

namespace {

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

X509Ptr parse_certificate(ByteView der, const std::string& what) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) throw DecodeError(what + ": not a valid X.509 certificate");
  return cert;
}

std::vector<X509Ptr> load_certificates(const std::string& path) {
  Bytes data = read_file(path, 1024U * 1024U);
  std::vector<X509Ptr> out;
  if (data.size() > 2 && data[0] == 0x30) {
    out.push_back(parse_certificate(data, path));
    return out;
  }
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
  ERR_clear_error();
  if (out.empty()) throw Error(path + ": no certificate found (expected PEM or DER)");
  return out;
}

X509CrlPtr load_crl(const std::string& path) {
  Bytes data = read_file(path, 16U * 1024U * 1024U);
  X509CrlPtr crl;
  if (data.size() > 2 && data[0] == 0x30) {
    const unsigned char* p = data.data();
    crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size())));
  } else {
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  }
  ERR_clear_error();
  if (!crl) throw Error(path + ": not a valid CRL (expected PEM or DER)");
  return crl;
}

std::string named_curve_of_explicit_key(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return "";
  const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
  if (ec == nullptr) return "";
  const EC_GROUP* group = EC_KEY_get0_group(ec);
  if (group == nullptr) return "";
  int nid = EC_GROUP_get_curve_name(group);
  if (nid == NID_undef) nid = EC_GROUP_check_named_curve(group, 0, nullptr);
  if (nid <= 0) return "";
  const char* name = OBJ_nid2sn(nid);
  return name != nullptr ? name : "";
}

std::string describe_key(EVP_PKEY* key) {
  if (key == nullptr) return "unknown key";
  int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return "RSA " + std::to_string(bits) + " bit";
    case EVP_PKEY_EC: {
      std::string curve = named_curve_of_explicit_key(key);
      return "EC " + (curve.empty() ? std::string("unnamed curve") : curve) + " (" + std::to_string(bits) +
             " bit)";
    }
    default:
      return "unsupported key type";
  }
}

long long asn1_time_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<long long>(timegm(&tm));
}

CertificateInfo describe_certificate(X509* cert) {
  CertificateInfo info;
  info.subject = name_text(X509_get_subject_name(cert));
  info.issuer = name_text(X509_get_issuer_name(cert));
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn != nullptr) {
    char* hex = BN_bn2hex(bn);
    info.serial = hex;
    OPENSSL_free(hex);
    BN_free(bn);
  }
  info.not_before = time_text(X509_get0_notBefore(cert));
  info.not_after = time_text(X509_get0_notAfter(cert));
  info.key_type = describe_key(X509_get0_pubkey(cert));
  info.test_only = info.subject.find("TEST ONLY") != std::string::npos;
  return info;
}

CertificateInfo describe_certificate(ByteView der) {
  auto cert = parse_certificate(der, "certificate");
  return describe_certificate(cert.get());
}

std::string pem_certificate(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace rcperso::pki
