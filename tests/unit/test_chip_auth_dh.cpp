// Chip Authentication v1 over DH: chip keys in the RFC 5114 groups, DG14 with
// a dhpublicnumber key, the profile's rules, rcsim's arithmetic (short public
// values, subgroup checks, K padded to the length of p), and the host's CA
// against rcsim's chip in-process for every group, AES and 3DES, genuine and
// cloned; then the whole issuance with a CA-DH profile.
#include <doctest/doctest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "card/chip_session.hpp"
#include "card/personalize.hpp"
#include "core/error.hpp"
#include "issuance/application.hpp"
#include "issuance/document_profile.hpp"
#include "issuance/prepare.hpp"
#include "lds/dg1.hpp"
#include "lds/security_dg.hpp"
#include "lds/security_infos.hpp"
#include "mrz/mrz.hpp"
#include "pki/signer.hpp"
#include "rcsim/chip.hpp"
#include "rcsim/chip_auth.hpp"
#include "rcsim/chip_crypto.hpp"
#include "secure/chip_auth.hpp"
#include "secure/pace.hpp"
#include "sim_transport.hpp"
#include "test_support.hpp"
#include "tlv/tlv.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_chip_auth_dh {

using namespace rcperso;

namespace {

constexpr const char* kCaDh3Des = "0.4.0.127.0.7.2.2.3.1.1";
constexpr const char* kCaDhAes128 = "0.4.0.127.0.7.2.2.3.1.2";
constexpr const char* kCaDhAes256 = "0.4.0.127.0.7.2.2.3.1.4";

rcsim::ChipAuthKey rcsim_key(const secure::ChipKeyPair& pair) {
  auto d = secure::dh_domain_of(pair.subject_public_key_info);
  rcsim::ChipAuthKey key;
  key.dh = true;
  key.prime = d.prime;
  key.order = d.order;
  key.generator = d.generator;
  key.private_key.assign(pair.private_key.begin(), pair.private_key.end());
  return key;
}

/// PUT DATA 67 as personalization sends it: 81 p, 82 q, 83 g, 84 x, in one extended APDU.
Bytes put_dh_key(const secure::ChipKeyPair& pair) {
  auto d = secure::dh_domain_of(pair.subject_public_key_info);
  tlv::Writer key;
  key.add(0x81, d.prime)
      .add(0x82, d.order)
      .add(0x83, d.generator)
      .add(0x84, Bytes(pair.private_key.begin(), pair.private_key.end()));
  return iso7816::CommandApdu{0x00, 0xDA, 0x00, 0x67, key.bytes(), std::nullopt}.encode();
}

/// A chip with a DH CA key and one file, read through BAC (to keep the test about CA).
struct CaDhChip {
  CaDhChip(const secure::ChipKeyPair& key_pair, bool cloned) : pair(key_pair) {
    rcsim::ChipOptions o;
    o.cloned = cloned;
    chip = std::make_unique<rcsim::Chip>(o);
    transport = std::make_unique<test::SimTransport>(*chip);
    auto send = [&](const std::string& hex_apdu) { return chip->process(from_hex(hex_apdu)); };
    send("00A4040C07A0000002471001");
    send("00E0000010620E8002001E8201018302011E8801F0");  // EF.COM, 30 bytes
    send("00DA00621D621B0409" + to_hex(as_bytes("L898902C<")) + "0406" + to_hex(as_bytes("690806")) + "0406" +
         to_hex(as_bytes("940623")));
    REQUIRE(chip->process(put_dh_key(pair)) == from_hex("9000"));
  }
  std::unique_ptr<card::ChipSession> open() {
    auto session = std::make_unique<card::ChipSession>(*transport, card::ReadLimits{});
    session->select_application(
        iso7816::CommandApdu{0x00, 0xA4, 0x04, 0x0C, from_hex("A0000002471001"), std::nullopt});
    session->open_bac(secure::bac_keys("L898902C<369080619406236"));
    return session;
  }
  secure::ChipKeyPair pair;
  std::unique_ptr<rcsim::Chip> chip;
  std::unique_ptr<test::SimTransport> transport;
};

const secure::ChipKeyPair& key_in_group(int group) {
  static std::map<int, secure::ChipKeyPair> keys;
  auto it = keys.find(group);
  if (it == keys.end()) it = keys.emplace(group, secure::generate_chip_dh_key(group)).first;
  return it->second;
}

}  // namespace

