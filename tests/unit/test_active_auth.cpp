// Active Authentication (ICAO 9303-11 §6.1): the Appendix F worked example
// step by step (RSA-1024, SHA-1, ISO/IEC 9796-2 scheme 1), then the host's
// verification (OpenSSL) of the virtual chip's signatures (Crypto++) for
// RSA with SHA-1 and SHA-2 trailers and ECDSA in plain and DER form, DG15
// keys with explicit EC parameters, the DG14/DG15 builders, and the answers
// that must fail.
#include <doctest/doctest.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "core/error.hpp"
#include "iso7816/apdu.hpp"
#include "lds/active_auth_info.hpp"
#include "lds/security_dg.hpp"
#include "pki/hash.hpp"
#include "rcsim/chip_crypto.hpp"
#include "secure/active_auth.hpp"
#include "tlv/der.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_active_auth {

using namespace rcperso;
using namespace rcperso::secure;
using pki::HashAlgorithm;

namespace {

// 9303-11 Appendix F.
constexpr const char* kM2 = "F173589974BF40C6";
constexpr const char* kM1 =
    "9D2784A67F8E7C659973EA1AEA25D95B6C8F91E5002F369F0FBDCE8A3CEC1991B543F1696546C5524CF23A5303CD6C98599F40B7"
    "9F3"
    "77B5F3A1406B3B4D8F96784D23AA88DB7E1032A405E69325FA91A6E86F5C71AEA978264C4A207446DAD4E7292E2DCDA3024B47DA"
    "8";
constexpr const char* kH = "C063AA1E6D22FBD976AB0FE73D94D2D9C6D88127";
constexpr const char* kF =
    "6A9D2784A67F8E7C659973EA1AEA25D95B6C8F91E5002F369F0FBDCE8A3CEC1991B543F1696546C5524CF23A5303CD6C98599F40"
    "B7"
    "9F377B5F3A1406B3B4D8F96784D23AA88DB7E1032A405E69325FA91A6E86F5C71AEA978264C4A207446DAD4E7292E2DCDA3024B4"
    "7DA8C0"
    "63AA1E6D22FBD976AB0FE73D94D2D9C6D88127BC";

Bytes plain(const SecureBytes& s) { return Bytes(s.begin(), s.end()); }

/// The chip's signature with a hand-made representative (for trailers and headers the chip never writes).
Bytes sign_raw(const AaKeyPair& k, const Bytes& representative) {
  return rcsim::rsa_private(k.rsa_modulus, plain(k.rsa_private_exponent), representative);
}

/// n - s, the other signature ISO/IEC 9796-2 allows.
Bytes complement(const Bytes& modulus, const Bytes& s) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> n(
      BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr), BN_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> v(BN_bin2bn(s.data(), static_cast<int>(s.size()), nullptr),
                                                BN_free);
  REQUIRE(BN_sub(v.get(), n.get(), v.get()) == 1);
  Bytes out(modulus.size());
  REQUIRE(BN_bn2binpad(v.get(), out.data(), static_cast<int>(out.size())) == static_cast<int>(out.size()));
  return out;
}

rcsim::AaHash chip_hash(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::Sha1:
      return rcsim::AaHash::Sha1;
    case HashAlgorithm::Sha224:
      return rcsim::AaHash::Sha224;
    case HashAlgorithm::Sha256:
      return rcsim::AaHash::Sha256;
    case HashAlgorithm::Sha384:
      return rcsim::AaHash::Sha384;
    case HashAlgorithm::Sha512:
      return rcsim::AaHash::Sha512;
  }
  return rcsim::AaHash::Sha256;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The RSA-1024 key every RSA-1024 case shares (generation takes a moment).
const AaKeyPair& rsa1024() {
  static const AaKeyPair k = generate_aa_key("rsa-1024");
  return k;
}

}  // namespace

TEST_CASE("Active Authentication App. F: challenge, command, sizes and the message representative") {
  Bytes m2 = from_hex(kM2);
  Bytes m1 = from_hex(kM1);
  REQUIRE(m1.size() == 106);

  // INTERNAL AUTHENTICATE with RND.IFD = M2, Le 00.
  CHECK(to_hex_upper(internal_authenticate_command(m2, 128).encode()) == "0088000008F173589974BF40C600");

  // k = 1024, Lh = 160, T = BC (8 bits), c = 852, LM1 = 848.
  Iso9796Capacity cap = iso9796_2_capacity(1024, HashAlgorithm::Sha1, true);
  CHECK(cap.k_bits == 1024);
  CHECK(cap.hash_bits == 160);
  CHECK(cap.trailer_bits == 8);
  CHECK(cap.c_bits == 852);
  CHECK(cap.m1_bits == 848);
  CHECK(static_cast<std::size_t>(cap.m1_bits / 8) == m1.size());
  CHECK(rcsim::iso9796_2_m1_size(128, rcsim::AaHash::Sha1, true) == m1.size());

  // M = M1 || M2, H = SHA-1(M), on both sides.
  Bytes m = m1;
  append(m, m2);
  CHECK(to_hex_upper(pki::digest(HashAlgorithm::Sha1, m)) == kH);
  CHECK(to_hex_upper(rcsim::sha1(m)) == kH);

  // F = 6A || M1 || H || BC, built by the chip.
  Bytes f = rcsim::iso9796_2_representative(128, m1, m2, rcsim::AaHash::Sha1, true);
  CHECK(to_hex_upper(f) == kF);
  CHECK(f.size() == 128);
}

