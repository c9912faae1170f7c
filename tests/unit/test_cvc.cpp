// CV certificates and the TEST ONLY EAC PKI of keys-sample/eac: byte-exact
// round trips, strict decoding, signatures, and chain validation with each
// failure an inspection system or a chip must catch.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pki/cvc.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_cvc {

using namespace rcperso;
using namespace rcperso::pki;

namespace {

const char* const kNames[] = {"cvca",      "dv",         "is",       "is-expired",
                              "is-no-dg3", "cvca-other", "dv-other", "is-other"};

std::string eac(const std::string& name, const std::string& file) {
  return (test::source_dir() / "keys-sample" / "eac" / name / file).string();
}
Bytes raw(const std::string& name) { return read_file(eac(name, "cert.cvcert")); }
CvCertificate cert(const std::string& name) { return CvCertificate::load(eac(name, "cert.cvcert")); }
CvPrivateKey key(const std::string& name) { return CvPrivateKey::load_pem(eac(name, "key.pem")); }
Date day(const char* iso) { return *Date::parse_iso(iso); }

CvValidationOptions at(const char* iso, std::uint8_t required = 0, CvDateMode mode = CvDateMode::Host) {
  CvValidationOptions o;
  o.current_date = day(iso);
  o.required_rights = required;
  o.mode = mode;
  return o;
}

// Replaces the first occurrence of `from` in `data` by `to` (same length).
Bytes replace(Bytes data, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  auto it = std::search(data.begin(), data.end(), from.begin(), from.end());
  REQUIRE(it != data.end());
  std::copy(to.begin(), to.end(), it);
  return data;
}

CvFailure failure_of(const CvCertificate& trust, const std::vector<CvCertificate>& chain,
                     const CvValidationOptions& o, std::string* message = nullptr) {
  try {
    (void)validate_cv_chain(trust, chain, o);
  } catch (const CvValidationError& e) {
    if (message != nullptr) *message = e.what();
    return e.failure();
  }
  FAIL("the chain was accepted");
  return CvFailure::Malformed;
}

// A certificate issued by `issuer` (key `issuer_key`) for a fresh key.
CvCertificate issue(const CvCertificate& issuer, const CvPrivateKey& issuer_key,
                    const CvPrivateKey& subject_key, const std::string& chr, CvRole role, std::uint8_t rights,
                    TaAlgorithm alg) {
  CvCertificate c;
  c.car = issuer.chr;
  c.chr = chr;
  c.public_key = subject_key.public_key(alg, false);
  c.chat = Chat::inspection_system(role, rights);
  c.effective = day("2026-11-01");
  c.expiration = day("2029-10-31");
  c.sign(issuer_key, *ta_algorithm_from_oid(issuer.public_key.oid));
  return c;
}

}  // namespace

TEST_CASE("CVC: Terminal Authentication OIDs") {
  CHECK(ta_oid(TaAlgorithm::EcdsaSha256) == "0.4.0.127.0.7.2.2.2.2.3");
  CHECK(ta_oid(TaAlgorithm::RsaPssSha256) == "0.4.0.127.0.7.2.2.2.1.4");
  CHECK(ta_oid(TaAlgorithm::RsaV15Sha512) == "0.4.0.127.0.7.2.2.2.1.5");
  CHECK(ta_algorithm_from_oid("0.4.0.127.0.7.2.2.2.2.5") == TaAlgorithm::EcdsaSha512);
  CHECK_FALSE(ta_algorithm_from_oid("0.4.0.127.0.7.2.2.2.2.6").has_value());
  CHECK(ta_name(TaAlgorithm::RsaV15Sha1) == "id-TA-RSA-v1-5-SHA-1");
  CHECK(ta_hash(TaAlgorithm::EcdsaSha384) == HashAlgorithm::Sha384);
}

TEST_CASE("CVC: CHAT roles and eMRTD rights") {
  Chat c = Chat::inspection_system(CvRole::DvForeign, kReadDg3 | kReadDg4);
  CHECK(c.authorization == Bytes{0x43});
  CHECK(c.role() == CvRole::DvForeign);
  CHECK(c.allows(kReadDg3));
  CHECK(Chat::inspection_system(CvRole::Cvca, kReadDg4).authorization == Bytes{0xC2});
  CHECK(Chat::inspection_system(CvRole::InspectionSystem, kReadDg3).authorization == Bytes{0x01});
  CHECK(Chat::inspection_system(CvRole::DvDomestic, 0).authorization == Bytes{0x80});
  CHECK_THROWS_AS(Chat::inspection_system(CvRole::InspectionSystem, 0x04), Error);
  CHECK(rights_text(kReadDg3 | kReadDg4) == "read DG3 + read DG4");
  CHECK(rights_text(0) == "none");
}

