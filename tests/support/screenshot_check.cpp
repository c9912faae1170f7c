// Test helper for tests/integration/html_report.sh: reads a browser
// screenshot (PNG) with our own decoder and prints what the script asserts on.
//   rcperso_screenshot_check SHOT.png [RRGGBB ...]
// prints "width height colours" and then, for each colour given, how many
// pixels have exactly that colour.
#include <cstdio>
#include <iostream>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "image/image.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: rcperso_screenshot_check SHOT.png [RRGGBB ...]\n";
    return 2;
  }
  try {
    auto raster = rcperso::image::to_rgb(rcperso::image::decode(rcperso::read_file(argv[1]), argv[1]));
    std::vector<unsigned> wanted;
    for (int i = 2; i < argc; ++i) wanted.push_back(static_cast<unsigned>(std::stoul(argv[i], nullptr, 16)));
    std::vector<std::size_t> counts(wanted.size(), 0);
    std::unordered_set<unsigned> colours;
    const auto& p = raster.pixels;
    for (std::size_t i = 0; i + 2 < p.size(); i += 3) {
      unsigned rgb = (unsigned{p[i]} << 16) | (unsigned{p[i + 1]} << 8) | unsigned{p[i + 2]};
      colours.insert(rgb);
      for (std::size_t k = 0; k < wanted.size(); ++k) counts[k] += rgb == wanted[k] ? 1 : 0;
    }
    std::cout << raster.width << " " << raster.height << " " << colours.size();
    for (auto c : counts) std::cout << " " << c;
    std::cout << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rcperso_screenshot_check: " << e.what() << "\n";
    return 2;
  }
}
