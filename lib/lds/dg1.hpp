// DG1: the MRZ.
#pragma once

#include <string>

#include "core/bytes.hpp"

namespace rcperso::lds {

struct Dg1 {
  std::string mrz;  // 90 (TD1), 72 (TD2) or 88 (TD3) characters, no line breaks

  Bytes encode() const;
  static Dg1 decode(ByteView data);
};

}  // namespace rcperso::lds
