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

#include <cryptopp/aes.h>
#include <cryptopp/cmac.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/ecp.h>
#include <cryptopp/nbtheory.h>
#include <cryptopp/oids.h>

namespace rcsim {

Bytes pad_block(const Bytes& data, std::size_t block) {
  Bytes out = data;
  out.push_back(0x80);
  while (out.size() % block != 0) out.push_back(0);
  return out;
}

Bytes aes_cbc(const Bytes& key, const Bytes& iv, const Bytes& data, bool encrypt) {
  if (data.size() % 16 != 0 || iv.size() != 16) throw std::invalid_argument("AES: bad data or IV length");
  Bytes out(data.size());
  if (encrypt) {
    CryptoPP::CBC_Mode<CryptoPP::AES>::Encryption e(key.data(), key.size(), iv.data());
    e.ProcessData(out.data(), data.data(), data.size());
  } else {
    CryptoPP::CBC_Mode<CryptoPP::AES>::Decryption d(key.data(), key.size(), iv.data());
    d.ProcessData(out.data(), data.data(), data.size());
  }
  return out;
}

Bytes aes_ecb_block(const Bytes& key, const Bytes& block) {
  CryptoPP::AES::Encryption e(key.data(), key.size());
  Bytes out(16);
  e.ProcessBlock(block.data(), out.data());
  return out;
}

Bytes aes_cmac(const Bytes& key, const Bytes& data) {
  CryptoPP::CMAC<CryptoPP::AES> mac(key.data(), key.size());
  Bytes out(16);
  mac.CalculateDigest(out.data(), data.data(), data.size());
  return out;
}

Bytes kdf_aes(const Bytes& seed, std::uint32_t counter, std::size_t key_bytes) {
  Bytes in = seed;
  for (int shift = 24; shift >= 0; shift -= 8) in.push_back(static_cast<std::uint8_t>(counter >> shift));
  Bytes out;
  if (key_bytes == 16) {
    out = sha1(in);
  } else {
    out.resize(CryptoPP::SHA256::DIGESTSIZE);
    CryptoPP::SHA256().CalculateDigest(out.data(), in.data(), in.size());
  }
  out.resize(key_bytes);
  return out;
}

Bytes pace_pseudo_random(const Bytes& s, const Bytes& t, std::size_t prime_bits) {
  // l, the length of s, of c0, c1 and of each output, is 128 bits for AES-128, 256 otherwise.
  const std::size_t l = t.size() == 16 ? 16 : 32;
  if ((t.size() != 16 && t.size() != 24 && t.size() != 32) || s.size() != l || prime_bits == 0) return {};
  static const Bytes c0_128 = {0xA6, 0x68, 0x89, 0x2A, 0x7C, 0x41, 0xE3, 0xCA,
                               0x73, 0x9F, 0x40, 0xB0, 0x57, 0xD8, 0x59, 0x04};
  static const Bytes c1_128 = {0xA4, 0xE1, 0x36, 0xAC, 0x72, 0x5F, 0x73, 0x8B,
                               0x01, 0xC1, 0xF6, 0x02, 0x17, 0xC1, 0x88, 0xAD};
  static const Bytes c0_256 = {0xD4, 0x63, 0xD6, 0x52, 0x34, 0x12, 0x4E, 0xF7, 0x89, 0x70, 0x54,
                               0x98, 0x6D, 0xCA, 0x0A, 0x17, 0x4E, 0x28, 0xDF, 0x75, 0x8C, 0xBA,
                               0xA0, 0x3F, 0x24, 0x06, 0x16, 0x41, 0x4D, 0x5A, 0x16, 0x76};
  static const Bytes c1_256 = {0x54, 0xBD, 0x72, 0x55, 0xF0, 0xAA, 0xF8, 0x31, 0xBE, 0xC3, 0x42,
                               0x3F, 0xCF, 0x39, 0xD6, 0x9B, 0x6C, 0xBF, 0x06, 0x66, 0x77, 0xD0,
                               0xFA, 0xAE, 0x5A, 0xAD, 0xD9, 0x9D, 0xF8, 0xE5, 0x35, 0x17};
  const Bytes& c0 = l == 16 ? c0_128 : c0_256;
  const Bytes& c1 = l == 16 ? c1_128 : c1_256;
  const Bytes zero_iv(16, 0);
  auto key_from = [&](const Bytes& key, const Bytes& data) {
    Bytes k = aes_cbc(key, zero_iv, data, true);
    k.resize(t.size());  // AES-192 keeps the first 24 bytes
    return k;
  };
  Bytes key = key_from(t, s), out;
  for (std::size_t i = 0; i * 8 * l < prime_bits + 64; ++i) {
    Bytes x = aes_cbc(key, zero_iv, c1, true);
    out.insert(out.end(), x.begin(), x.end());
    key = key_from(key, c0);
  }
  return out;
}

struct EcCurve::Impl {
  CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> params;
  CryptoPP::ECP::Point generator;
  std::size_t field_bytes = 0;

