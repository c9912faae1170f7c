// Writes the synthetic example images in examples/ (no real person):
//   rcperso_make_examples DIR
#include <cstdio>
#include <string>

#include "image/wsq.hpp"
#include "test_support.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  rcperso::test::TempDir unused;
  std::string dir = argv[1];
  auto write = [&](const std::string& name, const rcperso::Bytes& data) {
    std::FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
    if (f == nullptr || std::fwrite(data.data(), 1, data.size(), f) != data.size()) {
      std::fprintf(stderr, "cannot write %s\n", name.c_str());
      return false;
    }
    std::fclose(f);
    return true;
  };
  using namespace rcperso;
  bool ok = write("face.jpg", image::encode_jpeg(test::synthetic_face(600, 800), 88)) &&
            write("right_index.png", image::encode_png(test::synthetic_finger(400, 500, 9.0, 0.3))) &&
            write("left_index.png", image::encode_png(test::synthetic_finger(400, 500, 10.0, 1.1))) &&
            // The right index as a capture station delivers it: WSQ, 500 ppi, within 18 000 bytes
            // (as `rcperso image --finger right_index.png` makes it).
            write("right_index.wsq", image::wsq::encode_within(test::synthetic_finger(400, 500, 9.0, 0.3),
                                                               18000, 0.25, 0.75, "right_index", 500)
                                         .data) &&
            write("signature.png", image::encode_png(test::synthetic_signature(600, 200)));
  return ok ? 0 : 1;
}
