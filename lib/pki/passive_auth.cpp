#include "pki/passive_auth.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <memory>

#include "core/error.hpp"
#include "lds/security_dg.hpp"
#include "pki/certificate.hpp"
#include "pki/hash.hpp"
#include "tlv/der.hpp"

namespace rcperso::pki {

namespace {

struct PssParams {
  HashAlgorithm hash = HashAlgorithm::Sha1;
  HashAlgorithm mgf_hash = HashAlgorithm::Sha1;
  int salt = 20;
};

PssParams parse_pss(ByteView params) {
  PssParams p;
  if (params.empty()) return p;
  const std::string ctx = "RSASSA-PSS parameters";
  tlv::Element seq = tlv::decode_single(params, der::kSequence, ctx);
  tlv::Reader r = tlv::Reader(params, ctx).enter(seq);
  if (auto h = r.optional(0xA0)) {
    tlv::Reader alg = r.enter(r.enter(*h).expect(der::kSequence));
    p.hash = hash_from_oid(der::oid_text(alg.expect(der::kOid).value, ctx));
  }
  if (auto m = r.optional(0xA1)) {
    tlv::Reader outer = r.enter(*m);
    tlv::Reader mgf = outer.enter(outer.expect(der::kSequence));
    std::string mgf_oid = der::oid_text(mgf.expect(der::kOid).value, ctx);
    if (mgf_oid != "1.2.840.113549.1.1.8") throw DecodeError(ctx + ": mask generation is not MGF1");
    tlv::Reader alg = mgf.enter(mgf.expect(der::kSequence));
    p.mgf_hash = hash_from_oid(der::oid_text(alg.expect(der::kOid).value, ctx));
  }
  if (auto s = r.optional(0xA2)) {
    tlv::Reader inner = r.enter(*s);
    auto salt = der::parse_integer(inner.expect(der::kInteger).value, ctx);
    if (salt > 1024) throw DecodeError(ctx + ": salt length out of range");
    p.salt = static_cast<int>(salt);
  }
  if (auto t = r.optional(0xA3)) {
    tlv::Reader inner = r.enter(*t);
    if (der::parse_integer(inner.expect(der::kInteger).value, ctx) != 1)
      throw DecodeError(ctx + ": trailer field is not 1");
  }
  r.expect_end();
  return p;
}

// BSI TR-03111 plain ECDSA (r || s) to DER ECDSA-Sig-Value.
Bytes plain_to_der(ByteView plain) {
  if (plain.empty() || plain.size() % 2 != 0) throw DecodeError("plain ECDSA signature has odd length");
  auto integer = [](ByteView v) {
    std::size_t i = 0;
    while (i + 1 < v.size() && v[i] == 0) ++i;
    Bytes content;
    if ((v[i] & 0x80U) != 0) content.push_back(0);
    content.insert(content.end(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return tlv::encode(der::kInteger, content);
  };
  std::size_t half = plain.size() / 2;
  Bytes seq = integer(plain.first(half));
  append(seq, integer(plain.subspan(half)));
  return der::sequence(seq);
}

struct Md {
  HashAlgorithm hash;
  enum { Ecdsa, EcdsaPlain, Pkcs1, Pss } kind;
};

Md classify(const lds::AlgorithmIdentifier& sig, const lds::AlgorithmIdentifier& digest) {
  const std::string& o = sig.oid;
  if (o == "1.2.840.10045.4.1") return {HashAlgorithm::Sha1, Md::Ecdsa};
  if (o == "1.2.840.10045.4.3.1") return {HashAlgorithm::Sha224, Md::Ecdsa};
  if (o == "1.2.840.10045.4.3.2") return {HashAlgorithm::Sha256, Md::Ecdsa};
  if (o == "1.2.840.10045.4.3.3") return {HashAlgorithm::Sha384, Md::Ecdsa};
  if (o == "1.2.840.10045.4.3.4") return {HashAlgorithm::Sha512, Md::Ecdsa};
  if (o == "1.2.840.10045.2.1") return {hash_from_oid(digest.oid), Md::Ecdsa};
  if (o.rfind("0.4.0.127.0.7.1.1.4.1.", 0) == 0 && o.size() == 23) {
    static constexpr HashAlgorithm kPlain[] = {HashAlgorithm::Sha1, HashAlgorithm::Sha224,
                                               HashAlgorithm::Sha256, HashAlgorithm::Sha384,
                                               HashAlgorithm::Sha512};
    int k = o.back() - '1';
    if (k >= 0 && k < 5) return {kPlain[k], Md::EcdsaPlain};
  }
  if (o == "1.2.840.113549.1.1.5") return {HashAlgorithm::Sha1, Md::Pkcs1};
  if (o == "1.2.840.113549.1.1.14") return {HashAlgorithm::Sha224, Md::Pkcs1};
  if (o == "1.2.840.113549.1.1.11") return {HashAlgorithm::Sha256, Md::Pkcs1};
  if (o == "1.2.840.113549.1.1.12") return {HashAlgorithm::Sha384, Md::Pkcs1};
  if (o == "1.2.840.113549.1.1.13") return {HashAlgorithm::Sha512, Md::Pkcs1};
  if (o == "1.2.840.113549.1.1.1") return {hash_from_oid(digest.oid), Md::Pkcs1};
  if (o == "1.2.840.113549.1.1.10") return {parse_pss(sig.parameters).hash, Md::Pss};
  throw DecodeError("unsupported signature algorithm " + lds::oid_name(o));
}

struct StoreDeleter {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};

// OpenSSL 3 refuses EC keys with explicit domain parameters, which ICAO
// 9303-12 requires. Accept exactly that error, and only when the parameters
// equal a named curve; every other verification error still fails.
int accept_named_explicit_curves(int ok, X509_STORE_CTX* ctx) {
  if (ok == 0 && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_EC_KEY_EXPLICIT_PARAMS) {
    X509* cert = X509_STORE_CTX_get_current_cert(ctx);
    if (cert != nullptr && !named_curve_of_explicit_key(X509_get0_pubkey(cert)).empty()) {
      X509_STORE_CTX_set_error(ctx, X509_V_OK);
      return 1;
    }
  }
  return ok;
}

std::string name_of(X509* cert) { return describe_certificate(cert).subject; }

bool same_name(const X509_NAME* a, const X509_NAME* b) { return X509_NAME_cmp(a, b) == 0; }

}  // namespace

bool verify_signature(EVP_PKEY* key, const lds::AlgorithmIdentifier& signature_algorithm,
                      const lds::AlgorithmIdentifier& digest_algorithm, ByteView message,
                      ByteView signature) {
  if (key == nullptr) return false;  // a certificate whose key OpenSSL could not parse
  Md md = classify(signature_algorithm, digest_algorithm);
  bool key_is_rsa =
      EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA || EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA_PSS;
  bool alg_is_rsa = md.kind == Md::Pkcs1 || md.kind == Md::Pss;
  if (key_is_rsa != alg_is_rsa) return false;
  Bytes sig(signature.begin(), signature.end());
  if (md.kind == Md::EcdsaPlain) sig = plain_to_der(signature);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, evp_md(md.hash), nullptr, key) != 1) {
    ERR_clear_error();
    return false;
  }
  if (md.kind == Md::Pss) {
    PssParams p = parse_pss(signature_algorithm.parameters);
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, p.salt) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, evp_md(p.mgf_hash)) != 1) {
      ERR_clear_error();
      return false;
    }
  } else if (md.kind == Md::Pkcs1) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
  }
  int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size());
  ERR_clear_error();
  return rc == 1;
}

