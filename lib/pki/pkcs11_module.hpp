// A loaded PKCS#11 module (Cryptoki library): dlopen'ed once per path and
// process, initialised for multi-threaded use, finalised when the last user
// lets go. Shared by the PKCS#11 signer and the test helpers that set up
// SoftHSM2 tokens.
#pragma once

#include <p11-kit/pkcs11.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/secure_bytes.hpp"
#include "pki/pkcs11_uri.hpp"

namespace rcperso::pki::pkcs11 {

/// Where the module comes from when the URI names none: RCPERSO_PKCS11_MODULE, else SoftHSM2's.
inline constexpr const char* kModuleEnv = "RCPERSO_PKCS11_MODULE";
inline constexpr const char* kDefaultModule = "/usr/lib/softhsm/libsofthsm2.so";
/// The PIN when the URI carries neither pin-source nor pin-value.
inline constexpr const char* kPinEnv = "RCPERSO_PKCS11_PIN";

class Module {
 public:
  /// Loads and initialises the module at `path` (or returns the one already loaded from there).
  static std::shared_ptr<Module> load(const std::string& path);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  CK_FUNCTION_LIST* api() const { return api_; }
  const std::string& path() const { return path_; }
  /// The module cannot take calls from several threads at once (it refused OS locking): serialise.
  bool needs_serialising() const { return single_threaded_; }

 private:
  Module(std::string path, CK_FUNCTION_LIST* api, bool finalize, bool single_threaded)
      : path_(std::move(path)), api_(api), finalize_(finalize), single_threaded_(single_threaded) {}
  std::string path_;
  CK_FUNCTION_LIST* api_;
  bool finalize_;
  bool single_threaded_;
};

/// "CKR_PIN_INCORRECT" and the like, or the number in hex.
std::string rv_name(CK_RV rv);
/// Throws rcperso::Error "WHAT: CKR_..." unless rv is CKR_OK.
void check(CK_RV rv, const std::string& what);

/// A fixed-length, blank-padded CK_UTF8CHAR field (token label, serial ...) without its padding.
std::string padded_field(const unsigned char* field, std::size_t size);

/// The module file a URI asks for: module-path (a file, or a directory with module-name in it),
/// module-name in the system's PKCS#11 directories, $RCPERSO_PKCS11_MODULE, or SoftHSM2's module.
std::string module_file(const Pkcs11Uri& uri);

/// The PIN from pin-value, pin-source=file:PATH, or $RCPERSO_PKCS11_PIN; empty optional when none is given.
std::optional<SecureString> user_pin(const Pkcs11Uri& uri);

/// An attribute's value read from an object (empty optional when the object has no such attribute).
std::optional<Bytes> attribute(CK_FUNCTION_LIST* api, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                               CK_ATTRIBUTE_TYPE type);
/// Every object matching the template (at most `limit`).
std::vector<CK_OBJECT_HANDLE> find_objects(CK_FUNCTION_LIST* api, CK_SESSION_HANDLE session,
                                           std::vector<CK_ATTRIBUTE> match, std::size_t limit = 16);

}  // namespace rcperso::pki::pkcs11
