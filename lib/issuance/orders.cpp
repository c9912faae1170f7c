#include "issuance/orders.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "pki/hash.hpp"

namespace rcperso::issuance {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxRecordBytes = 4U * 1024U * 1024U;
constexpr std::size_t kMaxJsonlBytes = 512U * 1024U * 1024U;

bool valid_order_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

void add_prefixed(std::vector<Problem>& out, const std::string& source, const ValidationError& e) {
  for (const auto& p : e.problems()) {
    out.push_back({p.field.rfind(source, 0) == 0 ? p.field : source + ": " + p.field, p.message});
  }
}

struct RawOrder {
  std::string id;
  std::string source;
  std::string text;
  fs::path base_dir;
};

std::vector<RawOrder> read_directory(const fs::path& dir, std::vector<Problem>& problems) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;  // the images live beside the records
    if (!entry.is_regular_file()) {
      problems.push_back({entry.path().string(), "not a regular file"});
      continue;
    }
    files.push_back(entry.path());
    if (files.size() > kMaxOrders)
      throw Error(dir.string() + ": more than " + std::to_string(kMaxOrders) + " orders");
  }
  if (ec) throw Error(dir.string() + ": cannot list the directory: " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<RawOrder> out;
  for (const auto& f : files) {
    RawOrder r;
    r.id = f.stem().string();
    r.source = f.string();
    r.base_dir = dir;
    if (!valid_order_id(r.id)) {
      problems.push_back({r.source, "the file name is the order id: use at most 64 of A-Z a-z 0-9 . _ -"});
      continue;
    }
    try {
      Bytes raw = read_file(f.string(), kMaxRecordBytes);
      r.text.assign(raw.begin(), raw.end());
    } catch (const Error& e) {
      problems.push_back({r.source, e.what()});
      continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<RawOrder> read_jsonl(const fs::path& file, std::vector<Problem>& problems) {
  Bytes raw = read_file(file.string(), kMaxJsonlBytes);
  std::string_view all(reinterpret_cast<const char*>(raw.data()), raw.size());
  fs::path base = file.has_parent_path() ? file.parent_path() : fs::path(".");
  std::vector<RawOrder> out;
  std::size_t line_no = 0;
  for (std::size_t pos = 0; pos < all.size();) {
    std::size_t end = all.find('\n', pos);
    if (end == std::string_view::npos) end = all.size();
    std::string_view line = all.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank lines separate nothing
    std::string source = file.string() + ":" + std::to_string(line_no);
    if (line.size() > kMaxRecordBytes) {
      problems.push_back({source, "the record is longer than 4 MiB"});
      continue;
    }
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line.begin(), line.end(), nullptr, true, false);
    } catch (const nlohmann::json::exception& e) {
      problems.push_back({source, std::string("not valid JSON (") + e.what() + ")"});
      continue;
    }
    if (!j.is_object()) {
      problems.push_back({source, "each line must be one application record (a JSON object)"});
      continue;
    }
    RawOrder r;
    r.source = source;
    r.base_dir = base;
    r.id = file.stem().string() + "-" + std::to_string(line_no);
    if (auto it = j.find("order_id"); it != j.end()) {
      if (!it->is_string() || !valid_order_id(it->get<std::string>())) {
        problems.push_back({source + ": order_id", "at most 64 of A-Z a-z 0-9 . _ -"});
        continue;
      }
      r.id = it->get<std::string>();
      j.erase(it);
    }
    r.text = j.dump();
    out.push_back(std::move(r));
    if (out.size() > kMaxOrders)
      throw Error(file.string() + ": more than " + std::to_string(kMaxOrders) + " orders");
  }
  return out;
}

std::string canonical(const std::string& record_text) {
  // Parsed already by parse_application; a key order or white space change is no content change.
  return nlohmann::json::parse(record_text).dump();
}

}  // namespace

const OrderInput* OrderSet::find(const std::string& order_id) const {
  for (const auto& o : orders) {
    if (o.order_id == order_id) return &o;
  }
  return nullptr;
}

std::vector<std::string> OrderSet::ids() const {
  std::vector<std::string> out;
  out.reserve(orders.size());
  for (const auto& o : orders) out.push_back(o.order_id);
  return out;
}

std::vector<NewOrder> OrderSet::for_journal() const {
  std::vector<NewOrder> out;
  for (const auto& o : orders) out.push_back({o.order_id, o.document_number, o.content_sha256});
  return out;
}

std::string order_content_hash(const std::string& canonical_record, const Application& app) {
  std::string material = "rcperso order v1\n" + canonical_record;
  auto add = [&material](const InputImage& image) {
    material += "\n" + image.field + " " + pki::sha256_hex(image.data);
  };
  add(app.face);
  for (const auto& f : app.fingerprints) add(f.image);
  if (app.signature) add(*app.signature);
  Bytes bytes(material.begin(), material.end());
  return pki::sha256_hex(bytes);
}

