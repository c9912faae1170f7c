#include "lds/dg7.hpp"

#include "core/error.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::lds {

Bytes Dg7::encode() const {
  tlv::Writer w;
  w.add(der::kInteger, Bytes{static_cast<std::uint8_t>(images.size())});
  for (const auto& img : images) w.add(0x5F43, img);
  return w.wrap(0x67);
}

Dg7 Dg7::decode(ByteView data) {
  tlv::Element outer = tlv::decode_single(data, 0x67, "DG7");
  tlv::Reader r = tlv::Reader(data, "DG7").enter(outer);
  tlv::Element count = r.expect(der::kInteger);
  if (count.value.size() != 1 || count.value[0] == 0 || count.value[0] > 8) {
    throw DecodeError("DG7: image count (02) must be one byte from 1 to 8");
  }
  Dg7 dg;
  for (int i = 0; i < count.value[0]; ++i) {
    tlv::Element img = r.expect(0x5F43);
    if (img.value.empty()) throw DecodeError("DG7: empty signature image");
    dg.images.emplace_back(img.value.begin(), img.value.end());
  }
  r.expect_end();
  return dg;
}

}  // namespace rcperso::lds
