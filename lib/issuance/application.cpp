#include "issuance/application.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "biometric/finger_record.hpp"
#include "core/json_reader.hpp"
#include "core/utf8.hpp"
#include "issuance/countries.hpp"
#include "issuance/face.hpp"
#include "issuance/fingerprint.hpp"
#include "mrz/mrz.hpp"

namespace rcperso::issuance {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxTextLength = 200;  // code points; DG11/DG12 fields stay small

class ApplicationParser {
 public:
  ApplicationParser(const fs::path& base_dir, const std::string& source, const DocumentProfile& profile,
                    const LoadOptions& options)
      : base_dir_(base_dir), r_(source), profile_(profile), options_(options) {}

  Application parse(const json& root_json) {
    const json* root = r_.object(root_json, "");
    r_.known_keys(root, "", {"document", "holder", "biometrics"});
    parse_document(r_.required_object(root, "", "document"));
    parse_holder(r_.required_object(root, "", "holder"));
    parse_biometrics(r_.required_object(root, "", "biometrics"));
    if (dates_ok_) check_dates();
    if (dates_ok_ && biometrics_ok_) check_biometric_rules();
    r_.finish();
    return std::move(app_);
  }

 private:
  void text(const json* obj, const std::string& path, const char* key, std::string& out, bool required,
            bool allow_empty = false) {
    bool present =
        required ? r_.required_string(obj, path, key, out) : r_.optional_string(obj, path, key, out);
    if (!present) return;
    std::string field = JsonReader::join(path, key);
    if (!is_valid_utf8(out)) {
      r_.problem(field, "is not valid UTF-8");
    } else if (has_control_characters(out)) {
      r_.problem(field, "contains control characters");
    } else if (utf8_length(out) > kMaxTextLength) {
      r_.problem(field, "longer than " + std::to_string(kMaxTextLength) + " characters");
    } else if (!allow_empty && required && out.find_first_not_of(' ') == std::string::npos) {
      r_.problem(field, "must not be empty");
    }
  }

  std::optional<Date> date(const json* obj, const std::string& path, const char* key) {
    std::string s;
    if (!r_.required_string(obj, path, key, s)) return std::nullopt;
    auto d = Date::parse_iso(s);
    if (!d)
      r_.problem(JsonReader::join(path, key), "\"" + s + "\" is not a real date in the form YYYY-MM-DD");
    return d;
  }

  void parse_document(const json* doc) {
    const std::string p = "document";
    r_.known_keys(doc, p,
                  {"number", "issuing_state", "date_of_issue", "date_of_expiry", "permit_type",
                   "issuing_authority", "remarks", "card_access_number"});
    if (doc == nullptr) {
      dates_ok_ = false;
      return;
    }
    auto& d = app_.document;
    if (r_.required_string(doc, p, "number", d.number)) {
      bool chars_ok = !d.number.empty() && std::all_of(d.number.begin(), d.number.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      });
      if (!chars_ok) {
        r_.problem("document.number",
                   "\"" + d.number + "\" may contain only A-Z and 0-9 (upper case, no spaces)");
      } else if (d.number.size() > 22) {
        r_.problem("document.number", "longer than 22 characters, which a TD1 MRZ cannot hold");
      }
    }
    if (r_.required_string(doc, p, "issuing_state", d.issuing_state) &&
        d.issuing_state != profile_.issuing_state) {
      r_.problem("document.issuing_state", "\"" + d.issuing_state + "\" but profile " + profile_.name +
                                               " issues for " + profile_.issuing_state);
    }
    auto issue = date(doc, p, "date_of_issue");
    auto expiry = date(doc, p, "date_of_expiry");
    if (issue && expiry) {
      d.date_of_issue = *issue;
      d.date_of_expiry = *expiry;
    } else {
      dates_ok_ = false;
    }
    text(doc, p, "permit_type", d.permit_type, true);
    text(doc, p, "issuing_authority", d.issuing_authority, true);
    text(doc, p, "remarks", d.remarks, false);
    auto can = doc->find("card_access_number");
    if (can != doc->end() && !can->is_null()) {
      const std::string* digits = can->get_ptr<const std::string*>();
      if (digits == nullptr || digits->size() != 6 ||
          !std::all_of(digits->begin(), digits->end(), [](char c) { return c >= '0' && c <= '9'; })) {
        r_.problem(p + ".card_access_number", "must be 6 digits, as printed on the card (or null)");
      } else {
        d.card_access_number.assign(digits->begin(), digits->end());
      }
    }
  }

