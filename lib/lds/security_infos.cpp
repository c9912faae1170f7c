#include "lds/security_infos.hpp"

#include "core/error.hpp"
#include "tlv/der.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::lds {

namespace {

std::optional<std::uint64_t> optional_key_id(tlv::Reader& fields, const std::string& context) {
  if (fields.at_end()) return std::nullopt;
  auto id = der::parse_integer(fields.expect(der::kInteger).value, context + " keyId");
  fields.expect_end();
  return id;
}

}  // namespace

bool is_chip_authentication_info(const std::string& oid) {
  // id-CA-DH-* and id-CA-ECDH-*: the prefix, a family (1, 2) and a cipher.
  return oid.rfind(kIdCaPrefix, 0) == 0 && oid.size() > std::string_view(kIdCaPrefix).size() &&
         oid.find('.', std::string_view(kIdCaPrefix).size()) != std::string::npos;
}

Bytes ChipAuthenticationInfo::encode() const {
  tlv::Writer w;
  w.raw(der::oid(protocol)).raw(der::integer(static_cast<std::uint64_t>(version)));
  if (key_id) w.raw(der::integer(*key_id));
  return w.wrap(der::kSequence);
}

ChipAuthenticationInfo ChipAuthenticationInfo::decode(ByteView encoded) {
  const std::string context = "DG14 ChipAuthenticationInfo";
  tlv::Element seq = tlv::decode_single(encoded, der::kSequence, context);
  tlv::Reader fields = tlv::Reader(encoded, context).enter(seq);
  ChipAuthenticationInfo info;
  info.protocol = der::oid_text(fields.expect(der::kOid).value, context);
  if (!is_chip_authentication_info(info.protocol))
    throw DecodeError(context + ": " + info.protocol + " is not an id-CA protocol");
  auto version = der::parse_integer(fields.expect(der::kInteger).value, context + " version");
  if (version != 1 && version != 2) {
    throw DecodeError(context + " " + info.protocol + ": version " + std::to_string(version) +
                      " (only 1 and 2 exist for these protocols)");
  }
  info.version = static_cast<int>(version);
  info.key_id = optional_key_id(fields, context);
  return info;
}

Bytes ChipAuthenticationPublicKeyInfo::encode() const {
  tlv::Writer w;
  w.raw(der::oid(protocol)).raw(subject_public_key_info);
  if (key_id) w.raw(der::integer(*key_id));
  return w.wrap(der::kSequence);
}

ChipAuthenticationPublicKeyInfo ChipAuthenticationPublicKeyInfo::decode(ByteView encoded) {
  const std::string context = "DG14 ChipAuthenticationPublicKeyInfo";
  tlv::Element seq = tlv::decode_single(encoded, der::kSequence, context);
  tlv::Reader fields = tlv::Reader(encoded, context).enter(seq);
  ChipAuthenticationPublicKeyInfo info;
  info.protocol = der::oid_text(fields.expect(der::kOid).value, context);
  if (info.protocol != kIdPkDh && info.protocol != kIdPkEcdh)
    throw DecodeError(context + ": " + info.protocol + " is neither id-PK-DH nor id-PK-ECDH");
  tlv::Element spki = fields.expect(der::kSequence);
  {
    tlv::Reader s = fields.enter(spki);
    s.expect(der::kSequence);  // AlgorithmIdentifier, checked by the key decoder
    s.expect(der::kBitString);
    s.expect_end();
  }
  info.subject_public_key_info.assign(spki.encoded.begin(), spki.encoded.end());
  info.key_id = optional_key_id(fields, context);
  return info;
}

Bytes terminal_authentication_info(int version) {
  return tlv::Writer()
      .raw(der::oid(kIdTa))
      .raw(der::integer(static_cast<std::uint64_t>(version)))
      .wrap(der::kSequence);
}

std::vector<ChipAuthenticationOffer> chip_authentication_offers(const Dg14& dg14) {
  std::vector<ChipAuthenticationInfo> infos;
  std::vector<ChipAuthenticationPublicKeyInfo> keys;
  for (const auto& si : dg14.infos) {
    if (is_chip_authentication_info(si.protocol)) {
      infos.push_back(ChipAuthenticationInfo::decode(si.encoded));
    } else if (si.protocol == kIdPkDh || si.protocol == kIdPkEcdh) {
      keys.push_back(ChipAuthenticationPublicKeyInfo::decode(si.encoded));
    }
  }
  std::vector<ChipAuthenticationOffer> offers;
  if (infos.empty()) {
    // Version 1.0 chips carry only the key: CA with 3DES of the key's family.
    for (const auto& k : keys) {
      ChipAuthenticationInfo implied;
      implied.protocol = std::string(kIdCaPrefix) + (k.protocol == kIdPkDh ? "1.1" : "2.1");
      implied.key_id = k.key_id;
      offers.push_back({implied, k});
    }
    return offers;
  }
  for (const auto& info : infos) {
    if (info.version != 1) continue;  // CA v2 belongs to EAC 2, not to this inspection
    const ChipAuthenticationPublicKeyInfo* match = nullptr;
    for (const auto& k : keys) {
      if (info.key_id ? k.key_id == info.key_id : keys.size() == 1) match = &k;
    }
    if (match == nullptr) {
      throw DecodeError("DG14: ChipAuthenticationInfo " + oid_name(info.protocol) +
                        (info.key_id ? " keyId " + std::to_string(*info.key_id) : std::string()) +
                        " has no matching ChipAuthenticationPublicKeyInfo");
    }
    offers.push_back({info, *match});
  }
  return offers;
}

}  // namespace rcperso::lds
