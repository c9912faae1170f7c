#include "pki/signer.hpp"
#include "core/openssl_ptr.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <filesystem>

#include "core/error.hpp"
#include "core/secure_bytes.hpp"
#include "pki/certificate.hpp"
#include "pki/pkcs11_signer.hpp"
#include "tlv/der.hpp"

namespace rcperso::pki {

namespace fs = std::filesystem;

SignatureScheme scheme_from_name(const std::string& name) {
  if (name == "ecdsa") return SignatureScheme::Ecdsa;
  if (name == "rsa-pkcs1") return SignatureScheme::RsaPkcs1v15;
  if (name == "rsa-pss") return SignatureScheme::RsaPss;
  throw Error("unknown signature scheme '" + name + "' (use ecdsa, rsa-pkcs1 or rsa-pss)");
}

std::string scheme_name(SignatureScheme s) {
  switch (s) {
    case SignatureScheme::Ecdsa:
      return "ecdsa";
    case SignatureScheme::RsaPkcs1v15:
      return "rsa-pkcs1";
    case SignatureScheme::RsaPss:
      return "rsa-pss";
  }
  return "";
}

std::pair<std::string, Bytes> signature_algorithm(SignatureScheme s, HashAlgorithm h) {
  switch (s) {
    case SignatureScheme::Ecdsa:
      switch (h) {
        case HashAlgorithm::Sha1:
          return {"1.2.840.10045.4.1", {}};
        case HashAlgorithm::Sha224:
          return {"1.2.840.10045.4.3.1", {}};
        case HashAlgorithm::Sha256:
          return {"1.2.840.10045.4.3.2", {}};
        case HashAlgorithm::Sha384:
          return {"1.2.840.10045.4.3.3", {}};
        case HashAlgorithm::Sha512:
          return {"1.2.840.10045.4.3.4", {}};
      }
      break;
    case SignatureScheme::RsaPkcs1v15: {
      Bytes null_params{0x05, 0x00};
      switch (h) {
        case HashAlgorithm::Sha1:
          return {"1.2.840.113549.1.1.5", null_params};
        case HashAlgorithm::Sha224:
          return {"1.2.840.113549.1.1.14", null_params};
        case HashAlgorithm::Sha256:
          return {"1.2.840.113549.1.1.11", null_params};
        case HashAlgorithm::Sha384:
          return {"1.2.840.113549.1.1.12", null_params};
        case HashAlgorithm::Sha512:
          return {"1.2.840.113549.1.1.13", null_params};
      }
      break;
    }
    case SignatureScheme::RsaPss: {
      // RSASSA-PSS-params: hash, MGF1 with the same hash, salt = hash length, trailer 1 (default, omitted).
      Bytes hash_alg = der::sequence(der::oid(hash_oid(h)));
      Bytes mgf = der::oid("1.2.840.113549.1.1.8");
      append(mgf, hash_alg);
      Bytes params = tlv::encode(0xA0, hash_alg);
      append(params, tlv::encode(0xA1, der::sequence(mgf)));
      append(params, tlv::encode(0xA2, der::integer(hash_size(h))));
      return {"1.2.840.113549.1.1.10", der::sequence(params)};
    }
  }
  throw Error("unsupported signature algorithm");
}

namespace {

class FileSigner final : public Signer {
 public:
  explicit FileSigner(const fs::path& dir) {
    fs::path cert_path = dir / "cert.pem";
    fs::path key_path = dir / "key.pem";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      throw Error(dir.string() +
                  ": signer directory not found (expected a directory with cert.pem and key.pem)");
    }
    if (!fs::is_regular_file(cert_path, ec))
      throw Error(cert_path.string() + ": missing Document Signer certificate");
    if (!fs::is_regular_file(key_path, ec))
      throw Error(key_path.string() + ": missing Document Signer private key");
    auto certs = load_certificates(cert_path.string());
    cert_ = std::move(certs.front());
    Bytes raw = read_file(key_path.string(), 1024U * 1024U);
    SecureBytes key_bytes(raw.begin(), raw.end());
    OPENSSL_cleanse(raw.data(), raw.size());
    BIO* bio = BIO_new_mem_buf(key_bytes.data(), static_cast<int>(key_bytes.size()));
    key_.reset(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    ERR_clear_error();
    if (!key_)
      throw Error(key_path.string() + ": not a readable PEM private key (encrypted keys are not supported)");
    if (X509_check_private_key(cert_.get(), key_.get()) != 1) {
      ERR_clear_error();
      throw Error("the key in " + key_path.string() + " does not belong to the certificate in " +
                  cert_path.string());
    }
    int len = i2d_X509(cert_.get(), nullptr);
    cert_der_.resize(static_cast<std::size_t>(len));
    unsigned char* p = cert_der_.data();
    i2d_X509(cert_.get(), &p);
    info_ = describe_certificate(cert_.get());
  }

  Bytes certificate_der() const override { return cert_der_; }
  std::string key_type() const override { return info_.key_type; }
  bool is_rsa() const override {
    int id = EVP_PKEY_get_base_id(key_.get());
    return id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS;
  }
  bool is_test_key() const override { return info_.test_only; }

  Bytes sign(ByteView message, HashAlgorithm hash, SignatureScheme scheme) override {
    bool rsa = is_rsa();
    if ((scheme == SignatureScheme::Ecdsa) == rsa) {
      throw Error("signature scheme " + scheme_name(scheme) + " does not fit the Document Signer key (" +
                  key_type() + ")");
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestSignInit(ctx.get(), &pctx, evp_md(hash), nullptr, key_.get()) != 1) fail();
    if (scheme == SignatureScheme::RsaPss) {
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
          EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(hash_size(hash))) != 1 ||
          EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, evp_md(hash)) != 1) {
        fail();
      }
    } else if (scheme == SignatureScheme::RsaPkcs1v15) {
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) fail();
    }
    std::size_t len = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) fail();
    Bytes sig(len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) fail();
    sig.resize(len);
    return sig;
  }

 private:
  [[noreturn]] static void fail() {
    ERR_clear_error();
    throw Error("the Document Signer failed to sign");
  }
  X509Ptr cert_;
  PkeyPtr key_;
  Bytes cert_der_;
  CertificateInfo info_;
};

}  // namespace

std::unique_ptr<Signer> open_signer(const std::string& spec) {
  if (spec.rfind("pkcs11:", 0) == 0) return open_pkcs11_signer(spec);
  std::string dir = spec.rfind("file:", 0) == 0 ? spec.substr(5) : spec;
  if (dir.empty()) throw Error("empty --signer");
  return std::make_unique<FileSigner>(dir);
}

}  // namespace rcperso::pki
