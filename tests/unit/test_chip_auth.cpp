// Chip Authentication v1: DG14's typed entries (BSI sample and our own), chip
// key pairs and their file, the profile's rules, and the host's CA against
// rcsim's chip in-process, including a cloned chip.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "card/chip_session.hpp"
#include "core/error.hpp"
#include "issuance/chip_keys.hpp"
#include "issuance/document_profile.hpp"
#include "lds/security_dg.hpp"
#include "lds/security_infos.hpp"
#include "rcsim/chip.hpp"
#include "secure/chip_auth.hpp"
#include "sim_transport.hpp"
#include "test_support.hpp"
#include "tlv/tlv.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_chip_auth {

using namespace rcperso;

TEST_CASE(
    "DG14 of the BSI sample: one Chip Authentication offer, 3DES, brainpoolP224r1 with explicit parameters") {
  auto dg14 = lds::Dg14::decode(
      read_file((test::source_dir() / "tests/data/bsi-2008-sample-lds/Datagroup14.bin").string()));
  auto offers = lds::chip_authentication_offers(dg14);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].info.protocol == "0.4.0.127.0.7.2.2.3.2.1");
  CHECK(offers[0].info.version == 1);
  CHECK(offers[0].key.protocol == lds::kIdPkEcdh);
  CHECK(secure::describe_ec_key(offers[0].key.subject_public_key_info) == "brainpoolP224r1 (224 bit)");
  auto protocol = secure::chip_authentication_protocol(offers[0].info.protocol);
  CHECK(protocol.cipher == secure::SmCipher::Tdes);
  // Each entry re-encodes byte for byte.
  for (const auto& si : dg14.infos) {
    if (lds::is_chip_authentication_info(si.protocol))
      CHECK(lds::ChipAuthenticationInfo::decode(si.encoded).encode() == si.encoded);
    if (si.protocol == lds::kIdPkEcdh)
      CHECK(lds::ChipAuthenticationPublicKeyInfo::decode(si.encoded).encode() == si.encoded);
  }
}

TEST_CASE("Chip Authentication entries: strict decoding") {
  lds::ChipAuthenticationInfo info{"0.4.0.127.0.7.2.2.3.2.2", 1, 7};
  CHECK(lds::ChipAuthenticationInfo::decode(info.encode()).key_id == 7U);
  lds::ChipAuthenticationInfo v3{"0.4.0.127.0.7.2.2.3.2.2", 3, std::nullopt};
  CHECK_THROWS_WITH_AS(lds::ChipAuthenticationInfo::decode(v3.encode()), doctest::Contains("version 3"),
                       DecodeError);
  lds::ChipAuthenticationInfo pace{"0.4.0.127.0.7.2.2.4.2.2", 1, std::nullopt};
  CHECK_THROWS_AS(lds::ChipAuthenticationInfo::decode(pace.encode()), DecodeError);
  // An info whose keyId names no key.
  auto pair = secure::generate_chip_ec_key("brainpoolP256r1");
  lds::ChipAuthenticationPublicKeyInfo key{lds::kIdPkEcdh, pair.subject_public_key_info, 1};
  auto dg14 = lds::build_dg14({key.encode(), info.encode()});
  CHECK_THROWS_WITH_AS(lds::chip_authentication_offers(dg14), doctest::Contains("no matching"), DecodeError);
  CHECK_FALSE(
      secure::chip_authentication_protocol("0.4.0.127.0.7.2.2.3.1.2").ecdh);  // DH: test_chip_auth_dh.cpp
}

TEST_CASE("chip key pairs: explicit parameters, the private key matches, a stranger's does not") {
  auto a = secure::generate_chip_ec_key("brainpoolP256r1");
  auto b = secure::generate_chip_ec_key("brainpoolP256r1");
  CHECK(a.private_key.size() == 32);
  CHECK(secure::chip_key_matches(a.subject_public_key_info, a.private_key));
  CHECK(secure::chip_key_matches(b.subject_public_key_info, b.private_key));
  CHECK_FALSE(secure::chip_key_matches(a.subject_public_key_info, b.private_key));
  // The later keys' encodings reuse the first's parameters: each is what OpenSSL itself encodes.
  for (const auto* pair : {&a, &b}) {
    const auto& spki = pair->subject_public_key_info;
    const unsigned char* p = spki.data();
    EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
    REQUIRE(key != nullptr);
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(key, &der);
    CHECK(Bytes(der, der + len) == spki);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
  }
  auto domain = secure::ec_domain_of(a.subject_public_key_info);
  CHECK(domain.prime.size() == 32);
  CHECK(domain.generator.size() == 65);
  CHECK(domain.cofactor == Bytes{0x01});
  // Explicit parameters (TR-03110-3 A.2.1.2): the prime-field OID is there, the curve's OID is not.
  std::string der = to_hex_upper(a.subject_public_key_info);
  CHECK(der.find("2A8648CE3D0101") != std::string::npos);      // prime-field
  CHECK(der.find("2B2403030208010107") == std::string::npos);  // brainpoolP256r1
  CHECK(secure::describe_ec_key(a.subject_public_key_info) == "brainpoolP256r1 (256 bit)");
  CHECK_FALSE(secure::is_supported_chip_curve("no-such-curve"));
  CHECK_THROWS_AS(secure::generate_chip_ec_key("sect163k1"), Error);
}

