#include "pki/pkcs11_module.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include "core/error.hpp"

namespace rcperso::pki::pkcs11 {

namespace fs = std::filesystem;

namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::weak_ptr<Module>>& registry() {
  static std::map<std::string, std::weak_ptr<Module>> modules;
  return modules;
}

}  // namespace

std::shared_ptr<Module> Module::load(const std::string& path) {
  std::lock_guard lock(registry_mutex());
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path + ": PKCS#11 module not found");
  // Keyed by the real file: two names (a symlink) for one module must share one C_Initialize.
  std::string key = fs::canonical(path, ec).string();
  if (ec) key = path;
  if (auto existing = registry()[key].lock()) return existing;
  // RTLD_LOCAL keeps the module's symbols (it may bundle its own OpenSSL) away from ours.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw Error(path + ": cannot load the PKCS#11 module (" + (why != nullptr ? why : "unknown reason") +
                ")");
  }
  // The handle is never dlclose'd: modules may keep threads or atexit handlers that outlive C_Finalize.
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
  if (get_list == nullptr) throw Error(path + ": not a PKCS#11 module (no C_GetFunctionList)");
  CK_FUNCTION_LIST* api = nullptr;
  check(get_list(&api), path + ": C_GetFunctionList");
  if (api == nullptr || api->version.major != 2)
    throw Error(path + ": the module does not offer the PKCS#11 2.x interface");

  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = api->C_Initialize(&args);
  bool single_threaded = false;
  if (rv == CKR_CANT_LOCK) {
    rv = api->C_Initialize(nullptr);
    single_threaded = true;
  }
  bool finalize = true;
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    finalize = false;  // someone else in this process owns the initialisation
  } else {
    check(rv, path + ": C_Initialize");
  }
  std::shared_ptr<Module> module(new Module(path, api, finalize, single_threaded));
  registry()[key] = module;
  return module;
}

Module::~Module() {
  // Under the registry lock: a load() of the same path must not initialise while this finalises.
  std::lock_guard lock(registry_mutex());
  if (finalize_) api_->C_Finalize(nullptr);
}

std::string rv_name(CK_RV rv) {
  switch (rv) {
#define RCPERSO_RV(name) \
  case name:             \
    return #name;
    RCPERSO_RV(CKR_OK)
    RCPERSO_RV(CKR_CANCEL)
    RCPERSO_RV(CKR_HOST_MEMORY)
    RCPERSO_RV(CKR_SLOT_ID_INVALID)
    RCPERSO_RV(CKR_GENERAL_ERROR)
    RCPERSO_RV(CKR_FUNCTION_FAILED)
    RCPERSO_RV(CKR_ARGUMENTS_BAD)
    RCPERSO_RV(CKR_CANT_LOCK)
    RCPERSO_RV(CKR_ATTRIBUTE_SENSITIVE)
    RCPERSO_RV(CKR_ATTRIBUTE_TYPE_INVALID)
    RCPERSO_RV(CKR_ATTRIBUTE_VALUE_INVALID)
    RCPERSO_RV(CKR_DATA_INVALID)
    RCPERSO_RV(CKR_DATA_LEN_RANGE)
    RCPERSO_RV(CKR_DEVICE_ERROR)
    RCPERSO_RV(CKR_DEVICE_MEMORY)
    RCPERSO_RV(CKR_DEVICE_REMOVED)
    RCPERSO_RV(CKR_FUNCTION_NOT_SUPPORTED)
    RCPERSO_RV(CKR_KEY_HANDLE_INVALID)
    RCPERSO_RV(CKR_KEY_TYPE_INCONSISTENT)
    RCPERSO_RV(CKR_KEY_FUNCTION_NOT_PERMITTED)
    RCPERSO_RV(CKR_MECHANISM_INVALID)
    RCPERSO_RV(CKR_MECHANISM_PARAM_INVALID)
    RCPERSO_RV(CKR_OBJECT_HANDLE_INVALID)
    RCPERSO_RV(CKR_OPERATION_ACTIVE)
    RCPERSO_RV(CKR_OPERATION_NOT_INITIALIZED)
    RCPERSO_RV(CKR_PIN_INCORRECT)
    RCPERSO_RV(CKR_PIN_INVALID)
    RCPERSO_RV(CKR_PIN_LEN_RANGE)
    RCPERSO_RV(CKR_PIN_EXPIRED)
    RCPERSO_RV(CKR_PIN_LOCKED)
    RCPERSO_RV(CKR_SESSION_CLOSED)
    RCPERSO_RV(CKR_SESSION_COUNT)
    RCPERSO_RV(CKR_SESSION_HANDLE_INVALID)
    RCPERSO_RV(CKR_SESSION_READ_ONLY)
    RCPERSO_RV(CKR_SIGNATURE_INVALID)
    RCPERSO_RV(CKR_TEMPLATE_INCOMPLETE)
    RCPERSO_RV(CKR_TEMPLATE_INCONSISTENT)
    RCPERSO_RV(CKR_TOKEN_NOT_PRESENT)
    RCPERSO_RV(CKR_TOKEN_NOT_RECOGNIZED)
    RCPERSO_RV(CKR_USER_ALREADY_LOGGED_IN)
    RCPERSO_RV(CKR_USER_NOT_LOGGED_IN)
    RCPERSO_RV(CKR_USER_PIN_NOT_INITIALIZED)
    RCPERSO_RV(CKR_USER_TYPE_INVALID)
    RCPERSO_RV(CKR_BUFFER_TOO_SMALL)
    RCPERSO_RV(CKR_CRYPTOKI_NOT_INITIALIZED)
    RCPERSO_RV(CKR_CRYPTOKI_ALREADY_INITIALIZED)
#undef RCPERSO_RV
    default:
      break;
  }
  char text[32];
  std::snprintf(text, sizeof text, "CKR 0x%08lX", static_cast<unsigned long>(rv));
  return text;
}

