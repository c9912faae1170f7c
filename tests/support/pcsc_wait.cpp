// Test helper for shell scripts around pcscd:
//   pcsc_wait --list                      readers, one per line (exit 1 if pcscd is not reachable)
//   pcsc_wait READER present|absent MS    waits for the card state (exit 1 on timeout)
#include <iostream>
#include <string>

#include "card/pcsc.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  try {
    rcperso::card::PcscContext context;
    if (argc == 2 && std::string(argv[1]) == "--list") {
      for (const auto& r : context.readers()) std::cout << r << "\n";
      return 0;
    }
    if (argc != 4) {
      std::cerr << "usage: pcsc_wait --list | pcsc_wait READER present|absent TIMEOUT_MS\n";
      return 2;
    }
    std::string reader = context.resolve(argv[1]);
    int timeout = std::stoi(argv[3]);
    bool ok = std::string(argv[2]) == "present" ? context.wait_for_card(reader, timeout)
                                                : context.wait_for_removal(reader, timeout);
    if (!ok)
      std::cerr << "pcsc_wait: " << reader << ": card still not " << argv[2] << " after " << timeout
                << " ms\n";
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "pcsc_wait: " << e.what() << "\n";
    return 1;
  }
}
