#include "secure/active_auth.hpp"
#include "core/openssl_ptr.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/error.hpp"
#include "pki/certificate.hpp"
#include "secure/chip_auth.hpp"
#include "secure/crypto.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::secure {

namespace {

const std::string kPrefix = "Active Authentication: ";
constexpr std::size_t kAaChallengeSize = 8;
constexpr std::size_t kMaxKeyInfoSize = 16U * 1024U;

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free); }

BnPtr bn_from(ByteView b) {
  BnPtr bn(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
  if (!bn) throw Error("out of memory");
  return bn;
}

BnPtr key_bn(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    ERR_clear_error();
    return {};
  }
  return BnPtr(bn);
}

std::string hex_byte(std::uint8_t b) { return to_hex_upper(ByteView(&b, 1)); }

AaResult failed(AaResult r, const std::string& why) {
  r.ok = false;
  r.reason = kPrefix + why;
  return r;
}

/// ISO/IEC 10118 hash identifiers of the two-byte ISO/IEC 9796-2 trailer xx CC.
std::optional<pki::HashAlgorithm> trailer_hash(std::uint8_t id) {
  switch (id) {
    case 0x33:
      return pki::HashAlgorithm::Sha1;
    case 0x34:
      return pki::HashAlgorithm::Sha256;
    case 0x35:
      return pki::HashAlgorithm::Sha512;
    case 0x36:
      return pki::HashAlgorithm::Sha384;
    case 0x38:
      return pki::HashAlgorithm::Sha224;
    default:
      return std::nullopt;
  }
}

AaResult verify_rsa(const AaPublicKey& key, ByteView challenge, ByteView response) {
  AaResult r;
  r.format = AaSignatureFormat::Iso9796_2;
  r.algorithm = key.description + ", ISO/IEC 9796-2 scheme 1";
  const std::size_t k = key.signature_size;
  if (response.size() != k) {
    return failed(r, "the answer is " + std::to_string(response.size()) + " bytes, not the " +
                         std::to_string(k) + " of the DG15 key's modulus");
  }
  BnPtr n = key_bn(key.key.get(), OSSL_PKEY_PARAM_RSA_N);
  BnPtr e = key_bn(key.key.get(), OSSL_PKEY_PARAM_RSA_E);
  if (!n || !e) return failed(r, "the DG15 key has no RSA modulus or exponent");
  BnPtr s = bn_from(response);
  if (BN_is_zero(s.get()) || BN_cmp(s.get(), n.get()) >= 0) {
    return failed(r, "signature does not match the DG15 key (it is not between 1 and the modulus)");
  }
  BnCtxPtr ctx(BN_CTX_new());
  BnPtr f(BN_new());
  if (!ctx || !f || BN_mod_exp(f.get(), s.get(), e.get(), n.get(), ctx.get()) != 1) {
    ERR_clear_error();
    return failed(r, "the RSA operation failed");
  }
  // ISO/IEC 9796-2 lets the signer give s or n - s; the representative F ends in the nibble C, and
  // with an odd exponent n - F is what n - s recovers to.
  if (BN_mod_word(f.get(), 16) != 12) {
    if (BN_sub(f.get(), n.get(), f.get()) != 1) return failed(r, "the RSA operation failed");
  }
  if (BN_mod_word(f.get(), 16) != 12) {
    return failed(
        r, "signature does not match the DG15 key (no ISO/IEC 9796-2 trailer in the recovered message)");
  }
  Bytes rep(k);
  if (BN_bn2binpad(f.get(), rep.data(), static_cast<int>(k)) != static_cast<int>(k)) {
    return failed(r, "the RSA operation failed");
  }
  // F is as long as the modulus, or one byte shorter: some chips (and every modulus that is not a
  // whole number of bytes) keep F's leading byte below the modulus' that way.
  const std::size_t skip = rep[0] == 0x00 ? 1 : 0;
  ByteView body = ByteView(rep).subspan(skip);
  if (body[0] != 0x6A) {
    return failed(r, "signature does not match the DG15 key (the recovered message starts " +
                         hex_byte(body[0]) + ", not with the ISO/IEC 9796-2 header 6A)");
  }
  const std::size_t n_body = body.size();
  pki::HashAlgorithm hash = pki::HashAlgorithm::Sha1;
  bool implicit = false;
  if (body[n_body - 1] == 0xBC) {
    implicit = true;
  } else if (body[n_body - 1] == 0xCC) {
    auto h = trailer_hash(body[n_body - 2]);
    if (!h) return failed(r, "unsupported ISO/IEC 9796-2 trailer " + hex_byte(body[n_body - 2]) + "CC");
    hash = *h;
  } else {
    return failed(r, "bad ISO/IEC 9796-2 trailer " + hex_byte(body[n_body - 1]));
  }
  r.hash = hash;
  r.algorithm += ", " + pki::hash_name(hash) + " (trailer " +
                 (implicit ? std::string("BC") : hex_byte(body[n_body - 2]) + "CC") + ")";
  const std::size_t hash_size = pki::hash_size(hash);
  const std::size_t trailer_size = implicit ? 1 : 2;
  if (n_body < 1 + 1 + hash_size + trailer_size) {
    return failed(r, "the DG15 key's modulus is too short for " + pki::hash_name(hash));
  }
  const std::size_t m1_size = n_body - 1 - hash_size - trailer_size;
  ByteView m1 = body.subspan(1, m1_size);
  ByteView h = body.subspan(1 + m1_size, hash_size);
  Bytes m = Bytes(m1.begin(), m1.end());
  append(m, challenge);
  Bytes expected = pki::digest(hash, m);
  r.recovered = rep;
  r.m1.assign(m1.begin(), m1.end());
  if (expected.size() != h.size() || CRYPTO_memcmp(expected.data(), h.data(), h.size()) != 0) {
    return failed(r, "the signature is not over this challenge (the hash in the recovered message differs)");
  }
  r.ok = true;
  return r;
}

