// Benchmark (not a test): WSQ encode and decode throughput on one core, in
// megapixels per second and milliseconds per 400x500 finger (a centre crop of
// a NIST sample), measured in thread CPU time. Prints figures;
// docs/architecture.md records them.
//
//   bench_wsq [--seconds N]
#include <time.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "core/bytes.hpp"
#include "image/image.hpp"
#include "image/wsq.hpp"

using namespace rcperso;

namespace {

image::Raster centre_crop(const image::Raster& in, int width, int height) {
  image::Raster out;
  out.width = width;
  out.height = height;
  out.channels = 1;
  out.pixels.resize(static_cast<std::size_t>(width) * height);
  int x0 = (in.width - width) / 2, y0 = (in.height - height) / 2;
  for (int y = 0; y < height; ++y) {
    std::memcpy(out.pixels.data() + static_cast<std::size_t>(y) * width,
                in.pixels.data() + static_cast<std::size_t>(y0 + y) * in.width + x0,
                static_cast<std::size_t>(width));
  }
  return out;
}

// CPU time of this thread: the machine is shared, and wall time would count
// the time other processes hold the core.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void run(const char* label, double megapixels, double seconds, const std::function<std::size_t()>& once) {
  std::size_t bytes = once();  // warm-up
  double start = cpu_seconds();
  int runs = 0;
  double elapsed = 0;
  do {
    bytes = once();
    ++runs;
    elapsed = cpu_seconds() - start;
  } while (elapsed < seconds);
  double per = elapsed / runs;
  std::printf("%-44s %7.2f ms/image  %6.1f Mpixel/s  (%d runs, %zu bytes)\n", label, 1000.0 * per,
              megapixels / per, runs, bytes);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::stod(argv[i + 1]);
  }
  std::string dir = std::string(RCPERSO_SOURCE_DIR) + "/tests/data/nist-wsq/";
  image::Raster full = image::to_gray(image::decode(read_file(dir + "fp-1.png"), "fp-1.png"));
  image::Raster finger = centre_crop(full, 400, 500);
  Bytes finger_wsq = image::wsq::encode(finger, {}, "finger");
  Bytes nist_wsq = read_file(dir + "fp-1.wsq");
  double finger_mp = 400.0 * 500.0 / 1e6;
  double full_mp = double(full.width) * full.height / 1e6;

  run("encode 400x500 finger at 0.75 bpp", finger_mp, seconds,
      [&] { return image::wsq::encode(finger, {}, "finger").size(); });
  run("encode 400x500 finger within 15 000 bytes", finger_mp, seconds,
      [&] { return image::wsq::encode_within(finger, 15000, 0.3, 2.0, "finger").data.size(); });
  run("decode 400x500 finger", finger_mp, seconds,
      [&] { return image::wsq::decode(finger_wsq, "finger").raster.pixels.size(); });
  run("ridge contrast of the 400x500 finger (WSQ)", finger_mp, seconds,
      [&] { return static_cast<std::size_t>(image::wsq::ridge_contrast(finger_wsq, "finger").ridge_rms); });
  run("decode NIST fp-1.wsq (804x752)", full_mp, seconds,
      [&] { return image::wsq::decode(nist_wsq, "fp-1.wsq").raster.pixels.size(); });
  run("encode fp-1 (804x752) at 0.75 bpp", full_mp, seconds,
      [&] { return image::wsq::encode(full, {}, "fp-1").size(); });
  return 0;
}
