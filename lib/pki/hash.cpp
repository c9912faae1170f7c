#include "pki/hash.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace rcperso::pki {

HashAlgorithm hash_from_name(const std::string& name) {
  std::string n;
  for (char c : name) {
    if (c != '-' && c != '_') n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (n == "sha1") return HashAlgorithm::Sha1;
  if (n == "sha224") return HashAlgorithm::Sha224;
  if (n == "sha256") return HashAlgorithm::Sha256;
  if (n == "sha384") return HashAlgorithm::Sha384;
  if (n == "sha512") return HashAlgorithm::Sha512;
  throw Error("unknown hash algorithm '" + name + "'");
}

HashAlgorithm hash_from_oid(const std::string& oid) {
  if (oid == "1.3.14.3.2.26") return HashAlgorithm::Sha1;
  if (oid == "2.16.840.1.101.3.4.2.4") return HashAlgorithm::Sha224;
  if (oid == "2.16.840.1.101.3.4.2.1") return HashAlgorithm::Sha256;
  if (oid == "2.16.840.1.101.3.4.2.2") return HashAlgorithm::Sha384;
  if (oid == "2.16.840.1.101.3.4.2.3") return HashAlgorithm::Sha512;
  throw DecodeError("unsupported hash algorithm OID " + oid);
}

std::string hash_oid(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::Sha1:
      return "1.3.14.3.2.26";
    case HashAlgorithm::Sha224:
      return "2.16.840.1.101.3.4.2.4";
    case HashAlgorithm::Sha256:
      return "2.16.840.1.101.3.4.2.1";
    case HashAlgorithm::Sha384:
      return "2.16.840.1.101.3.4.2.2";
    case HashAlgorithm::Sha512:
      return "2.16.840.1.101.3.4.2.3";
  }
  return "";
}

std::string hash_name(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::Sha1:
      return "SHA-1";
    case HashAlgorithm::Sha224:
      return "SHA-224";
    case HashAlgorithm::Sha256:
      return "SHA-256";
    case HashAlgorithm::Sha384:
      return "SHA-384";
    case HashAlgorithm::Sha512:
      return "SHA-512";
  }
  return "";
}

std::size_t hash_size(HashAlgorithm h) { return static_cast<std::size_t>(EVP_MD_get_size(evp_md(h))); }

const EVP_MD* evp_md(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::Sha1:
      return EVP_sha1();
    case HashAlgorithm::Sha224:
      return EVP_sha224();
    case HashAlgorithm::Sha256:
      return EVP_sha256();
    case HashAlgorithm::Sha384:
      return EVP_sha384();
    case HashAlgorithm::Sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

Bytes digest(HashAlgorithm h, ByteView data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, evp_md(h), nullptr) != 1) throw Error("digest failed");
  return Bytes(md, md + len);
}

std::string sha256_hex(ByteView data) { return to_hex(digest(HashAlgorithm::Sha256, data)); }

}  // namespace rcperso::pki
