// PACE (ICAO 9303-11 §4.4, BSI TR-03110-3), host side: the protocol OIDs,
// the password key K_pi, the standardized domain parameters, and the
// terminal's computation for Generic Mapping (ECDH, DH), Integrated Mapping
// (ECDH, DH) and Chip Authentication Mapping (ECDH). Transport-agnostic:
// the caller sends MSE:Set AT and the four GENERAL AUTHENTICATE commands.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/secure_bytes.hpp"
#include "secure/secure_messaging.hpp"

namespace rcperso::secure {

enum class PaceMapping { Generic, Integrated, ChipAuthentication };
enum class PacePassword : std::uint8_t { Mrz = 1, Can = 2 };

struct PaceProtocol {
  std::string oid;  // dotted, e.g. 0.4.0.127.0.7.2.2.4.2.2
  PaceMapping mapping = PaceMapping::Generic;
  bool ecdh = true;
  SmCipher cipher = SmCipher::Aes;
  int key_bits = 128;  // 112 for 3DES
};

/// The protocol an id-PACE-* OID names; throws rcperso::Error for others.
PaceProtocol pace_protocol(const std::string& oid);

/// "brainpoolP256r1", "MODP 2048/224" ... for a standardized domain parameter ID.
std::string pace_parameter_name(int parameter_id);
/// Whether the standardized parameter ID is the named curve ("brainpoolP256r1", "prime256v1",
/// "P-256" ...): PACE-CAM needs the chip's static key on the PACE curve.
bool pace_parameter_is_curve(int parameter_id, const std::string& curve_name);

/// OpenSSL's name ("dh_2048_224") of the RFC 5114 MODP group with standardized parameter
/// ID 0, 1 or 2; throws rcperso::Error for other IDs. PACE and Chip Authentication keys
/// both take their p, q, g from it, so the constants live in one place (OpenSSL).
const char* modp_group_name(int parameter_id);

/// K_pi = KDF_pi(password): from SHA-1(MRZ_information) for the MRZ, the
/// CAN's digits as they are otherwise.
SecureBytes pace_password_key(std::string_view password, PacePassword type, const PaceProtocol& protocol);

/// The group PACE computes in, with a replaceable generator (for the
/// mapping): an elliptic curve (standardized parameter IDs 8-18 of 9303-11
/// Table 6) or a prime-order MODP group (IDs 0-2, RFC 5114).
class PaceGroup {
 public:
  virtual ~PaceGroup() = default;
  static std::unique_ptr<PaceGroup> standard(int parameter_id);

  virtual bool elliptic() const = 0;
  /// A uniformly random private key in [1, order-1].
  virtual SecureBytes random_private() const = 0;
  /// priv · G, or g^priv: an uncompressed point 04||x||y, or an element padded to the modulus.
  virtual Bytes public_key(const SecureBytes& priv) const = 0;
  /// priv · peer, or peer^priv, encoded like a public key. Throws for a peer key outside the group.
  virtual Bytes multiply(const SecureBytes& priv, ByteView peer) const = 0;
  /// The key agreement's shared secret: the x-coordinate, or the whole element.
  virtual SecureBytes shared_secret(const SecureBytes& priv, ByteView peer) const = 0;
  /// Generic Mapping: G' = s·G + H, or g' = g^s · h.
  virtual void map_generic(ByteView nonce, ByteView h) = 0;
  virtual Bytes generator() const = 0;

  /// Bits of the prime p of the field (curve) or of the modulus (MODP group).
  virtual std::size_t prime_bits() const = 0;
  /// R_p = R mod p, padded to the length of p: the Integrated Mapping's field element.
  virtual SecureBytes reduce_modulo_prime(ByteView r) const = 0;
  /// Integrated Mapping (9303-11 §4.4.3.3.2): G' = f_G(R_p), the point encoding of
  /// Appendix B (needs p ≡ 3 mod 4), or g' = R_p^((p-1)/q). Throws if the result is unusable.
  virtual void map_integrated(const SecureBytes& field_element) = 0;
  /// PACE-CAM check (9303-11 §4.4.3.5.2): CA_IC · PK_IC = PK_map,IC, with CA_IC encoded on
  /// as many bytes as the group order. False if not; throws for DH groups and malformed keys.
  virtual bool chip_authentication_mapping_holds(const SecureBytes& ca_ic, ByteView chip_mapping_public,
                                                 ByteView chip_static_public) const = 0;
};

/// Integrated Mapping nonce lengths in bytes: t has the cipher's key size (16 for 3DES), the
/// chip's nonce s the smallest multiple of the block size not shorter than that (16 or 32).
std::size_t pace_im_terminal_nonce_bytes(const PaceProtocol& protocol);
std::size_t pace_im_chip_nonce_bytes(const PaceProtocol& protocol);

/// The Integrated Mapping's pseudo-random function R(s, t) (9303-11 §4.4.3.3.2) before the
/// reduction mod p: n blocks with n·l >= log2(p) + 64, from the PACE cipher in CBC mode with IV 0.
SecureBytes pace_im_pseudo_random(ByteView chip_nonce, ByteView terminal_nonce, const PaceProtocol& protocol,
                                  std::size_t prime_bits);

/// Chip Authentication v1 (9303-11 §6.2) session keys: K = the shared secret
/// of the terminal's ephemeral key and the chip's static key from DG14,
/// KS_enc/KS_mac = KDF(K, 1/2), SSC zero. The caller sends the terminal's
/// public key with MSE:Set KAT (or MSE:Set AT + GENERAL AUTHENTICATE).
SessionKeys chip_authentication_keys(const PaceGroup& group, const SecureBytes& terminal_private,
                                     ByteView chip_static_public, SmCipher cipher, int key_bits);

/// The terminal's side of PACE. Private keys and the IM nonce t are random unless a
/// test injects them. Generic Mapping and CAM use mapping_public_key() and
/// receive_chip_mapping_key(); Integrated Mapping uses integrated_mapping_nonce() and
/// receive_integrated_mapping_response() instead.
class PaceInitiator {
 public:
  PaceInitiator(PaceProtocol protocol, int parameter_id, SecureBytes k_pi);