  void parse_holder(const json* h) {
    const std::string p = "holder";
    r_.known_keys(h, p,
                  {"surname", "given_names", "nationality", "sex", "date_of_birth", "place_of_birth",
                   "personal_number", "fingerprint_exemption"});
    if (h == nullptr) {
      dates_ok_ = false;
      return;
    }
    auto& hd = app_.holder;
    text(h, p, "surname", hd.surname, true);
    text(h, p, "given_names", hd.given_names, true, true);
    for (auto [key, value] : {std::pair{"surname", &hd.surname}, std::pair{"given_names", &hd.given_names}}) {
      if (value->empty() || !is_valid_utf8(*value)) continue;
      try {
        (void)mrz::transliterate(*value);
      } catch (const Error& e) {
        r_.problem(std::string("holder.") + key, std::string("cannot be written in the MRZ: ") + e.what());
      }
    }
    if (r_.required_string(h, p, "nationality", hd.nationality) && !is_valid_nationality(hd.nationality)) {
      r_.problem("holder.nationality",
                 "\"" + hd.nationality + "\" is not an ISO 3166-1 alpha-3 or ICAO code");
    }
    std::string sex;
    if (r_.required_string(h, p, "sex", sex)) {
      if (sex == "F" || sex == "M" || sex == "X") {
        hd.sex = sex[0];
      } else {
        r_.problem("holder.sex", "\"" + sex + "\" must be F, M or X");
      }
    }
    auto dob = date(h, p, "date_of_birth");
    if (dob) {
      hd.date_of_birth = *dob;
    } else {
      dates_ok_ = false;
    }
    text(h, p, "place_of_birth", hd.place_of_birth, false);
    text(h, p, "personal_number", hd.personal_number, false);
    if (!hd.personal_number.empty()) {
      bool ok = std::all_of(hd.personal_number.begin(), hd.personal_number.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      });
      if (!ok) r_.problem("holder.personal_number", "may contain only A-Z, 0-9 and '-'");
    }
    auto it = h->find("fingerprint_exemption");
    if (it != h->end() && !it->is_null()) {
      if (!it->is_string() || it->get<std::string>() != "physically_unable") {
        r_.problem("holder.fingerprint_exemption", "must be null or \"physically_unable\"");
      } else {
        hd.fingerprint_exemption = it->get<std::string>();
      }
    }
  }

  enum class Kind { Face, Finger, Signature };

  bool load_image(const std::string& field, const std::string& relative, InputImage& out, Kind kind) {
    out.field = field;
    if (relative.empty()) {
      r_.problem(field, "must name an image file");
      return false;
    }
    out.path = fs::path(relative).is_absolute() ? fs::path(relative) : base_dir_ / relative;
    std::error_code ec;
    if (!fs::is_regular_file(out.path, ec)) {
      r_.problem(field, "image file " + out.path.string() + " does not exist");
      return false;
    }
    try {
      out.data = read_file(out.path.string(), options_.max_image_bytes);
      out.info = image::probe(out.data, out.path.string());
      if (kind == Kind::Finger) {
        decode_fingerprint(out, profile_);
        return true;
      }
      if (kind == Kind::Face) {
        decode_face(out, profile_);
        return true;
      }
      // A signature kept as given is only validated: any decoded size will do (JPEG DCT scaling).
      const int min_size = signature_kept_as_is(out, profile_) ? 1 : 0;
      out.raster = image::decode(out.data, out.path.string(), min_size, min_size);
    } catch (const Error& e) {
      r_.problem(field, std::string("cannot use image: ") + e.what());
      return false;
    }
    return true;
  }

  void parse_biometrics(const json* b) {
    const std::string p = "biometrics";
    r_.known_keys(b, p, {"face", "fingerprints", "signature"});
    if (b == nullptr) {
      biometrics_ok_ = false;
      return;
    }
    std::string face;
    if (r_.required_string(b, p, "face", face)) {
      if (load_image("biometrics.face", face, app_.face, Kind::Face)) {
        check_face();
      } else {
        biometrics_ok_ = false;
      }
    } else {
      biometrics_ok_ = false;
    }

    auto fps = b->find("fingerprints");
    if (fps != b->end() && !fps->is_null()) {
      if (!fps->is_array()) {
        r_.problem("biometrics.fingerprints", "must be an array of {\"position\", \"image\"}");
        biometrics_ok_ = false;
      } else {
        std::set<std::string> seen;
        for (std::size_t i = 0; i < fps->size(); ++i) {
          std::string fp = "biometrics.fingerprints[" + std::to_string(i) + "]";
          const json* entry = r_.object((*fps)[i], fp);
          r_.known_keys(entry, fp, {"position", "image"});
          FingerprintInput in;
          bool ok = r_.required_string(entry, fp, "position", in.position);
          if (ok) {
            in.position_code = biometric::finger_position_code(in.position);
            if (in.position_code == 0 || in.position_code > 10) {
              r_.problem(
                  fp + ".position",
                  "\"" + in.position + "\" is not a finger (right_thumb, right_index, ... left_little)");
              ok = false;
            } else if (!seen.insert(in.position).second) {
              r_.problem(fp + ".position", "duplicate finger position \"" + in.position + "\"");
              ok = false;
            }
          }
          std::string img;
          if (r_.required_string(entry, fp, "image", img) &&
              load_image(fp + ".image", img, in.image, Kind::Finger)) {
            ok = check_fingerprint(in.image) && ok;
          } else {
            ok = false;
          }
          if (ok) {
            app_.fingerprints.push_back(std::move(in));
          } else {
            biometrics_ok_ = false;
          }
        }
      }
    }

    auto sig = b->find("signature");
    if (sig != b->end() && !sig->is_null()) {
      if (!sig->is_string()) {
        r_.problem("biometrics.signature", "must be an image file name or null");
      } else {
        InputImage s;
        if (load_image("biometrics.signature", sig->get<std::string>(), s, Kind::Signature)) {
          if (s.info.width > 4000 || s.info.height > 4000) {
            r_.problem("biometrics.signature", "image is larger than 4000x4000 pixels");
          }
          app_.signature = std::move(s);
        } else {
          biometrics_ok_ = false;
        }
      }
    }
  }

  void check_face() {
    for (const auto& p : face_problems(app_.face, profile_)) r_.problem("biometrics.face", p);
  }

  bool check_fingerprint(const InputImage& img) {
    auto problems = fingerprint_problems(img, profile_);
    for (const auto& p : problems) r_.problem(img.field, p);
    return problems.empty();
  }

  void check_dates() {
    const auto& d = app_.document;
    const auto& h = app_.holder;
    if (h.date_of_birth > options_.today) {
      r_.problem("holder.date_of_birth", h.date_of_birth.iso() + " is in the future");
    }
    if (h.date_of_birth > d.date_of_issue) {
      r_.problem("holder.date_of_birth",
                 h.date_of_birth.iso() + " is after the date of issue " + d.date_of_issue.iso());
      return;
    }
    if (d.date_of_expiry <= d.date_of_issue) {
      r_.problem("document.date_of_expiry",
                 d.date_of_expiry.iso() + " is not after the date of issue " + d.date_of_issue.iso());
      return;
    }
    int age = app_.age_at_issue();
    bool minor = age < profile_.validity.adult_age;
    int max_years = minor ? profile_.validity.max_years_minor : profile_.validity.max_years_adult;
    Date limit = d.date_of_issue.plus_years(max_years);
    if (d.date_of_expiry > limit) {
      r_.problem("document.date_of_expiry",
                 d.date_of_expiry.iso() + " is more than " + std::to_string(max_years) +
                     " years after issue (" + d.date_of_issue.iso() + "); the holder is " +
                     std::to_string(age) + " on the date of issue, " + (minor ? "a minor" : "an adult") +
                     ", so the latest allowed expiry is " + limit.iso());
    }
  }

  void check_biometric_rules() {
    const auto& h = app_.holder;
    int age = app_.age_at_issue();
    const auto& fp = profile_.fingerprints;
    std::string age_text = "the holder is " + std::to_string(age) + " on the date of issue";
    if (!profile_.has_dg(3)) {
      if (!app_.fingerprints.empty())
        r_.problem("biometrics.fingerprints", "profile " + profile_.name + " stores no fingerprints");
    } else if (age < fp.minimum_age) {
      if (!app_.fingerprints.empty()) {
        r_.problem("biometrics.fingerprints", "must be empty: " + age_text +
                                                  ", and fingerprints are taken only from age " +
                                                  std::to_string(fp.minimum_age));
      }
      if (h.fingerprint_exemption) {
        r_.problem("holder.fingerprint_exemption", "does not apply: " + age_text +
                                                       ", below the fingerprint age of " +
                                                       std::to_string(fp.minimum_age));
      }
    } else if (h.fingerprint_exemption) {
      if (!app_.fingerprints.empty()) {
        r_.problem("biometrics.fingerprints", "must be empty when holder.fingerprint_exemption is set");
      }
    } else if (static_cast<int>(app_.fingerprints.size()) != fp.count) {
      r_.problem("biometrics.fingerprints", "needs " + std::to_string(fp.count) + " fingerprints (" +
                                                age_text + "); got " +
                                                std::to_string(app_.fingerprints.size()) +
                                                ". A holder who physically cannot give them needs "
                                                "\"fingerprint_exemption\": \"physically_unable\"");
    }

    const auto& sig = profile_.signature;
    if (!profile_.has_dg(7)) {
      if (app_.signature)
        r_.problem("biometrics.signature", "profile " + profile_.name + " stores no signature");
    } else if (age < sig.minimum_age) {
      if (app_.signature) {
        r_.problem("biometrics.signature", "must be absent: " + age_text +
                                               ", and the signature is stored only from age " +
                                               std::to_string(sig.minimum_age));
      }
    } else if (sig.required && !app_.signature) {
      r_.problem("biometrics.signature", "missing: " + age_text +
                                             ", and the profile requires a signature from age " +
                                             std::to_string(sig.minimum_age));
    }
  }

  fs::path base_dir_;
  JsonReader r_;
  const DocumentProfile& profile_;
  LoadOptions options_;
  Application app_;
  bool dates_ok_ = true;
  bool biometrics_ok_ = true;
};

}  // namespace

