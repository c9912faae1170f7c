#include "secure/bac.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "core/error.hpp"
#include "mrz/mrz.hpp"
#include "secure/crypto.hpp"

namespace rcperso::secure {

std::string mrz_information(std::string_view document_number, std::string_view date_of_birth,
                            std::string_view date_of_expiry) {
  std::string number(document_number);
  if (number.size() < 9) number.resize(9, '<');
  auto cd = [](std::string_view field) { return static_cast<char>('0' + mrz::check_digit(field)); };
  std::string out = number + cd(number);
  out += std::string(date_of_birth) + cd(date_of_birth);
  out += std::string(date_of_expiry) + cd(date_of_expiry);
  return out;
}

SecureBytes bac_key_seed(std::string_view mrz_information) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(mrz_information.data(), mrz_information.size(), md, &len, EVP_sha1(), nullptr) != 1) {
    throw Error("SHA-1 failed");
  }
  SecureBytes seed(md, md + 16);
  OPENSSL_cleanse(md, sizeof md);
  return seed;
}

BacKeys bac_keys(std::string_view mrz_information) {
  SecureBytes seed = bac_key_seed(mrz_information);
  constexpr std::size_t kDatesWithCheckDigits = 14;
  std::string number =
      mrz_information.size() > kDatesWithCheckDigits
          ? std::string(mrz_information.substr(0, mrz_information.size() - kDatesWithCheckDigits))
          : std::string();
  return {kdf_3des(seed, KeyUse::Enc), kdf_3des(seed, KeyUse::Mac), std::move(number)};
}

BacInitiator::BacInitiator(BacKeys keys, Bytes rnd_ifd, SecureBytes k_ifd)
    : keys_(std::move(keys)), rnd_ifd_(std::move(rnd_ifd)), k_ifd_(std::move(k_ifd)) {
  if (rnd_ifd_.size() != 8 || k_ifd_.size() != 16) throw Error("BAC: RND.IFD must be 8 and K.IFD 16 bytes");
}

BacInitiator::BacInitiator(BacKeys keys)
    : BacInitiator(std::move(keys), random_bytes(8), [] {
        Bytes r = random_bytes(16);
        SecureBytes s(r.begin(), r.end());
        OPENSSL_cleanse(r.data(), r.size());
        return s;
      }()) {}

Bytes BacInitiator::authenticate_data(ByteView rnd_ic) {
  if (rnd_ic.size() != 8) throw Error("BAC: the chip's challenge is not 8 bytes");
  rnd_ic_.assign(rnd_ic.begin(), rnd_ic.end());
  SecureBytes s(rnd_ifd_.begin(), rnd_ifd_.end());
  s.insert(s.end(), rnd_ic.begin(), rnd_ic.end());
  s.insert(s.end(), k_ifd_.begin(), k_ifd_.end());
  Bytes e_ifd = tdes_cbc_encrypt(keys_.k_enc, ByteView(s.data(), s.size()));
  Bytes out = e_ifd;
  append(out, retail_mac(keys_.k_mac, e_ifd));
  return out;
}

SessionKeys BacInitiator::finish(ByteView response) {
  if (response.size() != 40) throw Error("BAC failed: the chip's answer is not 40 bytes");
  ByteView e_ic = response.first(32);
  ByteView m_ic = response.subspan(32);
  Bytes expected = retail_mac(keys_.k_mac, e_ic);
  if (CRYPTO_memcmp(expected.data(), m_ic.data(), 8) != 0) {
    throw Error(
        "BAC failed: the chip's MAC is wrong (wrong document number, date of birth or date of expiry?)");
  }
  Bytes r = tdes_cbc_decrypt(keys_.k_enc, e_ic);
  bool nonces_ok = std::equal(r.begin(), r.begin() + 8, rnd_ic_.begin()) &&
                   std::equal(r.begin() + 8, r.begin() + 16, rnd_ifd_.begin());
  if (!nonces_ok) {
    OPENSSL_cleanse(r.data(), r.size());
    throw Error("BAC failed: the chip did not return our challenge");
  }
  SessionKeys keys = bac_session_keys(k_ifd_, ByteView(r).subspan(16, 16), rnd_ic_, rnd_ifd_);
  OPENSSL_cleanse(r.data(), r.size());
  return keys;
}

SessionKeys bac_session_keys(ByteView k_ifd, ByteView k_ic, ByteView rnd_ic, ByteView rnd_ifd) {
  SecureBytes seed(16);
  for (std::size_t i = 0; i < 16; ++i) seed[i] = static_cast<std::uint8_t>(k_ifd[i] ^ k_ic[i]);
  SessionKeys keys;
  keys.cipher = SmCipher::Tdes;
  keys.ks_enc = kdf_3des(seed, KeyUse::Enc);
  keys.ks_mac = kdf_3des(seed, KeyUse::Mac);
  keys.ssc.assign(rnd_ic.begin() + 4, rnd_ic.end());
  keys.ssc.insert(keys.ssc.end(), rnd_ifd.begin() + 4, rnd_ifd.end());
  return keys;
}

}  // namespace rcperso::secure
