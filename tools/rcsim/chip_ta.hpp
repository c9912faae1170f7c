// The chip's side of Terminal Authentication v1 (BSI TR-03110-1 §3.5,
// TR-03110-3 App. C and D) on Crypto++: a strict, bounded parser of the CV
// certificates a terminal sends, ECDSA verification of their plain r || s
// signatures with the trust point's explicit domain parameters, RSA (PKCS #1
// v1.5 and PSS) signatures of RSA chains, and the chip's notion of the
// current date. Independent of the host library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rcsim/chip_crypto.hpp"

namespace rcsim {

/// Explicit prime-curve domain parameters as a CVCA certificate carries them (81-85, 87).
struct CvDomain {
  Bytes prime, a, b, generator, order, cofactor;  // generator uncompressed; cofactor may be empty
  bool operator==(const CvDomain&) const = default;
};

/// The roles in the two high bits of the relative authorization.
enum class CvRole : std::uint8_t { Terminal = 0, DvForeign = 1, DvDomestic = 2, Cvca = 3 };

/// The eMRTD access rights in the low bits of id-IS's relative authorization.
inline constexpr std::uint8_t kRightReadDg3 = 0x01;
inline constexpr std::uint8_t kRightReadDg4 = 0x02;

struct CvCert {
  Bytes body;  // the signed part: the whole 7F4E data object
  Bytes car, chr;
  Bytes key_oid;                      // id-TA-ECDSA-SHA-* or id-TA-RSA-*, DER content
  std::optional<CvDomain> domain;     // ECDSA: 81-85 [87], when present
  Bytes point;                        // ECDSA: 86, uncompressed
  Bytes modulus, exponent;            // RSA: 81 n, 82 e
  std::uint8_t authorization = 0;     // the one byte of id-IS's discretionary data 53
  int effective = 0, expiration = 0;  // YYYYMMDD
  Bytes signature;                    // 5F37; empty when only a body was parsed

  CvRole role() const { return static_cast<CvRole>(authorization >> 6); }
  std::uint8_t rights() const { return static_cast<std::uint8_t>(authorization & 0x3F); }
};

/// A whole CV certificate 7F21 { 7F4E body, 5F37 signature } with nothing after it.
std::optional<CvCert> parse_cv_certificate(const Bytes& data);
/// PSO:Verify Certificate data: 7F4E body || 5F37 signature, nothing else.
std::optional<CvCert> parse_cv_body_and_signature(const Bytes& data);
/// A certificate body 7F4E alone (no signature), nothing after it.
std::optional<CvCert> parse_cv_body(const Bytes& data);

/// The hash of an id-TA-ECDSA-SHA-* OID (DER content); nullopt for any other.
std::optional<AaHash> ta_ecdsa_hash(const Bytes& oid);

/// A Terminal Authentication signature algorithm (TR-03110-3 A.1.1.3, Tables 17 and 18).
enum class TaScheme { Ecdsa, RsaV15, RsaPss };
struct TaAlgorithm {
  TaScheme scheme = TaScheme::Ecdsa;
  AaHash hash = AaHash::Sha256;
};
/// id-TA-ECDSA-SHA-{1,224,256,384,512} (0.4.0.127.0.7.2.2.2.2.1-5), id-TA-RSA-v1-5-SHA-{1,256,512}
/// (...2.2.1.1, .2, .5) and id-TA-RSA-PSS-SHA-{1,256,512} (...2.2.1.3, .4, .6); nullopt for others.
std::optional<TaAlgorithm> ta_algorithm(const Bytes& oid);
inline bool ta_is_rsa(const Bytes& oid) {
  auto a = ta_algorithm(oid);
  return a && a->scheme != TaScheme::Ecdsa;
}

/// An RSA signature with n, e (big-endian) under the scheme of `algorithm`: PKCS #1 v1.5, or PSS
/// with MGF1 of the same hash and a salt as long as the hash. False for a wrong signature or key.
bool cv_verify_rsa(const Bytes& modulus, const Bytes& exponent, TaAlgorithm algorithm, const Bytes& message,
                   const Bytes& signature);
/// A TA signature with the key of a certificate or trust point: ECDSA (point, with `domain`) or RSA
/// (modulus, exponent), as `oid` says. False when it does not verify or the key does not fit `oid`.
bool cv_verify(const Bytes& oid, const CvDomain* domain, const Bytes& point, const Bytes& modulus,
               const Bytes& exponent, const Bytes& message, const Bytes& signature);
/// id-IS, the eMRTD terminal type, as DER content.
const Bytes& cv_id_is();

/// A prime curve with the generator of the given order on it.
bool valid_cv_domain(const CvDomain& domain);
/// Whether `point` is an uncompressed point on the curve (not the identity).
bool valid_cv_point(const CvDomain& domain, const Bytes& point);
/// ECDSA verification of a plain r || s signature (each half as long as the order).
bool cv_verify_plain(const CvDomain& domain, const Bytes& point, AaHash hash, const Bytes& message,
                     const Bytes& signature);

/// "YYYY-MM-DD" as YYYYMMDD; nullopt unless it is a real calendar date.
std::optional<int> parse_iso_date(const std::string& text);
/// YYYYMMDD as "YYYY-MM-DD".
std::string format_date(int date);
/// Today in UTC as YYYYMMDD.
int system_date();

}  // namespace rcsim
