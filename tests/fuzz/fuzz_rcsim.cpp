// libFuzzer harness: rcsim's chip against hostile hosts. The input is a run
// of command APDUs (1-byte length + bytes each) sent to one chip, which is
// personalized first so BAC, secure messaging and reads are reachable.
#include <cstddef>
#include <cstdint>

#include "rcsim/chip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rcsim::ChipOptions options;
  options.memory = 8192;
  options.max_file_size = 4096;
  options.response_chunk = size % 3 == 0 ? 64 : 0;
  options.exact_le = size % 2 == 0;
  rcsim::Chip chip(options);
  chip.power_on();
  auto send = [&](std::initializer_list<std::uint8_t> apdu) { (void)chip.process(rcsim::Bytes(apdu)); };
  send({0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01});
  send({0x00, 0xE0, 0x00, 0x00, 0x08, 0x62, 0x06, 0x80, 0x01, 0x20, 0x83, 0x01, 0x1E});
  std::size_t pos = 0;
  while (pos < size) {
    std::size_t n = data[pos++];
    if (n > size - pos) n = size - pos;
    rcsim::Bytes apdu(data + pos, data + pos + n);
    pos += n;
    (void)chip.process(apdu);
  }
  return 0;
}
