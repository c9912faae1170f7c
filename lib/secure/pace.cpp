#include "secure/pace.hpp"
#include "core/openssl_ptr.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/params.h>

#include "core/error.hpp"
#include "secure/crypto.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::secure {

namespace {

constexpr std::string_view kPaceOid = "0.4.0.127.0.7.2.2.4";

BnPtr to_bn(ByteView b) {
  BnPtr bn(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
  if (!bn) throw Error("out of memory");
  return bn;
}

int curve_nid(int parameter_id) {
  switch (parameter_id) {
    case 8:
      return NID_X9_62_prime192v1;
    case 9:
      return NID_brainpoolP192r1;
    case 10:
      return NID_secp224r1;
    case 11:
      return NID_brainpoolP224r1;
    case 12:
      return NID_X9_62_prime256v1;
    case 13:
      return NID_brainpoolP256r1;
    case 14:
      return NID_brainpoolP320r1;
    case 15:
      return NID_secp384r1;
    case 16:
      return NID_brainpoolP384r1;
    case 17:
      return NID_brainpoolP512r1;
    case 18:
      return NID_secp521r1;
    default:
      throw Error("PACE: standardized domain parameter " + std::to_string(parameter_id) +
                  " is not an elliptic curve (8-18)");
  }
}

}  // namespace

const char* modp_group_name(int parameter_id) {
  static const char* const kNames[] = {"dh_1024_160", "dh_2048_224", "dh_2048_256"};
  if (parameter_id < 0 || parameter_id > 2)
    throw Error("standardized parameter ID " + std::to_string(parameter_id) + " is not a MODP group (0-2)");
  return kNames[parameter_id];
}

std::string pace_parameter_name(int parameter_id) {
  static const char* const kNames[] = {"MODP 1024/160",
                                       "MODP 2048/224",
                                       "MODP 2048/256",
                                       "",
                                       "",
                                       "",
                                       "",
                                       "",
                                       "NIST P-192",
                                       "brainpoolP192r1",
                                       "NIST P-224",
                                       "brainpoolP224r1",
                                       "NIST P-256",
                                       "brainpoolP256r1",
                                       "brainpoolP320r1",
                                       "NIST P-384",
                                       "brainpoolP384r1",
                                       "brainpoolP512r1",
                                       "NIST P-521"};
  if (parameter_id >= 0 && parameter_id <= 18 && kNames[parameter_id][0] != '\0') return kNames[parameter_id];
  return "parameter " + std::to_string(parameter_id);
}

bool pace_parameter_is_curve(int parameter_id, const std::string& curve_name) {
  if (parameter_id < 8 || parameter_id > 18) return false;
  int nid = OBJ_txt2nid(curve_name.c_str());
  if (nid == NID_undef) nid = EC_curve_nist2nid(curve_name.c_str());
  return nid != NID_undef && nid == curve_nid(parameter_id);
}

PaceProtocol pace_protocol(const std::string& oid) {
  std::string prefix = std::string(kPaceOid) + ".";
  if (oid.rfind(prefix, 0) != 0) throw Error("not a PACE protocol OID: " + oid);
  std::string rest = oid.substr(prefix.size());
  auto dot = rest.find('.');
  if (dot == std::string::npos || rest.find('.', dot + 1) != std::string::npos) {
    throw Error("not a PACE protocol OID: " + oid);
  }
  int family = 0, cipher = 0;
  try {
    family = std::stoi(rest.substr(0, dot));
    cipher = std::stoi(rest.substr(dot + 1));
  } catch (const std::exception&) {
    throw Error("not a PACE protocol OID: " + oid);
  }
  PaceProtocol p;
  p.oid = oid;
  switch (family) {
    case 1:
      p.mapping = PaceMapping::Generic, p.ecdh = false;
      break;
    case 2:
      p.mapping = PaceMapping::Generic, p.ecdh = true;
      break;
    case 3:
      p.mapping = PaceMapping::Integrated, p.ecdh = false;
      break;
    case 4:
      p.mapping = PaceMapping::Integrated, p.ecdh = true;
      break;
    case 6:
      p.mapping = PaceMapping::ChipAuthentication, p.ecdh = true;
      break;
    default:
      throw Error("unknown PACE mapping in OID " + oid);
  }
  switch (cipher) {
    case 1:
      p.cipher = SmCipher::Tdes, p.key_bits = 112;
      break;
    case 2:
      p.cipher = SmCipher::Aes, p.key_bits = 128;
      break;
    case 3:
      p.cipher = SmCipher::Aes, p.key_bits = 192;
      break;
    case 4:
      p.cipher = SmCipher::Aes, p.key_bits = 256;
      break;
    default:
      throw Error("unknown PACE cipher in OID " + oid);
  }
  if (p.mapping == PaceMapping::ChipAuthentication && p.cipher == SmCipher::Tdes) {
    throw Error("PACE-CAM has no 3DES variant: " + oid);
  }
  return p;
}

SecureBytes pace_password_key(std::string_view password, PacePassword type, const PaceProtocol& protocol) {
  SecureBytes k;
  if (type == PacePassword::Mrz) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(password.data(), password.size(), md, &len, EVP_sha1(), nullptr) != 1) {
      throw Error("SHA-1 failed");
    }
    k.assign(md, md + len);
    OPENSSL_cleanse(md, sizeof md);
  } else {
    k.assign(password.begin(), password.end());
  }
  return protocol.cipher == SmCipher::Tdes ? kdf_3des(k, KeyUse::Pace)
                                           : kdf_aes(k, KeyUse::Pace, protocol.key_bits);
}

