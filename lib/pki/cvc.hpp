// Card verifiable (CV) certificates of the EAC PKI (BSI TR-03110-3 App. C
// and D): the certificate value type with a strict decoder and a symmetric
// encoder, the Certificate Holder Authorization Template of the eMRTD
// (id-IS), the Terminal Authentication signature algorithms, signing with an
// OpenSSL private key, and validation of a chain CVCA -> DV -> IS.
//
//   7F21 CV Certificate
//     7F4E Certificate Body
//       5F29 Certificate Profile Identifier (0)
//       42   Certification Authority Reference (CAR)
//       7F49 Public Key: 06 OID, then 81..87 (EC) or 81 82 (RSA)
//       5F20 Certificate Holder Reference (CHR)
//       7F4C Certificate Holder Authorization Template: 06 OID, 53 rights
//       5F25 Certificate Effective Date (YYMMDD, unpacked BCD)
//       5F24 Certificate Expiration Date
//       65   Certificate Extensions (optional, kept verbatim)
//     5F37 Signature (ECDSA plain r||s, or the RSA signature block)
//
// Decoding is strict: DER lengths, the fixed element order, no unknown
// elements, minimal unsigned integers, ISO 8859-1 references without control
// characters, real calendar dates. Because of that, encode(decode(b)) == b
// for every accepted b.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "core/bytes.hpp"
#include "core/date.hpp"
#include "core/error.hpp"
#include "core/openssl_ptr.hpp"
#include "core/secure_bytes.hpp"
#include "pki/hash.hpp"
#include "pki/signer.hpp"

namespace rcperso::pki {

// ---------------------------------------------------------------------------
// Terminal Authentication algorithms (TR-03110-3 A.1.1.3, Tables 17 and 18)

enum class TaAlgorithm {
  EcdsaSha1,
  EcdsaSha224,
  EcdsaSha256,
  EcdsaSha384,
  EcdsaSha512,
  RsaV15Sha1,
  RsaV15Sha256,
  RsaV15Sha512,
  RsaPssSha1,
  RsaPssSha256,
  RsaPssSha512,
};

/// id-TA = 0.4.0.127.0.7.2.2.2.
inline constexpr const char* kIdTa = "0.4.0.127.0.7.2.2.2";

/// The dotted OID of an algorithm (id-TA-ECDSA-SHA-256 = 0.4.0.127.0.7.2.2.2.2.3).
std::string ta_oid(TaAlgorithm a);
/// The algorithm an id-TA-* OID names; nullopt for any other OID.
std::optional<TaAlgorithm> ta_algorithm_from_oid(const std::string& oid);
/// "id-TA-ECDSA-SHA-256" and so on.
std::string ta_name(TaAlgorithm a);
bool ta_is_ecdsa(TaAlgorithm a);
HashAlgorithm ta_hash(TaAlgorithm a);
/// Ecdsa, RsaPkcs1v15 or RsaPss.
SignatureScheme ta_scheme(TaAlgorithm a);

// ---------------------------------------------------------------------------
// Certificate Holder Authorization Template

/// The role in the two most significant bits of the relative authorization.
enum class CvRole : std::uint8_t {
  InspectionSystem = 0,  // 00: terminal
  DvForeign = 1,         // 01: DV (non-official / foreign)
  DvDomestic = 2,        // 10: DV (official domestic)
  Cvca = 3,              // 11: CVCA
};
/// "CVCA", "DV (domestic)", "DV (foreign)", "IS".
std::string role_name(CvRole r);

/// Terminal type of the ePassport application: id-IS = 0.4.0.127.0.7.3.1.2.1.
inline constexpr const char* kIdIs = "0.4.0.127.0.7.3.1.2.1";
/// eMRTD access rights (the low bits of the id-IS relative authorization).
inline constexpr std::uint8_t kReadDg3 = 0x01;  // fingerprint
inline constexpr std::uint8_t kReadDg4 = 0x02;  // iris
/// "read DG3 + read DG4", "none".
std::string rights_text(std::uint8_t rights);

struct Chat {
  std::string oid = kIdIs;  // terminal type
  /// The relative authorization (discretionary data 53): one byte for id-IS,
  /// longer for the eID terminal types, which are carried but not interpreted.
  Bytes authorization{0x00};

  CvRole role() const { return static_cast<CvRole>(authorization.at(0) >> 6); }
  /// The access right bits without the role (for id-IS: kReadDg3 | kReadDg4).
  std::uint8_t rights() const { return static_cast<std::uint8_t>(authorization.at(0) & 0x3F); }
  bool allows(std::uint8_t rights_mask) const { return (rights() & rights_mask) == rights_mask; }