/// A strict DER Ecdsa-Sig-Value with r and s of at most `order_size` bytes, re-encoded by OpenSSL.
std::optional<Bytes> parse_der_signature(ByteView response, std::size_t order_size) {
  try {
    tlv::Element seq = tlv::decode_single(response, der::kSequence, "ECDSA signature");
    tlv::Reader fields = tlv::Reader(response, "ECDSA signature").enter(seq);
    ByteView parts[2];
    for (auto& part : parts) {
      ByteView v = fields.expect(der::kInteger).value;
      if (v.empty() || (v[0] & 0x80U) != 0) return std::nullopt;
      if (v.size() > 1 && v[0] == 0 && (v[1] & 0x80U) == 0) return std::nullopt;
      if (v[0] == 0) v = v.subspan(1);
      if (v.empty() || v.size() > order_size) return std::nullopt;
      part = v;
    }
    fields.expect_end();
    EcdsaSigPtr sig(ECDSA_SIG_new());
    BnPtr r = bn_from(parts[0]);
    BnPtr s = bn_from(parts[1]);
    if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
    (void)r.release();
    (void)s.release();
    int len = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (len <= 0) return std::nullopt;
    Bytes out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    i2d_ECDSA_SIG(sig.get(), &p);
    return out;
  } catch (const DecodeError&) {
    return std::nullopt;
  }
}

Bytes der_from_plain(ByteView plain) {
  std::size_t half = plain.size() / 2;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr r = bn_from(plain.first(half));
  BnPtr s = bn_from(plain.subspan(half));
  if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) throw Error("out of memory");
  (void)r.release();
  (void)s.release();
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) throw Error("ECDSA signature encoding failed");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return out;
}

bool ecdsa_verify(EVP_PKEY* key, pki::HashAlgorithm hash, ByteView message, ByteView der_signature) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, pki::evp_md(hash), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), der_signature.data(), der_signature.size(), message.data(),
                             message.size()) == 1;
  ERR_clear_error();
  return ok;
}

AaResult verify_ecdsa(const AaPublicKey& key, std::optional<pki::HashAlgorithm> hash, ByteView challenge,
                      ByteView response) {
  AaResult r;
  r.algorithm = key.description + ", ECDSA";
  if (!hash) return failed(r, "DG14 has no ActiveAuthenticationInfo naming the ECDSA hash");
  r.hash = *hash;
  r.algorithm += " " + pki::hash_name(*hash);
  const std::size_t order_size = key.signature_size / 2;
  bool plain = response.size() == key.signature_size;
  std::optional<Bytes> der = parse_der_signature(response, order_size);
  if (!plain && !der) {
    return failed(r, "the answer is " + std::to_string(response.size()) +
                         " bytes: neither a plain ECDSA signature (" + std::to_string(key.signature_size) +
                         " bytes) nor a DER one for this curve");
  }
  if (plain && ecdsa_verify(key.key.get(), *hash, challenge, der_from_plain(response))) {
    r.format = AaSignatureFormat::EcdsaPlain;
    r.algorithm += ", plain r||s";
    r.ok = true;
    return r;
  }
  if (der && ecdsa_verify(key.key.get(), *hash, challenge, *der)) {
    r.format = AaSignatureFormat::EcdsaDer;
    r.algorithm += ", DER";
    r.ok = true;
    return r;
  }
  return failed(r, "signature does not match the DG15 key");
}

