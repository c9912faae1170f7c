#include "secure/chip_auth.hpp"
#include "core/openssl_ptr.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "core/error.hpp"
#include "secure/crypto.hpp"
#include "secure/pace.hpp"
#include "secure/terminal_auth.hpp"

namespace rcperso::secure {

namespace {

constexpr std::string_view kCaEcdhPrefix = "0.4.0.127.0.7.2.2.3.2.";
constexpr std::string_view kCaDhPrefix = "0.4.0.127.0.7.2.2.3.1.";

PkeyPtr decode_chip_key(ByteView spki) {
  const unsigned char* p = spki.data();
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (!key || p != spki.data() + spki.size())
    throw Error("Chip Authentication: the public key in DG14 is not a valid SubjectPublicKeyInfo");
  return key;
}

bool is_dh(const EVP_PKEY* key) {
  int id = EVP_PKEY_get_base_id(key);
  return id == EVP_PKEY_DH || id == EVP_PKEY_DHX;
}

PkeyPtr decode_ec_key(ByteView spki) {
  PkeyPtr key = decode_chip_key(spki);
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC)
    throw Error("Chip Authentication: the public key in DG14 is not an elliptic-curve key");
  return key;
}

/// p, g and (if the parameters carry it) q of a DH key, and its public value y.
struct DhNumbers {
  BnPtr p, g, q, y;
  std::size_t bytes = 0;  // of p
};

DhNumbers dh_numbers(const EVP_PKEY* key, bool with_public) {
  if (!is_dh(key)) throw Error("Chip Authentication: the public key in DG14 is not a DH key");
  DhNumbers n;
  BIGNUM *p = nullptr, *g = nullptr, *q = nullptr, *y = nullptr;
  bool ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_P, &p) == 1 &&
            EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_G, &g) == 1;
  n.p.reset(p), n.g.reset(g);
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_Q, &q) == 1) n.q.reset(q);
  if (with_public) {
    ok = ok && EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1;
    n.y.reset(y);
  }
  if (!ok) throw Error("Chip Authentication: cannot read the DH key's p, g and public value");
  if (BN_num_bits(n.p.get()) < 1024 || BN_num_bits(n.p.get()) > 4096 || !BN_is_odd(n.p.get()))
    throw Error("Chip Authentication: the DH modulus p must be an odd number of 1024 to 4096 bits");
  n.bytes = static_cast<std::size_t>(BN_num_bytes(n.p.get()));
  return n;
}

/// 2 <= v <= p-2 and, with q known, v^q = 1 mod p: an element of the prime-order subgroup
/// (not 1, not -1, so no small-subgroup value).
bool in_dh_subgroup(const DhNumbers& n, const BIGNUM* v) {
  BnPtr upper(BN_dup(n.p.get())), t(BN_new());
  BnCtxPtr ctx(BN_CTX_new());
  if (!upper || !t || !ctx || BN_sub_word(upper.get(), 2) != 1) throw Error("out of memory");
  if (BN_cmp(v, BN_value_one()) <= 0 || BN_cmp(v, upper.get()) > 0) return false;
  if (!n.q) return true;
  if (BN_mod_exp(t.get(), v, n.q.get(), n.p.get(), ctx.get()) != 1) throw Error("DH arithmetic failed");
  return BN_is_one(t.get()) == 1;
}

GroupPtr group_of(EVP_PKEY* key) {
  OSSL_PARAM* raw = nullptr;
  if (EVP_PKEY_todata(key, EVP_PKEY_KEY_PARAMETERS, &raw) != 1)
    throw Error("Chip Authentication: cannot read the key's domain parameters");
  ParamPtr params(raw);
  GroupPtr group(EC_GROUP_new_from_params(params.get(), nullptr, nullptr));
  if (!group) throw Error("Chip Authentication: unusable domain parameters in DG14");
  if (EC_GROUP_get_field_type(group.get()) != NID_X9_62_prime_field)
    throw Error("Chip Authentication: only prime-field curves are supported");
  return group;
}