  bool decode(const Bytes& b, CryptoPP::ECP::Point& p) const {
    if (b.size() != 1 + 2 * field_bytes || b[0] != 0x04) return false;
    if (!params.GetCurve().DecodePoint(p, b.data(), b.size())) return false;
    return !p.identity && params.GetCurve().VerifyPoint(p);
  }
  Bytes encode(const CryptoPP::ECP::Point& p) const {
    Bytes out(1 + 2 * field_bytes);
    out[0] = 0x04;
    p.x.Encode(out.data() + 1, field_bytes);
    p.y.Encode(out.data() + 1 + field_bytes, field_bytes);
    return out;
  }
};

EcCurve::EcCurve(int parameter_id) : impl_(new Impl) {
  using namespace CryptoPP::ASN1;
  CryptoPP::OID oid;
  switch (parameter_id) {
    case 8:
      oid = secp192r1();
      break;
    case 9:
      oid = brainpoolP192r1();
      break;
    case 10:
      oid = secp224r1();
      break;
    case 11:
      oid = brainpoolP224r1();
      break;
    case 12:
      oid = secp256r1();
      break;
    case 13:
      oid = brainpoolP256r1();
      break;
    case 14:
      oid = brainpoolP320r1();
      break;
    case 15:
      oid = secp384r1();
      break;
    case 16:
      oid = brainpoolP384r1();
      break;
    case 17:
      oid = brainpoolP512r1();
      break;
    case 18:
      oid = secp521r1();
      break;
    default:
      delete impl_;
      throw std::invalid_argument("not an elliptic curve parameter ID");
  }
  impl_->params.Initialize(oid);
  impl_->generator = impl_->params.GetSubgroupGenerator();
  impl_->field_bytes = impl_->params.GetCurve().GetField().MaxElementByteLength();
}

EcCurve::~EcCurve() { delete impl_; }

std::size_t EcCurve::field_bytes() const { return impl_->field_bytes; }

Bytes EcCurve::private_key(const std::function<Bytes(std::size_t)>& random) const {
  const CryptoPP::Integer& order = impl_->params.GetSubgroupOrder();
  for (;;) {
    Bytes b = random(order.ByteCount());
    CryptoPP::Integer k(b.data(), b.size());
    if (!k.IsZero() && k < order) return b;
  }
}

Bytes EcCurve::public_key(const Bytes& priv) const {
  CryptoPP::Integer k(priv.data(), priv.size());
  return impl_->encode(impl_->params.GetCurve().ScalarMultiply(impl_->generator, k));
}

Bytes EcCurve::multiply(const Bytes& priv, const Bytes& peer) const {
  CryptoPP::ECP::Point p;
  if (!impl_->decode(peer, p)) return {};
  CryptoPP::Integer k(priv.data(), priv.size());
  CryptoPP::ECP::Point r = impl_->params.GetCurve().ScalarMultiply(p, k);
  if (r.identity) return {};
  return impl_->encode(r);
}

Bytes EcCurve::shared_secret(const Bytes& product) const {
  return Bytes(product.begin() + 1, product.begin() + 1 + static_cast<std::ptrdiff_t>(impl_->field_bytes));
}

bool EcCurve::map_generic(const Bytes& s, const Bytes& h) {
  CryptoPP::ECP::Point hp;
  if (!impl_->decode(h, hp)) return false;
  CryptoPP::Integer si(s.data(), s.size());
  const CryptoPP::ECP& curve = impl_->params.GetCurve();
  CryptoPP::ECP::Point g2 = curve.Add(curve.ScalarMultiply(impl_->generator, si), hp);
  if (g2.identity) return false;
  impl_->generator = g2;
  return true;
}

std::size_t EcCurve::prime_bits() const {
  return impl_->params.GetCurve().GetField().GetModulus().BitCount();
}

bool EcCurve::map_integrated(const Bytes& pseudo_random) {
  // 9303-11 Appendix B.2, affine coordinates.
  using CryptoPP::Integer;
  const CryptoPP::ECP& curve = impl_->params.GetCurve();
  const Integer& p = curve.GetField().GetModulus();
  const Integer& a = curve.GetA();
  const Integer& b = curve.GetB();
  if (p % Integer(4) != Integer(3) || a.IsZero()) return false;
  Integer t = Integer(pseudo_random.data(), pseudo_random.size()) % p;
  if (t.IsZero()) return false;
  Integer alpha = (p - t.Squared() % p) % p;
  Integer sum = (alpha + alpha.Squared()) % p;
  if (sum.IsZero()) return false;  // t = +-1
  Integer x2 = (p - (b * a.InverseMod(p)) % p * ((Integer::One() + sum.InverseMod(p)) % p) % p) % p;
  Integer x3 = alpha * x2 % p;
  Integer h2 = (x2.Squared() * x2 + a * x2 + b) % p;
  Integer u = t.Squared() * t % p * h2 % p;
  Integer big_a = a_exp_b_mod_c(h2, p - Integer::One() - (p + Integer::One()) / Integer(4), p);
  CryptoPP::ECP::Point g;
  if (big_a.Squared() % p * h2 % p == Integer::One()) {
    g = CryptoPP::ECP::Point(x2, big_a * h2 % p);
  } else {
    g = CryptoPP::ECP::Point(x3, big_a * u % p);
  }
  if (!curve.VerifyPoint(g)) return false;
  const Integer& cofactor = impl_->params.GetCofactor();
  if (cofactor != Integer::One()) g = curve.ScalarMultiply(g, cofactor);
  if (g.identity) return false;
  impl_->generator = g;
  return true;
}

Bytes EcCurve::generator() const { return impl_->encode(impl_->generator); }

bool EcCurve::has_domain(const Bytes& prime, const Bytes& a, const Bytes& b, const Bytes& generator,
                         const Bytes& order) const {
  auto integer = [](const Bytes& v) { return CryptoPP::Integer(v.data(), v.size()); };
  const auto& curve = impl_->params.GetCurve();
  CryptoPP::ECP::Point g;
  return integer(prime) == curve.GetField().GetModulus() && integer(a) == curve.GetA() &&
         integer(b) == curve.GetB() && integer(order) == impl_->params.GetSubgroupOrder() &&
         curve.DecodePoint(g, generator.data(), generator.size()) &&
         g == impl_->params.GetSubgroupGenerator();
}

bool EcCurve::valid_private_key(const Bytes& priv) const {
  CryptoPP::Integer k(priv.data(), priv.size());
  return !k.IsZero() && k < impl_->params.GetSubgroupOrder();
}

Bytes EcCurve::chip_authentication_data(const Bytes& static_private, const Bytes& map_private) const {
  if (!valid_private_key(static_private) || !valid_private_key(map_private)) return {};
  const CryptoPP::Integer& order = impl_->params.GetSubgroupOrder();
  CryptoPP::Integer ca =
      a_times_b_mod_c(CryptoPP::Integer(static_private.data(), static_private.size()).InverseMod(order),
                      CryptoPP::Integer(map_private.data(), map_private.size()), order);
  Bytes out(order.ByteCount());
  ca.Encode(out.data(), out.size());
  return out;
}

namespace {

/// MODP 1024/160 (RFC 5114 2.1; PACE parameter ID 0): p, q and g as the standard gives them.
class DhGroup : public PaceDomain {
 public:
  DhGroup()
      : p_("0xB10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D189838EF1E2EE652C"
           "013ECB4AEA"
           "906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0D"
           "C8B4BD45BF37"
           "DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371"),
        q_("0xF518AA8781A8DF278ABA4E7D64B7CB9D49462353"),
        g_("0xA4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F21"
           "3160217B4B01"
           "B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73"
           "AFA32D779D59"
           "18D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5") {}
  bool elliptic() const override { return false; }
  Bytes private_key(const std::function<Bytes(std::size_t)>& random) const override {
    for (;;) {
      Bytes b = random(q_.ByteCount());
      CryptoPP::Integer k(b.data(), b.size());
      if (!k.IsZero() && k < q_) return b;
    }
  }
  Bytes public_key(const Bytes& priv) const override {
    return encode(a_exp_b_mod_c(g_, CryptoPP::Integer(priv.data(), priv.size()), p_));
  }
  Bytes multiply(const Bytes& priv, const Bytes& peer) const override {
    CryptoPP::Integer y;
    if (!decode(peer, y)) return {};
    return encode(a_exp_b_mod_c(y, CryptoPP::Integer(priv.data(), priv.size()), p_));
  }
  Bytes shared_secret(const Bytes& product) const override { return product; }
  bool map_generic(const Bytes& s, const Bytes& h) override {
    CryptoPP::Integer hv;
    if (!decode(h, hv)) return false;
    CryptoPP::Integer g2 =
        a_times_b_mod_c(a_exp_b_mod_c(g_, CryptoPP::Integer(s.data(), s.size()), p_), hv, p_);
    if (g2 == CryptoPP::Integer::One()) return false;
    g_ = g2;
    return true;
  }
  std::size_t prime_bits() const override { return p_.BitCount(); }
  bool map_integrated(const Bytes& pseudo_random) override {
    // f_g(x) = x^((p-1)/q); 9303-11 requires checking that the result is not 1.
    CryptoPP::Integer x = CryptoPP::Integer(pseudo_random.data(), pseudo_random.size()) % p_;
    if (x.IsZero()) return false;
    CryptoPP::Integer g2 = a_exp_b_mod_c(x, (p_ - CryptoPP::Integer::One()) / q_, p_);
    if (g2 == CryptoPP::Integer::One()) return false;
    g_ = g2;
    return true;
  }
  Bytes generator() const override { return encode(g_); }
  Bytes chip_authentication_data(const Bytes&, const Bytes&) const override { return {}; }