bool face_kept_as_is(const InputImage& face, const DocumentProfile& profile) {
  const auto& f = profile.face;
  image::Format wanted = f.format == "jpeg2000" ? image::Format::Jpeg2000 : image::Format::Jpeg;
  return face.info.format == wanted && face.info.width == f.width && face.info.height == f.height &&
         face.info.channels == (f.colour ? 3 : 1) && face.info.bit_depth == 8 &&
         face.data.size() <= f.max_bytes;
}

bool finger_kept_as_is(const InputImage& finger, const DocumentProfile& profile) {
  const auto& fp = profile.fingerprints;
  image::Format wanted = fp.format == "wsq" ? image::Format::Wsq : image::Format::Jpeg2000;
  return finger.downsampled_from_ppi == 0 && finger.info.format == wanted && finger.info.channels == 1 &&
         finger.data.size() <= fp.max_bytes && (finger.ppi == -1 || finger.ppi == fp.resolution_ppi);
}

bool signature_kept_as_is(const InputImage& signature, const DocumentProfile& profile) {
  const auto& s = profile.signature;
  return signature.info.format == image::Format::Jpeg && signature.info.channels == 1 &&
         signature.info.bit_depth == 8 && signature.info.width <= s.max_width &&
         signature.info.height <= s.max_height && signature.data.size() <= s.max_bytes;
}

