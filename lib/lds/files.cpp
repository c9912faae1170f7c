#include "lds/files.hpp"

namespace rcperso::lds {

const std::vector<FileInfo>& all_files() {
  static const std::vector<FileInfo> kFiles = {
      {"EF.COM", 0x011E, 0x1E, 0x60, 0},   {"EF.SOD", 0x011D, 0x1D, 0x77, 0},
      {"EF.DG1", 0x0101, 0x01, 0x61, 1},   {"EF.DG2", 0x0102, 0x02, 0x75, 2},
      {"EF.DG3", 0x0103, 0x03, 0x63, 3},   {"EF.DG4", 0x0104, 0x04, 0x76, 4},
      {"EF.DG5", 0x0105, 0x05, 0x65, 5},   {"EF.DG6", 0x0106, 0x06, 0x66, 6},
      {"EF.DG7", 0x0107, 0x07, 0x67, 7},   {"EF.DG8", 0x0108, 0x08, 0x68, 8},
      {"EF.DG9", 0x0109, 0x09, 0x69, 9},   {"EF.DG10", 0x010A, 0x0A, 0x6A, 10},
      {"EF.DG11", 0x010B, 0x0B, 0x6B, 11}, {"EF.DG12", 0x010C, 0x0C, 0x6C, 12},
      {"EF.DG13", 0x010D, 0x0D, 0x6D, 13}, {"EF.DG14", 0x010E, 0x0E, 0x6E, 14},
      {"EF.DG15", 0x010F, 0x0F, 0x6F, 15}, {"EF.DG16", 0x0110, 0x10, 0x70, 16},
      {"EF.CVCA", 0x011C, 0x1C, 0, 0},     {"EF.CardAccess", 0x011C, 0x1C, 0, 0},
  };
  return kFiles;
}

const FileInfo* file_by_name(std::string_view name) {
  for (const auto& f : all_files()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

const FileInfo* file_by_dg(int dg) {
  for (const auto& f : all_files()) {
    if (f.dg == dg && dg != 0) return &f;
  }
  return nullptr;
}

const FileInfo* file_by_tag(tlv::Tag tag) {
  for (const auto& f : all_files()) {
    if (f.tag == tag && tag != 0) return &f;
  }
  return nullptr;
}

}  // namespace rcperso::lds
