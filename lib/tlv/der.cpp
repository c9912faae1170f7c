#include "tlv/der.hpp"

#include <charconv>
#include <vector>

namespace rcperso::der {

Bytes integer(std::uint64_t value) {
  Bytes content;
  put_be(content, value, 8);
  std::size_t skip = 0;
  while (skip < 7 && content[skip] == 0 && (content[skip + 1] & 0x80U) == 0) ++skip;
  content.erase(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(skip));
  return tlv::encode(kInteger, content);
}

std::uint64_t parse_integer(ByteView content, const std::string& context) {
  if (content.empty()) throw DecodeError(context + ": empty INTEGER");
  if ((content[0] & 0x80U) != 0) throw DecodeError(context + ": negative INTEGER");
  if (content.size() > 1 && content[0] == 0 && (content[1] & 0x80U) == 0) {
    throw DecodeError(context + ": non-minimal INTEGER");
  }
  std::size_t start = content[0] == 0 ? 1 : 0;
  if (content.size() - start > 8) throw DecodeError(context + ": INTEGER too large");
  std::uint64_t v = 0;
  for (std::size_t i = start; i < content.size(); ++i) v = (v << 8) | content[i];
  return v;
}

Bytes oid_content(const std::string& dotted) {
  std::vector<std::uint64_t> arcs;
  const char* p = dotted.data();
  const char* end = p + dotted.size();
  while (p < end) {
    std::uint64_t arc = 0;
    auto [next, ec] = std::from_chars(p, end, arc);
    if (ec != std::errc() || next == p) throw Error("invalid OID: " + dotted);
    arcs.push_back(arc);
    p = next;
    if (p < end) {
      if (*p != '.') throw Error("invalid OID: " + dotted);
      ++p;
      if (p == end) throw Error("invalid OID: " + dotted);
    }
  }
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40)) throw Error("invalid OID: " + dotted);
  Bytes out;
  auto put_arc = [&out](std::uint64_t v) {
    std::uint8_t tmp[10];
    int n = 0;
    do {
      tmp[n++] = static_cast<std::uint8_t>(v & 0x7FU);
      v >>= 7;
    } while (v != 0);
    while (n > 0) {
      --n;
      out.push_back(static_cast<std::uint8_t>(tmp[n] | (n > 0 ? 0x80U : 0U)));
    }
  };
  put_arc(arcs[0] * 40 + arcs[1]);
  for (std::size_t i = 2; i < arcs.size(); ++i) put_arc(arcs[i]);
  return out;
}

std::string oid_text(ByteView content, const std::string& context) {
  if (content.empty()) throw DecodeError(context + ": empty OBJECT IDENTIFIER");
  std::string out;
  std::uint64_t v = 0;
  bool first = true;
  bool in_arc = false;
  for (std::size_t i = 0; i < content.size(); ++i) {
    std::uint8_t b = content[i];
    if (!in_arc && b == 0x80) throw DecodeError(context + ": non-minimal OID arc");
    if (v > (UINT64_MAX >> 7)) throw DecodeError(context + ": OID arc too large");
    v = (v << 7) | (b & 0x7FU);
    in_arc = (b & 0x80U) != 0;
    if (!in_arc) {
      if (first) {
        std::uint64_t a = v < 80 ? v / 40 : 2;
        out = std::to_string(a) + "." + std::to_string(v - a * 40);
        first = false;
      } else {
        out += "." + std::to_string(v);
      }
      v = 0;
    }
  }
  if (in_arc) throw DecodeError(context + ": truncated OBJECT IDENTIFIER");
  return out;
}

Bytes oid(const std::string& dotted) { return tlv::encode(kOid, oid_content(dotted)); }
Bytes octet_string(ByteView value) { return tlv::encode(kOctetString, value); }
Bytes printable_string(const std::string& value) { return tlv::encode(kPrintableString, as_bytes(value)); }
Bytes sequence(ByteView content) { return tlv::encode(kSequence, content); }
Bytes set(ByteView content) { return tlv::encode(kSet, content); }

}  // namespace rcperso::der
