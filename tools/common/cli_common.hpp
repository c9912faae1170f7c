// What every tool shares: exit codes and how errors reach the user.
#pragma once

#include <functional>

namespace rcperso::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFail = 1;   // a check failed (rcverify)
inline constexpr int kExitInput = 2;  // usage or input error
inline constexpr int kExitCard = 3;   // the card or reader failed; nothing was read or issued

/// Runs `body`, turning library exceptions into a message on stderr and an exit code.
int run_guarded(const char* tool, const std::function<int()>& body);

/// A tool's whole main(), so that nothing (not even option set-up) escapes.
int guarded_main(const char* tool, int (*tool_main)(int, char**), int argc, char** argv) noexcept;

}  // namespace rcperso::cli
