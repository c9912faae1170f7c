// Owning pointers for OpenSSL objects, one set for the whole library. Big
// numbers and points are cleared on release: they may hold private keys.
#pragma once

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

namespace rcperso {

template <auto Free>
struct OpensslFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using BnPtr = std::unique_ptr<BIGNUM, OpensslFree<BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, OpensslFree<BN_CTX_free>>;
using GroupPtr = std::unique_ptr<EC_GROUP, OpensslFree<EC_GROUP_free>>;
using PointPtr = std::unique_ptr<EC_POINT, OpensslFree<EC_POINT_clear_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpensslFree<ECDSA_SIG_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpensslFree<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslFree<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpensslFree<EVP_MD_CTX_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OpensslFree<OSSL_PARAM_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OpensslFree<OSSL_PARAM_BLD_free>>;
using BioPtr = std::unique_ptr<BIO, OpensslFree<BIO_free>>;

}  // namespace rcperso
