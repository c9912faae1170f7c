#include "core/json_reader.hpp"

#include <algorithm>
#include <numeric>

namespace rcperso {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t k = 1; k <= b.size(); ++k) {
      std::size_t up = row[k];
      row[k] = std::min({row[k] + 1, row[k - 1] + 1, diag + (a[i - 1] == b[k - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

void JsonReader::problem(const std::string& field, const std::string& message) {
  problems_.push_back({field.empty() ? "(top level)" : field, message});
}

void JsonReader::finish() const {
  if (problems_.empty()) return;
  std::vector<Problem> named = problems_;
  for (auto& p : named) p.field = source_ + ": " + p.field;
  throw ValidationError(std::move(named));
}

const nlohmann::json* JsonReader::object(const nlohmann::json& j, const std::string& field) {
  if (!j.is_object()) {
    problem(field, "must be a JSON object");
    return nullptr;
  }
  return &j;
}

const nlohmann::json* JsonReader::required_object(const nlohmann::json* parent, const std::string& path,
                                                  const char* key) {
  if (parent == nullptr) return nullptr;
  auto it = parent->find(key);
  if (it == parent->end()) {
    problem(join(path, key), "missing");
    return nullptr;
  }
  return object(*it, join(path, key));
}

void JsonReader::known_keys(const nlohmann::json* obj, const std::string& path,
                            std::initializer_list<const char*> keys) {
  if (obj == nullptr) return;
  for (const auto& item : obj->items()) {
    const std::string& key = item.key();
    bool known = std::any_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; });
    if (known) continue;
    std::string best;
    std::size_t best_distance = 3;
    for (const char* k : keys) {
      std::size_t d = edit_distance(key, k);
      if (d < best_distance) {
        best_distance = d;
        best = k;
      }
    }
    problem(join(path, key),
            best.empty() ? "unknown field" : "unknown field (did you mean \"" + best + "\"?)");
  }
}

bool JsonReader::required_string(const nlohmann::json* obj, const std::string& path, const char* key,
                                 std::string& out) {
  if (obj == nullptr) return false;
  if (!obj->contains(key)) {
    problem(join(path, key), "missing");
    return false;
  }
  return optional_string(obj, path, key, out);
}

bool JsonReader::optional_string(const nlohmann::json* obj, const std::string& path, const char* key,
                                 std::string& out) {
  if (obj == nullptr) return false;
  auto it = obj->find(key);
  if (it == obj->end()) return false;
  if (!it->is_string()) {
    problem(join(path, key), "must be a string");
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool JsonReader::required_int(const nlohmann::json* obj, const std::string& path, const char* key, int& out,
                              int min, int max) {
  if (obj == nullptr) return false;
  if (!obj->contains(key)) {
    problem(join(path, key), "missing");
    return false;
  }
  return optional_int(obj, path, key, out, min, max);
}

bool JsonReader::optional_int(const nlohmann::json* obj, const std::string& path, const char* key, int& out,
                              int min, int max) {
  if (obj == nullptr) return false;
  auto it = obj->find(key);
  if (it == obj->end()) return false;
  if (!it->is_number_integer() || it->get<long long>() < min || it->get<long long>() > max) {
    problem(join(path, key), "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return false;
  }
  out = it->get<int>();
  return true;
}

bool JsonReader::optional_bool(const nlohmann::json* obj, const std::string& path, const char* key,
                               bool& out) {
  if (obj == nullptr) return false;
  auto it = obj->find(key);
  if (it == obj->end()) return false;
  if (!it->is_boolean()) {
    problem(join(path, key), "must be true or false");
    return false;
  }
  out = it->get<bool>();
  return true;
}

}  // namespace rcperso
