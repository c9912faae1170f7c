#include "card/card_identity.hpp"

#include "core/error.hpp"

namespace rcperso::card {

namespace {

constexpr std::size_t kCplcLength = 0x2A;

std::uint32_t be(ByteView b, std::size_t at, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | b[at + i];
  return v;
}

}  // namespace

std::string CplcIdentity::identifier() const {
  Bytes b;
  auto put = [&b](std::uint32_t v, int n) {
    for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  put(ic_fabricator, 2);
  put(ic_type, 2);
  put(ic_fabrication_date, 2);
  put(ic_serial_number, 4);
  put(ic_batch_identifier, 2);
  return "cplc:" + to_hex_upper(b);
}

CplcIdentity parse_cplc(ByteView r) {
  if (r.size() != 3 + kCplcLength || r[0] != 0x9F || r[1] != 0x7F || r[2] != kCplcLength)
    throw DecodeError("CPLC: expected data object 9F7F of 42 bytes, got " + std::to_string(r.size()) +
                      " bytes");
  ByteView v = r.subspan(3);
  CplcIdentity id;
  id.ic_fabricator = static_cast<std::uint16_t>(be(v, 0, 2));
  id.ic_type = static_cast<std::uint16_t>(be(v, 2, 2));
  id.ic_fabrication_date = static_cast<std::uint16_t>(be(v, 10, 2));
  id.ic_serial_number = be(v, 12, 4);
  id.ic_batch_identifier = static_cast<std::uint16_t>(be(v, 16, 2));
  return id;
}

iso7816::CommandApdu cplc_command() {
  iso7816::CommandApdu get_data;
  get_data.cla = 0x80;
  get_data.ins = 0xCA;
  get_data.p1 = 0x9F;
  get_data.p2 = 0x7F;
  get_data.le = 0;
  return get_data;
}

std::string card_identifier(Transport& card, ByteView atr) {
  // The card manager first: a card may still have the eMRTD application selected from an earlier
  // session (a station restarted with the card in), and that application has no GET DATA. A card
  // without a selectable card manager may still answer GET DATA on its own.
  iso7816::CommandApdu select;
  select.ins = 0xA4;
  select.p1 = 0x04;
  select.data = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
  select.le = 0;
  (void)card.transmit(select);
  auto response = card.transmit(cplc_command());
  if (response.ok()) {
    try {
      return parse_cplc(response.data).identifier();
    } catch (const DecodeError&) {
      // A card manager that answers something else: the ATR is all we know.
    }
  }
  return "atr:" + to_hex_upper(atr);
}

}  // namespace rcperso::card