TEST_CASE("id-CA-DH-* protocols: family and cipher") {
  auto tdes = secure::chip_authentication_protocol(kCaDh3Des);
  CHECK_FALSE(tdes.ecdh);
  CHECK(tdes.cipher == secure::SmCipher::Tdes);
  auto aes = secure::chip_authentication_protocol(kCaDhAes128);
  CHECK_FALSE(aes.ecdh);
  CHECK(aes.key_bits == 128);
  CHECK(secure::chip_authentication_protocol("0.4.0.127.0.7.2.2.3.1.3").key_bits == 192);
  CHECK(secure::chip_authentication_protocol(kCaDhAes256).key_bits == 256);
  CHECK(secure::chip_authentication_protocol("0.4.0.127.0.7.2.2.3.2.2").ecdh);
  CHECK_THROWS_AS(secure::chip_authentication_protocol("0.4.0.127.0.7.2.2.3.1.5"), Error);
  CHECK_THROWS_AS(secure::chip_authentication_protocol("0.4.0.127.0.7.2.2.3.1.22"), Error);
}

TEST_CASE("chip DH keys: dhpublicnumber with p, g, q of the RFC 5114 groups; the private key matches") {
  struct Group {
    int id;
    std::size_t p_bytes, q_bytes;
    const char* name;
  };
  for (Group g : {Group{0, 128, 20, "MODP 1024/160"}, Group{1, 256, 28, "MODP 2048/224"},
                  Group{2, 256, 32, "MODP 2048/256"}}) {
    CAPTURE(g.id);
    const auto& a = key_in_group(g.id);
    CHECK(secure::is_dh_chip_key(a.subject_public_key_info));
    CHECK(to_hex_upper(a.subject_public_key_info).find("2A8648CE3E0201") !=
          std::string::npos);  // dhpublicnumber
    CHECK(a.private_key.size() == g.q_bytes);
    auto d = secure::dh_domain_of(a.subject_public_key_info);
    CHECK(d.prime.size() == g.p_bytes);
    CHECK(d.generator.size() == g.p_bytes);
    CHECK(d.order.size() == g.q_bytes);
    CHECK(secure::dh_public_value(a.subject_public_key_info).size() == g.p_bytes);
    CHECK(secure::describe_chip_key(a.subject_public_key_info) ==
          std::string(g.name) + " (RFC 5114, parameter ID " + std::to_string(g.id) + ")");
    CHECK(secure::chip_key_matches(a.subject_public_key_info, a.private_key));
    auto stranger = secure::generate_chip_dh_key(g.id);
    CHECK_FALSE(secure::chip_key_matches(a.subject_public_key_info, stranger.private_key));
    CHECK_FALSE(
        secure::chip_key_matches(a.subject_public_key_info, SecureBytes(d.order.begin(), d.order.end())));
    CHECK(rcsim::valid_chip_auth_key(rcsim_key(a)));
  }
  CHECK_FALSE(
      secure::is_dh_chip_key(secure::generate_chip_ec_key("brainpoolP256r1").subject_public_key_info));
  CHECK_FALSE(secure::is_supported_chip_dh_group(3));
  CHECK_THROWS_AS(secure::generate_chip_dh_key(3), Error);
  CHECK_THROWS_AS(
      secure::dh_domain_of(secure::generate_chip_ec_key("brainpoolP256r1").subject_public_key_info), Error);
}

TEST_CASE("DG14 with a DH Chip Authentication key: id-PK-DH entry round-trips and is offered") {
  const auto& pair = key_in_group(1);
  lds::ChipAuthenticationPublicKeyInfo key{lds::kIdPkDh, pair.subject_public_key_info, std::nullopt};
  lds::ChipAuthenticationInfo info{kCaDhAes128, 1, std::nullopt};
  auto dg14 = lds::Dg14::decode(lds::build_dg14({key.encode(), info.encode()}).encode());
  for (const auto& si : dg14.infos) {
    if (si.protocol == lds::kIdPkDh)
      CHECK(lds::ChipAuthenticationPublicKeyInfo::decode(si.encoded).encode() == si.encoded);
  }
  auto offers = lds::chip_authentication_offers(dg14);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].info.protocol == kCaDhAes128);
  CHECK(offers[0].key.protocol == lds::kIdPkDh);
  CHECK(offers[0].key.subject_public_key_info == pair.subject_public_key_info);
  // A DH protocol with an EC key, and the other way round, are refused before any command.
  CHECK_THROWS_WITH_AS(
      secure::ChipAuthentication(secure::chip_authentication_protocol(kCaDhAes128),
                                 secure::generate_chip_ec_key("brainpoolP256r1").subject_public_key_info),
      doctest::Contains("not a DH key"), Error);
  CHECK_THROWS_WITH_AS(
      secure::ChipAuthentication(secure::chip_authentication_protocol("0.4.0.127.0.7.2.2.3.2.2"),
                                 pair.subject_public_key_info),
      doctest::Contains("not an elliptic-curve key"), Error);
}