struct CurveName {
  const char* canonical;
  const char* openssl;
  const char* alias1;
  const char* alias2;
};

constexpr CurveName kCurves[] = {
    {"brainpoolP224r1", "brainpoolP224r1", "", ""},
    {"brainpoolP256r1", "brainpoolP256r1", "", ""},
    {"brainpoolP320r1", "brainpoolP320r1", "", ""},
    {"brainpoolP384r1", "brainpoolP384r1", "", ""},
    {"brainpoolP512r1", "brainpoolP512r1", "", ""},
    {"secp224r1", "secp224r1", "P-224", ""},
    {"secp256r1", "prime256v1", "prime256v1", "P-256"},
    {"secp384r1", "secp384r1", "P-384", ""},
    {"secp521r1", "secp521r1", "P-521", ""},
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const CurveName* find_curve(const std::string& name) {
  std::string n = lower(name);
  for (const auto& c : kCurves) {
    if (n == lower(c.canonical) || n == lower(c.alias1) || n == lower(c.alias2)) return &c;
  }
  return nullptr;
}

Bytes spki_of(EVP_PKEY* key) {
  int len = i2d_PUBKEY(key, nullptr);
  if (len <= 0) throw Error("could not encode the Active Authentication public key");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  i2d_PUBKEY(key, &p);
  return out;
}

SecureBytes secure_bn(const BIGNUM* bn, std::size_t size) {
  SecureBytes out(size);
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(size)) != static_cast<int>(size)) {
    throw Error("private key does not fit its size");
  }
  return out;
}

}  // namespace

AaPublicKey aa_public_key(ByteView spki) {
  if (spki.size() > kMaxKeyInfoSize) throw DecodeError("DG15: the SubjectPublicKeyInfo is too large");
  (void)tlv::decode_single(spki, der::kSequence, "DG15 SubjectPublicKeyInfo");
  const unsigned char* p = spki.data();
  EVP_PKEY* raw = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  if (raw == nullptr) {
    ERR_clear_error();
    throw DecodeError("DG15: the SubjectPublicKeyInfo is not an RSA or EC public key OpenSSL can decode");
  }
  AaPublicKey out;
  out.key = share(raw);
  if (p != spki.data() + spki.size()) throw DecodeError("DG15: bytes after the SubjectPublicKeyInfo");
  switch (EVP_PKEY_get_base_id(raw)) {
    case EVP_PKEY_RSA: {
      BnPtr n = key_bn(raw, OSSL_PKEY_PARAM_RSA_N);
      BnPtr e = key_bn(raw, OSSL_PKEY_PARAM_RSA_E);
      if (!n || !e) throw DecodeError("DG15: the RSA key has no modulus or exponent");
      out.type = AaKeyType::Rsa;
      out.bits = BN_num_bits(n.get());
      if (out.bits < 1024) {
        throw DecodeError("DG15: an RSA key of " + std::to_string(out.bits) +
                          " bits; Active Authentication needs at least 1024");
      }
      if (BN_is_odd(n.get()) == 0) throw DecodeError("DG15: the RSA modulus is even");
      if (BN_is_odd(e.get()) == 0 || BN_is_one(e.get()) != 0) {
        throw DecodeError("DG15: the RSA public exponent must be odd and greater than 1");
      }
      out.signature_size = static_cast<std::size_t>((out.bits + 7) / 8);
      out.description = "RSA " + std::to_string(out.bits) + " bit";
      return out;
    }
    case EVP_PKEY_EC: {
      out.type = AaKeyType::Ec;
      char encoding[32] = {0};
      std::size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_EC_ENCODING, encoding, sizeof encoding, &len) ==
          1) {
        out.explicit_parameters = std::string(encoding, len) == OSSL_PKEY_EC_ENCODING_EXPLICIT;
      }
      ERR_clear_error();
      PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr));
      if (!ctx) throw Error("out of memory");
      if (out.explicit_parameters && EVP_PKEY_param_check(ctx.get()) != 1) {
        ERR_clear_error();
        throw DecodeError("DG15: the explicit EC domain parameters are not valid");
      }
      if (EVP_PKEY_public_check(ctx.get()) != 1) {
        ERR_clear_error();
        throw DecodeError("DG15: the EC public key is not a valid point of its curve");
      }
      out.curve = pki::named_curve_of_explicit_key(raw);
      if (out.curve == "prime256v1") out.curve = "secp256r1";
      out.bits = EVP_PKEY_get_bits(raw);
      if (out.bits < 160)
        throw DecodeError("DG15: an EC key of " + std::to_string(out.bits) + " bits is too small");
      out.signature_size = 2 * static_cast<std::size_t>((out.bits + 7) / 8);
      out.description = "EC " + (out.curve.empty() ? std::string("unnamed curve") : out.curve) + " (" +
                        std::to_string(out.bits) + " bit" +
                        (out.explicit_parameters ? ", explicit parameters" : "") + ")";
      return out;
    }
    default:
      throw DecodeError("DG15: the key is neither RSA nor EC");
  }
}

