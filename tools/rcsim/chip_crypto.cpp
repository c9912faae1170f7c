#include "rcsim/chip_crypto.hpp"

#include <cryptopp/des.h>
#include <cryptopp/filters.h>
#include <cryptopp/misc.h>
#include <cryptopp/modes.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>

#include <stdexcept>

namespace rcsim {

Bytes sha1(const Bytes& data) {
  Bytes out(CryptoPP::SHA1::DIGESTSIZE);
  CryptoPP::SHA1().CalculateDigest(out.data(), data.data(), data.size());
  return out;
}

Bytes pad8(const Bytes& data) {
  Bytes out = data;
  out.push_back(0x80);
  while (out.size() % 8 != 0) out.push_back(0);
  return out;
}

bool unpad(Bytes& data) {
  std::size_t n = data.size();
  while (n > 0 && data[n - 1] == 0) --n;
  if (n == 0 || data[n - 1] != 0x80) return false;
  data.resize(n - 1);
  return true;
}

Bytes tdes_cbc(const Bytes& key16, const Bytes& data, bool encrypt) {
  if (key16.size() != 16 || data.size() % 8 != 0) throw std::invalid_argument("3DES: bad key or data length");
  Bytes iv(8, 0), out(data.size());
  if (encrypt) {
    CryptoPP::CBC_Mode<CryptoPP::DES_EDE2>::Encryption e(key16.data(), key16.size(), iv.data());
    e.ProcessData(out.data(), data.data(), data.size());
  } else {
    CryptoPP::CBC_Mode<CryptoPP::DES_EDE2>::Decryption d(key16.data(), key16.size(), iv.data());
    d.ProcessData(out.data(), data.data(), data.size());
  }
  return out;
}

Bytes retail_mac(const Bytes& key16, const Bytes& data) {
  Bytes padded = pad8(data);
  CryptoPP::DES::Encryption ka(key16.data(), 8);
  CryptoPP::DES::Decryption kb(key16.data() + 8, 8);
  std::uint8_t h[8] = {0};
  for (std::size_t off = 0; off < padded.size(); off += 8) {
    for (int i = 0; i < 8; ++i) h[i] ^= padded[off + static_cast<std::size_t>(i)];
    ka.ProcessBlock(h);
  }
  kb.ProcessBlock(h);
  ka.ProcessBlock(h);
  return Bytes(h, h + 8);
}

Bytes kdf_3des(const Bytes& seed, std::uint32_t counter) {
  Bytes in = seed;
  for (int shift = 24; shift >= 0; shift -= 8) in.push_back(static_cast<std::uint8_t>(counter >> shift));
  Bytes key = sha1(in);
  key.resize(16);
  for (auto& b : key) {
    int ones = 0;
    for (int i = 1; i < 8; ++i) ones += (b >> i) & 1;
    b = static_cast<std::uint8_t>((b & 0xFE) | (ones % 2 == 0 ? 1 : 0));
  }
  return key;
}

Bytes random_bytes(std::size_t n) {
  static CryptoPP::AutoSeededRandomPool rng;
  Bytes out(n);
  rng.GenerateBlock(out.data(), n);
  return out;
}

bool equal_constant_time(const Bytes& a, const Bytes& b) {
  return a.size() == b.size() && CryptoPP::VerifyBufsEqual(a.data(), b.data(), a.size());
}

}  // namespace rcsim