  /// An id-IS template; throws rcperso::Error for rights other than DG3/DG4.
  static Chat inspection_system(CvRole role, std::uint8_t rights);
  bool operator==(const Chat&) const = default;
};

// ---------------------------------------------------------------------------
// Public keys (TR-03110-3 D.3.1 and D.3.3)

using EvpPkeyPtr = PkeyPtr;

/// Explicit elliptic curve domain parameters, each an unsigned integer or a
/// point as the certificate encodes it (minimal big-endian; G uncompressed).
struct EcDomainParameters {
  Bytes prime;      // 81 p
  Bytes a;          // 82 a
  Bytes b;          // 83 b
  Bytes generator;  // 84 G
  Bytes order;      // 85 r
  Bytes cofactor;   // 87 f; empty when absent (it is optional)

  /// The parameters of an OpenSSL curve ("brainpoolP256r1", "prime256v1").
  static EcDomainParameters named(const std::string& curve);
  /// The curve's OpenSSL short name if these are a known curve, else "".
  std::string curve_name() const;
  std::size_t field_size() const;  // bytes of p
  std::size_t order_size() const;  // bytes of r
  bool operator==(const EcDomainParameters&) const = default;
};

struct CvPublicKey {
  std::string oid;  // an id-TA-* OID: says the key type and how it signs
  // RSA (81 n, 82 e)
  Bytes modulus;
  Bytes exponent;
  // ECDSA: the domain parameters (CVCA certificates) and the public point 86.
  std::optional<EcDomainParameters> domain;
  Bytes point;  // 04 || x || y

  /// The algorithm of `oid`; throws rcperso::Error if it is no id-TA-* OID.
  TaAlgorithm algorithm() const;
  bool is_ec() const;
  /// An OpenSSL key for verification. EC keys without parameters take
  /// `inherited` (the CVCA's); throws rcperso::Error when none is at hand or
  /// the point is not on the curve.
  EvpPkeyPtr to_evp(const EcDomainParameters* inherited = nullptr) const;
  /// "ECDSA brainpoolP256r1 (256 bit), id-TA-ECDSA-SHA-256", "RSA 2048 bit, ...".
  std::string describe(const EcDomainParameters* inherited = nullptr) const;
  bool operator==(const CvPublicKey&) const = default;
};

// ---------------------------------------------------------------------------
// Private keys

/// A CVCA, DV or terminal private key. It stays inside the OpenSSL object;
/// only to_pem() exports it, into wiped memory.
class CvPrivateKey {
 public:
  explicit CvPrivateKey(EvpPkeyPtr key);
  /// A PEM file (PKCS#8 or traditional); throws rcperso::Error naming the path.
  static CvPrivateKey load_pem(const std::string& path);
  static CvPrivateKey from_pem(const SecureBytes& pem);
  /// A fresh key on a named curve ("brainpoolP256r1").
  static CvPrivateKey generate_ec(const std::string& curve);
  static CvPrivateKey generate_rsa(int bits);

  bool is_ec() const;
  /// PKCS#8 PEM of the private key.
  SecureBytes to_pem() const;
  /// The public half as a certificate public key for algorithm `a`: with the
  /// domain parameters when `with_domain` (CVCA), the point only otherwise.
  CvPublicKey public_key(TaAlgorithm a, bool with_domain) const;
  /// Signature over `message` (hashed here): ECDSA plain r||s, each half as
  /// long as the group order; RSA v1.5 or PSS (salt = hash length, MGF1 with the same hash).
  Bytes sign(TaAlgorithm a, ByteView message) const;
  EVP_PKEY* evp() const { return key_.get(); }

 private:
  EvpPkeyPtr key_;
};

/// Checks a TA signature (plain ECDSA or RSA per the key's OID) over
/// `message` with `key`; EC keys without parameters take `inherited`.
/// False for a wrong signature; throws rcperso::Error for an unusable key.
bool ta_verify_signature(const CvPublicKey& key, const EcDomainParameters* inherited, ByteView message,
                         ByteView signature);

// ---------------------------------------------------------------------------
// The certificate

struct CvCertificate {
  std::uint8_t profile_identifier = 0;
  std::string car;  // Certification Authority Reference (ISO 8859-1, 1..16)
  CvPublicKey public_key;
  std::string chr;  // Certificate Holder Reference
  Chat chat;
  Date effective;
  Date expiration;
  /// Content of 65 (certificate extensions), kept verbatim; nullopt if absent.
  std::optional<Bytes> extensions;
  Bytes signature;

  /// Strict decode of one 7F21 with nothing after it; throws DecodeError.
  static CvCertificate decode(ByteView encoded);
  /// Reads a .cvcert file (binary DER).
  static CvCertificate load(const std::string& path);
  /// 7F4E: the signed part.
  Bytes encode_body() const;
  /// 7F21 { 7F4E, 5F37 }.
  Bytes encode() const;