pki::HashAlgorithm aa_ecdsa_hash(const std::string& oid) {
  static const std::pair<const char*, pki::HashAlgorithm> kAlgorithms[] = {
      {"1.2.840.10045.4.1", pki::HashAlgorithm::Sha1},
      {"1.2.840.10045.4.3.1", pki::HashAlgorithm::Sha224},
      {"1.2.840.10045.4.3.2", pki::HashAlgorithm::Sha256},
      {"1.2.840.10045.4.3.3", pki::HashAlgorithm::Sha384},
      {"1.2.840.10045.4.3.4", pki::HashAlgorithm::Sha512},
      {"0.4.0.127.0.7.1.1.4.1.1", pki::HashAlgorithm::Sha1},
      {"0.4.0.127.0.7.1.1.4.1.2", pki::HashAlgorithm::Sha224},
      {"0.4.0.127.0.7.1.1.4.1.3", pki::HashAlgorithm::Sha256},
      {"0.4.0.127.0.7.1.1.4.1.4", pki::HashAlgorithm::Sha384},
      {"0.4.0.127.0.7.1.1.4.1.5", pki::HashAlgorithm::Sha512},
  };
  for (const auto& [o, h] : kAlgorithms) {
    if (oid == o) return h;
  }
  throw DecodeError("ActiveAuthenticationInfo: " + lds::oid_name(oid) +
                    " is not an ECDSA signature algorithm");
}

std::string aa_ecdsa_algorithm_oid(pki::HashAlgorithm hash) {
  switch (hash) {
    case pki::HashAlgorithm::Sha1:
      return "1.2.840.10045.4.1";
    case pki::HashAlgorithm::Sha224:
      return "1.2.840.10045.4.3.1";
    case pki::HashAlgorithm::Sha256:
      return "1.2.840.10045.4.3.2";
    case pki::HashAlgorithm::Sha384:
      return "1.2.840.10045.4.3.3";
    case pki::HashAlgorithm::Sha512:
      return "1.2.840.10045.4.3.4";
  }
  return "";
}

Bytes aa_challenge() { return random_bytes(kAaChallengeSize); }

iso7816::CommandApdu internal_authenticate_command(ByteView challenge, std::size_t signature_size) {
  if (challenge.size() != kAaChallengeSize) throw Error("Active Authentication: the challenge must be 8 bytes");
  iso7816::CommandApdu c{0x00, 0x88, 0x00, 0x00, Bytes(challenge.begin(), challenge.end()), 0};
  if (signature_size > 256) {
    if (signature_size > 65536) throw Error("Active Authentication: signature size out of range");
    c.le = signature_size;
  }
  return c;
}

Iso9796Capacity iso9796_2_capacity(int modulus_bits, pki::HashAlgorithm hash, bool implicit_trailer) {
  if (implicit_trailer && hash != pki::HashAlgorithm::Sha1) {
    throw Error("ISO/IEC 9796-2: the trailer BC stands for SHA-1 only");
  }
  if (modulus_bits <= 0 || modulus_bits % 8 != 0) {
    throw Error("ISO/IEC 9796-2: a modulus of " + std::to_string(modulus_bits) + " bits is not supported");
  }
  Iso9796Capacity c;
  c.k_bits = modulus_bits;
  c.hash_bits = 8 * static_cast<int>(pki::hash_size(hash));
  c.trailer_bits = implicit_trailer ? 8 : 16;
  c.c_bits = c.k_bits - c.hash_bits - c.trailer_bits - 4;
  c.m1_bits = c.c_bits - 4;
  if (c.m1_bits < 8) throw Error("ISO/IEC 9796-2: the modulus leaves no room for M1");
  return c;
}

