// Cross-check with an independent implementation: Crypto++ (the library of
// rcsim, not of lib/) verifies the CV certificate signatures of the sample
// PKI and a Terminal Authentication signature, building the curve from the
// domain parameters our CVCA certificate encodes. Its ECDSA takes the plain
// r || s format of BSI TR-03111 natively.
#include <doctest/doctest.h>

#include <cryptopp/eccrypto.h>
#include <cryptopp/ecp.h>
#include <cryptopp/integer.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>

#include <string>

#include "pki/cvc.hpp"
#include "secure/terminal_auth.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_cvc_cryptopp {

using namespace rcperso;
using namespace rcperso::pki;

namespace {

std::string eac(const std::string& name, const std::string& file) {
  return (test::source_dir() / "keys-sample" / "eac" / name / file).string();
}
CvCertificate cert(const std::string& name) { return CvCertificate::load(eac(name, "cert.cvcert")); }

Bytes as_bytes_copy(const std::string& s) {
  ByteView v = as_bytes(s);
  return Bytes(v.begin(), v.end());
}

CryptoPP::Integer integer(const Bytes& b) { return CryptoPP::Integer(b.data(), b.size()); }

// The group from the CVCA's explicit domain parameters, not from a curve name.
CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> group(const EcDomainParameters& d) {
  CryptoPP::ECP curve(integer(d.prime), integer(d.a), integer(d.b));
  CryptoPP::ECP::Point g;
  REQUIRE(curve.DecodePoint(g, d.generator.data(), d.generator.size()));
  CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> params;
  params.Initialize(curve, g, integer(d.order), integer(d.cofactor));
  return params;
}

bool cryptopp_verify(const EcDomainParameters& d, const Bytes& point, ByteView message, ByteView signature) {
  auto params = group(d);
  CryptoPP::ECP::Point q;
  REQUIRE(params.GetCurve().DecodePoint(q, point.data(), point.size()));
  CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PublicKey pub;
  pub.Initialize(params, q);
  CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::Verifier verifier(pub);
  return verifier.VerifyMessage(message.data(), message.size(), signature.data(), signature.size());
}

}  // namespace

TEST_CASE("CVC: Crypto++ accepts our domain parameters and certificate signatures") {
  CvCertificate cvca = cert("cvca"), dv = cert("dv"), is = cert("is");
  const EcDomainParameters& d = *cvca.public_key.domain;
  // The encoded parameters are brainpoolP256r1 as Crypto++ knows it.
  CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> named(CryptoPP::ASN1::brainpoolP256r1());
  CHECK(group(d).GetCurve().GetField().GetModulus() == named.GetCurve().GetField().GetModulus());
  CHECK(group(d).GetCurve().GetB() == named.GetCurve().GetB());
  CHECK(group(d).GetSubgroupOrder() == named.GetSubgroupOrder());
  CHECK((group(d).GetSubgroupGenerator() == named.GetSubgroupGenerator()));

  CHECK(cryptopp_verify(d, cvca.public_key.point, cvca.encode_body(), cvca.signature));
  CHECK(cryptopp_verify(d, cvca.public_key.point, dv.encode_body(), dv.signature));
  CHECK(cryptopp_verify(d, dv.public_key.point, is.encode_body(), is.signature));
  // And it refuses what we refuse.
  CHECK_FALSE(cryptopp_verify(d, cvca.public_key.point, is.encode_body(), is.signature));
  Bytes bad = is.signature;
  bad[63] ^= 0x01;
  CHECK_FALSE(cryptopp_verify(d, dv.public_key.point, is.encode_body(), bad));
}

TEST_CASE("TA: Crypto++ verifies our EXTERNAL AUTHENTICATE signature") {
  CvCertificate cvca = cert("cvca"), is = cert("is");
  CvPrivateKey key = CvPrivateKey::load_pem(eac("is", "key.pem"));
  Bytes id_picc = secure::ta_id_picc_document_number("T22000129");
  Bytes r_picc = from_hex("1122334455667788");
  Bytes comp(32, 0x5A);
  Bytes sig = secure::ta_sign(key, TaAlgorithm::EcdsaSha256, id_picc, r_picc, comp);
  Bytes message = id_picc;
  append(message, r_picc);
  append(message, comp);
  CHECK(cryptopp_verify(*cvca.public_key.domain, is.public_key.point, message, sig));
  message[0] ^= 0x01;
  CHECK_FALSE(cryptopp_verify(*cvca.public_key.domain, is.public_key.point, message, sig));
}

TEST_CASE("CVC: explicit domain parameters OpenSSL has no name for") {
  // brainpoolP256r1 with 2G as base point: a valid group, but no named curve,
  // so the key is imported with explicit parameters. Crypto++ signs with it.
  CvCertificate cvca = cert("cvca");
  EcDomainParameters d = *cvca.public_key.domain;
  auto params = group(d);
  CryptoPP::ECP::Point g2 = params.GetCurve().Double(params.GetSubgroupGenerator());
  d.generator.assign(65, 0);
  params.GetCurve().EncodePoint(d.generator.data(), g2, false);
  CHECK(d.curve_name().empty());

  CryptoPP::AutoSeededRandomPool rng;
  CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PrivateKey priv;
  priv.Initialize(rng, group(d));
  CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PublicKey pub;
  priv.MakePublicKey(pub);
  CvPublicKey key;
  key.oid = ta_oid(TaAlgorithm::EcdsaSha256);
  key.domain = d;
  key.point.assign(65, 0);
  pub.GetGroupParameters().GetCurve().EncodePoint(key.point.data(), pub.GetPublicElement(), false);

  Bytes message = as_bytes_copy("explicit parameters");
  CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::Signer signer(priv);
  Bytes sig(signer.MaxSignatureLength());
  sig.resize(signer.SignMessage(rng, message.data(), message.size(), sig.data()));
  REQUIRE(sig.size() == 64);
  CHECK(ta_verify_signature(key, nullptr, message, sig));
  sig[5] ^= 0x01;
  CHECK_FALSE(ta_verify_signature(key, nullptr, message, sig));
  CHECK(key.describe().find("explicit curve") != std::string::npos);
  // The same point against the real brainpoolP256r1 generator gives a different group.
  CvPublicKey named = key;
  named.domain = *cvca.public_key.domain;
  sig[5] ^= 0x01;
  CHECK_FALSE(ta_verify_signature(named, nullptr, message, sig));
}

}  // namespace test_cvc_cryptopp
