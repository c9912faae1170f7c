// The decoded contents of a chip image, shared by verification and dumps.
// Each file is decoded once; a file that fails to decode keeps its error.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/date.hpp"
#include "issuance/chip_image.hpp"
#include "lds/biometric_dg.hpp"
#include "lds/com.hpp"
#include "lds/dg1.hpp"
#include "lds/dg11.hpp"
#include "lds/dg12.hpp"
#include "lds/dg7.hpp"
#include "lds/security_dg.hpp"
#include "lds/sod.hpp"
#include "mrz/mrz.hpp"

namespace rcperso::inspection {

struct ChipView {
  std::optional<lds::Com> com;
  std::optional<lds::Sod> sod;
  std::optional<lds::Dg1> dg1;
  std::optional<mrz::ParsedMrz> mrz;
  std::optional<lds::Dg2> dg2;
  std::optional<lds::Dg3> dg3;
  std::optional<lds::Dg7> dg7;
  std::optional<lds::Dg11> dg11;
  std::optional<lds::Dg12> dg12;
  std::optional<lds::Dg14> dg14;
  std::optional<lds::Dg15> dg15;
  std::map<std::string, std::string> errors;  // file name -> why it did not decode

  /// Full date of birth (DG11, else DG1 with the century inferred) and date of issue (DG12).
  std::optional<Date> date_of_birth() const;
  std::optional<Date> date_of_issue() const;
  /// Date of expiry from DG1, the century chosen to fall at or after the date of issue (or 2000s).
  std::optional<Date> date_of_expiry() const;
  bool fingerprint_exemption_recorded() const;
};

ChipView decode_chip(const issuance::ChipImage& chip);

}  // namespace rcperso::inspection
