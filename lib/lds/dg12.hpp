// DG12: additional document details.
#pragma once

#include "lds/tagged_fields.hpp"

namespace rcperso::lds {

struct Dg12 : TaggedFields {
  static constexpr tlv::Tag kIssuingAuthority = 0x5F19;
  static constexpr tlv::Tag kDateOfIssue = 0x5F26;   // YYYYMMDD
  static constexpr tlv::Tag kOtherPersons = 0x5F1A;  // inside A0
  static constexpr tlv::Tag kEndorsements = 0x5F1B;
  static constexpr tlv::Tag kTaxExitRequirements = 0x5F1C;
  static constexpr tlv::Tag kImageFront = 0x5F1D;
  static constexpr tlv::Tag kImageRear = 0x5F1E;
  static constexpr tlv::Tag kPersonalizationTime = 0x5F55;  // YYYYMMDDhhmmss
  static constexpr tlv::Tag kPersonalizationSerial = 0x5F56;

  Dg12()
      : TaggedFields({kIssuingAuthority, kDateOfIssue, kOtherPersons, kEndorsements, kTaxExitRequirements,
                      kImageFront, kImageRear, kPersonalizationTime, kPersonalizationSerial},
                     kOtherPersons) {}
  Bytes encode() const { return TaggedFields::encode(0x6C); }
  static Dg12 decode(ByteView data) {
    Dg12 dg;
    dg.TaggedFields::decode(data, 0x6C, "DG12");
    return dg;
  }
};

}  // namespace rcperso::lds
