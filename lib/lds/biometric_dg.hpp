// DG2 (face) and DG3 (fingerprints): biometric records inside the CBEFF
// group template. DG2 face records may be ISO/IEC 19794-5 (BDB 5F2E,
// format type 0008) or ISO/IEC 39794-5 (BDB 7F2E, format type 002A); both
// are decoded. DG3 finger records likewise: ISO/IEC 19794-4 (5F2E, format
// type 0007) or ISO/IEC 39794-4 (7F2E, format type 0028).
#pragma once

#include <vector>

#include "biometric/cbeff.hpp"
#include "biometric/face_record.hpp"
#include "biometric/finger_record.hpp"
#include "biometric/iso39794_face.hpp"
#include "biometric/iso39794_finger.hpp"

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

enum class FingerRecordFormat { Iso19794_4, Iso39794_4 };
const char* finger_record_format_name(FingerRecordFormat format);  // "ISO/IEC 19794-4"

struct Dg3 {
  biometric::BiometricGroup group;
  /// One per template, in order; a 39794-4 record is also shown here as a
  /// FingerRecord (position, impression, compression code, resolution and
  /// image; width and height 0, as 39794-4 states none) so readers of
  /// either format look at the same fields.
  std::vector<biometric::FingerRecord> fingers;
  std::vector<FingerRecordFormat> finger_formats;  // parallel to fingers
  /// The 39794-4 records as decoded, in template order.
  std::vector<biometric::Iso39794FingerRecord> fingers_39794;

  /// One template per finger record, subtype from its first finger's position.
  static Dg3 from_fingers(const std::vector<biometric::FingerRecord>& records);
  static Dg3 from_fingers_39794(const std::vector<biometric::Iso39794FingerRecord>& records);
  /// No fingerprints stored: an empty group followed by random filler.
  static Dg3 empty(const Bytes& random);
  bool has_fingerprints() const { return !group.templates.empty(); }
  Bytes encode() const { return group.encode(0x63); }
  static Dg3 decode(ByteView data);
};

}  // namespace rcperso::lds