TEST_CASE("CVC: every sample certificate decodes and re-encodes byte for byte") {
  for (const char* name : kNames) {
    CAPTURE(name);
    Bytes der = raw(name);
    CvCertificate c = CvCertificate::decode(der);
    CHECK(c.encode() == der);
    CHECK(CvCertificate::decode(c.encode()) == c);
    CHECK(c.is_test_only());  // TEST ONLY samples say so in the holder mnemonic
    CHECK(c.public_key.oid == ta_oid(TaAlgorithm::EcdsaSha256));
    CHECK(c.chat.oid == kIdIs);
    CHECK(c.signature.size() == 64);
  }
  CvCertificate cvca = cert("cvca");
  CHECK(cvca.chr == "DKTESTCVCA00001");
  CHECK(cvca.self_signed());
  CHECK(cvca.role() == CvRole::Cvca);
  REQUIRE(cvca.public_key.domain.has_value());
  CHECK(cvca.public_key.domain->curve_name() == "brainpoolP256r1");
  CHECK(*cvca.public_key.domain == EcDomainParameters::named("brainpoolP256r1"));
  CHECK(cvca.public_key.domain->cofactor == Bytes{0x01});
  CvCertificate is = cert("is");
  CHECK(is.car == "DKTESTDV00001");
  CHECK(is.chr == "DKTESTIS00001");
  CHECK(is.role() == CvRole::InspectionSystem);
  CHECK(is.chat.rights() == kReadDg3);
  CHECK_FALSE(is.public_key.domain.has_value());
  CHECK(is.public_key.point.size() == 65);
  CHECK(is.effective == day("2026-11-01"));
  CHECK(cert("dv").role() == CvRole::DvDomestic);
  CHECK(cert("is-no-dg3").chat.rights() == kReadDg4);
  std::string text = is.describe();
  CHECK(text.find("CHR:        DKTESTIS00001") != std::string::npos);
  CHECK(text.find("read DG3") != std::string::npos);
}

