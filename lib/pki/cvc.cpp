#include "pki/cvc.hpp"
#include "core/openssl_ptr.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::pki {

namespace {

// Tags of TR-03110-3 Table 27.
constexpr tlv::Tag kCvCertificate = 0x7F21;
constexpr tlv::Tag kBody = 0x7F4E;
constexpr tlv::Tag kProfileId = 0x5F29;
constexpr tlv::Tag kCar = 0x42;
constexpr tlv::Tag kPublicKey = 0x7F49;
constexpr tlv::Tag kChr = 0x5F20;
constexpr tlv::Tag kChat = 0x7F4C;
constexpr tlv::Tag kDiscretionary = 0x53;
constexpr tlv::Tag kEffective = 0x5F25;
constexpr tlv::Tag kExpiration = 0x5F24;
constexpr tlv::Tag kExtensions = 0x65;
constexpr tlv::Tag kSignature = 0x5F37;

// A CV certificate is small; D says lengths are at most 65535.
tlv::Options cv_options() {
  tlv::Options o;
  o.max_length = 65535;
  return o;
}

BnPtr to_bn(ByteView b) {
  BnPtr bn(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
  if (!bn) throw Error("out of memory");
  return bn;
}

// Minimal unsigned big-endian; zero is one 00 byte.
Bytes from_bn(const BIGNUM* bn) {
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  if (out.empty()) out.push_back(0x00);
  return out;
}

// --- strict value checks -----------------------------------------------------

void check_unsigned(ByteView v, const std::string& what) {
  if (v.empty()) throw DecodeError(what + ": empty unsigned integer");
  if (v.size() > 1 && v[0] == 0x00) throw DecodeError(what + ": unsigned integer has a leading 00 byte");
}

std::string read_reference(ByteView v, const std::string& what) {
  if (v.empty() || v.size() > 16) {
    throw DecodeError(what + ": length " + std::to_string(v.size()) + ", must be 1..16");
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint8_t c = v[i];
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
      throw DecodeError(what + ": character " + std::to_string(i) + " (0x" + to_hex(v.subspan(i, 1)) +
                        ") is not an assigned ISO 8859-1 character");
    }
  }
  return as_string(v);
}

void check_reference(const std::string& ref, const std::string& what) {
  try {
    (void)read_reference(as_bytes(ref), what);
  } catch (const DecodeError& e) {
    throw Error(e.what());
  }
}

Date read_date(ByteView v, const std::string& what) {
  if (v.size() != 6) throw DecodeError(what + ": " + std::to_string(v.size()) + " bytes, must be 6 (YYMMDD)");
  for (std::uint8_t d : v) {
    if (d > 9) throw DecodeError(what + ": byte 0x" + to_hex(ByteView(&d, 1)) + " is no unpacked BCD digit");
  }
  Date date;
  date.year = 2000 + v[0] * 10 + v[1];
  date.month = v[2] * 10 + v[3];
  date.day = v[4] * 10 + v[5];
  if (date.month < 1 || date.month > 12 || date.day < 1 || date.day > days_in_month(date.year, date.month)) {
    throw DecodeError(what + ": " + to_hex(v) + " is no calendar date");
  }
  return date;
}

Bytes encode_date(const Date& d, const std::string& what) {
  if (d.year < 2000 || d.year > 2099 || d.month < 1 || d.month > 12 || d.day < 1 ||
      d.day > days_in_month(d.year, d.month)) {
    throw Error(what + " " + d.iso() + " cannot be encoded (years 2000..2099 only)");
  }
  int yy = d.year - 2000;
  return {static_cast<std::uint8_t>(yy / 10),      static_cast<std::uint8_t>(yy % 10),
          static_cast<std::uint8_t>(d.month / 10), static_cast<std::uint8_t>(d.month % 10),
          static_cast<std::uint8_t>(d.day / 10),   static_cast<std::uint8_t>(d.day % 10)};
}

// --- algorithms --------------------------------------------------------------

struct AlgInfo {
  TaAlgorithm alg;
  const char* oid;
  const char* name;
  SignatureScheme scheme;
  HashAlgorithm hash;
};

constexpr std::array<AlgInfo, 11> kAlgorithms{{
    {TaAlgorithm::EcdsaSha1, "0.4.0.127.0.7.2.2.2.2.1", "id-TA-ECDSA-SHA-1", SignatureScheme::Ecdsa,
     HashAlgorithm::Sha1},
    {TaAlgorithm::EcdsaSha224, "0.4.0.127.0.7.2.2.2.2.2", "id-TA-ECDSA-SHA-224", SignatureScheme::Ecdsa,
     HashAlgorithm::Sha224},
    {TaAlgorithm::EcdsaSha256, "0.4.0.127.0.7.2.2.2.2.3", "id-TA-ECDSA-SHA-256", SignatureScheme::Ecdsa,
     HashAlgorithm::Sha256},
    {TaAlgorithm::EcdsaSha384, "0.4.0.127.0.7.2.2.2.2.4", "id-TA-ECDSA-SHA-384", SignatureScheme::Ecdsa,
     HashAlgorithm::Sha384},
    {TaAlgorithm::EcdsaSha512, "0.4.0.127.0.7.2.2.2.2.5", "id-TA-ECDSA-SHA-512", SignatureScheme::Ecdsa,
     HashAlgorithm::Sha512},
    {TaAlgorithm::RsaV15Sha1, "0.4.0.127.0.7.2.2.2.1.1", "id-TA-RSA-v1-5-SHA-1", SignatureScheme::RsaPkcs1v15,
     HashAlgorithm::Sha1},
    {TaAlgorithm::RsaV15Sha256, "0.4.0.127.0.7.2.2.2.1.2", "id-TA-RSA-v1-5-SHA-256",
     SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha256},
    {TaAlgorithm::RsaPssSha1, "0.4.0.127.0.7.2.2.2.1.3", "id-TA-RSA-PSS-SHA-1", SignatureScheme::RsaPss,
     HashAlgorithm::Sha1},
    {TaAlgorithm::RsaPssSha256, "0.4.0.127.0.7.2.2.2.1.4", "id-TA-RSA-PSS-SHA-256", SignatureScheme::RsaPss,
     HashAlgorithm::Sha256},
    {TaAlgorithm::RsaV15Sha512, "0.4.0.127.0.7.2.2.2.1.5", "id-TA-RSA-v1-5-SHA-512",
     SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha512},
    {TaAlgorithm::RsaPssSha512, "0.4.0.127.0.7.2.2.2.1.6", "id-TA-RSA-PSS-SHA-512", SignatureScheme::RsaPss,
     HashAlgorithm::Sha512},
}};

const AlgInfo& info(TaAlgorithm a) {
  for (const auto& i : kAlgorithms) {
    if (i.alg == a) return i;
  }
  throw Error("unknown Terminal Authentication algorithm");
}

// --- EC groups ---------------------------------------------------------------

GroupPtr make_group(const EcDomainParameters& d) {
  BnPtr p = to_bn(d.prime), a = to_bn(d.a), b = to_bn(d.b), r = to_bn(d.order);
  GroupPtr group(EC_GROUP_new_curve_GFp(p.get(), a.get(), b.get(), nullptr));
  if (!group) throw Error("EC domain parameters are not a valid prime curve");
  PointPtr g(EC_POINT_new(group.get()));
  if (!g || EC_POINT_oct2point(group.get(), g.get(), d.generator.data(), d.generator.size(), nullptr) != 1) {
    throw Error("EC base point G is not a point on the curve");
  }
  BnPtr f;
  if (!d.cofactor.empty()) f = to_bn(d.cofactor);
  if (EC_GROUP_set_generator(group.get(), g.get(), r.get(), f.get()) != 1) {
    throw Error("EC base point G and order r are inconsistent");
  }
  return group;
}

EcDomainParameters params_of(const EC_GROUP* group) {
  BnPtr p(BN_new()), a(BN_new()), b(BN_new());
  if (!p || !a || !b || EC_GROUP_get_curve(group, p.get(), a.get(), b.get(), nullptr) != 1) {
    throw Error("cannot read the EC curve");
  }
  EcDomainParameters d;
  d.prime = from_bn(p.get());
  d.a = from_bn(a.get());
  d.b = from_bn(b.get());
  std::size_t len = EC_POINT_point2oct(group, EC_GROUP_get0_generator(group), POINT_CONVERSION_UNCOMPRESSED,
                                       nullptr, 0, nullptr);
  d.generator.resize(len);
  EC_POINT_point2oct(group, EC_GROUP_get0_generator(group), POINT_CONVERSION_UNCOMPRESSED, d.generator.data(),
                     len, nullptr);
  d.order = from_bn(EC_GROUP_get0_order(group));
  d.cofactor = from_bn(EC_GROUP_get0_cofactor(group));
  return d;
}

std::string curve_sn(int nid) {
  const char* sn = OBJ_nid2sn(nid);
  return sn == nullptr ? "" : sn;
}

bool is_ec_key(EVP_PKEY* k) { return EVP_PKEY_is_a(k, "EC") == 1; }

}  // namespace

