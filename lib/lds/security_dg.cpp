#include "lds/security_dg.hpp"

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "tlv/der.hpp"

namespace rcperso::lds {

Bytes Dg14::encode() const { return tlv::encode(0x6E, security_infos); }

Dg14 Dg14::decode(ByteView data) {
  tlv::Element outer = tlv::decode_single(data, 0x6E, "DG14");
  tlv::Reader r = tlv::Reader(data, "DG14").enter(outer);
  tlv::Element set = r.expect(der::kSet);
  r.expect_end();
  Dg14 dg;
  dg.security_infos.assign(set.encoded.begin(), set.encoded.end());
  tlv::Reader items = r.enter(set);
  while (!items.at_end()) {
    tlv::Element seq = items.expect(der::kSequence);
    tlv::Reader fields = items.enter(seq);
    tlv::Element oid = fields.expect(der::kOid);
    if (fields.at_end())
      throw DecodeError("DG14: SecurityInfo at offset " + std::to_string(seq.offset) + " has no data");
    while (!fields.at_end()) fields.next();  // protocol-specific fields, checked by their protocol
    dg.infos.push_back({der::oid_text(oid.value, "DG14"), Bytes(seq.encoded.begin(), seq.encoded.end())});
  }
  if (dg.infos.empty()) throw DecodeError("DG14: no SecurityInfo");
  return dg;
}

Dg14 build_dg14(std::vector<Bytes> security_infos) {
  if (security_infos.empty()) throw Error("DG14: no SecurityInfo to write");
  std::sort(security_infos.begin(), security_infos.end());
  Bytes content;
  for (const auto& info : security_infos) append(content, info);
  Dg14 dg;
  dg.security_infos = der::set(content);
  return Dg14::decode(dg.encode());
}

Bytes Dg15::encode() const { return tlv::encode(0x6F, public_key_info); }

Dg15 Dg15::decode(ByteView data) {
  tlv::Element outer = tlv::decode_single(data, 0x6F, "DG15");
  tlv::Reader r = tlv::Reader(data, "DG15").enter(outer);
  tlv::Element spki = r.expect(der::kSequence);
  r.expect_end();
  tlv::Reader s = r.enter(spki);
  tlv::Reader alg = s.enter(s.expect(der::kSequence));
  Dg15 dg;
  dg.algorithm = der::oid_text(alg.expect(der::kOid).value, "DG15");
  s.expect(der::kBitString);
  s.expect_end();
  dg.public_key_info.assign(spki.encoded.begin(), spki.encoded.end());
  return dg;
}

std::string oid_name(const std::string& oid) {
  static const std::map<std::string, std::string> kNames = {
      {"0.4.0.127.0.7.2.2.1.1", "id-PK-DH"},
      {"0.4.0.127.0.7.2.2.1.2", "id-PK-ECDH"},
      {"0.4.0.127.0.7.2.2.2", "id-TA"},
      {"0.4.0.127.0.7.2.2.4.1.1", "id-PACE-DH-GM-3DES-CBC-CBC"},
      {"0.4.0.127.0.7.2.2.4.1.2", "id-PACE-DH-GM-AES-CBC-CMAC-128"},
      {"0.4.0.127.0.7.2.2.4.1.3", "id-PACE-DH-GM-AES-CBC-CMAC-192"},
      {"0.4.0.127.0.7.2.2.4.1.4", "id-PACE-DH-GM-AES-CBC-CMAC-256"},
      {"0.4.0.127.0.7.2.2.4.2.1", "id-PACE-ECDH-GM-3DES-CBC-CBC"},
      {"0.4.0.127.0.7.2.2.4.2.2", "id-PACE-ECDH-GM-AES-CBC-CMAC-128"},
      {"0.4.0.127.0.7.2.2.4.2.3", "id-PACE-ECDH-GM-AES-CBC-CMAC-192"},
      {"0.4.0.127.0.7.2.2.4.2.4", "id-PACE-ECDH-GM-AES-CBC-CMAC-256"},
      {"0.4.0.127.0.7.2.2.4.3.1", "id-PACE-DH-IM-3DES-CBC-CBC"},
      {"0.4.0.127.0.7.2.2.4.3.2", "id-PACE-DH-IM-AES-CBC-CMAC-128"},
      {"0.4.0.127.0.7.2.2.4.3.3", "id-PACE-DH-IM-AES-CBC-CMAC-192"},
      {"0.4.0.127.0.7.2.2.4.3.4", "id-PACE-DH-IM-AES-CBC-CMAC-256"},
      {"0.4.0.127.0.7.2.2.4.4.1", "id-PACE-ECDH-IM-3DES-CBC-CBC"},
      {"0.4.0.127.0.7.2.2.4.4.2", "id-PACE-ECDH-IM-AES-CBC-CMAC-128"},
      {"0.4.0.127.0.7.2.2.4.4.3", "id-PACE-ECDH-IM-AES-CBC-CMAC-192"},
      {"0.4.0.127.0.7.2.2.4.4.4", "id-PACE-ECDH-IM-AES-CBC-CMAC-256"},
      {"0.4.0.127.0.7.2.2.4.6.2", "id-PACE-ECDH-CAM-AES-CBC-CMAC-128"},
      {"0.4.0.127.0.7.2.2.4.6.3", "id-PACE-ECDH-CAM-AES-CBC-CMAC-192"},
      {"0.4.0.127.0.7.2.2.4.6.4", "id-PACE-ECDH-CAM-AES-CBC-CMAC-256"},
      {"0.4.0.127.0.7.2.2.3.1.1", "id-CA-DH-3DES-CBC-CBC"},
      {"0.4.0.127.0.7.2.2.3.1.2", "id-CA-DH-AES-CBC-CMAC-128"},
      {"0.4.0.127.0.7.2.2.3.2.1", "id-CA-ECDH-3DES-CBC-CBC"},
      {"0.4.0.127.0.7.2.2.3.2.2", "id-CA-ECDH-AES-CBC-CMAC-128"},
      {"0.4.0.127.0.7.2.2.3.2.3", "id-CA-ECDH-AES-CBC-CMAC-192"},
      {"0.4.0.127.0.7.2.2.3.2.4", "id-CA-ECDH-AES-CBC-CMAC-256"},
      {"2.23.136.1.1.5", "id-icao-mrtd-security-aaProtocolObject"},
      {"2.23.136.1.1.1", "id-icao-mrtd-security-ldsSecurityObject"},
      {"1.2.840.113549.1.1.1", "rsaEncryption"},
      {"1.2.840.10045.2.1", "id-ecPublicKey"},
      {"1.3.14.3.2.26", "SHA-1"},
      {"2.16.840.1.101.3.4.2.4", "SHA-224"},
      {"2.16.840.1.101.3.4.2.1", "SHA-256"},
      {"2.16.840.1.101.3.4.2.2", "SHA-384"},
      {"2.16.840.1.101.3.4.2.3", "SHA-512"},
      {"1.2.840.10045.4.3.2", "ecdsa-with-SHA256"},
      {"1.2.840.10045.4.3.3", "ecdsa-with-SHA384"},
      {"1.2.840.10045.4.3.4", "ecdsa-with-SHA512"},
      {"1.2.840.10045.4.1", "ecdsa-with-SHA1"},
      {"1.2.840.10045.4.3.1", "ecdsa-with-SHA224"},
      {"1.2.840.113549.1.1.5", "sha1WithRSAEncryption"},
      {"1.2.840.113549.1.1.11", "sha256WithRSAEncryption"},
      {"1.2.840.113549.1.1.12", "sha384WithRSAEncryption"},
      {"1.2.840.113549.1.1.13", "sha512WithRSAEncryption"},
      {"1.2.840.113549.1.1.14", "sha224WithRSAEncryption"},
      {"1.2.840.113549.1.1.10", "RSASSA-PSS"},
  };
  auto it = kNames.find(oid);
  return it == kNames.end() ? oid : it->second;
}

}  // namespace rcperso::lds