TEST_CASE("Active Authentication App. F: the chip signs F, the host recovers M1 and checks H") {
  // The example gives no key: s = F^d mod n with a key of our own.
  const AaKeyPair& k = rsa1024();
  REQUIRE(k.rsa_modulus.size() == 128);
  REQUIRE(k.rsa_private_exponent.size() == 128);
  Bytes m2 = from_hex(kM2);
  Bytes s = rcsim::iso9796_2_sign(k.rsa_modulus, plain(k.rsa_private_exponent), m2, rcsim::AaHash::Sha1, true,
                                  from_hex(kM1));
  CHECK(s == sign_raw(k, from_hex(kF)));

  AaPublicKey key = aa_public_key(k.public_key_info);
  CHECK(key.type == AaKeyType::Rsa);
  CHECK(key.bits == 1024);
  CHECK(key.signature_size == 128);
  AaResult r = verify_active_authentication(key, std::nullopt, m2, s);
  CHECK_MESSAGE(r.ok, r.reason);
  CHECK(r.reason.empty());
  CHECK(to_hex_upper(r.recovered) == kF);
  CHECK(to_hex_upper(r.m1) == kM1);
  CHECK(r.hash == HashAlgorithm::Sha1);
  CHECK(r.format == AaSignatureFormat::Iso9796_2);
  CHECK(contains(r.algorithm, "trailer BC"));

  // ISO/IEC 9796-2 also lets the signer send n - s.
  AaResult c = verify_active_authentication(key, std::nullopt, m2, complement(k.rsa_modulus, s));
  CHECK_MESSAGE(c.ok, c.reason);
  CHECK(to_hex_upper(c.recovered) == kF);
}

TEST_CASE("Active Authentication RSA: host verifies the chip for SHA-1 (BC, 33CC) and SHA-2 trailers") {
  AaKeyPair k = generate_aa_key("rsa-2048-sha256");
  CHECK(k.hash == HashAlgorithm::Sha256);
  CHECK(k.rsa_modulus.size() == 256);
  CHECK(k.rsa_private_exponent.size() == 256);
  CHECK_FALSE(k.info.has_value());
  AaPublicKey key = aa_public_key(k.public_key_info);
  CHECK(key.description == "RSA 2048 bit");
  Bytes challenge = aa_challenge();
  REQUIRE(challenge.size() == 8);
  CHECK(challenge != aa_challenge());

  struct Case {
    HashAlgorithm hash;
    bool implicit;
    const char* trailer;
  };
  for (Case c : {Case{HashAlgorithm::Sha1, true, "BC"}, Case{HashAlgorithm::Sha1, false, "33CC"},
                 Case{HashAlgorithm::Sha224, false, "38CC"}, Case{HashAlgorithm::Sha256, false, "34CC"},
                 Case{HashAlgorithm::Sha384, false, "36CC"}, Case{HashAlgorithm::Sha512, false, "35CC"}}) {
    CAPTURE(c.trailer);
    Bytes s = rcsim::iso9796_2_sign(k.rsa_modulus, plain(k.rsa_private_exponent), challenge,
                                    chip_hash(c.hash), c.implicit);
    REQUIRE(s.size() == 256);
    AaResult r = verify_active_authentication(key, std::nullopt, challenge, s);
    CHECK_MESSAGE(r.ok, r.reason);
    CHECK(r.hash == c.hash);
    CHECK(to_hex_upper(ByteView(r.recovered).last(c.implicit ? 1 : 2)) == c.trailer);
    Iso9796Capacity cap = iso9796_2_capacity(2048, c.hash, c.implicit);
    CHECK(r.m1.size() * 8 == static_cast<std::size_t>(cap.m1_bits));
    CHECK(r.m1.size() == rcsim::iso9796_2_m1_size(256, chip_hash(c.hash), c.implicit));
  }
  // SHA-256 with 34CC: M1 = 256 - 1 - 32 - 2 bytes.
  CHECK(iso9796_2_capacity(2048, HashAlgorithm::Sha256, false).m1_bits == 221 * 8);
  CHECK_THROWS_AS(iso9796_2_capacity(2048, HashAlgorithm::Sha256, true), Error);
}

