#include "rcsim/chip_ta.hpp"
#include "rcsim/chip_integer.hpp"

#include <cryptopp/eccrypto.h>
#include <cryptopp/ecp.h>
#include <cryptopp/integer.h>
#include <cryptopp/nbtheory.h>
#include <cryptopp/pssr.h>
#include <cryptopp/rsa.h>
#include <cryptopp/sha.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace rcsim {

namespace {

/// A strict DER reader over one buffer: 1- or 2-byte tags, minimal definite
/// lengths of at most 0xFFFF, never past the end.
class Reader {
 public:
  Reader(const Bytes& data, std::size_t begin, std::size_t end) : data_(data), pos_(begin), end_(end) {}
  explicit Reader(const Bytes& data) : Reader(data, 0, data.size()) {}

  bool at_end() const { return pos_ == end_; }
  /// The next element, if its tag is `want`; its value is [begin, end) of the buffer.
  bool next(std::uint32_t want, std::size_t& begin, std::size_t& end) {
    std::size_t p = pos_;
    if (p >= end_) return false;
    std::uint32_t tag = data_[p++];
    if ((tag & 0x1F) == 0x1F) {
      if (p >= end_ || (data_[p] & 0x80) != 0 || data_[p] < 0x1F) return false;
      tag = (tag << 8) | data_[p++];
    }
    if (tag != want || p >= end_) return false;
    std::size_t len = data_[p++];
    if (len == 0x81) {
      if (p >= end_ || data_[p] < 0x80) return false;
      len = data_[p++];
    } else if (len == 0x82) {
      if (end_ - p < 2 || data_[p] == 0) return false;
      len = (static_cast<std::size_t>(data_[p]) << 8) | data_[p + 1];
      p += 2;
    } else if (len >= 0x80) {
      return false;
    }
    if (len > end_ - p) return false;
    begin = p;
    end = p + len;
    pos_ = end;
    return true;
  }
  /// The next element's value, copied; false if absent or not within [min, max] bytes.
  bool value(std::uint32_t want, Bytes& out, std::size_t min, std::size_t max) {
    std::size_t b = 0, e = 0;
    std::size_t saved = pos_;
    if (!next(want, b, e) || e - b < min || e - b > max) {
      pos_ = saved;
      return false;
    }
    out.assign(data_.begin() + static_cast<std::ptrdiff_t>(b),
               data_.begin() + static_cast<std::ptrdiff_t>(e));
    return true;
  }
  /// Whether the next element has tag `tag` (without consuming it).
  bool peek(std::uint32_t tag) const {
    if (pos_ >= end_) return false;
    std::uint32_t t = data_[pos_];
    if ((t & 0x1F) == 0x1F && pos_ + 1 < end_) t = (t << 8) | data_[pos_ + 1];
    return t == tag;
  }

