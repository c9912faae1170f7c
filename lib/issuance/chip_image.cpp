#include "issuance/chip_image.hpp"

#include "core/atomic_dir.hpp"
#include "core/error.hpp"
#include "lds/files.hpp"
#include "pki/hash.hpp"

namespace rcperso::issuance {

namespace fs = std::filesystem;

const Bytes* ChipImage::file(const std::string& name) const {
  auto it = files.find(name);
  return it == files.end() ? nullptr : &it->second;
}

std::map<int, Bytes> ChipImage::data_groups() const {
  std::map<int, Bytes> out;
  for (const auto& [name, data] : files) {
    const auto* info = lds::file_by_name(name);
    if (info != nullptr && info->dg > 0) out[info->dg] = data;
  }
  return out;
}

std::map<int, const Bytes*> ChipImage::data_group_files() const {
  std::map<int, const Bytes*> out;
  for (const auto& [name, data] : files) {
    const auto* info = lds::file_by_name(name);
    if (info != nullptr && info->dg > 0) out[info->dg] = &data;
  }
  return out;
}

void describe_files(ChipImage& image, const Sha256ByFile& known) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, data] : image.files) {
    const auto* info = lds::file_by_name(name);
    char fid[8];
    std::snprintf(fid, sizeof fid, "%04X", info != nullptr ? info->fid : 0);
    auto digest = known.find(name);
    list.push_back({{"name", name},
                    {"fid", fid},
                    {"size", data.size()},
                    {"sha256", digest != known.end() ? to_hex(digest->second) : pki::sha256_hex(data)}});
  }
  image.manifest["files"] = list;
}

void write_chip_image(const ChipImage& image, const fs::path& dir) {
  AtomicDirectory out(dir);
  for (const auto& [name, data] : image.files) {
    if (lds::file_by_name(name) == nullptr) throw Error("refusing to write unknown file name " + name);
    out.write(name, data);
  }
  std::string manifest = image.manifest.dump(2) + "\n";
  out.write(kManifestName, as_bytes(manifest));
  out.commit();
}

ChipImage read_chip_image(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir.string() + ": not a chip image directory");
  ChipImage image;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name == kManifestName) continue;
    if (lds::file_by_name(name) == nullptr) {
      throw Error(entry.path().string() +
                  ": unexpected file in a chip image (expected EF.COM, EF.SOD, EF.DG1 ...)");
    }
    if (!entry.is_regular_file()) throw Error(entry.path().string() + ": not a regular file");
    image.files[name] = read_file(entry.path().string(), kMaxElementaryFileSize);
  }
  if (image.files.empty()) throw Error(dir.string() + ": contains no elementary files (EF.COM, EF.SOD, ...)");
  fs::path manifest_path = dir / kManifestName;
  if (fs::exists(manifest_path, ec)) {
    Bytes raw = read_file(manifest_path.string(), 1024U * 1024U);
    try {
      image.manifest = nlohmann::json::parse(raw.begin(), raw.end());
    } catch (const nlohmann::json::exception& e) {
      throw Error(manifest_path.string() + ": not valid JSON: " + e.what());
    }
    if (!image.manifest.is_object() || image.manifest.value("format", "") != kManifestFormat ||
        !image.manifest.contains("files") || !image.manifest["files"].is_array()) {
      throw Error(manifest_path.string() + ": not an rcperso chip image manifest");
    }
    std::size_t listed = 0;
    try {
      for (const auto& f : image.manifest["files"]) {
        if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) {
          throw Error(manifest_path.string() + ": malformed file entry");
        }
        std::string name = f["name"].get<std::string>();
        const Bytes* data = image.file(name);
        if (data == nullptr) {
          image.manifest_problems.push_back(name + " is listed in the manifest but missing");
          continue;
        }
        if (f.value("sha256", "") != pki::sha256_hex(*data) || f.value("size", std::size_t{0}) != data->size()) {
          image.manifest_problems.push_back(name + " does not match its manifest entry (size or SHA-256)");
        }
        ++listed;
      }
    } catch (const nlohmann::json::exception& e) {
      throw Error(manifest_path.string() + ": malformed file entry: " + e.what());
    }
    if (listed != image.files.size())
      image.manifest_problems.push_back("the directory holds files the manifest does not list");
    if (image.manifest.contains("keys_on_chip")) {
      const auto& on_chip = image.manifest["keys_on_chip"];
      bool ok = on_chip.is_object() && !on_chip.empty();
      if (ok) {
        for (const auto& [name, value] : on_chip.items()) {
          if ((name != "chip_authentication" && name != "active_authentication") || !value.is_string() ||
              value.get<std::string>().empty() || value.get<std::string>().size() > 64) {
            ok = false;
            break;
          }
          image.keys_on_chip[name] = value.get<std::string>();
        }
      }
      if (!ok) {
        throw Error(manifest_path.string() +
                    ": keys_on_chip must map chip_authentication (a curve) and/or active_authentication "
                    "(a key spec) to short strings");
      }
    }
    if (image.manifest.contains("cvca_certificate")) {
      const auto& cvca = image.manifest["cvca_certificate"];
      try {
        if (!cvca.is_string()) throw Error("not a string");
        image.trust_point = from_hex(cvca.get<std::string>());
        if (image.trust_point.empty() || image.trust_point.size() > 4096) throw Error("bad size");
      } catch (const std::exception&) {
        throw Error(manifest_path.string() + ": cvca_certificate must be the CVCA certificate in hex");
      }
    }
  }
  return image;
}

}  // namespace rcperso::issuance
