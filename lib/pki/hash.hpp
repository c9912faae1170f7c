// Hash algorithms of the LDS security object and CMS.
#pragma once

#include <string>

#include <openssl/evp.h>

#include "core/bytes.hpp"

namespace rcperso::pki {

enum class HashAlgorithm { Sha1, Sha224, Sha256, Sha384, Sha512 };

/// "SHA-256", "sha256", "SHA256" ...; throws rcperso::Error for others.
HashAlgorithm hash_from_name(const std::string& name);
/// From an AlgorithmIdentifier OID; throws DecodeError for unknown OIDs.
HashAlgorithm hash_from_oid(const std::string& oid);
std::string hash_oid(HashAlgorithm h);
std::string hash_name(HashAlgorithm h);
std::size_t hash_size(HashAlgorithm h);
const EVP_MD* evp_md(HashAlgorithm h);
Bytes digest(HashAlgorithm h, ByteView data);
/// Lower-case hex SHA-256: how the manifest and the journal name file contents.
std::string sha256_hex(ByteView data);

}  // namespace rcperso::pki
