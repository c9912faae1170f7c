#include "lds/biometric_dg.hpp"

#include "core/error.hpp"

namespace rcperso::lds {

using biometric::BiometricTemplate;

Dg2 Dg2::from_face(const biometric::FaceImage& face) {
  Dg2 dg;
  biometric::FaceRecord record;
  record.images.push_back(face);
  BiometricTemplate t;
  t.header.biometric_type = biometric::kBiometricTypeFace;
  t.header.format_type = biometric::kFormatTypeFace19794;
  t.data = record.encode();
  dg.group.templates.push_back(std::move(t));
  dg.faces.push_back(std::move(record));
  dg.face_formats.push_back(FaceRecordFormat::Iso19794_5);
  return dg;
}

namespace {

biometric::FaceRecord as_19794_view(const biometric::Iso39794FaceRecord& r) {
  using biometric::Face39794ColourSpace;
  biometric::FaceImage img;
  img.image_data_type = r.image_format == biometric::Face39794ImageFormat::Jpeg ? 0 : 1;
  img.width = r.width.value_or(0);
  img.height = r.height.value_or(0);
  switch (r.colour_space.value_or(Face39794ColourSpace::Unknown)) {
    case Face39794ColourSpace::Rgb24:
      img.colour_space = 1;
      break;
    case Face39794ColourSpace::Yuv422:
      img.colour_space = 2;
      break;
    case Face39794ColourSpace::Grey8:
      img.colour_space = 3;
      break;
    case Face39794ColourSpace::Unknown:
      img.colour_space = 0;
      break;
    default:
      img.colour_space = 4;
  }
  img.face_image_type = 1;  // the profile's "mrtd" kind is a full frontal portrait
  img.image = r.image;
  biometric::FaceRecord view;
  view.images.push_back(std::move(img));
  return view;
}

}  // namespace

const char* face_record_format_name(FaceRecordFormat format) {
  return format == FaceRecordFormat::Iso39794_5 ? "ISO/IEC 39794-5" : "ISO/IEC 19794-5";
}

Dg2 Dg2::from_face_39794(const biometric::Iso39794FaceRecord& record) {
  Dg2 dg;
  BiometricTemplate t;
  // The ICAO samples carry only format owner and type in the header.
  t.header.format_type = biometric::kFormatTypeFace39794;
  t.data = record.encode();
  t.constructed_data = true;
  dg.group.templates.push_back(std::move(t));
  dg.faces.push_back(as_19794_view(record));
  dg.face_formats.push_back(FaceRecordFormat::Iso39794_5);
  dg.faces_39794.push_back(record);
  return dg;
}

Dg2 Dg2::decode(ByteView data) {
  Dg2 dg;
  dg.group = biometric::BiometricGroup::decode(data, 0x75, "DG2");
  if (dg.group.templates.empty()) throw DecodeError("DG2: holds no facial image");
  if (dg.group.discretionary_random) throw DecodeError("DG2: random filler (53) is not allowed in DG2");
  for (std::size_t i = 0; i < dg.group.templates.size(); ++i) {
    const auto& t = dg.group.templates[i];
    std::string ctx = "DG2 template " + std::to_string(i + 1);
    if (t.header.format_owner != biometric::kFormatOwnerJtc1Sc37) {
      throw DecodeError(ctx + ": format owner is not 0101 (ISO/IEC JTC 1/SC 37)");
    }
    if (t.constructed_data) {
      if (t.header.format_type != biometric::kFormatTypeFace39794) {
        throw DecodeError(ctx + ": a 7F2E data block needs format type 002A (ISO/IEC 39794-5)");
      }
      auto record = biometric::Iso39794FaceRecord::decode(t.data, "DG2 face record " + std::to_string(i + 1));
      dg.faces.push_back(as_19794_view(record));
      dg.face_formats.push_back(FaceRecordFormat::Iso39794_5);
      dg.faces_39794.push_back(std::move(record));
      continue;
    }
    if (t.header.format_type != biometric::kFormatTypeFace19794) {
      throw DecodeError(ctx + ": a 5F2E data block needs format type 0008 (ISO/IEC 19794-5)");
    }
    dg.faces.push_back(biometric::FaceRecord::decode(t.data, "DG2 face record " + std::to_string(i + 1)));
    dg.face_formats.push_back(FaceRecordFormat::Iso19794_5);
  }
  return dg;
}

Dg3 Dg3::from_fingers(const std::vector<biometric::FingerRecord>& records) {
  Dg3 dg;
  for (const auto& record : records) {
    BiometricTemplate t;
    t.header.biometric_type = biometric::kBiometricTypeFinger;
    if (!record.fingers.empty())
      t.header.biometric_subtype = biometric::cbeff_finger_subtype(record.fingers[0].position);
    t.header.format_type = biometric::kFormatTypeFinger19794;
    t.data = record.encode();
    dg.group.templates.push_back(std::move(t));
    dg.fingers.push_back(record);
    dg.finger_formats.push_back(FingerRecordFormat::Iso19794_4);
  }
  return dg;
}

namespace {

biometric::FingerRecord as_19794_view(const biometric::Iso39794FingerRecord& r) {
  biometric::FingerRecord view;
  const auto& first = r.representations.front();
  view.compression = biometric::finger39794_compression_code(first.image_format);
  const int ppi = first.sampling_rate ? first.sampling_rate->ppi() : 0;
  view.scan_res_h = view.scan_res_v = view.image_res_h = view.image_res_v = static_cast<std::uint16_t>(ppi);
  view.acquisition_level = 0;
  for (const auto& rep : r.representations) {
    biometric::FingerImage f;
    f.position = rep.position;
    f.impression_type = rep.impression;
    f.width = f.height = 0;
    f.image = rep.image;
    view.fingers.push_back(std::move(f));
  }
  return view;
}

// The BHT subtype a 39794-4 record's header must carry: the bits all its
// representations share (one finger: its own subtype).
std::uint8_t common_subtype(const biometric::Iso39794FingerRecord& r) {
  std::uint8_t bits = 0xFF;
  for (const auto& rep : r.representations) bits &= biometric::cbeff_finger_subtype(rep.position);
  return bits;
}

}  // namespace

const char* finger_record_format_name(FingerRecordFormat format) {
  return format == FingerRecordFormat::Iso39794_4 ? "ISO/IEC 39794-4" : "ISO/IEC 19794-4";
}

Dg3 Dg3::from_fingers_39794(const std::vector<biometric::Iso39794FingerRecord>& records) {
  Dg3 dg;
  for (const auto& record : records) {
    BiometricTemplate t;
    t.header.biometric_type = biometric::kBiometricTypeFinger;
    t.header.biometric_subtype = common_subtype(record);
    t.header.format_type = biometric::kFormatTypeFinger39794;
    t.data = record.encode();
    t.constructed_data = true;
    dg.group.templates.push_back(std::move(t));
    dg.fingers.push_back(as_19794_view(record));
    dg.finger_formats.push_back(FingerRecordFormat::Iso39794_4);
    dg.fingers_39794.push_back(record);
  }
  return dg;
}

Dg3 Dg3::empty(const Bytes& random) {
  Dg3 dg;
  dg.group.discretionary_random = random;
  return dg;
}

Dg3 Dg3::decode(ByteView data) {
  Dg3 dg;
  dg.group = biometric::BiometricGroup::decode(data, 0x63, "DG3");
  for (std::size_t i = 0; i < dg.group.templates.size(); ++i) {
    const auto& t = dg.group.templates[i];
    std::string ctx = "DG3 template " + std::to_string(i + 1);
    if (t.header.format_owner != biometric::kFormatOwnerJtc1Sc37) {
      throw DecodeError(ctx + ": format owner is not 0101 (ISO/IEC JTC 1/SC 37)");
    }
    if (!t.header.biometric_subtype) throw DecodeError(ctx + ": biometric subtype (82) is missing");
    if (t.constructed_data) {
      if (t.header.format_type != biometric::kFormatTypeFinger39794) {
        throw DecodeError(ctx + ": a 7F2E data block needs format type 0028 (ISO/IEC 39794-4)");
      }
      auto record =
          biometric::Iso39794FingerRecord::decode(t.data, "DG3 finger record " + std::to_string(i + 1));
      if (common_subtype(record) != *t.header.biometric_subtype) {
        throw DecodeError(ctx + ": header subtype does not match the record's finger position");
      }
      dg.fingers.push_back(as_19794_view(record));
      dg.finger_formats.push_back(FingerRecordFormat::Iso39794_4);
      dg.fingers_39794.push_back(std::move(record));
      continue;
    }
    if (t.header.format_type != biometric::kFormatTypeFinger19794) {
      throw DecodeError(ctx + ": a 5F2E data block needs format type 0007 (ISO/IEC 19794-4)");
    }
    auto record = biometric::FingerRecord::decode(t.data, "DG3 finger record " + std::to_string(i + 1));
    if (biometric::cbeff_finger_subtype(record.fingers[0].position) != *t.header.biometric_subtype) {
      throw DecodeError(ctx + ": header subtype does not match the record's finger position");
    }
    dg.fingers.push_back(std::move(record));
    dg.finger_formats.push_back(FingerRecordFormat::Iso19794_4);
  }
  return dg;
}

}  // namespace rcperso::lds
