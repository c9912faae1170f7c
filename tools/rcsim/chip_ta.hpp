// The chip's side of Terminal Authentication v1 (BSI TR-03110-1 §3.5,
// TR-03110-3 App. C and D) on Crypto++: a strict, bounded parser of the CV
// certificates a terminal sends, ECDSA verification of their plain r || s
// signatures with the trust point's explicit domain parameters, and the
// chip's notion of the current date. Independent of the host library.
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
  Bytes key_oid;                      // id-TA-ECDSA-SHA-*, DER content
  std::optional<CvDomain> domain;     // 81-85 [87], when present
  Bytes point;                        // 86, uncompressed
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