std::vector<Check> passive_authentication(const PassiveAuthInput& in) {
  std::vector<Check> checks;
  const lds::Sod& sod = *in.sod;
  const lds::SignerInfo& si = sod.signer;

  // The signed content.
  if (sod.econtent_type == lds::kOidLdsSecurityObject) {
    checks.push_back(pass("SOD eContentType", "id-icao-mrtd-security-ldsSecurityObject"));
  } else if (sod.econtent_type == lds::kOidLdsSecurityObjectAlternative) {
    checks.push_back(pass("SOD eContentType", "alternative OID 1.3.27.1.1.1 (accepted, not ICAO's)"));
  } else {
    checks.push_back(fail("SOD eContentType", sod.econtent_type + " is not an LDS security object"));
  }
  if (sod.signed_data_version == 3 || sod.signed_data_version == 1) {
    checks.push_back(pass("SOD SignedData version", std::to_string(sod.signed_data_version)));
  } else {
    checks.push_back(
        fail("SOD SignedData version", std::to_string(sod.signed_data_version) + " (expected 3)"));
  }
  if (si.signed_attributes.empty()) {
    checks.push_back(fail("SOD signed attributes", "missing (ICAO 9303-10 requires them)"));
  } else if (si.content_type != sod.econtent_type) {
    checks.push_back(fail("SOD signed attributes",
                          "contentType attribute " + si.content_type + " differs from eContentType"));
  } else {
    checks.push_back(pass("SOD signed attributes",
                          "contentType, messageDigest" +
                              std::string(si.signing_time ? ", signingTime " + si.signing_time_text : "")));
  }
  try {
    HashAlgorithm h = hash_from_oid(si.digest_algorithm.oid);
    if (!si.message_digest.empty() && digest(h, sod.econtent) == si.message_digest) {
      checks.push_back(pass("SOD messageDigest", hash_name(h) + " of the LDS security object"));
    } else {
      checks.push_back(
          fail("SOD messageDigest", "does not match the " + hash_name(h) + " of the LDS security object"));
    }
  } catch (const Error& e) {
    checks.push_back(fail("SOD messageDigest", e.what()));
  }

  // The Document Signer certificate and the signature.
  X509Ptr ds;
  for (const auto& der_cert : sod.certificates) {
    auto cert = parse_certificate(der_cert, "EF.SOD certificate");
    bool matches = false;
    if (!si.issuer.empty()) {
      const unsigned char* p = si.issuer.data();
      X509_NAME* issuer = d2i_X509_NAME(nullptr, &p, static_cast<long>(si.issuer.size()));
      const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
      matches = issuer != nullptr && same_name(issuer, X509_get_issuer_name(cert.get())) &&
                static_cast<std::size_t>(serial->length) == si.serial.size() &&
                std::equal(si.serial.begin(), si.serial.end(), serial->data);
      // A leading zero byte of a positive serial is not in ASN1_INTEGER's data.
      if (!matches && issuer != nullptr && si.serial.size() == static_cast<std::size_t>(serial->length) + 1 &&
          si.serial[0] == 0) {
        matches = same_name(issuer, X509_get_issuer_name(cert.get())) &&
                  std::equal(si.serial.begin() + 1, si.serial.end(), serial->data);
      }
      X509_NAME_free(issuer);
    } else {
      const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert.get());
      matches = ski != nullptr && static_cast<std::size_t>(ski->length) == si.subject_key_identifier.size() &&
                std::equal(si.subject_key_identifier.begin(), si.subject_key_identifier.end(), ski->data);
    }
    if (matches) {
      ds = std::move(cert);
      break;
    }
  }
  if (!ds) {
    checks.push_back(fail("DS certificate", "EF.SOD holds no certificate matching its SignerInfo"));
  } else {
    auto info = describe_certificate(ds.get());
    checks.push_back(pass("DS certificate", info.subject + ", serial " + info.serial + ", " + info.key_type));
    bool ok = false;
    std::string why;
    try {
      ok = !si.signed_attributes.empty() &&
           verify_signature(X509_get0_pubkey(ds.get()), si.signature_algorithm, si.digest_algorithm,
                            si.signed_attributes, si.signature);
    } catch (const Error& e) {
      why = e.what();
    }
    if (ok) {
      checks.push_back(pass("SOD signature", lds::oid_name(si.signature_algorithm.oid)));
    } else {
      checks.push_back(fail("SOD signature", why.empty()
                                                 ? lds::oid_name(si.signature_algorithm.oid) +
                                                       " signature does not verify with the DS certificate"
                                                 : why));
    }

    // Validity at the time of signing (the document stays valid after the DS expires).
    long long when = si.signing_time ? *si.signing_time : static_cast<long long>(std::time(nullptr));
    std::string when_text =
        si.signing_time ? "signing time " + si.signing_time_text : "now (no signing time)";
    long long nb = asn1_time_seconds(X509_get0_notBefore(ds.get()));
    long long na = asn1_time_seconds(X509_get0_notAfter(ds.get()));
    if (when >= nb && when <= na) {
      checks.push_back(pass("DS validity at signing", info.not_before + " .. " + info.not_after));
    } else {
      checks.push_back(fail("DS validity at signing",
                            when_text + " is outside " + info.not_before + " .. " + info.not_after));
    }

    // Chain to a CSCA, at the signing time.
    if (in.cscas.empty()) {
      checks.push_back(fail("DS chain to CSCA", "no CSCA certificate given (--csca)"));
    } else {
      std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
      for (X509* c : in.cscas) X509_STORE_add_cert(store.get(), c);
      std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
      X509_STORE_CTX_init(ctx.get(), store.get(), ds.get(), nullptr);
      X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), static_cast<time_t>(when));
      X509_STORE_CTX_set_verify_cb(ctx.get(), accept_named_explicit_curves);
      if (X509_verify_cert(ctx.get()) == 1) {
        X509* anchor = X509_STORE_CTX_get0_current_issuer(ctx.get());
        checks.push_back(pass("DS chain to CSCA", anchor != nullptr ? "issued by " + name_of(anchor) : ""));
      } else {
        int err = X509_STORE_CTX_get_error(ctx.get());
        checks.push_back(fail("DS chain to CSCA",
                              std::string(X509_verify_cert_error_string(err)) + " (at " + when_text + ")"));
      }
      ERR_clear_error();
    }

    // Revocation, when CRLs are given.
    if (in.crls.empty()) {
      checks.push_back(skip("DS revocation", "no CRL given"));
    } else {
      bool found_crl = false;
      std::string verdict;
      bool revoked = false, bad_crl = false;
      for (X509_CRL* crl : in.crls) {
        if (!same_name(X509_CRL_get_issuer(crl), X509_get_issuer_name(ds.get()))) continue;
        found_crl = true;
        bool signed_by_csca = false;
        for (X509* c : in.cscas) {
          if (same_name(X509_get_subject_name(c), X509_CRL_get_issuer(crl)) &&
              X509_CRL_verify(crl, X509_get0_pubkey(c)) == 1) {
            signed_by_csca = true;
          }
        }
        ERR_clear_error();
        if (!signed_by_csca) {
          bad_crl = true;
          continue;
        }
        X509_REVOKED* entry = nullptr;
        if (X509_CRL_get0_by_serial(crl, &entry, X509_get0_serialNumber(ds.get())) == 1) revoked = true;
      }
      if (!found_crl) {
        checks.push_back(fail("DS revocation", "no given CRL is issued by the DS certificate's issuer"));
      } else if (bad_crl) {
        checks.push_back(fail("DS revocation", "the CRL's signature does not verify with the CSCA"));
      } else if (revoked) {
        checks.push_back(fail("DS revocation", "the DS certificate is revoked"));
      } else {
        checks.push_back(pass("DS revocation", "not on the CSCA's CRL"));
      }
    }
  }

  // Data group hashes.
  HashAlgorithm lso_hash = HashAlgorithm::Sha256;
  bool hash_known = true;
  try {
    lso_hash = hash_from_oid(sod.lso.hash_algorithm_oid);
  } catch (const Error& e) {
    hash_known = false;
    checks.push_back(fail("data group hashes", e.what()));
  }
  if (hash_known) {
    for (const auto& h : sod.lso.hashes) {
      std::string name = "DG" + std::to_string(h.number) + " hash";
      auto it = in.data_groups.find(h.number);
      auto withheld = in.withheld.find(h.number);
      if (it == in.data_groups.end() && withheld != in.withheld.end()) {
        checks.push_back(skip(name, "DG" + std::to_string(h.number) + " " + withheld->second));
      } else if (it == in.data_groups.end()) {
        checks.push_back(fail(name, "DG" + std::to_string(h.number) + " is in EF.SOD but missing"));
      } else if (digest(lso_hash, it->second) == h.hash) {
        checks.push_back(pass(name, hash_name(lso_hash)));
      } else {
        checks.push_back(fail(name, "DG" + std::to_string(h.number) + " does not match its " +
                                        hash_name(lso_hash) + " in EF.SOD (changed after signing)"));
      }
    }
    for (const auto& [dg, bytes] : in.data_groups) {
      bool listed = std::any_of(sod.lso.hashes.begin(), sod.lso.hashes.end(),
                                [dg = dg](const lds::DataGroupHash& h) { return h.number == dg; });
      if (!listed)
        checks.push_back(fail("DG" + std::to_string(dg) + " hash", "present but not signed in EF.SOD"));
    }
  }

  if (in.com_data_groups) {
    std::vector<int> com = *in.com_data_groups, signed_dgs;
    for (const auto& h : sod.lso.hashes) signed_dgs.push_back(h.number);
    std::sort(com.begin(), com.end());
    std::sort(signed_dgs.begin(), signed_dgs.end());
    if (com == signed_dgs) {
      checks.push_back(pass("EF.COM matches EF.SOD", std::to_string(com.size()) + " data groups"));
    } else {
      auto list = [](const std::vector<int>& v) {
        std::string s;
        for (int d : v) s += (s.empty() ? "DG" : ", DG") + std::to_string(d);
        return s;
      };
      checks.push_back(
          fail("EF.COM matches EF.SOD", "EF.COM lists " + list(com) + "; EF.SOD signs " + list(signed_dgs)));
    }
  }
  return checks;
}

}  // namespace rcperso::pki
