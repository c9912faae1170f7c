#include <doctest/doctest.h>

#include <set>

#include "card/card_identity.hpp"
#include "core/error.hpp"
#include "rcsim/chip.hpp"
#include "sim_transport.hpp"
#include "test_support.hpp"

namespace test_card_identity {

using namespace rcperso;

namespace {

/// A CPLC data object with the given serial and batch, other fields as a real card might have them.
Bytes cplc(std::uint32_t serial, std::uint16_t batch) {
  Bytes b = {0x9F, 0x7F, 0x2A, 0x47, 0x90, 0x50, 0x40, 0x47, 0x91, 0x81, 0x02, 0x31, 0x00, 0x82, 0x64};
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(serial >> (8 * i)));
  b.push_back(static_cast<std::uint8_t>(batch >> 8));
  b.push_back(static_cast<std::uint8_t>(batch));
  b.resize(45, 0x11);
  return b;
}

/// Answers every command with one fixed response.
class FixedAnswer : public card::Transport {
 public:
  explicit FixedAnswer(iso7816::ResponseApdu r) : r_(std::move(r)) {}
  iso7816::ResponseApdu transmit(const iso7816::CommandApdu& c) override {
    sent.push_back(c.encode());
    return r_;
  }
  std::string description() const override { return "fixed"; }
  card::WireStats stats() const override { return {}; }
  std::vector<Bytes> sent;

 private:
  iso7816::ResponseApdu r_;
};

}  // namespace

TEST_CASE("CPLC: the IC's identifying fields, strictly parsed") {
  auto id = card::parse_cplc(cplc(0x01020304, 0xA0B1));
  CHECK(id.ic_fabricator == 0x4790);
  CHECK(id.ic_type == 0x5040);
  CHECK(id.ic_fabrication_date == 0x8264);
  CHECK(id.ic_serial_number == 0x01020304);
  CHECK(id.ic_batch_identifier == 0xA0B1);
  CHECK(id.identifier() == "cplc:47905040826401020304A0B1");

  Bytes shorter = cplc(1, 1);
  shorter.pop_back();
  CHECK_THROWS_AS(card::parse_cplc(shorter), DecodeError);
  Bytes longer = cplc(1, 1);
  longer.push_back(0);
  CHECK_THROWS_AS(card::parse_cplc(longer), DecodeError);
  Bytes wrong_tag = cplc(1, 1);
  wrong_tag[1] = 0x7E;
  CHECK_THROWS_AS(card::parse_cplc(wrong_tag), DecodeError);
  Bytes wrong_length = cplc(1, 1);
  wrong_length[2] = 0x29;
  CHECK_THROWS_AS(card::parse_cplc(wrong_length), DecodeError);
  CHECK_THROWS_AS(card::parse_cplc(Bytes{}), DecodeError);
}

TEST_CASE("card identifier: the CPLC when the card manager answers, else the ATR") {
  const Bytes atr = {0x3B, 0x80, 0x80, 0x01, 0x01};
  FixedAnswer good({cplc(0xCAFE0001, 7), 0x9000});
  CHECK(card::card_identifier(good, atr) == "cplc:479050408264CAFE00010007");
  REQUIRE(good.sent.size() == 2);
  CHECK(to_hex_upper(good.sent[0]) == "00A4040008A00000015100000000");
  CHECK(to_hex_upper(good.sent[1]) == "80CA9F7F00");

  FixedAnswer refused({{}, 0x6D00});
  CHECK(card::card_identifier(refused, atr) == "atr:3B80800101");
  FixedAnswer garbage({Bytes{0x9F, 0x7F, 0x01, 0x00}, 0x9000});
  CHECK(card::card_identifier(garbage, atr) == "atr:3B80800101");
}

TEST_CASE("rcsim: each card has its own CPLC serial, kept in its state file") {
  test::TempDir dir;
  rcsim::ChipOptions options;
  options.state_file = (dir / "a.card").string();
  std::string first;
  {
    rcsim::Chip chip(options);
    test::SimTransport t(chip);
    first = card::card_identifier(t, chip.atr());
    CHECK(first.rfind("cplc:", 0) == 0);
  }
  {
    rcsim::Chip again(options);  // the same card put back
    test::SimTransport t(again);
    CHECK(card::card_identifier(t, again.atr()) == first);
  }
  std::set<std::string> ids{first};
  for (int i = 0; i < 5; ++i) {
    rcsim::Chip other(rcsim::ChipOptions{});
    test::SimTransport t(other);
    ids.insert(card::card_identifier(t, other.atr()));
  }
  CHECK(ids.size() == 6);

  // A card left with the eMRTD application selected (a station restarted with the card in): that
  // application has no GET DATA, so the identifier selects the card manager first.
  rcsim::Chip chip(rcsim::ChipOptions{});
  test::SimTransport t(chip);
  iso7816::CommandApdu select;
  select.ins = 0xA4;
  select.p1 = 0x04;
  select.p2 = 0x0C;
  select.data = from_hex("A0000002471001");
  REQUIRE(t.transmit(select).ok());
  CHECK(t.transmit(card::cplc_command()).sw == 0x6D00);
  std::string id = card::card_identifier(t, chip.atr());
  CHECK(id.rfind("cplc:", 0) == 0);
  CHECK(card::card_identifier(t, chip.atr()) == id);
}

}  // namespace test_card_identity
