#include "softhsm_token.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

#include "core/bytes.hpp"
#include "core/openssl_ptr.hpp"
#include "pki/certificate.hpp"
#include "pki/pkcs11_module.hpp"
#include "test_support.hpp"
#include "tlv/der.hpp"

namespace rcperso::test {

namespace fs = std::filesystem;
using pki::pkcs11::check;

namespace {

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

void run(const std::string& command, const fs::path& log) {
  if (std::system((command + " >>" + quoted(log.string()) + " 2>&1").c_str()) != 0) {
    throw std::runtime_error("SoftHSM2 set-up failed (" + command + "); see " + log.string() +
                             " (is Debian's softhsm2 installed?)");
  }
}

std::string softhsm_module() {
  for (const char* p : {"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"}) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  throw std::runtime_error("the SoftHSM2 module libsofthsm2.so is missing (Debian package softhsm2)");
}

pki::X509Ptr load_cert(const fs::path& path) {
  return std::move(pki::load_certificates(path.string()).front());
}

PkeyPtr load_key(const fs::path& path) {
  Bytes pem = read_file(path.string());
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!key) throw std::runtime_error(path.string() + ": cannot read the private key");
  return key;
}

Bytes der_of(X509* cert) {
  int len = i2d_X509(cert, nullptr);
  Bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_X509(cert, &p);
  return der;
}

Bytes der_of_name(X509_NAME* name) {
  int len = i2d_X509_NAME(name, nullptr);
  Bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_X509_NAME(name, &p);
  return der;
}

class Admin {
 public:
  Admin(const std::string& module, const std::string& label, const std::string& pin)
      : module_(pki::pkcs11::Module::load(module)), api_(module_->api()) {
    CK_ULONG count = 0;
    check(api_->C_GetSlotList(CK_TRUE, nullptr, &count), "C_GetSlotList");
    std::vector<CK_SLOT_ID> slots(count);
    check(api_->C_GetSlotList(CK_TRUE, slots.data(), &count), "C_GetSlotList");
    slots.resize(count);
    bool found = false;
    for (CK_SLOT_ID s : slots) {
      CK_TOKEN_INFO ti{};
      if (api_->C_GetTokenInfo(s, &ti) == CKR_OK &&
          pki::pkcs11::padded_field(ti.label, sizeof ti.label) == label) {
        slot_ = s;
        found = true;
      }
    }
    if (!found) throw std::runtime_error("SoftHSM2 token " + label + " not found after initialisation");
    check(api_->C_OpenSession(slot_, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session_),
          "C_OpenSession");
    std::string p = pin;
    check(api_->C_Login(session_, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(p.data()), p.size()), "C_Login");
  }
  ~Admin() { api_->C_CloseSession(session_); }
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  void add_certificate(X509* cert, const std::string& label, std::uint8_t id) {
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE type = CKC_X_509;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    Bytes value = der_of(cert);
    Bytes subject = der_of_name(X509_get_subject_name(cert));
    std::string l = label;
    std::vector<CK_ATTRIBUTE> t{{CKA_CLASS, &cls, sizeof cls},
                                {CKA_CERTIFICATE_TYPE, &type, sizeof type},
                                {CKA_TOKEN, &yes, sizeof yes},
                                {CKA_PRIVATE, &no, sizeof no},
                                {CKA_LABEL, l.data(), l.size()},
                                {CKA_ID, &id, 1},
                                {CKA_SUBJECT, subject.data(), subject.size()},
                                {CKA_VALUE, value.data(), value.size()}};
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    check(api_->C_CreateObject(session_, t.data(), t.size(), &h),
          "C_CreateObject (certificate " + label + ")");
  }

  /// An Ed25519 key pair: a key type no Document Signer may have (refused by the signer).
  void generate_ed25519_pair(const std::string& label, std::uint8_t id) {
    CK_MECHANISM mech{CKM_EC_EDWARDS_KEY_PAIR_GEN, nullptr, 0};
    CK_BBOOL yes = CK_TRUE;
    std::string l = label;
    Bytes params = der::printable_string("edwards25519");  // the curve's name, as PKCS#11 3.0 allows
    std::vector<CK_ATTRIBUTE> pub{{CKA_TOKEN, &yes, sizeof yes},
                                  {CKA_EC_PARAMS, params.data(), params.size()},
                                  {CKA_LABEL, l.data(), l.size()},
                                  {CKA_ID, &id, 1}};
    std::vector<CK_ATTRIBUTE> priv{{CKA_TOKEN, &yes, sizeof yes},
                                   {CKA_PRIVATE, &yes, sizeof yes},
                                   {CKA_SIGN, &yes, sizeof yes},
                                   {CKA_LABEL, l.data(), l.size()},
                                   {CKA_ID, &id, 1}};
    CK_OBJECT_HANDLE pub_h = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE priv_h = CK_INVALID_HANDLE;
    check(api_->C_GenerateKeyPair(session_, &mech, pub.data(), pub.size(), priv.data(), priv.size(), &pub_h,
                                  &priv_h),
          "C_GenerateKeyPair (Ed25519)");
  }