TEST_CASE("Active Authentication RSA: F one byte shorter than the modulus, and moduli of odd bit length") {
  // Some chips write F with a leading zero byte; M1 is then one byte shorter.
  const AaKeyPair& k = rsa1024();
  AaPublicKey key = aa_public_key(k.public_key_info);
  Bytes challenge = from_hex(kM2);
  Bytes m1(rcsim::iso9796_2_m1_size(127, rcsim::AaHash::Sha256, false), 0x11);
  REQUIRE(m1.size() == 127 - 1 - 32 - 2);
  Bytes f = rcsim::iso9796_2_representative(127, m1, challenge, rcsim::AaHash::Sha256, false);
  f.insert(f.begin(), 0x00);
  AaResult r = verify_active_authentication(key, std::nullopt, challenge, sign_raw(k, f));
  CHECK_MESSAGE(r.ok, r.reason);
  CHECK(r.m1 == m1);
  CHECK(r.hash == HashAlgorithm::Sha256);
  CHECK(r.recovered == f);
  // Two leading zero bytes are one too many.
  Bytes f2 = rcsim::iso9796_2_representative(
      126, Bytes(rcsim::iso9796_2_m1_size(126, rcsim::AaHash::Sha256, false), 0x22), challenge,
      rcsim::AaHash::Sha256, false);
  f2.insert(f2.begin(), 2, 0x00);
  r = verify_active_authentication(key, std::nullopt, challenge, sign_raw(k, f2));
  CHECK_FALSE(r.ok);
  CHECK(contains(r.reason, "the recovered message starts 00, not with the ISO/IEC 9796-2 header 6A"));

  // A 1028-bit modulus: 129-byte signatures, F = 00 || 6A || ... below the modulus.
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> odd(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1028)), EVP_PKEY_free);
  REQUIRE(odd);
  BIGNUM* n = nullptr;
  BIGNUM* d = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(odd.get(), OSSL_PKEY_PARAM_RSA_N, &n) == 1);
  REQUIRE(EVP_PKEY_get_bn_param(odd.get(), OSSL_PKEY_PARAM_RSA_D, &d) == 1);
  Bytes modulus(129), exponent(129);
  BN_bn2binpad(n, modulus.data(), 129);
  BN_bn2binpad(d, exponent.data(), 129);
  BN_free(n);
  BN_clear_free(d);
  int len = i2d_PUBKEY(odd.get(), nullptr);
  Bytes spki(static_cast<std::size_t>(len));
  unsigned char* p = spki.data();
  i2d_PUBKEY(odd.get(), &p);
  AaPublicKey odd_key = aa_public_key(spki);
  CHECK(odd_key.bits == 1028);
  CHECK(odd_key.signature_size == 129);
  Bytes f3 = rcsim::iso9796_2_representative(128, from_hex(kM1), challenge, rcsim::AaHash::Sha1, true);
  f3.insert(f3.begin(), 0x00);
  Bytes s = rcsim::rsa_private(modulus, exponent, f3);
  r = verify_active_authentication(odd_key, std::nullopt, challenge, s);
  CHECK_MESSAGE(r.ok, r.reason);
  CHECK(to_hex_upper(r.m1) == kM1);
  CHECK_FALSE(verify_active_authentication(odd_key, std::nullopt, challenge, ByteView(s).first(128)).ok);
}

TEST_CASE("Active Authentication RSA: answers that must fail, each with its reason") {
  const AaKeyPair& k = rsa1024();
  AaPublicKey key = aa_public_key(k.public_key_info);
  Bytes challenge = from_hex(kM2);
  Bytes m1 = from_hex(kM1);
  Bytes good = rcsim::iso9796_2_sign(k.rsa_modulus, plain(k.rsa_private_exponent), challenge,
                                     rcsim::AaHash::Sha1, true);
  REQUIRE(verify_active_authentication(key, std::nullopt, challenge, good).ok);

  SUBCASE("wrong challenge") {
    AaResult r = verify_active_authentication(key, std::nullopt, from_hex("F173589974BF40C7"), good);
    CHECK_FALSE(r.ok);
    CHECK(r.reason ==
          "Active Authentication: the signature is not over this challenge (the hash in the recovered "
          "message differs)");
  }
  SUBCASE("tampered signature") {
    for (std::size_t at : {std::size_t{0}, std::size_t{64}, std::size_t{127}}) {
      Bytes bad = good;
      bad[at] ^= 0x01;
      AaResult r = verify_active_authentication(key, std::nullopt, challenge, bad);
      CHECK_FALSE(r.ok);
      CHECK(contains(r.reason, "Active Authentication: signature does not match the DG15 key"));
    }
  }
  SUBCASE("wrong key") {
    AaKeyPair other = generate_aa_key("rsa-1024");
    AaResult r =
        verify_active_authentication(aa_public_key(other.public_key_info), std::nullopt, challenge, good);
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "signature does not match the DG15 key"));
  }
  SUBCASE("bad trailers and header") {
    Bytes h = pki::digest(HashAlgorithm::Sha1, [&] {
      Bytes m = m1;
      append(m, challenge);
      return m;
    }());
    auto representative = [&](std::uint8_t header, ByteView body,
                              std::initializer_list<std::uint8_t> trailer) {
      Bytes f{header};
      append(f, body);
      f.insert(f.end(), trailer);
      REQUIRE(f.size() == 128);
      return f;
    };
    Bytes body = m1;
    append(body, h);
    // A one-byte trailer other than BC.
    AaResult r = verify_active_authentication(key, std::nullopt, challenge,
                                              sign_raw(k, representative(0x6A, body, {0xAC})));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "Active Authentication: bad ISO/IEC 9796-2 trailer AC");
    // xx CC with a hash we do not take (31 = RIPEMD-160).
    Bytes short_body(body.begin() + 1, body.end());
    r = verify_active_authentication(key, std::nullopt, challenge,
                                     sign_raw(k, representative(0x6A, short_body, {0x31, 0xCC})));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "Active Authentication: unsupported ISO/IEC 9796-2 trailer 31CC");
    // 34CC (SHA-256) over a SHA-1 layout: the hash cannot match.
    r = verify_active_authentication(key, std::nullopt, challenge,
                                     sign_raw(k, representative(0x6A, short_body, {0x34, 0xCC})));
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "not over this challenge"));
    // Header 4B (total recovery) instead of 6A.
    r = verify_active_authentication(key, std::nullopt, challenge,
                                     sign_raw(k, representative(0x4B, body, {0xBC})));
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "not with the ISO/IEC 9796-2 header 6A"));
  }
  SUBCASE("short, long, empty and oversized signatures") {
    AaResult r = verify_active_authentication(key, std::nullopt, challenge, ByteView(good).first(127));
    CHECK_FALSE(r.ok);
    CHECK(r.reason ==
          "Active Authentication: the answer is 127 bytes, not the 128 of the DG15 key's modulus");
    Bytes longer = good;
    longer.insert(longer.begin(), 0x00);
    CHECK_FALSE(verify_active_authentication(key, std::nullopt, challenge, longer).ok);
    CHECK_FALSE(verify_active_authentication(key, std::nullopt, challenge, Bytes{}).ok);
    r = verify_active_authentication(key, std::nullopt, challenge, Bytes(128, 0xFF));
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "not between 1 and the modulus"));
    r = verify_active_authentication(key, std::nullopt, challenge, Bytes(128, 0x00));
    CHECK_FALSE(r.ok);
  }
  SUBCASE("a challenge that is not 8 bytes") {
    AaResult r = verify_active_authentication(key, std::nullopt, ByteView(challenge).first(7), good);
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "challenge is not 8 bytes"));
    CHECK_THROWS_AS(internal_authenticate_command(ByteView(challenge).first(7)), Error);
  }
}

