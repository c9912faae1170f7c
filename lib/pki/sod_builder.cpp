#include "pki/sod_builder.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "pki/certificate.hpp"
#include "tlv/der.hpp"

namespace rcperso::pki {

namespace {

Bytes algorithm_identifier(const std::string& oid, ByteView params) {
  Bytes content = der::oid(oid);
  append(content, params);
  return der::sequence(content);
}

Bytes attribute(const std::string& oid, ByteView value) {
  Bytes content = der::oid(oid);
  append(content, der::set(value));
  return der::sequence(content);
}

Bytes utc_time(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, tm.tm_year + 1900 < 2050 ? "%y%m%d%H%M%SZ" : "%Y%m%d%H%M%SZ", &tm);
  return tlv::encode(tm.tm_year + 1900 < 2050 ? 0x17 : 0x18, as_bytes(buf));
}

/// issuerAndSerialNumber of the DS certificate. A production run signs every card with the same
/// certificate, so the last one is remembered (per thread) instead of parsed again for each SOD.
Bytes signer_identifier(const Bytes& cert_der) {
  thread_local Bytes cached_der;
  thread_local Bytes cached_sid;
  if (!cached_der.empty() && cached_der == cert_der) return cached_sid;
  auto cert = parse_certificate(cert_der, "Document Signer certificate");
  int issuer_len = i2d_X509_NAME(X509_get_issuer_name(cert.get()), nullptr);
  int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert.get()), nullptr);
  if (issuer_len <= 0 || serial_len <= 0)
    throw Error("cannot encode the DS certificate's issuer and serial number");
  Bytes sid(static_cast<std::size_t>(issuer_len) + static_cast<std::size_t>(serial_len));
  unsigned char* p = sid.data();
  i2d_X509_NAME(X509_get_issuer_name(cert.get()), &p);
  i2d_ASN1_INTEGER(X509_get0_serialNumber(cert.get()), &p);
  cached_sid = sid;
  cached_der = cert_der;
  return sid;
}

}  // namespace

Bytes build_sod(const lds::LdsSecurityObject& lso, Signer& signer, HashAlgorithm hash, SignatureScheme scheme,
                std::time_t signing_time) {
  if (lso.hash_algorithm_oid != hash_oid(hash))
    throw Error("the LDS security object and the CMS use different hashes");
  Bytes econtent = lso.encode();
  Bytes cert_der = signer.certificate_der();

  // Signed attributes, DER SET OF: sorted by their encodings.
  std::vector<Bytes> attrs = {
      attribute(lds::kOidContentType, der::oid(lds::kOidLdsSecurityObject)),
      attribute(lds::kOidSigningTime, utc_time(signing_time)),
      attribute(lds::kOidMessageDigest, der::octet_string(digest(hash, econtent))),
  };
  std::sort(attrs.begin(), attrs.end());
  Bytes attrs_content;
  for (const auto& a : attrs) append(attrs_content, a);
  Bytes signature = signer.sign(der::set(attrs_content), hash, scheme);

  Bytes digest_alg = algorithm_identifier(hash_oid(hash), {});
  auto [sig_oid, sig_params] = signature_algorithm(scheme, hash);

  Bytes sid = signer_identifier(cert_der);

  Bytes signer_info = der::integer(1);
  append(signer_info, der::sequence(sid));
  append(signer_info, digest_alg);
  append(signer_info, tlv::encode(0xA0, attrs_content));
  append(signer_info, algorithm_identifier(sig_oid, sig_params));
  append(signer_info, der::octet_string(signature));

  Bytes encap = der::oid(lds::kOidLdsSecurityObject);
  append(encap, tlv::encode(0xA0, der::octet_string(econtent)));

  Bytes signed_data = der::integer(3);
  append(signed_data, der::set(digest_alg));
  append(signed_data, der::sequence(encap));
  append(signed_data, tlv::encode(0xA0, cert_der));
  append(signed_data, der::set(der::sequence(signer_info)));

  Bytes content_info = der::oid(lds::kOidSignedData);
  append(content_info, tlv::encode(0xA0, der::sequence(signed_data)));
  return tlv::encode(0x77, der::sequence(content_info));
}

}  // namespace rcperso::pki