// --- algorithm table ---------------------------------------------------------

std::string ta_oid(TaAlgorithm a) { return info(a).oid; }
std::string ta_name(TaAlgorithm a) { return info(a).name; }
bool ta_is_ecdsa(TaAlgorithm a) { return info(a).scheme == SignatureScheme::Ecdsa; }
HashAlgorithm ta_hash(TaAlgorithm a) { return info(a).hash; }
SignatureScheme ta_scheme(TaAlgorithm a) { return info(a).scheme; }

std::optional<TaAlgorithm> ta_algorithm_from_oid(const std::string& oid) {
  for (const auto& i : kAlgorithms) {
    if (oid == i.oid) return i.alg;
  }
  return std::nullopt;
}

// --- CHAT --------------------------------------------------------------------

std::string role_name(CvRole r) {
  switch (r) {
    case CvRole::Cvca:
      return "CVCA";
    case CvRole::DvDomestic:
      return "DV (domestic)";
    case CvRole::DvForeign:
      return "DV (foreign)";
    case CvRole::InspectionSystem:
      return "IS";
  }
  return "?";
}

std::string rights_text(std::uint8_t rights) {
  std::string out;
  if ((rights & kReadDg3) != 0) out = "read DG3";
  if ((rights & kReadDg4) != 0) out += std::string(out.empty() ? "" : " + ") + "read DG4";
  std::uint8_t other = static_cast<std::uint8_t>(rights & ~(kReadDg3 | kReadDg4) & 0x3F);
  if (other != 0) out += std::string(out.empty() ? "" : " + ") + "RFU bits 0x" + to_hex(ByteView(&other, 1));
  return out.empty() ? "none" : out;
}

