// PKCS#11 URIs (RFC 7512) and the Document Signer in a SoftHSM2 token
// (tests/support/softhsm_token.hpp builds a token of its own for this process).
#include <doctest/doctest.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/openssl_ptr.hpp"
#include "lds/sod.hpp"
#include "pki/certificate.hpp"
#include "pki/passive_auth.hpp"
#include "pki/pkcs11_module.hpp"
#include "pki/pkcs11_uri.hpp"
#include "pki/signer.hpp"
#include "pki/sod_builder.hpp"
#include "softhsm_token.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_pkcs11 {

using namespace rcperso;

namespace {

std::string keys(const std::string& name) { return (test::source_dir() / "keys-sample" / name).string(); }

ByteView bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// OpenSSL's verdict on a CMS-form signature with the certificate's public key.
bool verifies(const Bytes& cert_der, ByteView message, const Bytes& signature, pki::HashAlgorithm hash,
              pki::SignatureScheme scheme) {
  auto cert = pki::parse_certificate(cert_der, "test certificate");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok =
      EVP_DigestVerifyInit(ctx.get(), &pctx, pki::evp_md(hash), nullptr, X509_get0_pubkey(cert.get())) == 1;
  if (ok && scheme == pki::SignatureScheme::RsaPss) {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, static_cast<int>(pki::hash_size(hash))) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, pki::evp_md(hash)) == 1;
  }
  ok = ok &&
       EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

/// One SoftHSM2 token for this process. SoftHSM2 itself leaks a few bytes while generating key pairs
/// (inside libsofthsm2.so), so a child builds the token with LeakSanitizer off: the ASan run of these
/// tests still checks our code for leaks.
const test::SoftHsmToken& shared_token() {
  static std::mutex mutex;
  static std::unique_ptr<test::TempDir> dir;
  static test::SoftHsmToken token;
  std::lock_guard lock(mutex);
  if (!dir) {
    dir = std::make_unique<test::TempDir>();
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::string options = std::string(asan != nullptr ? asan : "") + ":detect_leaks=0";
    std::string command = "ASAN_OPTIONS='" + options + "' " RCPERSO_BIN_DIR "/rcperso_make_softhsm_token '" +
                          (dir->path() / "hsm").string() + "' >'" + (dir->path() / "log").string() + "' 2>&1";
    if (std::system(command.c_str()) != 0) {
      throw std::runtime_error("building the SoftHSM2 test token failed: " + command);
    }
    token = test::softhsm_token_at(dir->path() / "hsm");
    ::setenv("SOFTHSM2_CONF", token.conf().c_str(), 1);
  }
  return token;
}