Bytes bn_bytes(const BIGNUM* bn, std::size_t size) {
  Bytes out(size);
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(size)) < 0) throw Error("number too large");
  return out;
}

Bytes point_bytes(const EC_GROUP* group, const EC_POINT* point) {
  std::size_t n = EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, nullptr, 0, nullptr);
  Bytes out(n);
  if (n == 0 || EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, out.data(), n, nullptr) != n)
    throw Error("cannot encode an EC point");
  return out;
}

std::size_t field_bytes_of(const EC_GROUP* group) {
  return static_cast<std::size_t>((EC_GROUP_get_degree(group) + 7) / 8);
}

PkeyPtr standard_dh_parameters(int parameter_id) {
  std::string name = modp_group_name(parameter_id);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DHX", nullptr));
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name.data(), 0),
                         OSSL_PARAM_END};
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_paramgen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_params(ctx.get(), params) != 1 ||
      EVP_PKEY_paramgen(ctx.get(), &raw) != 1)
    throw Error(std::string("cannot load the MODP group ") + name);
  return PkeyPtr(raw);
}

}  // namespace

ChipAuthProtocol chip_authentication_protocol(const std::string& oid) {
  const bool dh = oid.rfind(kCaDhPrefix, 0) == 0;
  if ((!dh && oid.rfind(kCaEcdhPrefix, 0) != 0) || oid.size() != kCaEcdhPrefix.size() + 1)
    throw Error("not a Chip Authentication protocol: " + oid);
  ChipAuthProtocol p;
  p.oid = oid;
  p.ecdh = !dh;
  switch (oid.back()) {
    case '1':
      p.cipher = SmCipher::Tdes, p.key_bits = 112;
      break;
    case '2':
      p.key_bits = 128;
      break;
    case '3':
      p.key_bits = 192;
      break;
    case '4':
      p.key_bits = 256;
      break;
    default:
      throw Error("unknown Chip Authentication cipher in " + oid);
  }
  return p;
}

bool is_supported_chip_curve(const std::string& curve_name) {
  int nid = OBJ_txt2nid(curve_name.c_str());
  if (nid == NID_undef) nid = EC_curve_nist2nid(curve_name.c_str());
  if (nid == NID_undef) return false;
  GroupPtr group(EC_GROUP_new_by_curve_name(nid));
  return group && EC_GROUP_get_field_type(group.get()) == NID_X9_62_prime_field &&
         EC_GROUP_get_degree(group.get()) >= 224;
}

namespace {

Bytes encoded_point(EVP_PKEY* key) {
  std::size_t n = 0;
  Bytes point(256);
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(), point.size(),
                                      &n) != 1)
    throw Error("cannot read the chip public point");
  point.resize(n);
  return point;
}

// The SubjectPublicKeyInfo with explicit domain parameters. Through OpenSSL 3's encoders it costs
// about a fifth of making the key; for one curve and point length everything before the point (the
// parameters and the lengths) is the same, so it is taken from the first key's encoding and the
// point appended.
Bytes encode_public_key(EVP_PKEY* key, const std::string& curve_name) {
  static std::mutex mutex;
  static std::map<std::pair<std::string, std::size_t>, Bytes> before_point;
  const Bytes point = encoded_point(key);
  const auto shape = std::make_pair(curve_name, point.size());
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = before_point.find(shape);
    if (it != before_point.end()) {
      Bytes spki = it->second;
      spki.insert(spki.end(), point.begin(), point.end());
      return spki;
    }
  }
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) throw Error("cannot encode the chip public key");
  Bytes spki(der, der + len);
  OPENSSL_free(der);
  if (spki.size() > point.size()) {
    const auto point_at = spki.end() - static_cast<std::ptrdiff_t>(point.size());
    if (std::equal(point.begin(), point.end(), point_at)) {
      std::lock_guard<std::mutex> lock(mutex);
      before_point.emplace(shape, Bytes(spki.begin(), point_at));
    }
  }
  return spki;
}

}  // namespace