namespace {

/// Whether an image file the record names is missing (the record's own problems are left to
/// parse_application).
bool names_missing_image(const std::string& record_text, const fs::path& base_dir) {
  auto j = nlohmann::json::parse(record_text, nullptr, false);
  if (!j.is_object() || !j.contains("biometrics") || !j["biometrics"].is_object()) return false;
  const auto& b = j["biometrics"];
  std::vector<std::string> named;
  for (const char* key : {"face", "signature"}) {
    if (b.contains(key) && b[key].is_string()) named.push_back(b[key].get<std::string>());
  }
  if (b.contains("fingerprints") && b["fingerprints"].is_array()) {
    for (const auto& f : b["fingerprints"]) {
      if (f.is_object() && f.contains("image") && f["image"].is_string())
        named.push_back(f["image"].get<std::string>());
    }
  }
  std::error_code ec;
  for (const auto& n : named) {
    fs::path p = fs::path(n).is_absolute() ? fs::path(n) : base_dir / n;
    if (!fs::exists(p, ec)) return true;
  }
  return false;
}

/// The document number from the record itself, for an order not parsed again.
std::string record_document_number(const std::string& record_text) {
  auto j = nlohmann::json::parse(record_text, nullptr, false);
  if (j.is_object() && j.contains("document") && j["document"].is_object() &&
      j["document"].contains("number") && j["document"]["number"].is_string())
    return j["document"]["number"].get<std::string>();
  return {};
}

}  // namespace

OrderSet load_orders(const fs::path& path, const DocumentProfile& profile, const LoadOptions& options,
                     const IssuedLookup& issued) {
  std::error_code ec;
  std::vector<Problem> problems;
  std::vector<RawOrder> raw;
  if (fs::is_directory(path, ec)) {
    raw = read_directory(path, problems);
  } else if (fs::is_regular_file(path, ec)) {
    if (path.extension() != ".jsonl")
      throw Error(path.string() + ": ORDERS is a directory of application records or a .jsonl file");
    raw = read_jsonl(path, problems);
  } else {
    throw Error(path.string() + ": no such directory or file");
  }
  OrderSet set;
  set.path = path.string();
  std::map<std::string, std::string> id_seen, number_seen;
  for (auto& r : raw) {
    OrderInput o;
    o.order_id = r.id;
    o.source = r.source;
    o.base_dir = r.base_dir;
    std::optional<NewOrder> issued_before;
    if (issued && names_missing_image(r.text, r.base_dir)) issued_before = issued(r.id);
    if (issued_before) {
      o.document_number = record_document_number(r.text);
      if (o.document_number != issued_before->document_number) {
        problems.push_back({r.source, "order " + r.id + " was issued as document " +
                                          issued_before->document_number + " and its record now says " +
                                          (o.document_number.empty() ? "none" : o.document_number)});
        continue;
      }
      o.record_text = std::move(r.text);
      o.content_sha256 = issued_before->content_sha256;
      o.inputs_erased = true;
    } else
      try {
        Application app = parse_application(r.text, r.base_dir, r.source, profile, options);
        o.document_number = app.document.number;
        o.record_text = std::move(r.text);
        o.content_sha256 = order_content_hash(canonical(o.record_text), app);
        o.image_paths.push_back(app.face.path);
        for (const auto& f : app.fingerprints) o.image_paths.push_back(f.image.path);
        if (app.signature) o.image_paths.push_back(app.signature->path);
      } catch (const ValidationError& e) {
        add_prefixed(problems, r.source, e);
        continue;
      } catch (const Error& e) {
        problems.push_back({r.source, e.what()});
        continue;
      }
    if (auto [it, fresh] = id_seen.emplace(o.order_id, o.source); !fresh) {
      problems.push_back({o.source, "order id " + o.order_id + " is also the id of " + it->second});
      continue;
    }
    if (auto [it, fresh] = number_seen.emplace(o.document_number, o.source); !fresh) {
      problems.push_back({o.source, "document number " + o.document_number + " is also in " + it->second});
      continue;
    }
    set.orders.push_back(std::move(o));
  }
  if (!problems.empty()) throw ValidationError(std::move(problems));
  if (set.orders.empty()) throw Error(path.string() + ": holds no orders");
  return set;
}

Application parse_order(const OrderInput& order, const DocumentProfile& profile, const LoadOptions& options) {
  Application app = parse_application(order.record_text, order.base_dir, order.source, profile, options);
  if (order_content_hash(canonical(order.record_text), app) != order.content_sha256) {
    throw Error(order.source + ": an image of this order changed after the batch loaded it");
  }
  return app;
}

}  // namespace rcperso::issuance