Chat Chat::inspection_system(CvRole role, std::uint8_t rights) {
  if ((rights & ~(kReadDg3 | kReadDg4)) != 0) throw Error("id-IS rights are read DG3 and read DG4 only");
  Chat c;
  c.oid = kIdIs;
  c.authorization = {static_cast<std::uint8_t>((static_cast<unsigned>(role) << 6) | rights)};
  return c;
}

// --- domain parameters -------------------------------------------------------

EcDomainParameters EcDomainParameters::named(const std::string& curve) {
  int nid = OBJ_sn2nid(curve.c_str());
  GroupPtr group(nid == NID_undef ? nullptr : EC_GROUP_new_by_curve_name(nid));
  if (!group) throw Error("unknown elliptic curve '" + curve + "'");
  return params_of(group.get());
}

std::string EcDomainParameters::curve_name() const {
  try {
    GroupPtr g = make_group(*this);
    int nid = EC_GROUP_check_named_curve(g.get(), 0, nullptr);
    return nid > 0 ? curve_sn(nid) : "";
  } catch (const Error&) {
    return "";
  }
}

std::size_t EcDomainParameters::field_size() const { return prime.size(); }
std::size_t EcDomainParameters::order_size() const { return order.size(); }

// --- public keys -------------------------------------------------------------

TaAlgorithm CvPublicKey::algorithm() const {
  auto a = ta_algorithm_from_oid(oid);
  if (!a) throw Error("public key OID " + oid + " is no Terminal Authentication algorithm (id-TA-*)");
  return *a;
}

bool CvPublicKey::is_ec() const { return ta_is_ecdsa(algorithm()); }

EvpPkeyPtr CvPublicKey::to_evp(const EcDomainParameters* inherited) const {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) throw Error("out of memory");
  const char* type = "RSA";
  // The builder keeps pointers to these until OSSL_PARAM_BLD_to_param: they live as long as it.
  BnPtr n, e, p, a, b, r, f;
  std::string name;
  if (is_ec()) {
    type = "EC";
    const EcDomainParameters* d = domain ? &*domain : inherited;
    if (d == nullptr) throw Error("EC public key without domain parameters and none inherited from a CVCA");
    GroupPtr group = make_group(*d);
    PointPtr q(EC_POINT_new(group.get()));
    if (point.size() != 1 + 2 * d->field_size() || point[0] != 0x04 || !q ||
        EC_POINT_oct2point(group.get(), q.get(), point.data(), point.size(), nullptr) != 1 ||
        EC_POINT_is_on_curve(group.get(), q.get(), nullptr) != 1 ||
        EC_POINT_is_at_infinity(group.get(), q.get())) {
      throw Error("EC public point is not an uncompressed point on the curve");
    }
    int nid = EC_GROUP_check_named_curve(group.get(), 0, nullptr);
    name = nid > 0 ? curve_sn(nid) : "";
    if (!name.empty()) {
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, name.c_str(), 0);
    } else {
      p = to_bn(d->prime), a = to_bn(d->a), b = to_bn(d->b), r = to_bn(d->order);
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_EC_FIELD_TYPE, SN_X9_62_prime_field, 0);
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_EC_P, p.get());
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_EC_A, a.get());
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_EC_B, b.get());
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_EC_ORDER, r.get());
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_EC_GENERATOR, d->generator.data(),
                                       d->generator.size());
      if (!d->cofactor.empty()) {
        f = to_bn(d->cofactor);
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_EC_COFACTOR, f.get());
      }
    }
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  } else {
    if (modulus.empty() || exponent.empty()) throw Error("RSA public key without modulus or exponent");
    n = to_bn(modulus), e = to_bn(exponent);
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw Error(std::string("cannot use the ") + type + " public key of the certificate");
  }
  return EvpPkeyPtr(key);
}