  /// An EC key pair made by the token (private half sensitive, never extractable); returns the public key.
  PkeyPtr generate_ec_pair(ByteView ec_params, const std::string& label, std::uint8_t id) {
    CK_MECHANISM mech{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    std::string l = label;
    Bytes params(ec_params.begin(), ec_params.end());
    std::vector<CK_ATTRIBUTE> pub{{CKA_TOKEN, &yes, sizeof yes},
                                  {CKA_VERIFY, &yes, sizeof yes},
                                  {CKA_EC_PARAMS, params.data(), params.size()},
                                  {CKA_LABEL, l.data(), l.size()},
                                  {CKA_ID, &id, 1}};
    std::vector<CK_ATTRIBUTE> priv{{CKA_TOKEN, &yes, sizeof yes},
                                   {CKA_PRIVATE, &yes, sizeof yes},
                                   {CKA_SENSITIVE, &yes, sizeof yes},
                                   {CKA_EXTRACTABLE, &no, sizeof no},
                                   {CKA_SIGN, &yes, sizeof yes},
                                   {CKA_LABEL, l.data(), l.size()},
                                   {CKA_ID, &id, 1}};
    CK_OBJECT_HANDLE pub_h = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE priv_h = CK_INVALID_HANDLE;
    check(api_->C_GenerateKeyPair(session_, &mech, pub.data(), pub.size(), priv.data(), priv.size(), &pub_h,
                                  &priv_h),
          "C_GenerateKeyPair");
    auto point = pki::pkcs11::attribute(api_, session_, pub_h, CKA_EC_POINT);
    if (!point) throw std::runtime_error("the generated public key has no CKA_EC_POINT");
    Bytes raw = *point;
    // PKCS#11 wraps the point in a DER OCTET STRING; a 256-bit uncompressed point is 65 bytes.
    if (raw.size() == 67 && raw[0] == 0x04 && raw[1] == 65) raw.erase(raw.begin(), raw.begin() + 2);
    if (raw.size() != 65 || raw[0] != 0x04) throw std::runtime_error("unexpected CKA_EC_POINT form");
    Bytes algorithm = der::oid("1.2.840.10045.2.1");
    append(algorithm, params);
    Bytes bits{0x00};
    append(bits, raw);
    Bytes spki_content = der::sequence(algorithm);
    append(spki_content, tlv::encode(der::kBitString, bits));
    Bytes spki = der::sequence(spki_content);
    const unsigned char* p = spki.data();
    PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
    if (!key) throw std::runtime_error("cannot read the generated public key");
    return key;
  }

 private:
  std::shared_ptr<pki::pkcs11::Module> module_;
  CK_FUNCTION_LIST* api_;
  CK_SLOT_ID slot_ = 0;
  CK_SESSION_HANDLE session_ = CK_INVALID_HANDLE;
};

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) throw std::runtime_error("cannot add an extension");
  X509_EXTENSION_free(ext);
}

/// A TEST ONLY Document Signer certificate for `key` under the sample EC CSCA, with the extensions
/// keys-sample/generate.sh gives its DS certificates (ICAO 9303-12 profile).
pki::X509Ptr issue_ds_certificate(EVP_PKEY* key, const fs::path& source) {
  auto csca = load_cert(source / "keys-sample/csca-ec.pem");
  auto csca_key = load_key(source / "keys-sample/private/csca-ec.key");
  pki::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 0x301);
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add = [name](const char* field, const char* value) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC, reinterpret_cast<const unsigned char*>(value), -1,
                               -1, 0);
  };
  add("C", "DK");
  add("O", "rcperso TEST ONLY");
  add("CN", "Document Signer HSM TEST ONLY");
  add("serialNumber", "301");
  X509_set_issuer_name(cert.get(), X509_get_subject_name(csca.get()));
  ASN1_TIME_set_string(X509_getm_notBefore(cert.get()), "20250101000000Z");
  ASN1_TIME_set_string(X509_getm_notAfter(cert.get()), "20360101000000Z");
  X509_set_pubkey(cert.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, csca.get(), cert.get(), nullptr, nullptr, 0);
  add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid");
  add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), &ctx, NID_crl_distribution_points, "URI:http://pkd.test.invalid/DNK-TEST.crl");
  // privateKeyUsagePeriod: SEQUENCE { [0] notBefore, [1] notAfter } as GeneralizedTime contents.
  auto text = [](const char* t) { return Bytes(t, t + 15); };
  Bytes period = tlv::encode(0x80, text("20250101000000Z"));
  append(period, tlv::encode(0x81, text("20250401000000Z")));
  Bytes period_der = der::sequence(period);
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(os, period_der.data(), static_cast<int>(period_der.size()));
  X509_EXTENSION* pkup = X509_EXTENSION_create_by_NID(nullptr, NID_private_key_usage_period, 0, os);
  ASN1_OCTET_STRING_free(os);
  if (pkup == nullptr || X509_add_ext(cert.get(), pkup, -1) != 1)
    throw std::runtime_error("privateKeyUsagePeriod");
  X509_EXTENSION_free(pkup);
  if (X509_sign(cert.get(), csca_key.get(), EVP_sha256()) <= 0) throw std::runtime_error("cannot sign");
  return cert;
}

