#include "secure/secure_messaging.hpp"

#include <openssl/crypto.h>

#include <optional>

#include "core/error.hpp"
#include "secure/crypto.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::secure {

using iso7816::CommandApdu;
using iso7816::ResponseApdu;

SecureMessaging::SecureMessaging(SessionKeys keys) : keys_(std::move(keys)) {
  std::size_t expected = block_size();
  if (keys_.ssc.size() != expected) throw Error("send sequence counter has the wrong length");
}

void SecureMessaging::increment_ssc() {
  for (std::size_t i = keys_.ssc.size(); i > 0; --i) {
    if (++keys_.ssc[i - 1] != 0) break;
  }
}

Bytes SecureMessaging::mac(ByteView data) const {
  if (keys_.cipher == SmCipher::Tdes) return retail_mac(keys_.ks_mac, data);
  Bytes full = aes_cmac(keys_.ks_mac, pad(data, 16));
  full.resize(8);
  return full;
}

Bytes SecureMessaging::encrypt(ByteView padded) const {
  if (keys_.cipher == SmCipher::Tdes) return tdes_cbc_encrypt(keys_.ks_enc, padded);
  Bytes iv = aes_ecb_encrypt_block(keys_.ks_enc, keys_.ssc);
  return aes_cbc_encrypt(keys_.ks_enc, iv, padded);
}

Bytes SecureMessaging::decrypt(ByteView cryptogram) const {
  if (cryptogram.empty() || cryptogram.size() % block_size() != 0) {
    throw Error("secure messaging: cryptogram is not a whole number of blocks");
  }
  if (keys_.cipher == SmCipher::Tdes) return tdes_cbc_decrypt(keys_.ks_enc, cryptogram);
  Bytes iv = aes_ecb_encrypt_block(keys_.ks_enc, keys_.ssc);
  return aes_cbc_decrypt(keys_.ks_enc, iv, cryptogram);
}

CommandApdu SecureMessaging::wrap(const CommandApdu& plain) {
  if ((plain.cla & 0x0C) != 0) throw Error("command is already secure-messaging protected");
  const std::size_t bs = block_size();
  std::uint8_t cla = static_cast<std::uint8_t>(plain.cla | 0x0C);
  Bytes padded_header = pad(Bytes{cla, plain.ins, plain.p1, plain.p2}, bs);
  // The SSC counts this command before anything is computed: AES takes its IV from it.
  increment_ssc();
  Bytes body;
  if (!plain.data.empty()) {
    Bytes cryptogram = encrypt(pad(plain.data, bs));
    if ((plain.ins & 1) != 0) {
      body = tlv::encode(0x85, cryptogram);  // odd INS: data is BER-TLV, no padding indicator
    } else {
      Bytes value{0x01};
      append(value, cryptogram);
      body = tlv::encode(0x87, value);
    }
  }
  if (plain.le) {
    bool ext = plain.needs_extended();
    std::size_t le = *plain.le;
    Bytes value;
    if (ext) {
      put_be(value, le >= 65536 ? 0 : le, 2);
    } else {
      value.push_back(static_cast<std::uint8_t>(le >= 256 ? 0 : le));
    }
    append(body, tlv::encode(0x97, value));
  }
  Bytes mac_input = keys_.ssc;
  append(mac_input, padded_header);
  append(mac_input, body);
  append(body, tlv::encode(0x8E, mac(mac_input)));

  CommandApdu out;
  out.cla = cla;
  out.ins = plain.ins;
  out.p1 = plain.p1;
  out.p2 = plain.p2;
  out.data = std::move(body);
  out.extended = plain.needs_extended();
  out.le = out.extended || out.data.size() > 255 ? 65536 : 256;
  return out;
}

ResponseApdu SecureMessaging::unwrap(const ResponseApdu& response) {
  if (response.data.empty() && response.sw != 0x9000) return response;  // plain error from the card
  increment_ssc();
  tlv::Reader r(response.data, "secure messaging response");
  std::optional<tlv::Element> do87, do85, do99, do8e;
  while (!r.at_end()) {
    tlv::Element e = r.next();
    switch (e.tag) {
      case 0x87:
        do87 = e;
        break;
      case 0x85:
        do85 = e;
        break;
      case 0x99:
        do99 = e;
        break;
      case 0x8E:
        do8e = e;
        break;
      default:
        throw Error("secure messaging response: unexpected data object " + tlv::tag_name(e.tag));
    }
  }
  if (!do8e) throw Error("secure messaging response has no MAC (DO 8E)");
  if (!do99 || do99->value.size() != 2) throw Error("secure messaging response has no status word (DO 99)");
  Bytes mac_input = keys_.ssc;
  if (do87) append(mac_input, do87->encoded);
  if (do85) append(mac_input, do85->encoded);
  append(mac_input, do99->encoded);
  Bytes expected = mac(mac_input);
  if (do8e->value.size() != expected.size() ||
      CRYPTO_memcmp(do8e->value.data(), expected.data(), expected.size()) != 0) {
    throw Error("secure messaging response MAC is wrong: the response is not authentic");
  }
  ResponseApdu out;
  out.sw = static_cast<std::uint16_t>(get_be(do99->value, 0, 2));
  if (do87) {
    if (do87->value.empty() || do87->value[0] != 0x01)
      throw Error("secure messaging: unknown padding indicator in DO 87");
    out.data = unpad(decrypt(do87->value.subspan(1)));
  } else if (do85) {
    out.data = unpad(decrypt(do85->value));
  }
  return out;
}

}  // namespace rcperso::secure