 private:
  const Bytes& data_;
  std::size_t pos_, end_;
};

int days_in_month(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::optional<int> make_date(int year, int month, int day) {
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  return year * 10000 + month * 100 + day;
}

/// YYMMDD, one digit per byte (unpacked BCD), in the years 2000-2099.
std::optional<int> cv_date(const Bytes& v) {
  if (v.size() != 6) return std::nullopt;
  for (auto d : v)
    if (d > 9) return std::nullopt;
  return make_date(2000 + v[0] * 10 + v[1], v[2] * 10 + v[3], v[4] * 10 + v[5]);
}

/// ISO 8859-1 references without control characters, 1 to 16 bytes.
bool valid_reference(const Bytes& r) {
  if (r.empty() || r.size() > 16) return false;
  for (auto c : r)
    if (c < 0x20 || (c >= 0x7F && c < 0xA0)) return false;
  return true;
}

// id-TA-ECDSA-SHA-{1,224,256,384,512}: 0.4.0.127.0.7.2.2.2.2.{1..5}
const Bytes kTaEcdsa = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02};

// RSA keys from 1024 to 4096 bits; the exponent odd and shorter than the modulus.
constexpr std::size_t kMinRsaModulus = 128, kMaxRsaModulus = 512;

bool parse_public_key(const Bytes& data, std::size_t begin, std::size_t end, CvCert& cert) {
  Reader r(data, begin, end);
  if (!r.value(0x06, cert.key_oid, 1, 32) || !ta_algorithm(cert.key_oid)) return false;
  if (ta_is_rsa(cert.key_oid)) {
    if (!r.value(0x81, cert.modulus, kMinRsaModulus, kMaxRsaModulus) || cert.modulus[0] == 0 ||
        (cert.modulus.back() & 1) == 0 || !r.value(0x82, cert.exponent, 1, 8) || cert.exponent[0] == 0 ||
        (cert.exponent.back() & 1) == 0)
      return false;
    return r.at_end();
  }
  if (r.peek(0x81)) {
    CvDomain d;
    if (!r.value(0x81, d.prime, 1, 66) || !r.value(0x82, d.a, 1, 66) || !r.value(0x83, d.b, 1, 66) ||
        !r.value(0x84, d.generator, 3, 133) || !r.value(0x85, d.order, 1, 66))
      return false;
    if (!r.value(0x86, cert.point, 3, 133)) return false;
    if (r.peek(0x87) && !r.value(0x87, d.cofactor, 1, 8)) return false;
    cert.domain = std::move(d);
  } else if (!r.value(0x86, cert.point, 3, 133)) {
    return false;
  }
  return r.at_end();
}

bool parse_body_at(const Bytes& data, std::size_t begin, std::size_t end, CvCert& cert) {
  Reader r(data, begin, end);
  Bytes profile, chat_oid, authorization, effective, expiration, extensions;
  std::size_t kb = 0, ke = 0, cb = 0, ce = 0;
  if (!r.value(0x5F29, profile, 1, 1) || profile[0] != 0x00) return false;
  if (!r.value(0x42, cert.car, 1, 16) || !valid_reference(cert.car)) return false;
  if (!r.next(0x7F49, kb, ke) || !parse_public_key(data, kb, ke, cert)) return false;
  if (!r.value(0x5F20, cert.chr, 1, 16) || !valid_reference(cert.chr)) return false;
  if (!r.next(0x7F4C, cb, ce)) return false;
  Reader chat(data, cb, ce);
  // Only the eMRTD terminal type (id-IS) with its one-byte relative authorization.
  if (!chat.value(0x06, chat_oid, 1, 32) || chat_oid != cv_id_is() ||
      !chat.value(0x53, authorization, 1, 1) || !chat.at_end())
    return false;
  cert.authorization = authorization[0];
  if (!r.value(0x5F25, effective, 6, 6) || !r.value(0x5F24, expiration, 6, 6)) return false;
  auto from = cv_date(effective), to = cv_date(expiration);
  if (!from || !to || *to < *from) return false;
  cert.effective = *from;
  cert.expiration = *to;
  if (r.peek(0x65) && !r.value(0x65, extensions, 0, 0xFFFF)) return false;
  return r.at_end();
}

/// 7F4E at the start of [begin, end), and optionally 5F37 after it; nothing else.
std::optional<CvCert> parse_parts(const Bytes& data, std::size_t begin, std::size_t end, bool signature) {
  Reader r(data, begin, end);
  std::size_t bb = 0, be = 0;
  std::size_t start = begin;
  if (!r.next(0x7F4E, bb, be)) return std::nullopt;
  CvCert cert;
  cert.body.assign(data.begin() + static_cast<std::ptrdiff_t>(start),
                   data.begin() + static_cast<std::ptrdiff_t>(be));
  if (!parse_body_at(data, bb, be, cert)) return std::nullopt;
  if (signature && !r.value(0x5F37, cert.signature, 2, kMaxRsaModulus)) return std::nullopt;
  if (!r.at_end()) return std::nullopt;
  return cert;
}

bool group_of(const CvDomain& d, CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP>& params) {
  CryptoPP::Integer p = integer(d.prime), n = integer(d.order);
  if (p < 5 || !CryptoPP::IsPrime(p) || n < 2 || integer(d.a) >= p || integer(d.b) >= p) return false;
  CryptoPP::ECP curve(p, integer(d.a), integer(d.b));
  CryptoPP::ECP::Point g;
  if (d.generator.size() != 1 + 2 * p.ByteCount() || d.generator[0] != 0x04 ||
      !curve.DecodePoint(g, d.generator.data(), d.generator.size()) || !curve.VerifyPoint(g) || g.identity)
    return false;
  if (!curve.ScalarMultiply(g, n).identity) return false;
  CryptoPP::Integer h = d.cofactor.empty() ? CryptoPP::Integer::One() : integer(d.cofactor);
  if (h.IsZero()) return false;
  params.Initialize(curve, g, n, h);
  return true;
}

template <class H>
bool verify_with(const CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP>& params, const CryptoPP::ECP::Point& q,
                 const Bytes& message, const Bytes& signature) {
  typename CryptoPP::ECDSA<CryptoPP::ECP, H>::PublicKey key;
  key.Initialize(params, q);
  typename CryptoPP::ECDSA<CryptoPP::ECP, H>::Verifier verifier(key);
  if (signature.size() != verifier.SignatureLength()) return false;
  return verifier.VerifyMessage(message.data(), message.size(), signature.data(), signature.size());
}

}  // namespace

