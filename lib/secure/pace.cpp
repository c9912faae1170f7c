#include "secure/pace.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include "core/error.hpp"
#include "secure/crypto.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::secure {

namespace {

constexpr std::string_view kPaceOid = "0.4.0.127.0.7.2.2.4";

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct PointDeleter {
  void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
};
struct GroupDeleter {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};
struct CtxDeleter {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
using PointPtr = std::unique_ptr<EC_POINT, PointDeleter>;
using GroupPtr = std::unique_ptr<EC_GROUP, GroupDeleter>;
using CtxPtr = std::unique_ptr<BN_CTX, CtxDeleter>;

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

 private:
  GroupPtr group;
  CtxPtr ctx{BN_CTX_new()};
  std::size_t field_bytes = 0;

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
  if (!group || !ctx) throw Error("PACE: cannot create the curve");
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

/// Prime-order subgroups of MODP groups (RFC 5114 2.1-2.3), taken from
/// OpenSSL's named groups so the constants are not retyped here.
class DhGroup : public PaceGroup {
 public:
  explicit DhGroup(int parameter_id) {
    static const char* const kNames[] = {"dh_1024_160", "dh_2048_224", "dh_2048_256"};
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> pctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "DHX", nullptr), EVP_PKEY_CTX_free);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                            const_cast<char*>(kNames[parameter_id]), 0),
                           OSSL_PARAM_construct_end()};
    EVP_PKEY* raw = nullptr;
    if (!pctx || EVP_PKEY_paramgen_init(pctx.get()) != 1 ||
        EVP_PKEY_CTX_set_params(pctx.get(), params) != 1 || EVP_PKEY_paramgen(pctx.get(), &raw) != 1) {
      throw Error(std::string("PACE: cannot load the MODP group ") + kNames[parameter_id]);
    }
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(raw, EVP_PKEY_free);
    BIGNUM *p = nullptr, *q = nullptr, *g = nullptr;
    if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
        EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_Q, &q) != 1 ||
        EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_G, &g) != 1) {
      BN_free(p), BN_free(q), BN_free(g);
      throw Error(std::string("PACE: the MODP group ") + kNames[parameter_id] + " has no p, q, g");
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

 private:
  /// 1 < y < p-1 and y^q = 1: an element of the prime-order subgroup.
  BnPtr check(ByteView encoded) const {
    BnPtr y = to_bn(encoded);
    BnPtr pm1(BN_dup(p_.get())), t(BN_new());
    if (!pm1 || !t || BN_sub_word(pm1.get(), 1) != 1) throw Error("out of memory");
    if (encoded.size() != bytes_ || BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), pm1.get()) >= 0 ||
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
  CtxPtr ctx_{BN_CTX_new()};
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

PaceInitiator::PaceInitiator(PaceProtocol protocol, int parameter_id, SecureBytes k_pi)
    : protocol_(std::move(protocol)),
      parameter_id_(parameter_id),
      group_(PaceGroup::standard(parameter_id)),
      k_pi_(std::move(k_pi)) {
  if (protocol_.mapping != PaceMapping::Generic) {
    throw Error("PACE: only Generic Mapping is implemented so far (" + protocol_.oid + ")");
  }
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
  nonce_ = protocol_.cipher == SmCipher::Tdes ? tdes_cbc_decrypt(k_pi_, z)
                                              : aes_cbc_decrypt(k_pi_, Bytes(16, 0), z);
}

Bytes PaceInitiator::mapping_public_key(SecureBytes injected_private) {
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
}

Bytes PaceInitiator::ephemeral_public_key(SecureBytes injected_private) {
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

}  // namespace rcperso::secure
