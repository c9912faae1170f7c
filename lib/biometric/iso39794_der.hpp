// The DER building blocks ISO/IEC 39794 records share (39794-1 framework):
// SEQUENCEs of implicitly context-tagged fields in ascending tag order,
// extensible code CHOICEs, the DateTimeBlock, and optional fields kept as
// their exact bytes so a decoded record encodes back to the same bytes.
// Used by the face (39794-5) and finger (39794-4) records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::biometric {

/// DateTimeBlock of ISO/IEC 39794-1 (year mandatory, the rest optional).
struct Iso39794DateTime {
  std::uint16_t year = 0;
  std::optional<std::uint8_t> month, day, hour, minute, second;
  std::optional<std::uint16_t> millisecond;
  bool operator==(const Iso39794DateTime&) const = default;
};

/// One DER element kept as it was, with its context tag number for ordering.
struct KeptField {
  std::uint8_t tag_number = 0;
  Bytes encoded;
  bool operator==(const KeptField&) const = default;
};

namespace iso39794 {

/// The [1] CHOICE ICAO's profile puts around a 39794 data block in DG2 and DG3.
inline constexpr tlv::Tag kOuterChoice = 0xA1;

tlv::Tag context_tag(std::uint8_t number, bool constructed);

/// DER INTEGER / ENUMERATED content of a non-negative value.
Bytes unsigned_content(std::uint64_t value);

/// The elements of one SEQUENCE with context tags: each tag a single-byte
/// context tag whose number is strictly greater than the one before (DER order).
class SequenceReader {
 public:
  SequenceReader(tlv::Reader reader, std::string context);

  bool at_end() const { return reader_.at_end(); }
  std::uint8_t peek_number();
  /// Next element if its number is `number`; checks form and order.
  std::optional<tlv::Element> take(std::uint8_t number, bool constructed);
  tlv::Element require(std::uint8_t number, bool constructed, const char* what);
  /// Any further elements up to (not including) `limit`, kept as they are.
  void keep_until(std::uint8_t limit, std::vector<KeptField>& kept);
  void expect_end();
  /// A reader over a constructed element of this sequence.
  SequenceReader enter(const tlv::Element& e, const std::string& what) const;
  const std::string& context() const { return context_; }
  const tlv::Reader& reader() const { return reader_; }

 private:
  tlv::Element advance(std::uint8_t number);
  tlv::Reader reader_;
  std::string context_;
  int last_ = -1;
};

/// A primitive INTEGER/ENUMERATED element's value, at most `max`.
std::uint64_t integer_value(const tlv::Element& e, const std::string& context, std::uint64_t max);

/// An extensible code: CHOICE { base [0] Code, extensionBlock [1] SEQUENCE
/// { fallback [0] Code } }. Which alternative was used is kept so the
/// record encodes back to the same bytes.
struct CodeChoice {
  std::uint64_t code = 0;
  bool extension_form = false;
  bool operator==(const CodeChoice&) const = default;
};
CodeChoice read_code_choice(const SequenceReader& parent, const tlv::Element& e, const std::string& what,
                            std::uint64_t max);
/// The whole field [number] around the choice.
Bytes encode_code_choice(std::uint8_t number, const CodeChoice& choice);

/// Known fields and kept fields, concatenated in tag-number order.
struct Assembler {
  std::vector<KeptField> fields;
  void add(std::uint8_t number, Bytes encoded) { fields.push_back({number, std::move(encoded)}); }
  void add_kept(const std::vector<KeptField>& kept) { fields.insert(fields.end(), kept.begin(), kept.end()); }
  Bytes content();
};

/// Throws Error unless every kept field's number is in lowest..30 and none
/// is one of `modelled` (which the record writes itself).
void check_kept(const std::vector<KeptField>& kept, std::uint8_t lowest,
                const std::vector<std::uint8_t>& modelled, const char* record, const char* where);

Iso39794DateTime decode_datetime(SequenceReader& seq);
/// The block as field [number].
Bytes encode_datetime(std::uint8_t number, const Iso39794DateTime& dt);

}  // namespace iso39794
}  // namespace rcperso::biometric