namespace {

class EcGroup : public PaceGroup {
 public:
  explicit EcGroup(int parameter_id);
  bool elliptic() const override { return true; }
  SecureBytes random_private() const override;
  Bytes public_key(const SecureBytes& priv) const override;
  Bytes multiply(const SecureBytes& priv, ByteView peer) const override;
  SecureBytes shared_secret(const SecureBytes& priv, ByteView peer) const override;
  void map_generic(ByteView nonce, ByteView h_point) override;
  Bytes generator() const override;
  std::size_t prime_bits() const override { return static_cast<std::size_t>(BN_num_bits(p_.get())); }
  SecureBytes reduce_modulo_prime(ByteView r) const override;
  void map_integrated(const SecureBytes& field_element) override;
  bool chip_authentication_mapping_holds(const SecureBytes& ca_ic, ByteView chip_mapping_public,
                                         ByteView chip_static_public) const override;

 private:
  GroupPtr group;
  BnCtxPtr ctx{BN_CTX_new()};
  std::size_t field_bytes = 0;
  BnPtr p_{BN_new()}, a_{BN_new()}, b_{BN_new()};  // y^2 = x^3 + ax + b over GF(p)

  PointPtr decode(ByteView encoded) const {
    PointPtr p(EC_POINT_new(group.get()));
    if (!p || encoded.empty() || encoded[0] != 0x04 || encoded.size() != 1 + 2 * field_bytes ||
        EC_POINT_oct2point(group.get(), p.get(), encoded.data(), encoded.size(), ctx.get()) != 1 ||
        EC_POINT_is_at_infinity(group.get(), p.get()) == 1 ||
        EC_POINT_is_on_curve(group.get(), p.get(), ctx.get()) != 1) {
      throw Error("PACE: the other party's public key is not a point on the curve");
    }
    return p;
  }
  Bytes encode(const EC_POINT* p) const {
    Bytes out(1 + 2 * field_bytes);
    if (EC_POINT_point2oct(group.get(), p, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(),
                           ctx.get()) != out.size()) {
      throw Error("PACE: point encoding failed");
    }
    return out;
  }
  PointPtr mul(const SecureBytes& priv, const EC_POINT* base) const {
    BnPtr k = to_bn(priv);
    PointPtr r(EC_POINT_new(group.get()));
    if (!r || EC_POINT_mul(group.get(), r.get(), nullptr, base, k.get(), ctx.get()) != 1 ||
        EC_POINT_is_at_infinity(group.get(), r.get()) == 1) {
      throw Error("PACE: point multiplication failed");
    }
    return r;
  }
};

EcGroup::EcGroup(int parameter_id) {
  group.reset(EC_GROUP_new_by_curve_name(curve_nid(parameter_id)));
  if (!group || !ctx || !p_ || !a_ || !b_ ||
      EC_GROUP_get_curve(group.get(), p_.get(), a_.get(), b_.get(), ctx.get()) != 1) {
    throw Error("PACE: cannot create the curve");
  }
  field_bytes = static_cast<std::size_t>((EC_GROUP_get_degree(group.get()) + 7) / 8);
}

SecureBytes EcGroup::random_private() const {
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  BnPtr k(BN_new());
  do {
    if (!k || BN_priv_rand_range(k.get(), order) != 1) throw Error("random generator failed");
  } while (BN_is_zero(k.get()) == 1);
  SecureBytes out(static_cast<std::size_t>(BN_num_bytes(order)));
  BN_bn2binpad(k.get(), out.data(), static_cast<int>(out.size()));
  return out;
}

Bytes EcGroup::public_key(const SecureBytes& priv) const {
  return encode(mul(priv, EC_GROUP_get0_generator(group.get())).get());
}

Bytes EcGroup::multiply(const SecureBytes& priv, ByteView peer) const {
  PointPtr p = decode(peer);
  return encode(mul(priv, p.get()).get());
}

SecureBytes EcGroup::shared_secret(const SecureBytes& priv, ByteView peer) const {
  Bytes point = multiply(priv, peer);
  SecureBytes x(point.begin() + 1, point.begin() + 1 + static_cast<std::ptrdiff_t>(field_bytes));
  OPENSSL_cleanse(point.data(), point.size());
  return x;
}

void EcGroup::map_generic(ByteView nonce, ByteView h_point) {
  PointPtr h = decode(h_point);
  BnPtr s = to_bn(nonce);
  PointPtr g2(EC_POINT_new(group.get()));
  // s·G + 1·H in one call: EC_POINT_mul computes n·G + m·Q.
  BnPtr one(BN_new());
  if (!g2 || !one || BN_one(one.get()) != 1 ||
      EC_POINT_mul(group.get(), g2.get(), s.get(), h.get(), one.get(), ctx.get()) != 1 ||
      EC_POINT_is_at_infinity(group.get(), g2.get()) == 1) {
    throw Error("PACE: generic mapping failed");
  }
  BnPtr order(BN_dup(EC_GROUP_get0_order(group.get())));
  BnPtr cofactor(BN_dup(EC_GROUP_get0_cofactor(group.get())));
  if (!order || !cofactor ||
      EC_GROUP_set_generator(group.get(), g2.get(), order.get(), cofactor.get()) != 1) {
    throw Error("PACE: cannot set the mapped generator");
  }
}

Bytes EcGroup::generator() const { return encode(EC_GROUP_get0_generator(group.get())); }

SecureBytes reduce_bn(ByteView r, const BIGNUM* modulus, std::size_t out_bytes, BN_CTX* ctx) {
  BnPtr x = to_bn(r);
  if (BN_nnmod(x.get(), x.get(), modulus, ctx) != 1) throw Error("PACE: reduction failed");
  SecureBytes out(out_bytes);
  BN_bn2binpad(x.get(), out.data(), static_cast<int>(out.size()));
  return out;
}

SecureBytes EcGroup::reduce_modulo_prime(ByteView r) const {
  return reduce_bn(r, p_.get(), field_bytes, ctx.get());
}

void EcGroup::map_integrated(const SecureBytes& field_element) {
  // 9303-11 Appendix B.2 (affine coordinates), step by step.
  const BIGNUM* p = p_.get();
  BN_CTX* c = ctx.get();
  if (BN_mod_word(p, 4) != 3) throw Error("PACE: Integrated Mapping needs a curve with p = 3 mod 4");
  BnPtr t = to_bn(field_element);
  if (BN_is_zero(t.get()) == 1 || BN_cmp(t.get(), p) >= 0 || BN_is_zero(a_.get()) == 1) {
    throw Error("PACE: Integrated Mapping input out of range");
  }
  BnPtr alpha(BN_new()), s(BN_new()), x2(BN_new()), x3(BN_new()), h2(BN_new()), u(BN_new()), e(BN_new()),
      big_a(BN_new()), tmp(BN_new()), x(BN_new()), y(BN_new());
  for (const auto* v : {&alpha, &s, &x2, &x3, &h2, &u, &e, &big_a, &tmp, &x, &y}) {
    if (!*v) throw Error("out of memory");
    BN_set_flags(v->get(), BN_FLG_CONSTTIME);
  }
  auto ok = [](int rc) {
    if (rc != 1) throw Error("PACE: Integrated Mapping arithmetic failed");
  };
  auto copy = [](BIGNUM* to, const BIGNUM* from) {
    if (BN_copy(to, from) == nullptr) throw Error("out of memory");
  };
  // 1. alpha = -t^2
  ok(BN_mod_sqr(tmp.get(), t.get(), p, c));
  ok(BN_mod_sub(alpha.get(), p, tmp.get(), p, c));
  // 2. X2 = -b a^-1 (1 + (alpha + alpha^2)^-1); alpha + alpha^2 = 0 only for t = +-1.
  ok(BN_mod_sqr(tmp.get(), alpha.get(), p, c));
  ok(BN_mod_add(s.get(), alpha.get(), tmp.get(), p, c));
  if (BN_is_zero(s.get()) == 1 || !BN_mod_inverse(s.get(), s.get(), p, c)) {
    throw Error("PACE: Integrated Mapping input is degenerate");
  }
  ok(BN_add_word(s.get(), 1));
  if (!BN_mod_inverse(tmp.get(), a_.get(), p, c)) throw Error("PACE: curve parameter a is not invertible");
  ok(BN_mod_mul(x2.get(), b_.get(), tmp.get(), p, c));
  ok(BN_mod_mul(x2.get(), x2.get(), s.get(), p, c));
  ok(BN_mod_sub(x2.get(), p, x2.get(), p, c));
  // 3. X3 = alpha X2
  ok(BN_mod_mul(x3.get(), alpha.get(), x2.get(), p, c));
  // 4. h2 = X2^3 + a X2 + b
  ok(BN_mod_sqr(tmp.get(), x2.get(), p, c));
  ok(BN_mod_add(tmp.get(), tmp.get(), a_.get(), p, c));
  ok(BN_mod_mul(h2.get(), tmp.get(), x2.get(), p, c));
  ok(BN_mod_add(h2.get(), h2.get(), b_.get(), p, c));
  // 6. U = t^3 h2 (step 5, h3, is not needed in affine coordinates)
  ok(BN_mod_sqr(tmp.get(), t.get(), p, c));
  ok(BN_mod_mul(tmp.get(), tmp.get(), t.get(), p, c));
  ok(BN_mod_mul(u.get(), tmp.get(), h2.get(), p, c));
  // 7. A = h2^(p - 1 - (p+1)/4)
  copy(tmp.get(), p);
  ok(BN_add_word(tmp.get(), 1));
  ok(BN_rshift(tmp.get(), tmp.get(), 2));
  ok(BN_sub(e.get(), p, tmp.get()));
  ok(BN_sub_word(e.get(), 1));
  ok(BN_mod_exp_mont_consttime(big_a.get(), h2.get(), e.get(), p, c, nullptr));
  // 8./9. h2 a square: (X2, A h2); otherwise (X3, A U)
  ok(BN_mod_sqr(tmp.get(), big_a.get(), p, c));
  ok(BN_mod_mul(tmp.get(), tmp.get(), h2.get(), p, c));
  if (BN_is_one(tmp.get()) == 1) {
    copy(x.get(), x2.get());
    ok(BN_mod_mul(y.get(), big_a.get(), h2.get(), p, c));
  } else {
    copy(x.get(), x3.get());
    ok(BN_mod_mul(y.get(), big_a.get(), u.get(), p, c));
  }
  PointPtr g2(EC_POINT_new(group.get()));
  if (!g2 || EC_POINT_set_affine_coordinates(group.get(), g2.get(), x.get(), y.get(), c) != 1 ||
      EC_POINT_is_on_curve(group.get(), g2.get(), c) != 1) {
    throw Error("PACE: the Integrated Mapping gave no point on the curve");
  }
  // 10. [f](x, y): the cofactor is 1 for all standardized curves, kept for completeness.
  const BIGNUM* cofactor = EC_GROUP_get0_cofactor(group.get());
  if (BN_is_one(cofactor) != 1) {
    PointPtr multiple(EC_POINT_new(group.get()));
    if (!multiple) throw Error("out of memory");
    ok(EC_POINT_mul(group.get(), multiple.get(), nullptr, g2.get(), cofactor, c));
    g2 = std::move(multiple);
  }
  if (EC_POINT_is_at_infinity(group.get(), g2.get()) == 1) {
    throw Error("PACE: Integrated Mapping gave infinity");
  }
  BnPtr order(BN_dup(EC_GROUP_get0_order(group.get())));
  BnPtr cof(BN_dup(cofactor));
  if (!order || !cof || EC_GROUP_set_generator(group.get(), g2.get(), order.get(), cof.get()) != 1) {
    throw Error("PACE: cannot set the mapped generator");
  }
}

bool EcGroup::chip_authentication_mapping_holds(const SecureBytes& ca_ic, ByteView chip_mapping_public,
                                                ByteView chip_static_public) const {
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  BnPtr ca = to_bn(ca_ic);
  if (ca_ic.size() != static_cast<std::size_t>(BN_num_bytes(order)) || BN_is_zero(ca.get()) == 1 ||
      BN_cmp(ca.get(), order) >= 0) {
    throw Error("PACE-CAM: the chip authentication data is not a scalar of the group order's length");
  }
  PointPtr expected = decode(chip_mapping_public);
  PointPtr static_key;
  try {
    static_key = decode(chip_static_public);
  } catch (const Error&) {
    throw Error("PACE-CAM: the chip's static public key is not an uncompressed point on the PACE curve");
  }
  PointPtr product = mul(ca_ic, static_key.get());
  return EC_POINT_cmp(group.get(), product.get(), expected.get(), ctx.get()) == 0;
}

/// Prime-order subgroups of MODP groups (RFC 5114 2.1-2.3), taken from
/// OpenSSL's named groups so the constants are not retyped here.
class DhGroup : public PaceGroup {
 public:
  explicit DhGroup(int parameter_id) {
    const char* const name = modp_group_name(parameter_id);
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> pctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "DHX", nullptr), EVP_PKEY_CTX_free);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(name), 0),
        OSSL_PARAM_construct_end()};
    EVP_PKEY* raw = nullptr;
    if (!pctx || EVP_PKEY_paramgen_init(pctx.get()) != 1 ||
        EVP_PKEY_CTX_set_params(pctx.get(), params) != 1 || EVP_PKEY_paramgen(pctx.get(), &raw) != 1) {
      throw Error(std::string("PACE: cannot load the MODP group ") + name);
    }
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(raw, EVP_PKEY_free);
    BIGNUM *p = nullptr, *q = nullptr, *g = nullptr;
    if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
        EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_Q, &q) != 1 ||
        EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_G, &g) != 1) {
      BN_free(p), BN_free(q), BN_free(g);
      throw Error(std::string("PACE: the MODP group ") + name + " has no p, q, g");
    }
    p_.reset(p), q_.reset(q), g_.reset(g);
    if (!ctx_) throw Error("out of memory");
    bytes_ = static_cast<std::size_t>(BN_num_bytes(p_.get()));
  }
  bool elliptic() const override { return false; }
  SecureBytes random_private() const override {
    BnPtr k(BN_new());
    do {
      if (!k || BN_priv_rand_range(k.get(), q_.get()) != 1) throw Error("random generator failed");
    } while (BN_is_zero(k.get()) == 1);
    SecureBytes out(static_cast<std::size_t>(BN_num_bytes(q_.get())));
    BN_bn2binpad(k.get(), out.data(), static_cast<int>(out.size()));
    return out;
  }
  Bytes public_key(const SecureBytes& priv) const override { return encode(power(g_.get(), priv).get()); }
  Bytes multiply(const SecureBytes& priv, ByteView peer) const override {
    return encode(power(check(peer).get(), priv).get());
  }
  SecureBytes shared_secret(const SecureBytes& priv, ByteView peer) const override {
    Bytes e = multiply(priv, peer);
    SecureBytes out(e.begin(), e.end());
    OPENSSL_cleanse(e.data(), e.size());
    return out;
  }
  void map_generic(ByteView nonce, ByteView h) override {
    BnPtr hv = check(h);
    BnPtr s = to_bn(nonce);
    BnPtr gs(BN_new()), g2(BN_new());
    if (!gs || !g2 || BN_mod_exp(gs.get(), g_.get(), s.get(), p_.get(), ctx_.get()) != 1 ||
        BN_mod_mul(g2.get(), gs.get(), hv.get(), p_.get(), ctx_.get()) != 1 || BN_is_one(g2.get()) == 1) {
      throw Error("PACE: generic mapping failed");
    }
    g_ = std::move(g2);
  }
  Bytes generator() const override { return encode(g_.get()); }
  std::size_t prime_bits() const override { return static_cast<std::size_t>(BN_num_bits(p_.get())); }
  SecureBytes reduce_modulo_prime(ByteView r) const override {
    return reduce_bn(r, p_.get(), bytes_, ctx_.get());
  }
  void map_integrated(const SecureBytes& field_element) override {
    // f_g(x) = x^((p-1)/q) mod p; the result must not be 1 (nor 0, from x = 0).
    BnPtr x = to_bn(field_element);
    BnPtr cofactor(BN_dup(p_.get())), rem(BN_new()), g2(BN_new());
    if (!cofactor || !rem || !g2 || BN_sub_word(cofactor.get(), 1) != 1 ||
        BN_div(cofactor.get(), rem.get(), cofactor.get(), q_.get(), ctx_.get()) != 1) {
      throw Error("PACE: Integrated Mapping arithmetic failed");
    }
    if (BN_is_zero(x.get()) == 1 || BN_cmp(x.get(), p_.get()) >= 0 ||
        BN_mod_exp(g2.get(), x.get(), cofactor.get(), p_.get(), ctx_.get()) != 1 ||
        BN_is_one(g2.get()) == 1) {
      throw Error("PACE: the Integrated Mapping gave no generator");
    }
    g_ = std::move(g2);
  }
  bool chip_authentication_mapping_holds(const SecureBytes&, ByteView, ByteView) const override {
    throw Error("PACE-CAM is defined for ECDH only");
  }

 private:
  /// 1 < y < p-1 and y^q = 1: an element of the prime-order subgroup. Some implementations
  /// (OpenPACE) send it without leading zero bytes, so shorter encodings are taken as integers.
  BnPtr check(ByteView encoded) const {
    BnPtr y = to_bn(encoded);
    BnPtr pm1(BN_dup(p_.get())), t(BN_new());
    if (!pm1 || !t || BN_sub_word(pm1.get(), 1) != 1) throw Error("out of memory");
    if (encoded.empty() || encoded.size() > bytes_ || BN_cmp(y.get(), BN_value_one()) <= 0 ||
        BN_cmp(y.get(), pm1.get()) >= 0 ||
        BN_mod_exp(t.get(), y.get(), q_.get(), p_.get(), ctx_.get()) != 1 || BN_is_one(t.get()) != 1) {
      throw Error("PACE: the other party's public key is not in the group");
    }
    return y;
  }
  BnPtr power(const BIGNUM* base, const SecureBytes& priv) const {
    BnPtr k = to_bn(priv), r(BN_new());
    if (!r || BN_mod_exp(r.get(), base, k.get(), p_.get(), ctx_.get()) != 1)
      throw Error("PACE: modular exponentiation failed");
    return r;
  }
  Bytes encode(const BIGNUM* v) const {
    Bytes out(bytes_);
    BN_bn2binpad(v, out.data(), static_cast<int>(out.size()));
    return out;
  }
  BnPtr p_, q_, g_;
  BnCtxPtr ctx_{BN_CTX_new()};
  std::size_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<PaceGroup> PaceGroup::standard(int parameter_id) {
  if (parameter_id >= 0 && parameter_id <= 2) return std::make_unique<DhGroup>(parameter_id);
  return std::make_unique<EcGroup>(parameter_id);
}

