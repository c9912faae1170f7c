// libFuzzer harness: the BER-TLV reader and DER primitives on arbitrary bytes.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace {
void walk(rcperso::tlv::Reader r, int depth) {
  while (!r.at_end()) {
    auto e = r.next();
    if (e.constructed() && depth < 16) walk(r.enter(e), depth + 1);
    if (e.tag == rcperso::der::kOid) (void)rcperso::der::oid_text(e.value, "fuzz");
    if (e.tag == rcperso::der::kInteger) (void)rcperso::der::parse_integer(e.value, "fuzz");
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rcperso::ByteView in(data, size);
  try {
    walk(rcperso::tlv::Reader(in, "fuzz"), 0);
  } catch (const rcperso::Error&) {
  }
  try {
    (void)rcperso::tlv::parse_tag_list(in, "fuzz");
  } catch (const rcperso::Error&) {
  }
  return 0;
}
