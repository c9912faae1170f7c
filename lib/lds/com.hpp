// EF.COM: LDS version, Unicode version and the list of data groups present.
#pragma once

#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "tlv/tlv.hpp"

namespace rcperso::lds {

struct Com {
  std::string lds_version = "0108";        // 5F01, "aabb"
  std::string unicode_version = "040000";  // 5F36, "aabbcc"
  std::vector<tlv::Tag> tags;              // 5C, one byte per data group

  /// Data group numbers from the tag list.
  std::vector<int> data_groups() const;
  Bytes encode() const;
  static Com decode(ByteView data);
};

}  // namespace rcperso::lds
