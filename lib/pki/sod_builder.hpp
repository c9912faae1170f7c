// Builds EF.SOD: the LDSSecurityObject in a CMS SignedData (RFC 5652) as
// ICAO 9303-10 profiles it: version 3, the DS certificate included, one
// SignerInfo with contentType, messageDigest and signingTime.
#pragma once

#include <ctime>

#include "lds/sod.hpp"
#include "pki/signer.hpp"

namespace rcperso::pki {

Bytes build_sod(const lds::LdsSecurityObject& lso, Signer& signer, HashAlgorithm hash, SignatureScheme scheme,
                std::time_t signing_time);

}  // namespace rcperso::pki
