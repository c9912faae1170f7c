// Byte containers shared by every layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rcperso {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Lower-case hex without separators ("0a1b").
std::string to_hex(ByteView data);
/// Upper-case hex, as ICAO documents print it.
std::string to_hex_upper(ByteView data);
/// Parses hex; whitespace is ignored. Throws std::invalid_argument on odd length or non-hex.
Bytes from_hex(std::string_view hex);

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string as_string(ByteView b) { return {b.begin(), b.end()}; }

inline void append(Bytes& out, ByteView more) { out.insert(out.end(), more.begin(), more.end()); }

/// Big-endian fixed-width writers and readers used by the biometric records.
void put_be(Bytes& out, std::uint64_t value, std::size_t width);
std::uint64_t get_be(ByteView in, std::size_t offset, std::size_t width);

/// Reads a whole file; throws rcperso::Error naming the path on failure or if it exceeds max_size.
Bytes read_file(const std::string& path, std::size_t max_size = 64U * 1024U * 1024U);

}  // namespace rcperso
