// The issuance journal (SQLite) and the batch's order input: transition rules,
// claims that never hand one order to two claimants (two threads, two
// connections), idempotent import, exports, and reopening after a process
// was killed in the middle of its work.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <latch>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "issuance/journal.hpp"
#include "issuance/orders.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_journal {

using namespace rcperso;
using namespace rcperso::issuance;

namespace {

std::vector<NewOrder> make_orders(int n, const std::string& prefix = "o", int first_number = 1000000) {
  std::vector<NewOrder> out;
  for (int i = 0; i < n; ++i) {
    char id[32], number[32];
    std::snprintf(id, sizeof id, "%s-%04d", prefix.c_str(), i);
    std::snprintf(number, sizeof number, "RC%07d", first_number + i);
    out.push_back({id, number, "hash-" + std::string(id)});
  }
  return out;
}

const Actor kStation{"station-1", "reader-0", "alice"};

}  // namespace

TEST_CASE("journal: transition rules") {
  using S = OrderState;
  CHECK(transition_allowed(S::Pending, S::InFlight));
  CHECK(transition_allowed(S::InFlight, S::Issued));
  CHECK(transition_allowed(S::InFlight, S::Pending));
  CHECK(transition_allowed(S::InFlight, S::Spoiled));
  CHECK(transition_allowed(S::InFlight, S::Review));
  CHECK(transition_allowed(S::Review, S::Pending));
  CHECK(transition_allowed(S::Spoiled, S::Pending));
  for (auto to : {S::Pending, S::InFlight, S::Failed, S::Spoiled, S::Review})
    CHECK_FALSE(transition_allowed(S::Issued, to));
  CHECK_FALSE(transition_allowed(S::Pending, S::Issued));  // never issued without being claimed
  CHECK_FALSE(transition_allowed(S::Failed, S::Issued));
  CHECK_FALSE(transition_allowed(S::Review, S::InFlight));
  for (auto s : {S::Pending, S::InFlight, S::Issued, S::Failed, S::Spoiled, S::Review})
    CHECK(order_state_from_name(order_state_name(s)) == s);
  CHECK_THROWS_AS(order_state_from_name("done"), Error);
}

// Claims, transitions, import and concurrent claims: test_journal_backends.cpp, on SQLite and PostgreSQL.

TEST_CASE("journal: a process killed mid-work leaves every committed transition and no half one") {
  test::TempDir dir;
  const std::string path = (dir / "perso.db").string();
  open_journal(path)->import_orders(make_orders(4));
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child claims two orders, records one's SOD hash, then opens a write that it never
    // commits, and dies by SIGKILL: no destructor, no checkpoint.
    auto journal = open_journal(path);
    auto a = journal->claim_next(kStation, {});
    auto b = journal->claim_next(kStation, {});
    if (!a || !b) _exit(3);
    journal->record_card(a->order_id, "atr:01", "50d1", "sha256:ds");
    sqlite3* raw = nullptr;
    if (sqlite3_open(path.c_str(), &raw) != SQLITE_OK) _exit(4);
    sqlite3_exec(raw, "BEGIN IMMEDIATE; UPDATE orders SET state = 'issued'", nullptr, nullptr, nullptr);
    ::kill(::getpid(), SIGKILL);
    _exit(5);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  auto journal = open_journal(path);  // the write lock died with the process
  auto in_flight = journal->in_flight_of("station-1");
  REQUIRE(in_flight.size() == 2);
  CHECK(in_flight[0].order_id == "o-0000");
  CHECK(in_flight[0].sod_sha256 == "50d1");
  CHECK(in_flight[1].sod_sha256.empty());
  auto c = journal->counts();
  CHECK(c.issued == 0);  // the uncommitted update is gone
  CHECK(c.pending == 2);
  // and the journal goes on: the next claim takes the next order
  auto next = journal->claim_next(kStation, {});
  REQUIRE(next);
  CHECK(next->order_id == "o-0002");
}