void check(CK_RV rv, const std::string& what) {
  if (rv != CKR_OK) throw Error(what + ": " + rv_name(rv));
}

std::string padded_field(const unsigned char* field, std::size_t size) {
  std::string s(reinterpret_cast<const char*>(field), size);
  auto end = s.find_last_not_of(std::string(" \0", 2));
  return end == std::string::npos ? std::string() : s.substr(0, end + 1);
}

std::string module_file(const Pkcs11Uri& uri) {
  auto candidates = [](const fs::path& dir, const std::string& name) {
    return std::vector<fs::path>{dir / ("lib" + name + ".so"), dir / (name + ".so")};
  };
  std::error_code ec;
  if (uri.module_path) {
    if (!fs::is_directory(*uri.module_path, ec)) {
      if (uri.module_name) {
        throw Error("PKCS#11 URI: attribute 'module-name': module-path names a file already (" +
                    *uri.module_path + ")");
      }
      return *uri.module_path;
    }
    if (!uri.module_name)
      throw Error("PKCS#11 URI: attribute 'module-path': " + *uri.module_path +
                  " is a directory; add module-name");
    for (const auto& c : candidates(*uri.module_path, *uri.module_name)) {
      if (fs::is_regular_file(c, ec)) return c.string();
    }
    throw Error("PKCS#11 URI: attribute 'module-name': no lib" + *uri.module_name + ".so in " +
                *uri.module_path);
  }
  if (uri.module_name) {
    // Debian's places for PKCS#11 modules (p11-kit's directory first).
    for (const char* dir :
         {"/usr/lib/x86_64-linux-gnu/pkcs11", "/usr/lib/aarch64-linux-gnu/pkcs11", "/usr/lib/pkcs11",
          "/usr/lib/softhsm", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/local/lib"}) {
      for (const auto& c : candidates(dir, *uri.module_name)) {
        if (fs::is_regular_file(c, ec)) return c.string();
      }
    }
    throw Error("PKCS#11 URI: attribute 'module-name': no module lib" + *uri.module_name +
                ".so in the system's PKCS#11 directories; give module-path");
  }
  if (const char* env = std::getenv(kModuleEnv); env != nullptr && *env != '\0') return env;
  return kDefaultModule;
}

namespace {

SecureString read_pin_file(const std::string& path) {
  constexpr std::size_t kMaxPin = 256;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw Error(path + ": cannot read the PIN file (pin-source)");
  SecureString pin(kMaxPin + 1, '\0');
  std::size_t n = std::fread(pin.data(), 1, pin.size(), f);
  std::fclose(f);
  if (n > kMaxPin) throw Error(path + ": the PIN file (pin-source) is longer than 256 bytes");
  pin.resize(n);
  // One line: a final newline (as `echo` writes it) is not part of the PIN.
  if (!pin.empty() && pin.back() == '\n') pin.pop_back();
  if (!pin.empty() && pin.back() == '\r') pin.pop_back();
  if (pin.empty()) throw Error(path + ": the PIN file (pin-source) is empty");
  if (pin.find('\n') != SecureString::npos)
    throw Error(path + ": the PIN file (pin-source) has more than one line");
  return pin;
}

}  // namespace

std::optional<SecureString> user_pin(const Pkcs11Uri& uri) {
  if (uri.pin_value) return *uri.pin_value;
  if (uri.pin_source) {
    const std::string& source = *uri.pin_source;
    if (source.rfind("file://", 0) == 0) {
      // file:///abs/path: only the local host (empty authority) is meaningful.
      std::string rest = source.substr(7);
      if (rest.empty() || rest.front() != '/')
        throw Error("PKCS#11 URI: attribute 'pin-source': file:// URIs must name a local path (file:///...)");
      return read_pin_file(rest);
    }
    if (source.rfind("file:", 0) == 0 && source.size() > 5) return read_pin_file(source.substr(5));
    throw Error("PKCS#11 URI: attribute 'pin-source': only file:PATH is supported");
  }
  if (const char* env = std::getenv(kPinEnv); env != nullptr && *env != '\0') return SecureString(env);
  return std::nullopt;
}

std::optional<Bytes> attribute(CK_FUNCTION_LIST* api, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                               CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  CK_RV rv = api->C_GetAttributeValue(session, object, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
      a.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
    return std::nullopt;
  }
  check(rv, "C_GetAttributeValue");
  if (a.ulValueLen > 1024UL * 1024UL) throw Error("PKCS#11: an attribute of more than 1 MiB");
  Bytes value(a.ulValueLen);
  a.pValue = value.data();
  check(api->C_GetAttributeValue(session, object, &a, 1), "C_GetAttributeValue");
  value.resize(a.ulValueLen);
  return value;
}

std::vector<CK_OBJECT_HANDLE> find_objects(CK_FUNCTION_LIST* api, CK_SESSION_HANDLE session,
                                           std::vector<CK_ATTRIBUTE> match, std::size_t limit) {
  check(api->C_FindObjectsInit(session, match.data(), match.size()), "C_FindObjectsInit");
  std::vector<CK_OBJECT_HANDLE> found(limit);
  CK_ULONG count = 0;
  CK_RV rv = api->C_FindObjects(session, found.data(), found.size(), &count);
  api->C_FindObjectsFinal(session);
  check(rv, "C_FindObjects");
  found.resize(count);
  return found;
}

}  // namespace rcperso::pki::pkcs11
