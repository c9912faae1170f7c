#include "biometric/iso39794_face.hpp"

#include "biometric/iso39794_der.hpp"
#include "core/error.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::biometric {
namespace {

using iso39794::context_tag;
using iso39794::integer_value;
using iso39794::SequenceReader;
using iso39794::unsigned_content;

constexpr tlv::Tag kFaceDataBlock = 0x65;  // [APPLICATION 5] SEQUENCE

// The application profile writes extensible codes in the extension block's
// fallback form only: [number] { [1] { [0] code } }.
std::uint64_t extension_fallback(const SequenceReader& parent, const tlv::Element& e, const std::string& what,
                                 std::uint64_t max) {
  iso39794::CodeChoice choice = iso39794::read_code_choice(parent, e, what, max);
  if (!choice.extension_form) {
    throw DecodeError(parent.context() + " " + what +
                      ": the application profile needs the extension block form");
  }
  return choice.code;
}

Bytes fallback_choice(std::uint8_t number, std::uint64_t code) {
  return iso39794::encode_code_choice(number, {code, true});
}

}  // namespace

Bytes Iso39794FaceRecord::encode() const {
  constexpr const char* kRecord = "ISO/IEC 39794-5 record";
  iso39794::check_kept(kept_representation_fields, 3, {}, kRecord, "representation block");
  iso39794::check_kept(kept_image_2d_fields, 2, {}, kRecord, "2D image representation");
  iso39794::check_kept(kept_image_information_fields, 2, {7, 9}, kRecord, "image information");

  iso39794::Assembler info;
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

  iso39794::Assembler image_2d;
  image_2d.add(0, tlv::encode(context_tag(0, false), image));
  image_2d.add(1, tlv::encode(context_tag(1, true), info.content()));
  image_2d.add_kept(kept_image_2d_fields);
  // imageRepresentation [1] CHOICE { base [0] CHOICE { imageRepresentation2DBlock [0] SEQUENCE } }
  Bytes representation_choice =
      tlv::encode(context_tag(1, true),
                  tlv::encode(context_tag(0, true), tlv::encode(context_tag(0, true), image_2d.content())));

  iso39794::Assembler representation;
  representation.add(0, tlv::encode(context_tag(0, false), unsigned_content(representation_id)));
  representation.add(1, representation_choice);
  if (capture_datetime) representation.add(2, iso39794::encode_datetime(2, *capture_datetime));
  representation.add_kept(kept_representation_fields);

  Bytes version = tlv::Writer()
                      .add(context_tag(0, false), unsigned_content(version_generation))
                      .add(context_tag(1, false), unsigned_content(version_year))
                      .wrap(context_tag(0, true));
  Bytes blocks = tlv::encode(context_tag(1, true), der::sequence(representation.content()));
  Bytes block = tlv::Writer().raw(version).raw(blocks).wrap(kFaceDataBlock);
  return tlv::encode(iso39794::kOuterChoice, block);
}

Iso39794FaceRecord Iso39794FaceRecord::decode(ByteView data, const std::string& context) {
  Iso39794FaceRecord r;
  tlv::Element outer = tlv::decode_single(data, iso39794::kOuterChoice, context);
  tlv::Reader outer_reader(data, context);
  tlv::Reader choice = outer_reader.enter(outer);
  tlv::Element block = choice.expect(kFaceDataBlock);
  choice.expect_end();

  SequenceReader top(choice.enter(block), context + " face data block");
  tlv::Element version_e = top.require(0, true, "version block");
  tlv::Element blocks_e = top.require(1, true, "representation blocks");
  top.expect_end();

  SequenceReader version = top.enter(version_e, "version block");
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
    SequenceReader dts = rep.enter(*dt, "capture date/time");
    r.capture_datetime = iso39794::decode_datetime(dts);
  }
  rep.keep_until(31, r.kept_representation_fields);
  rep.expect_end();

  SequenceReader image_rep = rep.enter(image_rep_e, "image representation");
  tlv::Element base_e = image_rep.require(0, true, "base (only 2D images are supported)");
  image_rep.expect_end();
  SequenceReader base = image_rep.enter(base_e, "base");
  tlv::Element block2d_e = base.require(0, true, "2D image representation");
  base.expect_end();
  SequenceReader block2d = base.enter(block2d_e, "2D image");
  tlv::Element data_e = block2d.require(0, false, "image data");
  r.image.assign(data_e.value.begin(), data_e.value.end());
  if (r.image.empty()) throw DecodeError(block2d.context() + ": the image data is empty");
  tlv::Element info_e = block2d.require(1, true, "image information");
  block2d.keep_until(31, r.kept_image_2d_fields);
  block2d.expect_end();

  SequenceReader info = block2d.enter(info_e, "image information");
  tlv::Element format_e = info.require(0, true, "image data format");
  {
    SequenceReader format = info.enter(format_e, "image data format");
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
    SequenceReader s = info.enter(*size, "image size");
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
