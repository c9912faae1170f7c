// DG7: displayed signature or usual mark.
#pragma once

#include <vector>

#include "core/bytes.hpp"

namespace rcperso::lds {

struct Dg7 {
  std::vector<Bytes> images;  // 5F43, JPEG (or JPEG 2000)

  Bytes encode() const;
  static Dg7 decode(ByteView data);
};

}  // namespace rcperso::lds
