#include "inspection/dump.hpp"

#include <algorithm>
#include <functional>
#include <sstream>

#include "biometric/face_record.hpp"
#include "biometric/finger_record.hpp"
#include "biometric/iso39794_finger.hpp"
#include "core/atomic_dir.hpp"
#include "core/error.hpp"
#include "image/image.hpp"
#include "inspection/chip_view.hpp"
#include "lds/card_access.hpp"
#include "lds/files.hpp"
#include "pki/certificate.hpp"
#include "secure/pace.hpp"

namespace rcperso::inspection {

using json = nlohmann::ordered_json;

namespace {

json image_summary(ByteView data) {
  json j = {{"bytes", data.size()}};
  try {
    image::Info info = image::probe(data, "image");
    j["format"] = image::format_name(info.format);
    j["width"] = info.width;
    j["height"] = info.height;
    j["colour"] = info.colour_space;
  } catch (const Error& e) {
    j["error"] = e.what();
  }
  return j;
}

json header_json(const biometric::BiometricHeader& h) {
  char owner[8], type[8];
  std::snprintf(owner, sizeof owner, "%04X", h.format_owner);
  std::snprintf(type, sizeof type, "%04X", h.format_type);
  json j = {{"format_owner", owner}, {"format_type", type}};
  if (h.biometric_type) j["biometric_type"] = *h.biometric_type;
  if (h.biometric_subtype) j["biometric_subtype"] = *h.biometric_subtype;
  return j;
}

json tagged_json(const lds::TaggedFields& f, const std::map<tlv::Tag, std::string>& names) {
  json j = json::object();
  for (const auto& field : f.fields()) {
    auto it = names.find(field.tag);
    std::string key = it != names.end() ? it->second : tlv::tag_name(field.tag);
    bool text = field.tag != lds::Dg11::kProofOfCitizenship && field.tag != lds::Dg12::kImageFront &&
                field.tag != lds::Dg12::kImageRear;
    if (field.tag == lds::Dg11::kOtherNames || field.tag == lds::Dg12::kOtherPersons) {
      try {
        j[key] = lds::decode_name_list(field.value, field.tag, key);
      } catch (const Error& e) {
        j[key] = std::string("unreadable: ") + e.what();
      }
    } else if (text) {
      j[key] = as_string(field.value);
    } else {
      j[key] = image_summary(field.value);
    }
  }
  return j;
}

std::string fingerprint_status(const ChipView& v) {
  if (!v.dg3) return "no DG3";
  if (!v.dg3->fingers.empty()) return std::to_string(v.dg3->fingers.size()) + " fingerprint(s)";
  if (v.fingerprint_exemption_recorded()) return "none, holder exempt (physically unable)";
  auto birth = v.date_of_birth();
  auto issue = v.date_of_issue();
  if (birth && issue) {
    return "none, holder " + std::to_string(issue->years_since(*birth)) + " on the date of issue";
  }
  return "none stored";
}

}  // namespace

json describe_chip(const issuance::ChipImage& chip) {
  ChipView v = decode_chip(chip);
  json d = json::object();
  json files = json::array();
  for (const auto& [name, data] : chip.files) files.push_back({{"name", name}, {"bytes", data.size()}});
  d["files"] = files;
  if (!chip.manifest.empty()) {
    d["manifest"] = {{"profile", chip.manifest.value("profile", "")},
                     {"created", chip.manifest.value("created", "")}};
    if (!chip.manifest_problems.empty()) d["manifest"]["problems"] = chip.manifest_problems;
    if (!chip.keys_on_chip.empty()) d["manifest"]["keys_on_chip"] = chip.keys_on_chip;
    if (chip.awaits_chip_keys()) {
      d["manifest"]["awaits_chip_keys"] = chip.manifest.value("pending_files", nlohmann::json::array());
    }
  }
  for (const auto& [name, why] : v.errors) d["errors"][name] = why;

  if (v.com) {
    json tags = json::array();
    for (int dg : v.com->data_groups()) tags.push_back("DG" + std::to_string(dg));
    d["EF.COM"] = {{"lds_version", v.com->lds_version},
                   {"unicode_version", v.com->unicode_version},
                   {"data_groups", tags}};
  }
  if (v.mrz) {
    const auto& m = *v.mrz;
    json checks = json::object();
    for (const auto& c : m.checks) checks[c.name] = c.ok ? "ok" : "WRONG";
    d["DG1"] = {{"format", mrz::format_name(m.format)},
                {"mrz", m.lines},
                {"document_code", m.document_code},
                {"issuing_state", m.issuing_state},
                {"document_number", m.document_number},
                {"date_of_birth", m.date_of_birth},
                {"sex", m.sex},
                {"date_of_expiry", m.date_of_expiry},
                {"nationality", m.nationality},
                {"optional_data", json::array({m.optional_data1, m.optional_data2})},
                {"primary_identifier", m.primary_identifier},
                {"secondary_identifier", m.secondary_identifier},
                {"check_digits", checks}};
  }
  if (v.dg2) {
    json faces = json::array();
    std::size_t record = 0;
    for (const auto& t : v.dg2->group.templates) {
      json f = header_json(t.header);
      if (record < v.dg2->faces.size()) {
        f["record_format"] = lds::face_record_format_name(v.dg2->face_formats[record]);
        for (const auto& img : v.dg2->faces[record].images) {
          f["image_type"] = biometric::face_image_data_type_name(img.image_data_type);
          f["width"] = img.width;
          f["height"] = img.height;
          f["colour_space"] = biometric::face_colour_space_name(img.colour_space);
          f["gender"] = biometric::gender_name(img.gender);
          f["face_image_type"] = img.face_image_type == 1   ? "full frontal"
                                 : img.face_image_type == 2 ? "token frontal"
                                                            : "basic";
          f["feature_points"] = img.feature_points.size();
          f["image"] = image_summary(img.image);
        }
        if (v.dg2->face_formats[record] == lds::FaceRecordFormat::Iso39794_5) {
          // Gender and landmarks are not decoded from 39794-5 (kept as bytes).
          f.erase("gender");
          f.erase("feature_points");
          std::size_t n39794 = static_cast<std::size_t>(
              std::count(v.dg2->face_formats.begin(), v.dg2->face_formats.begin() + static_cast<long>(record),
                         lds::FaceRecordFormat::Iso39794_5));
          const auto& r = v.dg2->faces_39794[n39794];
          f["image_type"] = biometric::face39794_image_format_name(r.image_format);
          f["version"] = std::to_string(r.version_generation) + "/" + std::to_string(r.version_year);
          if (r.colour_space) f["colour_space"] = biometric::face39794_colour_space_name(*r.colour_space);
          if (r.capture_datetime) f["capture_year"] = r.capture_datetime->year;
          f["kept_fields"] = r.kept_representation_fields.size() + r.kept_image_2d_fields.size() +
                             r.kept_image_information_fields.size();
        }
        ++record;
      }
      faces.push_back(f);
    }
    d["DG2"] = {{"faces", faces}};
  }
  if (v.dg3) {
    json fingers = json::array();
    std::size_t n39794 = 0;
    for (std::size_t i = 0; i < v.dg3->fingers.size(); ++i) {
      const auto& record = v.dg3->fingers[i];
      const auto record_format = v.dg3->finger_formats[i];
      const biometric::Iso39794FingerRecord* r39794 =
          record_format == lds::FingerRecordFormat::Iso39794_4 ? &v.dg3->fingers_39794[n39794++] : nullptr;
      for (std::size_t k = 0; k < record.fingers.size(); ++k) {
        const auto& f = record.fingers[k];
        json finger = {{"position", biometric::finger_position_name(f.position)},
                       {"record_format", lds::finger_record_format_name(record_format)},
                       {"compression", biometric::compression_name(record.compression)},
                       {"width", f.width},
                       {"height", f.height},
                       {"resolution_ppi", record.image_res_h},
                       {"impression_type", f.impression_type},
                       {"image_bytes", f.image.size()}};
        if (r39794 != nullptr) {
          // 39794-4 states neither size nor (unless given) resolution: the image's size is shown.
          const auto& rep = r39794->representations[k];
          finger["compression"] = biometric::finger39794_image_format_name(rep.image_format);
          json summary = image_summary(f.image);
          finger["width"] = summary.value("width", 0);
          finger["height"] = summary.value("height", 0);
          if (!rep.sampling_rate) finger.erase("resolution_ppi");
          finger["version"] =
              std::to_string(r39794->version_generation) + "/" + std::to_string(r39794->version_year);
          if (rep.capture_datetime) finger["capture_year"] = rep.capture_datetime->year;
          finger["kept_fields"] = rep.kept_fields.size();
        }
        fingers.push_back(finger);
      }
    }
    d["DG3"] = {{"fingerprints", fingers}, {"status", fingerprint_status(v)}};
  }
  if (v.dg7) {
    json images = json::array();
    for (const auto& img : v.dg7->images) images.push_back(image_summary(img));
    d["DG7"] = {{"signature_images", images}};
  }
  if (v.dg11) {
    d["DG11"] = tagged_json(*v.dg11, {{lds::Dg11::kFullName, "full_name"},
                                      {lds::Dg11::kOtherNames, "other_names"},
                                      {lds::Dg11::kPersonalNumber, "personal_number"},
                                      {lds::Dg11::kFullDateOfBirth, "full_date_of_birth"},
                                      {lds::Dg11::kPlaceOfBirth, "place_of_birth"},
                                      {lds::Dg11::kAddress, "address"},
                                      {lds::Dg11::kTelephone, "telephone"},
                                      {lds::Dg11::kProfession, "profession"},
                                      {lds::Dg11::kTitle, "title"},
                                      {lds::Dg11::kPersonalSummary, "personal_summary"},
                                      {lds::Dg11::kProofOfCitizenship, "proof_of_citizenship"},
                                      {lds::Dg11::kOtherTdNumbers, "other_td_numbers"},
                                      {lds::Dg11::kCustodyInformation, "custody_information"}});
  }
  if (v.dg12) {
    d["DG12"] = tagged_json(*v.dg12, {{lds::Dg12::kIssuingAuthority, "issuing_authority"},
                                      {lds::Dg12::kDateOfIssue, "date_of_issue"},
                                      {lds::Dg12::kOtherPersons, "other_persons"},
                                      {lds::Dg12::kEndorsements, "endorsements"},
                                      {lds::Dg12::kTaxExitRequirements, "tax_exit_requirements"},
                                      {lds::Dg12::kImageFront, "image_front"},
                                      {lds::Dg12::kImageRear, "image_rear"},
                                      {lds::Dg12::kPersonalizationTime, "personalization_time"},
                                      {lds::Dg12::kPersonalizationSerial, "personalization_serial"}});
  }
  if (v.dg14) {
    json infos = json::array();
    for (const auto& i : v.dg14->infos) infos.push_back(lds::oid_name(i.protocol));
    d["DG14"] = {{"security_infos", infos}};
  }
  if (v.dg15) d["DG15"] = {{"public_key_algorithm", lds::oid_name(v.dg15->algorithm)}};
  if (const Bytes* ca = chip.file("EF.CardAccess")) {
    try {
      json pace = json::array();
      for (const auto& p : lds::CardAccess::decode(*ca).pace) {
        pace.push_back(
            {{"protocol", lds::oid_name(p.protocol)},
             {"domain_parameters", p.parameter_id ? secure::pace_parameter_name(*p.parameter_id) : "-"}});
      }
      d["CardAccess"] = {{"pace", pace}};
    } catch (const DecodeError& e) {
      d["CardAccess"] = {{"error", e.what()}};
    }
  }
  d["fingerprints"] = fingerprint_status(v);
  if (v.sod) {
    const auto& s = *v.sod;
    json hashes = json::object();
    for (const auto& h : s.lso.hashes) hashes["DG" + std::to_string(h.number)] = to_hex(h.hash);
    json sod = {{"lds_security_object_version", s.lso.version},
                {"hash_algorithm", lds::oid_name(s.lso.hash_algorithm_oid)},
                {"data_group_hashes", hashes},
                {"econtent_type", lds::oid_name(s.econtent_type)},
                {"signed_data_version", s.signed_data_version},
                {"digest_algorithm", lds::oid_name(s.signer.digest_algorithm.oid)},
                {"signature_algorithm", lds::oid_name(s.signer.signature_algorithm.oid)},
                {"signing_time", s.signer.signing_time_text}};
    if (s.lso.lds_version_info) {
      sod["lds_version"] = s.lso.lds_version_info->first;
      sod["unicode_version"] = s.lso.lds_version_info->second;
    }
    json certs = json::array();
    for (const auto& der : s.certificates) {
      try {
        auto info = pki::describe_certificate(der);
        certs.push_back({{"subject", info.subject},
                         {"issuer", info.issuer},
                         {"serial", info.serial},
                         {"not_before", info.not_before},
                         {"not_after", info.not_after},
                         {"key", info.key_type},
                         {"test_only", info.test_only}});
      } catch (const Error& e) {
        certs.push_back({{"error", e.what()}});
      }
    }
    sod["certificates"] = certs;
    d["EF.SOD"] = sod;
  }
  return d;
}

std::string render_text(const json& d) {
  std::ostringstream out;
  // Scalars inline, objects and arrays indented: readable without knowing JSON.
  std::function<void(const json&, int)> walk = [&](const json& j, int indent) {
    std::string pad(static_cast<std::size_t>(indent), ' ');
    for (auto it = j.begin(); it != j.end(); ++it) {
      const json& value = it.value();
      std::string key = j.is_object() ? it.key() : "-";
      if (value.is_object()) {
        out << pad << key << ":\n";
        walk(value, indent + 2);
      } else if (value.is_array() && !value.empty() && (value[0].is_object() || value[0].is_array())) {
        out << pad << key << ":\n";
        for (const auto& item : value) {
          bool flat = item.is_object() &&
                      std::all_of(item.begin(), item.end(), [](const json& v) { return v.is_primitive(); });
          if (flat && item.size() <= 3) {
            // Small records on one line: "- name: EF.COM, bytes: 26".
            out << pad << "  -";
            bool first = true;
            for (auto f = item.begin(); f != item.end(); ++f) {
              out << (first ? " " : ", ") << f.key() << ": "
                  << (f.value().is_string() ? f.value().get<std::string>() : f.value().dump());
              first = false;
            }
            out << "\n";
          } else {
            out << pad << "  -\n";
            walk(item, indent + 4);
          }
        }
      } else if (value.is_array()) {
        if (key == "mrz") {
          out << pad << key << ":\n";
          for (const auto& line : value) out << pad << "  " << line.get<std::string>() << "\n";
        } else {
          out << pad << key << ": ";
          bool first = true;
          for (const auto& item : value) {
            out << (first ? "" : ", ") << (item.is_string() ? item.get<std::string>() : item.dump());
            first = false;
          }
          out << "\n";
        }
      } else if (value.is_string()) {
        std::string s = value.get<std::string>();
        if (s.find('\n') != std::string::npos) {
          out << pad << key << ":\n";
          std::istringstream lines(s);
          for (std::string line; std::getline(lines, line);) out << pad << "  " << line << "\n";
        } else {
          out << pad << key << ": " << s << "\n";
        }
      } else {
        out << pad << key << ": " << value.dump() << "\n";
      }
    }
  };
  walk(d, 0);
  return out.str();
}

std::vector<std::string> extract_chip(const issuance::ChipImage& chip, const std::filesystem::path& dir) {
  ChipView v = decode_chip(chip);
  AtomicDirectory out(dir);
  std::vector<std::string> written;
  auto put = [&](const std::string& name, ByteView data) {
    out.write(name, data);
    written.push_back(name);
  };
  auto ext = [](ByteView data) {
    switch (image::sniff(data)) {
      case image::Format::Jpeg:
        return ".jpg";
      case image::Format::Png:
        return ".png";
      case image::Format::Jpeg2000:
        return ".jp2";
      case image::Format::Wsq:
        return ".wsq";
      case image::Format::Unknown:
        break;
    }
    return ".bin";
  };
  if (v.dg2) {
    int n = 0;
    for (const auto& rec : v.dg2->faces) {
      for (const auto& img : rec.images)
        put(n++ == 0 ? std::string("face") + ext(img.image) : "face-" + std::to_string(n) + ext(img.image),
            img.image);
    }
  }
  if (v.dg3) {
    for (const auto& rec : v.dg3->fingers) {
      for (const auto& f : rec.fingers) {
        std::string base = "finger-" + biometric::finger_position_name(f.position);
        put(base + (rec.compression == 2 ? std::string(".wsq") : ext(f.image)), f.image);
        auto format = image::sniff(f.image);
        if (format == image::Format::Jpeg2000 || format == image::Format::Wsq) {
          // A PNG beside it: few viewers open WSQ, and many lack JPEG 2000.
          try {
            put(base + ".png", image::encode_png(image::decode(f.image, base)));
          } catch (const Error&) {
            // rcverify reports an undecodable image; the original is extracted anyway.
          }
        }
      }
    }
  }
  if (v.dg7) {
    int n = 0;
    for (const auto& img : v.dg7->images)
      put(n++ == 0 ? std::string("signature") + ext(img) : "signature-" + std::to_string(n) + ext(img), img);
  }
  if (v.sod) {
    int n = 0;
    for (const auto& der : v.sod->certificates) {
      auto cert = pki::parse_certificate(der, "EF.SOD certificate");
      std::string pem = pki::pem_certificate(cert.get());
      put(n++ == 0 ? "ds-certificate.pem" : "certificate-" + std::to_string(n) + ".pem", as_bytes(pem));
    }
  }
  if (written.empty()) throw Error("nothing to extract: the chip image has no images or certificates");
  out.commit();
  return written;
}

}  // namespace rcperso::inspection
