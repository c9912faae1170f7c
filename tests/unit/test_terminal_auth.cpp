// Terminal Authentication v1, host side: the command data of MSE:Set DST,
// PSO:Verify Certificate and MSE:Set AT, Comp(), and the EXTERNAL
// AUTHENTICATE signature made by the terminal and checked as the chip would.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "pki/cvc.hpp"
#include "secure/terminal_auth.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_terminal_auth {

using namespace rcperso;
using namespace rcperso::pki;
using namespace rcperso::secure;

namespace {

std::string eac(const std::string& name, const std::string& file) {
  return (test::source_dir() / "keys-sample" / "eac" / name / file).string();
}
CvCertificate cert(const std::string& name) { return CvCertificate::load(eac(name, "cert.cvcert")); }
CvPrivateKey key(const std::string& name) { return CvPrivateKey::load_pem(eac(name, "key.pem")); }

CvChainResult sample_chain(std::vector<CvCertificate>& chain, const std::string& is = "is") {
  chain = {cert("dv"), cert(is)};
  CvValidationOptions o;
  o.current_date = *Date::parse_iso("2027-03-01");
  return validate_cv_chain(cert("cvca"), chain, o);
}

// An ephemeral Chip Authentication key of the terminal (any brainpoolP256r1 point will do).
Bytes ephemeral_point() {
  return CvPrivateKey::generate_ec("brainpoolP256r1").public_key(TaAlgorithm::EcdsaSha256, false).point;
}

}  // namespace

TEST_CASE("TA: MSE:Set DST, PSO:Verify Certificate and MSE:Set AT data") {
  CvCertificate dv = cert("dv"), is = cert("is");
  CHECK(to_hex_upper(ta_mse_set_dst_data(dv.car)) == "830F" + to_hex_upper(as_bytes("DKTESTCVCA00001")));
  // PSO:Verify Certificate carries the content of 7F21: body and signature.
  Bytes der = is.encode();
  Bytes pso = ta_verify_certificate_data(is);
  REQUIRE(der.size() > pso.size());
  CHECK(Bytes(der.end() - static_cast<std::ptrdiff_t>(pso.size()), der.end()) == pso);
  CHECK(pso[0] == 0x7F);
  CHECK(pso[1] == 0x4E);
  CHECK(ta_parse_verify_certificate_data(pso) == is);
  CHECK_THROWS_AS(ta_parse_verify_certificate_data(Bytes(pso.begin(), pso.end() - 1)), DecodeError);
  Bytes extra = pso;
  append(extra, Bytes{0x5F, 0x37, 0x00});
  CHECK_THROWS_AS(ta_parse_verify_certificate_data(extra), DecodeError);
  CHECK(to_hex_upper(ta_mse_set_at_data(is)) ==
        "800A04007F00070202020203830D" + to_hex_upper(as_bytes("DKTESTIS00001")));
  CHECK(to_hex_upper(ta_mse_set_at_data(is, false)) == "830D" + to_hex_upper(as_bytes("DKTESTIS00001")));
  CHECK_THROWS_AS(ta_mse_set_at_data(dv), Error);  // a DV does not authenticate
  CHECK_THROWS_AS(ta_mse_set_dst_data(""), Error);
}

TEST_CASE("TA: the command sequence") {
  std::vector<CvCertificate> chain{cert("dv"), cert("is")};
  auto cmds = ta_commands(chain);
  REQUIRE(cmds.size() == 5);
  CHECK(to_hex_upper(Bytes{cmds[0].ins, cmds[0].p1, cmds[0].p2}) == "2281B6");
  CHECK(cmds[0].data == ta_mse_set_dst_data("DKTESTCVCA00001"));
  CHECK(to_hex_upper(Bytes{cmds[1].ins, cmds[1].p1, cmds[1].p2}) == "2A00BE");
  CHECK(cmds[1].data == ta_verify_certificate_data(chain[0]));
  CHECK(cmds[2].data == ta_mse_set_dst_data("DKTESTDV00001"));
  CHECK(cmds[3].data == ta_verify_certificate_data(chain[1]));
  CHECK(to_hex_upper(Bytes{cmds[4].ins, cmds[4].p1, cmds[4].p2}) == "2281A4");
  CHECK(cmds[4].data == ta_mse_set_at_data(chain[1]));
  for (const auto& c : cmds) CHECK_FALSE(c.le.has_value());  // MSE and PSO carry no Le
  auto gc = ta_get_challenge();
  CHECK(gc.encode() == from_hex("0084000008"));
  CHECK(ta_external_authenticate(Bytes{0xAA, 0xBB}).encode() == from_hex("0082000002AABB"));
  CHECK_THROWS_AS(ta_commands({}), Error);
}