SessionKeys chip_authentication_keys(const PaceGroup& group, const SecureBytes& terminal_private,
                                     ByteView chip_static_public, SmCipher cipher, int key_bits) {
  SecureBytes k = group.shared_secret(terminal_private, chip_static_public);
  SessionKeys keys;
  keys.cipher = cipher;
  if (cipher == SmCipher::Tdes) {
    keys.ks_enc = kdf_3des(k, KeyUse::Enc);
    keys.ks_mac = kdf_3des(k, KeyUse::Mac);
    keys.ssc.assign(8, 0);
  } else {
    keys.ks_enc = kdf_aes(k, KeyUse::Enc, key_bits);
    keys.ks_mac = kdf_aes(k, KeyUse::Mac, key_bits);
    keys.ssc.assign(16, 0);
  }
  return keys;
}

std::size_t pace_im_terminal_nonce_bytes(const PaceProtocol& protocol) {
  // "In case of DES, k is considered to be equal to 128 bits" (9303-11 §4.4.3.3.2).
  return protocol.cipher == SmCipher::Tdes ? 16 : static_cast<std::size_t>(protocol.key_bits) / 8;
}

std::size_t pace_im_chip_nonce_bytes(const PaceProtocol& protocol) {
  return pace_im_terminal_nonce_bytes(protocol) > 16 ? 32 : 16;
}

