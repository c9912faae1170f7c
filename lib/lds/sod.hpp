// EF.SOD: the LDSSecurityObject (data group hashes) inside a CMS
// SignedData, signed by the Document Signer (ICAO 9303-10 §4.6.2, 9303-12).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"

namespace rcperso::lds {

inline constexpr const char* kOidLdsSecurityObject = "2.23.136.1.1.1";
/// Seen on some documents instead of the ICAO OID; accepted when reading, reported.
inline constexpr const char* kOidLdsSecurityObjectAlternative = "1.3.27.1.1.1";
inline constexpr const char* kOidSignedData = "1.2.840.113549.1.7.2";
inline constexpr const char* kOidContentType = "1.2.840.113549.1.9.3";
inline constexpr const char* kOidMessageDigest = "1.2.840.113549.1.9.4";
inline constexpr const char* kOidSigningTime = "1.2.840.113549.1.9.5";

struct DataGroupHash {
  int number = 0;
  Bytes hash;
};

struct LdsSecurityObject {
  int version = 0;  // 1 when lds_version_info is present
  std::string hash_algorithm_oid;
  bool hash_parameters_null = false;  // NULL parameters written after the OID (some issuers do)
  std::vector<DataGroupHash> hashes;
  std::optional<std::pair<std::string, std::string>> lds_version_info;  // ("0108", "040000")

  Bytes encode() const;
  static LdsSecurityObject decode(ByteView data);
};

struct AlgorithmIdentifier {
  std::string oid;
  Bytes parameters;  // encoded parameters TLV, empty if absent
};

struct SignerInfo {
  int version = 1;
  Bytes issuer;                  // DER Name, for issuerAndSerialNumber
  Bytes serial;                  // INTEGER content bytes
  Bytes subject_key_identifier;  // for the [0] form
  AlgorithmIdentifier digest_algorithm;
  Bytes signed_attributes;   // DER as signed (SET, tag 31); empty if absent
  std::string content_type;  // from the signed attributes
  Bytes message_digest;
  std::optional<long long> signing_time;  // seconds since the epoch (UTC)
  std::string signing_time_text;          // as encoded (UTCTime or GeneralizedTime)
  AlgorithmIdentifier signature_algorithm;
  Bytes signature;
};

struct Sod {
  Bytes encoded;  // the whole EF.SOD, tag 77
  int signed_data_version = 0;
  std::vector<AlgorithmIdentifier> digest_algorithms;
  std::string econtent_type;
  Bytes econtent;
  LdsSecurityObject lso;
  std::vector<Bytes> certificates;  // DER
  SignerInfo signer;

  static Sod decode(ByteView data);
};

/// Parses ASN.1 UTCTime/GeneralizedTime text to seconds since the epoch; nullopt if malformed.
std::optional<long long> parse_asn1_time(const std::string& text, bool generalized);

}  // namespace rcperso::lds