std::string CvPublicKey::describe(const EcDomainParameters* inherited) const {
  auto a = ta_algorithm_from_oid(oid);
  if (!a) return "unknown key type " + oid;
  if (ta_is_ecdsa(*a)) {
    const EcDomainParameters* d = domain ? &*domain : inherited;
    std::string curve = d == nullptr ? "" : d->curve_name();
    std::string bits = d == nullptr ? "" : " (" + std::to_string(d->field_size() * 8) + " bit)";
    return "ECDSA " +
           (curve.empty() ? std::string(d == nullptr ? "inherited curve" : "explicit curve") : curve) + bits +
           (domain ? ", with domain parameters" : "") + ", " + ta_name(*a);
  }
  BnPtr n = to_bn(modulus);
  return "RSA " + std::to_string(BN_num_bits(n.get())) + " bit, " + ta_name(*a);
}

// --- private keys ------------------------------------------------------------

CvPrivateKey::CvPrivateKey(EvpPkeyPtr key) : key_(std::move(key)) {
  if (!key_) throw Error("no private key");
  if (!is_ec_key(key_.get()) && EVP_PKEY_is_a(key_.get(), "RSA") != 1) {
    throw Error("CV certificate keys are EC or RSA");
  }
}

CvPrivateKey CvPrivateKey::from_pem(const SecureBytes& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* k = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (k == nullptr) throw Error("not a PEM private key");
  return CvPrivateKey(EvpPkeyPtr(k));
}

CvPrivateKey CvPrivateKey::load_pem(const std::string& path) {
  Bytes raw = read_file(path, 1U << 20);
  SecureBytes pem(raw.begin(), raw.end());
  OPENSSL_cleanse(raw.data(), raw.size());
  try {
    return from_pem(pem);
  } catch (const Error&) {
    throw Error(path + ": not a PEM private key");
  }
}

CvPrivateKey CvPrivateKey::generate_ec(const std::string& curve) {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.c_str());
  if (k == nullptr) throw Error("cannot generate an EC key on " + curve);
  return CvPrivateKey(EvpPkeyPtr(k));
}

CvPrivateKey CvPrivateKey::generate_rsa(int bits) {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits));
  if (k == nullptr) throw Error("cannot generate an RSA key of " + std::to_string(bits) + " bit");
  return CvPrivateKey(EvpPkeyPtr(k));
}

bool CvPrivateKey::is_ec() const { return is_ec_key(key_.get()); }

SecureBytes CvPrivateKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw Error("cannot write the private key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return SecureBytes(data, data + len);
}

CvPublicKey CvPrivateKey::public_key(TaAlgorithm a, bool with_domain) const {
  CvPublicKey pk;
  pk.oid = ta_oid(a);
  if (ta_is_ecdsa(a) != is_ec()) throw Error(ta_name(a) + " does not fit a key of this type");
  if (is_ec()) {
    char name[80] = {};
    std::size_t name_len = 0;
    if (EVP_PKEY_get_utf8_string_param(key_.get(), OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
                                       &name_len) != 1) {
      throw Error("EC keys for CV certificates must be on a named curve");
    }
    EcDomainParameters d = EcDomainParameters::named(name);
    std::size_t len = 0;
    EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0, &len);
    pk.point.resize(len);
    if (len == 0 ||
        EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, pk.point.data(), len, &len) !=
            1 ||
        pk.point[0] != 0x04) {
      throw Error("cannot read the EC public point");
    }
    if (with_domain) pk.domain = d;
  } else {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    if (EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
      BN_free(n);
      BN_free(e);
      throw Error("cannot read the RSA public key");
    }
    BnPtr nn(n), ee(e);
    pk.modulus = from_bn(n);
    pk.exponent = from_bn(e);
  }
  return pk;
}

namespace {

void set_pss(EVP_PKEY_CTX* pctx, HashAlgorithm h) {
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(hash_size(h))) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, evp_md(h)) != 1) {
    throw Error("cannot set up RSASSA-PSS");
  }
}

}  // namespace

Bytes CvPrivateKey::sign(TaAlgorithm a, ByteView message) const {
  const AlgInfo& alg = info(a);
  if (ta_is_ecdsa(a) != is_ec()) throw Error(ta_name(a) + " does not fit a key of this type");
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestSignInit(md.get(), &pctx, evp_md(alg.hash), nullptr, key_.get()) != 1) {
    throw Error("cannot start signing with " + ta_name(a));
  }
  if (alg.scheme == SignatureScheme::RsaPss) set_pss(pctx, alg.hash);
  std::size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, message.data(), message.size()) != 1)
    throw Error("signing failed");
  Bytes sig(len);
  if (EVP_DigestSign(md.get(), sig.data(), &len, message.data(), message.size()) != 1)
    throw Error("signing failed");
  sig.resize(len);
  if (!is_ec()) return sig;
  // DER ECDSA-Sig-Value to plain r || s (BSI TR-03111), halves as long as the order.
  const unsigned char* p = sig.data();
  EcdsaSigPtr es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!es) throw Error("signing produced no ECDSA signature");
  std::size_t half = static_cast<std::size_t>((EVP_PKEY_get_bits(key_.get()) + 7) / 8);
  Bytes plain(2 * half);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), plain.data(), static_cast<int>(half)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), plain.data() + half, static_cast<int>(half)) < 0) {
    throw Error("ECDSA signature does not fit the order length");
  }
  return plain;
}

