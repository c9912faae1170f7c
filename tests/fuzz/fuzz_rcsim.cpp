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
  options.max_rsa_generation_bits = 1024;
  rcsim::Chip chip(options);
  chip.power_on();
  auto send = [&](std::initializer_list<std::uint8_t> apdu) { (void)chip.process(rcsim::Bytes(apdu)); };
  // EF.CardAccess (PACE-GM ECDH brainpoolP256r1) in the MF, EF.COM and the MRZ seed in the application,
  // so that PACE, BAC and secure messaging are all reachable.
  send({0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00});
  send({0x00, 0xE0, 0x00, 0x00, 0x0A, 0x62, 0x08, 0x80, 0x02, 0x00, 0x16, 0x83, 0x02, 0x01, 0x1C});
  send({0x00, 0xD6, 0x00, 0x00, 0x16, 0x31, 0x14, 0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F,
        0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02, 0x02, 0x01, 0x02, 0x02, 0x01, 0x0D});
  send({0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01});
  send({0x00, 0xE0, 0x00, 0x00, 0x08, 0x62, 0x06, 0x80, 0x01, 0x20, 0x83, 0x01, 0x1E});
  send({0x00, 0xDA, 0x00, 0x62, 0x1D, 0x62, 0x1B, 0x04, 0x09, 'T',  '2',  '2', '0', '0', '0', '1', '2',
        '9',  0x04, 0x06, '6',  '4',  '0',  '8',  '1',  '2',  0x04, 0x06, '1', '0', '1', '0', '3', '1'});
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
