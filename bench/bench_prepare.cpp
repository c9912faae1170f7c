// Benchmark (not a test): prepared chip images per second on one core, and
// peak memory. Prints figures; docs/architecture.md records them.
//
//   bench_prepare [--seconds N] [--cards N] [--case a|b|c|d|e|f|g]
//
// --cards N prepares exactly N cards per case instead of running for a time,
// so an instruction count (valgrind --tool=callgrind) is repeatable.
//
// (a) face already within budget (480x640 JPEG <= 20 000 bytes, kept as is), and the signature a
//     grayscale JPEG within the profile's size and budget (kept as is)
// (b) a 1200x1600 face that must be scaled and re-encoded (signature PNG, re-encoded)
// (e) is (a) with the signature as a PNG (re-encoded to JPEG: (a) before DG7 kept JPEGs as given);
// (g) is (a) with a P-256 Chip Authentication key instead of the profile's brainpoolP256r1;
// In both, fingerprints arrive as WSQ within budget (as capture stations
// deliver them) and are kept after a header and ridge check from the wavelet
// coefficients; (c) also re-encodes PNG fingerprints to WSQ at 0.75 bpp;
// (d) is (a) with a JPEG 2000 profile and JPEG 2000 fingers, for comparison;
// (f) times the face alone: the 1200x1600 JPEG decoded, fitted to 480x640
// and encoded within 20 000 bytes, as JPEG and as JPEG 2000.
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "image/wsq.hpp"
#include "issuance/application.hpp"
#include "issuance/face.hpp"
#include "issuance/prepare.hpp"
#include "pki/signer.hpp"
#include "test_support.hpp"

using namespace rcperso;

