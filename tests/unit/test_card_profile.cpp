// Card profiles load strictly; the chip session's header arithmetic.
#include <doctest/doctest.h>

#include "card/card_profile.hpp"
#include "card/chip_session.hpp"
#include "core/error.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_card_profile {

using namespace rcperso;

TEST_CASE("the shipped card profiles load") {
  auto rcsim = card::CardProfile::load(test::source_dir() / "profiles/cards/rcsim.json");
  CHECK(rcsim.extended_length);
  CHECK(rcsim.erase.has_value());
  CHECK(rcsim.bac_seed->ins == 0xDA);
  auto jmrtd = card::CardProfile::load(test::source_dir() / "profiles/cards/jmrtd-applet.json");
  CHECK(jmrtd.create_file == card::CreateFileTemplate::Jmrtd);
  CHECK_FALSE(jmrtd.erase.has_value());
  CHECK(jmrtd.lock->p1 == 0xDE);
  CHECK(jmrtd.lock->p2 == 0xAD);
  CHECK(jmrtd.private_keys.at("aa_rsa_modulus").p2 == 0x60);
  CHECK(jmrtd.private_keys.at("cvca_certificate").p1 == 0x01);
  auto fs = card::CardProfile::load(test::source_dir() / "profiles/cards/iso7816-fs.json");
  CHECK_FALSE(fs.bac_seed.has_value());
  CHECK_FALSE(fs.lock.has_value());
  CHECK(fs.create_application_df == 0x0100);
  CHECK(fs.update_needs_le);
}

TEST_CASE("card profile mistakes are all reported, each naming its field") {
  test::TempDir dir;
  dir.write_text("bad.json", R"({
    "profile": "bad", "select_applet": "00A4", "create_file": "magic", "max_file_size": 0,
    "chunk_plain": 4096, "read_chunk": 255, "read_chunk_sm": 223, "extended_length": false,
    "lock": 17, "create_application_df": "12", "chunk_sise": 1
  })");
  try {
    card::CardProfile::load(dir / "bad.json");
    FAIL("no error");
  } catch (const ValidationError& e) {
    std::string all;
    for (const auto& p : e.problems()) all += p.field + ": " + p.message + "\n";
    CHECK(all.find("select_applet") != std::string::npos);
    CHECK(all.find("create_file") != std::string::npos);
    CHECK(all.find("max_file_size") != std::string::npos);
    CHECK(all.find("extended_length") != std::string::npos);
    CHECK(all.find("lock") != std::string::npos);
    CHECK(all.find("create_application_df") != std::string::npos);
    CHECK(all.find("chunk_sise") != std::string::npos);
  }
  dir.write_text("broken.json", "{\"profile\": ");
  CHECK_THROWS_WITH_AS(card::CardProfile::load(dir / "broken.json"), doctest::Contains("not valid JSON"),
                       Error);
  CHECK_THROWS_WITH_AS(card::CardProfile::resolve("no-such-card"), doctest::Contains("not found"), Error);
}

TEST_CASE("a file's total size comes from its TLV header, strictly") {
  CHECK(card::tlv_total_size(Bytes{0x60, 0x05}) == 7u);
  CHECK(card::tlv_total_size(Bytes{0x75, 0x82, 0x4E, 0x20}) == 4u + 0x4E20);
  CHECK(card::tlv_total_size(Bytes{0x77, 0x81, 0x80}) == 3u + 0x80);
  CHECK_FALSE(card::tlv_total_size(Bytes{0x75, 0x82, 0x4E}).has_value());  // more bytes needed
  CHECK_FALSE(card::tlv_total_size(Bytes{0x7F}).has_value());
  CHECK(card::tlv_total_size(Bytes{0x7F, 0x61, 0x03}) == 6u);
  CHECK_THROWS_AS(card::tlv_total_size(Bytes{0x60, 0x80}), DecodeError);                 // indefinite
  CHECK_THROWS_AS(card::tlv_total_size(Bytes{0x60, 0x85, 1, 2, 3, 4, 5}), DecodeError);  // 5 length bytes
  CHECK_THROWS_AS(card::tlv_total_size(Bytes{0x00, 0x01}), DecodeError);
  CHECK_THROWS_AS(card::tlv_total_size(Bytes{0x7F, 0xFF, 0xFF, 0x01}), DecodeError);  // tag too long
}

}  // namespace test_card_profile