bool ta_verify_signature(const CvPublicKey& key, const EcDomainParameters* inherited, ByteView message,
                         ByteView signature) {
  const AlgInfo& alg = info(key.algorithm());
  EvpPkeyPtr pkey = key.to_evp(inherited);
  Bytes sig(signature.begin(), signature.end());
  if (alg.scheme == SignatureScheme::Ecdsa) {
    const EcDomainParameters* d = key.domain ? &*key.domain : inherited;
    std::size_t half = d->order_size();
    if (signature.size() != 2 * half) return false;
    BnPtr r = to_bn(signature.first(half)), s = to_bn(signature.subspan(half));
    EcdsaSigPtr es(ECDSA_SIG_new());
    if (!es || ECDSA_SIG_set0(es.get(), r.get(), s.get()) != 1) throw Error("out of memory");
    (void)r.release();
    (void)s.release();
    unsigned char* der = nullptr;
    int der_len = i2d_ECDSA_SIG(es.get(), &der);
    if (der_len <= 0) throw Error("out of memory");
    sig.assign(der, der + der_len);
    OPENSSL_free(der);
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestVerifyInit(md.get(), &pctx, evp_md(alg.hash), nullptr, pkey.get()) != 1) {
    throw Error("cannot start verifying with " + std::string(alg.name));
  }
  if (alg.scheme == SignatureScheme::RsaPss) set_pss(pctx, alg.hash);
  int ok = EVP_DigestVerify(md.get(), sig.data(), sig.size(), message.data(), message.size());
  return ok == 1;
}

// --- certificate -------------------------------------------------------------

namespace {

CvPublicKey decode_public_key(tlv::Reader r) {
  const std::string ctx = "CV certificate public key";
  CvPublicKey pk;
  pk.oid = der::oid_text(r.expect(der::kOid).value, ctx + " OID");
  auto alg = ta_algorithm_from_oid(pk.oid);
  if (!alg) throw DecodeError(ctx + ": OID " + pk.oid + " is no id-TA-* algorithm");
  if (ta_is_ecdsa(*alg)) {
    // Domain parameters are all present (cofactor optional) or all absent (D.3.3).
    if (auto p = r.optional(0x81)) {
      EcDomainParameters d;
      d.prime = Bytes(p->value.begin(), p->value.end());
      auto take = [&](tlv::Tag t, const char* what) {
        auto e = r.expect(t);
        Bytes v(e.value.begin(), e.value.end());
        if (t != 0x84) check_unsigned(v, ctx + " " + what);
        return v;
      };
      check_unsigned(d.prime, ctx + " prime p");
      d.a = take(0x82, "coefficient a");
      d.b = take(0x83, "coefficient b");
      d.generator = take(0x84, "base point G");
      d.order = take(0x85, "order r");
      if (d.generator.size() != 1 + 2 * d.prime.size() || d.generator[0] != 0x04) {
        throw DecodeError(ctx + ": base point G is no uncompressed point of the field size");
      }
      pk.domain = std::move(d);
    }
    auto y = r.expect(0x86);
    pk.point = Bytes(y.value.begin(), y.value.end());
    if (pk.point.empty() || pk.point[0] != 0x04 || pk.point.size() % 2 != 1) {
      throw DecodeError(ctx + ": public point is not in uncompressed form");
    }
    if (pk.domain && pk.point.size() != 1 + 2 * pk.domain->prime.size()) {
      throw DecodeError(ctx + ": public point length does not fit the prime");
    }
    if (pk.domain) {
      if (auto f = r.optional(0x87)) {
        pk.domain->cofactor = Bytes(f->value.begin(), f->value.end());
        check_unsigned(pk.domain->cofactor, ctx + " cofactor f");
      }
    }
  } else {
    auto n = r.expect(0x81);
    auto e = r.expect(0x82);
    pk.modulus = Bytes(n.value.begin(), n.value.end());
    pk.exponent = Bytes(e.value.begin(), e.value.end());
    check_unsigned(pk.modulus, ctx + " modulus n");
    check_unsigned(pk.exponent, ctx + " exponent e");
    if (pk.exponent.size() > 4) throw DecodeError(ctx + ": RSA exponent longer than 32 bit");
  }
  r.expect_end();
  return pk;
}

Bytes encode_public_key(const CvPublicKey& pk) {
  tlv::Writer w;
  w.raw(der::oid(pk.oid));
  if (pk.is_ec()) {
    if (pk.domain) {
      w.add(0x81, pk.domain->prime).add(0x82, pk.domain->a).add(0x83, pk.domain->b);
      w.add(0x84, pk.domain->generator).add(0x85, pk.domain->order);
    }
    w.add(0x86, pk.point);
    if (pk.domain && !pk.domain->cofactor.empty()) w.add(0x87, pk.domain->cofactor);
  } else {
    w.add(0x81, pk.modulus).add(0x82, pk.exponent);
  }
  return w.wrap(kPublicKey);
}

}  // namespace

