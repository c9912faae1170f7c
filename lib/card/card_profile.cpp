#include "card/card_profile.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/json_reader.hpp"
#include "core/profile_path.hpp"

namespace rcperso::card {

namespace fs = std::filesystem;

namespace {
std::optional<iso7816::CommandApdu> apdu_field(JsonReader& r, const nlohmann::json& j, const char* key,
                                               bool required, const std::string& parent = "") {
  const std::string field = parent.empty() ? std::string(key) : parent + "." + key;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) r.problem(field, "missing");
    return std::nullopt;
  }
  if (!it->is_string()) {
    r.problem(field, "must be an APDU in hex");
    return std::nullopt;
  }
  try {
    return iso7816::CommandApdu::decode(from_hex(it->get<std::string>()));
  } catch (const std::exception& e) {
    r.problem(field, std::string("not a valid command APDU: ") + e.what());
    return std::nullopt;
  }
}
}  // namespace

CardProfile CardProfile::load(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open card profile");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON: " + e.what());
  }
  JsonReader r(path.string());
  CardProfile p;
  const nlohmann::json* root = r.object(j, "");
  r.known_keys(
      root, "",
      {"profile", "description", "select_applet", "select_mf", "create_file", "max_file_size", "chunk_plain",
       "read_chunk", "read_chunk_sm", "extended_length", "odd_ins", "bac_seed", "lock", "erase",
       "create_application_df", "private_keys", "generate_keys", "update_needs_le", "update_accepts_6282"});
  if (root == nullptr) r.finish();
  r.required_string(root, "", "profile", p.name);
  r.optional_string(root, "", "description", p.description);
  if (auto a = apdu_field(r, *root, "select_applet", true)) p.select_applet = *a;
  p.select_mf = apdu_field(r, *root, "select_mf", false);
  std::string tmpl;
  if (r.required_string(root, "", "create_file", tmpl)) {
    if (tmpl == "fcp") {
      p.create_file = CreateFileTemplate::Fcp;
    } else if (tmpl == "jmrtd") {
      p.create_file = CreateFileTemplate::Jmrtd;
    } else {
      r.problem("create_file", "must be \"fcp\" or \"jmrtd\"");
    }
  }
  int v = 0;
  if (r.required_int(root, "", "max_file_size", v, 1, 16777215))
    p.max_file_size = static_cast<std::size_t>(v);
  if (r.required_int(root, "", "chunk_plain", v, 1, 65535)) p.chunk_plain = static_cast<std::size_t>(v);
  if (r.required_int(root, "", "read_chunk", v, 1, 65536)) p.read_chunk = static_cast<std::size_t>(v);
  if (r.required_int(root, "", "read_chunk_sm", v, 1, 65536)) p.read_chunk_sm = static_cast<std::size_t>(v);
  r.optional_bool(root, "", "extended_length", p.extended_length);
  r.optional_bool(root, "", "odd_ins", p.odd_ins);
  if (!p.extended_length && (p.chunk_plain > 255 || p.read_chunk > 256 || p.read_chunk_sm > 256)) {
    r.problem("chunk_plain", "chunks over 255 bytes need \"extended_length\": true");
  }
  auto seed = root->find("bac_seed");
  if (seed != root->end() && !seed->is_null()) {
    const nlohmann::json* s = r.object(*seed, "bac_seed");
    r.known_keys(s, "bac_seed", {"put_data", "pad_document_number"});
    if (s != nullptr) {
      p.bac_seed = apdu_field(r, *s, "put_data", true);
      r.optional_bool(s, "bac_seed", "pad_document_number", p.pad_document_number);
    }
  }
  auto keys = root->find("private_keys");
  if (keys != root->end() && !keys->is_null()) {
    if (const nlohmann::json* k = r.object(*keys, "private_keys")) {
      for (const auto& [name, value] : k->items()) {
        if (auto a = apdu_field(r, *k, name.c_str(), true)) p.private_keys[name] = *a;
      }
    }
  }
  auto generate = root->find("generate_keys");
  if (generate != root->end() && !generate->is_null()) {
    if (const nlohmann::json* g = r.object(*generate, "generate_keys")) {
      r.known_keys(g, "generate_keys", {"ca_ec", "aa_ec", "aa_rsa"});
      for (const auto& [name, value] : g->items()) {
        if (name != "ca_ec" && name != "aa_ec" && name != "aa_rsa") continue;  // reported above
        const std::string field = "generate_keys." + name;
        auto a = apdu_field(r, *g, name.c_str(), true, "generate_keys");
        if (!a) continue;
        if (a->ins != 0x46 || !a->data.empty() || a->le) {
          r.problem(field,
                    "must be the 4-byte header of GENERATE ASYMMETRIC KEY PAIR (INS 46, e.g. 00460063), "
                    "without data or Le");
          continue;
        }
        p.generate_keys[name] = *a;
      }
    }
  }
  p.lock = apdu_field(r, *root, "lock", false);
  p.erase = apdu_field(r, *root, "erase", false);
  auto df = root->find("create_application_df");
  if (df != root->end() && !df->is_null()) {
    Bytes fid;
    try {
      if (df->is_string()) fid = from_hex(df->get<std::string>());
    } catch (const std::exception&) {
      fid.clear();
    }
    if (fid.size() != 2) {
      r.problem("create_application_df", "must be a file identifier of 4 hex digits, or null");
    } else {
      p.create_application_df = static_cast<std::uint16_t>(get_be(fid, 0, 2));
    }
  }
  r.optional_bool(root, "", "update_needs_le", p.update_needs_le);
  r.optional_bool(root, "", "update_accepts_6282", p.update_accepts_6282);
  r.finish();
  return p;
}

CardProfile CardProfile::resolve(const std::string& name_or_path) {
  fs::path direct(name_or_path);
  if (name_or_path.find('/') != std::string::npos || direct.extension() == ".json") return load(direct);
  for (const auto& dir : profile_search_path()) {
    fs::path candidate = dir / "cards" / (name_or_path + ".json");
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return load(candidate);
  }
  throw Error("card profile '" + name_or_path +
              "' not found (rcsim, jmrtd-applet, iso7816-fs, or a .json path)");
}

}  // namespace rcperso::card
