// Whatever carries APDUs to a card. Protocols (BAC, perso, reading) talk to
// this interface, never to PC/SC directly.
#pragma once

#include <stdexcept>
#include <string>

#include "iso7816/apdu.hpp"

namespace rcperso::card {

class Transport {
 public:
  virtual ~Transport() = default;
  /// Sends one command and returns the response, after 61xx GET RESPONSE and
  /// 6Cxx retries. Throws CardError when the card or reader goes away.
  virtual iso7816::ResponseApdu transmit(const iso7816::CommandApdu& command) = 0;
  virtual std::string description() const = 0;
};

/// The card or the reader failed (removed card, reader gone, transport
/// error): the card's state is unknown, so it must never count as issued.
class CardError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rcperso::card