std::string error_of(const std::string& spec) {
  try {
    pki::open_signer(spec);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("PKCS#11 URI: every attribute parses and percent-decodes") {
  auto uri = pki::parse_pkcs11_uri(
      "pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.;serial=42;model=HSM%"
      "20v2;"
      "object=ds%3Bkey;id=%01%A0%ff;type=private;library-manufacturer=Acme;library-description=Acme%20lib;"
      "library-version=2.6;slot-id=1987978121;slot-description=Slot%200;slot-manufacturer=Acme"
      "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin|x");
  CHECK(uri.token == "Software PKCS#11 softtoken");
  CHECK(uri.manufacturer == "Snake Oil, Inc.");
  CHECK(uri.serial == "42");
  CHECK(uri.model == "HSM v2");
  CHECK(uri.object == "ds;key");
  CHECK(uri.id == Bytes{0x01, 0xA0, 0xFF});
  CHECK(uri.type == "private");
  CHECK(uri.library_manufacturer == "Acme");
  CHECK(uri.library_description == "Acme lib");
  CHECK(uri.library_version == "2.6");
  CHECK(uri.slot_id == 1987978121U);
  CHECK(uri.slot_description == "Slot 0");
  CHECK(uri.slot_manufacturer == "Acme");
  CHECK(uri.module_path == "/usr/lib/softhsm/libsofthsm2.so");
  CHECK(uri.pin_source == "file:/run/pin|x");
  CHECK_FALSE(uri.pin_value);
  // The normal form parses back to the same attributes.
  auto again = pki::parse_pkcs11_uri(uri.to_string());
  CHECK(again.to_string() == uri.to_string());
  CHECK(again.object == "ds;key");
  CHECK(again.id == uri.id);
  CHECK(pki::parse_pkcs11_uri("pkcs11:").to_string() == "pkcs11:");
  CHECK(pki::parse_pkcs11_uri("pkcs11:object=a&b").object == "a&b");  // '&' is plain in the path
  CHECK(pki::parse_pkcs11_uri("pkcs11:?module-name=softhsm2").module_name == "softhsm2");
}

TEST_CASE("PKCS#11 URI: refusals name the attribute") {
  auto refused = [](const std::string& text) {
    try {
      pki::parse_pkcs11_uri(text);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK(refused("pkcs11:object=a;object=b").find("'object': given twice") != std::string::npos);
  CHECK(refused("pkcs11:?pin-value=1&pin-value=2").find("'pin-value': given twice") != std::string::npos);
  CHECK(refused("pkcs11:objekt=a").find("'objekt': unknown path attribute") != std::string::npos);
  CHECK(refused("pkcs11:?pin=1234").find("'pin': unknown query attribute") != std::string::npos);
  CHECK(refused("pkcs11:x-vendor=1").find("'x-vendor'") != std::string::npos);
  CHECK(refused("pkcs11:token=a%2").find("'token': a '%' escape needs two hex digits") != std::string::npos);
  CHECK(refused("pkcs11:token=a%").find("'token'") != std::string::npos);
  CHECK(refused("pkcs11:id=%G1").find("'id': a '%' escape") != std::string::npos);
  CHECK(refused("pkcs11:token=a b").find("'token': character 0x20 must be percent-encoded") !=
        std::string::npos);
  CHECK(refused("pkcs11:object=a/b").find("'object': character 0x2F") !=
        std::string::npos);  // '/' only in a query
  CHECK(refused("pkcs11:token=%00").find("'token': contains a NUL byte") != std::string::npos);
  CHECK(refused("pkcs11:type=secret").find("'type': must be") != std::string::npos);
  CHECK(refused("pkcs11:slot-id=12a").find("'slot-id'") != std::string::npos);
  CHECK(refused("pkcs11:slot-id=").find("'slot-id'") != std::string::npos);
  CHECK(refused("pkcs11:library-version=2.x").find("'library-version'") != std::string::npos);
  CHECK(refused("pkcs11:library-version=256").find("'library-version'") != std::string::npos);
  CHECK(refused("pkcs11:?module-path=lib.so").find("'module-path': must be an absolute path") !=
        std::string::npos);
  CHECK(refused("pkcs11:?module-name=a/b").find("'module-name'") != std::string::npos);
  CHECK(refused("pkcs11:?pin-value=1&pin-source=file:/p").find("either pin-value or pin-source") !=
        std::string::npos);
  CHECK(refused("pkcs11:token").find("name=value") != std::string::npos);
  CHECK(refused("pkcs11:=x").find("name=value") != std::string::npos);
  CHECK(refused("pkcs11:Token=x").find("lower-case") != std::string::npos);
  CHECK(refused("pkcs11:token=a#b").find("%23") != std::string::npos);
  CHECK(refused("pkcs:token=a").find("must start with 'pkcs11:'") != std::string::npos);
  CHECK(refused("pkcs11:token=" + std::string(5000, 'a')).find("longer than 4096") != std::string::npos);
}

TEST_CASE("PKCS#11 URI: a PIN is never printed back") {
  const std::string secret_pin = "Sesam7%20Oeffne";
  auto uri = pki::parse_pkcs11_uri("pkcs11:token=t;object=k?pin-value=" + secret_pin);
  REQUIRE(uri.pin_value);
  CHECK(std::string(uri.pin_value->begin(), uri.pin_value->end()) == "Sesam7 Oeffne");
  CHECK(uri.to_string() == "pkcs11:token=t;object=k");
  CHECK(pki::printable_signer_spec("pkcs11:token=t;object=k?pin-value=" + secret_pin) ==
        "pkcs11:token=t;object=k");
  // Malformed: the whole URI is withheld, it may hold the PIN.
  std::string broken = "pkcs11:token=t?pin-value=" + secret_pin + "&pin-value=again";
  CHECK(pki::printable_signer_spec(broken).find("Sesam") == std::string::npos);
  try {
    pki::parse_pkcs11_uri("pkcs11:?pin-value=Sesam7%zz");
    FAIL("accepted a bad escape");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("Sesam") == std::string::npos);
    CHECK(std::string(e.what()).find("'pin-value'") != std::string::npos);
  }
  try {
    pki::parse_pkcs11_uri("pkcs11:?Sesam7");
    FAIL("accepted a query without '='");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("Sesam") == std::string::npos);
  }
  CHECK(pki::printable_signer_spec("keys-sample/ds-ec") == "keys-sample/ds-ec");
}

TEST_CASE(
    "PKCS#11 signer: ECDSA, RSA PKCS#1 v1.5 and PSS signatures verify against the token's certificate") {
  const auto& token = shared_token();
  std::string message = "the LDS security object, or anything else";
  struct Case {
    const char* object;
    pki::SignatureScheme scheme;
    pki::HashAlgorithm hash;
  };
  for (Case c : {Case{"ds-ec", pki::SignatureScheme::Ecdsa, pki::HashAlgorithm::Sha256},
                 Case{"ds-ec", pki::SignatureScheme::Ecdsa, pki::HashAlgorithm::Sha384},
                 Case{"ds-hsm", pki::SignatureScheme::Ecdsa, pki::HashAlgorithm::Sha256},
                 Case{"ds-hsm", pki::SignatureScheme::Ecdsa, pki::HashAlgorithm::Sha512},
                 Case{"ds-rsa", pki::SignatureScheme::RsaPkcs1v15, pki::HashAlgorithm::Sha256},
                 Case{"ds-rsa", pki::SignatureScheme::RsaPkcs1v15, pki::HashAlgorithm::Sha512},
                 Case{"ds-rsa", pki::SignatureScheme::RsaPss, pki::HashAlgorithm::Sha256},
                 Case{"ds-rsa", pki::SignatureScheme::RsaPss, pki::HashAlgorithm::Sha384},
                 Case{"ds-rsa", pki::SignatureScheme::RsaPss, pki::HashAlgorithm::Sha1}}) {
    CAPTURE(c.object);
    CAPTURE(pki::scheme_name(c.scheme));
    CAPTURE(pki::hash_name(c.hash));
    auto signer = pki::open_signer(token.uri(c.object));
    Bytes sig = signer->sign(bytes_of(message), c.hash, c.scheme);
    CHECK(verifies(signer->certificate_der(), bytes_of(message), sig, c.hash, c.scheme));
    CHECK_FALSE(verifies(signer->certificate_der(), bytes_of(message + "!"), sig, c.hash, c.scheme));
  }
  auto ec = pki::open_signer(token.uri("ds-ec"));
  CHECK(ec->key_type() == "EC brainpoolP256r1 (256 bit) in PKCS#11 token 'rcperso-test'");
  CHECK_FALSE(ec->is_rsa());
  CHECK(ec->is_test_key());
  CHECK(ec->certificate_der() == pki::open_signer(keys("ds-ec"))->certificate_der());
  CHECK_THROWS_WITH_AS(ec->sign(bytes_of(message), pki::HashAlgorithm::Sha256, pki::SignatureScheme::RsaPss),
                       doctest::Contains("does not fit"), Error);
  auto rsa = pki::open_signer(token.uri("ds-rsa"));
  CHECK(rsa->is_rsa());
  CHECK(rsa->key_type() == "RSA 3072 bit in PKCS#11 token 'rcperso-test'");
  // The key made inside the token has a TEST ONLY certificate from the sample CSCA.
  auto hsm = pki::open_signer(token.uri("ds-hsm"));
  CHECK(hsm->is_test_key());
  CHECK(pki::describe_certificate(hsm->certificate_der()).subject.find("Document Signer HSM TEST ONLY") !=
        std::string::npos);
}

TEST_CASE("PKCS#11 signer: EF.SOD is byte for byte the file signer's (RSA PKCS#1 v1.5 is deterministic)") {
  const auto& token = shared_token();
  lds::LdsSecurityObject lso;
  lso.version = 1;
  lso.lds_version_info = std::make_pair("0108", "040000");
  lso.hash_algorithm_oid = pki::hash_oid(pki::HashAlgorithm::Sha256);
  std::map<int, Bytes> dgs{{1, Bytes(95, 0x41)}, {2, Bytes(3000, 0x42)}};
  for (const auto& [dg, data] : dgs)
    lso.hashes.push_back({dg, pki::digest(pki::HashAlgorithm::Sha256, data)});
  auto file = pki::open_signer(keys("ds-rsa"));
  auto hsm = pki::open_signer(token.uri("ds-rsa"));
  const std::time_t when = 1790000000;
  Bytes from_file =
      pki::build_sod(lso, *file, pki::HashAlgorithm::Sha256, pki::SignatureScheme::RsaPkcs1v15, when);
  Bytes from_token =
      pki::build_sod(lso, *hsm, pki::HashAlgorithm::Sha256, pki::SignatureScheme::RsaPkcs1v15, when);
  CHECK(from_file == from_token);

  // And an ECDSA EF.SOD from the key generated in the token passes Passive Authentication.
  auto generated = pki::open_signer(token.uri("ds-hsm"));
  Bytes sod_bytes =
      pki::build_sod(lso, *generated, pki::HashAlgorithm::Sha256, pki::SignatureScheme::Ecdsa, when);
  auto sod = lds::Sod::decode(sod_bytes);
  auto cscas = pki::load_certificates(keys("csca-ec.pem"));
  pki::PassiveAuthInput in;
  in.sod = &sod;
  in.data_groups = dgs;
  in.com_data_groups = std::vector<int>{1, 2};
  for (auto& c : cscas) in.cscas.push_back(c.get());
  std::string failures;
  for (const auto& check : pki::passive_authentication(in)) {
    if (check.status == Status::Fail) failures += check.name + ": " + check.detail + "\n";
  }
  CHECK_MESSAGE(failures.empty(), failures);
}

TEST_CASE("sign() from several threads at once, token and file signer") {
  const auto& token = shared_token();
  for (const std::string& spec : {token.uri("ds-ec"), token.uri("ds-rsa"), keys("ds-ec")}) {
    CAPTURE(spec);
    auto signer = pki::open_signer(spec);
    auto scheme = signer->is_rsa() ? pki::SignatureScheme::RsaPss : pki::SignatureScheme::Ecdsa;
    std::atomic<int> good{0};
    std::atomic<int> bad{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&, t] {
        for (int i = 0; i < 8; ++i) {
          std::string message = "card " + std::to_string(t) + "/" + std::to_string(i);
          try {
            Bytes sig = signer->sign(bytes_of(message), pki::HashAlgorithm::Sha256, scheme);
            bool ok = verifies(signer->certificate_der(), bytes_of(message), sig, pki::HashAlgorithm::Sha256,
                               scheme);
            (ok ? good : bad)++;
          } catch (const Error&) {
            bad++;
          }
        }
      });
    }
    for (auto& w : workers) w.join();
    CHECK(good == 32);
    CHECK(bad == 0);
  }
}