// tests/data/doc9303-sample-dg14-dh.hex: JMRTD's samples/doc9303/spec_sample_encoded_dg14.bin, labelled
// there a Doc 9303 specification sample (its ICAO/BSI origin is not confirmed).
TEST_CASE("DG14 of the Doc 9303 sample (JMRTD): a PKCS #3 DH key without q, 3DES as its info names") {
  std::ifstream in(test::source_dir() / "tests/data/doc9303-sample-dg14-dh.hex");
  std::string hex((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
  auto offers = lds::chip_authentication_offers(lds::Dg14::decode(from_hex(hex)));
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].info.protocol == kCaDh3Des);
  CHECK(offers[0].key.protocol == lds::kIdPkDh);
  const Bytes& spki = offers[0].key.subject_public_key_info;
  CHECK(secure::describe_chip_key(spki) == "1024-bit MODP group without q");
  CHECK(secure::dh_domain_of(spki).order.empty());
  // Without q only the range of y is checked; the terminal's key is still y padded to p's length.
  secure::ChipAuthentication ca(secure::chip_authentication_protocol(kCaDh3Des), spki);
  CHECK(ca.terminal_public_key().size() == 128);
  CHECK(ca.session_keys().ks_enc.size() == 16);
}

TEST_CASE(
    "rcsim's DH Chip Authentication: short public values are padded, outsiders refused, K has p's length") {
  const auto& pair = key_in_group(0);
  rcsim::ChipAuthKey key = rcsim_key(pair);
  const Bytes p = key.prime;
  // A terminal key with leading zero bytes, found by trying ephemeral keys: K is the same with or
  // without them, and the host's session keys come from exactly that K.
  bool short_key_seen = false, short_secret_seen = false;
  for (int i = 0; i < 6000 && !(short_key_seen && short_secret_seen); ++i) {
    secure::ChipAuthentication ca(secure::chip_authentication_protocol(kCaDhAes128),
                                  pair.subject_public_key_info);
    const Bytes& y = ca.terminal_public_key();
    REQUIRE(y.size() == p.size());
    Bytes k = rcsim::chip_auth_shared_secret(key, y);
    REQUIRE(k.size() == p.size());
    if (y[0] == 0 && !short_key_seen) {
      short_key_seen = true;
      Bytes stripped(y.begin() + 1, y.end());
      CHECK(rcsim::chip_auth_shared_secret(key, stripped) == k);
    }
    if (k[0] == 0 && !short_secret_seen) {
      short_secret_seen = true;
      auto host = ca.session_keys();
      CHECK(Bytes(host.ks_enc.begin(), host.ks_enc.end()) == rcsim::kdf_aes(k, 1, 16));
      Bytes unpadded(k.begin() + 1, k.end());
      CHECK(Bytes(host.ks_enc.begin(), host.ks_enc.end()) != rcsim::kdf_aes(unpadded, 1, 16));
    }
  }
  CHECK(short_key_seen);
  CHECK(short_secret_seen);
  // Values outside [2, p-2] or not of order q.
  Bytes p_minus_1 = p;
  p_minus_1.back() -= 1;  // p is odd
  CHECK(rcsim::chip_auth_shared_secret(key, Bytes{0x01}).empty());
  CHECK(rcsim::chip_auth_shared_secret(key, Bytes{0x00}).empty());
  CHECK(rcsim::chip_auth_shared_secret(key, p_minus_1).empty());
  CHECK(rcsim::chip_auth_shared_secret(key, p).empty());
  CHECK(rcsim::chip_auth_shared_secret(key, Bytes{0x02}).empty());  // 2 is not in the order-q subgroup
  Bytes too_long(p.size() + 1, 0);
  too_long.back() = 4;
  CHECK(rcsim::chip_auth_shared_secret(key, too_long).empty());
  // Keys rcsim does not take.
  rcsim::ChipAuthKey bad = key;
  bad.private_key = key.order;
  CHECK_FALSE(rcsim::valid_chip_auth_key(bad));
  bad = key;
  bad.generator = Bytes{0x02};
  CHECK_FALSE(rcsim::valid_chip_auth_key(bad));
  bad = key;
  bad.order.back() ^= 0x02;  // no longer a divisor of p-1
  CHECK_FALSE(rcsim::valid_chip_auth_key(bad));
  bad = key;
  bad.order = Bytes(4096, 0xFF);  // refused by its length, before any primality test
  CHECK_FALSE(rcsim::valid_chip_auth_key(bad));
}