ChipKeyPair generate_chip_ec_key(const std::string& curve_name) {
  if (!is_supported_chip_curve(curve_name)) throw Error("no chip keys on curve '" + curve_name + "'");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) throw Error("EC key generation unavailable");
  std::string name = curve_name;
  std::string encoding = OSSL_PKEY_EC_ENCODING_EXPLICIT;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name.data(), 0),
                         OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, encoding.data(), 0),
                         OSSL_PARAM_END};
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_CTX_set_params(ctx.get(), params) != 1 || EVP_PKEY_generate(ctx.get(), &raw) != 1)
    throw Error("cannot generate a chip key on curve " + curve_name);
  PkeyPtr key(raw);
  ChipKeyPair pair;
  pair.subject_public_key_info = encode_public_key(key.get(), curve_name);
  BIGNUM* priv_raw = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &priv_raw) != 1)
    throw Error("cannot read the chip private key");
  BnPtr priv(priv_raw);
  GroupPtr group = group_of(key.get());
  std::size_t order_bytes = static_cast<std::size_t>(BN_num_bytes(EC_GROUP_get0_order(group.get())));
  pair.private_key.resize(order_bytes);
  if (BN_bn2binpad(priv.get(), pair.private_key.data(), static_cast<int>(order_bytes)) < 0)
    throw Error("cannot encode the chip private key");
  return pair;
}

EcDomain ec_domain_of(ByteView spki) {
  PkeyPtr key = decode_ec_key(spki);
  GroupPtr group = group_of(key.get());
  BnPtr p(BN_new()), a(BN_new()), b(BN_new()), h(BN_new());
  if (!p || !a || !b || !h || EC_GROUP_get_curve(group.get(), p.get(), a.get(), b.get(), nullptr) != 1 ||
      EC_GROUP_get_cofactor(group.get(), h.get(), nullptr) != 1)
    throw Error("Chip Authentication: cannot read the curve of the key");
  EcDomain d;
  d.field_bytes = field_bytes_of(group.get());
  d.prime = bn_bytes(p.get(), d.field_bytes);
  d.a = bn_bytes(a.get(), d.field_bytes);
  d.b = bn_bytes(b.get(), d.field_bytes);
  d.generator = point_bytes(group.get(), EC_GROUP_get0_generator(group.get()));
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  d.order = bn_bytes(order, static_cast<std::size_t>(BN_num_bytes(order)));
  d.cofactor = bn_bytes(h.get(), static_cast<std::size_t>(std::max(1, BN_num_bytes(h.get()))));
  return d;
}

Bytes ec_public_point(ByteView spki) {
  PkeyPtr key = decode_ec_key(spki);
  std::size_t n = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0, &n) != 1)
    throw Error("Chip Authentication: cannot read the public point");
  Bytes out(n);
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out.data(), n, &n) != 1)
    throw Error("Chip Authentication: cannot read the public point");
  out.resize(n);
  if (out.empty() || out[0] != 0x04) {
    // A compressed point in DG14: decode it through the group.
    GroupPtr group = group_of(key.get());
    PointPtr point(EC_POINT_new(group.get()));
    if (!point || EC_POINT_oct2point(group.get(), point.get(), out.data(), out.size(), nullptr) != 1)
      throw Error("Chip Authentication: the public point is not on the curve");
    out = point_bytes(group.get(), point.get());
  }
  return out;
}

std::string describe_ec_key(ByteView spki) {
  PkeyPtr key = decode_ec_key(spki);
  GroupPtr group = group_of(key.get());
  int bits = EC_GROUP_get_degree(group.get());
  int nid = EC_GROUP_check_named_curve(group.get(), 0, nullptr);
  if (nid > 0) return std::string(OBJ_nid2sn(nid)) + " (" + std::to_string(bits) + " bit)";
  return "explicit " + std::to_string(bits) + "-bit prime curve";
}

bool is_supported_chip_dh_group(int parameter_id) { return parameter_id >= 0 && parameter_id <= 2; }

