#include "test_support.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

namespace rcperso::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string templ = (fs::temp_directory_path() / "rcperso-test-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, ByteView data) const {
  std::ofstream out(path_ / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

void TempDir::write_text(const std::string& name, const std::string& text) const {
  write(name, as_bytes(text));
}

image::Raster synthetic_face(int width, int height) {
  image::Raster r{width, height, 3, Bytes(static_cast<std::size_t>(width) * height * 3)};
  double cx = width / 2.0, cy = height * 0.45, rx = width * 0.28, ry = height * 0.3;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      double dx = (x - cx) / rx, dy = (y - cy) / ry;
      double d = dx * dx + dy * dy;
      std::uint8_t* p = &r.pixels[(static_cast<std::size_t>(y) * width + x) * 3];
      double ex = std::min(std::abs(x - (cx - rx * 0.4)), std::abs(x - (cx + rx * 0.4)));
      bool eye = d < 1.0 && std::abs(y - (cy - ry * 0.15)) < height * 0.012 && ex < width * 0.04;
      bool mouth = d < 1.0 && std::abs(y - (cy + ry * 0.5)) < height * 0.008 && std::abs(x - cx) < rx * 0.35;
      bool hair = dy < -0.55 && d < 1.15;
      if (eye || mouth || hair) {
        p[0] = static_cast<std::uint8_t>(hair ? 70 : 50);
        p[1] = static_cast<std::uint8_t>(hair ? 50 : 30);
        p[2] = static_cast<std::uint8_t>(hair ? 35 : 30);
      } else if (d < 1.0) {
        double shade = 1.0 - 0.35 * d;
        p[0] = static_cast<std::uint8_t>(225 * shade);
        p[1] = static_cast<std::uint8_t>(180 * shade);
        p[2] = static_cast<std::uint8_t>(150 * shade);
      } else {
        p[0] = static_cast<std::uint8_t>(200 + (x * 13 + y * 7) % 16);
        p[1] = static_cast<std::uint8_t>(205 + (x * 5 + y * 11) % 16);
        p[2] = 215;
      }
    }
  }
  return r;
}

image::Raster synthetic_finger(int width, int height, double period, double angle) {
  image::Raster r{width, height, 1, Bytes(static_cast<std::size_t>(width) * height)};
  double ca = std::cos(angle), sa = std::sin(angle);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      double dx = x - width / 2.0, dy = y - height / 2.0;
      double rad = std::sqrt(dx * dx + dy * dy * 0.6);
      double v = std::sin((rad + 0.2 * (dx * ca + dy * sa)) * 2 * M_PI / period);
      r.pixels[static_cast<std::size_t>(y) * width + x] = static_cast<std::uint8_t>(128 + 100 * v);
    }
  }
  return r;
}

image::Raster uniform_gray(int width, int height, std::uint8_t value) {
  return image::Raster{width, height, 1, Bytes(static_cast<std::size_t>(width) * height, value)};
}

image::Raster synthetic_signature(int width, int height) {
  image::Raster sig = uniform_gray(width, height, 255);
  for (int x = width / 15; x < width - width / 15; ++x) {
    int y = height / 2 + static_cast<int>(height / 5.0 * std::sin(x / 25.0) * std::cos(x / 90.0));
    for (int t = -2; t <= 2; ++t) sig.pixels[static_cast<std::size_t>(y + t) * width + x] = 0;
  }
  return sig;
}

void write_example_images(const TempDir& dir) {
  dir.write("face.jpg", image::encode_jpeg(synthetic_face(600, 800), 90));
  dir.write("right_index.png", image::encode_png(synthetic_finger(400, 500, 9.0, 0.3)));
  dir.write("left_index.png", image::encode_png(synthetic_finger(400, 500, 10.0, 1.1)));
  dir.write("signature.png", image::encode_png(synthetic_signature(600, 200)));
}

std::string example_application_json() {
  return R"({
  "document": {"number": "RC0012345", "issuing_state": "DNK", "date_of_issue": "2026-11-02",
               "date_of_expiry": "2031-11-01", "permit_type": "Opholdskort",
               "issuing_authority": "SIRI", "remarks": "EU family member art 10 Dir 2004/38/EC"},
  "holder": {"surname": "Ærøskøbing-Åberg", "given_names": "Søren Peter", "nationality": "NOR", "sex": "M",
             "date_of_birth": "1988-03-14", "place_of_birth": "Tromsø", "personal_number": "140388-1234",
             "fingerprint_exemption": null},
  "biometrics": {"face": "face.jpg",
                 "fingerprints": [{"position": "right_index", "image": "right_index.png"},
                                  {"position": "left_index", "image": "left_index.png"}],
                 "signature": "signature.png"}
})";
}

fs::path source_dir() { return RCPERSO_SOURCE_DIR; }

issuance::PrepareOptions prepare_options(const issuance::DocumentProfile& profile) {
  issuance::PrepareOptions options;
  if (profile.terminal_authentication)
    options.cvca_certificate = read_file((source_dir() / "keys-sample/eac/cvca/cert.cvcert").string());
  return options;
}

SecureBytes secret(const char* hex) {
  Bytes b = from_hex(hex);
  return SecureBytes(b.begin(), b.end());
}

std::string hex(const SecureBytes& bytes) { return to_hex_upper(ByteView(bytes.data(), bytes.size())); }

}  // namespace rcperso::test