SecureBytes pace_im_pseudo_random(ByteView chip_nonce, ByteView terminal_nonce, const PaceProtocol& protocol,
                                  std::size_t prime_bits) {
  const std::size_t key_bytes = pace_im_terminal_nonce_bytes(protocol);
  const std::size_t l = pace_im_chip_nonce_bytes(protocol);  // also the length of c0, c1 and each output
  if (chip_nonce.size() != l || terminal_nonce.size() != key_bytes || prime_bits == 0) {
    throw Error("PACE: Integrated Mapping nonces of the wrong length");
  }
  static const Bytes kC0Short = from_hex("A668892A7C41E3CA739F40B057D85904");
  static const Bytes kC1Short = from_hex("A4E136AC725F738B01C1F60217C188AD");
  static const Bytes kC0Long = from_hex("D463D65234124EF7897054986DCA0A174E28DF758CBAA03F240616414D5A1676");
  static const Bytes kC1Long = from_hex("54BD7255F0AAF831BEC3423FCF39D69B6CBF066677D0FAAE5AADD99DF8E53517");
  const Bytes& c0 = l == 16 ? kC0Short : kC0Long;
  const Bytes& c1 = l == 16 ? kC1Short : kC1Long;
  const Bytes zero_iv(16, 0);
  // E(key, data) truncated to a key: the output k_i is cut to the key size (AES-192).
  auto encrypt = [&](const SecureBytes& key, ByteView data) {
    Bytes out =
        protocol.cipher == SmCipher::Tdes ? tdes_cbc_encrypt(key, data) : aes_cbc_encrypt(key, zero_iv, data);
    SecureBytes result(out.begin(), out.end());
    OPENSSL_cleanse(out.data(), out.size());
    return result;
  };
  auto next_key = [&](const SecureBytes& key, ByteView data) {
    SecureBytes k = encrypt(key, data);
    k.resize(key_bytes);
    return k;
  };
  const std::size_t blocks = (prime_bits + 64 + 8 * l - 1) / (8 * l);
  SecureBytes key = next_key(SecureBytes(terminal_nonce.begin(), terminal_nonce.end()), chip_nonce);
  SecureBytes out;
  out.reserve(blocks * l);
  for (std::size_t i = 0; i < blocks; ++i) {
    SecureBytes x = encrypt(key, c1);
    out.insert(out.end(), x.begin(), x.end());
    key = next_key(key, c0);
  }
  return out;
}

