#include "biometric/iso39794_finger.hpp"

#include <cmath>

#include "core/error.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::biometric {
namespace {

using iso39794::context_tag;
using iso39794::integer_value;
using iso39794::SequenceReader;
using iso39794::unsigned_content;

constexpr tlv::Tag kFingerDataBlock = 0x64;  // [APPLICATION 4] SEQUENCE
constexpr const char* kRecord = "ISO/IEC 39794-4 record";

// Fields of a RepresentationBlock.
constexpr std::uint8_t kPosition = 0, kImpression = 1, kImageFormat = 2, kImageData = 3, kCaptureDateTime = 4,
                       kSamplingRate = 7;

Bytes encode_representation(const Finger39794Representation& rep) {
  iso39794::check_kept(rep.kept_fields, 5, {kSamplingRate}, kRecord, "representation block");
  iso39794::Assembler fields;
  fields.add(kPosition, iso39794::encode_code_choice(kPosition, {rep.position, rep.position_extension_form}));
  fields.add(kImpression,
             iso39794::encode_code_choice(kImpression, {rep.impression, rep.impression_extension_form}));
  fields.add(kImageFormat,
             iso39794::encode_code_choice(kImageFormat, {static_cast<std::uint8_t>(rep.image_format),
                                                         rep.image_format_extension_form}));
  fields.add(kImageData, tlv::encode(context_tag(kImageData, false), rep.image));
  if (rep.capture_datetime)
    fields.add(kCaptureDateTime, iso39794::encode_datetime(kCaptureDateTime, *rep.capture_datetime));
  if (rep.sampling_rate) {
    fields.add(kSamplingRate,
               tlv::Writer()
                   .add(context_tag(0, false), unsigned_content(rep.sampling_rate->samples_per_unit))
                   .add(context_tag(1, false), unsigned_content(rep.sampling_rate->per_centimetre ? 1 : 0))
                   .wrap(context_tag(kSamplingRate, true)));
  }
  fields.add_kept(rep.kept_fields);
  return der::sequence(fields.content());
}

Finger39794Representation decode_representation(SequenceReader& rep) {
  Finger39794Representation r;
  auto position = iso39794::read_code_choice(rep, rep.require(kPosition, true, "position"), "position", 0xFF);
  r.position = static_cast<std::uint8_t>(position.code);
  r.position_extension_form = position.extension_form;
  auto impression =
      iso39794::read_code_choice(rep, rep.require(kImpression, true, "impression"), "impression", 0xFF);
  r.impression = static_cast<std::uint8_t>(impression.code);
  r.impression_extension_form = impression.extension_form;
  auto format = iso39794::read_code_choice(rep, rep.require(kImageFormat, true, "image data format"),
                                           "image data format", 0xFF);
  if (format.code > static_cast<std::uint8_t>(Finger39794ImageFormat::Png)) {
    throw DecodeError(rep.context() + ": unknown image data format " + std::to_string(format.code));
  }
  r.image_format = static_cast<Finger39794ImageFormat>(format.code);
  r.image_format_extension_form = format.extension_form;
  tlv::Element data = rep.require(kImageData, false, "image data");
  r.image.assign(data.value.begin(), data.value.end());
  if (r.image.empty()) throw DecodeError(rep.context() + ": the image data is empty");
  if (auto dt = rep.take(kCaptureDateTime, true)) {
    SequenceReader dts = rep.enter(*dt, "capture date/time");
    r.capture_datetime = iso39794::decode_datetime(dts);
  }
  rep.keep_until(kSamplingRate, r.kept_fields);
  if (auto rate = rep.take(kSamplingRate, true)) {
    SequenceReader s = rep.enter(*rate, "spatial sampling rate");
    Finger39794SamplingRate sr;
    sr.samples_per_unit = static_cast<std::uint16_t>(
        integer_value(s.require(0, false, "samples per unit"), s.context(), 0xFFFF));
    sr.per_centimetre = integer_value(s.require(1, false, "unit dimension"), s.context(), 1) == 1;
    s.expect_end();
    r.sampling_rate = sr;
  }
  rep.keep_until(31, r.kept_fields);
  rep.expect_end();
  return r;
}

}  // namespace

