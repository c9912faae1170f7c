#include "mrz/mrz.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "core/error.hpp"

namespace rcperso::mrz {

namespace {

bool is_mrz_char(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '<'; }
bool is_letter(char c) { return c >= 'A' && c <= 'Z'; }

std::string code_point_name(std::uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", cp);
  return buf;
}

// Latin-1 supplement, U+00C0..U+00FF, upper and lower case share a row
// (lower case = upper + 0x20, except ß and ÿ handled separately).
const char* latin1_upper(std::uint32_t cp) {
  static const char* const kTable[] = {
      "A",  "A", "A", "A", "AE", "AA", "AE", "C",      // C0-C7
      "E",  "E", "E", "E", "I",  "I",  "I",  "I",      // C8-CF
      "D",  "N", "O", "O", "O",  "O",  "OE", nullptr,  // D0-D7 (D7 is ×)
      "OE", "U", "U", "U", "UE", "Y",  "TH", "SS",     // D8-DF (DF is ß)
  };
  if (cp >= 0xC0 && cp <= 0xDF) return kTable[cp - 0xC0];
  if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) return kTable[cp - 0xE0];
  if (cp == 0xFF) return "Y";
  return nullptr;
}

// Latin Extended-A, U+0100..U+017F: ranges of code points sharing a base letter.
const char* latin_extended_a(std::uint32_t cp) {
  struct Range {
    std::uint32_t first, last;
    const char* text;
  };
  static constexpr Range kRanges[] = {
      {0x0100, 0x0105, "A"}, {0x0106, 0x010D, "C"},  {0x010E, 0x0111, "D"}, {0x0112, 0x011B, "E"},
      {0x011C, 0x0123, "G"}, {0x0124, 0x0127, "H"},  {0x0128, 0x0131, "I"}, {0x0132, 0x0133, "IJ"},
      {0x0134, 0x0135, "J"}, {0x0136, 0x0138, "K"},  {0x0139, 0x0142, "L"}, {0x0143, 0x014B, "N"},
      {0x014C, 0x0151, "O"}, {0x0152, 0x0153, "OE"}, {0x0154, 0x0159, "R"}, {0x015A, 0x0161, "S"},
      {0x0162, 0x0167, "T"}, {0x0168, 0x0173, "U"},  {0x0174, 0x0175, "W"}, {0x0176, 0x0178, "Y"},
      {0x0179, 0x017E, "Z"}, {0x017F, 0x017F, "S"},
  };
  for (const auto& r : kRanges) {
    if (cp >= r.first && cp <= r.last) return r.text;
  }
  return nullptr;
}

// Cyrillic, 9303-3 §6.B default column (language exceptions are the issuer's choice).
const char* cyrillic(std::uint32_t cp) {
  static const char* const kBasic[] = {
      "A", "B", "V", "G", "D", "E",  "ZH", "Z",  "I",  "I",    "K",  "L", "M", "N", "O",  "P",   // 0410-041F
      "R", "S", "T", "U", "F", "KH", "TS", "CH", "SH", "SHCH", "IE", "Y", "",  "E", "IU", "IA",  // 0420-042F
  };
  if (cp >= 0x0410 && cp <= 0x042F) return kBasic[cp - 0x0410];
  if (cp >= 0x0430 && cp <= 0x044F) return kBasic[cp - 0x0430];
  std::uint32_t upper = (cp >= 0x0450 && cp <= 0x045F) ? cp - 0x50 : cp;
  switch (upper) {
    case 0x0401:
      return "E";
    case 0x0402:
      return "D";
    case 0x0404:
      return "IE";
    case 0x0405:
      return "DZ";
    case 0x0406:
    case 0x0407:
      return "I";
    case 0x0408:
      return "J";
    case 0x0409:
      return "LJ";
    case 0x040A:
      return "NJ";
    case 0x040B:
      return "C";
    case 0x040C:
      return "K";
    case 0x040E:
      return "U";
    case 0x040F:
      return "DZ";
    default:
      break;
  }
  switch (cp) {
    case 0x046A:
    case 0x046B:
      return "U";
    case 0x0474:
    case 0x0475:
      return "Y";
    case 0x0490:
    case 0x0491:
    case 0x0492:
    case 0x0493:
      return "G";
    case 0x04BA:
    case 0x04BB:
      return "C";
    default:
      return nullptr;
  }
}

bool is_dropped_punctuation(std::uint32_t cp) {
  switch (cp) {
    case '\'':
    case 0x2019:
    case 0x2018:
    case 0x02BC:
    case 0x02B9:  // apostrophes
    case '.':
    case ';':
    case ':':
    case '!':
    case '?':
    case '"':
    case '(':
    case ')':
    case '[':
    case ']':
    case '/':
    case '&':
    case '*':
    case 0x00B4:
    case '`':
      return true;
    default:
      return false;
  }
}

std::uint32_t decode_utf8(std::string_view s, std::size_t& i) {
  auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  std::uint8_t b0 = b(i);
  std::size_t extra = 0;
  std::uint32_t cp = 0;
  if (b0 < 0x80) {
    cp = b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    extra = 1;
    cp = b0 & 0x1FU;
  } else if ((b0 & 0xF0) == 0xE0) {
    extra = 2;
    cp = b0 & 0x0FU;
  } else if ((b0 & 0xF8) == 0xF0) {
    extra = 3;
    cp = b0 & 0x07U;
  } else {
    throw Error("invalid UTF-8 at byte " + std::to_string(i));
  }
  if (extra > s.size() - i - 1) throw Error("truncated UTF-8 at byte " + std::to_string(i));
  for (std::size_t k = 1; k <= extra; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) throw Error("invalid UTF-8 at byte " + std::to_string(i));
    cp = (cp << 6) | (b(i + k) & 0x3FU);
  }
  static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    throw Error("invalid UTF-8 at byte " + std::to_string(i));
  }
  i += extra + 1;
  return cp;
}