TEST_CASE("TA: Comp() and ID_PICC") {
  Bytes point = ephemeral_point();
  Bytes x = ta_compress_ec(point);
  CHECK(x.size() == 32);
  CHECK(x == Bytes(point.begin() + 1, point.begin() + 33));
  CHECK_THROWS_AS(ta_compress_ec(Bytes{0x02, 0x01, 0x02}), Error);
  CHECK_THROWS_AS(ta_compress_ec(Bytes(64, 0x04)), Error);
  CHECK(to_hex_upper(ta_compress_dh(as_bytes("abc"))) == "A9993E364706816ABA3E25717850C26C9CD0D89D");
  CHECK(ta_id_picc_document_number("L898902C<3") == from_hex("4C383938393032433C33"));
  CHECK_THROWS_AS(ta_id_picc_document_number("l898902c3"), Error);
  CHECK(ta_id_picc_pace_ec(point) == x);
}

TEST_CASE("TA: EXTERNAL AUTHENTICATE signature made by the terminal, checked as the chip does") {
  std::vector<CvCertificate> chain;
  CvChainResult r = sample_chain(chain);
  CvPrivateKey is_key = key("is");
  Bytes id_picc = ta_compress_ec(ephemeral_point());  // dynamic binding: Comp(chip's PACE key)
  Bytes r_picc = from_hex("0102030405060708");
  Bytes comp = ta_compress_ec(ephemeral_point());
  Bytes sig = ta_sign(is_key, r.terminal_key.algorithm(), id_picc, r_picc, comp);
  CHECK(sig.size() == 64);  // plain r || s
  CHECK(ta_verify(r.terminal_key, id_picc, r_picc, comp, sig));

  Bytes other_r = from_hex("0102030405060709");
  CHECK_FALSE(ta_verify(r.terminal_key, id_picc, other_r, comp, sig));
  Bytes other_comp = comp;
  other_comp[0] ^= 0x01;
  CHECK_FALSE(ta_verify(r.terminal_key, id_picc, r_picc, other_comp, sig));
  Bytes other_id = id_picc;
  other_id.back() ^= 0x01;
  CHECK_FALSE(ta_verify(r.terminal_key, other_id, r_picc, comp, sig));
  Bytes bad = sig;
  bad[40] ^= 0x01;
  CHECK_FALSE(ta_verify(r.terminal_key, id_picc, r_picc, comp, bad));
  CHECK_FALSE(ta_verify(r.terminal_key, id_picc, r_picc, comp, Bytes(sig.begin(), sig.end() - 1)));
  CHECK_FALSE(ta_verify(r.terminal_key, id_picc, Bytes(7, 0), comp, sig));  // r_PICC is 8 bytes

  // Another terminal's key (the IS without DG3) does not produce a valid signature for DKTESTIS00001.
  Bytes wrong = ta_sign(key("is-no-dg3"), TaAlgorithm::EcdsaSha256, id_picc, r_picc, comp);
  CHECK_FALSE(ta_verify(r.terminal_key, id_picc, r_picc, comp, wrong));
  // The certificate's key alone lacks the curve: the chain result fills it in.
  CHECK_THROWS_AS(ta_verify(chain[1].public_key, id_picc, r_picc, comp, sig), Error);
  CHECK_THROWS_AS(ta_sign(is_key, TaAlgorithm::EcdsaSha256, id_picc, Bytes(9, 0), comp), Error);
}

TEST_CASE("TA: BAC binding with the document number, and RSA-PSS where the OID says so") {
  Bytes id_picc = ta_id_picc_document_number("T22000129");
  Bytes r_picc = from_hex("F0E1D2C3B4A59687");
  Bytes comp = ta_compress_ec(ephemeral_point());
  CvPrivateKey rsa = CvPrivateKey::generate_rsa(2048);
  for (TaAlgorithm alg : {TaAlgorithm::RsaPssSha256, TaAlgorithm::RsaV15Sha256, TaAlgorithm::RsaPssSha512}) {
    CAPTURE(ta_name(alg));
    CvPublicKey pub = rsa.public_key(alg, false);
    Bytes sig = ta_sign(rsa, alg, id_picc, r_picc, comp);
    CHECK(sig.size() == 256);
    CHECK(ta_verify(pub, id_picc, r_picc, comp, sig));
    r_picc[0] ^= 0x01;
    CHECK_FALSE(ta_verify(pub, id_picc, r_picc, comp, sig));
    r_picc[0] ^= 0x01;
  }
  // A PSS signature is no v1.5 signature.
  Bytes pss = ta_sign(rsa, TaAlgorithm::RsaPssSha256, id_picc, r_picc, comp);
  CHECK_FALSE(ta_verify(rsa.public_key(TaAlgorithm::RsaV15Sha256, false), id_picc, r_picc, comp, pss));
}

}  // namespace test_terminal_auth
