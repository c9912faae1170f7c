// Retention: the profile's "retention" block, strict, erase by default; and
// the batch's erasure of input images once orders are issued (shared files
// only after every order naming them, never those of an order not issued).
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "issuance/document_profile.hpp"
#include "issuance/orders.hpp"
#include "issuance/retention.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_retention {

using namespace rcperso;
using namespace rcperso::issuance;
namespace fs = std::filesystem;

namespace {

nlohmann::json dk_json() {
  Bytes text = read_file((test::source_dir() / "profiles/documents/dk-residence-card.json").string());
  return nlohmann::json::parse(text.begin(), text.end());
}

}  // namespace

TEST_CASE("retention: the Danish profiles erase both, missing means erase, keep is honoured") {
  for (const char* name : {"dk-residence-card.json", "dk-residence-card-bac.json"}) {
    auto p = DocumentProfile::load(test::source_dir() / "profiles/documents" / name);
    CHECK_FALSE(p.retention.keep_input_images);
    CHECK_FALSE(p.retention.keep_chip_image);
  }
  auto j = dk_json();
  REQUIRE(j.contains("retention"));
  j.erase("retention");
  auto missing = DocumentProfile::from_json(j, "p.json");
  CHECK_FALSE(missing.retention.keep_input_images);
  CHECK_FALSE(missing.retention.keep_chip_image);

  j["retention"] = {{"chip_image", "keep"}};
  auto chip_kept = DocumentProfile::from_json(j, "p.json");
  CHECK(chip_kept.retention.keep_chip_image);
  CHECK_FALSE(chip_kept.retention.keep_input_images);
  j["retention"] = {{"input_images", "keep"}, {"chip_image", "erase"}};
  auto inputs_kept = DocumentProfile::from_json(j, "p.json");
  CHECK(inputs_kept.retention.keep_input_images);
  CHECK_FALSE(inputs_kept.retention.keep_chip_image);
}

TEST_CASE("retention: wrong values, types and keys are refused, naming the key") {
  auto refused = [](const nlohmann::json& retention, const std::string& named) {
    auto j = dk_json();
    j["retention"] = retention;
    try {
      (void)DocumentProfile::from_json(j, "p.json");
      FAIL("accepted " << retention.dump());
    } catch (const ValidationError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(named) != std::string::npos, e.what());
    }
  };
  refused({{"input_images", "delete"}}, "retention.input_images");
  refused({{"chip_image", true}}, "chip_image");
  refused({{"chip_images", "keep"}}, "chip_images");
  refused("erase", "retention");
}

TEST_CASE("retention: a batch erases an issued order's images, shared ones after their last order") {
  test::TempDir dir;
  test::write_example_images(dir);
  fs::create_directory(dir / "own");
  for (const char* f : {"face.jpg", "right_index.png", "left_index.png", "signature.png"})
    fs::copy_file(dir / f, dir / "own" / f);
  auto profile = DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
  auto record = nlohmann::json::parse(test::example_application_json());
  auto line = [&](const std::string& number, const std::string& id, const std::string& prefix) {
    auto r = record;
    r["document"]["number"] = number;
    r["order_id"] = id;
    r["biometrics"]["face"] = prefix + "face.jpg";
    r["biometrics"]["fingerprints"][0]["image"] = prefix + "right_index.png";
    r["biometrics"]["fingerprints"][1]["image"] = prefix + "left_index.png";
    r["biometrics"]["signature"] = prefix + "signature.png";
    return r.dump() + "\n";
  };
  // shared-1 and shared-2 name the same four files; own-1 its own; done-1 was issued before.
  dir.write_text("batch.jsonl", line("RC1000001", "shared-1", "") + line("RC1000002", "shared-2", "./") +
                                    line("RC1000003", "own-1", "own/") + line("RC1000004", "done-1", "own/"));
  auto set = load_orders(dir / "batch.jsonl", profile);
  REQUIRE(set.orders.size() == 4);
  CHECK(set.orders[2].image_paths.size() == 4);

  InputImageEraser eraser(set, [](const std::string& id) { return id == "done-1"; });
  // done-1 was issued by an earlier run: it no longer holds own/, so own-1 is its last user.
  auto erased = eraser.order_issued("own-1");
  CHECK(erased.size() == 4);
  for (const char* f : {"face.jpg", "right_index.png", "left_index.png", "signature.png"})
    CHECK_FALSE(fs::exists(dir / "own" / f));

  // shared-2 not issued (failed, say): shared-1's issue leaves the files it shares.
  CHECK(eraser.order_issued("shared-1").empty());
  CHECK(fs::exists(dir / "face.jpg"));
  CHECK(fs::exists(dir / "signature.png"));
  CHECK(eraser.order_issued("shared-1").empty());  // a second report of the same order changes nothing
  CHECK(fs::exists(dir / "face.jpg"));
  CHECK(eraser.order_issued("shared-2").size() == 4);
  CHECK_FALSE(fs::exists(dir / "face.jpg"));
  CHECK(fs::exists(dir / "batch.jsonl"));

  // The next run: the images are gone; the journal's issued orders load without them, and
  // nothing else does.
  CHECK_THROWS_AS(load_orders(dir / "batch.jsonl", profile), ValidationError);
  std::map<std::string, NewOrder> journal;
  for (const auto& o : set.orders) journal[o.order_id] = {o.order_id, o.document_number, o.content_sha256};
  auto issued = [&journal](const std::string& id) -> std::optional<NewOrder> {
    auto it = journal.find(id);
    if (it == journal.end()) return std::nullopt;
    return it->second;
  };
  auto again = load_orders(dir / "batch.jsonl", profile, {}, issued);
  REQUIRE(again.orders.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(again.orders[i].inputs_erased);
    CHECK(again.orders[i].content_sha256 == set.orders[i].content_sha256);
    CHECK(again.orders[i].document_number == set.orders[i].document_number);
  }
  journal.erase("own-1");  // not issued: its missing images are an error naming its line
  try {
    (void)load_orders(dir / "batch.jsonl", profile, {}, issued);
    FAIL("an order not issued loaded without its images");
  } catch (const ValidationError& e) {
    CHECK_MESSAGE(std::string(e.what()).find("batch.jsonl:3") != std::string::npos, e.what());
  }
  journal["own-1"] = {"own-1", "RC9999999", set.orders[2].content_sha256};
  CHECK_THROWS_WITH_AS(load_orders(dir / "batch.jsonl", profile, {}, issued),
                       doctest::Contains("was issued as document RC9999999"), ValidationError);
}

}  // namespace test_retention
