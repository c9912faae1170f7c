// Passive Authentication (ICAO 9303-11 §5.1, 9303-12): is the chip's data
// what the issuer signed, and does the signer chain to a trusted CSCA?
#pragma once

#include <map>
#include <optional>
#include <vector>

#include <openssl/x509.h>

#include "core/check.hpp"
#include "lds/sod.hpp"

namespace rcperso::pki {

struct PassiveAuthInput {
  const lds::Sod* sod = nullptr;
  std::map<int, Bytes> data_groups;                 // DG number -> file bytes as read
  std::optional<std::vector<int>> com_data_groups;  // from EF.COM, when present
  /// Data groups the chip did not release to this reader (EF.DG3 without Terminal Authentication):
  /// their hashes are not checked, which is reported as a skip, not a failure.
  std::map<int, std::string> withheld;
  std::vector<X509*> cscas;     // trust anchors
  std::vector<X509_CRL*> crls;  // optional
};

std::vector<Check> passive_authentication(const PassiveAuthInput& in);

/// Verifies a CMS signature over `message` with `key` for the given signature
/// algorithm (and the SignerInfo's digest algorithm where the signature
/// algorithm does not name one). Throws DecodeError for unsupported algorithms.
bool verify_signature(EVP_PKEY* key, const lds::AlgorithmIdentifier& signature_algorithm,
                      const lds::AlgorithmIdentifier& digest_algorithm, ByteView message, ByteView signature);

}  // namespace rcperso::pki