TEST_CASE("PKCS#11 signer: clear errors") {
  const auto& token = shared_token();
  std::string base = "pkcs11:token=" + token.label + ";object=";
  std::string module = "module-path=" + token.module;
  std::string pin = "&pin-source=file:" + token.pin_file().string();
  CHECK(error_of(base + "ds-ec?" + module + "&pin-value=000000").find("wrong PIN for token 'rcperso-test'") !=
        std::string::npos);
  CHECK(error_of(base + "ds-ec?" + module + "&pin-value=000000").find("000000") == std::string::npos);
  CHECK(error_of(base + "no-such-key?" + module + pin).find("no such private key on token 'rcperso-test'") !=
        std::string::npos);
  CHECK(error_of("pkcs11:token=other;object=ds-ec?" + module + pin).find("no such token") !=
        std::string::npos);
  CHECK(error_of("pkcs11:token=other;object=ds-ec?" + module + pin).find("'rcperso-test'") !=
        std::string::npos);
  CHECK(error_of(base + "ds-nocert?" + module + pin).find("no certificate on token") != std::string::npos);
  CHECK(error_of(base + "ds-mismatch?" + module + pin).find("does not belong to its certificate") !=
        std::string::npos);
  CHECK(error_of(base + "ds-ec?" + module).find("needs the user PIN") != std::string::npos);
  CHECK(error_of(base + "ds-ec;type=cert?" + module + pin).find("'type' must be private") !=
        std::string::npos);
  CHECK(error_of("pkcs11:token=" + token.label + "?" + module + pin).find("object=") != std::string::npos);
  CHECK(error_of(base + "ds-ec?module-path=/no/such/module.so" + pin).find("PKCS#11 module not found") !=
        std::string::npos);
  CHECK(error_of(base + "ds-ec?module-path=/etc/hostname" + pin).find("cannot load the PKCS#11 module") !=
        std::string::npos);
  CHECK(
      error_of(base + "ds-ec?" + module + "&pin-source=file:/no/such/pin").find("cannot read the PIN file") !=
      std::string::npos);
  CHECK(error_of(base + "ds-ec?" + module + "&pin-source=|/bin/echo").find("only file:PATH") !=
        std::string::npos);
  CHECK(error_of(base + "ds-ec;library-manufacturer=Nobody?" + module + pin)
            .find("not the library the URI names") != std::string::npos);
  CHECK(error_of(base + "ds-ed25519?" + module + pin).find("unsupported key type") != std::string::npos);
  CHECK(error_of(base + "ds-ec;id=%01?" + module + pin) == "(no error)");
  CHECK(error_of(base + "ds-ec;id=%02?" + module + pin).find("no such private key") != std::string::npos);
}