const Bytes& cv_id_is() {
  static const Bytes kIdIs = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x02, 0x01};
  return kIdIs;
}

std::optional<AaHash> ta_ecdsa_hash(const Bytes& oid) {
  if (oid.size() != kTaEcdsa.size() + 1 || !std::equal(kTaEcdsa.begin(), kTaEcdsa.end(), oid.begin()))
    return std::nullopt;
  switch (oid.back()) {
    case 1:
      return AaHash::Sha1;
    case 2:
      return AaHash::Sha224;
    case 3:
      return AaHash::Sha256;
    case 4:
      return AaHash::Sha384;
    case 5:
      return AaHash::Sha512;
    default:
      return std::nullopt;
  }
}

std::optional<TaAlgorithm> ta_algorithm(const Bytes& oid) {
  if (auto hash = ta_ecdsa_hash(oid)) return TaAlgorithm{TaScheme::Ecdsa, *hash};
  // id-TA-RSA: 0.4.0.127.0.7.2.2.2.1
  static const Bytes kTaRsa = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x01};
  if (oid.size() != kTaRsa.size() + 1 || !std::equal(kTaRsa.begin(), kTaRsa.end(), oid.begin()))
    return std::nullopt;
  switch (oid.back()) {
    case 1:
      return TaAlgorithm{TaScheme::RsaV15, AaHash::Sha1};
    case 2:
      return TaAlgorithm{TaScheme::RsaV15, AaHash::Sha256};
    case 3:
      return TaAlgorithm{TaScheme::RsaPss, AaHash::Sha1};
    case 4:
      return TaAlgorithm{TaScheme::RsaPss, AaHash::Sha256};
    case 5:
      return TaAlgorithm{TaScheme::RsaV15, AaHash::Sha512};
    case 6:
      return TaAlgorithm{TaScheme::RsaPss, AaHash::Sha512};
    default:
      return std::nullopt;
  }
}

namespace {

template <class Scheme, class H>
bool rsa_verify(const CryptoPP::RSA::PublicKey& key, const Bytes& message, const Bytes& signature) {
  typename CryptoPP::RSASS<Scheme, H>::Verifier verifier(key);
  if (signature.size() != verifier.SignatureLength()) return false;
  return verifier.VerifyMessage(message.data(), message.size(), signature.data(), signature.size());
}

}  // namespace