TEST_CASE("host Chip Authentication over DH against rcsim: every group, AES and 3DES; a cloned chip fails") {
  for (int group : {0, 1, 2}) {
    for (const char* oid : {kCaDhAes128, kCaDh3Des}) {
      CAPTURE(group);
      CAPTURE(oid);
      const auto& pair = key_in_group(group);
      CaDhChip genuine(pair, false);
      auto session = genuine.open();
      auto how = session->chip_authentication(secure::chip_authentication_protocol(oid),
                                              pair.subject_public_key_info, 1);
      CHECK(how.find("RFC 5114, parameter ID " + std::to_string(group)) != std::string::npos);
      CHECK(session->secured());
      CHECK(session->select_file(0x011E) == 0x9000);                    // the new keys keep working
      CHECK(session->chip_authentication_terminal_key().size() == 20);  // Comp(): SHA-1 of y

      CaDhChip clone(pair, true);
      auto s2 = clone.open();
      CHECK_THROWS_WITH_AS(
          s2->chip_authentication(secure::chip_authentication_protocol(oid), pair.subject_public_key_info, 1),
          doctest::Contains("does not hold the private key of DG14"), card::AccessDenied);
    }
  }
  // AES-256, and an ECDH protocol against the DH chip (refused by the chip's MSE:Set AT).
  const auto& pair = key_in_group(2);
  CaDhChip chip(pair, false);
  auto session = chip.open();
  CHECK_NOTHROW(session->chip_authentication(secure::chip_authentication_protocol(kCaDhAes256),
                                             pair.subject_public_key_info, 1));
  auto other = chip.open();
  CHECK_THROWS_WITH_AS(
      other->chip_authentication(secure::chip_authentication_protocol("0.4.0.127.0.7.2.2.3.2.2"),
                                 secure::generate_chip_ec_key("brainpoolP256r1").subject_public_key_info, 1),
      doctest::Contains("MSE:Set AT"), card::AccessDenied);
}

TEST_CASE(
    "document profile: chip_authentication takes exactly one of curve and dh_group, matching the protocol") {
  std::ifstream in(test::source_dir() / "profiles/documents/dk-residence-card.json");
  auto base = nlohmann::json::parse(in);
  auto dh = base;
  dh["chip_authentication"] = {{"protocol", kCaDhAes128}, {"dh_group", 2}};
  auto profile = issuance::DocumentProfile::from_json(dh, "p");
  REQUIRE(profile.chip_authentication);
  CHECK(profile.chip_authentication->dh_group == 2);
  CHECK(profile.chip_authentication->curve.empty());
  auto problem = [&](nlohmann::json ca, const char* expected) {
    auto j = base;
    j["chip_authentication"] = std::move(ca);
    CHECK_THROWS_WITH_AS(issuance::DocumentProfile::from_json(j, "p"), doctest::Contains(expected),
                         ValidationError);
  };
  problem({{"protocol", kCaDhAes128}, {"dh_group", 2}, {"curve", "brainpoolP256r1"}}, "exactly one of");
  problem({{"protocol", kCaDhAes128}}, "exactly one of");
  problem({{"protocol", kCaDhAes128}, {"curve", "brainpoolP256r1"}}, "is DH: give \"dh_group\"");
  problem({{"protocol", "0.4.0.127.0.7.2.2.3.2.2"}, {"dh_group", 1}}, "is ECDH: give \"curve\"");
  problem({{"protocol", kCaDhAes128}, {"dh_group", 3}}, "chip_authentication.dh_group");
  problem({{"protocol", kCaDhAes128}, {"dh_group", "1"}}, "chip_authentication.dh_group");
}