CvCertificate CvCertificate::decode(ByteView encoded) {
  const std::string ctx = "CV certificate";
  tlv::Reader top(encoded, ctx, cv_options());
  auto cert = top.expect(kCvCertificate);
  top.expect_end();
  tlv::Reader cr = top.enter(cert);
  auto body = cr.expect(kBody);
  auto sig = cr.expect(kSignature);
  cr.expect_end();

  CvCertificate c;
  tlv::Reader b = cr.enter(body);
  auto pid = b.expect(kProfileId);
  if (pid.value.size() != 1 || pid.value[0] != 0x00) {
    throw DecodeError(ctx + ": certificate profile identifier " + to_hex(pid.value) +
                      ", only 00 (version 1) is known");
  }
  c.profile_identifier = pid.value[0];
  c.car = read_reference(b.expect(kCar).value, ctx + " CAR");
  c.public_key = decode_public_key(b.enter(b.expect(kPublicKey)));
  c.chr = read_reference(b.expect(kChr).value, ctx + " CHR");
  {
    auto chat = b.expect(kChat);
    tlv::Reader ch = b.enter(chat);
    c.chat.oid = der::oid_text(ch.expect(der::kOid).value, ctx + " CHAT OID");
    auto dd = ch.expect(kDiscretionary);
    ch.expect_end();
    if (dd.value.empty()) throw DecodeError(ctx + ": CHAT relative authorization is empty");
    if (c.chat.oid == kIdIs && dd.value.size() != 1) {
      throw DecodeError(ctx + ": id-IS relative authorization must be one byte, is " +
                        std::to_string(dd.value.size()));
    }
    c.chat.authorization = Bytes(dd.value.begin(), dd.value.end());
  }
  c.effective = read_date(b.expect(kEffective).value, ctx + " effective date");
  c.expiration = read_date(b.expect(kExpiration).value, ctx + " expiration date");
  if (auto ext = b.optional(kExtensions)) {
    tlv::Reader er = b.enter(*ext);
    while (!er.at_end()) (void)er.next();  // a run of well-formed data objects
    c.extensions = Bytes(ext->value.begin(), ext->value.end());
  }
  b.expect_end();
  if (sig.value.empty()) throw DecodeError(ctx + ": empty signature");
  c.signature = Bytes(sig.value.begin(), sig.value.end());
  return c;
}

CvCertificate CvCertificate::load(const std::string& path) {
  Bytes raw = read_file(path, 65536 + 16);
  try {
    return decode(raw);
  } catch (const DecodeError& e) {
    throw DecodeError(path + ": " + e.what());
  }
}

Bytes CvCertificate::encode_body() const {
  check_reference(car, "CAR");
  check_reference(chr, "CHR");
  if (chat.authorization.empty()) throw Error("CHAT without relative authorization");
  tlv::Writer w;
  w.add(kProfileId, Bytes{profile_identifier});
  w.add_string(kCar, car);
  w.raw(encode_public_key(public_key));
  w.add_string(kChr, chr);
  w.add(kChat, tlv::Writer().raw(der::oid(chat.oid)).add(kDiscretionary, chat.authorization));
  w.add(kEffective, encode_date(effective, "effective date"));
  w.add(kExpiration, encode_date(expiration, "expiration date"));
  if (extensions) w.add(kExtensions, *extensions);
  return w.wrap(kBody);
}

Bytes CvCertificate::encode() const {
  if (signature.empty()) throw Error("CV certificate " + chr + " is not signed");
  return tlv::Writer().raw(encode_body()).add(kSignature, signature).wrap(kCvCertificate);
}

void CvCertificate::sign(const CvPrivateKey& issuer_key, TaAlgorithm issuer_algorithm) {
  signature = issuer_key.sign(issuer_algorithm, encode_body());
}

bool CvCertificate::verify(const CvPublicKey& issuer_key, const EcDomainParameters* inherited) const {
  return ta_verify_signature(issuer_key, inherited, encode_body(), signature);
}

bool CvCertificate::is_test_only() const {
  // CHR = country (2) || mnemonic (0..9) || sequence number (5).
  if (chr.size() <= 7) return false;
  return chr.substr(2, chr.size() - 7).find("TEST") != std::string::npos;
}

std::string cv_label(const CvCertificate& c) { return role_name(c.role()) + " certificate " + c.chr; }

