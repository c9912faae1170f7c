#include "lds/dg1.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::lds {

Bytes Dg1::encode() const { return tlv::Writer().add_string(0x5F1F, mrz).wrap(0x61); }

Dg1 Dg1::decode(ByteView data) {
  tlv::Element outer = tlv::decode_single(data, 0x61, "DG1");
  tlv::Reader r = tlv::Reader(data, "DG1").enter(outer);
  Dg1 dg1;
  dg1.mrz = as_string(r.expect(0x5F1F).value);
  r.expect_end();
  if (dg1.mrz.size() != 90 && dg1.mrz.size() != 72 && dg1.mrz.size() != 88) {
    throw DecodeError("DG1: MRZ has " + std::to_string(dg1.mrz.size()) +
                      " characters; expected 90, 72 or 88");
  }
  bool chars_ok = std::all_of(dg1.mrz.begin(), dg1.mrz.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '<';
  });
  if (!chars_ok) throw DecodeError("DG1: MRZ contains characters outside 0-9, A-Z and '<'");
  return dg1;
}

}  // namespace rcperso::lds
