// Per-codec entry points behind image.hpp.
#pragma once

#include <string>

#include "image/image.hpp"

namespace rcperso::image {

/// Throws DecodeError unless 1 <= w, h <= kMaxDimension and w*h <= kMaxPixels.
void check_dimensions(long long width, long long height, const std::string& what);

Info probe_jpeg(ByteView data, const std::string& what);
Raster decode_jpeg(ByteView data, const std::string& what, int min_width, int min_height);
Info probe_png(ByteView data, const std::string& what);
Raster decode_png(ByteView data, const std::string& what);
Info probe_jpeg2000(ByteView data, const std::string& what);
Raster decode_jpeg2000(ByteView data, const std::string& what, int min_width, int min_height);

}  // namespace rcperso::image
