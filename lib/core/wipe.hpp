// Erasing files that held personal data or secrets: the content is overwritten
// with zeros and synced before the name goes, so that the data does not stay
// in the freed blocks of an ordinary file system. (Copy-on-write and flash
// file systems may still keep old blocks: the operator guide says so.)
#pragma once

#include <filesystem>
#include <string>

namespace rcperso {

/// Overwrites a regular file with zeros, syncs it and removes it. `what` names it in messages
/// ("the chip key file"). Symbolic links are refused, not followed: the file behind one is not ours.
void wipe_file(const std::filesystem::path& path, const std::string& what);

/// wipe_file for every regular file below `dir`, then removes the directory tree. Stops at the
/// first file it cannot erase, naming it.
void wipe_directory(const std::filesystem::path& dir, const std::string& what);

}  // namespace rcperso