TEST_CASE("CVC: the decoder is strict") {
  Bytes good = raw("is");
  // Structure: 7F21 len { 7F4E len { 5F29 01 00, 42 len CAR, ... } 5F37 40 sig }.
  REQUIRE(good[0] == 0x7F);
  REQUIRE(good[1] == 0x21);

  SUBCASE("truncated and trailing bytes") {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, good.size() / 2, good.size() - 1}) {
      CHECK_THROWS_AS(CvCertificate::decode(ByteView(good.data(), n)), DecodeError);
    }
    Bytes longer = good;
    longer.push_back(0x00);
    CHECK_THROWS_AS(CvCertificate::decode(longer), DecodeError);
  }
  SUBCASE("wrong outer tag") {
    Bytes b = good;
    b[1] = 0x4E;
    CHECK_THROWS_AS(CvCertificate::decode(b), DecodeError);
  }
  SUBCASE("unknown profile identifier") {
    Bytes b = good;
    const std::uint8_t pid[] = {0x5F, 0x29, 0x01, 0x00};
    auto pos = std::search(b.begin(), b.end(), std::begin(pid), std::end(pid));
    REQUIRE(pos != b.end());
    pos[3] = 0x01;
    CHECK_THROWS_WITH_AS(CvCertificate::decode(b), doctest::Contains("profile identifier"), DecodeError);
  }
  SUBCASE("control character in the CHR") {
    Bytes b = replace(good, "DKTESTIS00001", std::string("DKTESTIS0000") + '\x01');
    CHECK_THROWS_WITH_AS(CvCertificate::decode(b), doctest::Contains("ISO 8859-1"), DecodeError);
  }
  SUBCASE("dates must be unpacked BCD calendar dates") {
    const std::uint8_t eff[] = {0x5F, 0x25, 0x06, 2, 6, 1, 1, 0, 1};
    Bytes b = good;
    auto pos = std::search(b.begin(), b.end(), std::begin(eff), std::end(eff));
    REQUIRE(pos != b.end());
    Bytes bad_bcd = b;
    bad_bcd[static_cast<std::size_t>(pos - b.begin()) + 8] = 0x0A;
    CHECK_THROWS_WITH_AS(CvCertificate::decode(bad_bcd), doctest::Contains("BCD"), DecodeError);
    Bytes bad_day = b;
    bad_day[static_cast<std::size_t>(pos - b.begin()) + 5] = 1;  // 2026-13-01
    bad_day[static_cast<std::size_t>(pos - b.begin()) + 6] = 3;
    CHECK_THROWS_WITH_AS(CvCertificate::decode(bad_day), doctest::Contains("calendar"), DecodeError);
  }
  SUBCASE("non-minimal length") {
    // Rebuild with the CHR length written as 81 0D.
    Bytes b = good;
    const std::uint8_t chr[] = {0x5F, 0x20, 0x0D};
    auto pos = std::search(b.begin(), b.end(), std::begin(chr), std::end(chr));
    REQUIRE(pos != b.end());
    b.insert(pos + 2, 0x81);
    // 7F21 81 LL 7F4E 81 LL: both lengths grow by one.
    REQUIRE(b[2] == 0x81);
    REQUIRE(b[6] == 0x81);
    b[3] = static_cast<std::uint8_t>(b[3] + 1);
    b[7] = static_cast<std::uint8_t>(b[7] + 1);
    CHECK_THROWS_AS(CvCertificate::decode(b), DecodeError);
  }
  SUBCASE("EC domain parameters with a leading zero") {
    CvCertificate c = cert("cvca");
    c.public_key.domain->prime.insert(c.public_key.domain->prime.begin(), 0x00);
    c.public_key.domain->generator.insert(c.public_key.domain->generator.begin() + 1, 0x00);
    c.public_key.domain->generator.insert(c.public_key.domain->generator.begin() + 34, 0x00);
    c.public_key.point.insert(c.public_key.point.begin() + 1, 0x00);
    c.public_key.point.insert(c.public_key.point.begin() + 34, 0x00);
    CHECK_THROWS_WITH_AS(CvCertificate::decode(c.encode()), doctest::Contains("leading 00"), DecodeError);
  }
  SUBCASE("a public key OID that is no TA algorithm") {
    CvCertificate c = cert("is");
    c.public_key.oid = "0.4.0.127.0.7.2.2.3.2.1";
    c.public_key.point.clear();
    c.public_key.modulus = {0x01};
    c.public_key.exponent = {0x03};
    CHECK_THROWS(c.encode());
  }
  SUBCASE("id-IS authorization of two bytes") {
    CvCertificate c = cert("is");
    c.chat.authorization = {0x01, 0x00};
    CHECK_THROWS_WITH_AS(CvCertificate::decode(c.encode()), doctest::Contains("one byte"), DecodeError);
  }
}

TEST_CASE("CVC: certificate extensions are kept verbatim") {
  CvCertificate c = cert("is");
  // A discretionary data template 73 { 06 OID, 80 hash } as TA v2 uses it.
  c.extensions = Bytes{0x73, 0x0B, 0x06, 0x09, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x03, 0x01};
  c.sign(key("dv"), TaAlgorithm::EcdsaSha256);
  Bytes der = c.encode();
  CvCertificate back = CvCertificate::decode(der);
  CHECK(back.extensions == c.extensions);
  CHECK(back.encode() == der);
  CvCertificate cvca = cert("cvca");
  CHECK(back.verify(cert("dv").public_key, &*cvca.public_key.domain));
  c.extensions = Bytes{0x73, 0x05, 0x00};  // malformed content
  CHECK_THROWS_AS(CvCertificate::decode(c.encode()), DecodeError);
}