// Splits a transliterated name into its components.
std::vector<std::string> components(const std::string& mrz_text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : mrz_text) {
    if (c == '<') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) {
    if (!s.empty()) s.push_back('<');
    s += p;
  }
  return s;
}

std::string cut(std::string s, std::size_t budget) {
  if (s.size() > budget) s.resize(budget);
  while (!s.empty() && s.back() == '<') s.pop_back();
  return s;
}

// Fits components into `budget` characters. Components are kept whole from
// the front while the rest can still keep a first letter each; then, with
// `fill`, the rest share the remaining room evenly (earlier ones get the
// extra letter), otherwise they become initials (a leading component that is
// too long by itself is cut to fit).
std::string fit_components(const std::vector<std::string>& parts, std::size_t budget, bool fill) {
  std::string whole = join(parts);
  if (whole.size() <= budget) return whole;
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::size_t sep = out.empty() ? 0 : 1;
    std::size_t rest_min = 2 * (parts.size() - i - 1);  // "<X" for each later component
    if (out.size() + sep + parts[i].size() + rest_min <= budget) {
      out += (sep != 0U ? "<" : "") + parts[i];
      continue;
    }
    std::size_t k = parts.size() - i;
    std::size_t seps = k - (out.empty() ? 1 : 0);
    if (out.size() + seps + k > budget) return cut(whole, budget);  // not even initials fit
    std::size_t letters = budget - out.size() - seps;
    std::vector<std::size_t> share(k, 0);
    if (!fill) {
      // Later components become initials; only a leading component that
      // alone is too long is cut instead.
      std::fill(share.begin(), share.end(), 1);
      if (out.empty()) share[0] = std::min(letters - (k - 1), parts[i].size());
      letters = 0;
    }
    // Hand out letters round-robin, front first, capped at each component's length.
    for (bool progress = true; letters > 0 && progress;) {
      progress = false;
      for (std::size_t j = 0; j < k && letters > 0; ++j) {
        if (share[j] < parts[i + j].size()) {
          ++share[j];
          --letters;
          progress = true;
        }
      }
    }
    for (std::size_t j = 0; j < k; ++j) {
      if (!out.empty()) out.push_back('<');
      out += parts[i + j].substr(0, share[j]);
    }
    return out;
  }
  return out;
}