PaceInitiator::PaceInitiator(PaceProtocol protocol, int parameter_id, SecureBytes k_pi)
    : protocol_(std::move(protocol)),
      parameter_id_(parameter_id),
      group_(PaceGroup::standard(parameter_id)),
      k_pi_(std::move(k_pi)) {
  if (protocol_.ecdh != group_->elliptic()) {
    throw Error("PACE: protocol " + protocol_.oid + " does not fit domain parameter " +
                std::to_string(parameter_id));
  }
}

Bytes PaceInitiator::mse_set_at_data(PacePassword password, bool with_parameter_id) const {
  tlv::Writer w;
  w.add(0x80, der::oid_content(protocol_.oid));
  w.add(0x83, Bytes{static_cast<std::uint8_t>(password)});
  // 84 is optional for the standardized parameters; some chips want it, others refuse it.
  if (with_parameter_id) w.add(0x84, Bytes{static_cast<std::uint8_t>(parameter_id_)});
  return w.bytes();
}

void PaceInitiator::receive_encrypted_nonce(ByteView z) {
  std::size_t block = protocol_.cipher == SmCipher::Tdes ? 8 : 16;
  if (z.empty() || z.size() % block != 0) throw Error("PACE: the encrypted nonce has a wrong length");
  if (protocol_.mapping == PaceMapping::Integrated && z.size() != pace_im_chip_nonce_bytes(protocol_)) {
    throw Error("PACE: the encrypted nonce has a wrong length for Integrated Mapping");
  }
  Bytes s = protocol_.cipher == SmCipher::Tdes ? tdes_cbc_decrypt(k_pi_, z)
                                               : aes_cbc_decrypt(k_pi_, Bytes(16, 0), z);
  nonce_.assign(s.begin(), s.end());
  OPENSSL_cleanse(s.data(), s.size());
}