TEST_CASE("CVC: signatures verify with the issuer's key only") {
  CvCertificate cvca = cert("cvca"), dv = cert("dv"), is = cert("is"), other = cert("cvca-other");
  const EcDomainParameters* dp = &*cvca.public_key.domain;
  CHECK(cvca.verify(cvca.public_key));
  CHECK(dv.verify(cvca.public_key, dp));
  CHECK(is.verify(dv.public_key, dp));
  CHECK_FALSE(dv.verify(other.public_key));
  CHECK_FALSE(is.verify(cvca.public_key));
  // DV and IS keys carry no parameters: without the CVCA's there is nothing to verify with.
  CHECK_THROWS_WITH_AS((void)is.verify(dv.public_key), doctest::Contains("inherited"), Error);
  // Private keys match their certificates.
  CHECK(key("is").public_key(TaAlgorithm::EcdsaSha256, false) == is.public_key);
  CHECK(key("cvca").public_key(TaAlgorithm::EcdsaSha256, true) == cvca.public_key);
}

TEST_CASE("CVC: the sample chain CVCA -> DV -> IS validates") {
  CvCertificate cvca = cert("cvca");
  std::vector<CvCertificate> chain{cert("dv"), cert("is")};
  CvChainResult r = validate_cv_chain(cvca, chain, at("2027-03-01", kReadDg3));
  CHECK(r.role == CvRole::InspectionSystem);
  CHECK(r.effective_rights == kReadDg3);
  CHECK(r.cvca_chr == "DKTESTCVCA00001");
  REQUIRE(r.terminal != nullptr);
  CHECK(r.terminal->chr == "DKTESTIS00001");
  REQUIRE(r.terminal_key.domain.has_value());
  CHECK(r.terminal_key.domain == cvca.public_key.domain);
  CHECK(r.terminal_key.point == chain[1].public_key.point);
  CHECK(r.current_date == day("2027-03-01"));
  CHECK(r.new_trust_points.empty());
  // The other sample CVCA has a chain of its own.
  std::vector<CvCertificate> other{cert("dv-other"), cert("is-other")};
  CHECK(validate_cv_chain(cert("cvca-other"), other, at("2027-03-01", kReadDg3)).effective_rights ==
        kReadDg3);
}

TEST_CASE("CVC: an expired IS certificate is refused") {
  CvCertificate cvca = cert("cvca");
  std::vector<CvCertificate> chain{cert("dv"), cert("is-expired")};
  std::string msg;
  CHECK(failure_of(cvca, chain, at("2027-03-01"), &msg) == CvFailure::Expired);
  CHECK(msg == "IS certificate DKTESTIS00002 expired 2026-11-15 (current date 2027-03-01)");
  // The chip refuses it too, and the same certificate is fine before it expires.
  CHECK(failure_of(cvca, chain, at("2027-03-01", 0, CvDateMode::Chip)) == CvFailure::Expired);
  CHECK_NOTHROW(validate_cv_chain(cvca, chain, at("2026-11-15")));
}

TEST_CASE("CVC: effective dates, host view and chip view") {
  CvCertificate cvca = cert("cvca");
  std::vector<CvCertificate> chain{cert("dv"), cert("is")};
  std::string msg;
  CHECK(failure_of(cvca, chain, at("2026-10-01"), &msg) == CvFailure::NotYetEffective);
  CHECK(msg.find("not yet effective") != std::string::npos);
  // The chip only approximates its date and moves it forward to the DV's effective date.
  CvChainResult r = validate_cv_chain(cvca, chain, at("2026-10-01", 0, CvDateMode::Chip));
  CHECK(r.current_date == day("2026-11-01"));
  // Once the CVCA has expired nothing validates.
  CHECK(failure_of(cvca, chain, at("2036-11-01")) == CvFailure::Expired);
  CHECK(failure_of(cvca, chain, at("2036-11-01", 0, CvDateMode::Chip)) == CvFailure::Expired);
}

TEST_CASE("CVC: a chain from another CVCA is refused") {
  CvCertificate cvca = cert("cvca");
  std::string msg;
  std::vector<CvCertificate> foreign{cert("dv-other"), cert("is-other")};
  CHECK(failure_of(cvca, foreign, at("2027-03-01"), &msg) == CvFailure::WrongIssuer);
  CHECK(msg ==
        "chain does not lead to CVCA DKTESTCVCA00001: DV (domestic) certificate DKTESTDVX00001 was issued by "
        "DKTESTCVCX00001");
  // The foreign IS behind our DV: its CAR names the other DV.
  std::vector<CvCertificate> mixed{cert("dv"), cert("is-other")};
  CHECK(failure_of(cvca, mixed, at("2027-03-01"), &msg) == CvFailure::WrongIssuer);
  CHECK(msg.find("DKTESTDVX00001") != std::string::npos);
  // Same CHR, wrong key: a forged DV with our DV's name but signed by the other CVCA.
  CvCertificate forged = cert("dv-other");
  forged.car = "DKTESTCVCA00001";
  forged.sign(key("cvca-other"), TaAlgorithm::EcdsaSha256);
  std::vector<CvCertificate> forged_chain{forged};
  CHECK(failure_of(cvca, forged_chain, at("2027-03-01")) == CvFailure::BadSignature);
}

