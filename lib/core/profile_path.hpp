// Where named document and card profiles are found.
#pragma once

#include <filesystem>
#include <vector>

namespace rcperso {

/// $RCPERSO_PROFILES, then the source tree's profiles/ (for a build tree),
/// then /usr/share/rcperso/profiles.
std::vector<std::filesystem::path> profile_search_path();

}  // namespace rcperso
