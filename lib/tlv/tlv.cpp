#include "tlv/tlv.hpp"

#include <cstdio>

namespace rcperso::tlv {

bool is_constructed(Tag tag) {
  Tag first = tag;
  while (first > 0xFF) first >>= 8;
  return (first & 0x20U) != 0;
}

std::size_t tag_size(Tag tag) {
  if (tag > 0xFFFF) return 3;
  if (tag > 0xFF) return 2;
  return 1;
}

std::string tag_name(Tag tag) {
  char buf[16];
  if (tag > 0xFFFF) {
    std::snprintf(buf, sizeof buf, "%06X", tag);
  } else if (tag > 0xFF) {
    std::snprintf(buf, sizeof buf, "%04X", tag);
  } else {
    std::snprintf(buf, sizeof buf, "%02X", tag);
  }
  return buf;
}

Reader::Reader(ByteView data, std::string context, Options options, std::size_t base_offset)
    : data_(data), context_(std::move(context)), options_(options), base_(base_offset) {}

void Reader::fail(std::size_t at, const std::string& what) const {
  throw DecodeError(context_ + ": " + what + " at offset " + std::to_string(base_ + at));
}

Tag Reader::peek_tag() const {
  if (at_end()) fail(pos_, "unexpected end of data, expected a tag");
  std::size_t p = pos_;
  Tag tag = data_[p++];
  if ((tag & 0x1FU) == 0x1FU) {
    for (int i = 0;; ++i) {
      if (i >= 2) fail(pos_, "tag longer than 3 bytes");
      if (p >= data_.size()) fail(pos_, "truncated tag");
      std::uint8_t b = data_[p++];
      tag = (tag << 8) | b;
      if ((b & 0x80U) == 0) break;
    }
  }
  return tag;
}

Element Reader::next() {
  Element e;
  std::size_t start = pos_;
  e.tag = peek_tag();
  std::size_t p = pos_ + tag_size(e.tag);
  if (data_[pos_] == 0x00 && e.tag == 0) fail(start, "zero tag (padding?)");
  if (p >= data_.size()) fail(start, "missing length after tag " + tag_name(e.tag));
  std::size_t length = data_[p++];
  if (length == 0x80) fail(start, "indefinite length is not allowed (tag " + tag_name(e.tag) + ")");
  if (length > 0x80) {
    std::size_t n = length & 0x7FU;
    if (n > 4) fail(start, "length field of " + std::to_string(n) + " bytes is too long");
    if (n > data_.size() - p) fail(start, "truncated length of tag " + tag_name(e.tag));
    length = 0;
    for (std::size_t i = 0; i < n; ++i) length = (length << 8) | data_[p++];
    if (!options_.allow_non_minimal_length) {
      bool minimal = (n == 1) ? length >= 0x80 : (length >> (8 * (n - 1))) != 0;
      if (!minimal) fail(start, "non-minimal length encoding for tag " + tag_name(e.tag));
    }
  }
  if (length > options_.max_length) fail(start, "length " + std::to_string(length) + " exceeds the limit");
  if (length > data_.size() - p) {
    fail(start, "tag " + tag_name(e.tag) + " claims " + std::to_string(length) + " bytes but only " +
                    std::to_string(data_.size() - p) + " remain");
  }
  e.value = data_.subspan(p, length);
  e.encoded = data_.subspan(start, p + length - start);
  e.offset = base_ + start;
  pos_ = p + length;
  return e;
}

Element Reader::expect(Tag tag) {
  Tag got = peek_tag();
  if (got != tag) fail(pos_, "expected tag " + tag_name(tag) + " but found " + tag_name(got));
  return next();
}

std::optional<Element> Reader::optional(Tag tag) {
  if (at_end() || peek_tag() != tag) return std::nullopt;
  return next();
}

void Reader::expect_end() const {
  if (!at_end()) fail(pos_, std::to_string(data_.size() - pos_) + " unexpected trailing byte(s)");
}

Reader Reader::enter(const Element& element) const {
  if (!element.constructed()) {
    throw DecodeError(context_ + ": tag " + tag_name(element.tag) + " at offset " +
                      std::to_string(element.offset) + " is primitive, expected constructed");
  }
  std::size_t value_offset = element.offset + (element.encoded.size() - element.value.size());
  return Reader(element.value, context_, options_, value_offset);
}

Element decode_single(ByteView data, Tag tag, const std::string& context, Options options) {
  Reader r(data, context, options);
  Element e = r.expect(tag);
  r.expect_end();
  return e;
}

std::vector<Tag> parse_tag_list(ByteView data, const std::string& context) {
  std::vector<Tag> tags;
  std::size_t i = 0;
  while (i < data.size()) {
    Tag tag = data[i++];
    if ((tag & 0x1FU) == 0x1FU) {
      for (int n = 0;; ++n) {
        if (n >= 2 || i >= data.size()) {
          throw DecodeError(context + ": malformed tag in tag list at offset " + std::to_string(i));
        }
        std::uint8_t b = data[i++];
        tag = (tag << 8) | b;
        if ((b & 0x80U) == 0) break;
      }
    }
    tags.push_back(tag);
  }
  return tags;
}

void encode_length(Bytes& out, std::size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<std::uint8_t>(length));
    return;
  }
  std::size_t n = 0;
  for (std::size_t l = length; l != 0; l >>= 8) ++n;
  out.push_back(static_cast<std::uint8_t>(0x80 | n));
  put_be(out, length, n);
}

void encode_tag(Bytes& out, Tag tag) { put_be(out, tag, tag_size(tag)); }

Bytes encode(Tag tag, ByteView value) {
  Bytes out;
  out.reserve(value.size() + 8);
  encode_tag(out, tag);
  encode_length(out, value.size());
  append(out, value);
  return out;
}

Writer& Writer::add(Tag tag, ByteView value) {
  encode_tag(bytes_, tag);
  encode_length(bytes_, value.size());
  append(bytes_, value);
  return *this;
}

Writer& Writer::raw(ByteView encoded) {
  append(bytes_, encoded);
  return *this;
}

Writer& Writer::add_uint(Tag tag, std::uint64_t value, std::size_t width) {
  Bytes v;
  put_be(v, value, width);
  return add(tag, v);
}

}  // namespace rcperso::tlv