TEST_CASE("Active Authentication ECDSA: host verifies the chip in plain and DER form") {
  struct Case {
    const char* spec;
    const char* curve;
    HashAlgorithm hash;
    std::size_t signature_size;
  };
  for (Case c : {Case{"ecdsa-brainpoolP256r1-sha256", "brainpoolP256r1", HashAlgorithm::Sha256, 64},
                 Case{"ecdsa-P-256-sha256", "secp256r1", HashAlgorithm::Sha256, 64},
                 Case{"ecdsa-secp256r1-sha1", "secp256r1", HashAlgorithm::Sha1, 64},
                 Case{"ecdsa-brainpoolP384r1-sha384", "brainpoolP384r1", HashAlgorithm::Sha384, 96},
                 Case{"ecdsa-brainpoolP256r1-sha512", "brainpoolP256r1", HashAlgorithm::Sha512, 64},
                 Case{"ecdsa-secp521r1-sha512", "secp521r1", HashAlgorithm::Sha512, 132}}) {
    CAPTURE(c.spec);
    AaKeyPair k = generate_aa_key(c.spec);
    CHECK(k.type == AaKeyType::Ec);
    CHECK(k.curve == c.curve);
    CHECK(k.hash == c.hash);
    CHECK(k.ec_private_key.size() == c.signature_size / 2);
    CHECK(k.rsa_modulus.empty());
    REQUIRE(k.info.has_value());
    CHECK(k.info->signature_algorithm == aa_ecdsa_algorithm_oid(c.hash));

    // The chip's key from the private scalar is DG15's key (the SubjectPublicKeyInfo ends with the point).
    Bytes point = rcsim::ecdsa_public_point(k.curve, plain(k.ec_private_key));
    REQUIRE(point.size() < k.public_key_info.size());
    CHECK(Bytes(k.public_key_info.end() - static_cast<std::ptrdiff_t>(point.size()),
                k.public_key_info.end()) == point);

    AaPublicKey key = aa_public_key(k.public_key_info);
    CHECK(key.type == AaKeyType::Ec);
    CHECK(key.curve == c.curve);
    CHECK_FALSE(key.explicit_parameters);
    CHECK(key.signature_size == c.signature_size);

    Bytes challenge = aa_challenge();
    Bytes sig = rcsim::ecdsa_sign_plain(k.curve, plain(k.ec_private_key), challenge, chip_hash(c.hash));
    REQUIRE(sig.size() == c.signature_size);
    AaResult r = verify_active_authentication(key, c.hash, challenge, sig);
    CHECK_MESSAGE(r.ok, r.reason);
    CHECK(r.format == AaSignatureFormat::EcdsaPlain);
    CHECK(r.hash == c.hash);

    Bytes der_sig = rcsim::ecdsa_plain_to_der(sig);
    CHECK(der_sig[0] == 0x30);
    r = verify_active_authentication(key, c.hash, challenge, der_sig);
    CHECK_MESSAGE(r.ok, r.reason);
    CHECK(r.format == AaSignatureFormat::EcdsaDer);
    CHECK(contains(r.algorithm, "DER"));

    // Through the data groups as preparation writes them.
    lds::Dg15 dg15 = lds::Dg15::decode(lds::build_dg15(k.public_key_info).encode());
    lds::Dg14 dg14 = lds::Dg14::decode(lds::build_dg14({k.info->encode()}).encode());
    r = verify_active_authentication(dg15, &dg14, challenge, sig);
    CHECK_MESSAGE(r.ok, r.reason);
    r = verify_active_authentication(dg15, &dg14, challenge, der_sig);
    CHECK_MESSAGE(r.ok, r.reason);
  }
}

