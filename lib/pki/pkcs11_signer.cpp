#include "pki/pkcs11_signer.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include "core/error.hpp"
#include "core/openssl_ptr.hpp"
#include "pki/certificate.hpp"
#include "pki/pkcs11_module.hpp"
#include "tlv/der.hpp"

namespace rcperso::pki {

namespace {

using pkcs11::check;
using pkcs11::Module;
using pkcs11::padded_field;
using pkcs11::rv_name;

/// CKM and CKG values of the PSS parameters for a hash.
std::pair<CK_MECHANISM_TYPE, CK_RSA_PKCS_MGF_TYPE> pss_hash(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::Sha1:
      return {CKM_SHA_1, CKG_MGF1_SHA1};
    case HashAlgorithm::Sha224:
      return {CKM_SHA224, CKG_MGF1_SHA224};
    case HashAlgorithm::Sha256:
      return {CKM_SHA256, CKG_MGF1_SHA256};
    case HashAlgorithm::Sha384:
      return {CKM_SHA384, CKG_MGF1_SHA384};
    case HashAlgorithm::Sha512:
      return {CKM_SHA512, CKG_MGF1_SHA512};
  }
  throw Error("unsupported hash for RSASSA-PSS");
}

/// The token's plain r || s (PKCS#11 CKM_ECDSA) as the DER ECDSA-Sig-Value CMS carries.
Bytes ecdsa_plain_to_der(ByteView plain) {
  if (plain.empty() || plain.size() % 2 != 0 || plain.size() > 2 * 66)
    throw Error("the token returned an ECDSA signature of " + std::to_string(plain.size()) + " bytes");
  std::size_t half = plain.size() / 2;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(plain.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(plain.data() + half, static_cast<int>(half), nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    throw Error("out of memory");
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) throw Error("cannot encode the ECDSA signature");
  Bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

/// PKCS#1 v1.5 DigestInfo: what CKM_RSA_PKCS signs when the host hashes.
Bytes digest_info(HashAlgorithm h, ByteView hash) {
  Bytes algorithm = der::oid(hash_oid(h));
  append(algorithm, Bytes{0x05, 0x00});
  Bytes content = der::sequence(algorithm);
  append(content, der::octet_string(hash));
  return der::sequence(content);
}

bool verify_with_certificate(X509* cert, ByteView message, ByteView signature, SignatureScheme scheme) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) == 1;
  if (ok && scheme == SignatureScheme::RsaPss) {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
  }
  ok = ok &&
       EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

/// Open sessions, closed when the signer goes (also when its constructor throws half-way).
struct Sessions {
  CK_FUNCTION_LIST* api = nullptr;
  CK_SESSION_HANDLE login = CK_INVALID_HANDLE;  // kept open: the token's login lasts while a session does
  std::vector<CK_SESSION_HANDLE> idle;          // for sign(), one per concurrent caller
  std::mutex mutex;
  Sessions() = default;
  Sessions(const Sessions&) = delete;
  Sessions& operator=(const Sessions&) = delete;
  ~Sessions() {
    for (CK_SESSION_HANDLE s : idle) api->C_CloseSession(s);
    if (login != CK_INVALID_HANDLE) api->C_CloseSession(login);
  }
};

class Pkcs11Signer final : public Signer {
 public:
  explicit Pkcs11Signer(const std::string& uri_text)
      : uri_(parse_pkcs11_uri(uri_text)), name_(uri_.to_string()) {
    if (uri_.type && *uri_.type != "private") {
      throw Error(name_ +
                  ": attribute 'type' must be private (the URI names the signing key; the certificate is "
                  "found by the key's CKA_ID)");
    }
    if (!uri_.object && !uri_.id) throw Error(name_ + ": name the signing key with object= (label) or id=");
    module_ = Module::load(pkcs11::module_file(uri_));
    api_ = module_->api();
    check_library();
    slot_ = find_slot();
    open_and_log_in();
    find_key();
    find_certificate();
    check_key_matches_certificate();
  }

  ~Pkcs11Signer() override = default;
  Pkcs11Signer(const Pkcs11Signer&) = delete;
  Pkcs11Signer& operator=(const Pkcs11Signer&) = delete;

  Bytes certificate_der() const override { return cert_der_; }
  std::string key_type() const override {
    return info_.key_type + " in PKCS#11 token '" + token_label_ + "'";
  }
  bool is_rsa() const override { return key_kind_ == CKK_RSA; }
  bool is_test_key() const override { return info_.test_only; }

  Bytes sign(ByteView message, HashAlgorithm hash, SignatureScheme scheme) override {
    if ((scheme == SignatureScheme::Ecdsa) == is_rsa()) {
      throw Error("signature scheme " + scheme_name(scheme) + " does not fit the Document Signer key (" +
                  key_type() + ")");
    }
    Bytes digest_value = digest(hash, message);
    CK_RSA_PKCS_PSS_PARAMS pss{};
    CK_MECHANISM mechanism{CKM_ECDSA, nullptr, 0};
    Bytes input = digest_value;
    if (scheme == SignatureScheme::RsaPkcs1v15) {
      mechanism.mechanism = CKM_RSA_PKCS;
      input = digest_info(hash, digest_value);
    } else if (scheme == SignatureScheme::RsaPss) {
      // Salt as long as the hash and MGF1 with the same hash: what signature_algorithm() announces.
      auto [hash_mech, mgf] = pss_hash(hash);
      pss.hashAlg = hash_mech;
      pss.mgf = mgf;
      pss.sLen = hash_size(hash);
      mechanism = {CKM_RSA_PKCS_PSS, &pss, sizeof pss};
    }
    if (mechanisms_.count(mechanism.mechanism) == 0) {
      throw Error(name_ + ": the token does not offer " + mechanism_name(mechanism.mechanism) + " for " +
                  scheme_name(scheme) + " signatures");
    }
    Bytes raw = sign_raw(mechanism, input);
    return scheme == SignatureScheme::Ecdsa ? ecdsa_plain_to_der(raw) : raw;
  }

 private:
  static std::string mechanism_name(CK_MECHANISM_TYPE m) {
    switch (m) {
      case CKM_ECDSA:
        return "CKM_ECDSA";
      case CKM_RSA_PKCS:
        return "CKM_RSA_PKCS";
      case CKM_RSA_PKCS_PSS:
        return "CKM_RSA_PKCS_PSS";
      default:
        return "mechanism " + std::to_string(m);
    }
  }

  void check_library() {
    if (!uri_.library_manufacturer && !uri_.library_description && !uri_.library_version) return;
    CK_INFO info{};
    check(api_->C_GetInfo(&info), module_->path() + ": C_GetInfo");
    std::string version =
        std::to_string(info.libraryVersion.major) + "." + std::to_string(info.libraryVersion.minor);
    std::string wanted_version = uri_.library_version.value_or("");
    if (!wanted_version.empty() && wanted_version.find('.') == std::string::npos) wanted_version += ".0";
    if ((uri_.library_manufacturer &&
         *uri_.library_manufacturer != padded_field(info.manufacturerID, sizeof info.manufacturerID)) ||
        (uri_.library_description &&
         *uri_.library_description !=
             padded_field(info.libraryDescription, sizeof info.libraryDescription)) ||
        (uri_.library_version && normal_version(wanted_version) != version)) {
      throw Error(name_ + ": the module " + module_->path() + " is '" +
                  padded_field(info.libraryDescription, sizeof info.libraryDescription) + "' from '" +
                  padded_field(info.manufacturerID, sizeof info.manufacturerID) + "', version " + version +
                  ", not the library the URI names");
    }
  }
  static std::string normal_version(const std::string& v) {
    auto dot = v.find('.');
    return std::to_string(std::stoi(v.substr(0, dot))) + "." + std::to_string(std::stoi(v.substr(dot + 1)));
  }

  CK_SLOT_ID find_slot() {
    CK_ULONG count = 0;
    check(api_->C_GetSlotList(CK_TRUE, nullptr, &count), module_->path() + ": C_GetSlotList");
    std::vector<CK_SLOT_ID> slots(count);
    check(api_->C_GetSlotList(CK_TRUE, slots.data(), &count), module_->path() + ": C_GetSlotList");
    slots.resize(count);
    std::vector<CK_SLOT_ID> matches;
    std::string present;
    for (CK_SLOT_ID slot : slots) {
      CK_SLOT_INFO si{};
      CK_TOKEN_INFO ti{};
      if (api_->C_GetSlotInfo(slot, &si) != CKR_OK || api_->C_GetTokenInfo(slot, &ti) != CKR_OK) continue;
      if ((ti.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
      std::string label = padded_field(ti.label, sizeof ti.label);
      std::string serial = padded_field(ti.serialNumber, sizeof ti.serialNumber);
      present += (present.empty() ? "'" : ", '") + label + "' (serial " + serial + ")";
      auto differs = [](const std::optional<std::string>& want, const std::string& have) {
        return want && *want != have;
      };
      if ((uri_.slot_id && *uri_.slot_id != slot) ||
          differs(uri_.slot_description, padded_field(si.slotDescription, sizeof si.slotDescription)) ||
          differs(uri_.slot_manufacturer, padded_field(si.manufacturerID, sizeof si.manufacturerID)) ||
          differs(uri_.token, label) || differs(uri_.serial, serial) ||
          differs(uri_.manufacturer, padded_field(ti.manufacturerID, sizeof ti.manufacturerID)) ||
          differs(uri_.model, padded_field(ti.model, sizeof ti.model))) {
        continue;
      }
      matches.push_back(slot);
      token_label_ = label;
      token_flags_ = ti.flags;
    }
    if (matches.empty()) {
      throw Error(name_ + ": no such token in " + module_->path() +
                  (present.empty() ? " (it has no initialised token)" : " (tokens: " + present + ")"));
    }
    if (matches.size() > 1) {
      throw Error(name_ + ": " + std::to_string(matches.size()) + " tokens match (" + present +
                  "); name one with token= or serial=");
    }
    return matches.front();
  }

  void open_and_log_in() {
    sessions_.api = api_;
    check(api_->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &sessions_.login),
          name_ + ": cannot open a session with token '" + token_label_ + "'");
    CK_SESSION_HANDLE session = sessions_.login;
    if ((token_flags_ & CKF_USER_PIN_LOCKED) != 0)
      throw Error(name_ + ": the user PIN of token '" + token_label_ + "' is locked");
    auto pin = pkcs11::user_pin(uri_);
    uri_.pin_value.reset();  // wiped now: the login is all the PIN is needed for
    CK_RV rv = CKR_OK;
    if (pin) {
      rv = api_->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin->data()), pin->size());
    } else if ((token_flags_ & CKF_PROTECTED_AUTHENTICATION_PATH) != 0) {
      rv = api_->C_Login(session, CKU_USER, nullptr, 0);  // the PIN pad asks
    } else if ((token_flags_ & CKF_LOGIN_REQUIRED) != 0) {
      throw Error(name_ + ": token '" + token_label_ +
                  "' needs the user PIN: add pin-source=file:PATH to the URI "
                  "or set " +
                  std::string(pkcs11::kPinEnv));
    }
    switch (rv) {
      case CKR_OK:
      case CKR_USER_ALREADY_LOGGED_IN:  // another signer in this process logged in to the token
        return;
      case CKR_PIN_INCORRECT:
      case CKR_PIN_INVALID:
      case CKR_PIN_LEN_RANGE:
        throw Error(name_ + ": wrong PIN for token '" + token_label_ + "' (" + rv_name(rv) + ")");
      case CKR_PIN_LOCKED:
        throw Error(name_ + ": the user PIN of token '" + token_label_ + "' is locked (CKR_PIN_LOCKED)");
      case CKR_PIN_EXPIRED:
        throw Error(name_ + ": the user PIN of token '" + token_label_ + "' has expired; set a new one");
      default:
        throw Error(name_ + ": cannot log in to token '" + token_label_ + "' (" + rv_name(rv) + ")");
    }
  }

  CK_SESSION_HANDLE first_session() const { return sessions_.login; }

  void find_key() {
    CK_OBJECT_CLASS key_class = CKO_PRIVATE_KEY;
    std::vector<CK_ATTRIBUTE> match{{CKA_CLASS, &key_class, sizeof key_class}};
    std::string label = uri_.object.value_or("");
    Bytes id = uri_.id.value_or(Bytes{});
    if (uri_.object) match.push_back({CKA_LABEL, label.data(), label.size()});
    if (uri_.id) match.push_back({CKA_ID, id.data(), id.size()});
    auto keys = pkcs11::find_objects(api_, first_session(), match);
    if (keys.empty()) throw Error(name_ + ": no such private key on token '" + token_label_ + "'");
    if (keys.size() > 1)
      throw Error(name_ + ": " + std::to_string(keys.size()) + " private keys match; add id= to name one");
    key_ = keys.front();
    // Only public attributes are read: the class, type, ID, label and flags, never the key's value.
    auto type = pkcs11::attribute(api_, first_session(), key_, CKA_KEY_TYPE);
    if (!type || type->size() != sizeof(CK_KEY_TYPE)) throw Error(name_ + ": the key has no CKA_KEY_TYPE");
    std::memcpy(&key_kind_, type->data(), sizeof key_kind_);
    if (key_kind_ != CKK_EC && key_kind_ != CKK_RSA) {
      throw Error(name_ + ": unsupported key type (CKK " + std::to_string(key_kind_) +
                  "); a Document Signer key is EC or RSA");
    }
    key_id_ = pkcs11::attribute(api_, first_session(), key_, CKA_ID).value_or(Bytes{});
    auto key_label = pkcs11::attribute(api_, first_session(), key_, CKA_LABEL).value_or(Bytes{});
    key_label_.assign(key_label.begin(), key_label.end());
    if (flag(CKA_SIGN) == false) throw Error(name_ + ": the key may not sign (CKA_SIGN is false)");
    if (flag(CKA_ALWAYS_AUTHENTICATE) == true) {
      throw Error(name_ +
                  ": the key wants the PIN for every signature (CKA_ALWAYS_AUTHENTICATE); "
                  "a batch signer cannot work with that");
    }
    CK_ULONG count = 0;
    check(api_->C_GetMechanismList(slot_, nullptr, &count), name_ + ": C_GetMechanismList");
    std::vector<CK_MECHANISM_TYPE> list(count);
    check(api_->C_GetMechanismList(slot_, list.data(), &count), name_ + ": C_GetMechanismList");
    list.resize(count);
    mechanisms_.insert(list.begin(), list.end());
  }

  std::optional<bool> flag(CK_ATTRIBUTE_TYPE type) {
    auto v = pkcs11::attribute(api_, first_session(), key_, type);
    if (!v || v->size() != sizeof(CK_BBOOL)) return std::nullopt;
    return (*v)[0] != CK_FALSE;
  }

  void find_certificate() {
    CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE x509 = CKC_X_509;
    std::vector<CK_OBJECT_HANDLE> certs;
    std::string by;
    if (!key_id_.empty()) {
      certs = pkcs11::find_objects(api_, first_session(),
                                   {{CKA_CLASS, &cert_class, sizeof cert_class},
                                    {CKA_CERTIFICATE_TYPE, &x509, sizeof x509},
                                    {CKA_ID, key_id_.data(), key_id_.size()}});
      by = "the key's CKA_ID";
    }
    if (certs.empty() && !key_label_.empty()) {
      certs = pkcs11::find_objects(api_, first_session(),
                                   {{CKA_CLASS, &cert_class, sizeof cert_class},
                                    {CKA_CERTIFICATE_TYPE, &x509, sizeof x509},
                                    {CKA_LABEL, key_label_.data(), key_label_.size()}});
      by = "the key's label";
    }
    if (certs.empty()) {
      throw Error(name_ + ": no certificate on token '" + token_label_ +
                  "' for the key (an X.509 certificate object with the key's CKA_ID or label)");
    }
    if (certs.size() > 1) {
      throw Error(name_ + ": " + std::to_string(certs.size()) + " certificates on token '" + token_label_ +
                  "' match " + by + "; keep one");
    }
    auto value = pkcs11::attribute(api_, first_session(), certs.front(), CKA_VALUE);
    if (!value || value->empty()) throw Error(name_ + ": the certificate object has no value");
    cert_ = parse_certificate(*value, name_ + " certificate");
    cert_der_ = *value;
    info_ = describe_certificate(cert_.get());
  }

  void check_key_matches_certificate() {
    int cert_kind = EVP_PKEY_get_base_id(X509_get0_pubkey(cert_.get()));
    bool cert_rsa = cert_kind == EVP_PKEY_RSA || cert_kind == EVP_PKEY_RSA_PSS;
    if (cert_rsa != is_rsa()) {
      throw Error(name_ + ": the key on the token is " + (is_rsa() ? "RSA" : "EC") +
                  " but its certificate's is " + info_.key_type +
                  ": the key does not belong to the certificate");
    }
    // One test signature verified with the certificate's public key: proves the pair without reading the key.
    static const std::string probe = "rcperso: does this token key belong to its certificate?";
    ByteView message(reinterpret_cast<const std::uint8_t*>(probe.data()), probe.size());
    SignatureScheme scheme = SignatureScheme::Ecdsa;
    if (is_rsa()) {
      scheme = mechanisms_.count(CKM_RSA_PKCS) != 0 ? SignatureScheme::RsaPkcs1v15 : SignatureScheme::RsaPss;
    }
    Bytes signature = sign(message, HashAlgorithm::Sha256, scheme);
    if (!verify_with_certificate(cert_.get(), message, signature, scheme)) {
      throw Error(name_ + ": the key on token '" + token_label_ +
                  "' does not belong to its certificate (a test signature does not verify with the "
                  "certificate's public key)");
    }
  }

  CK_SESSION_HANDLE take_session() {
    {
      std::lock_guard lock(sessions_.mutex);
      if (!sessions_.idle.empty()) {
        CK_SESSION_HANDLE s = sessions_.idle.back();
        sessions_.idle.pop_back();
        return s;
      }
    }
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    check(api_->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &s),
          name_ + ": cannot open another session with token '" + token_label_ + "'");
    return s;
  }

