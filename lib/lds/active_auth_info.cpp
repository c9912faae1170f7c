#include "lds/active_auth_info.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tlv/der.hpp"

namespace rcperso::lds {

Bytes ActiveAuthenticationInfo::encode() const {
  if (signature_algorithm.empty()) throw Error("ActiveAuthenticationInfo: no signature algorithm");
  if (version < 0) throw Error("ActiveAuthenticationInfo: negative version");
  Bytes content = der::oid(kOidAaProtocol);
  append(content, der::integer(static_cast<std::uint64_t>(version)));
  append(content, der::oid(signature_algorithm));
  return der::sequence(content);
}

ActiveAuthenticationInfo ActiveAuthenticationInfo::decode(ByteView sequence) {
  const std::string context = "DG14 ActiveAuthenticationInfo";
  tlv::Element seq = tlv::decode_single(sequence, der::kSequence, context);
  tlv::Reader fields = tlv::Reader(sequence, context).enter(seq);
  std::string protocol = der::oid_text(fields.expect(der::kOid).value, context);
  if (protocol != kOidAaProtocol)
    throw DecodeError(context + ": protocol is " + protocol + ", not " + kOidAaProtocol);
  std::uint64_t version = der::parse_integer(fields.expect(der::kInteger).value, context);
  if (version != 1) throw DecodeError(context + ": version is " + std::to_string(version) + ", must be 1");
  ActiveAuthenticationInfo info;
  info.version = 1;
  info.signature_algorithm = der::oid_text(fields.expect(der::kOid).value, context);
  fields.expect_end();
  return info;
}

std::optional<ActiveAuthenticationInfo> active_authentication_info(const Dg14& dg14) {
  std::optional<ActiveAuthenticationInfo> found;
  for (const auto& info : dg14.infos) {
    if (info.protocol != kOidAaProtocol) continue;
    if (found) throw DecodeError("DG14: more than one ActiveAuthenticationInfo");
    found = ActiveAuthenticationInfo::decode(info.encoded);
  }
  return found;
}

Dg15 build_dg15(ByteView subject_public_key_info) {
  Dg15 dg;
  dg.public_key_info.assign(subject_public_key_info.begin(), subject_public_key_info.end());
  Dg15 decoded = Dg15::decode(dg.encode());
  if (decoded.algorithm != "1.2.840.113549.1.1.1" && decoded.algorithm != "1.2.840.10045.2.1") {
    throw DecodeError("DG15: the key is " + oid_name(decoded.algorithm) + ", not RSA or EC");
  }
  return decoded;
}

}  // namespace rcperso::lds
