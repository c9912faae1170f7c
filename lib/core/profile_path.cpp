#include "core/profile_path.hpp"

#include <cstdlib>

#ifndef RCPERSO_INSTALLED_PROFILES
#define RCPERSO_INSTALLED_PROFILES "/usr/share/rcperso/profiles"
#endif

namespace rcperso {

std::vector<std::filesystem::path> profile_search_path() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("RCPERSO_PROFILES"); env != nullptr && *env != '\0') dirs.emplace_back(env);
#ifdef RCPERSO_SOURCE_PROFILES
  dirs.emplace_back(RCPERSO_SOURCE_PROFILES);
#endif
  dirs.emplace_back(RCPERSO_INSTALLED_PROFILES);
  return dirs;
}

}  // namespace rcperso