  Bytes sign_raw(CK_MECHANISM& mechanism, const Bytes& input) {
    std::unique_lock<std::mutex> serial;
    if (module_->needs_serialising()) serial = std::unique_lock(single_thread_mutex_);
    CK_SESSION_HANDLE session = take_session();
    Bytes out(1024);  // room for RSA-8192 and any ECDSA: one C_Sign call, no length query
    CK_ULONG len = out.size();
    CK_RV rv = api_->C_SignInit(session, &mechanism, key_);
    if (rv == CKR_OK)
      rv = api_->C_Sign(session, const_cast<CK_BYTE*>(input.data()), input.size(), out.data(), &len);
    if (rv != CKR_OK) {
      api_->C_CloseSession(session);  // it may hold a half-done operation; the login session stays
      throw Error(name_ + ": the token failed to sign with " + mechanism_name(mechanism.mechanism) + " (" +
                  rv_name(rv) + ")");
    }
    {
      std::lock_guard lock(sessions_.mutex);
      sessions_.idle.push_back(session);
    }
    out.resize(len);
    return out;
  }

  Pkcs11Uri uri_;
  std::string name_;  // the URI without its PIN, for messages
  std::shared_ptr<Module> module_;
  CK_FUNCTION_LIST* api_ = nullptr;
  CK_SLOT_ID slot_ = 0;
  CK_FLAGS token_flags_ = 0;
  std::string token_label_;
  CK_OBJECT_HANDLE key_ = CK_INVALID_HANDLE;
  CK_KEY_TYPE key_kind_ = 0;
  Bytes key_id_;
  std::string key_label_;
  std::set<CK_MECHANISM_TYPE> mechanisms_;
  X509Ptr cert_;
  Bytes cert_der_;
  CertificateInfo info_;
  std::mutex single_thread_mutex_;
  Sessions sessions_;  // last: closed before the module may be finalised
};

}  // namespace

std::unique_ptr<Signer> open_pkcs11_signer(const std::string& uri_text) {
  return std::make_unique<Pkcs11Signer>(uri_text);
}

}  // namespace rcperso::pki
