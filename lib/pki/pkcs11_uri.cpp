#include "pki/pkcs11_uri.hpp"

#include <array>
#include <string_view>

#include "core/error.hpp"

namespace rcperso::pki {

namespace {

constexpr std::size_t kMaxUriLength = 4096;
constexpr std::string_view kScheme = "pkcs11:";

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// RFC 7512 section 2.3: the reserved characters a value may carry unescaped.
bool is_common_reserved(char c) {
  return std::string_view(":[]@!$'()*+,=").find(c) != std::string_view::npos;
}
bool is_path_char(char c) { return is_unreserved(c) || is_common_reserved(c) || c == '&'; }
bool is_query_char(char c) {
  return is_unreserved(c) || is_common_reserved(c) || c == '/' || c == '?' || c == '|';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[noreturn]] void refuse(const std::string& attribute, const std::string& why) {
  throw Error("PKCS#11 URI: attribute '" + attribute + "': " + why);
}

/// Percent-decodes `value` into `out` (any byte container). Never echoes the value: it may be a PIN.
template <typename Out>
void decode_value(std::string_view value, bool in_query, const std::string& attribute, Out& out) {
  out.clear();
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '%') {
      if (i + 2 >= value.size()) refuse(attribute, "a '%' escape needs two hex digits");
      int hi = hex_value(value[i + 1]);
      int lo = hex_value(value[i + 2]);
      if (hi < 0 || lo < 0) refuse(attribute, "a '%' escape needs two hex digits");
      out.push_back(static_cast<typename Out::value_type>(hi * 16 + lo));
      i += 2;
      continue;
    }
    if (in_query ? !is_query_char(c) : !is_path_char(c)) {
      auto byte = static_cast<unsigned char>(c);
      std::array<char, 3> code{"0123456789ABCDEF"[byte >> 4U], "0123456789ABCDEF"[byte & 15U], 0};
      refuse(attribute, std::string("character 0x") + code.data() + " must be percent-encoded");
    }
    out.push_back(static_cast<typename Out::value_type>(c));
  }
}

std::string decode_text(std::string_view value, bool in_query, const std::string& attribute) {
  std::string out;
  decode_value(value, in_query, attribute, out);
  if (out.find('\0') != std::string::npos) refuse(attribute, "contains a NUL byte");
  return out;
}

std::uint64_t decode_number(std::string_view value, const std::string& attribute) {
  if (value.empty() || value.size() > 19) refuse(attribute, "must be a decimal number of 1 to 19 digits");
  std::uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') refuse(attribute, "must be a decimal number");
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

template <typename T>
void set_once(std::optional<T>& slot, T value, const std::string& attribute) {
  if (slot) refuse(attribute, "given twice");
  slot = std::move(value);
}

void parse_path_attribute(Pkcs11Uri& uri, const std::string& name, std::string_view value) {
  auto text = [&] { return decode_text(value, false, name); };
  if (name == "token") {
    set_once(uri.token, text(), name);
  } else if (name == "manufacturer") {
    set_once(uri.manufacturer, text(), name);
  } else if (name == "serial") {
    set_once(uri.serial, text(), name);
  } else if (name == "model") {
    set_once(uri.model, text(), name);
  } else if (name == "object") {
    set_once(uri.object, text(), name);
  } else if (name == "id") {
    Bytes id;
    decode_value(value, false, name, id);
    set_once(uri.id, std::move(id), name);
  } else if (name == "type") {
    std::string t = text();
    if (t != "public" && t != "private" && t != "cert" && t != "secret-key" && t != "data")
      refuse(name, "must be public, private, cert, secret-key or data");
    set_once(uri.type, std::move(t), name);
  } else if (name == "library-manufacturer") {
    set_once(uri.library_manufacturer, text(), name);
  } else if (name == "library-description") {
    set_once(uri.library_description, text(), name);
  } else if (name == "library-version") {
    std::string v = text();
    auto dot = v.find('.');
    std::string major = v.substr(0, dot);
    std::string minor = dot == std::string::npos ? "0" : v.substr(dot + 1);
    auto digits = [](const std::string& s) {
      return !s.empty() && s.size() <= 3 && s.find_first_not_of("0123456789") == std::string::npos &&
             std::stoi(s) <= 255;
    };
    if (!digits(major) || !digits(minor)) refuse(name, "must be MAJOR or MAJOR.MINOR (numbers 0..255)");
    set_once(uri.library_version, std::move(v), name);
  } else if (name == "slot-id") {
    set_once(uri.slot_id, decode_number(value, name), name);
  } else if (name == "slot-description") {
    set_once(uri.slot_description, text(), name);
  } else if (name == "slot-manufacturer") {
    set_once(uri.slot_manufacturer, text(), name);
  } else {
    refuse(name,
           "unknown path attribute (known: token, manufacturer, serial, model, object, id, type, "
           "library-manufacturer, library-description, library-version, slot-id, slot-description, "
           "slot-manufacturer)");
  }
}

void parse_query_attribute(Pkcs11Uri& uri, const std::string& name, std::string_view value) {
  if (name == "pin-value") {
    SecureString pin;
    decode_value(value, true, name, pin);
    if (pin.find('\0') != SecureString::npos) refuse(name, "contains a NUL byte");
    if (uri.pin_value) refuse(name, "given twice");
    uri.pin_value = std::move(pin);
  } else if (name == "pin-source") {
    set_once(uri.pin_source, decode_text(value, true, name), name);
  } else if (name == "module-name") {
    std::string m = decode_text(value, true, name);
    if (m.empty() || m.find('/') != std::string::npos)
      refuse(name, "must be a bare module name such as softhsm2");
    set_once(uri.module_name, std::move(m), name);
  } else if (name == "module-path") {
    std::string m = decode_text(value, true, name);
    if (m.empty() || m.front() != '/') refuse(name, "must be an absolute path");
    set_once(uri.module_path, std::move(m), name);
  } else {
    refuse(name, "unknown query attribute (known: pin-source, pin-value, module-name, module-path)");
  }
}

/// Splits "name=value" parts of one component; names are checked before values are decoded.
template <typename Handler>
void for_each_attribute(std::string_view component, char separator, const char* where, Handler&& handle) {
  if (component.empty()) return;
  std::size_t start = 0;
  std::size_t index = 1;
  while (true) {
    std::size_t end = component.find(separator, start);
    std::string_view part = component.substr(start, end == std::string_view::npos ? end : end - start);
    std::size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      // The part itself is not shown: a mistyped query may hold a PIN.
      throw Error(std::string("PKCS#11 URI: every ") + where + " part must be name=value (part " +
                  std::to_string(index) + " is not)");
    }
    std::string name(part.substr(0, eq));
    for (char c : name) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        throw Error(std::string("PKCS#11 URI: ") + where +
                    " attribute names are lower-case letters, "
                    "digits and '-'");
      }
    }
    handle(name, part.substr(eq + 1));
    if (end == std::string_view::npos) break;
    start = end + 1;
    ++index;
  }
}

