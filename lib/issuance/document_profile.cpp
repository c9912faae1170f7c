#include "issuance/document_profile.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>

#include "core/error.hpp"
#include "core/json_reader.hpp"
#include "secure/chip_auth.hpp"
#include "secure/pace.hpp"

namespace rcperso::issuance {

namespace fs = std::filesystem;

std::string pace_cam_problem(const DocumentProfile& profile, const lds::PaceInfo& pace) {
  secure::PaceProtocol protocol;
  try {
    protocol = secure::pace_protocol(pace.protocol);
  } catch (const Error&) {
    return "";  // reported as an unknown protocol
  }
  if (protocol.mapping != secure::PaceMapping::ChipAuthentication) return "";
  const std::string curve =
      pace.parameter_id ? secure::pace_parameter_name(*pace.parameter_id) : std::string("no parameter");
  if (!profile.chip_authentication) {
    return "PACE-CAM (" + lds::oid_name(pace.protocol) +
           ") uses the chip's Chip Authentication key: add chip_authentication with curve " + curve;
  }
  if (!pace.parameter_id ||
      !secure::pace_parameter_is_curve(*pace.parameter_id, profile.chip_authentication->curve)) {
    return "PACE-CAM runs on " + curve + " but chip_authentication.curve is " +
           profile.chip_authentication->curve + "; the chip's static key must be on the PACE curve";
  }
  return "";
}

bool DocumentProfile::has_dg(int dg) const {
  return std::find(data_groups.begin(), data_groups.end(), dg) != data_groups.end();
}

DocumentProfile DocumentProfile::from_json(const nlohmann::json& j, const std::string& source_name) {
  JsonReader r(source_name);
  DocumentProfile p;
  auto root = r.object(j, "");
  r.known_keys(root, "",
               {"profile", "description", "mrz", "issuing_state", "lds", "data_groups", "signature", "face",
                "fingerprints", "signature_image", "validity", "access_control", "chip_authentication",
                "active_authentication", "terminal_authentication", "retention"});
  r.required_string(root, "", "profile", p.name);
  r.optional_string(root, "", "description", p.description);
  r.required_string(root, "", "issuing_state", p.issuing_state);

  if (auto mrz = r.required_object(root, "", "mrz")) {
    r.known_keys(*mrz, "mrz", {"layout", "document_code"});
    r.required_string(*mrz, "mrz", "layout", p.mrz_layout);
    r.required_string(*mrz, "mrz", "document_code", p.document_code);
    if (p.mrz_layout != "TD1") r.problem("mrz.layout", "only TD1 is supported");
    bool code_ok = p.document_code.size() == 2 &&
                   (p.document_code[0] == 'A' || p.document_code[0] == 'C' || p.document_code[0] == 'I') &&
                   ((p.document_code[1] >= 'A' && p.document_code[1] <= 'Z') || p.document_code[1] == '<') &&
                   p.document_code[1] != 'V' && p.document_code != "AI";
    if (!code_ok)
      r.problem("mrz.document_code", "must be 2 characters starting with A, C or I (ICAO 9303-5)");
  }
  if (auto lds = r.required_object(root, "", "lds")) {
    r.known_keys(*lds, "lds", {"version", "unicode_version"});
    r.required_string(*lds, "lds", "version", p.lds_version);
    r.required_string(*lds, "lds", "unicode_version", p.unicode_version);
    if (p.lds_version != "0107" && p.lds_version != "0108")
      r.problem("lds.version", "must be \"0107\" or \"0108\"");
    if (p.unicode_version.size() != 6) r.problem("lds.unicode_version", "must be 6 digits, e.g. \"040000\"");
  }
  if (root->contains("data_groups")) {
    const auto& dgs = root->at("data_groups");
    if (!dgs.is_array()) {
      r.problem("data_groups", "must be an array of data group numbers");
    } else {
      p.data_groups.clear();
      std::set<int> seen;
      for (std::size_t i = 0; i < dgs.size(); ++i) {
        std::string field = "data_groups[" + std::to_string(i) + "]";
        if (!dgs[i].is_number_integer()) {
          r.problem(field, "must be an integer");
          continue;
        }
        int dg = dgs[i].get<int>();
        if (dg != 1 && dg != 2 && dg != 3 && dg != 7 && dg != 11 && dg != 12 && dg != 14 && dg != 15) {
          r.problem(field, "data group " + std::to_string(dg) + " is not produced by this version");
        } else if (!seen.insert(dg).second) {
          r.problem(field, "data group " + std::to_string(dg) + " listed twice");
        } else {
          p.data_groups.push_back(dg);
        }
      }
      for (int required : {1, 2}) {
        if (!seen.count(required))
          r.problem("data_groups", "DG" + std::to_string(required) + " is mandatory");
      }
      std::sort(p.data_groups.begin(), p.data_groups.end());
    }
  } else {
    r.problem("data_groups", "missing");
  }
  if (auto sig = r.required_object(root, "", "signature")) {
    r.known_keys(*sig, "signature", {"hash", "ec_scheme", "rsa_scheme"});
    r.required_string(*sig, "signature", "hash", p.hash_algorithm);
    r.optional_string(*sig, "signature", "ec_scheme", p.ec_signature_scheme);
    r.optional_string(*sig, "signature", "rsa_scheme", p.rsa_signature_scheme);
    if (p.hash_algorithm != "SHA-256" && p.hash_algorithm != "SHA-384" && p.hash_algorithm != "SHA-512") {
      r.problem("signature.hash", "must be SHA-256, SHA-384 or SHA-512");
    }
    if (p.ec_signature_scheme != "ecdsa") r.problem("signature.ec_scheme", "must be \"ecdsa\"");
    if (p.rsa_signature_scheme != "rsa-pss" && p.rsa_signature_scheme != "rsa-pkcs1") {
      r.problem("signature.rsa_scheme", "must be \"rsa-pss\" or \"rsa-pkcs1\"");
    }
  }
  if (auto face = r.required_object(root, "", "face")) {
    r.known_keys(*face, "face",
                 {"width", "height", "colour", "format", "max_bytes", "min_quality", "max_quality",
                  "max_compression_ratio", "record_format"});
    r.required_int(*face, "face", "width", p.face.width, 64, 2000);
    r.required_int(*face, "face", "height", p.face.height, 64, 2000);
    std::string colour = "rgb";
    r.optional_string(*face, "face", "colour", colour);
    if (colour != "rgb" && colour != "gray") r.problem("face.colour", "must be \"rgb\" or \"gray\"");
    p.face.colour = colour == "rgb";
    r.optional_string(*face, "face", "format", p.face.format);
    const bool jpeg = p.face.format == "jpeg";
    if (!jpeg && p.face.format != "jpeg2000")
      r.problem("face.format", "must be \"jpeg\" or \"jpeg2000\", not \"" + p.face.format + "\"");
    int max_bytes = 0;
    r.required_int(*face, "face", "max_bytes", max_bytes, 2000, 200000);
    p.face.max_bytes = static_cast<std::size_t>(max_bytes);
    // Each format's own setting; the other's is refused so that a profile says what it does.
    for (const char* key : {"min_quality", "max_quality"}) {
      if (!jpeg && face->contains(key)) {
        r.problem(std::string("face.") + key,
                  "applies to format \"jpeg\" only (jpeg2000 uses max_compression_ratio)");
      }
    }
    r.optional_int(*face, "face", "min_quality", p.face.min_quality, 1, 100);
    r.optional_int(*face, "face", "max_quality", p.face.max_quality, 1, 100);
    if (p.face.min_quality > p.face.max_quality) r.problem("face.min_quality", "greater than max_quality");
    if (face->contains("max_compression_ratio")) {
      const auto& v = face->at("max_compression_ratio");
      if (jpeg) {
        r.problem("face.max_compression_ratio",
                  "applies to format \"jpeg2000\" only (jpeg uses min_quality)");
      } else if (!v.is_number() || v.get<double>() < 2.0 || v.get<double>() > 200.0) {
        r.problem("face.max_compression_ratio", "must be a number from 2 to 200");
      } else {
        p.face.max_compression_ratio = v.get<double>();
      }
    }
    std::string record_format = "iso19794";
    r.optional_string(*face, "face", "record_format", record_format);
    if (record_format != "iso19794" && record_format != "iso39794") {
      r.problem("face.record_format", "must be \"iso19794\" or \"iso39794\"");
    }
    p.face.iso39794 = record_format == "iso39794";
  }
  if (auto fp = r.required_object(root, "", "fingerprints")) {
    r.known_keys(*fp, "fingerprints",
                 {"count", "minimum_age", "preferred_positions", "format", "bitrate", "compression_ratio",
                  "resolution_ppi", "min_width", "min_height", "max_width", "max_height", "max_bytes",
                  "record_format", "downsample_from_ppi"});
    r.required_int(*fp, "fingerprints", "count", p.fingerprints.count, 1, 10);
    r.required_int(*fp, "fingerprints", "minimum_age", p.fingerprints.minimum_age, 0, 18);
    if (fp->contains("preferred_positions")) {
      p.fingerprints.preferred_positions.clear();
      const auto& pos = fp->at("preferred_positions");
      if (!pos.is_array()) r.problem("fingerprints.preferred_positions", "must be an array of finger names");
      for (const auto& v : pos) {
        if (v.is_string()) p.fingerprints.preferred_positions.push_back(v.get<std::string>());
      }
    }
    r.optional_string(*fp, "fingerprints", "format", p.fingerprints.format);
    const bool wsq = p.fingerprints.format == "wsq";
    if (!wsq && p.fingerprints.format != "jpeg2000")
      r.problem("fingerprints.format",
                "must be \"wsq\" or \"jpeg2000\", not \"" + p.fingerprints.format + "\"");
    // Each format's own setting; the other's is refused so that a profile says what it does.
    if (fp->contains("bitrate")) {
      const auto& v = fp->at("bitrate");
      if (!wsq) {
        r.problem("fingerprints.bitrate", "applies to format \"wsq\" only (jpeg2000 uses compression_ratio)");
      } else if (!v.is_number() || v.get<double>() < 0.1 || v.get<double>() > 4.0) {
        r.problem("fingerprints.bitrate", "must be a number of bits per pixel from 0.1 to 4");
      } else {
        p.fingerprints.bitrate = v.get<double>();
      }
    }
    if (fp->contains("compression_ratio")) {
      const auto& v = fp->at("compression_ratio");
      if (wsq) {
        r.problem("fingerprints.compression_ratio", "applies to format \"jpeg2000\" only (wsq uses bitrate)");
      } else if (!v.is_number() || v.get<double>() < 1.0 || v.get<double>() > 100.0) {
        r.problem("fingerprints.compression_ratio", "must be a number from 1 to 100");
      } else {
        p.fingerprints.compression_ratio = v.get<double>();
      }
    }
    r.optional_int(*fp, "fingerprints", "resolution_ppi", p.fingerprints.resolution_ppi, 250, 2000);
    if (fp->contains("downsample_from_ppi")) {
      const auto& v = fp->at("downsample_from_ppi");
      if (!v.is_number_integer() || v.get<int>() != 2 * p.fingerprints.resolution_ppi) {
        r.problem("fingerprints.downsample_from_ppi", "must be twice resolution_ppi (" +
                                                          std::to_string(2 * p.fingerprints.resolution_ppi) +
                                                          "): only 2:1 downsampling keeps the ridges intact");
      } else {
        p.fingerprints.downsample_from_ppi = v.get<int>();
      }
    }
    r.optional_int(*fp, "fingerprints", "min_width", p.fingerprints.min_width, 16, 4000);
    r.optional_int(*fp, "fingerprints", "min_height", p.fingerprints.min_height, 16, 4000);
    r.optional_int(*fp, "fingerprints", "max_width", p.fingerprints.max_width, 16, 4000);
    r.optional_int(*fp, "fingerprints", "max_height", p.fingerprints.max_height, 16, 4000);
    int max_bytes = static_cast<int>(p.fingerprints.max_bytes);
    r.optional_int(*fp, "fingerprints", "max_bytes", max_bytes, 1000, 200000);
    p.fingerprints.max_bytes = static_cast<std::size_t>(max_bytes);
    std::string record_format = "iso19794";
    r.optional_string(*fp, "fingerprints", "record_format", record_format);
    if (record_format != "iso19794" && record_format != "iso39794") {
      r.problem("fingerprints.record_format", "must be \"iso19794\" or \"iso39794\"");
    }
    p.fingerprints.iso39794 = record_format == "iso39794";
  }
  if (auto si = r.required_object(root, "", "signature_image")) {
    r.known_keys(*si, "signature_image", {"minimum_age", "required", "max_width", "max_height", "max_bytes"});
    r.required_int(*si, "signature_image", "minimum_age", p.signature.minimum_age, 0, 18);
    r.optional_bool(*si, "signature_image", "required", p.signature.required);
    r.optional_int(*si, "signature_image", "max_width", p.signature.max_width, 50, 4000);
    r.optional_int(*si, "signature_image", "max_height", p.signature.max_height, 20, 4000);
    int max_bytes = static_cast<int>(p.signature.max_bytes);
    r.optional_int(*si, "signature_image", "max_bytes", max_bytes, 500, 100000);
    p.signature.max_bytes = static_cast<std::size_t>(max_bytes);
  }
  if (auto v = r.required_object(root, "", "validity")) {
    r.known_keys(*v, "validity", {"adult_age", "max_years_minor", "max_years_adult"});
    r.required_int(*v, "validity", "adult_age", p.validity.adult_age, 1, 30);
    r.required_int(*v, "validity", "max_years_minor", p.validity.max_years_minor, 1, 20);
    r.required_int(*v, "validity", "max_years_adult", p.validity.max_years_adult, 1, 20);
  }
  if (root != nullptr && root->contains("retention")) {
    if (const auto* ret = r.object((*root)["retention"], "retention")) {
      r.known_keys(*ret, "retention", {"input_images", "chip_image"});
      auto keep_or_erase = [&](const char* key, bool& keep) {
        std::string value = "erase";
        r.optional_string(*ret, "retention", key, value);
        if (value != "erase" && value != "keep")
          r.problem(std::string("retention.") + key, "must be \"erase\" or \"keep\"");
        keep = value == "keep";
      };
      keep_or_erase("input_images", p.retention.keep_input_images);
      keep_or_erase("chip_image", p.retention.keep_chip_image);
    }
  }
  const nlohmann::json* ac = nullptr;
  if (root != nullptr && root->contains("access_control"))
    ac = r.object((*root)["access_control"], "access_control");
  if (ac != nullptr) {
    r.known_keys(*ac, "access_control", {"pace", "bac"});
    r.optional_bool(*ac, "access_control", "bac", p.bac);
    auto pace = ac->find("pace");
    if (pace != ac->end() && !pace->is_array()) r.problem("access_control.pace", "must be a list");
    if (pace != ac->end() && pace->is_array()) {
      for (std::size_t i = 0; i < pace->size(); ++i) {
        std::string path = "access_control.pace[" + std::to_string(i) + "]";
        const auto& item = (*pace)[i];
        r.known_keys(item, path, {"protocol", "parameter_id"});
        lds::PaceInfo info;
        int id = 0;
        bool ok = r.required_string(item, path, "protocol", info.protocol) &&
                  r.required_int(item, path, "parameter_id", id, 0, 18);
        if (!ok) continue;
        info.parameter_id = id;
        try {
          auto protocol = secure::pace_protocol(info.protocol);
          if ((id <= 2) == protocol.ecdh)
            r.problem(path, "parameter_id " + std::to_string(id) + " does not fit " + info.protocol);
        } catch (const Error& e) {
          r.problem(path + ".protocol", e.what());
        }
        p.pace.push_back(info);
      }
    }
    if (p.pace.empty() && !p.bac)
      r.problem("access_control", "needs PACE or BAC, or the chip cannot be read");
  }
  auto ca = root != nullptr ? root->find("chip_authentication") : nlohmann::json::const_iterator{};
  if (root != nullptr && ca != root->end() && !ca->is_null()) {
    if (const nlohmann::json* c = r.object(*ca, "chip_authentication")) {
      r.known_keys(*c, "chip_authentication", {"protocol", "curve", "dh_group"});
      ChipAuthenticationSettings settings;
      if (r.required_string(*c, "chip_authentication", "protocol", settings.protocol)) {
        std::optional<secure::ChipAuthProtocol> protocol;
        try {
          protocol = secure::chip_authentication_protocol(settings.protocol);
        } catch (const Error& e) {
          r.problem("chip_authentication.protocol", e.what());
        }
        const bool has_curve = c->contains("curve"), has_group = c->contains("dh_group");
        if (has_curve == has_group) {
          r.problem("chip_authentication",
                    "give exactly one of \"curve\" (for id-CA-ECDH-*) and \"dh_group\" (for id-CA-DH-*)");
        } else if (protocol && protocol->ecdh != has_curve) {
          r.problem(
              has_curve ? "chip_authentication.curve" : "chip_authentication.dh_group",
              settings.protocol + (protocol->ecdh ? " is ECDH: give \"curve\", not \"dh_group\""
                                                  : " is DH: give \"dh_group\" (0, 1 or 2), not \"curve\""));
        } else if (has_curve) {
          if (r.required_string(*c, "chip_authentication", "curve", settings.curve) &&
              !secure::is_supported_chip_curve(settings.curve)) {
            r.problem("chip_authentication.curve",
                      "'" + settings.curve +
                          "' is not a prime curve this version can make keys on (e.g. brainpoolP256r1)");
          }
        } else {
          int group = 0;
          // The RFC 5114 groups of TR-03110's standardized parameter IDs 0 (1024/160), 1 (2048/224), 2
          // (2048/256).
          if (r.required_int(*c, "chip_authentication", "dh_group", group, 0, 2)) settings.dh_group = group;
        }
        p.chip_authentication = settings;
      }
    }
  }
  auto aa = root != nullptr ? root->find("active_authentication") : nlohmann::json::const_iterator{};
  bool aa_ecdsa = false;
  if (root != nullptr && aa != root->end() && !aa->is_null()) {
    if (const nlohmann::json* a = r.object(*aa, "active_authentication")) {
      r.known_keys(*a, "active_authentication", {"key"});
      std::string key;
      if (r.required_string(*a, "active_authentication", "key", key)) {
        if (key.rfind("rsa-", 0) != 0 && key.rfind("ecdsa-", 0) != 0) {
          r.problem("active_authentication.key",
                    "must name an RSA or ECDSA key, e.g. \"rsa-2048\" or \"ecdsa-brainpoolP256r1-sha256\"");
        }
        aa_ecdsa = key.rfind("ecdsa-", 0) == 0;
        p.active_authentication = key;
      }
    }
  }
  if (root != nullptr && root->contains("terminal_authentication")) {
    const auto& t = root->at("terminal_authentication");
    if (!t.is_null()) {
      if (const nlohmann::json* ta = r.object(t, "terminal_authentication")) {
        r.known_keys(*ta, "terminal_authentication", {"version"});
        int version = 1;
        if (r.required_int(*ta, "terminal_authentication", "version", version, 1, 1))
          p.terminal_authentication = true;
      }
    }
  }
  for (std::size_t i = 0; i < p.pace.size(); ++i) {
    std::string problem = pace_cam_problem(p, p.pace[i]);
    if (!problem.empty()) r.problem("access_control.pace[" + std::to_string(i) + "]", problem);
  }
  if (p.terminal_authentication && !p.chip_authentication)
    r.problem("terminal_authentication", "needs chip_authentication (EAC v1 runs TA after CA)");
  if (p.chip_authentication && !p.has_dg(14))
    r.problem("data_groups", "Chip Authentication needs DG14 (its public key) in the list");
  if (aa_ecdsa && !p.has_dg(14))
    r.problem("data_groups",
              "ECDSA Active Authentication needs DG14 (ActiveAuthenticationInfo names its hash)");
  if (!p.chip_authentication && !aa_ecdsa && p.has_dg(14))
    r.problem("data_groups", "DG14 is written only with chip_authentication or ECDSA active_authentication");
  if (p.active_authentication.has_value() != p.has_dg(15))
    r.problem("data_groups",
              "DG15 (the Active Authentication key) is listed exactly when active_authentication is set");
  if (p.issuing_state.size() != 3) r.problem("issuing_state", "must be a 3-letter code");
  r.finish();
  return p;
}

DocumentProfile DocumentProfile::load(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open document profile");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in, nullptr, true, false);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON: " + e.what());
  }
  DocumentProfile p = from_json(j, path.string());
  p.source = path;
  return p;
}

DocumentProfile DocumentProfile::resolve(const std::string& name_or_path) {
  fs::path direct(name_or_path);
  if (name_or_path.find('/') != std::string::npos || direct.extension() == ".json") return load(direct);
  for (const auto& dir : profile_search_path()) {
    fs::path candidate = dir / "documents" / (name_or_path + ".json");
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return load(candidate);
  }
  throw Error("document profile '" + name_or_path +
              "' not found (give a path to a .json file, or set RCPERSO_PROFILES to the profiles directory)");
}

}  // namespace rcperso::issuance