  CvRole role() const { return chat.role(); }
  bool self_signed() const { return car == chr; }
  /// One of the public TEST ONLY samples (keys-sample/eac): the holder
  /// mnemonic of the CHR contains "TEST". Production tools should refuse these.
  bool is_test_only() const;
  /// Signs the body with the issuer's key, using the algorithm of
  /// `issuer_algorithm` (the issuer certificate's public key OID; for a
  /// self-signed CVCA its own). Sets `signature`.
  void sign(const CvPrivateKey& issuer_key, TaAlgorithm issuer_algorithm);
  /// Whether `signature` is valid under the issuer's public key (EC keys
  /// without parameters take `inherited`).
  bool verify(const CvPublicKey& issuer_key, const EcDomainParameters* inherited = nullptr) const;
  /// Several lines for people: CHR, CAR, role, rights, dates, key.
  std::string describe() const;
  bool operator==(const CvCertificate&) const = default;
};

/// Role word and CHR for messages: "IS certificate DKTESTIS00001".
std::string cv_label(const CvCertificate& c);

/// EF.CVCA (TR-03110-3 A.7.2.4, FID 011C, SFI 1C): the references of the
/// chip's one or two trust points as CAR data objects (42), most recent
/// first, padded with 00 to 36 bytes.
Bytes encode_ef_cvca(const std::vector<std::string>& cars);
/// Strict: 1 or 2 CARs, then only 00 bytes, 36 bytes at most.
std::vector<std::string> decode_ef_cvca(ByteView data);

// ---------------------------------------------------------------------------
// Chain validation (TR-03110-3 §2.5 and §2.7)

enum class CvFailure {
  Malformed,          // inconsistent certificate (dates, missing parameters)
  WrongIssuer,        // CAR does not name the previous certificate / trust point
  RoleOrder,          // roles not CVCA [link...] -> DV -> IS
  BadSignature,       // signature does not verify
  Expired,            // expiration date before the current date
  NotYetEffective,    // (host mode) effective date after the current date
  TerminalType,       // CHAT OIDs differ along the chain
  AlgorithmMismatch,  // key OIDs differ along the chain
  MissingRights,      // effective authorization lacks a required right
};
std::string failure_name(CvFailure f);

class CvValidationError : public Error {
 public:
  CvValidationError(CvFailure failure, const std::string& message) : Error(message), failure_(failure) {}
  CvFailure failure() const { return failure_; }

 private:
  CvFailure failure_;
};

enum class CvDateMode {
  /// An inspection system's view: every certificate (trust point included)
  /// must be effective and not expired at `current_date`.
  Host,
  /// The chip's view (§2.5): no effective-date check; expired CVCA link
  /// certificates are accepted; the current date advances to the effective
  /// date of link, DV and domestic-DV-issued terminal certificates.
  Chip,
};

struct CvValidationOptions {
  Date current_date;
  CvDateMode mode = CvDateMode::Host;
  /// Rights the effective authorization must grant (kReadDg3 ...), else MissingRights.
  std::uint8_t required_rights = 0;
};

struct CvChainResult {
  /// The CVCA whose key verified the DV certificate (a link certificate's holder, or the trust point).
  std::string cvca_chr;
  /// The CVCA link certificates accepted on the way (points into the chain):
  /// the chip imports each as a new trust point (§2.5, A.7.2.1).
  std::vector<const CvCertificate*> new_trust_points;
  const CvCertificate* terminal = nullptr;  // the last certificate (points into the chain)
  CvRole role = CvRole::InspectionSystem;   // effective role of the terminal
  /// Bitwise AND of the relative authorizations along the chain (role bits removed).
  std::uint8_t effective_rights = 0;
  /// The terminal's public key with the CVCA's domain parameters filled in.
  CvPublicKey terminal_key;
  /// The domain parameters the chain inherits (EC only).
  std::optional<EcDomainParameters> domain;
  /// The current date after validation (Chip mode may advance it).
  Date current_date;
};

/// Validates `chain` (optional CVCA link certificates, then one DV, then one
/// terminal certificate) against the CVCA certificate `trust_point`. The
/// result points into `chain`, which must outlive it.
/// Throws CvValidationError naming the certificate and the problem, e.g.
/// "IS certificate DKTESTIS00002 expired 2026-11-15 (current date 2027-03-01)".
CvChainResult validate_cv_chain(const CvCertificate& trust_point, std::span<const CvCertificate> chain,
                                const CvValidationOptions& options);

}  // namespace rcperso::pki
