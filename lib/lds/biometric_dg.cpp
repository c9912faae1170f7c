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
  return dg;
}

Dg2 Dg2::decode(ByteView data) {
  Dg2 dg;
  dg.group = biometric::BiometricGroup::decode(data, 0x75, "DG2");
  if (dg.group.templates.empty()) throw DecodeError("DG2: holds no facial image");
  if (dg.group.discretionary_random) throw DecodeError("DG2: random filler (53) is not allowed in DG2");
  for (std::size_t i = 0; i < dg.group.templates.size(); ++i) {
    const auto& t = dg.group.templates[i];
    if (t.constructed_data) continue;
    if (t.header.format_type != biometric::kFormatTypeFace19794) {
      throw DecodeError("DG2 template " + std::to_string(i + 1) +
                        ": format type is not 0008 (ISO/IEC 19794-5)");
    }
    dg.faces.push_back(biometric::FaceRecord::decode(t.data, "DG2 face record " + std::to_string(i + 1)));
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
    if (t.constructed_data) continue;
    if (t.header.format_type != biometric::kFormatTypeFinger19794) {
      throw DecodeError(ctx + ": format type is not 0007 (ISO/IEC 19794-4)");
    }
    if (!t.header.biometric_subtype) throw DecodeError(ctx + ": biometric subtype (82) is missing");
    auto record = biometric::FingerRecord::decode(t.data, "DG3 finger record " + std::to_string(i + 1));
    if (biometric::cbeff_finger_subtype(record.fingers[0].position) != *t.header.biometric_subtype) {
      throw DecodeError(ctx + ": header subtype does not match the record's finger position");
    }
    dg.fingers.push_back(std::move(record));
  }
  return dg;
}

}  // namespace rcperso::lds