TEST_CASE("Active Authentication ECDSA: answers that must fail, each with its reason") {
  AaKeyPair k = generate_aa_key("ecdsa-brainpoolP256r1-sha256");
  AaPublicKey key = aa_public_key(k.public_key_info);
  Bytes challenge = from_hex(kM2);
  Bytes sig = rcsim::ecdsa_sign_plain(k.curve, plain(k.ec_private_key), challenge, rcsim::AaHash::Sha256);
  Bytes der_sig = rcsim::ecdsa_plain_to_der(sig);
  REQUIRE(verify_active_authentication(key, HashAlgorithm::Sha256, challenge, sig).ok);
  const std::string kNoMatch = "Active Authentication: signature does not match the DG15 key";

  SUBCASE("wrong challenge") {
    Bytes other = challenge;
    other[7] ^= 1;
    CHECK(verify_active_authentication(key, HashAlgorithm::Sha256, other, sig).reason == kNoMatch);
    CHECK(verify_active_authentication(key, HashAlgorithm::Sha256, other, der_sig).reason == kNoMatch);
  }
  SUBCASE("tampered signature") {
    for (std::size_t at : {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{63}}) {
      Bytes bad = sig;
      bad[at] ^= 0x80;
      AaResult r = verify_active_authentication(key, HashAlgorithm::Sha256, challenge, bad);
      CHECK_FALSE(r.ok);
      CHECK(r.reason == kNoMatch);
    }
    Bytes bad = der_sig;
    bad.back() ^= 1;
    CHECK(verify_active_authentication(key, HashAlgorithm::Sha256, challenge, bad).reason == kNoMatch);
  }
  SUBCASE("wrong key, wrong hash") {
    AaKeyPair other = generate_aa_key("ecdsa-brainpoolP256r1-sha256");
    CHECK(verify_active_authentication(aa_public_key(other.public_key_info), HashAlgorithm::Sha256, challenge,
                                       sig)
              .reason == kNoMatch);
    CHECK(verify_active_authentication(key, HashAlgorithm::Sha384, challenge, sig).reason == kNoMatch);
  }
  SUBCASE("short and malformed signatures") {
    AaResult r = verify_active_authentication(key, HashAlgorithm::Sha256, challenge, ByteView(sig).first(63));
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason,
                   "the answer is 63 bytes: neither a plain ECDSA signature (64 bytes) nor a DER one"));
    CHECK_FALSE(verify_active_authentication(key, HashAlgorithm::Sha256, challenge, Bytes{}).ok);
    CHECK_FALSE(verify_active_authentication(key, HashAlgorithm::Sha256, challenge, Bytes(64, 0)).ok);
    // DER with trailing bytes, or a non-minimal INTEGER, is not taken.
    Bytes trailing = der_sig;
    trailing.push_back(0);
    CHECK_FALSE(verify_active_authentication(key, HashAlgorithm::Sha256, challenge, trailing).ok);
    // A signature whose r has its top bit clear, written once minimally and once with a needless 00.
    Bytes low = sig;
    while (low[0] >= 0x80 || low[0] == 0 || low[32] >= 0x80 || low[32] == 0) {
      low = rcsim::ecdsa_sign_plain(k.curve, plain(k.ec_private_key), challenge, rcsim::AaHash::Sha256);
    }
    auto der_of = [&](ByteView r_int, ByteView s_int) {
      Bytes content = tlv::encode(der::kInteger, r_int);
      append(content, tlv::encode(der::kInteger, s_int));
      return der::sequence(content);
    };
    ByteView r_part = ByteView(low).first(32);
    ByteView s_part = ByteView(low).subspan(32);
    Bytes minimal = der_of(r_part, s_part);
    CHECK(minimal == rcsim::ecdsa_plain_to_der(low));
    CHECK(verify_active_authentication(key, HashAlgorithm::Sha256, challenge, minimal).format ==
          AaSignatureFormat::EcdsaDer);
    Bytes padded_r{0x00};
    append(padded_r, r_part);
    CHECK_FALSE(
        verify_active_authentication(key, HashAlgorithm::Sha256, challenge, der_of(padded_r, s_part)).ok);
    // A negative s, and an s of 33 bytes.
    Bytes negative_s{0xFF};
    append(negative_s, s_part);
    CHECK_FALSE(
        verify_active_authentication(key, HashAlgorithm::Sha256, challenge, der_of(r_part, negative_s)).ok);
    Bytes long_s{0x01};
    append(long_s, s_part);
    CHECK_FALSE(
        verify_active_authentication(key, HashAlgorithm::Sha256, challenge, der_of(r_part, long_s)).ok);
  }
  SUBCASE("the hash comes from DG14") {
    lds::Dg15 dg15 = lds::build_dg15(k.public_key_info);
    AaResult r = verify_active_authentication(key, std::nullopt, challenge, sig);
    CHECK(r.reason == "Active Authentication: DG14 has no ActiveAuthenticationInfo naming the ECDSA hash");
    r = verify_active_authentication(dg15, nullptr, challenge, sig);
    CHECK(contains(r.reason, "there is no DG14"));
    // A DG14 with only a Chip Authentication entry.
    Bytes ca = der::sequence([] {
      Bytes c = der::oid("0.4.0.127.0.7.2.2.3.2.2");
      append(c, der::integer(1));
      return c;
    }());
    lds::Dg14 without = lds::build_dg14({ca});
    r = verify_active_authentication(dg15, &without, challenge, sig);
    CHECK(r.reason == "Active Authentication: DG14 has no ActiveAuthenticationInfo naming the ECDSA hash");
    // An algorithm that is no ECDSA (TR-03105 ISO7816_F_09: invalid signature OID).
    lds::Dg14 rsa_oid =
        lds::build_dg14({ca, lds::ActiveAuthenticationInfo{1, "1.2.840.113549.1.1.11"}.encode()});
    r = verify_active_authentication(dg15, &rsa_oid, challenge, sig);
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "sha256WithRSAEncryption is not an ECDSA signature algorithm"));
    // DG14 names SHA-384, the chip signed with SHA-256.
    lds::Dg14 sha384 =
        lds::build_dg14({ca, lds::ActiveAuthenticationInfo{1, "1.2.840.10045.4.3.3"}.encode()});
    CHECK(verify_active_authentication(dg15, &sha384, challenge, sig).reason == kNoMatch);
    // The BSI plain OID for SHA-256 names the same hash.
    lds::Dg14 bsi =
        lds::build_dg14({ca, lds::ActiveAuthenticationInfo{1, "0.4.0.127.0.7.1.1.4.1.3"}.encode()});
    AaResult ok = verify_active_authentication(dg15, &bsi, challenge, sig);
    CHECK_MESSAGE(ok.ok, ok.reason);
  }
}

