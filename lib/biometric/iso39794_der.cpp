#include "biometric/iso39794_der.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tlv/der.hpp"

namespace rcperso::biometric::iso39794 {
namespace {

constexpr std::uint8_t kContextClass = 0x80;
constexpr std::uint8_t kConstructedBit = 0x20;

}  // namespace

tlv::Tag context_tag(std::uint8_t number, bool constructed) {
  return static_cast<tlv::Tag>(kContextClass | (constructed ? kConstructedBit : 0U) | number);
}

Bytes unsigned_content(std::uint64_t value) {
  Bytes out;
  do {
    out.insert(out.begin(), static_cast<std::uint8_t>(value & 0xFFU));
    value >>= 8U;
  } while (value != 0);
  if ((out[0] & 0x80U) != 0) out.insert(out.begin(), 0x00);
  return out;
}

SequenceReader::SequenceReader(tlv::Reader reader, std::string context)
    : reader_(std::move(reader)), context_(std::move(context)) {}

std::uint8_t SequenceReader::peek_number() {
  tlv::Tag tag = reader_.peek_tag();
  if (tag > 0xFF || (tag & 0xC0U) != kContextClass || (tag & 0x1FU) == 0x1F) {
    throw DecodeError(context_ + ": unexpected tag " + tlv::tag_name(tag) + " (a context tag was expected)");
  }
  return static_cast<std::uint8_t>(tag & 0x1FU);
}

std::optional<tlv::Element> SequenceReader::take(std::uint8_t number, bool constructed) {
  if (at_end() || peek_number() != number) return std::nullopt;
  tlv::Element e = advance(number);
  if (e.constructed() != constructed) {
    throw DecodeError(context_ + ": field [" + std::to_string(number) + "] must be " +
                      (constructed ? "constructed" : "primitive"));
  }
  return e;
}

tlv::Element SequenceReader::require(std::uint8_t number, bool constructed, const char* what) {
  auto e = take(number, constructed);
  if (!e) throw DecodeError(context_ + ": " + what + " [" + std::to_string(number) + "] is missing");
  return *e;
}

void SequenceReader::keep_until(std::uint8_t limit, std::vector<KeptField>& kept) {
  while (!at_end() && peek_number() < limit) {
    std::uint8_t number = peek_number();
    tlv::Element e = advance(number);
    kept.push_back({number, Bytes(e.encoded.begin(), e.encoded.end())});
  }
}

void SequenceReader::expect_end() {
  if (!at_end()) throw DecodeError(context_ + ": unexpected field [" + std::to_string(peek_number()) + "]");
}

SequenceReader SequenceReader::enter(const tlv::Element& e, const std::string& what) const {
  return SequenceReader(reader_.enter(e), context_ + " " + what);
}

tlv::Element SequenceReader::advance(std::uint8_t number) {
  if (last_ >= 0 && number <= last_) {
    throw DecodeError(context_ + ": field [" + std::to_string(number) + "] is out of order or repeated");
  }
  last_ = number;
  return reader_.next();
}

std::uint64_t integer_value(const tlv::Element& e, const std::string& context, std::uint64_t max) {
  std::uint64_t v = der::parse_integer(e.value, context);
  if (v > max)
    throw DecodeError(context + ": value " + std::to_string(v) + " exceeds " + std::to_string(max));
  return v;
}

CodeChoice read_code_choice(const SequenceReader& parent, const tlv::Element& e, const std::string& what,
                            std::uint64_t max) {
  SequenceReader choice = parent.enter(e, what);
  CodeChoice out;
  if (auto base = choice.take(0, false)) {
    out.code = integer_value(*base, choice.context(), max);
  } else {
    tlv::Element block = choice.require(1, true, "code (base [0] or extension block [1])");
    SequenceReader fields = choice.enter(block, "extension block");
    out.code = integer_value(fields.require(0, false, "fallback code"), fields.context(), max);
    fields.expect_end();
    out.extension_form = true;
  }
  choice.expect_end();  // a CHOICE holds exactly one alternative
  return out;
}

Bytes encode_code_choice(std::uint8_t number, const CodeChoice& choice) {
  Bytes code = tlv::encode(context_tag(0, false), unsigned_content(choice.code));
  if (choice.extension_form) code = tlv::encode(context_tag(1, true), code);
  return tlv::encode(context_tag(number, true), code);
}

Bytes Assembler::content() {
  std::stable_sort(fields.begin(), fields.end(),
                   [](const KeptField& a, const KeptField& b) { return a.tag_number < b.tag_number; });
  Bytes out;
  for (const auto& f : fields) out.insert(out.end(), f.encoded.begin(), f.encoded.end());
  return out;
}

void check_kept(const std::vector<KeptField>& kept, std::uint8_t lowest,
                const std::vector<std::uint8_t>& modelled, const char* record, const char* where) {
  for (const auto& k : kept) {
    const std::string field = std::string(record) + ": kept field [" + std::to_string(k.tag_number) + "]";
    if (k.tag_number < lowest || k.tag_number > 30) throw Error(field + " cannot go in the " + where);
    if (std::find(modelled.begin(), modelled.end(), k.tag_number) != modelled.end()) {
      throw Error(field + " of the " + where + " is modelled and cannot be kept raw");
    }
  }
}

Iso39794DateTime decode_datetime(SequenceReader& seq) {
  Iso39794DateTime dt;
  dt.year = static_cast<std::uint16_t>(integer_value(seq.require(0, false, "year"), seq.context(), 9999));
  auto small = [&](std::uint8_t n, std::uint64_t max) -> std::optional<std::uint8_t> {
    if (auto e = seq.take(n, false)) return static_cast<std::uint8_t>(integer_value(*e, seq.context(), max));
    return std::nullopt;
  };
  dt.month = small(1, 12);
  dt.day = small(2, 31);
  dt.hour = small(3, 23);
  dt.minute = small(4, 59);
  dt.second = small(5, 59);
  if (auto e = seq.take(6, false))
    dt.millisecond = static_cast<std::uint16_t>(integer_value(*e, seq.context(), 999));
  seq.expect_end();  // DateTimeBlock has no extension marker
  return dt;
}

Bytes encode_datetime(std::uint8_t number, const Iso39794DateTime& dt) {
  tlv::Writer w;
  w.add(context_tag(0, false), unsigned_content(dt.year));
  const std::optional<std::uint8_t>* parts[] = {&dt.month, &dt.day, &dt.hour, &dt.minute, &dt.second};
  for (std::uint8_t i = 0; i < 5; ++i) {
    if (*parts[i]) w.add(context_tag(static_cast<std::uint8_t>(i + 1), false), unsigned_content(**parts[i]));
  }
  if (dt.millisecond) w.add(context_tag(6, false), unsigned_content(*dt.millisecond));
  return w.wrap(context_tag(number, true));
}

}  // namespace rcperso::biometric::iso39794