namespace {

card::CardProfile rcsim_card() {
  return card::CardProfile::load(test::source_dir() / "profiles/cards/rcsim.json");
}

issuance::ChipImage prepare_ca_dh() {
  auto profile =
      issuance::DocumentProfile::load(test::source_dir() / "tests/data/dk-residence-card-ca-dh.json");
  auto app = issuance::load_application(test::source_dir() / "examples/application.json", profile);
  auto signer = pki::open_signer((test::source_dir() / "keys-sample/ds-ec").string());
  return issuance::prepare(app, profile, *signer, test::prepare_options(profile));
}

card::PersoOptions perso_options() {
  card::PersoOptions o;
  o.verify.csca_files = {(test::source_dir() / "keys-sample/csca-ec.pem").string()};
  o.verify.profile =
      issuance::DocumentProfile::load(test::source_dir() / "tests/data/dk-residence-card-ca-dh.json");
  return o;
}

}  // namespace

TEST_CASE("issuance with CA over DH: prepared, loaded by PUT DATA 67, proven at read-back and inspection") {
  auto image = prepare_ca_dh();
  auto offers = lds::chip_authentication_offers(lds::Dg14::decode(*image.file("EF.DG14")));
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].key.protocol == lds::kIdPkDh);
  REQUIRE(image.keys.chip_authentication);
  CHECK(secure::chip_key_matches(offers[0].key.subject_public_key_info, *image.keys.chip_authentication));

  rcsim::Chip chip{rcsim::ChipOptions{}};
  test::SimTransport t(chip);
  auto report = card::personalize(t, rcsim_card(), image, perso_options());
  CHECK(report.locked);
  CHECK(t.ins_count[0xDA] > 0);

  chip.power_on();
  card::ChipSession session(t, card::ReadLimits{});
  auto card_access = session.read_card_access();
  REQUIRE(card_access);
  session.open_pace(*card_access, mrz::parse(lds::Dg1::decode(*image.file("EF.DG1")).mrz).key_seed(),
                    secure::PacePassword::Mrz);
  session.select_application(rcsim_card().select_applet);
  std::vector<Check> mechanisms;
  card::read_chip(session, &mechanisms);
  bool ca_passed = false;
  for (const auto& m : mechanisms) {
    if (m.name == "Chip Authentication") {
      ca_passed = m.status == Status::Pass;
      CHECK(m.detail.find("MODP 2048/224") != std::string::npos);
    }
  }
  CHECK(ca_passed);

  // A card profile without the DH slot refuses the image before any command goes to the card.
  auto no_slot = rcsim_card();
  no_slot.private_keys.erase("ca_dh");
  rcsim::Chip blank{rcsim::ChipOptions{}};
  test::SimTransport t2(blank);
  CHECK_THROWS_WITH_AS(card::personalize(t2, no_slot, image, perso_options()),
                       doctest::Contains("no private_keys.ca_dh"), Error);
  auto short_apdus = rcsim_card();
  short_apdus.extended_length = false;
  CHECK_THROWS_WITH_AS(card::personalize(t2, short_apdus, image, perso_options()),
                       doctest::Contains("has no extended length"), Error);
  CHECK(t2.stats().apdus == 0);
}

TEST_CASE("PACE DH: K keeps the length of p on host and rcsim when it starts with a zero byte") {
  // TR-03110-3 / 9303-11: the DH shared secret is an octet string of the length of p. OpenPACE's
  // dh_compute_key takes DH_compute_key's unpadded output, so it would derive other keys here.
  auto host = secure::PaceGroup::standard(0);
  auto chip = rcsim::PaceDomain::standard(0);
  bool short_secret_seen = false;
  for (int i = 0; i < 6000 && !short_secret_seen; ++i) {
    SecureBytes terminal_private = host->random_private();
    Bytes terminal_public = host->public_key(terminal_private);
    Bytes chip_private = chip->private_key(rcsim::random_bytes);
    Bytes chip_public = chip->public_key(chip_private);
    SecureBytes k_host = host->shared_secret(terminal_private, chip_public);
    Bytes k_chip = chip->shared_secret(chip->multiply(chip_private, terminal_public));
    REQUIRE(k_host.size() == 128);
    REQUIRE(Bytes(k_host.begin(), k_host.end()) == k_chip);
    if (k_host[0] == 0) short_secret_seen = true;
    // A public value without its leading zero bytes is the same number to both.
    if (chip_public[0] == 0) {
      Bytes stripped(chip_public.begin() + 1, chip_public.end());
      CHECK(host->shared_secret(terminal_private, stripped) == k_host);
    }
    if (terminal_public[0] == 0) {
      Bytes stripped(terminal_public.begin() + 1, terminal_public.end());
      CHECK(chip->multiply(chip_private, stripped) == chip->multiply(chip_private, terminal_public));
    }
  }
  CHECK(short_secret_seen);
}

}  // namespace test_chip_auth_dh
