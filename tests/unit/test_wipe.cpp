// Erasing files: the content is overwritten in place before the name goes
// (seen through a second hard link to the same file), links are refused.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/wipe.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_wipe {

using namespace rcperso;
namespace fs = std::filesystem;

namespace {

bool all_zero(const Bytes& b) {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

}  // namespace

TEST_CASE("wipe_file overwrites the data the file held, then removes its name") {
  test::TempDir dir;
  Bytes secret(200000, 0x5A);
  dir.write("face.jpg", secret);
  // A second name for the same blocks shows what happened to the data itself.
  REQUIRE(::link((dir / "face.jpg").c_str(), (dir / "witness").c_str()) == 0);
  wipe_file(dir / "face.jpg", "the face image");
  CHECK_FALSE(fs::exists(dir / "face.jpg"));
  Bytes left = read_file((dir / "witness").string());
  CHECK(left.size() == secret.size());
  CHECK(all_zero(left));
}

TEST_CASE("wipe_file refuses a symbolic link and leaves the file behind it alone") {
  test::TempDir dir;
  dir.write("real.png", Bytes(100, 7));
  fs::create_symlink(dir / "real.png", dir / "link.png");
  CHECK_THROWS_WITH_AS(wipe_file(dir / "link.png", "the finger image"),
                       doctest::Contains("cannot erase the finger image: it is a symbolic link"), Error);
  CHECK(read_file((dir / "real.png").string()) == Bytes(100, 7));
  CHECK_THROWS_WITH_AS(wipe_file(dir / "missing", "the face image"),
                       doctest::Contains("missing: cannot erase the face image: No such file"), Error);
}

TEST_CASE("wipe_directory erases every file below it and removes the tree") {
  test::TempDir dir;
  fs::create_directories(dir / "chip" / "sub");
  dir.write("chip/EF.DG2", Bytes(5000, 0x11));
  dir.write("chip/sub/EF.DG3", Bytes(7000, 0x22));
  dir.write("chip/empty", Bytes{});
  REQUIRE(::link((dir / "chip/sub/EF.DG3").c_str(), (dir / "witness").c_str()) == 0);
  wipe_directory(dir / "chip", "the chip image");
  CHECK_FALSE(fs::exists(dir / "chip"));
  CHECK(all_zero(read_file((dir / "witness").string())));
  CHECK_THROWS_WITH_AS(wipe_directory(dir / "chip", "the chip image"), doctest::Contains("not a directory"),
                       Error);
}

}  // namespace test_wipe
