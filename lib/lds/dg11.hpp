// DG11: additional personal details, in national characters (UTF-8).
#pragma once

#include "lds/tagged_fields.hpp"

namespace rcperso::lds {

struct Dg11 : TaggedFields {
  static constexpr tlv::Tag kFullName = 0x5F0E;
  static constexpr tlv::Tag kOtherNames = 0x5F0F;  // inside A0
  static constexpr tlv::Tag kPersonalNumber = 0x5F10;
  static constexpr tlv::Tag kFullDateOfBirth = 0x5F2B;  // YYYYMMDD
  static constexpr tlv::Tag kPlaceOfBirth = 0x5F11;
  static constexpr tlv::Tag kAddress = 0x5F42;
  static constexpr tlv::Tag kTelephone = 0x5F12;
  static constexpr tlv::Tag kProfession = 0x5F13;
  static constexpr tlv::Tag kTitle = 0x5F14;
  static constexpr tlv::Tag kPersonalSummary = 0x5F15;
  static constexpr tlv::Tag kProofOfCitizenship = 0x5F16;
  static constexpr tlv::Tag kOtherTdNumbers = 0x5F17;
  static constexpr tlv::Tag kCustodyInformation = 0x5F18;

  Dg11()
      : TaggedFields({kFullName, kOtherNames, kPersonalNumber, kFullDateOfBirth, kPlaceOfBirth, kAddress,
                      kTelephone, kProfession, kTitle, kPersonalSummary, kProofOfCitizenship, kOtherTdNumbers,
                      kCustodyInformation},
                     kOtherNames) {}
  Bytes encode() const { return TaggedFields::encode(0x6B); }
  static Dg11 decode(ByteView data) {
    Dg11 dg;
    dg.TaggedFields::decode(data, 0x6B, "DG11");
    return dg;
  }
};

}  // namespace rcperso::lds
