// Machine readable zone per ICAO 9303 parts 3 and 5: check digits,
// transliteration of national characters, name truncation, building a TD1
// MRZ and parsing TD1/TD2/TD3.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rcperso::mrz {

/// 7-3-1 check digit; throws rcperso::Error on a character outside 0-9 A-Z '<'.
int check_digit(std::string_view field);

/// A UTF-8 name to MRZ characters (9303-3 §4.6 and §6): upper case, the
/// Latin and Cyrillic transliteration tables (Æ->AE, Ø->OE, Å->AA, Ä->AE,
/// Ö->OE, Ü->UE, ß->SS, ...), apostrophes dropped, hyphens, spaces and commas
/// to '<', other punctuation dropped, runs of '<' collapsed. Throws
/// rcperso::Error naming the character (U+XXXX) for digits, unmapped scripts
/// or invalid UTF-8.
std::string transliterate(std::string_view utf8);

/// The name field from primary and secondary identifiers (UTF-8), padded or
/// truncated to `width` per 9303-5 §4.2.3: primary components are cut to
/// initials when room for "<<" and the secondary identifier is needed;
/// secondary components share what is left, each keeping at least its
/// first letter, so a truncated field ends on a letter.
std::string name_field(std::string_view primary_utf8, std::string_view secondary_utf8,
                       std::size_t width = 30);

struct Td1Input {
  std::string document_code;         // 2 characters, e.g. "IR"
  std::string issuing_state;         // 3 letters
  std::string document_number;       // A-Z 0-9, 1..22; beyond 9 continues in the optional data
  std::string optional_data1;        // further line-1 optional data, may be empty
  std::string date_of_birth;         // YYMMDD
  char sex = '<';                    // 'F', 'M' or '<'
  std::string date_of_expiry;        // YYMMDD
  std::string nationality;           // 3 letters (or "D<<")
  std::string optional_data2;        // line 2 positions 19-29, may be empty
  std::string primary_identifier;    // UTF-8
  std::string secondary_identifier;  // UTF-8
};

/// The 90 characters (3 x 30, no newlines) of a TD1 MRZ.
std::string build_td1(const Td1Input& in);

enum class Format { TD1, TD2, TD3 };
const char* format_name(Format);

struct CheckResult {
  std::string name;  // "document number", "date of birth", "date of expiry", "optional data", "composite"
  bool ok;
};

struct ParsedMrz {
  Format format = Format::TD1;
  std::vector<std::string> lines;
  std::string document_code, issuing_state, document_number, date_of_birth, sex, date_of_expiry, nationality,
      optional_data1, optional_data2, primary_identifier, secondary_identifier;
  std::vector<CheckResult> checks;

  bool all_checks_ok() const;
  /// Document number (at least 9 characters, '<'-padded) + check digit + date of
  /// birth + check digit + date of expiry + check digit: BAC's MRZ_information.
  std::string key_seed() const;
};

/// Parses 90 (TD1), 72 (TD2) or 88 (TD3) MRZ characters; line breaks are
/// ignored. Check digits are reported in `checks`, not thrown. Throws
/// rcperso::DecodeError on a bad length or characters outside 0-9 A-Z '<'.
ParsedMrz parse(std::string_view text);

}  // namespace rcperso::mrz