  /// Data of MSE:Set AT: 80 OID, 83 password reference, 84 parameter ID.
  Bytes mse_set_at_data(PacePassword password, bool with_parameter_id) const;
  /// Step 1: decrypts the chip's nonce z (AES or 3DES CBC, IV zero).
  void receive_encrypted_nonce(ByteView z);
  /// Step 2: the terminal's mapping public key (dynamic authentication data 81).
  Bytes mapping_public_key(SecureBytes injected_private = {});
  /// Step 2: the chip's mapping key (82); computes H and the mapped generator.
  void receive_chip_mapping_key(ByteView chip_mapping_public);
  /// Step 2, Integrated Mapping: the nonce t (81), sent in clear; maps the generator from s and t.
  Bytes integrated_mapping_nonce(Bytes injected_nonce = {});
  /// Step 2, Integrated Mapping: the chip's data object 82, which must be empty.
  void receive_integrated_mapping_response(ByteView chip_data) const;
  /// Step 3: the terminal's ephemeral public key on the mapped generator (83).
  Bytes ephemeral_public_key(SecureBytes injected_private = {});
  /// Step 3: the chip's ephemeral key (84): shared secret and session keys.
  void receive_chip_ephemeral_key(ByteView chip_ephemeral_public);
  /// Step 4: the terminal's token (85) over the chip's ephemeral key.
  Bytes terminal_token() const;
  /// Step 4: checks the chip's token (86); throws rcperso::Error if wrong.
  SessionKeys finish(ByteView chip_token) const;
  /// PACE-CAM, after finish(): decrypts the Encrypted Chip Authentication Data (8A) into CA_IC
  /// (AES-CBC with KS_enc, IV = E(KS_enc, FF..FF), padding method 2). Throws if malformed.
  SecureBytes chip_authentication_data(ByteView encrypted) const;
  /// PACE-CAM, after finish(): checks CA_IC against the chip's static public key (04||x||y,
  /// from DG14 or EF.CardSecurity, whose signature the caller verifies); throws rcperso::Error
  /// if the chip did not prove it holds that key.
  void verify_chip_authentication(ByteView encrypted, ByteView chip_static_public) const;

  const SecureBytes& nonce() const { return nonce_; }
  /// The chip's ephemeral public key (84); Terminal Authentication binds to it (ID_PICC).
  const Bytes& chip_ephemeral_public_key() const { return chip_ephemeral_; }
  /// The chip's mapping public key (82), which PACE-CAM's check compares with CA_IC · PK_IC.
  const Bytes& chip_mapping_public_key() const { return chip_mapping_public_; }
  /// The terminal's ephemeral public key (83); TA after PACE-CAM signs Comp() of it.
  const Bytes& terminal_ephemeral_public_key() const { return ephemeral_public_; }
  const PaceGroup& group() const { return *group_; }

 private:
  Bytes token_over(ByteView public_key) const;
  PaceProtocol protocol_;
  int parameter_id_;
  std::unique_ptr<PaceGroup> group_;
  SecureBytes k_pi_;
  SecureBytes nonce_;  // the chip's nonce s: secret, the mapped generator derives from it
  SecureBytes mapping_private_, ephemeral_private_;
  Bytes mapping_public_, ephemeral_public_, chip_ephemeral_, chip_mapping_public_;
  bool mapped_ = false;
  SecureBytes ks_enc_, ks_mac_;
};

}  // namespace rcperso::secure