TEST_CASE("CVC: an IS without DG3 rights does not get DG3") {
  CvCertificate cvca = cert("cvca");
  std::vector<CvCertificate> chain{cert("dv"), cert("is-no-dg3")};
  CvChainResult r = validate_cv_chain(cvca, chain, at("2027-03-01"));
  CHECK(r.effective_rights == kReadDg4);
  std::string msg;
  CHECK(failure_of(cvca, chain, at("2027-03-01", kReadDg3), &msg) == CvFailure::MissingRights);
  CHECK(msg ==
        "IS certificate DKTESTIS00003 does not grant read DG3 (effective authorization of the chain: read "
        "DG4)");
}

TEST_CASE("CVC: rights are the intersection along the chain") {
  CvCertificate cvca = cert("cvca");
  CvPrivateKey cvca_key = key("cvca");
  CvPrivateKey dv_key = CvPrivateKey::generate_ec("brainpoolP256r1");
  CvPrivateKey is_key = CvPrivateKey::generate_ec("brainpoolP256r1");
  CvCertificate dv =
      issue(cvca, cvca_key, dv_key, "DKTESTDVI0001", CvRole::DvForeign, kReadDg4, TaAlgorithm::EcdsaSha256);
  CvCertificate is = issue(dv, dv_key, is_key, "DKTESTISI0001", CvRole::InspectionSystem, kReadDg3 | kReadDg4,
                           TaAlgorithm::EcdsaSha256);
  std::vector<CvCertificate> chain{dv, is};
  CHECK(validate_cv_chain(cvca, chain, at("2027-03-01")).effective_rights == kReadDg4);
  CHECK(failure_of(cvca, chain, at("2027-03-01", kReadDg3)) == CvFailure::MissingRights);
}

TEST_CASE("CVC: a bad signature and a tampered body are refused") {
  CvCertificate cvca = cert("cvca");
  SUBCASE("signature bit flipped") {
    CvCertificate is = cert("is");
    is.signature[10] ^= 0x01;
    std::vector<CvCertificate> chain{cert("dv"), is};
    std::string msg;
    CHECK(failure_of(cvca, chain, at("2027-03-01"), &msg) == CvFailure::BadSignature);
    CHECK(msg ==
          "IS certificate DKTESTIS00001: signature does not verify with the key of DV (domestic) "
          "certificate DKTESTDV00001");
  }
  SUBCASE("body changed: the holder gives itself DG4 as well") {
    Bytes b = raw("is");
    const std::uint8_t rights[] = {0x53, 0x01, 0x01};
    auto pos = std::search(b.begin(), b.end(), std::begin(rights), std::end(rights));
    REQUIRE(pos != b.end());
    pos[2] = 0x03;
    CvCertificate is = CvCertificate::decode(b);  // still well-formed
    CHECK(is.chat.rights() == (kReadDg3 | kReadDg4));
    std::vector<CvCertificate> chain{cert("dv"), is};
    CHECK(failure_of(cvca, chain, at("2027-03-01")) == CvFailure::BadSignature);
  }
  SUBCASE("body changed: the expiration date moved") {
    CvCertificate is = cert("is-expired");
    is.expiration = day("2030-01-01");
    std::vector<CvCertificate> chain{cert("dv"), is};
    CHECK(failure_of(cvca, chain, at("2027-03-01")) == CvFailure::BadSignature);
  }
  SUBCASE("signature of the wrong length") {
    CvCertificate dv = cert("dv");
    dv.signature.pop_back();
    std::vector<CvCertificate> chain{dv, cert("is")};
    CHECK(failure_of(cvca, chain, at("2027-03-01")) == CvFailure::BadSignature);
  }
}