TEST_CASE("PKCS#11 signer: two names for one module share its initialisation") {
  const auto& token = shared_token();
  std::string link = "/usr/lib/softhsm/libsofthsm2.so";
  std::error_code ec;
  REQUIRE_MESSAGE(std::filesystem::is_symlink(link, ec), link << " is expected to be Debian's symlink");
  std::string real = std::filesystem::canonical(link).string();
  std::string uri = "pkcs11:token=" + token.label + ";object=ds-ec?pin-value=" + token.pin + "&module-path=";
  auto by_link = pki::open_signer(uri + link);
  auto by_file = pki::open_signer(uri + real);
  by_link.reset();  // must not finalise the module under the other signer's feet
  std::string message = "still signing";
  Bytes sig = by_file->sign(bytes_of(message), pki::HashAlgorithm::Sha256, pki::SignatureScheme::Ecdsa);
  CHECK(verifies(by_file->certificate_der(), bytes_of(message), sig, pki::HashAlgorithm::Sha256,
                 pki::SignatureScheme::Ecdsa));
}

TEST_CASE("PKCS#11 signer: a locked PIN is named as such") {
  // SoftHSM2 never locks a PIN; a fake module answers C_Login with CKR_PIN_LOCKED.
  std::string uri = std::string("pkcs11:token=fake-locked;object=ds?module-path=") + RCPERSO_FAKE_PKCS11 +
                    "&pin-value=123456";
  CHECK(error_of(uri).find("the user PIN of token 'fake-locked' is locked (CKR_PIN_LOCKED)") !=
        std::string::npos);
  CHECK(error_of(uri).find("123456") == std::string::npos);
}

