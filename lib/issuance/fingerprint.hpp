// Fingerprint images for DG3: what is accepted, how much is decoded, and the
// image data a card gets (kept as given, or encoded to the profile's format).
// Shared by preparation and `rcperso image --finger`, so that both give the
// same bytes.
#pragma once

#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "issuance/application.hpp"
#include "issuance/document_profile.hpp"

namespace rcperso::issuance {

/// Fills `in.ppi` and `in.raster` from `in.data` and `in.info` (already
/// probed): nothing for a WSQ kept as given (it is checked from its
/// coefficients), half size for a JPEG 2000 kept as given, else in full.
/// Throws DecodeError naming the file.
void decode_fingerprint(InputImage& in, const DocumentProfile& profile);

/// The resolution a WSQ's NIST_COM, a PNG's pHYs or a JP2's res box states, in ppi; -1 when it
/// states none (or for other formats).
int stated_ppi(ByteView data, image::Format format, const std::string& what);

/// Why the input cannot be used (format, depth, size, resolution, ridge
/// contrast), each message naming the file; empty when it can.
std::vector<std::string> fingerprint_problems(const InputImage& in, const DocumentProfile& profile);

/// The image DG3 stores for this input; `note` says what was done
/// ("kept as given, WSQ 17829 bytes", "WSQ 0.75 bpp, 14995 bytes"). Throws
/// Error naming the file when it cannot be made to fit the budget.
Bytes fingerprint_image_data(const InputImage& in, const DocumentProfile& profile, std::string& note);

/// The lowest WSQ rate tried when the profile's rate does not fit the
/// budget (a third of the standard 0.75 bpp; below it ridges break up).
inline constexpr double kLowestFingerBitrate = 0.25;

}  // namespace rcperso::issuance
