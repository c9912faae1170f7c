// The virtual chip's cryptography, on Crypto++ (not the host's OpenSSL), so
// that host and chip are two implementations that meet on the wire.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rcsim {

using Bytes = std::vector<std::uint8_t>;

Bytes sha1(const Bytes& data);
Bytes pad8(const Bytes& data);
/// Removes ISO 9797-1 method 2 padding; false if malformed.
bool unpad(Bytes& data);
Bytes tdes_cbc(const Bytes& key16, const Bytes& data, bool encrypt);
Bytes retail_mac(const Bytes& key16, const Bytes& data);  // pads internally
/// ICAO KDF for 3DES: SHA-1(seed || counter)[0..16] with DES parity.
Bytes kdf_3des(const Bytes& seed, std::uint32_t counter);
Bytes random_bytes(std::size_t n);
bool equal_constant_time(const Bytes& a, const Bytes& b);

}  // namespace rcsim

namespace rcsim {

Bytes pad_block(const Bytes& data, std::size_t block);
Bytes aes_cbc(const Bytes& key, const Bytes& iv, const Bytes& data, bool encrypt);
Bytes aes_ecb_block(const Bytes& key, const Bytes& block);
/// AES-CMAC (full 16 bytes); the caller pads where the protocol says so.
Bytes aes_cmac(const Bytes& key, const Bytes& data);
/// ICAO KDF for AES keys: SHA-1 (16-byte keys) or SHA-256 (24, 32), truncated.
Bytes kdf_aes(const Bytes& seed, std::uint32_t counter, std::size_t key_bytes);
/// PACE Integrated Mapping's pseudo-random function R(s, t) with AES (9303-11 §4.4.3.3.2), before
/// the reduction mod p: t is the AES key (16, 24 or 32 bytes), s 16 bytes (AES-128) or 32;
/// empty if the lengths do not fit.
Bytes pace_pseudo_random(const Bytes& s, const Bytes& t, std::size_t prime_bits);

/// A PACE group with a replaceable generator: an elliptic curve or a MODP group.
class PaceDomain {
 public:
  virtual ~PaceDomain() = default;
  /// An elliptic curve (IDs 8-18) or MODP 1024/160 (ID 0); throws std::invalid_argument otherwise.
  static std::shared_ptr<PaceDomain> standard(int parameter_id);
  virtual bool elliptic() const = 0;
  virtual Bytes private_key(const std::function<Bytes(std::size_t)>& random) const = 0;
  virtual Bytes public_key(const Bytes& priv) const = 0;
  /// priv * peer (or peer^priv), encoded like a public key; empty if the peer key is not in the group.
  virtual Bytes multiply(const Bytes& priv, const Bytes& peer) const = 0;
  /// The key agreement's secret from multiply(): the x-coordinate, or the whole element.
  virtual Bytes shared_secret(const Bytes& product) const = 0;
  /// G := s * G + H (or g := g^s * h); false if H is not in the group.
  virtual bool map_generic(const Bytes& s, const Bytes& h) = 0;
  /// Bits of the prime p of the field, or of the MODP modulus.
  virtual std::size_t prime_bits() const = 0;
  /// Integrated Mapping from R(s, t): G := f_G(R mod p), the point encoding of 9303-11
  /// Appendix B, or g := (R mod p)^((p-1)/q); false if the result is unusable.
  virtual bool map_integrated(const Bytes& pseudo_random) = 0;
  /// The current (mapped) generator, encoded like a public key.
  virtual Bytes generator() const = 0;
  /// PACE-CAM's Chip Authentication Data CA_IC = SK_IC^-1 * SK_map mod order, on as many bytes
  /// as the order; empty for MODP groups or keys out of range.
  virtual Bytes chip_authentication_data(const Bytes& static_private, const Bytes& map_private) const = 0;
};

/// An elliptic curve of the PACE standardized domain parameters (IDs 8-18)
/// with a replaceable generator, on Crypto++.
class EcCurve : public PaceDomain {
 public:
  explicit EcCurve(int parameter_id);
  ~EcCurve() override;
  EcCurve(const EcCurve&) = delete;
  EcCurve& operator=(const EcCurve&) = delete;

  bool elliptic() const override { return true; }
  std::size_t field_bytes() const;
  /// A private key from `random` (redrawn until it lies in [1, order-1]).
  Bytes private_key(const std::function<Bytes(std::size_t)>& random) const override;
  Bytes public_key(const Bytes& priv) const override;  // priv * G, 04 || x || y
  Bytes multiply(const Bytes& priv, const Bytes& peer) const override;
  Bytes shared_secret(const Bytes& product) const override;
  bool map_generic(const Bytes& s, const Bytes& h) override;
  std::size_t prime_bits() const override;
  bool map_integrated(const Bytes& pseudo_random) override;
  Bytes generator() const override;
  Bytes chip_authentication_data(const Bytes& static_private, const Bytes& map_private) const override;
  /// Whether explicit domain parameters (big-endian; the generator encoded as a point) are this
  /// curve's, with its standard generator.
  bool has_domain(const Bytes& prime, const Bytes& a, const Bytes& b, const Bytes& generator,
                  const Bytes& order) const;
  /// Whether priv, as an integer, lies in [1, order-1].
  bool valid_private_key(const Bytes& priv) const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace rcsim

// Active Authentication (ICAO 9303-11 §6.1), the chip's signatures.
namespace rcsim {

enum class AaHash { Sha1, Sha224, Sha256, Sha384, Sha512 };

/// Raw RSA private operation x^d mod n, as many bytes as n; throws std::invalid_argument when x >= n.
/// Without CRT or blinding: this is a simulator, not a card that must resist side channels.
Bytes rsa_private(const Bytes& modulus, const Bytes& private_exponent, const Bytes& x);

/// ISO/IEC 9796-2 scheme 1 (partial recovery) message representative for a modulus of
/// `modulus_bytes`: F = 6A || M1 || H(M1 || M2) || trailer, the trailer BC (SHA-1 only) when
/// `implicit_trailer`, otherwise the hash's ISO/IEC 10118 identifier and CC. M1 must fill the
/// capacity exactly; throws std::invalid_argument otherwise.
Bytes iso9796_2_representative(std::size_t modulus_bytes, const Bytes& m1, const Bytes& m2, AaHash hash,
                               bool implicit_trailer);
/// Bytes of M1 that fill the capacity.
std::size_t iso9796_2_m1_size(std::size_t modulus_bytes, AaHash hash, bool implicit_trailer);

/// The answer to INTERNAL AUTHENTICATE with an RSA key given as modulus and private exponent
/// (big-endian): F^d mod n with a random M1, or `m1` when given (tests).
Bytes iso9796_2_sign(const Bytes& modulus, const Bytes& private_exponent, const Bytes& challenge, AaHash hash,
                     bool implicit_trailer, const Bytes& m1 = {});

/// ECDSA over `message` on a named curve ("brainpoolP256r1", "secp256r1", "P-256", ...; the
/// curves of the PACE standardized domain parameters) with the private scalar (big-endian), in
/// the plain format r || s (BSI TR-03111). Throws std::invalid_argument for an unknown curve or a
/// scalar outside [1, order - 1].
Bytes ecdsa_sign_plain(const std::string& curve, const Bytes& private_scalar, const Bytes& message,
                       AaHash hash);
/// The public key 04 || x || y of a private scalar on the curve.
Bytes ecdsa_public_point(const std::string& curve, const Bytes& private_scalar);
/// A plain r || s signature as a DER Ecdsa-Sig-Value (some chips answer so).
Bytes ecdsa_plain_to_der(const Bytes& plain);

}  // namespace rcsim