Bytes PaceInitiator::mapping_public_key(SecureBytes injected_private) {
  if (protocol_.mapping == PaceMapping::Integrated) {
    throw Error("PACE: Integrated Mapping sends a nonce, not a key");
  }
  mapping_private_ = injected_private.empty() ? group_->random_private() : std::move(injected_private);
  mapping_public_ = group_->public_key(mapping_private_);
  return mapping_public_;
}

void PaceInitiator::receive_chip_mapping_key(ByteView chip_mapping_public) {
  if (nonce_.empty() || mapping_private_.empty()) throw Error("PACE: mapping out of order");
  if (ByteView(mapping_public_).size() == chip_mapping_public.size() &&
      std::equal(chip_mapping_public.begin(), chip_mapping_public.end(), mapping_public_.begin())) {
    throw Error("PACE: the chip's mapping key equals the terminal's");
  }
  Bytes h = group_->multiply(mapping_private_, chip_mapping_public);
  group_->map_generic(nonce_, h);
  chip_mapping_public_.assign(chip_mapping_public.begin(), chip_mapping_public.end());
  mapped_ = true;
}

Bytes PaceInitiator::integrated_mapping_nonce(Bytes injected_nonce) {
  if (protocol_.mapping != PaceMapping::Integrated) {
    throw Error("PACE: a nonce t belongs to Integrated Mapping");
  }
  if (nonce_.empty() || mapped_) throw Error("PACE: mapping out of order");
  Bytes t = injected_nonce.empty() ? random_bytes(pace_im_terminal_nonce_bytes(protocol_))
                                   : std::move(injected_nonce);
  SecureBytes r = pace_im_pseudo_random(nonce_, t, protocol_, group_->prime_bits());
  group_->map_integrated(group_->reduce_modulo_prime(r));
  mapped_ = true;
  return t;
}

