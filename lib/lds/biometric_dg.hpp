// DG2 (face) and DG3 (fingerprints): biometric records inside the CBEFF
// group template. Templates with 19794 records (5F2E) are decoded and
// checked; 39794 templates (7F2E) are kept as they are.
#pragma once

#include <vector>

#include "biometric/cbeff.hpp"
#include "biometric/face_record.hpp"
#include "biometric/finger_record.hpp"

namespace rcperso::lds {

struct Dg2 {
  biometric::BiometricGroup group;
  std::vector<biometric::FaceRecord> faces;  // one per 19794-5 template, in order

  static Dg2 from_face(const biometric::FaceImage& face);
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