TEST_CASE("CVC: role order and chain shape") {
  CvCertificate cvca = cert("cvca");
  CvPrivateKey dv_key = key("dv");
  CvCertificate dv = cert("dv");
  std::string msg;
  // A DV that issues another DV.
  CvPrivateKey sub_key = CvPrivateKey::generate_ec("brainpoolP256r1");
  CvCertificate sub =
      issue(dv, dv_key, sub_key, "DKTESTDVS0001", CvRole::DvDomestic, kReadDg3, TaAlgorithm::EcdsaSha256);
  std::vector<CvCertificate> dv_dv{dv, sub};
  CHECK(failure_of(cvca, dv_dv, at("2027-03-01"), &msg) == CvFailure::RoleOrder);
  CHECK(msg.find("must be issued by a CVCA") != std::string::npos);
  // An IS directly under the CVCA.
  CvCertificate direct = issue(cvca, key("cvca"), sub_key, "DKTESTISD0001", CvRole::InspectionSystem,
                               kReadDg3, TaAlgorithm::EcdsaSha256);
  std::vector<CvCertificate> no_dv{direct};
  CHECK(failure_of(cvca, no_dv, at("2027-03-01")) == CvFailure::RoleOrder);
  // A chain that stops at the DV.
  std::vector<CvCertificate> only_dv{dv};
  CHECK(failure_of(cvca, only_dv, at("2027-03-01"), &msg) == CvFailure::RoleOrder);
  CHECK(msg.find("not with a terminal certificate") != std::string::npos);
  CHECK(failure_of(cvca, {}, at("2027-03-01")) == CvFailure::RoleOrder);
  // The trust point must be a CVCA.
  std::vector<CvCertificate> is_only{cert("is")};
  CHECK(failure_of(dv, is_only, at("2027-03-01")) == CvFailure::RoleOrder);
  // DV certificates must not carry domain parameters.
  CvCertificate dv_params = dv;
  dv_params.public_key.domain = cvca.public_key.domain;
  dv_params.sign(key("cvca"), TaAlgorithm::EcdsaSha256);
  std::vector<CvCertificate> with_params{dv_params, cert("is")};
  CHECK(failure_of(cvca, with_params, at("2027-03-01")) == CvFailure::Malformed);
}

TEST_CASE("CVC: CVCA link certificates") {
  CvCertificate cvca = cert("cvca");
  auto make_link = [](const CvCertificate& old_cert, const CvPrivateKey& old_key, const CvPrivateKey& new_key,
                      const std::string& chr, const char* until) {
    CvCertificate link;
    link.car = old_cert.chr;
    link.chr = chr;
    link.public_key = new_key.public_key(TaAlgorithm::EcdsaSha256, true);
    link.chat = Chat::inspection_system(CvRole::Cvca, kReadDg3 | kReadDg4);
    link.effective = day("2026-11-01");
    link.expiration = day(until);
    link.sign(old_key, TaAlgorithm::EcdsaSha256);
    return link;
  };
  CvPrivateKey key2 = CvPrivateKey::generate_ec("brainpoolP256r1");
  CvPrivateKey key3 = CvPrivateKey::generate_ec("brainpoolP256r1");
  CvCertificate link2 = make_link(cvca, key("cvca"), key2, "DKTESTCVCA00002", "2027-01-31");
  CvCertificate link3 = make_link(link2, key2, key3, "DKTESTCVCA00003", "2030-01-31");
  CvPrivateKey dv_key = CvPrivateKey::generate_ec("brainpoolP256r1");
  CvPrivateKey is_key = CvPrivateKey::generate_ec("brainpoolP256r1");
  CvCertificate dv =
      issue(link3, key3, dv_key, "DKTESTDVL0001", CvRole::DvDomestic, kReadDg3, TaAlgorithm::EcdsaSha256);
  CvCertificate is = issue(dv, dv_key, is_key, "DKTESTISL0001", CvRole::InspectionSystem, kReadDg3,
                           TaAlgorithm::EcdsaSha256);
  std::vector<CvCertificate> chain{link2, link3, dv, is};
  CvChainResult r = validate_cv_chain(cvca, chain, at("2027-01-15", kReadDg3));
  CHECK(r.cvca_chr == "DKTESTCVCA00003");
  REQUIRE(r.new_trust_points.size() == 2);
  CHECK(r.new_trust_points[0]->chr == "DKTESTCVCA00002");
  CHECK(r.new_trust_points[1]->chr == "DKTESTCVCA00003");
  CHECK(r.effective_rights == kReadDg3);
  // After link2 expired the chip still accepts it on the way to link3; the host does not.
  CHECK(validate_cv_chain(cvca, chain, at("2027-03-01", kReadDg3, CvDateMode::Chip)).cvca_chr ==
        "DKTESTCVCA00003");
  CHECK(failure_of(cvca, chain, at("2027-03-01")) == CvFailure::Expired);
  // An expired CVCA key no longer verifies DV certificates, not even on the chip.
  CvCertificate dv2 =
      issue(link2, key2, dv_key, "DKTESTDVL0002", CvRole::DvDomestic, kReadDg3, TaAlgorithm::EcdsaSha256);
  CvCertificate is2 = issue(dv2, dv_key, is_key, "DKTESTISL0002", CvRole::InspectionSystem, kReadDg3,
                            TaAlgorithm::EcdsaSha256);
  std::vector<CvCertificate> via_expired{link2, dv2, is2};
  std::string msg;
  CHECK(failure_of(cvca, via_expired, at("2027-03-01", 0, CvDateMode::Chip), &msg) == CvFailure::Expired);
  CHECK(msg.find("no longer verifies DV certificates") != std::string::npos);
  // The DV issued under a newer CVCA key does not verify without the link certificates.
  std::vector<CvCertificate> skipped{dv, is};
  CHECK(failure_of(cvca, skipped, at("2027-01-15")) == CvFailure::WrongIssuer);
}

