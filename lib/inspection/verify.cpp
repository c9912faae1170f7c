#include "inspection/verify.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "biometric/face_record.hpp"
#include "core/error.hpp"
#include "image/image.hpp"
#include "inspection/chip_view.hpp"
#include "lds/files.hpp"
#include "pki/certificate.hpp"
#include "pki/cvc.hpp"
#include "pki/passive_auth.hpp"

namespace rcperso::inspection {

namespace {

std::string dims(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

void structure_checks(const issuance::ChipImage& chip, const ChipView& v, std::vector<Check>& out) {
  for (const char* required : {"EF.COM", "EF.SOD", "EF.DG1", "EF.DG2"}) {
    if (chip.file(required) == nullptr) out.push_back(fail(std::string(required) + " present", "missing"));
  }
  for (const auto& [name, data] : chip.files) {
    std::string check = name + " structure";
    auto err = v.errors.find(name);
    if (err != v.errors.end()) {
      out.push_back(fail(check, err->second));
    } else if (name == "EF.CardAccess") {
      // Not covered by EF.SOD (it lives in the MF); a terminal still relies on it to choose PACE.
      try {
        auto ca = lds::CardAccess::decode(data);
        std::string offered;
        for (const auto& p : ca.pace) {
          offered += (offered.empty() ? "" : ", ") + lds::oid_name(p.protocol) +
                     (p.parameter_id ? " parameter " + std::to_string(*p.parameter_id) : std::string());
        }
        out.push_back(pass(check, offered.empty() ? "no PACEInfo" : "PACE: " + offered));
      } catch (const DecodeError& e) {
        out.push_back(fail(check, e.what()));
      }
    } else if (name == "EF.CVCA") {
      try {
        std::string cars;
        for (const auto& car : pki::decode_ef_cvca(data)) cars += (cars.empty() ? "" : ", ") + car;
        out.push_back(pass(check, "trusted CVCA " + cars));
      } catch (const DecodeError& e) {
        out.push_back(fail(check, e.what()));
      }
    } else if ((name != "EF.COM" && name != "EF.SOD" && name != "EF.DG1" && name != "EF.DG2" &&
                name != "EF.DG3" && name != "EF.DG7" && name != "EF.DG11" && name != "EF.DG12" &&
                name != "EF.DG14" && name != "EF.DG15")) {
      out.push_back(skip(check, "not decoded by this version (" + std::to_string(data.size()) + " bytes)"));
    } else {
      out.push_back(pass(check, std::to_string(data.size()) + " bytes"));
    }
  }
  if (v.mrz) {
    std::string bad;
    for (const auto& c : v.mrz->checks) {
      if (!c.ok) bad += (bad.empty() ? "" : ", ") + c.name;
    }
    if (bad.empty()) {
      out.push_back(pass("DG1 MRZ check digits", std::string(mrz::format_name(v.mrz->format)) + ", " +
                                                     std::to_string(v.mrz->checks.size()) + " check digits"));
    } else {
      out.push_back(fail("DG1 MRZ check digits", "wrong check digit: " + bad));
    }
  }
}

void image_checks(const ChipView& v, std::vector<Check>& out) {
  if (v.dg2) {
    for (std::size_t i = 0; i < v.dg2->faces.size(); ++i) {
      for (const auto& face : v.dg2->faces[i].images) {
        const std::string name = "DG2 face image";
        const std::string format =
            std::string(lds::face_record_format_name(v.dg2->face_formats[i])) + " record, ";
        try {
          image::Info info = image::probe(face.image, "DG2 face image");
          image::Raster r = image::decode(face.image, "DG2 face image");
          bool type_ok = (face.image_data_type == 0 && info.format == image::Format::Jpeg) ||
                         (face.image_data_type == 1 && info.format == image::Format::Jpeg2000);
          if (!type_ok) {
            out.push_back(fail(name, std::string("record says ") +
                                         biometric::face_image_data_type_name(face.image_data_type) +
                                         " but the data is " + image::format_name(info.format)));
          } else if (r.width != face.width || r.height != face.height) {
            out.push_back(fail(name, "record says " + dims(face.width, face.height) + " but the image is " +
                                         dims(r.width, r.height)));
          } else {
            out.push_back(pass(name, format + image::format_name(info.format) + " " +
                                         dims(r.width, r.height) + ", " + std::to_string(face.image.size()) +
                                         " bytes"));
          }
        } catch (const Error& e) {
          out.push_back(fail(name, e.what()));
        }
      }
    }
  }
  if (v.dg3) {
    for (std::size_t i = 0; i < v.dg3->fingers.size(); ++i) {
      const auto& record = v.dg3->fingers[i];
      const auto record_format = v.dg3->finger_formats[i];
      const std::string format_text =
          std::string(lds::finger_record_format_name(record_format)) + " record, ";
      // 39794-4 states no image size; the image's own is shown.
      const bool states_size = record_format == lds::FingerRecordFormat::Iso19794_4;
      for (const auto& f : record.fingers) {
        std::string name = "DG3 " + biometric::finger_position_name(f.position) + " image";
        if (record.compression != 2 && record.compression != 4) {
          out.push_back(skip(name, format_text + biometric::compression_name(record.compression) +
                                       " is not decoded by this version"));
          continue;
        }
        try {
          image::Raster r = image::decode(f.image, name);
          bool wsq = record.compression == 2;
          auto format = image::sniff(f.image);
          if (format != (wsq ? image::Format::Wsq : image::Format::Jpeg2000)) {
            out.push_back(fail(name, std::string("record says ") +
                                         biometric::compression_name(record.compression) +
                                         " but the image is " + image::format_name(format)));
          } else if (states_size && (r.width != f.width || r.height != f.height)) {
            out.push_back(fail(name, "record says " + dims(f.width, f.height) + " but the image is " +
                                         dims(r.width, r.height)));
          } else {
            std::string detail = format_text + image::format_name(format) + " " + dims(r.width, r.height) +
                                 ", " + std::to_string(f.image.size()) + " bytes";
            if (wsq) {
              char rate[32];
              std::snprintf(
                  rate, sizeof rate, ", %.2f bpp",
                  8.0 * static_cast<double>(f.image.size()) / (static_cast<double>(r.width) * r.height));
              detail += rate;
            }
            out.push_back(pass(name, detail));
          }
        } catch (const Error& e) {
          out.push_back(fail(name, e.what()));
        }
      }
    }
  }
  if (v.dg7) {
    for (const auto& img : v.dg7->images) {
      try {
        image::Raster r = image::decode(img, "DG7 signature image");
        out.push_back(pass("DG7 signature image",
                           dims(r.width, r.height) + ", " + std::to_string(img.size()) + " bytes"));
      } catch (const Error& e) {
        out.push_back(fail("DG7 signature image", e.what()));
      }
    }
  }
}

void rule_checks(const issuance::ChipImage& chip, const ChipView& v, const issuance::DocumentProfile& p,
                 std::vector<Check>& out) {
  const std::string who = "profile " + p.name + ": ";
  if (v.mrz) {
    if (v.mrz->document_code == p.document_code ||
        (p.document_code[1] == '<' && v.mrz->document_code == p.document_code.substr(0, 1))) {
      out.push_back(pass("document code", v.mrz->document_code));
    } else {
      out.push_back(fail("document code",
                         "\"" + v.mrz->document_code + "\" but " + who + "\"" + p.document_code + "\""));
    }
    if (v.mrz->issuing_state == p.issuing_state) {
      out.push_back(pass("issuing state", p.issuing_state));
    } else {
      out.push_back(fail("issuing state", v.mrz->issuing_state + " but " + who + p.issuing_state));
    }
  }
  if (v.dg2 && !v.dg2->faces.empty()) {
    std::string formats;
    for (auto format : v.dg2->face_formats)
      formats += std::string(formats.empty() ? "" : ", ") + lds::face_record_format_name(format);
    out.push_back(
        pass("facial image present", std::to_string(v.dg2->faces.size()) + " face record(s): " + formats));
    const auto wanted =
        p.face.iso39794 ? lds::FaceRecordFormat::Iso39794_5 : lds::FaceRecordFormat::Iso19794_5;
    bool all_wanted = std::all_of(v.dg2->face_formats.begin(), v.dg2->face_formats.end(),
                                  [&](lds::FaceRecordFormat f) { return f == wanted; });
    if (all_wanted) {
      out.push_back(pass("face record format", lds::face_record_format_name(wanted)));
    } else {
      out.push_back(
          fail("face record format", formats + " but " + who + lds::face_record_format_name(wanted)));
    }
  } else {
    out.push_back(fail("facial image present", "a facial image is required for every holder"));
  }

  auto birth = v.date_of_birth();
  auto issue = v.date_of_issue();
  auto expiry = v.date_of_expiry();
  if (!birth || !issue) {
    out.push_back(skip("rules by age", "date of birth (DG11/DG1) or date of issue (DG12) not available"));
    return;
  }
  int age = issue->years_since(*birth);
  std::string age_text = "holder " + std::to_string(age) + " on the date of issue " + issue->iso();

  if (v.dg11) {
    auto full = v.dg11->text(lds::Dg11::kFullDateOfBirth);
    if (v.mrz && full && full->size() == 8) {
      if (full->substr(2) == v.mrz->date_of_birth) {
        out.push_back(pass("DG1 agrees with DG11", "date of birth"));
      } else {
        out.push_back(fail("DG1 agrees with DG11",
                           "date of birth " + v.mrz->date_of_birth + " in DG1, " + *full + " in DG11"));
      }
    }
  }

  const auto& fp = p.fingerprints;
  if (p.has_dg(3)) {
    std::size_t stored = v.dg3 ? v.dg3->fingers.size() : 0;
    if (!v.dg3 && chip.withheld.count("EF.DG3") != 0) {
      out.push_back(skip("fingerprints by age",
                         "DG3 is protected by Terminal Authentication and was not read "
                         "(give --terminal-cert and --terminal-key)"));
    } else if (!v.dg3) {
      out.push_back(fail("fingerprints by age", "DG3 is missing"));
    } else if (age < fp.minimum_age) {
      if (stored == 0) {
        out.push_back(pass("fingerprints by age",
                           "none stored: " + age_text + ", below " + std::to_string(fp.minimum_age)));
      } else {
        out.push_back(fail("fingerprints by age", std::to_string(stored) + " stored but " + age_text +
                                                      ", below " + std::to_string(fp.minimum_age)));
      }
    } else if (stored == static_cast<std::size_t>(fp.count)) {
      out.push_back(pass("fingerprints by age", std::to_string(stored) + " stored, " + age_text));
    } else if (stored == 0 && v.fingerprint_exemption_recorded()) {
      out.push_back(
          pass("fingerprints by age", "none stored: holder exempt (physically unable), recorded in DG12"));
    } else {
      out.push_back(fail("fingerprints by age", std::to_string(stored) + " stored; " + age_text + " needs " +
                                                    std::to_string(fp.count) + " or a recorded exemption"));
    }
  }
  if (v.dg3 && !v.dg3->finger_formats.empty()) {
    const auto wanted =
        fp.iso39794 ? lds::FingerRecordFormat::Iso39794_4 : lds::FingerRecordFormat::Iso19794_4;
    std::string formats;
    bool all_wanted = true;
    for (auto format : v.dg3->finger_formats) {
      const std::string name = lds::finger_record_format_name(format);
      if (formats.find(name) == std::string::npos) formats += (formats.empty() ? "" : ", ") + name;
      all_wanted = all_wanted && format == wanted;
    }
    if (all_wanted) {
      out.push_back(pass("finger record format", lds::finger_record_format_name(wanted)));
    } else {
      out.push_back(
          fail("finger record format", formats + " but " + who + lds::finger_record_format_name(wanted)));
    }
  }
  if (p.has_dg(7)) {
    bool present = chip.file("EF.DG7") != nullptr;
    if (age < p.signature.minimum_age && present) {
      out.push_back(fail("signature by age", "DG7 present but " + age_text + ", below " +
                                                 std::to_string(p.signature.minimum_age)));
    } else if (age >= p.signature.minimum_age && p.signature.required && !present) {
      out.push_back(fail("signature by age", "DG7 missing; " + age_text));
    } else {
      out.push_back(pass("signature by age", present ? "DG7 present" : "no DG7, " + age_text));
    }
  }
  if (expiry) {
    bool minor = age < p.validity.adult_age;
    int max_years = minor ? p.validity.max_years_minor : p.validity.max_years_adult;
    Date limit = issue->plus_years(max_years);
    if (*expiry <= *issue) {
      out.push_back(
          fail("validity period", "expiry " + expiry->iso() + " is not after issue " + issue->iso()));
    } else if (*expiry > limit) {
      out.push_back(fail("validity period",
                         "expiry " + expiry->iso() + " exceeds " + std::to_string(max_years) + " years for " +
                             (minor ? "a minor" : "an adult") + " (latest " + limit.iso() + ")"));
    } else {
      out.push_back(pass("validity period", issue->iso() + " .. " + expiry->iso() + ", at most " +
                                                std::to_string(max_years) + " years for " +
                                                (minor ? "a minor" : "an adult")));
    }
  }
}

}  // namespace

bool VerifyReport::passed() const {
  return std::none_of(checks.begin(), checks.end(), [](const Check& c) { return c.status == Status::Fail; });
}

nlohmann::json VerifyReport::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : checks)
    list.push_back({{"check", c.name}, {"status", status_name(c.status)}, {"detail", c.detail}});
  return {{"result", passed() ? "PASS" : "FAIL"}, {"checks", list}};
}

