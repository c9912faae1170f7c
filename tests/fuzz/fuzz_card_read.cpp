// libFuzzer harness: reading a chip from a hostile card, PACE included. The input is a
// script of response APDUs (2-byte length + bytes each) that a fake card
// plays back to read_chip: file headers, lengths, B1 wrappers, status words.
#include <cstddef>
#include <cstdint>

#include "card/chip_session.hpp"
#include "core/error.hpp"
#include "issuance/chip_image.hpp"

namespace {

class ScriptedCard : public rcperso::card::Transport {
 public:
  explicit ScriptedCard(rcperso::ByteView script) : script_(script) {}
  rcperso::iso7816::ResponseApdu transmit(const rcperso::iso7816::CommandApdu& command) override {
    (void)command.encode();
    if (pos_ + 2 > script_.size() || ++apdus_ > 4096) throw rcperso::card::CardError("script ended");
    std::size_t n = (static_cast<std::size_t>(script_[pos_]) << 8) | script_[pos_ + 1];
    pos_ += 2;
    if (n > script_.size() - pos_) n = script_.size() - pos_;
    auto r = rcperso::iso7816::ResponseApdu::decode(script_.subspan(pos_, n));
    pos_ += n;
    return r;
  }
  std::string description() const override { return "fuzz"; }
  rcperso::card::WireStats stats() const override { return {}; }

 private:
  rcperso::ByteView script_;
  std::size_t pos_ = 0;
  std::size_t apdus_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcperso;
  ByteView in(data, size);
  try {
    (void)card::tlv_total_size(in.first(std::min<std::size_t>(in.size(), 8)));
  } catch (const Error&) {
  }
  ScriptedCard card(in);
  card::ReadLimits limits;
  limits.max_file_size = 64 * 1024;
  card::ChipSession session(card, limits);
  try {
    // EF.CardAccess and PACE first, as an inspection system does; hostile points and lengths must be refused.
    if (auto card_access = session.read_card_access()) {
      (void)session.open_pace(*card_access, "123456", secure::PacePassword::Can);
    }
  } catch (const Error&) {
  } catch (const card::CardError&) {
  }
  try {
    session.select_application(iso7816::CommandApdu{0x00, 0xA4, 0x04, 0x0C, Bytes(7, 0xA0), std::nullopt});
    (void)card::read_chip(session);
  } catch (const Error&) {
  } catch (const card::CardError&) {
  }
  return 0;
}
