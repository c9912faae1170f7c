// Country and organisation codes accepted in the MRZ and the chip
// (ISO 3166-1 alpha-3 plus the codes ICAO 9303-3 adds).
#pragma once

#include <string_view>

namespace rcperso::issuance {

/// ISO 3166-1 alpha-3 code, or one of ICAO's additions (D, GBD, UNO, XXA, EUE, ...).
bool is_valid_nationality(std::string_view code);

}  // namespace rcperso::issuance
