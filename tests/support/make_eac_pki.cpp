// Writes the TEST ONLY EAC PKI (CV certificates, BSI TR-03110-3) used by the
// tests into DIR (keys-sample/eac), one directory per certificate holder with
// cert.cvcert (binary) and key.pem (PKCS#8):
//
//   rcperso_make_eac_pki DIR
//   rcperso_make_eac_pki --rsa DIR   (an RSA chain, made fresh by the tests that need it)
//
// cvca        DKTESTCVCA00001  CVCA, brainpoolP256r1, id-TA-ECDSA-SHA-256, self-signed
// dv          DKTESTDV00001    domestic DV under cvca
// is          DKTESTIS00001    IS under dv, read DG3 (fingerprints)
// is-expired  DKTESTIS00002    IS under dv, expired 2026-11-15
// is-no-dg3   DKTESTIS00003    IS under dv, read DG4 only
// cvca-other  DKTESTCVCX00001  a second, unrelated CVCA
// dv-other    DKTESTDVX00001   DV under cvca-other
// is-other    DKTESTISX00001   IS under dv-other, read DG3
//
// With --rsa, RSA-2048 keys and id-TA-RSA-PSS-SHA-256 instead (not kept in keys-sample):
//
// cvca-rsa    DKTESTRSACA001   CVCA, self-signed
// dv-rsa      DKTESTRSADV001   domestic DV under cvca-rsa
// is-rsa      DKTESTRSAIS001   IS under dv-rsa, read DG3
//
// Every holder mnemonic contains TEST: these keys are public.
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/date.hpp"
#include "core/error.hpp"
#include "pki/cvc.hpp"

namespace {

using namespace rcperso;
using pki::CvRole;

constexpr auto kAlg = pki::TaAlgorithm::EcdsaSha256;
const char* const kCurve = "brainpoolP256r1";

Date date(const char* iso) { return *Date::parse_iso(iso); }

struct Holder {
  pki::CvPrivateKey key;
  pki::CvCertificate cert;
};

void write_file(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw Error("cannot write " + path.string());
  bool ok = std::fwrite(data, 1, size, f) == size;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) throw Error("cannot write " + path.string());
}

void save(const std::filesystem::path& dir, const std::string& name, const Holder& h) {
  auto d = dir / name;
  std::filesystem::create_directories(d);
  Bytes der = h.cert.encode();
  // What we write must read back to the same bytes.
  if (pki::CvCertificate::decode(der).encode() != der)
    throw Error(name + ": certificate does not round-trip");
  write_file(d / "cert.cvcert", der.data(), der.size());
  SecureBytes pem = h.key.to_pem();
  write_file(d / "key.pem", pem.data(), pem.size());
  std::filesystem::permissions(d / "key.pem",
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::printf("%-11s %s\n", name.c_str(), h.cert.chr.c_str());
}

bool g_rsa = false;  // --rsa: RSA-2048 keys with id-TA-RSA-PSS-SHA-256

pki::TaAlgorithm algorithm() { return g_rsa ? pki::TaAlgorithm::RsaPssSha256 : kAlg; }
pki::CvPrivateKey new_key() {
  return g_rsa ? pki::CvPrivateKey::generate_rsa(2048) : pki::CvPrivateKey::generate_ec(kCurve);
}

Holder make_cvca(const std::string& chr, const Date& from, const Date& to) {
  Holder h{new_key(), {}};
  h.cert.car = chr;
  h.cert.chr = chr;
  h.cert.public_key = h.key.public_key(algorithm(), true);
  h.cert.chat = pki::Chat::inspection_system(CvRole::Cvca, pki::kReadDg3 | pki::kReadDg4);
  h.cert.effective = from;
  h.cert.expiration = to;
  h.cert.sign(h.key, algorithm());
  return h;
}

Holder make_issued(const Holder& issuer, const std::string& chr, CvRole role, std::uint8_t rights,
                   const Date& from, const Date& to) {
  Holder h{new_key(), {}};
  h.cert.car = issuer.cert.chr;
  h.cert.chr = chr;
  h.cert.public_key = h.key.public_key(algorithm(), false);  // EC parameters are inherited from the CVCA
  h.cert.chat = pki::Chat::inspection_system(role, rights);
  h.cert.effective = from;
  h.cert.expiration = to;
  h.cert.sign(issuer.key, algorithm());
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  g_rsa = argc == 3 && std::string(argv[1]) == "--rsa";
  if (argc != 2 && !g_rsa) {
    std::fprintf(stderr, "usage: %s [--rsa] DIR\n", argv[0]);
    return 2;
  }
  try {
    std::filesystem::path dir = argv[argc - 1];
    const Date start = date("2026-11-01");
    const std::uint8_t all = pki::kReadDg3 | pki::kReadDg4;
    if (g_rsa) {
      Holder cvca = make_cvca("DKTESTRSACA001", start, date("2036-10-31"));
      Holder dv = make_issued(cvca, "DKTESTRSADV001", CvRole::DvDomestic, all, start, date("2031-10-31"));
      Holder is = make_issued(dv, "DKTESTRSAIS001", CvRole::InspectionSystem, pki::kReadDg3, start,
                              date("2029-10-31"));
      save(dir, "cvca-rsa", cvca);
      save(dir, "dv-rsa", dv);
      save(dir, "is-rsa", is);
      return 0;
    }

    Holder cvca = make_cvca("DKTESTCVCA00001", start, date("2036-10-31"));
    Holder dv = make_issued(cvca, "DKTESTDV00001", CvRole::DvDomestic, all, start, date("2031-10-31"));
    Holder is =
        make_issued(dv, "DKTESTIS00001", CvRole::InspectionSystem, pki::kReadDg3, start, date("2029-10-31"));
    Holder expired =
        make_issued(dv, "DKTESTIS00002", CvRole::InspectionSystem, pki::kReadDg3, start, date("2026-11-15"));
    Holder no_dg3 =
        make_issued(dv, "DKTESTIS00003", CvRole::InspectionSystem, pki::kReadDg4, start, date("2029-10-31"));
    Holder other = make_cvca("DKTESTCVCX00001", start, date("2036-10-31"));
    Holder other_dv =
        make_issued(other, "DKTESTDVX00001", CvRole::DvDomestic, all, start, date("2031-10-31"));
    Holder other_is = make_issued(other_dv, "DKTESTISX00001", CvRole::InspectionSystem, pki::kReadDg3, start,
                                  date("2029-10-31"));

    save(dir, "cvca", cvca);
    save(dir, "dv", dv);
    save(dir, "is", is);
    save(dir, "is-expired", expired);
    save(dir, "is-no-dg3", no_dg3);
    save(dir, "cvca-other", other);
    save(dir, "dv-other", other_dv);
    save(dir, "is-other", other_is);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rcperso_make_eac_pki: %s\n", e.what());
    return 1;
  }
  return 0;
}
