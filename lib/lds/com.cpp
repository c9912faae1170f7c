#include "lds/com.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "lds/files.hpp"

namespace rcperso::lds {

namespace {
bool all_digits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

std::vector<int> Com::data_groups() const {
  std::vector<int> out;
  for (auto t : tags) {
    const FileInfo* f = file_by_tag(t);
    if (f != nullptr && f->dg > 0) out.push_back(f->dg);
  }
  return out;
}

Bytes Com::encode() const {
  Bytes list;
  for (auto t : tags) list.push_back(static_cast<std::uint8_t>(t));
  return tlv::Writer()
      .add_string(0x5F01, lds_version)
      .add_string(0x5F36, unicode_version)
      .add(0x5C, list)
      .wrap(0x60);
}

Com Com::decode(ByteView data) {
  const std::string ctx = "EF.COM";
  tlv::Element outer = tlv::decode_single(data, 0x60, ctx);
  tlv::Reader r = tlv::Reader(data, ctx).enter(outer);
  Com com;
  com.lds_version = as_string(r.expect(0x5F01).value);
  com.unicode_version = as_string(r.expect(0x5F36).value);
  tlv::Element list = r.expect(0x5C);
  r.expect_end();
  if (com.lds_version.size() != 4 || !all_digits(com.lds_version)) {
    throw DecodeError(ctx + ": LDS version (5F01) must be 4 digits");
  }
  if (com.unicode_version.size() != 6 || !all_digits(com.unicode_version)) {
    throw DecodeError(ctx + ": Unicode version (5F36) must be 6 digits");
  }
  for (auto b : list.value) {
    const FileInfo* f = file_by_tag(b);
    if (f == nullptr || f->dg == 0)
      throw DecodeError(ctx + ": tag list names unknown data group tag " + tlv::tag_name(b));
    if (std::find(com.tags.begin(), com.tags.end(), b) != com.tags.end()) {
      throw DecodeError(ctx + ": tag list names " + f->name + " twice");
    }
    com.tags.push_back(b);
  }
  return com;
}

}  // namespace rcperso::lds
