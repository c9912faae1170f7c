// Active Authentication (ICAO 9303-11 §6.1), host side, transport-agnostic:
// the challenge, the INTERNAL AUTHENTICATE command, and the check of the
// chip's answer against the DG15 public key (OpenSSL).
//
// RSA keys answer with ISO/IEC 9796-2 digital signature scheme 1 (partial
// message recovery): F = 6A || M1 || H(M1 || challenge) || trailer, where the
// trailer BC means SHA-1 and xx CC names the hash (ISO/IEC 10118 identifier
// xx); F may be one byte shorter than the modulus (a leading zero byte).
// ECDSA keys sign the challenge with the hash that DG14's
// ActiveAuthenticationInfo names; chips answer in the plain format r || s
// (BSI TR-03111) and some in DER, so both are accepted.
//
// For preparation: key pair generation, giving the DG15 key and the private
// key in the form a card profile writes (modulus and private exponent, or
// the EC private scalar).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <openssl/evp.h>

#include "core/bytes.hpp"
#include "core/secure_bytes.hpp"
#include "iso7816/apdu.hpp"
#include "lds/active_auth_info.hpp"
#include "lds/security_dg.hpp"
#include "pki/hash.hpp"

namespace rcperso::secure {

enum class AaKeyType { Rsa, Ec };

/// The chip's Active Authentication public key (DG15), decoded and checked.
struct AaPublicKey {
  AaKeyType type = AaKeyType::Rsa;
  std::shared_ptr<EVP_PKEY> key;
  int bits = 0;                      // RSA modulus or EC group order, in bits
  std::string curve;                 // EC: the named curve, also when explicit parameters equal one
  bool explicit_parameters = false;  // EC: the SubjectPublicKeyInfo spells out the domain parameters
  std::string description;           // "RSA 2048 bit", "EC brainpoolP256r1 (256 bit, explicit parameters)"
  /// Bytes of the signature: the modulus' bytes (RSA), 2 × the order's bytes (plain ECDSA).
  std::size_t signature_size = 0;
};

/// Decodes a DER SubjectPublicKeyInfo: RSA (at least 1024 bits, odd exponent), or EC with a named
/// curve or explicit parameters (matched to a named curve where they equal one). Throws
/// DecodeError naming the problem.
AaPublicKey aa_public_key(ByteView subject_public_key_info);

/// The hash an ActiveAuthenticationInfo's signatureAlgorithm names: ecdsa-with-SHA1/224/256/384/512
/// (ANSI X9.62) or ecdsa-plain-SHA* (BSI TR-03111). Throws DecodeError for any other OID.
pki::HashAlgorithm aa_ecdsa_hash(const std::string& signature_algorithm_oid);
/// ecdsa-with-SHA* for a hash, as preparation writes it into DG14.
std::string aa_ecdsa_algorithm_oid(pki::HashAlgorithm hash);

/// RND.IFD: 8 random bytes. Tests pass their own challenge instead.
Bytes aa_challenge();
/// INTERNAL AUTHENTICATE (00 88 00 00) with the challenge as data; Le 00 when the signature fits a
/// short response, otherwise extended with the signature's size.
iso7816::CommandApdu internal_authenticate_command(ByteView challenge, std::size_t signature_size = 256);

/// ISO/IEC 9796-2 scheme 1 sizes for a modulus of `modulus_bits`: the capacity c = k - Lh - 8t - 4
/// and the bits of M1 (whole bytes, c - 4 with the header nibble).
struct Iso9796Capacity {
  int k_bits = 0;
  int hash_bits = 0;     // Lh
  int trailer_bits = 0;  // 8 (BC) or 16 (xx CC)
  int c_bits = 0;
  int m1_bits = 0;
};
/// `implicit_trailer`: the one-byte trailer BC (SHA-1 only). Throws rcperso::Error when the modulus
/// is not a whole number of bytes or leaves no room for M1.
Iso9796Capacity iso9796_2_capacity(int modulus_bits, pki::HashAlgorithm hash, bool implicit_trailer);

enum class AaSignatureFormat { Iso9796_2, EcdsaPlain, EcdsaDer };

struct AaResult {
  bool ok = false;
  std::string reason;  // empty when ok; otherwise what failed, starting "Active Authentication: "
  std::string
      algorithm;  // "RSA 1024 bit, ISO/IEC 9796-2 scheme 1, SHA-1 (trailer BC)", "ECDSA SHA-256, plain r||s"
  std::optional<pki::HashAlgorithm> hash;
  std::optional<AaSignatureFormat> format;
  Bytes recovered;  // RSA: the recovered message representative F (nothing secret in it)
  Bytes m1;         // RSA: its recoverable part M1, the chip's nonce
};

/// Checks the chip's answer to INTERNAL AUTHENTICATE with `challenge` (8 bytes). `ecdsa_hash` is
/// the hash from DG14's ActiveAuthenticationInfo; an EC key without it fails. Never throws for bad
/// answers: every problem is a failed result with its reason.
AaResult verify_active_authentication(const AaPublicKey& key, std::optional<pki::HashAlgorithm> ecdsa_hash,
                                      ByteView challenge, ByteView response);

/// The same from the data groups as read from the chip: the key from DG15 and, for EC keys, the
/// hash from DG14's ActiveAuthenticationInfo (`dg14` may be null for RSA). Problems with the data
/// groups are failed results as well.
AaResult verify_active_authentication(const lds::Dg15& dg15, const lds::Dg14* dg14, ByteView challenge,
                                      ByteView response);

/// The RSA modulus of a key, big-endian, the modulus' size (what PUT DATA 60 loads).
Bytes aa_rsa_modulus(const AaPublicKey& key);

/// An Active Authentication key pair for preparation.
struct AaKeyPair {
  AaKeyType type = AaKeyType::Rsa;
  std::string spec;  // as given, e.g. "rsa-2048", "ecdsa-brainpoolP256r1-sha256"
  pki::HashAlgorithm hash =
      pki::HashAlgorithm::Sha1;  // ECDSA: the hash DG14 names; RSA: the chip signs with it
  Bytes public_key_info;         // DER SubjectPublicKeyInfo for DG15
  /// ECDSA: the DG14 entry naming the hash; RSA: none.
  std::optional<lds::ActiveAuthenticationInfo> info;
  std::string curve;                 // EC: "brainpoolP256r1", "secp256r1", ...
  Bytes rsa_modulus;                 // big-endian, the modulus' size (JMRTD applet PUT DATA 60)
  SecureBytes rsa_private_exponent;  // big-endian, left-padded to the modulus' size (PUT DATA 61)
  SecureBytes ec_private_key;        // big-endian scalar, left-padded to the order's size
};

/// An Active Authentication key spec, parsed and checked (see generate_aa_key for the forms).
struct AaKeySpec {
  AaKeyType type = AaKeyType::Rsa;
  int rsa_bits = 0;
  std::string curve;          // EC: canonical name, "brainpoolP256r1", "secp256r1", ...
  std::string openssl_curve;  // EC: OpenSSL's name of it ("prime256v1" for secp256r1)
  pki::HashAlgorithm hash = pki::HashAlgorithm::Sha1;
};
/// Throws rcperso::Error naming the spec for a malformed one.
AaKeySpec parse_aa_key_spec(const std::string& spec);

/// The public half of a key the chip generated for `spec` (DG15's key and, for ECDSA, DG14's entry):
/// the point must lie on the spec's curve, the RSA modulus have exactly the spec's size. The
/// private fields stay empty. Throws rcperso::Error saying what is wrong with the chip's key.
AaKeyPair aa_key_from_chip_ec(const std::string& spec, ByteView point);
AaKeyPair aa_key_from_chip_rsa(const std::string& spec, ByteView modulus, ByteView public_exponent);

/// Generates a key pair. `spec`: "rsa-<1024|2048|3072|4096>[-sha1|-sha224|-sha256|-sha384|-sha512]"
/// (SHA-1, trailer BC, unless named) or "ecdsa-<curve>-<sha1|sha224|sha256|sha384|sha512>" with a
/// curve brainpoolP224r1/P256r1/P320r1/P384r1/P512r1, secp224r1, secp256r1 (also prime256v1, P-256),
/// secp384r1 (P-384), secp521r1 (P-521). `explicit_ec_parameters` writes the curve's domain
/// parameters into the SubjectPublicKeyInfo instead of its OID. Throws rcperso::Error for a bad spec.
AaKeyPair generate_aa_key(const std::string& spec, bool explicit_ec_parameters = false);

}  // namespace rcperso::secure