ChipKeyPair generate_chip_dh_key(int parameter_id) {
  if (!is_supported_chip_dh_group(parameter_id))
    throw Error("no chip DH keys in group " + std::to_string(parameter_id) + " (MODP parameter IDs 0-2)");
  std::string name = modp_group_name(parameter_id);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DHX", nullptr));
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name.data(), 0),
                         OSSL_PARAM_END};
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_params(ctx.get(), params) != 1 ||
      EVP_PKEY_generate(ctx.get(), &raw) != 1)
    throw Error("cannot generate a chip DH key in " + pace_parameter_name(parameter_id));
  PkeyPtr key(raw);
  ChipKeyPair pair;
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0) throw Error("cannot encode the chip DH public key");
  pair.subject_public_key_info.assign(der, der + len);
  OPENSSL_free(der);
  DhNumbers n = dh_numbers(key.get(), false);
  BIGNUM* x_raw = nullptr;
  if (!n.q || EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &x_raw) != 1)
    throw Error("cannot read the chip DH private key");
  BnPtr x(x_raw);
  pair.private_key.resize(static_cast<std::size_t>(BN_num_bytes(n.q.get())));
  if (BN_bn2binpad(x.get(), pair.private_key.data(), static_cast<int>(pair.private_key.size())) < 0)
    throw Error("cannot encode the chip DH private key");
  return pair;
}

bool is_dh_chip_key(ByteView spki) {
  PkeyPtr key = decode_chip_key(spki);
  if (is_dh(key.get())) return true;
  if (EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC) return false;
  throw Error("Chip Authentication: the public key in DG14 is neither an EC nor a DH key");
}

DhDomain dh_domain_of(ByteView spki) {
  PkeyPtr key = decode_chip_key(spki);
  DhNumbers n = dh_numbers(key.get(), false);
  DhDomain d;
  d.prime = bn_bytes(n.p.get(), n.bytes);
  d.generator = bn_bytes(n.g.get(), n.bytes);
  if (n.q) d.order = bn_bytes(n.q.get(), static_cast<std::size_t>(BN_num_bytes(n.q.get())));
  return d;
}

Bytes dh_public_value(ByteView spki) {
  PkeyPtr key = decode_chip_key(spki);
  DhNumbers n = dh_numbers(key.get(), true);
  return bn_bytes(n.y.get(), n.bytes);
}

std::string describe_dh_key(ByteView spki) {
  DhDomain d = dh_domain_of(spki);
  for (int id = 0; id <= 2; ++id) {
    PkeyPtr standard = standard_dh_parameters(id);
    DhNumbers n = dh_numbers(standard.get(), false);
    if (bn_bytes(n.p.get(), n.bytes) == d.prime && bn_bytes(n.g.get(), n.bytes) == d.generator &&
        bn_bytes(n.q.get(), static_cast<std::size_t>(BN_num_bytes(n.q.get()))) == d.order)
      return pace_parameter_name(id) + " (RFC 5114, parameter ID " + std::to_string(id) + ")";
  }
  return std::to_string(d.prime.size() * 8) + "-bit MODP group" + (d.order.empty() ? " without q" : "");
}

std::string describe_chip_key(ByteView spki) {
  return is_dh_chip_key(spki) ? describe_dh_key(spki) : describe_ec_key(spki);
}

EcDomain ec_domain_of_curve(const std::string& curve_name) {
  // A throwaway key carries the curve's explicit parameters in the form ec_domain_of reads.
  return ec_domain_of(generate_chip_ec_key(curve_name).subject_public_key_info);
}