TEST_CASE("PKCS#11 signer: PIN sources") {
  const auto& token = shared_token();
  std::string uri = "pkcs11:token=" + token.label + ";object=ds-ec?module-path=" + token.module;
  CHECK_NOTHROW(pki::open_signer(uri + "&pin-value=" + token.pin));
  test::TempDir dir;
  dir.write_text("pin", token.pin);  // no final newline
  CHECK_NOTHROW(pki::open_signer(uri + "&pin-source=file://" + (dir / "pin").string()));
  dir.write_text("two-lines", token.pin + "\n" + token.pin + "\n");
  CHECK(error_of(uri + "&pin-source=file:" + (dir / "two-lines").string()).find("more than one line") !=
        std::string::npos);
  ::setenv(pki::pkcs11::kPinEnv, token.pin.c_str(), 1);
  CHECK_NOTHROW(pki::open_signer(uri));
  ::setenv(pki::pkcs11::kPinEnv, "111111", 1);
  CHECK(error_of(uri).find("wrong PIN") != std::string::npos);
  ::unsetenv(pki::pkcs11::kPinEnv);
  // module-name, alone (Debian's module directories) and in a module-path directory.
  std::string by_name = "pkcs11:token=" + token.label + ";object=ds-ec?pin-value=" + token.pin;
  CHECK_NOTHROW(pki::open_signer(by_name + "&module-name=softhsm2"));
  CHECK_NOTHROW(pki::open_signer(by_name + "&module-name=softhsm2&module-path=" +
                                 std::filesystem::path(token.module).parent_path().string()));
  CHECK(error_of(by_name + "&module-name=no-such-module")
            .find("'module-name': no module libno-such-module.so") != std::string::npos);
  // Without module-path: $RCPERSO_PKCS11_MODULE, then SoftHSM2's module.
  ::setenv(pki::pkcs11::kModuleEnv, "/no/such/module.so", 1);
  CHECK(error_of("pkcs11:token=" + token.label + ";object=ds-ec?pin-value=" + token.pin)
            .find("/no/such/module.so") != std::string::npos);
  ::unsetenv(pki::pkcs11::kModuleEnv);
}

