// Secure messaging (ICAO 9303-11 §9.8) with 3DES or AES session keys: wraps
// command APDUs and checks and unwraps response APDUs. Transport-agnostic.
#pragma once

#include "core/bytes.hpp"
#include "core/secure_bytes.hpp"
#include "iso7816/apdu.hpp"

namespace rcperso::secure {

enum class SmCipher { Tdes, Aes };

struct SessionKeys {
  SmCipher cipher = SmCipher::Tdes;
  SecureBytes ks_enc;
  SecureBytes ks_mac;
  Bytes ssc;  // 8 bytes (3DES) or 16 (AES)
};

class SecureMessaging {
 public:
  explicit SecureMessaging(SessionKeys keys);

  iso7816::CommandApdu wrap(const iso7816::CommandApdu& plain);
  /// Verifies the MAC and decrypts. Throws rcperso::Error when the response is
  /// not authentic (the session must then be abandoned). A card may answer an
  /// error without secure messaging; such a response is returned as it is.
  iso7816::ResponseApdu unwrap(const iso7816::ResponseApdu& response);

  const Bytes& ssc() const { return keys_.ssc; }
  std::size_t block_size() const { return keys_.cipher == SmCipher::Tdes ? 8 : 16; }

  /// The chip side uses the same arithmetic; exposed for tests and the virtual chip.
  Bytes mac(ByteView data) const;
  Bytes encrypt(ByteView padded) const;
  Bytes decrypt(ByteView cryptogram) const;
  void increment_ssc();

 private:
  SessionKeys keys_;
};

}  // namespace rcperso::secure
