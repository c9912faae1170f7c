// Chip Authentication v1 (ICAO 9303-11 §6.2, BSI TR-03110-1 §3.4), host
// side, and the chip key pairs that preparation makes for it. The chip proves
// it holds the private key of DG14's public key: terminal and chip agree on
// new secure messaging keys by ECDH with that static key, and only a genuine
// chip can answer under them. Transport-agnostic; ECDH on prime curves
// (explicit domain parameters, as TR-03110-3 A.2.1.2 wants for CA v1) and DH
// in prime-order MODP groups (dhpublicnumber keys with p, g, q; the RFC 5114
// groups of parameter IDs 0-2 when preparation makes them).
#pragma once

#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "core/secure_bytes.hpp"
#include "secure/secure_messaging.hpp"

namespace rcperso::secure {

struct ChipAuthProtocol {
  std::string oid;  // id-CA-ECDH-* or id-CA-DH-*, dotted
  bool ecdh = true;
  SmCipher cipher = SmCipher::Aes;
  int key_bits = 128;  // 112 for 3DES
};

/// The protocol an id-CA-ECDH-* or id-CA-DH-* OID names; throws rcperso::Error for others.
ChipAuthProtocol chip_authentication_protocol(const std::string& oid);

/// A chip key pair: the DER SubjectPublicKeyInfo for DG14 (id-ecPublicKey
/// with explicit parameters, or dhpublicnumber with p, g, q) and the private
/// scalar or exponent for the card.
struct ChipKeyPair {
  Bytes subject_public_key_info;
  SecureBytes private_key;  // big-endian, the size of the group order (q for DH)
};

/// True for the named prime curves chip keys can be made on.
bool is_supported_chip_curve(const std::string& curve_name);
/// A fresh EC key pair on a named prime curve ("brainpoolP256r1", "prime256v1", ...).
ChipKeyPair generate_chip_ec_key(const std::string& curve_name);

/// The explicit domain parameters of an EC SubjectPublicKeyInfo, big-endian,
/// as cards take them (the JMRTD-style tags 81-87).
struct EcDomain {
  Bytes prime, a, b, generator, order, cofactor;  // generator uncompressed: 04 || x || y
  std::size_t field_bytes = 0;
};
EcDomain ec_domain_of(ByteView subject_public_key_info);
/// The public point, uncompressed.
Bytes ec_public_point(ByteView subject_public_key_info);
/// "brainpoolP256r1 (256 bit)", or "explicit 256-bit prime curve" when it matches no named curve.
std::string describe_ec_key(ByteView subject_public_key_info);

/// True for the standardized parameter IDs of MODP groups chip DH keys can be made in (0, 1, 2).
bool is_supported_chip_dh_group(int parameter_id);
/// A fresh DH key pair in the RFC 5114 group of standardized parameter ID 0, 1 or 2.
ChipKeyPair generate_chip_dh_key(int parameter_id);
/// True for a DH SubjectPublicKeyInfo (dhpublicnumber, or PKCS #3 dhKeyAgreement as older
/// chips carry), false for an EC one; throws rcperso::Error for anything else.
bool is_dh_chip_key(ByteView subject_public_key_info);

/// The domain parameters of a DH SubjectPublicKeyInfo, big-endian, as cards take them.
struct DhDomain {
  Bytes prime, generator, order;  // generator padded to the prime's length; order empty without q
};
DhDomain dh_domain_of(ByteView subject_public_key_info);
/// The public value y, padded to the length of p.
Bytes dh_public_value(ByteView subject_public_key_info);
/// "MODP 2048/224 (RFC 5114, parameter ID 1)", or "2048-bit MODP group" for other parameters.
std::string describe_dh_key(ByteView subject_public_key_info);
/// describe_ec_key or describe_dh_key, whichever the key is.
std::string describe_chip_key(ByteView subject_public_key_info);

/// The explicit domain parameters of a named prime curve, as GENERATE ASYMMETRIC KEY PAIR sends them.
EcDomain ec_domain_of_curve(const std::string& curve_name);
/// The SubjectPublicKeyInfo of a public point a chip generated on a named prime curve: with the
/// curve's explicit parameters (DG14, CA v1) or its OID. Throws rcperso::Error unless `point` is an
/// uncompressed point of the curve other than the identity.
Bytes ec_public_key_info(const std::string& curve_name, ByteView point, bool explicit_parameters);
/// True when priv · G (or g^priv) is the public key: checked before a key goes onto a card.
bool chip_key_matches(ByteView subject_public_key_info, const SecureBytes& private_key);

/// The terminal's side of one Chip Authentication: an ephemeral key pair on
/// the chip's domain parameters and the session keys it yields.
class ChipAuthentication {
 public:
  /// Throws rcperso::Error for a public key that is not a valid key of the protocol's family
  /// (for DH: y in [2, p-2], and of order q when the parameters give q).
  ChipAuthentication(ChipAuthProtocol protocol, ByteView chip_subject_public_key_info);
  ~ChipAuthentication();
  ChipAuthentication(const ChipAuthentication&) = delete;
  ChipAuthentication& operator=(const ChipAuthentication&) = delete;

  const ChipAuthProtocol& protocol() const { return protocol_; }
  /// The terminal's ephemeral public key (sent in 91 or 80): uncompressed, or y padded to p's length.
  const Bytes& terminal_public_key() const { return terminal_public_; }
  /// Comp(PK), which Terminal Authentication signs: the x-coordinate, or SHA-1(y) for DH.
  Bytes compressed_terminal_public_key() const;
  /// KS_enc, KS_mac = KDF(K, 1/2) with K the ECDH x-coordinate or the DH value padded to
  /// the length of p (9303-11 §9.7.1 / TR-03110-3 A.2.1.1); SSC zero.
  SessionKeys session_keys() const;

 private:
  struct Keys;
  void start_dh(ByteView chip_subject_public_key_info);
  ChipAuthProtocol protocol_;
  std::unique_ptr<Keys> keys_;
  Bytes terminal_public_;
};

}  // namespace rcperso::secure