TEST_CASE("chip key files: private, tied to their document, refused when open to others, erased") {
  test::TempDir dir;
  issuance::ChipKeys keys;
  keys.chip_authentication = secure::generate_chip_ec_key("brainpoolP256r1").private_key;
  auto path = dir / "card.keys";
  issuance::write_chip_keys(keys, "RC0012345", path);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(issuance::read_chip_keys(path, "RC0012345").chip_authentication == keys.chip_authentication);
  CHECK_THROWS_WITH_AS(issuance::read_chip_keys(path, "RC0099999"),
                       doctest::Contains("belong to document RC0012345"), Error);
  CHECK_THROWS_WITH_AS(issuance::write_chip_keys(keys, "RC0012345", path),
                       doctest::Contains("never overwritten"), Error);
  ::chmod(path.c_str(), 0644);
  CHECK_THROWS_WITH_AS(issuance::read_chip_keys(path, "RC0012345"), doctest::Contains("must be private"),
                       Error);
  ::chmod(path.c_str(), 0600);
  issuance::erase_chip_keys(path);
  CHECK_FALSE(std::filesystem::exists(path));
  // A malformed file names its line.
  { std::ofstream(dir / "bad.keys") << "format rcperso-chip-keys/1\ndocument X\nchip_authentication 12G4\n"; }
  ::chmod((dir / "bad.keys").c_str(), 0600);
  CHECK_THROWS_WITH_AS(issuance::read_chip_keys(dir / "bad.keys", "X"), doctest::Contains("line 3"), Error);
}

TEST_CASE(
    "document profile: Chip Authentication needs DG14 and a prime curve; DG14 needs something to hold") {
  std::ifstream in(test::source_dir() / "profiles/documents/dk-residence-card.json");
  auto base = nlohmann::json::parse(in);
  auto dk = issuance::DocumentProfile::from_json(base, "dk");
  REQUIRE(dk.chip_authentication);
  CHECK(dk.chip_authentication->curve == "brainpoolP256r1");
  auto no_dg14 = base;
  no_dg14["data_groups"] = {1, 2, 3, 7, 11, 12};
  CHECK_THROWS_WITH_AS(issuance::DocumentProfile::from_json(no_dg14, "p"), doctest::Contains("needs DG14"),
                       ValidationError);
  auto no_ca = base;
  no_ca["chip_authentication"] = nullptr;
  CHECK_THROWS_WITH_AS(issuance::DocumentProfile::from_json(no_ca, "p"),
                       doctest::Contains("DG14 is written only"), ValidationError);
  auto bad_curve = base;
  bad_curve["chip_authentication"]["curve"] = "sect163k1";
  CHECK_THROWS_WITH_AS(issuance::DocumentProfile::from_json(bad_curve, "p"),
                       doctest::Contains("chip_authentication.curve"), ValidationError);
  auto dh = base;
  dh["chip_authentication"]["protocol"] = "0.4.0.127.0.7.2.2.3.1.2";
  CHECK_THROWS_WITH_AS(issuance::DocumentProfile::from_json(dh, "p"), doctest::Contains("give \"dh_group\""),
                       ValidationError);
}