AaResult verify_active_authentication(const AaPublicKey& key, std::optional<pki::HashAlgorithm> ecdsa_hash,
                                      ByteView challenge, ByteView response) {
  AaResult r;
  r.algorithm = key.description;
  if (!key.key) return failed(r, "no DG15 key");
  if (challenge.size() != kAaChallengeSize) return failed(r, "the challenge is not 8 bytes");
  try {
    return key.type == AaKeyType::Rsa ? verify_rsa(key, challenge, response)
                                      : verify_ecdsa(key, ecdsa_hash, challenge, response);
  } catch (const Error& e) {
    return failed(r, e.what());
  }
}

AaResult verify_active_authentication(const lds::Dg15& dg15, const lds::Dg14* dg14, ByteView challenge,
                                      ByteView response) {
  AaResult r;
  AaPublicKey key;
  try {
    key = aa_public_key(dg15.public_key_info);
  } catch (const Error& e) {
    return failed(r, std::string("the DG15 key cannot be used: ") + e.what());
  }
  r.algorithm = key.description;
  std::optional<pki::HashAlgorithm> hash;
  if (key.type == AaKeyType::Ec) {
    if (dg14 == nullptr)
      return failed(r, "an ECDSA key needs DG14's ActiveAuthenticationInfo, and there is no DG14");
    try {
      auto info = lds::active_authentication_info(*dg14);
      if (!info) return failed(r, "DG14 has no ActiveAuthenticationInfo naming the ECDSA hash");
      hash = aa_ecdsa_hash(info->signature_algorithm);
    } catch (const Error& e) {
      return failed(r, e.what());
    }
  }
  return verify_active_authentication(key, hash, challenge, response);
}

AaKeySpec parse_aa_key_spec(const std::string& spec) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t dash = spec.find('-', start);
    parts.push_back(spec.substr(start, dash == std::string::npos ? std::string::npos : dash - start));
    if (dash == std::string::npos) break;
    start = dash + 1;
  }
  auto bad = [&spec](const std::string& why) {
    return Error("Active Authentication key '" + spec + "': " + why +
                 " (expected rsa-2048 or ecdsa-<curve>-<hash>, e.g. ecdsa-brainpoolP256r1-sha256)");
  };
  AaKeySpec out;
  std::string kind = lower(parts[0]);
  if (kind == "rsa") {
    if (parts.size() != 2 && parts.size() != 3) throw bad("wrong form");
    if (parts[1] == "1024") out.rsa_bits = 1024;
    if (parts[1] == "2048") out.rsa_bits = 2048;
    if (parts[1] == "3072") out.rsa_bits = 3072;
    if (parts[1] == "4096") out.rsa_bits = 4096;
    if (out.rsa_bits == 0) throw bad("RSA size must be 1024, 2048, 3072 or 4096");
    if (parts.size() == 3) {
      try {
        out.hash = pki::hash_from_name(parts[2]);
      } catch (const Error&) {
        throw bad("unknown hash '" + parts[2] + "'");
      }
    }
    out.type = AaKeyType::Rsa;
    return out;
  }
  if (kind != "ecdsa") throw bad("unknown key type '" + parts[0] + "'");
  if (parts.size() < 3) throw bad("wrong form");
  std::string curve_name = parts[1];
  for (std::size_t i = 2; i + 1 < parts.size(); ++i) curve_name += "-" + parts[i];
  const CurveName* curve = find_curve(curve_name);
  if (curve == nullptr) throw bad("unknown curve '" + curve_name + "'");
  try {
    out.hash = pki::hash_from_name(parts.back());
  } catch (const Error&) {
    throw bad("unknown hash '" + parts.back() + "'");
  }
  out.type = AaKeyType::Ec;
  out.curve = curve->canonical;
  out.openssl_curve = curve->openssl;
  return out;
}

