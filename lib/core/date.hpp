// Calendar dates as the application record and the chip use them.
#pragma once

#include <compare>
#include <optional>
#include <string>

namespace rcperso {

struct Date {
  int year = 0;
  int month = 0;
  int day = 0;

  /// Strict "YYYY-MM-DD" with a real calendar date (no 2023-02-29); nullopt otherwise.
  static std::optional<Date> parse_iso(const std::string& text);
  /// Today in UTC.
  static Date today_utc();
  std::string iso() const;       // YYYY-MM-DD
  std::string yyyymmdd() const;  // YYYYMMDD (DG11/DG12)
  std::string yymmdd() const;    // YYMMDD (MRZ)
  /// Whole years from `birth` to `*this` (birthday on 29 Feb counts from 1 Mar in common years).
  int years_since(const Date& birth) const;
  /// Same day `years` later; 29 Feb becomes 28 Feb in a common year.
  Date plus_years(int years) const;
  /// Days since 1970-01-01.
  long days_since_epoch() const;

  auto operator<=>(const Date&) const = default;
};

bool is_leap_year(int year);
int days_in_month(int year, int month);

}  // namespace rcperso