void PaceInitiator::receive_integrated_mapping_response(ByteView chip_data) const {
  if (protocol_.mapping != PaceMapping::Integrated) throw Error("PACE: not an Integrated Mapping run");
  if (!chip_data.empty()) throw Error("PACE: the chip's Integrated Mapping data object 82 must be empty");
}

Bytes PaceInitiator::ephemeral_public_key(SecureBytes injected_private) {
  if (!mapped_) throw Error("PACE: key agreement before the mapping");
  ephemeral_private_ = injected_private.empty() ? group_->random_private() : std::move(injected_private);
  ephemeral_public_ = group_->public_key(ephemeral_private_);
  return ephemeral_public_;
}

void PaceInitiator::receive_chip_ephemeral_key(ByteView chip_ephemeral_public) {
  if (ephemeral_private_.empty()) throw Error("PACE: key agreement out of order");
  if (chip_ephemeral_public.size() == ephemeral_public_.size() &&
      std::equal(chip_ephemeral_public.begin(), chip_ephemeral_public.end(), ephemeral_public_.begin())) {
    throw Error("PACE: the chip's ephemeral key equals the terminal's");
  }
  SecureBytes k = group_->shared_secret(ephemeral_private_, chip_ephemeral_public);
  chip_ephemeral_.assign(chip_ephemeral_public.begin(), chip_ephemeral_public.end());
  if (protocol_.cipher == SmCipher::Tdes) {
    ks_enc_ = kdf_3des(k, KeyUse::Enc);
    ks_mac_ = kdf_3des(k, KeyUse::Mac);
  } else {
    ks_enc_ = kdf_aes(k, KeyUse::Enc, protocol_.key_bits);
    ks_mac_ = kdf_aes(k, KeyUse::Mac, protocol_.key_bits);
  }
}

