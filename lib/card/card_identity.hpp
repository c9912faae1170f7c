// Which physical card is in the reader, for the journal: the IC's identity
// from GlobalPlatform's card production life cycle data (CPLC, GET DATA 9F7F
// of the card manager), or the ATR when the card does not answer that.
#pragma once

#include <cstdint>
#include <string>

#include "card/transport.hpp"
#include "core/bytes.hpp"

namespace rcperso::card {

/// The CPLC fields that identify an IC; the other fields (module, embedding, perso) say nothing
/// about which chip it is.
struct CplcIdentity {
  std::uint16_t ic_fabricator = 0;
  std::uint16_t ic_type = 0;
  std::uint16_t ic_fabrication_date = 0;  // YDDD
  std::uint32_t ic_serial_number = 0;
  std::uint16_t ic_batch_identifier = 0;

  /// "cplc:" and the five fields in hex, 12 bytes in all.
  std::string identifier() const;
};

/// Strict: exactly the 9F7F data object of 42 bytes (the GET DATA response without its status).
/// Throws DecodeError otherwise.
CplcIdentity parse_cplc(ByteView response);

/// GET DATA 9F7F (CLA 80): the CPLC, from the card manager.
iso7816::CommandApdu cplc_command();

/// The card's identifier: "cplc:..." when the card manager answers GET DATA 9F7F with a valid
/// CPLC, else "atr:" and the ATR in hex. Selects the card manager (GlobalPlatform's ISD, AID
/// A000000151000000) first; the caller selects its application afterwards.
std::string card_identifier(Transport& card, ByteView atr);

}  // namespace rcperso::card