void require_chars(const std::string& value, const char* field, std::size_t min, std::size_t max,
                   bool letters_only) {
  if (value.size() < min || value.size() > max) {
    throw Error(std::string(field) + ": must be " +
                (min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max)) +
                " characters");
  }
  for (char c : value) {
    bool ok = letters_only ? (is_letter(c) || c == '<') : is_mrz_char(c);
    if (!ok) throw Error(std::string(field) + ": invalid character '" + std::string(1, c) + "'");
  }
}

void require_date(const std::string& value, const char* field) {
  require_chars(value, field, 6, 6, false);
  if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw Error(std::string(field) + ": must be YYMMDD digits");
  }
}

char digit_char(int d) { return static_cast<char>('0' + d); }

std::string pad(std::string s, std::size_t width) {
  s.resize(width, '<');
  return s;
}

std::string trim_filler(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(c == '<' ? ' ' : c);
  auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  auto last = out.find_last_not_of(' ');
  out = out.substr(first, last - first + 1);
  // Collapse runs of spaces left by '<<' inside a component list.
  std::string collapsed;
  for (char c : out) {
    if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed.push_back(c);
  }
  return collapsed;
}

void split_name(std::string_view field, ParsedMrz& p) {
  auto sep = field.find("<<");
  if (sep == std::string_view::npos) {
    p.primary_identifier = trim_filler(field);
    return;
  }
  p.primary_identifier = trim_filler(field.substr(0, sep));
  p.secondary_identifier = trim_filler(field.substr(sep + 2));
}

bool check_ok(std::string_view field, char digit) {
  if (digit == '<') return std::all_of(field.begin(), field.end(), [](char c) { return c == '<'; });
  if (digit < '0' || digit > '9') return false;
  return check_digit(field) == digit - '0';
}

}  // namespace

int check_digit(std::string_view field) {
  static constexpr int kWeights[] = {7, 3, 1};
  int sum = 0;
  for (std::size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    int v = 0;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'A' && c <= 'Z') {
      v = c - 'A' + 10;
    } else if (c == '<') {
      v = 0;
    } else {
      throw Error(std::string("character '") + c + "' is not allowed in the MRZ");
    }
    sum += v * kWeights[i % 3];
  }
  return sum % 10;
}

std::string transliterate(std::string_view utf8) {
  std::string out;
  std::size_t i = 0;
  while (i < utf8.size()) {
    std::uint32_t cp = decode_utf8(utf8, i);
    const char* mapped = nullptr;
    if (cp >= 'A' && cp <= 'Z') {
      out.push_back(static_cast<char>(cp));
      continue;
    }
    if (cp >= 'a' && cp <= 'z') {
      out.push_back(static_cast<char>(cp - 'a' + 'A'));
      continue;
    }
    if (cp == ' ' || cp == '-' || cp == ',' || cp == '<' || cp == 0x2010 || cp == 0x2011 || cp == 0x00A0) {
      if (!out.empty() && out.back() != '<') out.push_back('<');
      continue;
    }
    if (is_dropped_punctuation(cp)) continue;
    if (cp >= 0xC0 && cp <= 0xFF) mapped = latin1_upper(cp);
    if (cp >= 0x0100 && cp <= 0x017F) mapped = latin_extended_a(cp);
    if (cp >= 0x0400 && cp <= 0x04FF) mapped = cyrillic(cp);
    if (cp == 0x1E9E) mapped = "SS";
    if (mapped == nullptr) {
      std::string what = (cp >= '0' && cp <= '9') ? "digit '" + std::string(1, static_cast<char>(cp)) + "'"
                                                  : "character " + code_point_name(cp);
      throw Error(what + " cannot be written in the MRZ (ICAO 9303-3 allows letters only)");
    }
    out += mapped;
  }
  while (!out.empty() && out.back() == '<') out.pop_back();
  return out;
}