 private:
  bool decode(const Bytes& b, CryptoPP::Integer& y) const {
    // Taken as an integer: some terminals (OpenPACE) send it without its leading zero bytes.
    if (b.empty() || b.size() > p_.ByteCount()) return false;
    y = CryptoPP::Integer(b.data(), b.size());
    return y > CryptoPP::Integer::One() && y < p_ - CryptoPP::Integer::One() &&
           a_exp_b_mod_c(y, q_, p_) == CryptoPP::Integer::One();
  }
  Bytes encode(const CryptoPP::Integer& v) const {
    Bytes out(p_.ByteCount());
    v.Encode(out.data(), out.size());
    return out;
  }
  CryptoPP::Integer p_, q_, g_;
};

}  // namespace

std::shared_ptr<PaceDomain> PaceDomain::standard(int parameter_id) {
  if (parameter_id == 0) return std::make_shared<DhGroup>();
  return std::make_shared<EcCurve>(parameter_id);
}

}  // namespace rcsim

#include <cryptopp/dsa.h>
#include <cryptopp/integer.h>

#include <algorithm>
#include <cctype>

namespace rcsim {

namespace {

template <class H>
Bytes digest_with(const Bytes& data) {
  H md;
  Bytes out(md.DigestSize());
  md.CalculateDigest(out.data(), data.data(), data.size());
  return out;
}

Bytes aa_digest(AaHash hash, const Bytes& data) {
  switch (hash) {
    case AaHash::Sha1:
      return digest_with<CryptoPP::SHA1>(data);
    case AaHash::Sha224:
      return digest_with<CryptoPP::SHA224>(data);
    case AaHash::Sha256:
      return digest_with<CryptoPP::SHA256>(data);
    case AaHash::Sha384:
      return digest_with<CryptoPP::SHA384>(data);
    case AaHash::Sha512:
      return digest_with<CryptoPP::SHA512>(data);
  }
  throw std::invalid_argument("unknown hash");
}

std::size_t aa_digest_size(AaHash hash) {
  switch (hash) {
    case AaHash::Sha1:
      return 20;
    case AaHash::Sha224:
      return 28;
    case AaHash::Sha256:
      return 32;
    case AaHash::Sha384:
      return 48;
    case AaHash::Sha512:
      return 64;
  }
  throw std::invalid_argument("unknown hash");
}

/// ISO/IEC 10118-3 hash identifiers, as the two-byte ISO/IEC 9796-2 trailer carries them.
std::uint8_t iso10118_identifier(AaHash hash) {
  switch (hash) {
    case AaHash::Sha1:
      return 0x33;
    case AaHash::Sha224:
      return 0x38;
    case AaHash::Sha256:
      return 0x34;
    case AaHash::Sha384:
      return 0x36;
    case AaHash::Sha512:
      return 0x35;
  }
  throw std::invalid_argument("unknown hash");
}

CryptoPP::OID named_curve(const std::string& name) {
  std::string n;
  for (char c : name) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  using namespace CryptoPP::ASN1;
  if (n == "brainpoolp192r1") return brainpoolP192r1();
  if (n == "brainpoolp224r1") return brainpoolP224r1();
  if (n == "brainpoolp256r1") return brainpoolP256r1();
  if (n == "brainpoolp320r1") return brainpoolP320r1();
  if (n == "brainpoolp384r1") return brainpoolP384r1();
  if (n == "brainpoolp512r1") return brainpoolP512r1();
  if (n == "secp192r1" || n == "prime192v1" || n == "p-192") return secp192r1();
  if (n == "secp224r1" || n == "p-224") return secp224r1();
  if (n == "secp256r1" || n == "prime256v1" || n == "p-256") return secp256r1();
  if (n == "secp384r1" || n == "p-384") return secp384r1();
  if (n == "secp521r1" || n == "p-521") return secp521r1();
  throw std::invalid_argument("unknown curve " + name);
}

CryptoPP::Integer ec_scalar(const CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP>& params,
                            const Bytes& scalar) {
  CryptoPP::Integer x(scalar.data(), scalar.size());
  if (x.IsZero() || x >= params.GetSubgroupOrder())
    throw std::invalid_argument("EC private key out of range");
  return x;
}

template <class H>
Bytes ecdsa_sign_with(const CryptoPP::OID& curve, const CryptoPP::Integer& x, const Bytes& message) {
  typename CryptoPP::ECDSA<CryptoPP::ECP, H>::PrivateKey key;
  key.Initialize(curve, x);
  typename CryptoPP::ECDSA<CryptoPP::ECP, H>::Signer signer(key);
  CryptoPP::AutoSeededRandomPool rng;
  Bytes sig(signer.MaxSignatureLength());
  sig.resize(signer.SignMessage(rng, message.data(), message.size(), sig.data()));
  return sig;
}

}  // namespace

Bytes rsa_private(const Bytes& modulus, const Bytes& private_exponent, const Bytes& x) {
  if (modulus.empty() || modulus[0] == 0)
    throw std::invalid_argument("RSA: modulus without its leading byte");
  CryptoPP::Integer n(modulus.data(), modulus.size());
  CryptoPP::Integer d(private_exponent.data(), private_exponent.size());
  CryptoPP::Integer v(x.data(), x.size());
  if (d.IsZero()) throw std::invalid_argument("RSA: zero private exponent");
  if (v >= n) throw std::invalid_argument("RSA: input not smaller than the modulus");
  Bytes out(modulus.size());
  a_exp_b_mod_c(v, d, n).Encode(out.data(), out.size());
  return out;
}

std::size_t iso9796_2_m1_size(std::size_t modulus_bytes, AaHash hash, bool implicit_trailer) {
  if (implicit_trailer && hash != AaHash::Sha1)
    throw std::invalid_argument("ISO/IEC 9796-2: trailer BC is SHA-1");
  std::size_t overhead = 1 + aa_digest_size(hash) + (implicit_trailer ? 1 : 2);
  if (modulus_bytes <= overhead)
    throw std::invalid_argument("ISO/IEC 9796-2: modulus too short for the hash");
  return modulus_bytes - overhead;
}

Bytes iso9796_2_representative(std::size_t modulus_bytes, const Bytes& m1, const Bytes& m2, AaHash hash,
                               bool implicit_trailer) {
  if (m1.size() != iso9796_2_m1_size(modulus_bytes, hash, implicit_trailer)) {
    throw std::invalid_argument("ISO/IEC 9796-2: M1 does not fill the capacity");
  }
  Bytes m = m1;
  m.insert(m.end(), m2.begin(), m2.end());
  Bytes f{0x6A};
  f.insert(f.end(), m1.begin(), m1.end());
  Bytes h = aa_digest(hash, m);
  f.insert(f.end(), h.begin(), h.end());
  if (implicit_trailer) {
    f.push_back(0xBC);
  } else {
    f.push_back(iso10118_identifier(hash));
    f.push_back(0xCC);
  }
  return f;
}

Bytes iso9796_2_sign(const Bytes& modulus, const Bytes& private_exponent, const Bytes& challenge, AaHash hash,
                     bool implicit_trailer, const Bytes& m1) {
  Bytes nonce = m1.empty() ? random_bytes(iso9796_2_m1_size(modulus.size(), hash, implicit_trailer)) : m1;
  return rsa_private(modulus, private_exponent,
                     iso9796_2_representative(modulus.size(), nonce, challenge, hash, implicit_trailer));
}

Bytes ecdsa_sign_plain(const std::string& curve, const Bytes& private_scalar, const Bytes& message,
                       AaHash hash) {
  CryptoPP::OID oid = named_curve(curve);
  CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> params(oid);
  CryptoPP::Integer x = ec_scalar(params, private_scalar);
  switch (hash) {
    case AaHash::Sha1:
      return ecdsa_sign_with<CryptoPP::SHA1>(oid, x, message);
    case AaHash::Sha224:
      return ecdsa_sign_with<CryptoPP::SHA224>(oid, x, message);
    case AaHash::Sha256:
      return ecdsa_sign_with<CryptoPP::SHA256>(oid, x, message);
    case AaHash::Sha384:
      return ecdsa_sign_with<CryptoPP::SHA384>(oid, x, message);
    case AaHash::Sha512:
      return ecdsa_sign_with<CryptoPP::SHA512>(oid, x, message);
  }
  throw std::invalid_argument("unknown hash");
}

Bytes ecdsa_public_point(const std::string& curve, const Bytes& private_scalar) {
  CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> params(named_curve(curve));
  CryptoPP::ECP::Point q = params.ExponentiateBase(ec_scalar(params, private_scalar));
  std::size_t len = params.GetCurve().GetField().MaxElementByteLength();
  Bytes out(1 + 2 * len);
  out[0] = 0x04;
  q.x.Encode(out.data() + 1, len);
  q.y.Encode(out.data() + 1 + len, len);
  return out;
}

Bytes ecdsa_plain_to_der(const Bytes& plain) {
  if (plain.empty() || plain.size() % 2 != 0) throw std::invalid_argument("ECDSA: odd plain signature");
  Bytes out(plain.size() + 16);
  out.resize(CryptoPP::DSAConvertSignatureFormat(out.data(), out.size(), CryptoPP::DSA_DER, plain.data(),
                                                 plain.size(), CryptoPP::DSA_P1363));
  return out;
}

}  // namespace rcsim