std::string VerifyReport::to_text() const {
  std::ostringstream out;
  std::size_t width = 0;
  for (const auto& c : checks) width = std::max(width, c.name.size());
  for (const auto& c : checks) {
    out << status_name(c.status) << "  " << c.name << std::string(width - c.name.size(), ' ');
    if (!c.detail.empty()) out << "  " << c.detail;
    out << "\n";
  }
  std::size_t failed = static_cast<std::size_t>(
      std::count_if(checks.begin(), checks.end(), [](const Check& c) { return c.status == Status::Fail; }));
  out << (passed() ? "PASS" : "FAIL") << " (" << checks.size() << " checks, " << failed << " failed)\n";
  return out.str();
}

VerifyReport verify_chip(const issuance::ChipImage& chip, const VerifyOptions& options) {
  std::vector<pki::X509Ptr> cscas;
  for (const auto& path : options.csca_files) {
    for (auto& c : pki::load_certificates(path)) cscas.push_back(std::move(c));
  }
  std::vector<pki::X509CrlPtr> crls;
  for (const auto& path : options.crl_files) crls.push_back(pki::load_crl(path));

  VerifyReport report;
  auto& out = report.checks;
  if (chip.manifest.is_object() && !chip.manifest.empty()) {
    if (chip.manifest_problems.empty()) {
      out.push_back(pass("chip image manifest", "files match their recorded size and SHA-256"));
    } else {
      std::string all;
      for (const auto& p : chip.manifest_problems) all += (all.empty() ? "" : "; ") + p;
      out.push_back(fail("chip image manifest", all));
    }
  }
  if (chip.awaits_chip_keys()) {
    // Not a chip's content yet: nothing is signed, so nothing else is worth checking.
    std::string pending;
    for (const auto& f : chip.manifest.value("pending_files", nlohmann::json::array()))
      if (f.is_string()) pending += (pending.empty() ? "" : ", ") + f.get<std::string>();
    out.push_back(fail("chip keys",
                       "the chip image awaits the chip's own key pairs (prepared with --keys-on-chip): " +
                           (pending.empty() ? std::string("EF.SOD") : pending) +
                           " are built and signed when rcperso write generates the keys on the card; this is "
                           "not a complete chip image"));
    return report;
  }
  ChipView view = decode_chip(chip);
  structure_checks(chip, view, out);

  if (view.sod) {
    pki::PassiveAuthInput in;
    in.sod = &*view.sod;
    in.data_groups = chip.data_groups();
    if (view.com) in.com_data_groups = view.com->data_groups();
    for (const auto& [name, why] : chip.withheld) {
      if (const auto* info = lds::file_by_name(name); info != nullptr && info->dg != 0)
        in.withheld[info->dg] = why;
    }
    for (auto& c : cscas) in.cscas.push_back(c.get());
    for (auto& c : crls) in.crls.push_back(c.get());
    auto pa = pki::passive_authentication(in);
    out.insert(out.end(), pa.begin(), pa.end());
  } else {
    out.push_back(fail("Passive Authentication", "EF.SOD missing or unreadable"));
  }
  image_checks(view, out);
  if (options.profile) {
    rule_checks(chip, view, *options.profile, out);
  } else {
    out.push_back(skip("issuer's rules", "no document profile (give --profile)"));
  }
  return report;
}

}  // namespace rcperso::inspection
