#include "lds/sod.hpp"

#include <algorithm>

#include "core/date.hpp"
#include "core/error.hpp"
#include "tlv/der.hpp"

namespace rcperso::lds {

namespace {

constexpr std::size_t kMaxCertificates = 8;

AlgorithmIdentifier read_algorithm(tlv::Reader& outer, const std::string& ctx) {
  tlv::Element seq = outer.expect(der::kSequence);
  tlv::Reader r = outer.enter(seq);
  AlgorithmIdentifier a;
  a.oid = der::oid_text(r.expect(der::kOid).value, ctx);
  if (!r.at_end()) {
    tlv::Element p = r.next();
    a.parameters.assign(p.encoded.begin(), p.encoded.end());
  }
  r.expect_end();
  return a;
}

int small_integer(const tlv::Element& e, const std::string& ctx) {
  std::uint64_t v = der::parse_integer(e.value, ctx);
  if (v > 1000) throw DecodeError(ctx + ": integer out of range");
  return static_cast<int>(v);
}

}  // namespace

Bytes LdsSecurityObject::encode() const {
  Bytes hashes_der;
  for (const auto& h : hashes) {
    Bytes item = der::integer(static_cast<std::uint64_t>(h.number));
    append(item, der::octet_string(h.hash));
    append(hashes_der, der::sequence(item));
  }
  Bytes content = der::integer(static_cast<std::uint64_t>(version));
  Bytes algorithm = der::oid(hash_algorithm_oid);
  if (hash_parameters_null) append(algorithm, Bytes{0x05, 0x00});
  append(content, der::sequence(algorithm));
  append(content, der::sequence(hashes_der));
  if (lds_version_info) {
    Bytes info = der::printable_string(lds_version_info->first);
    append(info, der::printable_string(lds_version_info->second));
    append(content, der::sequence(info));
  }
  return der::sequence(content);
}

LdsSecurityObject LdsSecurityObject::decode(ByteView data) {
  const std::string ctx = "LDSSecurityObject";
  tlv::Element seq = tlv::decode_single(data, der::kSequence, ctx);
  tlv::Reader r = tlv::Reader(data, ctx).enter(seq);
  LdsSecurityObject lso;
  lso.version = small_integer(r.expect(der::kInteger), ctx);
  if (lso.version != 0 && lso.version != 1) throw DecodeError(ctx + ": version must be 0 or 1");
  tlv::Reader alg = r.enter(r.expect(der::kSequence));
  lso.hash_algorithm_oid = der::oid_text(alg.expect(der::kOid).value, ctx);
  if (!alg.at_end()) {
    tlv::Element params = alg.next();
    if (params.tag != der::kNull || !params.value.empty())
      throw DecodeError(ctx + ": unexpected hash algorithm parameters");
    lso.hash_parameters_null = true;
  }
  alg.expect_end();
  tlv::Reader list = r.enter(r.expect(der::kSequence));
  std::vector<int> seen;
  while (!list.at_end()) {
    tlv::Reader item = list.enter(list.expect(der::kSequence));
    DataGroupHash h;
    h.number = small_integer(item.expect(der::kInteger), ctx);
    tlv::Element value = item.expect(der::kOctetString);
    item.expect_end();
    if (h.number < 1 || h.number > 16)
      throw DecodeError(ctx + ": data group number " + std::to_string(h.number) + " out of range");
    if (std::find(seen.begin(), seen.end(), h.number) != seen.end()) {
      throw DecodeError(ctx + ": DG" + std::to_string(h.number) + " hashed twice");
    }
    if (value.value.empty() || value.value.size() > 64) throw DecodeError(ctx + ": implausible hash length");
    seen.push_back(h.number);
    h.hash.assign(value.value.begin(), value.value.end());
    lso.hashes.push_back(std::move(h));
  }
  if (lso.hashes.size() < 2) throw DecodeError(ctx + ": fewer than two data group hashes");
  if (!r.at_end()) {
    tlv::Reader info = r.enter(r.expect(der::kSequence));
    std::string lds = as_string(info.expect(der::kPrintableString).value);
    std::string unicode = as_string(info.expect(der::kPrintableString).value);
    info.expect_end();
    lso.lds_version_info = std::make_pair(lds, unicode);
  }
  r.expect_end();
  if (lso.lds_version_info.has_value() != (lso.version == 1)) {
    throw DecodeError(ctx + ": version " + std::to_string(lso.version) +
                      (lso.version == 1 ? " requires" : " must not have") + " LDSVersionInfo");
  }
  return lso;
}

Sod Sod::decode(ByteView data) {
  const std::string ctx = "EF.SOD";
  Sod sod;
  sod.encoded.assign(data.begin(), data.end());
  tlv::Element outer = tlv::decode_single(data, 0x77, ctx);
  tlv::Reader top = tlv::Reader(data, ctx).enter(outer);
  tlv::Element ci = top.expect(der::kSequence);
  top.expect_end();
  tlv::Reader content_info = top.enter(ci);
  std::string content_type = der::oid_text(content_info.expect(der::kOid).value, ctx);
  if (content_type != kOidSignedData)
    throw DecodeError(ctx + ": ContentInfo is not signedData (" + content_type + ")");
  tlv::Reader explicit0 = content_info.enter(content_info.expect(0xA0));
  content_info.expect_end();
  tlv::Element sd_seq = explicit0.expect(der::kSequence);
  explicit0.expect_end();
  tlv::Reader sd = explicit0.enter(sd_seq);

  sod.signed_data_version = small_integer(sd.expect(der::kInteger), ctx);
  tlv::Reader algs = sd.enter(sd.expect(der::kSet));
  while (!algs.at_end()) sod.digest_algorithms.push_back(read_algorithm(algs, ctx));

  tlv::Reader encap = sd.enter(sd.expect(der::kSequence));
  sod.econtent_type = der::oid_text(encap.expect(der::kOid).value, ctx);
  tlv::Reader econtent = encap.enter(encap.expect(0xA0));
  tlv::Element octets = econtent.expect(der::kOctetString);
  econtent.expect_end();
  encap.expect_end();
  sod.econtent.assign(octets.value.begin(), octets.value.end());
  sod.lso = LdsSecurityObject::decode(sod.econtent);

  if (auto certs = sd.optional(0xA0)) {
    tlv::Reader cr = sd.enter(*certs);
    while (!cr.at_end()) {
      tlv::Element cert = cr.expect(der::kSequence);
      if (sod.certificates.size() == kMaxCertificates) throw DecodeError(ctx + ": too many certificates");
      sod.certificates.emplace_back(cert.encoded.begin(), cert.encoded.end());
    }
  }
  if (auto crls = sd.optional(0xA1)) (void)crls;  // CRLs inside the SOD are not used

  tlv::Element infos_set = sd.expect(der::kSet);
  sd.expect_end();
  tlv::Reader infos = sd.enter(infos_set);
  tlv::Element si_seq = infos.expect(der::kSequence);
  if (!infos.at_end()) throw DecodeError(ctx + ": more than one SignerInfo");
  tlv::Reader si = infos.enter(si_seq);
  SignerInfo& s = sod.signer;
  s.version = small_integer(si.expect(der::kInteger), ctx);
  if (si.peek_tag() == der::kSequence) {
    tlv::Reader ias = si.enter(si.expect(der::kSequence));
    tlv::Element issuer = ias.expect(der::kSequence);
    s.issuer.assign(issuer.encoded.begin(), issuer.encoded.end());
    tlv::Element serial = ias.expect(der::kInteger);
    s.serial.assign(serial.value.begin(), serial.value.end());
    ias.expect_end();
  } else {
    tlv::Element ski = si.expect(0x80);
    s.subject_key_identifier.assign(ski.value.begin(), ski.value.end());
  }
  s.digest_algorithm = read_algorithm(si, ctx);
  if (auto attrs = si.optional(0xA0)) {
    // The signature covers the attributes encoded as a SET (tag 31).
    s.signed_attributes = tlv::encode(der::kSet, attrs->value);
    tlv::Reader ar = si.enter(*attrs);
    std::vector<std::string> seen;
    while (!ar.at_end()) {
      tlv::Reader attr = ar.enter(ar.expect(der::kSequence));
      std::string type = der::oid_text(attr.expect(der::kOid).value, ctx);
      if (std::find(seen.begin(), seen.end(), type) != seen.end())
        throw DecodeError(ctx + ": signed attribute " + type + " repeated");
      seen.push_back(type);
      tlv::Reader values = attr.enter(attr.expect(der::kSet));
      attr.expect_end();
      tlv::Element v = values.next();
      if (!values.at_end()) throw DecodeError(ctx + ": signed attribute " + type + " has several values");
      if (type == kOidContentType) {
        if (v.tag != der::kOid) throw DecodeError(ctx + ": contentType attribute is not an OID");
        s.content_type = der::oid_text(v.value, ctx);
      } else if (type == kOidMessageDigest) {
        if (v.tag != der::kOctetString)
          throw DecodeError(ctx + ": messageDigest attribute is not an OCTET STRING");
        s.message_digest.assign(v.value.begin(), v.value.end());
      } else if (type == kOidSigningTime) {
        if (v.tag != 0x17 && v.tag != 0x18)
          throw DecodeError(ctx + ": signingTime is not a UTCTime or GeneralizedTime");
        s.signing_time_text = as_string(v.value);
        s.signing_time = parse_asn1_time(s.signing_time_text, v.tag == 0x18);
        if (!s.signing_time) throw DecodeError(ctx + ": malformed signingTime");
      }
    }
  }
  s.signature_algorithm = read_algorithm(si, ctx);
  tlv::Element sig = si.expect(der::kOctetString);
  s.signature.assign(sig.value.begin(), sig.value.end());
  if (s.signature.empty()) throw DecodeError(ctx + ": empty signature");
  si.optional(0xA1);  // unsigned attributes are ignored
  si.expect_end();
  return sod;
}

std::optional<long long> parse_asn1_time(const std::string& text, bool generalized) {
  std::size_t year_digits = generalized ? 4 : 2;
  if (text.size() != year_digits + 11 || text.back() != 'Z') return std::nullopt;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  int year = num(0, year_digits);
  if (!generalized) year += year < 50 ? 2000 : 1900;  // RFC 5280
  std::size_t p = year_digits;
  Date d{year, num(p, 2), num(p + 2, 2)};
  int hh = num(p + 4, 2), mm = num(p + 6, 2), ss = num(p + 8, 2);
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in_month(d.year, d.month) || hh > 23 ||
      mm > 59 || ss > 59) {
    return std::nullopt;
  }
  return d.days_since_epoch() * 86400LL + hh * 3600LL + mm * 60LL + ss;
}

}  // namespace rcperso::lds