namespace {

/// A locked-down chip with a CA key, read through BAC (to keep the test about CA).
struct CaChip {
  explicit CaChip(bool cloned) {
    rcsim::ChipOptions o;
    o.cloned = cloned;
    chip = std::make_unique<rcsim::Chip>(o);
    transport = std::make_unique<test::SimTransport>(*chip);
    pair = secure::generate_chip_ec_key("brainpoolP256r1");
    auto send = [&](const std::string& hex_apdu) { return chip->process(from_hex(hex_apdu)); };
    send("00A4040C07A0000002471001");
    // One file so there is something to SELECT, the BAC seed, then the CA key (tags 81-87).
    send("00E0000010620E8002001E8201018302011E8801F0");  // EF.COM, 30 bytes
    send("00DA00621D621B0409" + to_hex(as_bytes("L898902C<")) + "0406" + to_hex(as_bytes("690806")) + "0406" +
         to_hex(as_bytes("940623")));
    auto d = secure::ec_domain_of(pair.subject_public_key_info);
    tlv::Writer key;
    key.add(0x81, d.prime)
        .add(0x82, d.a)
        .add(0x83, d.b)
        .add(0x84, d.generator)
        .add(0x85, d.order)
        .add(0x86, Bytes(pair.private_key.begin(), pair.private_key.end()))
        .add(0x87, d.cofactor);
    Bytes put = from_hex("00DA0063");
    put.push_back(static_cast<std::uint8_t>(key.bytes().size()));
    append(put, key.bytes());
    REQUIRE(chip->process(put) == from_hex("9000"));
  }
  std::unique_ptr<rcsim::Chip> chip;
  std::unique_ptr<test::SimTransport> transport;
  secure::ChipKeyPair pair;
};

}  // namespace

TEST_CASE("host Chip Authentication against rcsim: AES and 3DES pass; a cloned chip fails with the reason") {
  for (const char* oid : {"0.4.0.127.0.7.2.2.3.2.2", "0.4.0.127.0.7.2.2.3.2.4", "0.4.0.127.0.7.2.2.3.2.1"}) {
    CAPTURE(oid);
    CaChip genuine(false);
    card::ChipSession session(*genuine.transport, card::ReadLimits{});
    session.select_application(
        iso7816::CommandApdu{0x00, 0xA4, 0x04, 0x0C, from_hex("A0000002471001"), std::nullopt});
    session.open_bac(secure::bac_keys("L898902C<369080619406236"));
    auto how = session.chip_authentication(secure::chip_authentication_protocol(oid),
                                           genuine.pair.subject_public_key_info, std::nullopt);
    CHECK(how.find("brainpoolP256r1") != std::string::npos);
    CHECK(session.secured());
    CHECK(session.select_file(0x011E) == 0x9000);  // the new keys keep working
    CHECK(session.chip_authentication_terminal_key().size() == 32);

    CaChip clone(true);
    card::ChipSession s2(*clone.transport, card::ReadLimits{});
    s2.select_application(
        iso7816::CommandApdu{0x00, 0xA4, 0x04, 0x0C, from_hex("A0000002471001"), std::nullopt});
    s2.open_bac(secure::bac_keys("L898902C<369080619406236"));
    CHECK_THROWS_WITH_AS(s2.chip_authentication(secure::chip_authentication_protocol(oid),
                                                clone.pair.subject_public_key_info, std::nullopt),
                         doctest::Contains("does not hold the private key of DG14"), card::AccessDenied);
  }
  // Without an open channel the chip refuses.
  CaChip plain(false);
  card::ChipSession s3(*plain.transport, card::ReadLimits{});
  CHECK_THROWS_AS(s3.chip_authentication(secure::chip_authentication_protocol("0.4.0.127.0.7.2.2.3.2.2"),
                                         plain.pair.subject_public_key_info, std::nullopt),
                  Error);
}

TEST_CASE("rcsim's Chip Authentication arithmetic reproduces the BSI EAC worked example's shared secret K") {
  // brainpoolP256r1 domain parameters as the host sends them (tags 81-85, 87), the example's static key.
  auto d = secure::ec_domain_of(secure::generate_chip_ec_key("brainpoolP256r1").subject_public_key_info);
  rcsim::ChipAuthKey key{d.prime,
                         d.a,
                         d.b,
                         d.generator,
                         d.order,
                         d.cofactor,
                         from_hex("7984674CF3B3A524BF929CE8A67FCF22173DA0BAD595EED6DEB72D22C542FA9D")};
  REQUIRE(rcsim::valid_chip_auth_key(key));
  Bytes terminal = from_hex(
      "045A7A377FC9CAFC03AC7FF45441A8B2909D88EAB8E6B0173847AB49B949DF3799A34EE57EC55268CF8B1C3EC489F8BF4CF4C6"
      "8D3FD9"
      "670E89C0D5D3FFF1AAF89F");
  CHECK(to_hex_upper(rcsim::chip_auth_shared_secret(key, terminal)) ==
        "791DA04273CCFE862E52DF60347E2557192E1F8D7517822CE3D306056C1CDEB4");
  terminal[10] ^= 1;  // off the curve
  CHECK(rcsim::chip_auth_shared_secret(key, terminal).empty());
  key.private_key = d.order;  // out of range
  CHECK_FALSE(rcsim::valid_chip_auth_key(key));
}

}  // namespace test_chip_auth
