// Big-endian byte strings as Crypto++ integers, shared by the chip's protocols.
#pragma once

#include <cryptopp/integer.h>

#include "rcsim/chip_crypto.hpp"

namespace rcsim {

inline CryptoPP::Integer integer(const Bytes& b) { return CryptoPP::Integer(b.data(), b.size()); }

}  // namespace rcsim