int Finger39794SamplingRate::ppi() const {
  return per_centimetre ? static_cast<int>(std::lround(samples_per_unit * 2.54)) : samples_per_unit;
}

Bytes Iso39794FingerRecord::encode_block() const {
  if (representations.empty()) throw Error(std::string(kRecord) + ": at least one representation is needed");
  Bytes blocks;
  for (const auto& rep : representations) {
    Bytes one = encode_representation(rep);
    blocks.insert(blocks.end(), one.begin(), one.end());
  }
  Bytes version = tlv::Writer()
                      .add(context_tag(0, false), unsigned_content(version_generation))
                      .add(context_tag(1, false), unsigned_content(version_year))
                      .wrap(context_tag(0, true));
  return tlv::Writer().raw(version).raw(tlv::encode(context_tag(1, true), blocks)).wrap(kFingerDataBlock);
}

Bytes Iso39794FingerRecord::encode() const { return tlv::encode(iso39794::kOuterChoice, encode_block()); }

namespace {

Iso39794FingerRecord decode_data_block(const tlv::Reader& parent, const tlv::Element& block,
                                       const std::string& context) {
  Iso39794FingerRecord r;
  SequenceReader top(parent.enter(block), context + " finger data block");
  tlv::Element version_e = top.require(0, true, "version block");
  tlv::Element blocks_e = top.require(1, true, "representation blocks");
  top.expect_end();

  SequenceReader version = top.enter(version_e, "version block");
  r.version_generation = static_cast<std::uint32_t>(
      integer_value(version.require(0, false, "generation"), version.context(), 0xFFFF));
  r.version_year =
      static_cast<std::uint32_t>(integer_value(version.require(1, false, "year"), version.context(), 9999));
  version.expect_end();

  // RepresentationBlocks: SEQUENCE OF RepresentationBlock, at least one.
  tlv::Reader blocks = top.reader().enter(blocks_e);
  if (blocks.at_end()) throw DecodeError(context + ": no representation block");
  while (!blocks.at_end()) {
    tlv::Element rep_e = blocks.expect(der::kSequence);
    SequenceReader rep(blocks.enter(rep_e),
                       context + " representation " + std::to_string(r.representations.size() + 1));
    r.representations.push_back(decode_representation(rep));
  }
  return r;
}

}  // namespace

Iso39794FingerRecord Iso39794FingerRecord::decode(ByteView data, const std::string& context) {
  tlv::Element outer = tlv::decode_single(data, iso39794::kOuterChoice, context);
  tlv::Reader outer_reader(data, context);
  tlv::Reader choice = outer_reader.enter(outer);
  tlv::Element block = choice.expect(kFingerDataBlock);
  choice.expect_end();
  return decode_data_block(choice, block, context);
}

Iso39794FingerRecord Iso39794FingerRecord::decode_block(ByteView data, const std::string& context) {
  tlv::Element block = tlv::decode_single(data, kFingerDataBlock, context);
  tlv::Reader reader(data, context);
  return decode_data_block(reader, block, context);
}

const char* finger39794_image_format_name(Finger39794ImageFormat format) {
  switch (format) {
    case Finger39794ImageFormat::Pgm:
      return "PGM";
    case Finger39794ImageFormat::Wsq:
      return "WSQ";
    case Finger39794ImageFormat::Jpeg2000Lossy:
      return "JPEG 2000 (lossy)";
    case Finger39794ImageFormat::Jpeg2000Lossless:
      return "JPEG 2000 (lossless)";
    case Finger39794ImageFormat::Png:
      return "PNG";
  }
  return "unknown";
}

std::uint8_t finger39794_compression_code(Finger39794ImageFormat format) {
  switch (format) {
    case Finger39794ImageFormat::Wsq:
      return 2;
    case Finger39794ImageFormat::Jpeg2000Lossy:
    case Finger39794ImageFormat::Jpeg2000Lossless:
      return 4;
    case Finger39794ImageFormat::Png:
      return 5;
    case Finger39794ImageFormat::Pgm:
      break;
  }
  return 0;
}

}  // namespace rcperso::biometric
