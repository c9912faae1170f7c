// What is on a chip image, for people: every file decoded (rcdump).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "issuance/chip_image.hpp"

namespace rcperso::inspection {

/// Every file decoded: MRZ fields, biometric headers, DG11/DG12 fields, SOD
/// hashes and signer, certificates. Image bytes are summarised, not included.
nlohmann::ordered_json describe_chip(const issuance::ChipImage& chip);
/// The same as indented text.
std::string render_text(const nlohmann::ordered_json& description);
/// Writes the face, fingers, signature and DS certificate as ordinary files
/// into a new directory (created atomically); returns the file names written.
std::vector<std::string> extract_chip(const issuance::ChipImage& chip, const std::filesystem::path& dir);

}  // namespace rcperso::inspection
