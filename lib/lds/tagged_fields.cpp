#include "lds/tagged_fields.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tlv/der.hpp"

namespace rcperso::lds {

std::optional<std::string> TaggedFields::text(tlv::Tag tag) const {
  auto b = bytes(tag);
  if (!b) return std::nullopt;
  return as_string(*b);
}

std::optional<Bytes> TaggedFields::bytes(tlv::Tag tag) const {
  for (const auto& f : fields_) {
    if (f.tag == tag) return f.value;
  }
  return std::nullopt;
}

void TaggedFields::set(tlv::Tag tag, ByteView value) {
  auto rank = [&](tlv::Tag t) {
    return static_cast<std::size_t>(std::find(order_.begin(), order_.end(), t) - order_.begin());
  };
  if (rank(tag) == order_.size()) throw Error("field tag " + tlv::tag_name(tag) + " is not allowed here");
  for (auto& f : fields_) {
    if (f.tag == tag) {
      f.value.assign(value.begin(), value.end());
      return;
    }
  }
  auto pos = std::find_if(fields_.begin(), fields_.end(),
                          [&](const TaggedField& f) { return rank(f.tag) > rank(tag); });
  fields_.insert(pos, TaggedField{tag, Bytes(value.begin(), value.end())});
}

Bytes TaggedFields::encode(tlv::Tag outer) const {
  Bytes list;
  for (const auto& f : fields_) tlv::encode_tag(list, f.tag);
  tlv::Writer w;
  w.add(0x5C, list);
  for (const auto& f : fields_) {
    if (f.tag == templated_) {
      w.add(0xA0, f.value);
    } else {
      w.add(f.tag, f.value);
    }
  }
  return w.wrap(outer);
}

void TaggedFields::decode(ByteView data, tlv::Tag outer, const std::string& context) {
  fields_.clear();
  tlv::Element e = tlv::decode_single(data, outer, context);
  tlv::Reader r = tlv::Reader(data, context).enter(e);
  tlv::Element list = r.expect(0x5C);
  std::vector<tlv::Tag> listed;
  for (tlv::Tag t : tlv::parse_tag_list(list.value, context + " tag list")) {
    if (std::find(order_.begin(), order_.end(), t) == order_.end()) {
      throw DecodeError(context + ": tag list names unknown field " + tlv::tag_name(t));
    }
    if (std::find(listed.begin(), listed.end(), t) != listed.end()) {
      throw DecodeError(context + ": tag list names " + tlv::tag_name(t) + " twice");
    }
    listed.push_back(t);
  }
  for (tlv::Tag t : listed) {
    tlv::Element f = r.expect(t == templated_ ? 0xA0 : t);
    fields_.push_back(TaggedField{t, Bytes(f.value.begin(), f.value.end())});
  }
  r.expect_end();
}

std::vector<std::string> decode_name_list(ByteView a0_content, tlv::Tag item_tag,
                                          const std::string& context) {
  tlv::Reader r(a0_content, context);
  tlv::Element count = r.expect(der::kInteger);
  if (count.value.size() != 1) throw DecodeError(context + ": name count must be one byte");
  std::vector<std::string> names;
  for (int i = 0; i < count.value[0]; ++i) names.push_back(as_string(r.expect(item_tag).value));
  r.expect_end();
  return names;
}

Bytes encode_name_list(const std::vector<std::string>& names, tlv::Tag item_tag) {
  tlv::Writer w;
  w.add(der::kInteger, Bytes{static_cast<std::uint8_t>(names.size())});
  for (const auto& n : names) w.add_string(item_tag, n);
  return w.bytes();
}

}  // namespace rcperso::lds
