#include "biometric/cbeff.hpp"

#include "core/error.hpp"
#include "tlv/der.hpp"

namespace rcperso::biometric {

namespace {

constexpr std::size_t kMaxTemplates = 16;

Bytes encode_header(const BiometricHeader& h) {
  tlv::Writer w;
  if (h.icao_header_version) w.add(0x80, *h.icao_header_version);
  if (h.biometric_type) w.add_uint(0x81, *h.biometric_type, 1);
  if (h.biometric_subtype) w.add_uint(0x82, *h.biometric_subtype, 1);
  if (h.creation_datetime) w.add(0x83, *h.creation_datetime);
  if (h.validity_period) w.add(0x85, *h.validity_period);
  if (h.creator) w.add(0x86, *h.creator);
  w.add_uint(0x87, h.format_owner, 2);
  w.add_uint(0x88, h.format_type, 2);
  return w.wrap(0xA1);
}

std::uint64_t fixed(const tlv::Element& e, std::size_t size, const std::string& context, const char* what) {
  if (e.value.size() != size) {
    throw DecodeError(context + ": " + what + " (tag " + tlv::tag_name(e.tag) + ") must be " +
                      std::to_string(size) + " byte(s) at offset " + std::to_string(e.offset));
  }
  return get_be(e.value, 0, size);
}

BiometricHeader decode_header(tlv::Reader r, const std::string& context) {
  BiometricHeader h;
  tlv::Tag previous = 0;
  bool owner = false, type = false;
  while (!r.at_end()) {
    tlv::Element e = r.next();
    if (e.tag <= previous) {
      throw DecodeError(context + ": biometric header tags out of order or repeated at offset " +
                        std::to_string(e.offset));
    }
    previous = e.tag;
    switch (e.tag) {
      case 0x80:
        h.icao_header_version = Bytes(e.value.begin(), e.value.end());
        break;
      case 0x81:
        h.biometric_type = static_cast<std::uint8_t>(fixed(e, 1, context, "biometric type"));
        break;
      case 0x82:
        h.biometric_subtype = static_cast<std::uint8_t>(fixed(e, 1, context, "biometric subtype"));
        break;
      case 0x83:
        fixed(e, 7, context, "creation date");
        h.creation_datetime = Bytes(e.value.begin(), e.value.end());
        break;
      case 0x85:
        fixed(e, 8, context, "validity period");
        h.validity_period = Bytes(e.value.begin(), e.value.end());
        break;
      case 0x86:
        // Not a fixed size: ICAO's own 39794-5 DG2 sample carries 4 bytes.
        if (e.value.empty() || e.value.size() > 16) {
          throw DecodeError(context + ": creator (tag 86) must be 1 to 16 bytes at offset " +
                            std::to_string(e.offset));
        }
        h.creator = Bytes(e.value.begin(), e.value.end());
        break;
      case 0x87:
        h.format_owner = static_cast<std::uint16_t>(fixed(e, 2, context, "format owner"));
        owner = true;
        break;
      case 0x88:
        h.format_type = static_cast<std::uint16_t>(fixed(e, 2, context, "format type"));
        type = true;
        break;
      default:
        throw DecodeError(context + ": unknown biometric header tag " + tlv::tag_name(e.tag) + " at offset " +
                          std::to_string(e.offset));
    }
  }
  if (!owner || !type)
    throw DecodeError(context + ": biometric header lacks format owner (87) or format type (88)");
  return h;
}

}  // namespace

Bytes BiometricGroup::encode(tlv::Tag outer_tag) const {
  tlv::Writer group;
  group.add(der::kInteger, Bytes{static_cast<std::uint8_t>(templates.size())});
  for (const auto& t : templates) {
    tlv::Writer bit;
    bit.raw(encode_header(t.header));
    bit.add(t.constructed_data ? 0x7F2E : 0x5F2E, t.data);
    group.add(0x7F60, bit);
  }
  tlv::Writer outer;
  outer.add(0x7F61, group);
  if (discretionary_random) outer.add(0x53, *discretionary_random);
  return outer.wrap(outer_tag);
}

BiometricGroup BiometricGroup::decode(ByteView data, tlv::Tag outer_tag, const std::string& context) {
  BiometricGroup g;
  tlv::Element outer = tlv::decode_single(data, outer_tag, context);
  tlv::Reader r = tlv::Reader(data, context).enter(outer);
  tlv::Element group = r.expect(0x7F61);
  tlv::Reader gr = r.enter(group);
  tlv::Element count_e = gr.expect(der::kInteger);
  if (count_e.value.size() != 1) throw DecodeError(context + ": instance count (02) must be one byte");
  std::size_t count = count_e.value[0];
  if (count > kMaxTemplates)
    throw DecodeError(context + ": " + std::to_string(count) + " biometric templates is too many");
  for (std::size_t i = 0; i < count; ++i) {
    std::string ctx = context + " template " + std::to_string(i + 1);
    tlv::Element bit = gr.expect(0x7F60);
    tlv::Reader br = gr.enter(bit);
    BiometricTemplate t;
    t.header = decode_header(br.enter(br.expect(0xA1)), ctx);
    tlv::Tag bdb_tag = br.peek_tag();
    if (bdb_tag != 0x5F2E && bdb_tag != 0x7F2E) {
      throw DecodeError(ctx + ": expected biometric data block 5F2E or 7F2E, found " +
                        tlv::tag_name(bdb_tag));
    }
    tlv::Element bdb = br.next();
    t.constructed_data = bdb_tag == 0x7F2E;
    t.data.assign(bdb.value.begin(), bdb.value.end());
    br.expect_end();
    g.templates.push_back(std::move(t));
  }
  gr.expect_end();
  if (auto random = r.optional(0x53)) {
    if (count != 0) throw DecodeError(context + ": DO 53 is only allowed after an empty biometric group");
    g.discretionary_random = Bytes(random->value.begin(), random->value.end());
  }
  r.expect_end();
  return g;
}

}  // namespace rcperso::biometric
