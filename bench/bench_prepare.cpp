// Benchmark (not a test): prepared chip images per second on one core, and
// peak memory. Prints figures; docs/architecture.md records them.
//
//   bench_prepare [--seconds N]
//
// (a) face already within budget (480x640 JPEG <= 20 000 bytes, kept as is)
// (b) a 1200x1600 face that must be scaled and re-encoded
// In both, fingerprints arrive as JPEG 2000 within budget (as capture
// stations deliver them) and are kept; (c) also re-encodes PNG fingerprints.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "issuance/application.hpp"
#include "issuance/prepare.hpp"
#include "pki/signer.hpp"
#include "test_support.hpp"

using namespace rcperso;

namespace {

double run_case(const char* label, const test::TempDir& dir, const nlohmann::json& record,
                const issuance::DocumentProfile& profile, pki::Signer& signer, double seconds) {
  issuance::LoadOptions load;
  auto options = test::prepare_options(profile);
  std::string text = record.dump();
  auto start = std::chrono::steady_clock::now();
  int cards = 0;
  std::size_t sod_bytes = 0;
  double elapsed = 0;
  do {
    auto app = issuance::parse_application(text, dir.path(), "bench.json", profile, load);
    auto chip = issuance::prepare(app, profile, signer, options);
    sod_bytes = chip.files.at("EF.SOD").size();
    ++cards;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  double rate = cards / elapsed;
  std::printf("%-58s %8.1f cards/s  (%d cards, %.2f ms/card, EF.SOD %zu bytes)\n", label, rate, cards,
              1000.0 * elapsed / cards, sod_bytes);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3.0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::stod(argv[i + 1]);
  }
  auto profile = issuance::DocumentProfile::load(std::string(RCPERSO_SOURCE_DIR) +
                                                 "/profiles/documents/dk-residence-card.json");
  auto signer = pki::open_signer(std::string(RCPERSO_SOURCE_DIR) + "/keys-sample/ds-p256");

  test::TempDir dir;
  test::write_example_images(dir);
  auto in_budget = image::encode_jpeg_within(test::synthetic_face(480, 640), 20000, 30, 95, "face");
  dir.write("face_480.jpg", in_budget.data);
  dir.write("face_1200.jpg", image::encode_jpeg(test::synthetic_face(1200, 1600), 92));
  dir.write("ri.jp2", image::encode_jpeg2000(test::synthetic_finger(400, 500, 9.0, 0.3), 12.0));
  dir.write("li.jp2", image::encode_jpeg2000(test::synthetic_finger(400, 500, 10.0, 1.1), 12.0));

  auto record = nlohmann::json::parse(test::example_application_json());
  record["biometrics"]["fingerprints"][0]["image"] = "ri.jp2";
  record["biometrics"]["fingerprints"][1]["image"] = "li.jp2";

  std::printf("rcperso prepare benchmark: one core, DS %s, %.0f s per case\n", signer->key_type().c_str(),
              seconds);
  record["biometrics"]["face"] = "face_480.jpg";
  run_case("(a) face within budget (kept), JP2 fingers kept", dir, record, profile, *signer, seconds);
  record["biometrics"]["face"] = "face_1200.jpg";
  run_case("(b) 1200x1600 face scaled + re-encoded, JP2 fingers kept", dir, record, profile, *signer,
           seconds);
  auto full = nlohmann::json::parse(test::example_application_json());
  full["biometrics"]["face"] = "face_1200.jpg";
  run_case("(c) 1200x1600 face + PNG fingers, all re-encoded", dir, full, profile, *signer, seconds);

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS: %.1f MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
