// The elementary files of the eMRTD application (ICAO 9303-10).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tlv/tlv.hpp"

namespace rcperso::lds {

inline constexpr const char* kEmrtdAid = "A0000002471001";

struct FileInfo {
  const char* name;  // "EF.COM", "EF.DG1" ...
  std::uint16_t fid;
  std::uint8_t sfi;
  tlv::Tag tag;  // 0 if the file has no outer tag
  int dg;        // 1..16, 0 otherwise
};

const std::vector<FileInfo>& all_files();
const FileInfo* file_by_name(std::string_view name);
const FileInfo* file_by_dg(int dg);
const FileInfo* file_by_tag(tlv::Tag tag);

}  // namespace rcperso::lds
