// The face image DG2 stores: kept as given, or fitted to the profile's size
// and encoded to its format (JPEG or JPEG 2000) within its byte budget.
// Shared by preparation and `rcperso image --face`, so that both give the
// same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "issuance/application.hpp"
#include "issuance/document_profile.hpp"

namespace rcperso::issuance {

/// 19794-5 face image data type of the profile's format: 0 JPEG, 1 JPEG 2000.
std::uint8_t face_image_data_type(const FaceSettings& face);

/// The file extensions `rcperso image --face` writes for the profile's format.
const char* face_file_extension(const FaceSettings& face);

/// Fills `face.raster` from `face.data` and `face.info` (already probed):
/// a face kept as given is decoded at reduced size (it is only validated),
/// one to be re-encoded at no less than the profile's size. Throws
/// DecodeError naming the file.
void decode_face(InputImage& face, const DocumentProfile& profile);

/// Why the input cannot be used (format, colour space, bit depth, size,
/// orientation), each message naming the file; empty when it can. From the
/// header alone, so it may run before decoding.
std::vector<std::string> face_problems(const InputImage& face, const DocumentProfile& profile);

/// The image data for DG2; `note` says what was done ("kept as given: ...",
/// "re-encoded 480x640 JPEG 2000 ratio 46.1:1, 19712 bytes"). Throws Error
/// naming the file when it cannot be made to fit the budget.
Bytes face_image_data(const InputImage& face, const DocumentProfile& profile, std::string& note);

}  // namespace rcperso::issuance