Bytes ec_public_key_info(const std::string& curve_name, ByteView point, bool explicit_parameters) {
  if (!is_supported_chip_curve(curve_name)) throw Error("no chip keys on curve '" + curve_name + "'");
  int nid = OBJ_txt2nid(curve_name.c_str());
  if (nid == NID_undef) nid = EC_curve_nist2nid(curve_name.c_str());
  GroupPtr group(EC_GROUP_new_by_curve_name(nid));
  if (!group) throw Error("unknown curve " + curve_name);
  const std::size_t field = field_bytes_of(group.get());
  if (point.size() != 1 + 2 * field || point[0] != 0x04) {
    throw Error("the public key is not an uncompressed point of " + curve_name + " (" +
                std::to_string(point.size()) + " bytes, expected " + std::to_string(1 + 2 * field) + ")");
  }
  PointPtr decoded(EC_POINT_new(group.get()));
  if (!decoded || EC_POINT_oct2point(group.get(), decoded.get(), point.data(), point.size(), nullptr) != 1 ||
      EC_POINT_is_on_curve(group.get(), decoded.get(), nullptr) != 1 ||
      EC_POINT_is_at_infinity(group.get(), decoded.get()) == 1) {
    ERR_clear_error();
    throw Error("the public key is not a point of " + curve_name);
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  std::string name = OBJ_nid2sn(nid);
  std::string encoding = explicit_parameters ? OSSL_PKEY_EC_ENCODING_EXPLICIT : OSSL_PKEY_EC_ENCODING_GROUP;
  Bytes pub(point.begin(), point.end());
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name.data(), 0),
                         OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, encoding.data(), 0),
                         OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()),
                         OSSL_PARAM_END};
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    throw Error("cannot make a public key of the point on " + curve_name);
  }
  PkeyPtr key(raw);
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0) throw Error("cannot encode the chip public key");
  Bytes spki(der, der + len);
  OPENSSL_free(der);
  return spki;
}

bool chip_key_matches(ByteView spki, const SecureBytes& private_key) {
  if (is_dh_chip_key(spki)) {
    PkeyPtr key = decode_chip_key(spki);
    DhNumbers n = dh_numbers(key.get(), true);
    BnPtr x(BN_secure_new()), y(BN_new());
    BnCtxPtr ctx(BN_CTX_secure_new());
    if (!x || !y || !ctx ||
        BN_bin2bn(private_key.data(), static_cast<int>(private_key.size()), x.get()) == nullptr)
      throw Error("out of memory");
    if (BN_is_zero(x.get()) || (n.q && BN_cmp(x.get(), n.q.get()) >= 0)) return false;
    BN_set_flags(x.get(), BN_FLG_CONSTTIME);
    if (BN_mod_exp(y.get(), n.g.get(), x.get(), n.p.get(), ctx.get()) != 1)
      throw Error("DH arithmetic failed");
    return BN_cmp(y.get(), n.y.get()) == 0;
  }
  PkeyPtr key = decode_ec_key(spki);
  GroupPtr group = group_of(key.get());
  BnPtr d(BN_secure_new());
  if (!d || BN_bin2bn(private_key.data(), static_cast<int>(private_key.size()), d.get()) == nullptr)
    throw Error("out of memory");
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0) return false;
  PointPtr point(EC_POINT_new(group.get()));
  if (!point || EC_POINT_mul(group.get(), point.get(), d.get(), nullptr, nullptr, nullptr) != 1)
    throw Error("EC arithmetic failed");
  return point_bytes(group.get(), point.get()) == ec_public_point(spki);
}

struct ChipAuthentication::Keys {
  PkeyPtr chip;
  PkeyPtr ephemeral;
};

ChipAuthentication::ChipAuthentication(ChipAuthProtocol protocol, ByteView chip_spki)
    : protocol_(std::move(protocol)), keys_(std::make_unique<Keys>()) {
  if (!protocol_.ecdh) {
    start_dh(chip_spki);
    return;
  }
  keys_->chip = decode_ec_key(chip_spki);
  GroupPtr group = group_of(keys_->chip.get());
  // The chip's key must be a point of its group (a forged DG14 is caught by Passive Authentication;
  // this stops arithmetic on garbage before that).
  PointPtr point(EC_POINT_new(group.get()));
  Bytes chip_point = ec_public_point(chip_spki);
  if (!point ||
      EC_POINT_oct2point(group.get(), point.get(), chip_point.data(), chip_point.size(), nullptr) != 1 ||
      EC_POINT_is_on_curve(group.get(), point.get(), nullptr) != 1 ||
      EC_POINT_is_at_infinity(group.get(), point.get()) == 1)
    throw Error("Chip Authentication: the public key in DG14 is not a point on its curve");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, keys_->chip.get(), nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_generate(ctx.get(), &raw) != 1)
    throw Error("Chip Authentication: cannot make an ephemeral key on the chip's curve");
  keys_->ephemeral.reset(raw);
  std::size_t n = 0;
  if (EVP_PKEY_get_octet_string_param(raw, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0, &n) != 1)
    throw Error("Chip Authentication: cannot read the ephemeral public key");
  terminal_public_.resize(n);
  if (EVP_PKEY_get_octet_string_param(raw, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, terminal_public_.data(), n,
                                      &n) != 1)
    throw Error("Chip Authentication: cannot read the ephemeral public key");
  terminal_public_.resize(n);
}