TEST_CASE("CVC: RSA chains (v1.5 and PSS)") {
  for (TaAlgorithm alg : {TaAlgorithm::RsaV15Sha256, TaAlgorithm::RsaPssSha256}) {
    CAPTURE(ta_name(alg));
    CvPrivateKey ca_key = CvPrivateKey::generate_rsa(2048);
    CvCertificate ca;
    ca.car = ca.chr = "DKTESTRSA00001";
    ca.public_key = ca_key.public_key(alg, true);
    ca.chat = Chat::inspection_system(CvRole::Cvca, kReadDg3);
    ca.effective = day("2026-11-01");
    ca.expiration = day("2030-01-01");
    ca.sign(ca_key, alg);
    CHECK(ca.signature.size() == 256);
    Bytes der = ca.encode();
    CHECK(CvCertificate::decode(der).encode() == der);
    CHECK(ca.public_key.exponent == Bytes{0x01, 0x00, 0x01});
    CHECK(ca.public_key.describe().find("RSA 2048 bit") == 0);
    CvPrivateKey dv_key = CvPrivateKey::generate_rsa(2048);
    CvPrivateKey is_key = CvPrivateKey::generate_rsa(2048);
    CvCertificate dv = issue(ca, ca_key, dv_key, "DKTESTRSADV001", CvRole::DvDomestic, kReadDg3, alg);
    CvCertificate is = issue(dv, dv_key, is_key, "DKTESTRSAIS001", CvRole::InspectionSystem, kReadDg3, alg);
    std::vector<CvCertificate> chain{dv, is};
    CHECK(validate_cv_chain(ca, chain, at("2027-03-01", kReadDg3)).effective_rights == kReadDg3);
    chain[1].signature[0] ^= 0x80;
    CHECK(failure_of(ca, chain, at("2027-03-01")) == CvFailure::BadSignature);
    // An EC key under an RSA CVCA breaks the one-algorithm rule.
    CvCertificate mixed = issue(ca, ca_key, CvPrivateKey::generate_ec("brainpoolP256r1"), "DKTESTMIX0001",
                                CvRole::DvDomestic, kReadDg3, TaAlgorithm::EcdsaSha256);
    std::vector<CvCertificate> mixed_chain{mixed, is};
    CHECK(failure_of(ca, mixed_chain, at("2027-03-01")) == CvFailure::AlgorithmMismatch);
  }
}

