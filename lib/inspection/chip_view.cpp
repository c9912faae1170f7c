#include "inspection/chip_view.hpp"

#include "core/error.hpp"
#include "issuance/prepare.hpp"

namespace rcperso::inspection {

namespace {

template <typename T, typename F>
void decode_into(const issuance::ChipImage& chip, const char* name, std::optional<T>& out,
                 std::map<std::string, std::string>& errors, F decoder) {
  const Bytes* data = chip.file(name);
  if (data == nullptr) return;
  try {
    out = decoder(*data);
  } catch (const Error& e) {
    errors[name] = e.what();
  }
}

std::optional<Date> yymmdd(const std::string& s, int century_hint_year, bool on_or_after) {
  if (s.size() != 6) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int yy = (s[0] - '0') * 10 + (s[1] - '0');
  int year = (century_hint_year / 100) * 100 + yy;
  if (on_or_after && year < century_hint_year) year += 100;
  if (!on_or_after && year > century_hint_year) year -= 100;
  if (year < 1000 || year > 9999) return std::nullopt;
  return Date::parse_iso(std::to_string(year) + "-" + s.substr(2, 2) + "-" + s.substr(4, 2));
}

std::optional<Date> yyyymmdd(const std::string& s) {
  if (s.size() != 8) return std::nullopt;
  return Date::parse_iso(s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2));
}

}  // namespace

std::optional<Date> ChipView::date_of_birth() const {
  if (dg11) {
    if (auto full = dg11->text(lds::Dg11::kFullDateOfBirth)) {
      if (auto d = yyyymmdd(*full)) return d;
    }
  }
  if (mrz) {
    auto issue = date_of_issue();
    return yymmdd(mrz->date_of_birth, issue ? issue->year : Date::today_utc().year, false);
  }
  return std::nullopt;
}

std::optional<Date> ChipView::date_of_issue() const {
  if (!dg12) return std::nullopt;
  auto text = dg12->text(lds::Dg12::kDateOfIssue);
  return text ? yyyymmdd(*text) : std::nullopt;
}

std::optional<Date> ChipView::date_of_expiry() const {
  if (!mrz) return std::nullopt;
  auto issue = date_of_issue();
  return yymmdd(mrz->date_of_expiry, issue ? issue->year : 2000, true);
}

bool ChipView::fingerprint_exemption_recorded() const {
  if (!dg12) return false;
  auto endorsements = dg12->text(lds::Dg12::kEndorsements);
  return endorsements && endorsements->find(issuance::kFingerprintExemptionText) != std::string::npos;
}

ChipView decode_chip(const issuance::ChipImage& chip) {
  ChipView v;
  decode_into(chip, "EF.COM", v.com, v.errors, [](const Bytes& b) { return lds::Com::decode(b); });
  decode_into(chip, "EF.SOD", v.sod, v.errors, [](const Bytes& b) { return lds::Sod::decode(b); });
  decode_into(chip, "EF.DG1", v.dg1, v.errors, [](const Bytes& b) { return lds::Dg1::decode(b); });
  if (v.dg1) v.mrz = mrz::parse(v.dg1->mrz);
  decode_into(chip, "EF.DG2", v.dg2, v.errors, [](const Bytes& b) { return lds::Dg2::decode(b); });
  decode_into(chip, "EF.DG3", v.dg3, v.errors, [](const Bytes& b) { return lds::Dg3::decode(b); });
  decode_into(chip, "EF.DG7", v.dg7, v.errors, [](const Bytes& b) { return lds::Dg7::decode(b); });
  decode_into(chip, "EF.DG11", v.dg11, v.errors, [](const Bytes& b) { return lds::Dg11::decode(b); });
  decode_into(chip, "EF.DG12", v.dg12, v.errors, [](const Bytes& b) { return lds::Dg12::decode(b); });
  decode_into(chip, "EF.DG14", v.dg14, v.errors, [](const Bytes& b) { return lds::Dg14::decode(b); });
  decode_into(chip, "EF.DG15", v.dg15, v.errors, [](const Bytes& b) { return lds::Dg15::decode(b); });
  return v;
}

}  // namespace rcperso::inspection