std::string CvCertificate::describe() const {
  std::string out;
  out += "CHR:        " + chr + "\n";
  out += "CAR:        " + car + (self_signed() ? " (self-signed)" : "") + "\n";
  out += "Role:       " + role_name(role()) + (chat.oid == kIdIs ? " (id-IS)" : " (" + chat.oid + ")") + "\n";
  out +=
      "Rights:     " + (chat.oid == kIdIs ? rights_text(chat.rights()) : to_hex(chat.authorization)) + "\n";
  out += "Effective:  " + effective.iso() + "\n";
  out += "Expiration: " + expiration.iso() + "\n";
  out += "Key:        " + public_key.describe() + "\n";
  if (extensions) out += "Extensions: " + std::to_string(extensions->size()) + " bytes\n";
  return out;
}

Bytes encode_ef_cvca(const std::vector<std::string>& cars) {
  if (cars.empty() || cars.size() > 2) throw Error("EF.CVCA holds one or two CARs");
  tlv::Writer w;
  for (const auto& car : cars) {
    check_reference(car, "EF.CVCA CAR");
    w.add_string(kCar, car);
  }
  Bytes out = w.bytes();
  out.resize(36, 0x00);
  return out;
}

std::vector<std::string> decode_ef_cvca(ByteView data) {
  const std::string ctx = "EF.CVCA";
  if (data.size() > 36) throw DecodeError(ctx + ": " + std::to_string(data.size()) + " bytes, at most 36");
  std::size_t end = data.size();
  // The CAR objects end where the zero padding begins (a tag is never 00).
  std::size_t used = 0;
  std::vector<std::string> cars;
  while (used < end && data[used] != 0x00) {
    if (cars.size() == 2) throw DecodeError(ctx + ": more than two CARs");
    tlv::Reader r(data.subspan(used), ctx, cv_options(), used);
    auto e = r.expect(kCar);
    cars.push_back(read_reference(e.value, ctx + " CAR"));
    used += e.encoded.size();
  }
  if (cars.empty()) throw DecodeError(ctx + ": no CAR");
  for (std::size_t i = used; i < end; ++i) {
    if (data[i] != 0x00) throw DecodeError(ctx + ": padding byte " + std::to_string(i) + " is not 00");
  }
  return cars;
}

// --- chain validation --------------------------------------------------------

std::string failure_name(CvFailure f) {
  switch (f) {
    case CvFailure::Malformed:
      return "malformed";
    case CvFailure::WrongIssuer:
      return "wrong issuer";
    case CvFailure::RoleOrder:
      return "role order";
    case CvFailure::BadSignature:
      return "bad signature";
    case CvFailure::Expired:
      return "expired";
    case CvFailure::NotYetEffective:
      return "not yet effective";
    case CvFailure::TerminalType:
      return "terminal type";
    case CvFailure::AlgorithmMismatch:
      return "algorithm mismatch";
    case CvFailure::MissingRights:
      return "missing rights";
  }
  return "?";
}

namespace {

[[noreturn]] void reject(CvFailure f, const std::string& message) { throw CvValidationError(f, message); }

void check_dates(const CvCertificate& c, const Date& current, CvDateMode mode, bool may_be_expired) {
  if (c.expiration < c.effective) {
    reject(CvFailure::Malformed, cv_label(c) + " expires (" + c.expiration.iso() +
                                   ") before it becomes effective (" + c.effective.iso() + ")");
  }
  if (mode == CvDateMode::Host && current < c.effective) {
    reject(CvFailure::NotYetEffective, cv_label(c) + " is not yet effective: effective " + c.effective.iso() +
                                         " (current date " + current.iso() + ")");
  }
  if (!may_be_expired && c.expiration < current) {
    reject(CvFailure::Expired,
         cv_label(c) + " expired " + c.expiration.iso() + " (current date " + current.iso() + ")");
  }
}

bool is_dv(CvRole r) { return r == CvRole::DvDomestic || r == CvRole::DvForeign; }

}  // namespace

