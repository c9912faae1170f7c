// rcperso_make_softhsm_token DIR: builds the SoftHSM2 test token (softhsm_token.hpp) in the empty
// directory DIR for the integration tests, and prints the shell lines that use it.
#include <exception>
#include <iostream>

#include "softhsm_token.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: rcperso_make_softhsm_token DIR\n";
    return 2;
  }
  try {
    auto token = rcperso::test::make_softhsm_token(argv[1], RCPERSO_SOURCE_DIR);
    std::cout << "SOFTHSM2_CONF=" << token.conf().string() << "\n"
              << "MODULE=" << token.module << "\n"
              << "PIN_FILE=" << token.pin_file().string() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rcperso_make_softhsm_token: " << e.what() << "\n";
    return 1;
  }
}
