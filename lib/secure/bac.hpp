// Basic Access Control (ICAO 9303-11 §4.3), host side: keys from the MRZ,
// the mutual authentication computation, and the session keys. The caller
// sends GET CHALLENGE and EXTERNAL AUTHENTICATE over whatever transport.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/secure_bytes.hpp"
#include "secure/secure_messaging.hpp"

namespace rcperso::secure {

struct BacKeys {
  SecureBytes k_enc;
  SecureBytes k_mac;
  /// The document number with its check digit, as in MRZ_information: Terminal Authentication's
  /// ID_PICC after BAC. bac_keys() fills it in; empty when the keys came another way.
  std::string document_number;
};

/// "MRZ_information": document number (padded to 9 with '<') + check digit,
/// date of birth + check digit, date of expiry + check digit.
std::string mrz_information(std::string_view document_number, std::string_view date_of_birth,
                            std::string_view date_of_expiry);
/// K_seed = first 16 bytes of SHA-1(MRZ_information); K_enc, K_mac from the KDF.
SecureBytes bac_key_seed(std::string_view mrz_information);
/// K_enc, K_mac, and the document number with its check digit (MRZ_information without its last 14
/// characters, the two dates with their check digits).
BacKeys bac_keys(std::string_view mrz_information);

class BacInitiator {
 public:
  /// `rnd_ifd` (8 bytes) and `k_ifd` (16 bytes) are random; tests inject them.
  BacInitiator(BacKeys keys, Bytes rnd_ifd, SecureBytes k_ifd);
  explicit BacInitiator(BacKeys keys);

  /// Data of EXTERNAL AUTHENTICATE for the chip's challenge: E_IFD || M_IFD.
  Bytes authenticate_data(ByteView rnd_ic);
  /// Checks the chip's answer (E_IC || M_IC) and derives the session keys.
  /// Throws rcperso::Error if the chip does not know the same keys.
  SessionKeys finish(ByteView response);

 private:
  BacKeys keys_;
  Bytes rnd_ifd_;
  SecureBytes k_ifd_;
  Bytes rnd_ic_;
};

/// Session keys and SSC from the two key halves and the two nonces (both sides use this).
SessionKeys bac_session_keys(ByteView k_ifd, ByteView k_ic, ByteView rnd_ic, ByteView rnd_ifd);

}  // namespace rcperso::secure