void ChipAuthentication::start_dh(ByteView chip_spki) {
  keys_->chip = decode_chip_key(chip_spki);
  if (!is_dh(keys_->chip.get()))
    throw Error("Chip Authentication: " + protocol_.oid +
                " is a DH protocol but the key in DG14 is not a DH key");
  DhNumbers n = dh_numbers(keys_->chip.get(), true);
  // A forged DG14 is caught by Passive Authentication; this keeps the exchange out of small subgroups.
  if (!in_dh_subgroup(n, n.y.get()))
    throw Error("Chip Authentication: the DH public key in DG14 is not an element of its group");
  if (!in_dh_subgroup(n, n.g.get()))
    throw Error("Chip Authentication: the DH generator in DG14 is not an element of order q");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, keys_->chip.get(), nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_generate(ctx.get(), &raw) != 1)
    throw Error("Chip Authentication: cannot make an ephemeral key in the chip's DH group");
  keys_->ephemeral.reset(raw);
  BIGNUM* y = nullptr;
  if (EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_PUB_KEY, &y) != 1)
    throw Error("Chip Authentication: cannot read the ephemeral DH public key");
  BnPtr public_value(y);
  terminal_public_ = bn_bytes(public_value.get(), n.bytes);
}

ChipAuthentication::~ChipAuthentication() = default;

Bytes ChipAuthentication::compressed_terminal_public_key() const {
  if (!protocol_.ecdh) return ta_compress_dh(terminal_public_);
  std::size_t coordinate = (terminal_public_.size() - 1) / 2;
  return Bytes(terminal_public_.begin() + 1, terminal_public_.begin() + 1 + static_cast<long>(coordinate));
}

SessionKeys ChipAuthentication::session_keys() const {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, keys_->ephemeral.get(), nullptr));
  std::size_t n = 0;
  // DH: K keeps its leading zero bytes, the length of p (OpenSSL strips them unless told to pad).
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      (!protocol_.ecdh && EVP_PKEY_CTX_set_dh_pad(ctx.get(), 1) != 1) ||
      EVP_PKEY_derive_set_peer(ctx.get(), keys_->chip.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &n) != 1)
    throw Error("Chip Authentication: key agreement failed");
  SecureBytes k(n);
  if (EVP_PKEY_derive(ctx.get(), k.data(), &n) != 1) throw Error("Chip Authentication: key agreement failed");
  if (!protocol_.ecdh && n != k.size()) throw Error("Chip Authentication: the DH secret lost its padding");
  k.resize(n);
  SessionKeys keys;
  keys.cipher = protocol_.cipher;
  if (protocol_.cipher == SmCipher::Tdes) {
    keys.ks_enc = kdf_3des(k, KeyUse::Enc);
    keys.ks_mac = kdf_3des(k, KeyUse::Mac);
    keys.ssc.assign(8, 0);
  } else {
    keys.ks_enc = kdf_aes(k, KeyUse::Enc, protocol_.key_bits);
    keys.ks_mac = kdf_aes(k, KeyUse::Mac, protocol_.key_bits);
    keys.ssc.assign(16, 0);
  }
  return keys;
}

}  // namespace rcperso::secure
