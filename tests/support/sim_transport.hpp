// A Transport wired straight to rcsim's chip, in-process: unit tests of the
// personalization engine run without pcscd (the integration tests use it).
#pragma once

#include <map>

#include "card/transport.hpp"
#include "rcsim/chip.hpp"

namespace rcperso::test {

class SimTransport : public card::Transport {
 public:
  explicit SimTransport(rcsim::Chip& chip) : chip_(chip) {}

  iso7816::ResponseApdu transmit(const iso7816::CommandApdu& command) override {
    Bytes raw = command.encode();
    ++ins_count[command.ins];
    Bytes answer = chip_.process(raw);
    if (chip_.vanished()) throw card::CardError("virtual card: the card was removed");
    ++stats_.apdus;
    stats_.bytes_sent += raw.size();
    stats_.bytes_received += answer.size();
    return iso7816::ResponseApdu::decode(answer);
  }
  std::string description() const override { return "in-process rcsim"; }
  card::WireStats stats() const override { return stats_; }

  std::map<std::uint8_t, std::size_t> ins_count;  // commands sent, by INS

 private:
  rcsim::Chip& chip_;
  card::WireStats stats_;
};

}  // namespace rcperso::test
