#include "biometric/iso39794_face.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::biometric {
namespace {

constexpr tlv::Tag kOuterChoice = 0xA1;    // the profile's [1] around the data block
constexpr tlv::Tag kFaceDataBlock = 0x65;  // [APPLICATION 5] SEQUENCE
constexpr std::uint8_t kContextClass = 0x80;
constexpr std::uint8_t kConstructedBit = 0x20;

tlv::Tag context_tag(std::uint8_t number, bool constructed) {
  return static_cast<tlv::Tag>(kContextClass | (constructed ? kConstructedBit : 0U) | number);
}

// DER INTEGER / ENUMERATED content of a non-negative value.
Bytes unsigned_content(std::uint64_t value) {
  Bytes out;
  do {
    out.insert(out.begin(), static_cast<std::uint8_t>(value & 0xFFU));
    value >>= 8U;
  } while (value != 0);
  if ((out[0] & 0x80U) != 0) out.insert(out.begin(), 0x00);
  return out;
}

// The elements of one SEQUENCE with context tags: each tag a single-byte
// context tag whose number is strictly greater than the one before (DER order).
class SequenceReader {
 public:
  SequenceReader(tlv::Reader reader, const std::string& context)
      : reader_(std::move(reader)), context_(context) {}

  bool at_end() const { return reader_.at_end(); }
  std::uint8_t peek_number() {
    tlv::Tag tag = reader_.peek_tag();
    if (tag > 0xFF || (tag & 0xC0U) != kContextClass || (tag & 0x1FU) == 0x1F) {
      throw DecodeError(context_ + ": unexpected tag " + tlv::tag_name(tag) +
                        " (a context tag was expected)");
    }
    return static_cast<std::uint8_t>(tag & 0x1FU);
  }
  /// Next element if its number is `number`; checks form and order.
  std::optional<tlv::Element> take(std::uint8_t number, bool constructed) {
    if (at_end() || peek_number() != number) return std::nullopt;
    return next(constructed);
  }
  tlv::Element require(std::uint8_t number, bool constructed, const char* what) {
    auto e = take(number, constructed);
    if (!e) throw DecodeError(context_ + ": " + what + " [" + std::to_string(number) + "] is missing");
    return *e;
  }
  /// Any further elements up to (not including) `limit`, kept as they are.
  void keep_until(std::uint8_t limit, std::vector<KeptField>& kept) {
    while (!at_end() && peek_number() < limit) {
      std::uint8_t number = peek_number();
      tlv::Element e = advance(number);
      kept.push_back({number, Bytes(e.encoded.begin(), e.encoded.end())});
    }
  }
  void expect_end() {
    if (!at_end()) {
      throw DecodeError(context_ + ": unexpected field [" + std::to_string(peek_number()) + "]");
    }
  }
  const std::string& context() const { return context_; }
  const tlv::Reader& reader() const { return reader_; }