TEST_CASE("CVC: private keys stay in PEM and fit only their algorithm") {
  CvPrivateKey k = key("is");
  SecureBytes pem = k.to_pem();
  std::string head(pem.begin(), pem.begin() + 27);
  CHECK(head == "-----BEGIN PRIVATE KEY-----");
  CvPrivateKey again = CvPrivateKey::from_pem(pem);
  CHECK(again.public_key(TaAlgorithm::EcdsaSha256, false) == k.public_key(TaAlgorithm::EcdsaSha256, false));
  CHECK_THROWS_AS(k.sign(TaAlgorithm::RsaPssSha256, Bytes{1, 2, 3}), Error);
  CHECK_THROWS_AS(CvPrivateKey::load_pem(eac("is", "cert.cvcert")), Error);
  CHECK_THROWS_AS(CvPrivateKey::generate_ec("noSuchCurve"), Error);
}

TEST_CASE("CVC: EF.CVCA") {
  Bytes one = encode_ef_cvca({"DKTESTCVCA00001"});
  CHECK(one.size() == 36);
  CHECK(to_hex_upper(Bytes(one.begin(), one.begin() + 17)) ==
        "420F" + to_hex_upper(as_bytes("DKTESTCVCA00001")));
  CHECK(std::all_of(one.begin() + 17, one.end(), [](std::uint8_t b) { return b == 0; }));
  CHECK(decode_ef_cvca(one) == std::vector<std::string>{"DKTESTCVCA00001"});
  Bytes two = encode_ef_cvca({"DKTESTCVCA00002", "DKTESTCVCA00001"});
  CHECK(decode_ef_cvca(two) == std::vector<std::string>{"DKTESTCVCA00002", "DKTESTCVCA00001"});
  CHECK(decode_ef_cvca(Bytes(one.begin(), one.begin() + 17)).size() == 1);  // unpadded
  Bytes dirty = one;
  dirty[30] = 0x01;
  CHECK_THROWS_AS(decode_ef_cvca(dirty), DecodeError);
  CHECK_THROWS_AS(decode_ef_cvca(Bytes(36, 0x00)), DecodeError);
  Bytes longer = one;
  longer.push_back(0x00);
  CHECK_THROWS_AS(decode_ef_cvca(longer), DecodeError);
  CHECK_THROWS_AS(decode_ef_cvca(Bytes{0x42, 0x05, 0x44}), DecodeError);
  CHECK_THROWS_AS(encode_ef_cvca({}), Error);
  CHECK_THROWS_AS(encode_ef_cvca({"A", "B", "C"}), Error);
}

TEST_CASE("CVC: TEST ONLY holder references") {
  CvCertificate c = cert("is");
  CHECK(c.is_test_only());
  c.chr = "DKBORDER00001";
  CHECK_FALSE(c.is_test_only());
  c.chr = "DKIS0TEST";  // TEST in the sequence number does not count
  CHECK_FALSE(c.is_test_only());
}

TEST_CASE("CVC: chip view, the current date follows accurate certificates only") {
  CvCertificate cvca = cert("cvca");
  CvPrivateKey cvca_key = key("cvca");
  for (CvRole dv_role : {CvRole::DvDomestic, CvRole::DvForeign}) {
    CAPTURE(role_name(dv_role));
    CvPrivateKey dv_key = CvPrivateKey::generate_ec("brainpoolP256r1");
    CvPrivateKey is_key = CvPrivateKey::generate_ec("brainpoolP256r1");
    CvCertificate dv =
        issue(cvca, cvca_key, dv_key, "DKTESTDVA0001", dv_role, kReadDg3, TaAlgorithm::EcdsaSha256);
    CvCertificate is;
    is.car = dv.chr;
    is.chr = "DKTESTISA0001";
    is.public_key = is_key.public_key(TaAlgorithm::EcdsaSha256, false);
    is.chat = Chat::inspection_system(CvRole::InspectionSystem, kReadDg3);
    is.effective = day("2027-06-01");
    is.expiration = day("2028-06-01");
    is.sign(dv_key, TaAlgorithm::EcdsaSha256);
    std::vector<CvCertificate> chain{dv, is};
    CvChainResult r = validate_cv_chain(cvca, chain, at("2026-10-01", kReadDg3, CvDateMode::Chip));
    // A terminal certificate from a domestic DV is accurate and moves the date; a foreign one does not.
    CHECK(r.current_date == day(dv_role == CvRole::DvDomestic ? "2027-06-01" : "2026-11-01"));
  }
}

}  // namespace test_cvc