std::string name_field(std::string_view primary_utf8, std::string_view secondary_utf8, std::size_t width) {
  auto primary = components(transliterate(primary_utf8));
  auto secondary = components(transliterate(secondary_utf8));
  if (primary.empty()) throw Error("the primary identifier (surname) has no letters for the MRZ");
  if (secondary.empty()) return pad(fit_components(primary, width, true), width);
  std::string full = join(primary) + "<<" + join(secondary);
  if (full.size() <= width) return pad(full, width);
  // Room for "<<" and at least the first letter of the secondary identifier.
  std::string p = fit_components(primary, width - 3, false);
  std::string s = fit_components(secondary, width - p.size() - 2, true);
  return pad(p + "<<" + s, width);
}

std::string build_td1(const Td1Input& in) {
  require_chars(in.document_code, "document code", 2, 2, true);
  if (in.document_code[0] != 'A' && in.document_code[0] != 'C' && in.document_code[0] != 'I') {
    throw Error("document code: must start with A, C or I");
  }
  require_chars(in.issuing_state, "issuing state", 1, 3, true);
  require_chars(in.document_number, "document number", 1, 22, false);
  if (in.document_number.find('<') != std::string::npos) throw Error("document number: '<' is not allowed");
  require_chars(in.optional_data1, "optional data (line 1)", 0, 15, false);
  require_date(in.date_of_birth, "date of birth");
  require_date(in.date_of_expiry, "date of expiry");
  if (in.sex != 'F' && in.sex != 'M' && in.sex != '<') throw Error("sex: must be F, M or <");
  require_chars(in.nationality, "nationality", 1, 3, true);
  require_chars(in.optional_data2, "optional data (line 2)", 0, 11, false);

  const std::string& number = in.document_number;
  std::string number_cd(1, digit_char(check_digit(pad(number, std::max<std::size_t>(9, number.size())))));
  std::string line1 = pad(in.document_code, 2) + pad(in.issuing_state, 3);
  std::string optional1;
  if (number.size() <= 9) {
    line1 += pad(number, 9) + number_cd;
    optional1 = in.optional_data1;
  } else {
    // 9303-5 note j: the rest of the number, its check digit, then '<'.
    line1 += number.substr(0, 9) + "<";
    optional1 = number.substr(9) + number_cd + "<" + in.optional_data1;
  }
  if (optional1.size() > 15) throw Error("document number and optional data do not fit line 1 of the MRZ");
  line1 += pad(optional1, 15);

  std::string line2 = in.date_of_birth + digit_char(check_digit(in.date_of_birth)) + in.sex +
                      in.date_of_expiry + digit_char(check_digit(in.date_of_expiry)) +
                      pad(in.nationality, 3) + pad(in.optional_data2, 11);
  std::string composite =
      line1.substr(5, 25) + line2.substr(0, 7) + line2.substr(8, 7) + line2.substr(18, 11);
  line2.push_back(digit_char(check_digit(composite)));
  std::string line3 = name_field(in.primary_identifier, in.secondary_identifier, 30);
  return line1 + line2 + line3;
}

const char* format_name(Format f) {
  switch (f) {
    case Format::TD1:
      return "TD1";
    case Format::TD2:
      return "TD2";
    case Format::TD3:
      return "TD3";
  }
  return "?";
}

bool ParsedMrz::all_checks_ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const CheckResult& c) { return c.ok; });
}

std::string ParsedMrz::key_seed() const {
  std::string number = pad(document_number, std::max<std::size_t>(9, document_number.size()));
  return number + digit_char(check_digit(number)) + date_of_birth + digit_char(check_digit(date_of_birth)) +
         date_of_expiry + digit_char(check_digit(date_of_expiry));
}