AaKeyPair generate_aa_key(const std::string& spec, bool explicit_ec_parameters) {
  const AaKeySpec parsed = parse_aa_key_spec(spec);
  AaKeyPair out;
  out.spec = spec;
  out.hash = parsed.hash;
  out.type = parsed.type;
  if (parsed.type == AaKeyType::Rsa) {
    const int bits = parsed.rsa_bits;
    std::shared_ptr<EVP_PKEY> key =
        share(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
    if (!key) {
      ERR_clear_error();
      throw Error("RSA key generation failed");
    }
    BnPtr n = key_bn(key.get(), OSSL_PKEY_PARAM_RSA_N);
    BnPtr d = key_bn(key.get(), OSSL_PKEY_PARAM_RSA_D);
    if (!n || !d || BN_num_bits(n.get()) != bits) throw Error("RSA key generation failed");
    const std::size_t k = static_cast<std::size_t>(bits / 8);
    out.rsa_modulus.resize(k);
    BN_bn2binpad(n.get(), out.rsa_modulus.data(), static_cast<int>(k));
    out.rsa_private_exponent = secure_bn(d.get(), k);
    out.public_key_info = spki_of(key.get());
    return out;
  }
  out.curve = parsed.curve;
  std::shared_ptr<EVP_PKEY> key =
      share(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", parsed.openssl_curve.c_str()));
  if (!key) {
    ERR_clear_error();
    throw Error("EC key generation failed");
  }
  if (explicit_ec_parameters && EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_ENCODING,
                                                               OSSL_PKEY_EC_ENCODING_EXPLICIT) != 1) {
    ERR_clear_error();
    throw Error("could not switch the EC key to explicit parameters");
  }
  BnPtr priv = key_bn(key.get(), OSSL_PKEY_PARAM_PRIV_KEY);
  if (!priv) throw Error("EC key generation failed");
  out.ec_private_key =
      secure_bn(priv.get(), static_cast<std::size_t>((EVP_PKEY_get_bits(key.get()) + 7) / 8));
  out.public_key_info = spki_of(key.get());
  out.info = lds::ActiveAuthenticationInfo{1, aa_ecdsa_algorithm_oid(out.hash)};
  return out;
}

AaKeyPair aa_key_from_chip_ec(const std::string& spec, ByteView point) {
  const AaKeySpec parsed = parse_aa_key_spec(spec);
  if (parsed.type != AaKeyType::Ec) throw Error("Active Authentication key '" + spec + "' is not ECDSA");
  AaKeyPair out;
  out.spec = spec;
  out.type = AaKeyType::Ec;
  out.hash = parsed.hash;
  out.curve = parsed.curve;
  try {
    out.public_key_info = ec_public_key_info(parsed.openssl_curve, point, false);
  } catch (const Error& e) {
    throw Error("the chip's Active Authentication key: " + std::string(e.what()));
  }
  out.info = lds::ActiveAuthenticationInfo{1, aa_ecdsa_algorithm_oid(out.hash)};
  return out;
}

AaKeyPair aa_key_from_chip_rsa(const std::string& spec, ByteView modulus, ByteView public_exponent) {
  const AaKeySpec parsed = parse_aa_key_spec(spec);
  if (parsed.type != AaKeyType::Rsa) throw Error("Active Authentication key '" + spec + "' is not RSA");
  BnPtr n(BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr));
  BnPtr e(BN_bin2bn(public_exponent.data(), static_cast<int>(public_exponent.size()), nullptr));
  if (!n || !e) throw Error("out of memory");
  if (BN_num_bits(n.get()) != parsed.rsa_bits) {
    throw Error("the chip's Active Authentication key has " + std::to_string(BN_num_bits(n.get())) +
                " bits, not the " + std::to_string(parsed.rsa_bits) + " of " + spec);
  }
  if (!BN_is_odd(e.get()) || BN_num_bits(e.get()) < 2 || BN_num_bits(e.get()) > 256)
    throw Error("the chip's Active Authentication key has an unusable public exponent");
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    throw Error("out of memory");
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    throw Error("the chip's Active Authentication key is not a usable RSA key");
  }
  PkeyPtr key(raw);
  AaKeyPair out;
  out.spec = spec;
  out.type = AaKeyType::Rsa;
  out.hash = parsed.hash;
  out.public_key_info = spki_of(key.get());
  const std::size_t k = static_cast<std::size_t>(parsed.rsa_bits / 8);
  out.rsa_modulus.resize(k);
  BN_bn2binpad(n.get(), out.rsa_modulus.data(), static_cast<int>(k));
  (void)aa_public_key(out.public_key_info);  // DG15's own checks, as inspection will run them
  return out;
}

Bytes aa_rsa_modulus(const AaPublicKey& key) {
  if (key.type != AaKeyType::Rsa) throw Error("Active Authentication: not an RSA key");
  BnPtr n = key_bn(key.key.get(), OSSL_PKEY_PARAM_RSA_N);
  Bytes out(static_cast<std::size_t>(BN_num_bytes(n.get())));
  BN_bn2bin(n.get(), out.data());
  return out;
}

}  // namespace rcperso::secure