TEST_CASE("PKCS#11: the key pair made in the token cannot be read out of it") {
  const auto& token = shared_token();
  auto module = pki::pkcs11::Module::load(token.module);
  CK_FUNCTION_LIST* api = module->api();
  CK_ULONG count = 0;
  REQUIRE(api->C_GetSlotList(CK_TRUE, nullptr, &count) == CKR_OK);
  std::vector<CK_SLOT_ID> slots(count);
  REQUIRE(api->C_GetSlotList(CK_TRUE, slots.data(), &count) == CKR_OK);
  std::optional<CK_SLOT_ID> slot;
  for (CK_SLOT_ID s : slots) {
    CK_TOKEN_INFO info{};
    if (api->C_GetTokenInfo(s, &info) == CKR_OK &&
        pki::pkcs11::padded_field(info.label, sizeof info.label) == token.label) {
      slot = s;
    }
  }
  REQUIRE(slot);
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  REQUIRE(api->C_OpenSession(*slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session) == CKR_OK);
  std::string pin = token.pin;
  CHECK(api->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size()) == CKR_OK);
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  std::string label = "ds-hsm";
  auto keys_found = pki::pkcs11::find_objects(
      api, session, {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, label.data(), label.size()}});
  REQUIRE(keys_found.size() == 1);
  CHECK_FALSE(pki::pkcs11::attribute(api, session, keys_found[0], CKA_VALUE));  // sensitive: refused
  CHECK(pki::pkcs11::attribute(api, session, keys_found[0], CKA_SENSITIVE) == Bytes{CK_TRUE});
  CHECK(pki::pkcs11::attribute(api, session, keys_found[0], CKA_EXTRACTABLE) == Bytes{CK_FALSE});
  CHECK(pki::pkcs11::attribute(api, session, keys_found[0], CKA_NEVER_EXTRACTABLE) == Bytes{CK_TRUE});
  api->C_CloseSession(session);
}

}  // namespace test_pkcs11