bool cv_verify_rsa(const Bytes& modulus, const Bytes& exponent, TaAlgorithm algorithm, const Bytes& message,
                   const Bytes& signature) {
  if (modulus.size() < kMinRsaModulus || modulus.size() > kMaxRsaModulus || exponent.empty()) return false;
  CryptoPP::RSA::PublicKey key;
  CryptoPP::Integer n = integer(modulus), e = integer(exponent);
  if (n.IsEven() || e.IsEven() || e < 3 || e >= n) return false;
  key.Initialize(n, e);
  const bool pss = algorithm.scheme == TaScheme::RsaPss;
  switch (algorithm.hash) {
    case AaHash::Sha1:
      return pss ? rsa_verify<CryptoPP::PSS, CryptoPP::SHA1>(key, message, signature)
                 : rsa_verify<CryptoPP::PKCS1v15, CryptoPP::SHA1>(key, message, signature);
    case AaHash::Sha256:
      return pss ? rsa_verify<CryptoPP::PSS, CryptoPP::SHA256>(key, message, signature)
                 : rsa_verify<CryptoPP::PKCS1v15, CryptoPP::SHA256>(key, message, signature);
    case AaHash::Sha512:
      return pss ? rsa_verify<CryptoPP::PSS, CryptoPP::SHA512>(key, message, signature)
                 : rsa_verify<CryptoPP::PKCS1v15, CryptoPP::SHA512>(key, message, signature);
    default:
      return false;  // no id-TA-RSA with SHA-224 or SHA-384
  }
}

bool cv_verify(const Bytes& oid, const CvDomain* domain, const Bytes& point, const Bytes& modulus,
               const Bytes& exponent, const Bytes& message, const Bytes& signature) {
  auto algorithm = ta_algorithm(oid);
  if (!algorithm) return false;
  if (algorithm->scheme != TaScheme::Ecdsa)
    return cv_verify_rsa(modulus, exponent, *algorithm, message, signature);
  return domain != nullptr && cv_verify_plain(*domain, point, algorithm->hash, message, signature);
}

std::optional<CvCert> parse_cv_certificate(const Bytes& data) {
  Reader r(data);
  std::size_t b = 0, e = 0;
  if (!r.next(0x7F21, b, e) || !r.at_end()) return std::nullopt;
  return parse_parts(data, b, e, true);
}

std::optional<CvCert> parse_cv_body_and_signature(const Bytes& data) {
  return parse_parts(data, 0, data.size(), true);
}

std::optional<CvCert> parse_cv_body(const Bytes& data) { return parse_parts(data, 0, data.size(), false); }

bool valid_cv_domain(const CvDomain& domain) {
  CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> params;
  return group_of(domain, params);
}

bool valid_cv_point(const CvDomain& domain, const Bytes& point) {
  CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> params;
  if (!group_of(domain, params)) return false;
  const auto& curve = params.GetCurve();
  CryptoPP::ECP::Point q;
  return point.size() == 1 + 2 * integer(domain.prime).ByteCount() && point[0] == 0x04 &&
         curve.DecodePoint(q, point.data(), point.size()) && curve.VerifyPoint(q) && !q.identity;
}

bool cv_verify_plain(const CvDomain& domain, const Bytes& point, AaHash hash, const Bytes& message,
                     const Bytes& signature) {
  CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> params;
  if (!group_of(domain, params)) return false;
  CryptoPP::ECP::Point q;
  const auto& curve = params.GetCurve();
  if (point.size() != 1 + 2 * integer(domain.prime).ByteCount() || point[0] != 0x04 ||
      !curve.DecodePoint(q, point.data(), point.size()) || !curve.VerifyPoint(q) || q.identity)
    return false;
  switch (hash) {
    case AaHash::Sha1:
      return verify_with<CryptoPP::SHA1>(params, q, message, signature);
    case AaHash::Sha224:
      return verify_with<CryptoPP::SHA224>(params, q, message, signature);
    case AaHash::Sha256:
      return verify_with<CryptoPP::SHA256>(params, q, message, signature);
    case AaHash::Sha384:
      return verify_with<CryptoPP::SHA384>(params, q, message, signature);
    case AaHash::Sha512:
      return verify_with<CryptoPP::SHA512>(params, q, message, signature);
  }
  return false;
}

std::optional<int> parse_iso_date(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (std::size_t k = 0; k < lengths[i]; ++k) {
      char c = text[starts[i] + k];
      if (c < '0' || c > '9') return std::nullopt;
      parts[i] = parts[i] * 10 + (c - '0');
    }
  }
  return make_date(parts[0], parts[1], parts[2]);
}

std::string format_date(int date) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", date / 10000, date / 100 % 100, date % 100);
  return text;
}

int system_date() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  return (utc.tm_year + 1900) * 10000 + (utc.tm_mon + 1) * 100 + utc.tm_mday;
}

}  // namespace rcsim
