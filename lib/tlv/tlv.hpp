// BER-TLV as ICAO 9303-10 and ASN.1 DER use it: a strict, bounded decoder
// and a fluent encoder. Tags are held as their encoded bytes packed
// big-endian (0x61, 0x5F1F, 0x7F61), which is how the standards print them.
//
// The decoder accepts definite lengths only, at most 4 length bytes, at most
// 3 tag bytes, and by default only minimal (DER) length encodings; it never
// reads past the input and names the offset of every problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace rcperso::tlv {

using Tag = std::uint32_t;

/// True when the tag's first byte has the constructed bit (0x20).
bool is_constructed(Tag tag);
/// Encoded size of a tag.
std::size_t tag_size(Tag tag);
/// "5F1F"-style text for messages.
std::string tag_name(Tag tag);

struct Options {
  /// Real chips sometimes write 0x81 0x05 for a length of 5. Round-trip
  /// tests need exactness, so this is off by default.
  bool allow_non_minimal_length = false;
  std::size_t max_length = 16U * 1024U * 1024U;
};

/// One decoded TLV; views point into the caller's buffer.
struct Element {
  Tag tag = 0;
  ByteView value;
  ByteView encoded;        // tag + length + value, exactly as in the input
  std::size_t offset = 0;  // of the tag, relative to the outermost input

  bool constructed() const { return is_constructed(tag); }
};

/// Sequential reader over a run of concatenated TLVs.
class Reader {
 public:
  /// `context` names what is being decoded ("DG1", "EF.SOD") for error messages.
  Reader(ByteView data, std::string context, Options options = {}, std::size_t base_offset = 0);

  bool at_end() const { return pos_ >= data_.size(); }
  /// Tag of the next element without consuming it; throws at end of input.
  Tag peek_tag() const;
  /// Next element, whatever its tag.
  Element next();
  /// Next element, which must have `tag`.
  Element expect(Tag tag);
  /// Next element if it has `tag`, otherwise nothing is consumed.
  std::optional<Element> optional(Tag tag);
  /// Throws unless all input was consumed.
  void expect_end() const;
  /// A reader over the value of a constructed element.
  Reader enter(const Element& element) const;
  const std::string& context() const { return context_; }
  const Options& options() const { return options_; }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const;
  ByteView data_;
  std::string context_;
  Options options_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

/// Decodes `data` as exactly one TLV with tag `tag` and nothing after it.
Element decode_single(ByteView data, Tag tag, const std::string& context, Options options = {});

/// A run of bare tags without lengths (EF.COM and DG11/DG12 tag lists).
std::vector<Tag> parse_tag_list(ByteView data, const std::string& context);

/// Encodes a length in minimal form.
void encode_length(Bytes& out, std::size_t length);
void encode_tag(Bytes& out, Tag tag);
/// tag || length || value.
Bytes encode(Tag tag, ByteView value);

/// Fluent encoder for constructed values:
///   Bytes dg1 = Writer().add(0x5F1F, mrz).wrap(0x61);
class Writer {
 public:
  Writer& add(Tag tag, ByteView value);
  Writer& add(Tag tag, const Writer& nested) { return add(tag, ByteView(nested.bytes_)); }
  Writer& add_string(Tag tag, const std::string& text) { return add(tag, as_bytes(text)); }
  /// Appends already-encoded TLV bytes.
  Writer& raw(ByteView encoded);
  Writer& add_uint(Tag tag, std::uint64_t value, std::size_t width);
  const Bytes& bytes() const { return bytes_; }
  /// tag || length || (everything added).
  Bytes wrap(Tag tag) const { return encode(tag, bytes_); }

 private:
  Bytes bytes_;
};

}  // namespace rcperso::tlv