 private:
  tlv::Element next(bool constructed) {
    std::uint8_t number = peek_number();
    tlv::Element e = advance(number);
    if (e.constructed() != constructed) {
      throw DecodeError(context_ + ": field [" + std::to_string(number) + "] must be " +
                        (constructed ? "constructed" : "primitive"));
    }
    return e;
  }
  tlv::Element advance(std::uint8_t number) {
    if (last_ >= 0 && number <= last_) {
      throw DecodeError(context_ + ": field [" + std::to_string(number) + "] is out of order or repeated");
    }
    last_ = number;
    return reader_.next();
  }
  tlv::Reader reader_;
  std::string context_;
  int last_ = -1;
};

SequenceReader enter(const SequenceReader& parent, const tlv::Element& e, const std::string& what) {
  return SequenceReader(parent.reader().enter(e), parent.context() + " " + what);
}

std::uint64_t integer_value(const tlv::Element& e, const std::string& context, std::uint64_t max) {
  std::uint64_t v = der::parse_integer(e.value, context);
  if (v > max)
    throw DecodeError(context + ": value " + std::to_string(v) + " exceeds " + std::to_string(max));
  return v;
}

// CHOICE { extensionBlock [1] SEQUENCE { fallback [0] Code, ... } }: the code.
std::uint64_t extension_fallback(SequenceReader& parent, const tlv::Element& e, const std::string& what,
                                 std::uint64_t max) {
  SequenceReader choice = enter(parent, e, what);
  tlv::Element block = choice.require(1, true, "extension block");
  choice.expect_end();
  SequenceReader fields = enter(choice, block, "extension block");
  std::uint64_t code = integer_value(fields.require(0, false, "code"), fields.context(), max);
  fields.expect_end();
  return code;
}

Bytes fallback_choice(std::uint8_t number, std::uint64_t code) {
  Bytes inner = tlv::encode(context_tag(0, false), unsigned_content(code));
  return tlv::encode(context_tag(number, true), tlv::encode(context_tag(1, true), inner));
}

// Known fields and kept fields, concatenated in tag-number order.
struct Assembler {
  std::vector<KeptField> fields;
  void add(std::uint8_t number, Bytes encoded) { fields.push_back({number, std::move(encoded)}); }
  void add_kept(const std::vector<KeptField>& kept) { fields.insert(fields.end(), kept.begin(), kept.end()); }
  Bytes content() {
    std::stable_sort(fields.begin(), fields.end(),
                     [](const KeptField& a, const KeptField& b) { return a.tag_number < b.tag_number; });
    Bytes out;
    for (const auto& f : fields) out.insert(out.end(), f.encoded.begin(), f.encoded.end());
    return out;
  }
};

void check_kept(const std::vector<KeptField>& kept, std::uint8_t lowest, const char* where) {
  for (const auto& k : kept) {
    if (k.tag_number < lowest || k.tag_number > 30) {
      throw Error(std::string("ISO/IEC 39794-5 record: kept field [") + std::to_string(k.tag_number) +
                  "] cannot go in the " + where);
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

Bytes encode_datetime(const Iso39794DateTime& dt) {
  tlv::Writer w;
  w.add(context_tag(0, false), unsigned_content(dt.year));
  const std::optional<std::uint8_t>* parts[] = {&dt.month, &dt.day, &dt.hour, &dt.minute, &dt.second};
  for (std::uint8_t i = 0; i < 5; ++i) {
    if (*parts[i]) w.add(context_tag(static_cast<std::uint8_t>(i + 1), false), unsigned_content(**parts[i]));
  }
  if (dt.millisecond) w.add(context_tag(6, false), unsigned_content(*dt.millisecond));
  return w.wrap(context_tag(2, true));
}

}  // namespace

Bytes Iso39794FaceRecord::encode() const {
  check_kept(kept_representation_fields, 3, "representation block");
  check_kept(kept_image_2d_fields, 2, "2D image representation");
  check_kept(kept_image_information_fields, 2, "image information");
  for (const auto& k : kept_image_information_fields) {
    if (k.tag_number == 1 || k.tag_number == 7 || k.tag_number == 9) {
      throw Error("ISO/IEC 39794-5 record: image information field [" + std::to_string(k.tag_number) +
                  "] is modelled and cannot be kept raw");
    }
  }

  Assembler info;
  info.add(0, tlv::encode(context_tag(0, true),
                          tlv::encode(context_tag(0, false),
                                      unsigned_content(static_cast<std::uint8_t>(image_format)))));
  if (mrtd_image_kind) info.add(1, fallback_choice(1, 0));
  if (width.has_value() != height.has_value())
    throw Error("ISO/IEC 39794-5 record: width and height go together");
  if (width) {
    info.add(7, tlv::Writer()
                    .add(context_tag(0, false), unsigned_content(*width))
                    .add(context_tag(1, false), unsigned_content(*height))
                    .wrap(context_tag(7, true)));
  }
  if (colour_space) info.add(9, fallback_choice(9, static_cast<std::uint8_t>(*colour_space)));
  info.add_kept(kept_image_information_fields);

  Assembler image_2d;
  image_2d.add(0, tlv::encode(context_tag(0, false), image));
  image_2d.add(1, tlv::encode(context_tag(1, true), info.content()));
  image_2d.add_kept(kept_image_2d_fields);
  // imageRepresentation [1] CHOICE { base [0] CHOICE { imageRepresentation2DBlock [0] SEQUENCE } }
  Bytes representation_choice =
      tlv::encode(context_tag(1, true),
                  tlv::encode(context_tag(0, true), tlv::encode(context_tag(0, true), image_2d.content())));

  Assembler representation;
  representation.add(0, tlv::encode(context_tag(0, false), unsigned_content(representation_id)));
  representation.add(1, representation_choice);
  if (capture_datetime) representation.add(2, encode_datetime(*capture_datetime));
  representation.add_kept(kept_representation_fields);

  Bytes version = tlv::Writer()
                      .add(context_tag(0, false), unsigned_content(version_generation))
                      .add(context_tag(1, false), unsigned_content(version_year))
                      .wrap(context_tag(0, true));
  Bytes blocks = tlv::encode(context_tag(1, true), der::sequence(representation.content()));
  Bytes block = tlv::Writer().raw(version).raw(blocks).wrap(kFaceDataBlock);
  return tlv::encode(kOuterChoice, block);
}

Iso39794FaceRecord Iso39794FaceRecord::decode(ByteView data, const std::string& context) {
  Iso39794FaceRecord r;
  tlv::Element outer = tlv::decode_single(data, kOuterChoice, context);
  tlv::Reader outer_reader(data, context);
  tlv::Reader choice = outer_reader.enter(outer);
  tlv::Element block = choice.expect(kFaceDataBlock);
  choice.expect_end();

  SequenceReader top(choice.enter(block), context + " face data block");
  tlv::Element version_e = top.require(0, true, "version block");
  tlv::Element blocks_e = top.require(1, true, "representation blocks");
  top.expect_end();

  SequenceReader version = enter(top, version_e, "version block");
  r.version_generation = static_cast<std::uint32_t>(
      integer_value(version.require(0, false, "generation"), version.context(), 0xFFFF));
  r.version_year =
      static_cast<std::uint32_t>(integer_value(version.require(1, false, "year"), version.context(), 9999));
  version.expect_end();

  // RepresentationBlocks: SEQUENCE SIZE (1) OF RepresentationBlock.
  tlv::Reader blocks = top.reader().enter(blocks_e);
  tlv::Element rep_e = blocks.expect(der::kSequence);
  if (!blocks.at_end()) throw DecodeError(context + ": the profile allows exactly one representation block");

  SequenceReader rep(blocks.enter(rep_e), context + " representation");
  r.representation_id = integer_value(rep.require(0, false, "representation id"), rep.context(), UINT32_MAX);
  tlv::Element image_rep_e = rep.require(1, true, "image representation");
  if (auto dt = rep.take(2, true)) {
    SequenceReader dts = enter(rep, *dt, "capture date/time");
    r.capture_datetime = decode_datetime(dts);
  }
  rep.keep_until(31, r.kept_representation_fields);
  rep.expect_end();

  SequenceReader image_rep = enter(rep, image_rep_e, "image representation");
  tlv::Element base_e = image_rep.require(0, true, "base (only 2D images are supported)");
  image_rep.expect_end();
  SequenceReader base = enter(image_rep, base_e, "base");
  tlv::Element block2d_e = base.require(0, true, "2D image representation");
  base.expect_end();
  SequenceReader block2d = enter(base, block2d_e, "2D image");
  tlv::Element data_e = block2d.require(0, false, "image data");
  r.image.assign(data_e.value.begin(), data_e.value.end());
  if (r.image.empty()) throw DecodeError(block2d.context() + ": the image data is empty");
  tlv::Element info_e = block2d.require(1, true, "image information");
  block2d.keep_until(31, r.kept_image_2d_fields);
  block2d.expect_end();

  SequenceReader info = enter(block2d, info_e, "image information");
  tlv::Element format_e = info.require(0, true, "image data format");
  {
    SequenceReader format = enter(info, format_e, "image data format");
    tlv::Element code = format.require(0, false, "code (extension formats are not supported)");
    format.expect_end();
    std::uint64_t v = integer_value(code, format.context(), 0xFF);
    if (v < 2 || v > 4)
      throw DecodeError(format.context() + ": unknown image data format " + std::to_string(v));
    r.image_format = static_cast<Face39794ImageFormat>(v);
  }
  r.mrtd_image_kind = false;
  if (auto kind = info.take(1, true)) {
    if (extension_fallback(info, *kind, "face image kind", 0) != 0) {
      throw DecodeError(info.context() + ": unknown face image kind");
    }
    r.mrtd_image_kind = true;
  }
  info.keep_until(7, r.kept_image_information_fields);
  if (auto size = info.take(7, true)) {
    SequenceReader s = enter(info, *size, "image size");
    r.width = static_cast<std::uint16_t>(integer_value(s.require(0, false, "width"), s.context(), 0xFFFF));
    r.height = static_cast<std::uint16_t>(integer_value(s.require(1, false, "height"), s.context(), 0xFFFF));
    s.expect_end();
  }
  info.keep_until(9, r.kept_image_information_fields);
  if (auto cs = info.take(9, true)) {
    r.colour_space =
        static_cast<Face39794ColourSpace>(extension_fallback(info, *cs, "image colour space", 6));
  }
  info.keep_until(31, r.kept_image_information_fields);
  info.expect_end();
  return r;
}

const char* face39794_image_format_name(Face39794ImageFormat format) {
  switch (format) {
    case Face39794ImageFormat::Jpeg:
      return "JPEG";
    case Face39794ImageFormat::Jpeg2000Lossy:
      return "JPEG 2000 (lossy)";
    case Face39794ImageFormat::Jpeg2000Lossless:
      return "JPEG 2000 (lossless)";
  }
  return "unknown";
}

const char* face39794_colour_space_name(Face39794ColourSpace space) {
  switch (space) {
    case Face39794ColourSpace::Unknown:
      return "unknown";
    case Face39794ColourSpace::Other:
      return "other";
    case Face39794ColourSpace::Rgb24:
      return "RGB 24-bit";
    case Face39794ColourSpace::Rgb48:
      return "RGB 48-bit";
    case Face39794ColourSpace::Yuv422:
      return "YUV 4:2:2";
    case Face39794ColourSpace::Grey8:
      return "greyscale 8-bit";
    case Face39794ColourSpace::Grey16:
      return "greyscale 16-bit";
  }
  return "unknown";
}

}  // namespace rcperso::biometric