ParsedMrz parse(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c == '\n' || c == '\r') continue;
    if (!is_mrz_char(c)) {
      throw DecodeError(std::string("MRZ: character '") + (c >= 0x20 && c < 0x7F ? std::string(1, c) : "?") +
                        "' at position " + std::to_string(s.size() + 1) + " is not allowed");
    }
    s.push_back(c);
    if (s.size() > 88 + 2) break;
  }
  ParsedMrz p;
  std::string_view v(s);
  if (s.size() == 90) {
    p.format = Format::TD1;
    p.lines = {s.substr(0, 30), s.substr(30, 30), s.substr(60, 30)};
    std::string_view l1(p.lines[0]), l2(p.lines[1]);
    p.document_code = trim_filler(l1.substr(0, 2));
    p.issuing_state = trim_filler(l1.substr(2, 3));
    std::string_view number9 = l1.substr(5, 9);
    char number_cd = l1[14];
    std::string_view opt1 = l1.substr(15, 15);
    std::string number_field(number9);
    if (number_cd == '<' && opt1[0] != '<') {
      // Long number: continuation, check digit, then '<'.
      auto end = opt1.find('<');
      std::string_view cont = opt1.substr(0, end == std::string_view::npos ? opt1.size() : end);
      if (cont.size() >= 2) {
        number_field += std::string(cont.substr(0, cont.size() - 1));
        number_cd = cont.back();
        opt1 = end == std::string_view::npos ? std::string_view() : opt1.substr(end + 1);
      }
    }
    p.document_number = trim_filler(number_field);
    p.optional_data1 = trim_filler(opt1);
    p.checks.push_back({"document number", check_ok(number_field, number_cd)});
    p.date_of_birth = std::string(l2.substr(0, 6));
    p.checks.push_back({"date of birth", check_ok(l2.substr(0, 6), l2[6])});
    p.sex = std::string(1, l2[7]);
    p.date_of_expiry = std::string(l2.substr(8, 6));
    p.checks.push_back({"date of expiry", check_ok(l2.substr(8, 6), l2[14])});
    p.nationality = trim_filler(l2.substr(15, 3));
    p.optional_data2 = trim_filler(l2.substr(18, 11));
    std::string composite = p.lines[0].substr(5, 25) + p.lines[1].substr(0, 7) + p.lines[1].substr(8, 7) +
                            p.lines[1].substr(18, 11);
    p.checks.push_back({"composite", check_ok(composite, l2[29])});
    split_name(p.lines[2], p);
    return p;
  }
  if (s.size() == 72 || s.size() == 88) {
    std::size_t w = s.size() / 2;
    p.format = w == 36 ? Format::TD2 : Format::TD3;
    p.lines = {s.substr(0, w), s.substr(w, w)};
    std::string_view l1(p.lines[0]), l2(p.lines[1]);
    p.document_code = trim_filler(l1.substr(0, 2));
    p.issuing_state = trim_filler(l1.substr(2, 3));
    split_name(l1.substr(5), p);
    p.document_number = trim_filler(l2.substr(0, 9));
    p.checks.push_back({"document number", check_ok(l2.substr(0, 9), l2[9])});
    p.nationality = trim_filler(l2.substr(10, 3));
    p.date_of_birth = std::string(l2.substr(13, 6));
    p.checks.push_back({"date of birth", check_ok(l2.substr(13, 6), l2[19])});
    p.sex = std::string(1, l2[20]);
    p.date_of_expiry = std::string(l2.substr(21, 6));
    p.checks.push_back({"date of expiry", check_ok(l2.substr(21, 6), l2[27])});
    std::string composite;
    if (p.format == Format::TD3) {
      p.optional_data2 = trim_filler(l2.substr(28, 14));
      p.checks.push_back({"optional data", check_ok(l2.substr(28, 14), l2[42])});
      composite = p.lines[1].substr(0, 10) + p.lines[1].substr(13, 7) + p.lines[1].substr(21, 22);
      p.checks.push_back({"composite", check_ok(composite, l2[43])});
    } else {
      p.optional_data2 = trim_filler(l2.substr(28, 7));
      composite = p.lines[1].substr(0, 10) + p.lines[1].substr(13, 7) + p.lines[1].substr(21, 14);
      p.checks.push_back({"composite", check_ok(composite, l2[35])});
    }
    return p;
  }
  (void)v;
  throw DecodeError("MRZ: " + std::to_string(s.size()) +
                    " characters; expected 90 (TD1), 72 (TD2) or 88 (TD3)");
}

}  // namespace rcperso::mrz