Bytes explicit_ec_params(const fs::path& key_pem) {
  auto key = load_key(key_pem);
  unsigned char* out = nullptr;
  int len = i2d_KeyParams(key.get(), &out);
  if (len <= 0) throw std::runtime_error("cannot encode the EC domain parameters");
  Bytes params(out, out + len);
  OPENSSL_free(out);
  return params;
}

}  // namespace

std::string SoftHsmToken::uri(const std::string& object) const {
  return "pkcs11:token=" + label + ";object=" + object + "?module-path=" + module +
         "&pin-source=file:" + pin_file().string();
}

SoftHsmToken make_softhsm_token(const fs::path& dir, const fs::path& source) {
  SoftHsmToken t = softhsm_token_at(dir);
  fs::create_directories(dir / "tokens");
  {
    std::ofstream conf(t.conf());
    conf << "directories.tokendir = " << (dir / "tokens").string() << "\nobjectstore.backend = file\n"
         << "log.level = ERROR\nslots.removable = false\n";
    std::ofstream pin(t.pin_file());
    pin << t.pin << "\n";
  }
  fs::permissions(t.pin_file(), fs::perms::owner_read | fs::perms::owner_write);
  ::setenv("SOFTHSM2_CONF", t.conf().c_str(), 1);
  fs::path log = dir / "setup.log";
  std::string util = "SOFTHSM2_CONF=" + quoted(t.conf().string()) + " softhsm2-util";
  run(util + " --init-token --free --label " + t.label + " --so-pin " + t.so_pin + " --pin " + t.pin, log);
  auto import = [&](const char* key_dir, const char* label, const char* id) {
    run(util + " --import " + quoted((source / "keys-sample" / key_dir / "key.pem").string()) + " --token " +
            t.label + " --label " + label + " --id " + id + " --pin " + t.pin,
        log);
  };
  import("ds-ec", "ds-ec", "01");
  import("ds-rsa", "ds-rsa", "02");
  import("ds-ec-expired", "ds-mismatch", "04");
  import("ds-ec-revoked", "ds-nocert", "05");

  Admin admin(t.module, t.label, t.pin);
  auto ds_ec = load_cert(source / "keys-sample/ds-ec/cert.pem");
  admin.add_certificate(ds_ec.get(), "ds-ec", 0x01);
  admin.add_certificate(load_cert(source / "keys-sample/ds-rsa/cert.pem").get(), "ds-rsa", 0x02);
  admin.add_certificate(ds_ec.get(), "ds-mismatch", 0x04);
  auto hsm_public =
      admin.generate_ec_pair(explicit_ec_params(source / "keys-sample/ds-ec/key.pem"), "ds-hsm", 0x03);
  auto hsm_cert = issue_ds_certificate(hsm_public.get(), source);
  admin.add_certificate(hsm_cert.get(), "ds-hsm", 0x03);
  admin.generate_ed25519_pair("ds-ed25519", 0x06);
  admin.add_certificate(ds_ec.get(), "ds-ed25519", 0x06);
  {
    BIO* out = BIO_new_file((dir / "ds-hsm.pem").c_str(), "w");
    PEM_write_bio_X509(out, hsm_cert.get());
    BIO_free(out);
  }
  return t;
}

SoftHsmToken softhsm_token_at(const fs::path& dir) {
  SoftHsmToken t;
  t.dir = dir;
  t.module = softhsm_module();
  return t;
}

}  // namespace rcperso::test