TEST_CASE("journal: CSV and JSON exports") {
  OrderRecord o;
  o.order_id = "o-1";
  o.document_number = "RC0000001";
  o.state = OrderState::Failed;
  o.attempts = 3;
  o.failure = "card torn: \"pulled\", twice";
  o.reader = "=cmd";  // would be a formula in a spreadsheet
  std::string csv = journal_csv({o});
  CHECK(csv.rfind("order_id,state,attempts,document_number,", 0) == 0);
  CHECK(csv.find("o-1,failed,3,RC0000001,") != std::string::npos);
  CHECK(csv.find("\"card torn: \"\"pulled\"\", twice\"") != std::string::npos);
  CHECK(csv.find(",'=cmd,") != std::string::npos);
  auto json = nlohmann::json::parse(journal_json({o}));
  REQUIRE(json.size() == 1);
  CHECK(json[0]["state"] == "failed");
  CHECK(json[0]["attempts"] == 3);
  CHECK(json[0]["card_id"].is_null());
  CHECK(json[0]["failure"] == o.failure);
}

TEST_CASE("orders: JSON Lines and directories, strict, with sources named") {
  test::TempDir dir;
  test::write_example_images(dir);
  auto profile = DocumentProfile::load(test::source_dir() / "profiles/documents/dk-residence-card.json");
  auto record = nlohmann::json::parse(test::example_application_json());
  auto line = [&](const std::string& number, const std::string& id) {
    auto r = record;
    r["document"]["number"] = number;
    if (!id.empty()) r["order_id"] = id;
    return r.dump();
  };
  dir.write_text("batch.jsonl", line("RC1000001", "a-1") + "\n\n" + line("RC1000002", "") + "\n");
  auto set = load_orders(dir / "batch.jsonl", profile);
  REQUIRE(set.orders.size() == 2);
  CHECK(set.orders[0].order_id == "a-1");
  CHECK(set.orders[1].order_id == "batch-3");  // no order_id: the file's name and the line
  CHECK(set.orders[1].document_number == "RC1000002");
  CHECK(set.orders[0].content_sha256 != set.orders[1].content_sha256);
  CHECK(set.orders[0].content_sha256.size() == 64);
  // the same content in another layout hashes the same
  auto again = load_orders(dir / "batch.jsonl", profile);
  CHECK(again.orders[0].content_sha256 == set.orders[0].content_sha256);
  auto app = parse_order(set.orders[0], profile);
  CHECK(app.document.number == "RC1000001");

  // every problem, each with its line
  auto bad = record;
  bad["holder"]["date_of_birth"] = "1988-02-30";
  dir.write_text("bad.jsonl", line("RC1000001", "x") + "\n{not json\n" + bad.dump() + "\n" +
                                  line("RC1000001", "y") + "\n" + line("RC1000009", "x") + "\n");
  try {
    load_orders(dir / "bad.jsonl", profile);
    FAIL("a bad batch was loaded");
  } catch (const ValidationError& e) {
    std::string all = e.what();
    CHECK(all.find("bad.jsonl:2: not valid JSON") != std::string::npos);
    CHECK(all.find("bad.jsonl:3: holder.date_of_birth") != std::string::npos);
    CHECK(all.find("bad.jsonl:4: document number RC1000001 is also in") != std::string::npos);
    CHECK(all.find("bad.jsonl:5: order id x is also the id of") != std::string::npos);
  }

  // a directory: one order per *.json, named by the file
  std::filesystem::create_directory(dir / "orders");
  for (const char* name : {"face.jpg", "right_index.png", "left_index.png", "signature.png"})
    std::filesystem::copy_file(dir / name, dir / "orders" / name);
  auto r1 = record;
  r1["document"]["number"] = "RC1000011";
  dir.write_text("orders/b-2.json", r1.dump(2));
  r1["document"]["number"] = "RC1000010";
  dir.write_text("orders/b-1.json", r1.dump(2));
  auto from_dir = load_orders(dir / "orders", profile);
  REQUIRE(from_dir.orders.size() == 2);
  CHECK(from_dir.orders[0].order_id == "b-1");
  CHECK(from_dir.orders[1].document_number == "RC1000011");
  // an image changed after loading is noticed before the card is written
  dir.write_text("orders/face.jpg", "not the same face");
  CHECK_THROWS_AS(parse_order(from_dir.orders[0], profile), Error);
  CHECK_THROWS_WITH_AS(load_orders(dir / "missing", profile), doctest::Contains("no such directory"), Error);
}

}  // namespace test_journal