Bytes PaceInitiator::token_over(ByteView public_key) const {
  if (ks_mac_.empty()) throw Error("PACE: tokens before key agreement");
  Bytes input = tlv::Writer()
                    .add(0x06, der::oid_content(protocol_.oid))
                    .add(protocol_.ecdh ? 0x86 : 0x84, public_key)
                    .wrap(0x7F49);
  if (protocol_.cipher == SmCipher::Tdes) return retail_mac(ks_mac_, input);
  Bytes mac = aes_cmac(ks_mac_, input);
  mac.resize(8);
  return mac;
}

Bytes PaceInitiator::terminal_token() const { return token_over(chip_ephemeral_); }

SessionKeys PaceInitiator::finish(ByteView chip_token) const {
  Bytes expected = token_over(ephemeral_public_);
  if (chip_token.size() != expected.size() ||
      CRYPTO_memcmp(chip_token.data(), expected.data(), expected.size()) != 0) {
    throw Error("PACE failed: the chip's authentication token is wrong (wrong password, or not the chip)");
  }
  SessionKeys keys;
  keys.cipher = protocol_.cipher;
  keys.ks_enc = ks_enc_;
  keys.ks_mac = ks_mac_;
  keys.ssc.assign(protocol_.cipher == SmCipher::Tdes ? 8 : 16, 0);
  return keys;
}

SecureBytes PaceInitiator::chip_authentication_data(ByteView encrypted) const {
  if (protocol_.mapping != PaceMapping::ChipAuthentication) {
    throw Error("PACE: not a Chip Authentication Mapping run");
  }
  if (ks_enc_.empty() || chip_mapping_public_.empty()) {
    throw Error("PACE: chip authentication data before key agreement");
  }
  // Bounded: the largest order (NIST P-521, 66 bytes) padded is 80 bytes.
  if (encrypted.empty() || encrypted.size() % 16 != 0 || encrypted.size() > 128) {
    throw Error("PACE-CAM: the encrypted chip authentication data has a wrong length");
  }
  Bytes iv = aes_ecb_encrypt_block(ks_enc_, Bytes(16, 0xFF));
  Bytes padded = aes_cbc_decrypt(ks_enc_, iv, encrypted);
  Bytes plain;
  try {
    plain = unpad(padded);
  } catch (const DecodeError&) {
    OPENSSL_cleanse(padded.data(), padded.size());
    throw Error("PACE-CAM: the chip authentication data does not decrypt (bad padding)");
  }
  SecureBytes ca(plain.begin(), plain.end());
  OPENSSL_cleanse(padded.data(), padded.size());
  OPENSSL_cleanse(plain.data(), plain.size());
  return ca;
}

void PaceInitiator::verify_chip_authentication(ByteView encrypted, ByteView chip_static_public) const {
  SecureBytes ca = chip_authentication_data(encrypted);
  if (!group_->chip_authentication_mapping_holds(ca, chip_mapping_public_, chip_static_public)) {
    throw Error("PACE-CAM failed: the chip authentication data does not match the chip's static public key");
  }
}

}  // namespace rcperso::secure
