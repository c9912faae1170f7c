// Whatever carries APDUs to a card. Protocols (BAC, perso, reading) talk to
// this interface, never to PC/SC directly.
#pragma once

#include <stdexcept>
#include <string>

#include "iso7816/apdu.hpp"

namespace rcperso::card {

/// Traffic through a transport, for the benchmarks and the operator's report.
struct WireStats {
  std::size_t apdus = 0;           // exchanges, GET RESPONSE included
  std::size_t bytes_sent = 0;      // command APDUs as encoded
  std::size_t bytes_received = 0;  // response APDUs with status words
};

class Transport {
 public:
  virtual ~Transport() = default;
  /// Sends one command and returns the response, after 61xx GET RESPONSE and
  /// 6Cxx retries. Throws CardError when the card or reader goes away.
  virtual iso7816::ResponseApdu transmit(const iso7816::CommandApdu& command) = 0;
  virtual std::string description() const = 0;
  virtual WireStats stats() const = 0;
};

/// The card or the reader failed (removed card, reader gone, transport
/// error): the card's state is unknown, so it must never count as issued.
class CardError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rcperso::card