namespace {

// CPU time of this thread: on a shared machine wall time also counts waiting for the core.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double run_case(const char* label, const test::TempDir& dir, const nlohmann::json& record,
                const issuance::DocumentProfile& profile, pki::Signer& signer, double seconds,
                int card_count) {
  issuance::LoadOptions load;
  auto options = test::prepare_options(profile);
  std::string text = record.dump();
  auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_seconds();
  int cards = 0;
  std::size_t sod_bytes = 0;
  double elapsed = 0;
  do {
    auto app = issuance::parse_application(text, dir.path(), "bench.json", profile, load);
    auto chip = issuance::prepare(app, profile, signer, options);
    sod_bytes = chip.files.at("EF.SOD").size();
    ++cards;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (card_count > 0 ? cards < card_count : elapsed < seconds);
  const double cpu = cpu_seconds() - cpu_start;
  double rate = cards / elapsed;
  std::printf(
      "%-58s %8.1f cards/s  (%d cards, %.2f ms/card; CPU %.2f ms/card = %.0f cards/s; EF.SOD %zu bytes)\n",
      label, rate, cards, 1000.0 * elapsed / cards, 1000.0 * cpu / cards, cards / cpu, sod_bytes);
  return rate;
}

/// Milliseconds per face for decode + fit + encode within the budget (what preparation spends on DG2).
void time_face(const char* label, const test::TempDir& dir, const std::string& file,
               const issuance::DocumentProfile& profile, double seconds, int face_count) {
  issuance::InputImage in;
  in.path = dir / file;
  in.data = read_file(in.path.string());
  in.info = image::probe(in.data, file);
  auto start = std::chrono::steady_clock::now();
  int faces = 0;
  double elapsed = 0;
  std::string note;
  do {
    issuance::decode_face(in, profile);
    (void)issuance::face_image_data(in, profile, note);
    ++faces;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (face_count > 0 ? faces < face_count : elapsed < seconds);
  std::printf("%-58s %8.1f ms/face  (%d faces; %s)\n", label, 1000.0 * elapsed / faces, faces, note.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3.0;
  int card_count = 0;  // --cards N: exactly N cards per case (0: run for --seconds)
  std::string only;    // --case a|b|c|d|f: one case, e.g. under a profiler
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: bench_prepare [--seconds N] [--cards N] [--case a|b|c|d|e|f|g]\n");
      return 0;
    }
  }
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::stod(argv[i + 1]);
    if (std::strcmp(argv[i], "--case") == 0) only = argv[i + 1];
    if (std::strcmp(argv[i], "--cards") == 0) card_count = std::stoi(argv[i + 1]);
  }
  auto wanted = [&](const char* name) { return only.empty() || only == name; };
  auto profile = issuance::DocumentProfile::load(std::string(RCPERSO_SOURCE_DIR) +
                                                 "/profiles/documents/dk-residence-card.json");
  auto signer = pki::open_signer(std::string(RCPERSO_SOURCE_DIR) + "/keys-sample/ds-p256");

  test::TempDir dir;
  test::write_example_images(dir);
  auto in_budget = image::encode_jpeg_within(test::synthetic_face(480, 640), 20000, 30, 95, "face");
  dir.write("face_480.jpg", in_budget.data);
  dir.write("face_1200.jpg", image::encode_jpeg(test::synthetic_face(1200, 1600), 92));
  // A signature as a capture pad might deliver it: a grayscale JPEG within 600x200 and 10 000 bytes.
  dir.write("signature_kept.jpg", image::encode_jpeg_within(test::synthetic_signature(600, 200),
                                                            profile.signature.max_bytes, 20, 95, "signature")
                                      .data);
  // WSQ fingers as a capture station would deliver them: the example fingers (the PNGs of
  // write_example_images) at 0.75 bpp within 18 000 bytes.
  for (const char* finger : {"right_index", "left_index"}) {
    auto gray = image::decode(read_file((dir / (std::string(finger) + ".png")).string()), finger);
    auto wsq = image::wsq::encode_within(gray, profile.fingerprints.max_bytes, 0.25,
                                         profile.fingerprints.bitrate, finger);
    dir.write(std::string(finger) + ".wsq", wsq.data);
    dir.write(std::string(finger) + ".jp2", image::encode_jpeg2000(gray, 12.0));
  }

  auto record = nlohmann::json::parse(test::example_application_json());
  record["biometrics"]["fingerprints"][0]["image"] = "right_index.wsq";
  record["biometrics"]["fingerprints"][1]["image"] = "left_index.wsq";

  std::printf("rcperso prepare benchmark: one core, DS %s, %.0f s per case\n", signer->key_type().c_str(),
              seconds);
  record["biometrics"]["face"] = "face_480.jpg";
  auto kept = record;
  kept["biometrics"]["signature"] = "signature_kept.jpg";
  if (wanted("a"))
    run_case("(a) face, WSQ fingers, JPEG signature within budget (kept)", dir, kept, profile, *signer,
             seconds, card_count);
  if (wanted("e"))
    run_case("(e) as (a), the signature a PNG (re-encoded)", dir, record, profile, *signer, seconds,
             card_count);
  if (wanted("g")) {
    auto p256_ca = profile;
    p256_ca.chip_authentication->curve = "prime256v1";
    run_case("(g) as (a), a P-256 Chip Authentication key", dir, kept, p256_ca, *signer, seconds, card_count);
  }
  record["biometrics"]["face"] = "face_1200.jpg";
  if (wanted("b"))
    run_case("(b) 1200x1600 face scaled + re-encoded, WSQ fingers kept", dir, record, profile, *signer,
             seconds, card_count);
  auto full = nlohmann::json::parse(test::example_application_json());
  full["biometrics"]["face"] = "face_1200.jpg";
  if (wanted("c"))
    run_case("(c) 1200x1600 face + PNG fingers, all re-encoded (WSQ)", dir, full, profile, *signer, seconds,
             card_count);

  auto jp2_profile = profile;
  jp2_profile.fingerprints.format = "jpeg2000";
  record["biometrics"]["face"] = "face_480.jpg";
  record["biometrics"]["fingerprints"][0]["image"] = "right_index.jp2";
  record["biometrics"]["fingerprints"][1]["image"] = "left_index.jp2";
  if (wanted("d"))
    run_case("(d) as (a) with a JPEG 2000 profile, JP2 fingers kept", dir, record, jp2_profile, *signer,
             seconds, card_count);

  if (wanted("f")) {
    time_face("(f) face re-encode 1200x1600 -> 480x640 JPEG", dir, "face_1200.jpg", profile, seconds,
              card_count);
    auto jp2_face = profile;
    jp2_face.face.format = "jpeg2000";
    time_face("(f) face re-encode 1200x1600 -> 480x640 JPEG 2000", dir, "face_1200.jpg", jp2_face, seconds,
              card_count);
  }

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS: %.1f MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
