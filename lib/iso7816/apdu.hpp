// ISO/IEC 7816-4 command and response APDUs, short and extended.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.hpp"

namespace rcperso::iso7816 {

/// The largest offset P1-P2 of READ BINARY / UPDATE BINARY carry (15 bits); files beyond it
/// need the odd INS with an offset data object.
inline constexpr std::size_t kMaxShortOffset = 0x7FFF;

struct CommandApdu {
  std::uint8_t cla = 0;
  std::uint8_t ins = 0;
  std::uint8_t p1 = 0;
  std::uint8_t p2 = 0;
  Bytes data;
  /// Expected response length: nullopt for none, 0 for "as much as possible"
  /// (256 short, 65536 extended), otherwise the number of bytes.
  std::optional<std::size_t> le;
  /// Force the extended encoding even when short would do.
  bool extended = false;

  bool needs_extended() const;
  Bytes encode() const;
  /// Strict parse of a command APDU (cases 1, 2S/E, 3S/E, 4S/E).
  static CommandApdu decode(ByteView raw);
};

struct ResponseApdu {
  Bytes data;
  std::uint16_t sw = 0;

  std::uint8_t sw1() const { return static_cast<std::uint8_t>(sw >> 8); }
  std::uint8_t sw2() const { return static_cast<std::uint8_t>(sw & 0xFF); }
  bool ok() const { return sw == 0x9000; }
  Bytes encode() const;
  /// At least the two status bytes.
  static ResponseApdu decode(ByteView raw);
};

/// "6982 security status not satisfied" and friends, for messages.
std::string status_text(std::uint16_t sw);

}  // namespace rcperso::iso7816
