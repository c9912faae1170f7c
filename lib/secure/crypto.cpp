#include "secure/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "core/error.hpp"

namespace rcperso::secure {

namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

Bytes run_cipher(const EVP_CIPHER* cipher, ByteView key, ByteView iv, ByteView data, bool encrypt) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), iv.empty() ? nullptr : iv.data(),
                                encrypt ? 1 : 0) != 1) {
    throw Error("cipher initialisation failed");
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  Bytes out(data.size() + 32);
  int n1 = 0, n2 = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &n1, data.data(), static_cast<int>(data.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + n1, &n2) != 1) {
    throw Error("cipher operation failed (input not a whole number of blocks?)");
  }
  out.resize(static_cast<std::size_t>(n1 + n2));
  return out;
}

const EVP_CIPHER* aes_cbc(std::size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_cbc();
    case 24:
      return EVP_aes_192_cbc();
    case 32:
      return EVP_aes_256_cbc();
    default:
      throw Error("AES key must be 16, 24 or 32 bytes");
  }
}

const EVP_CIPHER* aes_ecb(std::size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_ecb();
    case 24:
      return EVP_aes_192_ecb();
    case 32:
      return EVP_aes_256_ecb();
    default:
      throw Error("AES key must be 16, 24 or 32 bytes");
  }
}

void check_3des_key(const SecureBytes& key) {
  if (key.size() != 16) throw Error("3DES keys here are 16 bytes (2-key)");
}

}  // namespace

Bytes pad(ByteView data, std::size_t block) {
  Bytes out(data.begin(), data.end());
  out.push_back(0x80);
  while (out.size() % block != 0) out.push_back(0x00);
  return out;
}

Bytes unpad(ByteView data) {
  std::size_t n = data.size();
  while (n > 0 && data[n - 1] == 0x00) --n;
  if (n == 0 || data[n - 1] != 0x80 || data.size() - n >= 16) throw DecodeError("bad ISO 9797-1 padding");
  return Bytes(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n - 1));
}

void set_des_parity(SecureBytes& key) {
  for (auto& b : key) {
    std::uint8_t v = b & 0xFE;
    int ones = 0;
    for (int i = 1; i < 8; ++i) ones += (v >> i) & 1;
    b = static_cast<std::uint8_t>(v | (ones % 2 == 0 ? 1 : 0));
  }
}

Bytes tdes_cbc_encrypt(const SecureBytes& key, ByteView data) {
  check_3des_key(key);
  Bytes iv(8, 0);
  return run_cipher(EVP_des_ede_cbc(), key, iv, data, true);
}

Bytes tdes_cbc_decrypt(const SecureBytes& key, ByteView data) {
  check_3des_key(key);
  Bytes iv(8, 0);
  return run_cipher(EVP_des_ede_cbc(), key, iv, data, false);
}

Bytes retail_mac(const SecureBytes& key, ByteView data) {
  check_3des_key(key);
  Bytes padded = pad(data, 8);
  // Single DES with Ka is 2-key 3DES with Ka||Ka (OpenSSL 3 keeps plain DES
  // in its legacy provider); the last block goes through the full 3DES.
  SecureBytes ka_twice(key.begin(), key.begin() + 8);
  ka_twice.insert(ka_twice.end(), key.begin(), key.begin() + 8);
  Bytes h(8, 0);
  std::size_t blocks = padded.size() / 8;
  if (blocks > 1) {
    Bytes chain = run_cipher(EVP_des_ede_cbc(), ka_twice, h, ByteView(padded).first((blocks - 1) * 8), true);
    h.assign(chain.end() - 8, chain.end());
  }
  return run_cipher(EVP_des_ede_cbc(), key, h, ByteView(padded).last(8), true);
}

Bytes aes_cbc_encrypt(const SecureBytes& key, ByteView iv, ByteView data) {
  return run_cipher(aes_cbc(key.size()), key, iv, data, true);
}

Bytes aes_cbc_decrypt(const SecureBytes& key, ByteView iv, ByteView data) {
  return run_cipher(aes_cbc(key.size()), key, iv, data, false);
}

Bytes aes_ecb_encrypt_block(const SecureBytes& key, ByteView block) {
  return run_cipher(aes_ecb(key.size()), key, {}, block, true);
}

Bytes aes_cmac(const SecureBytes& key, ByteView data) {
  // RFC 4493 on top of AES-ECB: subkeys from L = E(K, 0).
  Bytes l = aes_ecb_encrypt_block(key, Bytes(16, 0));
  auto dbl = [](const Bytes& in) {
    Bytes out(16);
    for (std::size_t i = 0; i < 16; ++i) {
      out[i] = static_cast<std::uint8_t>((in[i] << 1) | (i + 1 < 16 ? in[i + 1] >> 7 : 0));
    }
    if ((in[0] & 0x80) != 0) out[15] ^= 0x87;
    return out;
  };
  Bytes k1 = dbl(l), k2 = dbl(k1);
  std::size_t n = data.empty() ? 1 : (data.size() + 15) / 16;
  bool complete = !data.empty() && data.size() % 16 == 0;
  Bytes last(16, 0);
  std::size_t offset = (n - 1) * 16;
  if (complete) {
    for (std::size_t i = 0; i < 16; ++i) last[i] = static_cast<std::uint8_t>(data[offset + i] ^ k1[i]);
  } else {
    Bytes tail = pad(data.subspan(offset), 16);
    for (std::size_t i = 0; i < 16; ++i) last[i] = static_cast<std::uint8_t>(tail[i] ^ k2[i]);
  }
  Bytes x(16, 0);
  for (std::size_t b = 0; b + 1 < n; ++b) {
    Bytes block(16);
    for (std::size_t i = 0; i < 16; ++i) block[i] = static_cast<std::uint8_t>(x[i] ^ data[b * 16 + i]);
    x = aes_ecb_encrypt_block(key, block);
  }
  for (std::size_t i = 0; i < 16; ++i) last[i] ^= x[i];
  return aes_ecb_encrypt_block(key, last);
}

namespace {
SecureBytes kdf_hash(ByteView seed, KeyUse use, const EVP_MD* md) {
  Bytes input(seed.begin(), seed.end());
  put_be(input, static_cast<std::uint32_t>(use), 4);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = EVP_Digest(input.data(), input.size(), out, &len, md, nullptr) == 1;
  OPENSSL_cleanse(input.data(), input.size());
  if (!ok) throw Error("key derivation failed");
  SecureBytes key(out, out + len);
  OPENSSL_cleanse(out, sizeof out);
  return key;
}
}  // namespace

SecureBytes kdf_3des(ByteView seed, KeyUse use) {
  SecureBytes key = kdf_hash(seed, use, EVP_sha1());
  key.resize(16);
  set_des_parity(key);
  return key;
}

SecureBytes kdf_aes(ByteView seed, KeyUse use, int key_bits) {
  SecureBytes key = kdf_hash(seed, use, key_bits == 128 ? EVP_sha1() : EVP_sha256());
  key.resize(static_cast<std::size_t>(key_bits / 8));
  return key;
}

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) throw Error("random generator failed");
  return out;
}

}  // namespace rcperso::secure
