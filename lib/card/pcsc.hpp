// PC/SC through pcsc-lite: readers, card presence, connections, and APDU
// exchange with GET RESPONSE / wrong-Le handling.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "card/transport.hpp"

namespace rcperso::card {

class PcscContext {
 public:
  PcscContext();
  ~PcscContext();
  PcscContext(const PcscContext&) = delete;
  PcscContext& operator=(const PcscContext&) = delete;

  std::vector<std::string> readers() const;
  /// A full name, a unique substring, or an index into readers(); empty
  /// means the only reader. Throws rcperso::Error naming the choices.
  std::string resolve(const std::string& spec) const;
  bool card_present(const std::string& reader) const;
  /// Waits until a card is present (true) or the timeout passes (false).
  bool wait_for_card(const std::string& reader, int timeout_ms) const;
  /// Waits until the reader is empty.
  bool wait_for_removal(const std::string& reader, int timeout_ms) const;
  std::uintptr_t handle() const { return context_; }

 private:
  std::uintptr_t context_ = 0;
};

/// APDU log for QA: headers, lengths and status words. Command data is
/// written only for SELECT and GET CHALLENGE; everything else (keys, MRZ
/// data, biometrics) appears as a byte count.
class ApduLog {
 public:
  explicit ApduLog(const std::string& path);
  void command(const iso7816::CommandApdu& c);
  void response(const iso7816::ResponseApdu& r, bool show_data);

 private:
  std::ofstream out_;
};

class PcscCard : public Transport {
 public:
  PcscCard(const PcscContext& context, const std::string& reader);
  ~PcscCard() override;
  PcscCard(const PcscCard&) = delete;
  PcscCard& operator=(const PcscCard&) = delete;

  iso7816::ResponseApdu transmit(const iso7816::CommandApdu& command) override;
  std::string description() const override { return reader_; }
  WireStats stats() const override { return stats_; }
  std::vector<std::uint8_t> atr() const { return atr_; }
  void set_log(std::shared_ptr<ApduLog> log) { log_ = std::move(log); }

 private:
  iso7816::ResponseApdu raw(const iso7816::CommandApdu& command);
  std::uintptr_t card_ = 0;
  unsigned long protocol_ = 0;
  std::string reader_;
  std::vector<std::uint8_t> atr_;
  std::shared_ptr<ApduLog> log_;
  WireStats stats_;
};

/// pcsc-lite's message for a status code.
std::string pcsc_error(long code);

}  // namespace rcperso::card
