#include "common/cli_common.hpp"

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

}  // namespace rcperso::cli
