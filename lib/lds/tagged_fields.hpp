// DG11 and DG12 share a shape: a tag list (5C) naming the fields present,
// then those fields in that order. Fields whose value is a list of names
// (other names 5F0F, other persons 5F1A) sit inside an A0 template.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::lds {

struct TaggedField {
  tlv::Tag tag;  // as listed in 5C (5F0F / 5F1A for the A0 templates)
  Bytes value;   // content; for 5F0F / 5F1A the A0 template's content
};

class TaggedFields {
 public:
  /// `order`: the canonical tag order new fields are inserted in; `templated`:
  /// the tag whose field is wrapped in A0 (0 if none).
  TaggedFields(std::vector<tlv::Tag> order, tlv::Tag templated)
      : order_(std::move(order)), templated_(templated) {}

  const std::vector<TaggedField>& fields() const { return fields_; }
  std::optional<std::string> text(tlv::Tag tag) const;
  std::optional<Bytes> bytes(tlv::Tag tag) const;
  /// Sets (or replaces) a field, keeping the canonical order for new ones.
  void set(tlv::Tag tag, ByteView value);
  void set_text(tlv::Tag tag, const std::string& value) { set(tag, as_bytes(value)); }

  Bytes encode(tlv::Tag outer) const;
  /// Strict: 5C first, each listed tag known and present exactly once, in list order, nothing else.
  void decode(ByteView data, tlv::Tag outer, const std::string& context);

 private:
  std::vector<tlv::Tag> order_;
  tlv::Tag templated_;
  std::vector<TaggedField> fields_;
};

/// A0 { 02 count, <tag> name ... } content helpers for other names / other persons.
std::vector<std::string> decode_name_list(ByteView a0_content, tlv::Tag item_tag, const std::string& context);
Bytes encode_name_list(const std::vector<std::string>& names, tlv::Tag item_tag);

}  // namespace rcperso::lds