TEST_CASE("Active Authentication DG15 with explicit EC parameters") {
  AaKeyPair k = generate_aa_key("ecdsa-brainpoolP256r1-sha256", true);
  // The SubjectPublicKeyInfo carries prime-field parameters, not the curve's OID.
  std::string spki = to_hex_upper(k.public_key_info);
  CHECK(contains(spki, to_hex_upper(der::oid("1.2.840.10045.1.1"))));           // prime-field
  CHECK_FALSE(contains(spki, to_hex_upper(der::oid("1.3.36.3.3.2.8.1.1.7"))));  // brainpoolP256r1
  AaPublicKey key = aa_public_key(k.public_key_info);
  CHECK(key.type == AaKeyType::Ec);
  CHECK(key.explicit_parameters);
  CHECK(key.curve == "brainpoolP256r1");
  CHECK(key.description == "EC brainpoolP256r1 (256 bit, explicit parameters)");
  CHECK(key.signature_size == 64);

  Bytes challenge = aa_challenge();
  Bytes sig =
      rcsim::ecdsa_sign_plain("brainpoolP256r1", plain(k.ec_private_key), challenge, rcsim::AaHash::Sha256);
  lds::Dg15 dg15 = lds::build_dg15(k.public_key_info);
  CHECK(dg15.algorithm == "1.2.840.10045.2.1");
  lds::Dg14 dg14 = lds::build_dg14({k.info->encode()});
  AaResult r = verify_active_authentication(dg15, &dg14, challenge, sig);
  CHECK_MESSAGE(r.ok, r.reason);
  CHECK(verify_active_authentication(dg15, &dg14, challenge, rcsim::ecdsa_plain_to_der(sig)).ok);

  // Changed parameters: the key no longer decodes, and verification says why.
  Bytes broken = k.public_key_info;
  broken[broken.size() / 3] ^= 0x01;
  lds::Dg15 bad;
  bad.public_key_info = broken;
  AaResult b = verify_active_authentication(bad, &dg14, challenge, sig);
  CHECK_FALSE(b.ok);
  CHECK(contains(b.reason, "Active Authentication: the DG15 key cannot be used: DG15"));

  // Valid parameters that are no named curve: brainpoolP256r1 with the generator 2G. The key is
  // taken (DG15's key is covered by EF.SOD), and signatures made with the usual G do not verify.
  std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> group(EC_GROUP_new_by_curve_name(NID_brainpoolP256r1),
                                                            EC_GROUP_free);
  std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)> g2(EC_POINT_new(group.get()), EC_POINT_free);
  REQUIRE(EC_POINT_dbl(group.get(), g2.get(), EC_GROUP_get0_generator(group.get()), nullptr) == 1);
  Bytes g_enc(65), g2_enc(65);
  REQUIRE(EC_POINT_point2oct(group.get(), EC_GROUP_get0_generator(group.get()), POINT_CONVERSION_UNCOMPRESSED,
                             g_enc.data(), g_enc.size(), nullptr) == 65);
  REQUIRE(EC_POINT_point2oct(group.get(), g2.get(), POINT_CONVERSION_UNCOMPRESSED, g2_enc.data(),
                             g2_enc.size(), nullptr) == 65);
  Bytes unnamed = k.public_key_info;
  auto at = std::search(unnamed.begin(), unnamed.end(), g_enc.begin(), g_enc.end());
  REQUIRE(at != unnamed.end());
  std::copy(g2_enc.begin(), g2_enc.end(), at);
  AaPublicKey uk = aa_public_key(unnamed);
  CHECK(uk.explicit_parameters);
  CHECK(uk.curve.empty());
  CHECK(uk.description == "EC unnamed curve (256 bit, explicit parameters)");
  AaResult ur = verify_active_authentication(uk, HashAlgorithm::Sha256, challenge, sig);
  CHECK_FALSE(ur.ok);
  CHECK(ur.reason == "Active Authentication: signature does not match the DG15 key");

  // P-256 with explicit parameters is named too.
  AaKeyPair p256 = generate_aa_key("ecdsa-secp256r1-sha256", true);
  AaPublicKey pk = aa_public_key(p256.public_key_info);
  CHECK(pk.explicit_parameters);
  CHECK(pk.curve == "secp256r1");
}

