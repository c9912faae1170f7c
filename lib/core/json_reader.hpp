// Strict reading of JSON input that collects every problem instead of
// stopping at the first: unknown keys (with a "did you mean"), missing keys,
// wrong types and out-of-range numbers, each named by its field path.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace rcperso {

class JsonReader {
 public:
  explicit JsonReader(std::string source) : source_(std::move(source)) {}

  void problem(const std::string& field, const std::string& message);
  const std::vector<Problem>& problems() const { return problems_; }
  /// Throws ValidationError with every problem collected, if any.
  void finish() const;

  /// `j` must be an object; returns it or nullptr (problem recorded).
  const nlohmann::json* object(const nlohmann::json& j, const std::string& field);
  const nlohmann::json* required_object(const nlohmann::json* parent, const std::string& path,
                                        const char* key);
  void known_keys(const nlohmann::json* obj, const std::string& path,
                  std::initializer_list<const char*> keys);
  void known_keys(const nlohmann::json& obj, const std::string& path,
                  std::initializer_list<const char*> keys) {
    known_keys(&obj, path, keys);
  }

  bool required_string(const nlohmann::json* obj, const std::string& path, const char* key, std::string& out);
  bool optional_string(const nlohmann::json* obj, const std::string& path, const char* key, std::string& out);
  bool required_int(const nlohmann::json* obj, const std::string& path, const char* key, int& out, int min,
                    int max);
  bool optional_int(const nlohmann::json* obj, const std::string& path, const char* key, int& out, int min,
                    int max);
  bool optional_bool(const nlohmann::json* obj, const std::string& path, const char* key, bool& out);

  // Reference forms of the above, for objects already known to exist.
  bool required_string(const nlohmann::json& obj, const std::string& path, const char* key,
                       std::string& out) {
    return required_string(&obj, path, key, out);
  }
  bool optional_string(const nlohmann::json& obj, const std::string& path, const char* key,
                       std::string& out) {
    return optional_string(&obj, path, key, out);
  }
  bool required_int(const nlohmann::json& obj, const std::string& path, const char* key, int& out, int min,
                    int max) {
    return required_int(&obj, path, key, out, min, max);
  }
  bool optional_int(const nlohmann::json& obj, const std::string& path, const char* key, int& out, int min,
                    int max) {
    return optional_int(&obj, path, key, out, min, max);
  }
  bool optional_bool(const nlohmann::json& obj, const std::string& path, const char* key, bool& out) {
    return optional_bool(&obj, path, key, out);
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  std::string source_;
  std::vector<Problem> problems_;
};

/// Edit distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace rcperso