void append_escaped(std::string& out, std::string_view value, bool in_query) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : value) {
    // '&' and '?' are legal in places but escaped here so the output reads unambiguously.
    bool plain = in_query ? is_query_char(c) && c != '?' : is_path_char(c) && c != '&';
    if (plain && c != '=' && c != ';') {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4U]);
      out.push_back(kHex[b & 15U]);
    }
  }
}

}  // namespace

Pkcs11Uri parse_pkcs11_uri(const std::string& text) {
  if (text.size() > kMaxUriLength) throw Error("PKCS#11 URI: longer than 4096 characters");
  if (text.compare(0, kScheme.size(), kScheme) != 0) throw Error("PKCS#11 URI: must start with 'pkcs11:'");
  std::string_view rest = std::string_view(text).substr(kScheme.size());
  std::size_t question = rest.find('?');
  std::string_view path = rest.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);
  if (path.find('#') != std::string_view::npos || query.find('#') != std::string_view::npos)
    throw Error("PKCS#11 URI: a '#' must be percent-encoded as %23");
  Pkcs11Uri uri;
  for_each_attribute(path, ';', "path", [&](const std::string& name, std::string_view value) {
    parse_path_attribute(uri, name, value);
  });
  for_each_attribute(query, '&', "query", [&](const std::string& name, std::string_view value) {
    parse_query_attribute(uri, name, value);
  });
  if (uri.pin_value && uri.pin_source)
    throw Error("PKCS#11 URI: attribute 'pin-value': give either pin-value or pin-source, not both");
  return uri;
}

std::string Pkcs11Uri::to_string() const {
  std::string path;
  auto add_path = [&path](const char* name, const std::optional<std::string>& v) {
    if (!v) return;
    if (!path.empty()) path += ';';
    path += name;
    path += '=';
    append_escaped(path, *v, false);
  };
  add_path("library-manufacturer", library_manufacturer);
  add_path("library-description", library_description);
  add_path("library-version", library_version);
  if (slot_id) add_path("slot-id", std::to_string(*slot_id));
  add_path("slot-manufacturer", slot_manufacturer);
  add_path("slot-description", slot_description);
  add_path("manufacturer", manufacturer);
  add_path("model", model);
  add_path("serial", serial);
  add_path("token", token);
  add_path("object", object);
  if (id) {
    if (!path.empty()) path += ';';
    path += "id=";
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (std::uint8_t b : *id) {
      path += '%';
      path += kHex[b >> 4U];
      path += kHex[b & 15U];
    }
  }
  add_path("type", type);
  std::string query;
  auto add_query = [&query](const char* name, const std::optional<std::string>& v) {
    if (!v) return;
    if (!query.empty()) query += '&';
    query += name;
    query += '=';
    append_escaped(query, *v, true);
  };
  add_query("module-name", module_name);
  add_query("module-path", module_path);
  add_query("pin-source", pin_source);
  // pin-value is left out on purpose: this text goes into messages and logs.
  return "pkcs11:" + path + (query.empty() ? "" : "?" + query);
}

std::string printable_signer_spec(const std::string& spec) {
  if (spec.compare(0, kScheme.size(), kScheme) != 0) return spec;
  try {
    return parse_pkcs11_uri(spec).to_string();
  } catch (const Error&) {
    return "pkcs11:(a URI that does not parse)";
  }
}

}  // namespace rcperso::pki
