#include "common/cli_common.hpp"

#include <cstdio>
#include <exception>
#include <iostream>

#include "card/transport.hpp"
#include "core/error.hpp"

namespace rcperso::cli {

int run_guarded(const char* tool, const std::function<int()>& body) {
  try {
    return body();
  } catch (const card::CardError& e) {
    std::cerr << tool << ": card error: " << e.what() << "\n";
    return kExitCard;
  } catch (const ValidationError& e) {
    std::cerr << tool << ": " << e.what() << "\n";
    return kExitInput;
  } catch (const Error& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
    return kExitInput;
  } catch (const std::exception& e) {
    std::cerr << tool << ": internal error: " << e.what() << "\n";
    return kExitInput;
  }
}

int guarded_main(const char* tool, int (*tool_main)(int, char**), int argc, char** argv) noexcept {
  try {
    return tool_main(argc, argv);
  } catch (const std::exception& e) {
    std::fputs(tool, stderr);
    std::fputs(": internal error: ", stderr);
    std::fputs(e.what(), stderr);
    std::fputs("\n", stderr);
  } catch (...) {
    std::fputs(tool, stderr);
    std::fputs(": internal error\n", stderr);
  }
  return kExitInput;
}

}  // namespace rcperso::cli