TEST_CASE("Active Authentication info in DG14 and the DG15 builder") {
  lds::ActiveAuthenticationInfo info{1, "1.2.840.10045.4.3.2"};
  Bytes enc = info.encode();
  CHECK(to_hex_upper(enc) ==
        "30150606678108010105020101060"
        "82A8648CE3D040302");
  lds::ActiveAuthenticationInfo back = lds::ActiveAuthenticationInfo::decode(enc);
  CHECK(back.version == 1);
  CHECK(back.signature_algorithm == "1.2.840.10045.4.3.2");
  CHECK(back.encode() == enc);
  CHECK(aa_ecdsa_hash(back.signature_algorithm) == HashAlgorithm::Sha256);

  // Version 2, a trailing field, another protocol, trailing bytes.
  CHECK_THROWS_AS(
      lds::ActiveAuthenticationInfo::decode(lds::ActiveAuthenticationInfo{2, "1.2.840.10045.4.3.2"}.encode()),
      DecodeError);
  Bytes extra = from_hex(
      "30170606678108010105020101060"
      "82A8648CE3D0403020500");
  extra[1] = static_cast<std::uint8_t>(extra.size() - 2);
  CHECK_THROWS_AS(lds::ActiveAuthenticationInfo::decode(extra), DecodeError);
  Bytes other = enc;
  other[9] = 0x04;  // 2.23.136.1.1.4
  CHECK_THROWS_WITH_AS(lds::ActiveAuthenticationInfo::decode(other), doctest::Contains("not 2.23.136.1.1.5"),
                       DecodeError);
  Bytes trailing = enc;
  trailing.push_back(0);
  CHECK_THROWS_AS(lds::ActiveAuthenticationInfo::decode(trailing), DecodeError);

  // DG14 round trip, found among other SecurityInfos; two of them are refused.
  Bytes ca = der::sequence([] {
    Bytes c = der::oid("0.4.0.127.0.7.2.2.3.2.2");
    append(c, der::integer(1));
    return c;
  }());
  lds::Dg14 dg14 = lds::build_dg14({enc, ca});
  CHECK(dg14.infos.size() == 2);
  Bytes file = dg14.encode();
  CHECK(file[0] == 0x6E);
  lds::Dg14 decoded = lds::Dg14::decode(file);
  CHECK(decoded.encode() == file);
  auto found = lds::active_authentication_info(decoded);
  REQUIRE(found.has_value());
  CHECK(found->signature_algorithm == "1.2.840.10045.4.3.2");
  CHECK_FALSE(lds::active_authentication_info(lds::build_dg14({ca})).has_value());
  CHECK_THROWS_WITH_AS(lds::active_authentication_info(lds::build_dg14({enc, ca, info.encode()})),
                       doctest::Contains("more than one"), DecodeError);
  // DER SET OF: sorted, whatever the order given.
  CHECK(lds::build_dg14({ca, enc}).encode() == file);

  // DG15 from a key.
  const AaKeyPair& k = rsa1024();
  lds::Dg15 dg15 = lds::build_dg15(k.public_key_info);
  CHECK(dg15.algorithm == "1.2.840.113549.1.1.1");
  Bytes dg15_file = dg15.encode();
  CHECK(dg15_file[0] == 0x6F);
  CHECK(lds::Dg15::decode(dg15_file).public_key_info == k.public_key_info);
  CHECK_THROWS_AS(lds::build_dg15(from_hex("3000")), DecodeError);
  CHECK_THROWS_AS(lds::build_dg15(ByteView(k.public_key_info).first(k.public_key_info.size() - 1)),
                  DecodeError);
}

