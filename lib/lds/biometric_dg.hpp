// DG2 (face) and DG3 (fingerprints): biometric records inside the CBEFF
// group template. DG2 face records may be ISO/IEC 19794-5 (BDB 5F2E,
// format type 0008) or ISO/IEC 39794-5 (BDB 7F2E, format type 002A); both
// are decoded. DG3 decodes 19794-4 and keeps 39794 templates as they are.
#pragma once

#include <vector>

#include "biometric/cbeff.hpp"
#include "biometric/face_record.hpp"
#include "biometric/finger_record.hpp"
#include "biometric/iso39794_face.hpp"

namespace rcperso::lds {

enum class FaceRecordFormat { Iso19794_5, Iso39794_5 };
const char* face_record_format_name(FaceRecordFormat format);  // "ISO/IEC 19794-5"

struct Dg2 {
  biometric::BiometricGroup group;
  /// One per template, in order; a 39794-5 record is also shown here as a
  /// one-image FaceRecord (its image, type, size and colour space) so
  /// readers of either format look at the same fields.
  std::vector<biometric::FaceRecord> faces;
  std::vector<FaceRecordFormat> face_formats;  // parallel to faces
  /// The 39794-5 records as decoded, in template order.
  std::vector<biometric::Iso39794FaceRecord> faces_39794;

  static Dg2 from_face(const biometric::FaceImage& face);
  static Dg2 from_face_39794(const biometric::Iso39794FaceRecord& record);
  Bytes encode() const { return group.encode(0x75); }
  static Dg2 decode(ByteView data);
};

struct Dg3 {
  biometric::BiometricGroup group;
  std::vector<biometric::FingerRecord> fingers;  // one per 19794-4 template, in order

  /// One template per finger record, subtype from its first finger's position.
  static Dg3 from_fingers(const std::vector<biometric::FingerRecord>& records);
  /// No fingerprints stored: an empty group followed by random filler.
  static Dg3 empty(const Bytes& random);
  bool has_fingerprints() const { return !group.templates.empty(); }
  Bytes encode() const { return group.encode(0x63); }
  static Dg3 decode(ByteView data);
};

}  // namespace rcperso::lds
