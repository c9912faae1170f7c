#include "lds/card_access.hpp"

#include "core/error.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::lds {

namespace {
constexpr std::string_view kPacePrefix = "0.4.0.127.0.7.2.2.4.";
constexpr int kMaxParameterId = 31;  // 0-31 are the standardized domain parameter IDs
}  // namespace

Bytes CardAccess::encode() const {
  tlv::Writer set;
  for (const auto& p : pace) {
    tlv::Writer info;
    info.raw(der::oid(p.protocol)).raw(der::integer(static_cast<std::uint64_t>(p.version)));
    if (p.parameter_id) info.raw(der::integer(static_cast<std::uint64_t>(*p.parameter_id)));
    set.add(der::kSequence, info);
  }
  for (const auto& o : others) set.raw(o.encoded);
  return set.wrap(der::kSet);
}

CardAccess CardAccess::decode(ByteView data) {
  const std::string context = "EF.CardAccess";
  tlv::Element outer = tlv::decode_single(data, der::kSet, context);
  tlv::Reader items = tlv::Reader(data, context).enter(outer);
  CardAccess ca;
  while (!items.at_end()) {
    tlv::Element seq = items.expect(der::kSequence);
    tlv::Reader fields = items.enter(seq);
    std::string oid = der::oid_text(fields.expect(der::kOid).value, context);
    if (oid.rfind(kPacePrefix, 0) != 0 || oid.size() == kPacePrefix.size() ||
        oid.find('.', kPacePrefix.size()) == std::string::npos) {
      while (!fields.at_end()) fields.next();
      ca.others.push_back({oid, Bytes(seq.encoded.begin(), seq.encoded.end())});
      continue;
    }
    PaceInfo p;
    p.protocol = oid;
    auto version = der::parse_integer(fields.expect(der::kInteger).value, context + " PACEInfo version");
    if (version != 2) {
      throw DecodeError(context + ": PACEInfo " + oid + " has version " + std::to_string(version) +
                        ", not 2");
    }
    p.version = 2;
    if (!fields.at_end()) {
      auto id = der::parse_integer(fields.expect(der::kInteger).value, context + " PACEInfo parameterId");
      if (id > kMaxParameterId) {
        throw DecodeError(context + ": PACEInfo " + oid + " names parameter ID " + std::to_string(id) +
                          ", not a standardized one (0-31)");
      }
      p.parameter_id = static_cast<int>(id);
    }
    fields.expect_end();
    ca.pace.push_back(p);
  }
  if (ca.pace.empty() && ca.others.empty()) throw DecodeError(context + ": no SecurityInfo");
  return ca;
}

}  // namespace rcperso::lds
