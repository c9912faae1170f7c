// Bounds-checked big-endian reader for fixed-layout binary records.
#pragma once

#include <algorithm>
#include <string>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace rcperso {

class ByteReader {
 public:
  ByteReader(ByteView data, std::string context) : data_(data), context_(std::move(context)) {}

  std::uint64_t uint(std::size_t width, const char* field) {
    need(width, field);
    std::uint64_t v = get_be(data_, pos_, width);
    pos_ += width;
    return v;
  }
  std::uint8_t u8(const char* field) { return static_cast<std::uint8_t>(uint(1, field)); }
  std::uint16_t u16(const char* field) { return static_cast<std::uint16_t>(uint(2, field)); }
  std::uint32_t u32(const char* field) { return static_cast<std::uint32_t>(uint(4, field)); }
  ByteView bytes(std::size_t n, const char* field) {
    need(n, field);
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  void expect(ByteView magic, const char* field) {
    ByteView got = bytes(magic.size(), field);
    if (!std::equal(got.begin(), got.end(), magic.begin())) fail(std::string(field) + " is wrong");
  }
  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  void expect_end() const {
    if (pos_ != data_.size()) fail(std::to_string(data_.size() - pos_) + " unexpected trailing byte(s)");
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw DecodeError(context_ + ": " + what + " at offset " + std::to_string(pos_));
  }

 private:
  void need(std::size_t n, const char* field) const {
    if (n > data_.size() - pos_) fail(std::string("truncated ") + field);
  }
  ByteView data_;
  std::string context_;
  std::size_t pos_ = 0;
};

}  // namespace rcperso