TEST_CASE("Active Authentication keys: generation specs, DG15 decoding limits, extended Le") {
  for (const char* bad : {"rsa-1000", "rsa", "rsa-2048-md5", "dsa-2048", "ecdsa-foo-sha256",
                          "ecdsa-brainpoolP256r1-md5", "ecdsa-brainpoolP256r1", "", "ecdsa"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(generate_aa_key(bad), Error);
  }
  AaKeyPair k = generate_aa_key("rsa-3072");
  CHECK(k.hash == HashAlgorithm::Sha1);
  AaPublicKey key = aa_public_key(k.public_key_info);
  CHECK(key.signature_size == 384);
  // 384 bytes do not fit a short response: extended Le.
  iso7816::CommandApdu c = internal_authenticate_command(from_hex(kM2), key.signature_size);
  CHECK(to_hex_upper(c.encode()) == "00880000000008F173589974BF40C60180");
  Bytes s = rcsim::iso9796_2_sign(k.rsa_modulus, plain(k.rsa_private_exponent), from_hex(kM2),
                                  rcsim::AaHash::Sha1, true);
  CHECK(verify_active_authentication(key, std::nullopt, from_hex(kM2), s).ok);

  // Not keys, or keys that AA does not take.
  CHECK_THROWS_AS(aa_public_key(from_hex("3000")), DecodeError);
  CHECK_THROWS_AS(aa_public_key(Bytes{}), DecodeError);
  Bytes trailing = k.public_key_info;
  trailing.push_back(0);
  CHECK_THROWS_AS(aa_public_key(trailing), DecodeError);
  lds::Dg15 none;
  none.public_key_info = from_hex("3000");
  AaResult r = verify_active_authentication(none, nullptr, from_hex(kM2), s);
  CHECK_FALSE(r.ok);
  CHECK(contains(r.reason, "the DG15 key cannot be used"));
}

TEST_CASE("Active Authentication on the BSI reference data groups: RSA-1024 in DG15, no AA entry in DG14") {
  auto file = [](const char* name) {
    return read_file(std::string(RCPERSO_TEST_DATA) + "/bsi-2008-sample-lds/" + name);
  };
  lds::Dg15 dg15 = lds::Dg15::decode(file("Datagroup15.bin"));
  AaPublicKey key = aa_public_key(dg15.public_key_info);
  CHECK(key.type == AaKeyType::Rsa);
  CHECK(key.description == "RSA 1024 bit");
  CHECK(key.signature_size == 128);
  CHECK(lds::build_dg15(dg15.public_key_info).encode() == file("Datagroup15.bin"));
  lds::Dg14 dg14 = lds::Dg14::decode(file("Datagroup14.bin"));
  CHECK_FALSE(lds::active_authentication_info(dg14).has_value());
  // No private key comes with the sample: any answer fails, for a reason.
  AaResult r = verify_active_authentication(dg15, &dg14, from_hex(kM2), Bytes(128, 0x5A));
  CHECK_FALSE(r.ok);
  CHECK(contains(r.reason, "signature does not match the DG15 key"));
}

TEST_CASE("Active Authentication chip side (rcsim) refuses what it cannot sign") {
  const AaKeyPair& k = rsa1024();
  Bytes d = plain(k.rsa_private_exponent);
  Bytes challenge = from_hex(kM2);
  CHECK_THROWS_AS(rcsim::rsa_private(k.rsa_modulus, d, k.rsa_modulus), std::invalid_argument);
  CHECK_THROWS_AS(rcsim::rsa_private(k.rsa_modulus, Bytes(128, 0), challenge), std::invalid_argument);
  CHECK_THROWS_AS(rcsim::iso9796_2_sign(k.rsa_modulus, d, challenge, rcsim::AaHash::Sha256, true),
                  std::invalid_argument);
  CHECK_THROWS_AS(
      rcsim::iso9796_2_sign(k.rsa_modulus, d, challenge, rcsim::AaHash::Sha1, true, Bytes(105, 0)),
      std::invalid_argument);
  // A JMRTD-applet-like answer, M1 all zero, still verifies.
  Bytes zeros(106, 0);
  AaResult r = verify_active_authentication(
      aa_public_key(k.public_key_info), std::nullopt, challenge,
      rcsim::iso9796_2_sign(k.rsa_modulus, d, challenge, rcsim::AaHash::Sha1, true, zeros));
  CHECK_MESSAGE(r.ok, r.reason);
  CHECK(r.m1 == zeros);

  AaKeyPair ec = generate_aa_key("ecdsa-brainpoolP256r1-sha256");
  Bytes x = plain(ec.ec_private_key);
  CHECK_THROWS_AS(rcsim::ecdsa_sign_plain("brainpoolP255r1", x, challenge, rcsim::AaHash::Sha256),
                  std::invalid_argument);
  CHECK_THROWS_AS(rcsim::ecdsa_sign_plain("brainpoolP256r1", Bytes(32, 0), challenge, rcsim::AaHash::Sha256),
                  std::invalid_argument);
  CHECK_THROWS_AS(
      rcsim::ecdsa_sign_plain("brainpoolP256r1", Bytes(32, 0xFF), challenge, rcsim::AaHash::Sha256),
      std::invalid_argument);
  CHECK_THROWS_AS(rcsim::ecdsa_plain_to_der(Bytes(63, 1)), std::invalid_argument);
  // Two signatures of the same challenge differ (random k) and both verify.
  Bytes s1 = rcsim::ecdsa_sign_plain("brainpoolP256r1", x, challenge, rcsim::AaHash::Sha256);
  Bytes s2 = rcsim::ecdsa_sign_plain("brainpoolP256r1", x, challenge, rcsim::AaHash::Sha256);
  CHECK(s1 != s2);
  AaPublicKey key = aa_public_key(ec.public_key_info);
  CHECK(verify_active_authentication(key, HashAlgorithm::Sha256, challenge, s1).ok);
  CHECK(verify_active_authentication(key, HashAlgorithm::Sha256, challenge, s2).ok);
}

}  // namespace test_active_auth