Application parse_application(std::string_view json_text, const fs::path& base_dir,
                              const std::string& source_name, const DocumentProfile& profile,
                              const LoadOptions& options) {
  json root;
  try {
    root = json::parse(json_text.begin(), json_text.end(), nullptr, true, false);
  } catch (const json::exception& e) {
    // nlohmann reports the byte position of parse errors; turn it into a line for people.
    const auto* parse = dynamic_cast<const json::parse_error*>(&e);
    std::size_t byte = parse == nullptr || parse->byte == 0 ? json_text.size() : parse->byte - 1;
    std::size_t line =
        1 + static_cast<std::size_t>(std::count(
                json_text.begin(),
                json_text.begin() + static_cast<std::ptrdiff_t>(std::min(byte, json_text.size())), '\n'));
    throw ValidationError(
        {{source_name + ": line " + std::to_string(line), "not valid JSON (" + std::string(e.what()) + ")"}});
  }
  ApplicationParser parser(base_dir, source_name, profile, options);
  Application app = parser.parse(root);
  app.source = source_name;
  return app;
}

Application load_application(const fs::path& path, const DocumentProfile& profile,
                             const LoadOptions& options) {
  Bytes raw = read_file(path.string(), 4U * 1024U * 1024U);
  return parse_application(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()),
                           path.has_parent_path() ? path.parent_path() : fs::path("."), path.string(),
                           profile, options);
}

}  // namespace rcperso::issuance