CvChainResult validate_cv_chain(const CvCertificate& trust_point, std::span<const CvCertificate> chain,
                                const CvValidationOptions& options) {
  CvChainResult res;
  res.current_date = options.current_date;
  Date& current = res.current_date;
  const bool chip = options.mode == CvDateMode::Chip;

  if (trust_point.role() != CvRole::Cvca) {
    reject(CvFailure::RoleOrder, "trust point " + cv_label(trust_point) + " is not a CVCA certificate");
  }
  std::optional<TaAlgorithm> trust_alg = ta_algorithm_from_oid(trust_point.public_key.oid);
  if (!trust_alg) reject(CvFailure::Malformed, "trust point " + trust_point.chr + " has an unknown key type");
  if (ta_is_ecdsa(*trust_alg) && !trust_point.public_key.domain) {
    reject(CvFailure::Malformed, "trust point " + trust_point.chr + " has no EC domain parameters");
  }
  check_dates(trust_point, current, options.mode, chip);
  if (chain.empty())
    reject(CvFailure::RoleOrder, "empty certificate chain: a DV and a terminal certificate are needed");

  const CvCertificate* issuer = &trust_point;
  std::optional<EcDomainParameters> domain = trust_point.public_key.domain;
  std::uint8_t rights = trust_point.chat.rights();
  res.cvca_chr = trust_point.chr;

  for (std::size_t i = 0; i < chain.size(); ++i) {
    const CvCertificate& c = chain[i];
    const std::string label = cv_label(c);
    if (c.car != issuer->chr) {
      if (i == 0 || issuer->role() == CvRole::Cvca) {
        reject(CvFailure::WrongIssuer,
             "chain does not lead to CVCA " + issuer->chr + ": " + label + " was issued by " + c.car);
      }
      reject(CvFailure::WrongIssuer,
           label + " was issued by " + c.car + ", but the previous certificate is " + cv_label(*issuer));
    }
    const CvRole role = c.role();
    const CvRole issuer_role = issuer->role();
    const bool link = role == CvRole::Cvca;
    if (link && issuer_role != CvRole::Cvca) {
      reject(CvFailure::RoleOrder, label + " (a CVCA link certificate) follows " + cv_label(*issuer));
    }
    if (is_dv(role) && issuer_role != CvRole::Cvca) {
      reject(CvFailure::RoleOrder, label + " must be issued by a CVCA, not by " + cv_label(*issuer));
    }
    if (role == CvRole::InspectionSystem && !is_dv(issuer_role)) {
      reject(CvFailure::RoleOrder, label + " must be issued by a DV, not by " + cv_label(*issuer));
    }
    if (c.chat.oid != issuer->chat.oid) {
      reject(CvFailure::TerminalType, label + " has terminal type " + c.chat.oid + ", its issuer " +
                                        issuer->chr + " has " + issuer->chat.oid);
    }
    if (!ta_algorithm_from_oid(c.public_key.oid)) {
      reject(CvFailure::Malformed, label + " has an unknown key type " + c.public_key.oid);
    }
    if (!link && c.public_key.oid != issuer->public_key.oid) {
      reject(CvFailure::AlgorithmMismatch, label + " uses " + c.public_key.oid + ", its issuer " + issuer->chr +
                                             " uses " + issuer->public_key.oid +
                                             "; a chain keeps one algorithm");
    }
    if (!link && c.public_key.domain) {
      reject(CvFailure::Malformed,
           label +
               " carries EC domain parameters; DV and terminal keys inherit the CVCA's (TR-03110-3 D.3.3)");
    }
    bool good = false;
    try {
      good = c.verify(issuer->public_key, domain ? &*domain : nullptr);
    } catch (const Error& e) {
      reject(CvFailure::BadSignature,
           label + ": signature cannot be checked with the key of " + issuer->chr + ": " + e.what());
    }
    if (!good) {
      reject(CvFailure::BadSignature,
           label + ": signature does not verify with the key of " + cv_label(*issuer));
    }
    // The key of an expired trust point must not verify DV certificates (§2.5.1).
    if (chip && is_dv(role) && issuer->expiration < current) {
      reject(CvFailure::Expired, "CVCA " + issuer->chr + " expired " + issuer->expiration.iso() +
                                   " and no longer verifies DV certificates (current date " + current.iso() +
                                   ")");
    }
    check_dates(c, current, options.mode, chip && link);
    if (chip) {
      bool accurate = link || is_dv(role) || issuer_role == CvRole::DvDomestic;
      if (accurate && current < c.effective) current = c.effective;
    }
    if (link) {
      rights = c.chat.rights();
      res.cvca_chr = c.chr;
      res.new_trust_points.push_back(&c);
      if (c.public_key.domain) domain = c.public_key.domain;
      if (ta_is_ecdsa(*ta_algorithm_from_oid(c.public_key.oid)) && !domain) {
        reject(CvFailure::Malformed, label + " has no EC domain parameters and none to inherit");
      }
    } else {
      rights = static_cast<std::uint8_t>(rights & c.chat.rights());
    }
    issuer = &c;
  }

  const CvCertificate& last = chain.back();
  if (last.role() != CvRole::InspectionSystem) {
    reject(CvFailure::RoleOrder, "chain ends with " + cv_label(last) + ", not with a terminal certificate");
  }
  res.terminal = &last;
  res.role = last.role();
  res.effective_rights = rights;
  res.domain = domain;
  res.terminal_key = last.public_key;
  if (res.terminal_key.is_ec()) res.terminal_key.domain = domain;
  if ((rights & options.required_rights) != options.required_rights) {
    reject(CvFailure::MissingRights,
         cv_label(last) + " does not grant " + rights_text(options.required_rights) +
             " (effective authorization of the chain: " + rights_text(rights) + ")");
  }
  return res;
}

}  // namespace rcperso::pki
