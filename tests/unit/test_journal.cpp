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

TEST_CASE("journal: claim, record, issue; forbidden and stale transitions are refused") {
  test::TempDir dir;
  auto journal = open_journal((dir / "perso.db").string());
  CHECK(journal->import_orders(make_orders(3)).added == 3);
  auto first = journal->claim_next(kStation, {});
  REQUIRE(first);
  CHECK(first->order_id == "o-0000");
  CHECK(first->state == OrderState::InFlight);
  CHECK(first->attempts == 1);
  CHECK(first->station == "station-1");
  CHECK(first->reader == "reader-0");
  CHECK_FALSE(first->claimed_at.empty());
  journal->record_card(first->order_id, "atr:3B88", "", "sha256:ds");
  journal->record_card(first->order_id, "", "ab12", "");
  auto held = journal->find(first->order_id);
  CHECK(held->card_id == "atr:3B88");
  CHECK(held->sod_sha256 == "ab12");
  CHECK(held->ds_certificate == "sha256:ds");
  auto issued = journal->transition(first->order_id, OrderState::InFlight, OrderState::Issued, kStation, "");
  CHECK(issued.state == OrderState::Issued);
  CHECK_FALSE(issued.issued_at.empty());
  // issued -> pending is not a transition the journal knows
  CHECK_THROWS_AS(journal->transition(first->order_id, OrderState::Issued, OrderState::Pending, kStation, ""),
                  JournalError);
  // a caller that believes it still holds the order (another process moved it first)
  CHECK_THROWS_WITH_AS(
      journal->transition(first->order_id, OrderState::InFlight, OrderState::Pending, kStation, "retry"),
      doctest::Contains("is issued, not in_flight"), JournalError);
  CHECK_THROWS_AS(journal->record_card(first->order_id, "x", "y", "z"), JournalError);
  CHECK_THROWS_WITH_AS(journal->transition("nope", OrderState::InFlight, OrderState::Issued, kStation, ""),
                       doctest::Contains("there is no order nope"), JournalError);

  auto second = journal->claim_next(kStation, {"o-0002"});  // only among the given ids
  REQUIRE(second);
  CHECK(second->order_id == "o-0002");
  auto back =
      journal->transition(second->order_id, OrderState::InFlight, OrderState::Pending, kStation, "card torn");
  CHECK(back.failure == "card torn");
  CHECK(after_failed_attempt(back, 0) == OrderState::Failed);
  CHECK(after_failed_attempt(back, 1) == OrderState::Pending);
  auto again = journal->claim_next(kStation, {"o-0002"});
  REQUIRE(again);
  CHECK(again->attempts == 2);
  CHECK(again->sod_sha256.empty());  // a new attempt starts without the last one's card

  auto c = journal->counts();
  CHECK(c.issued == 1);
  CHECK(c.in_flight == 1);
  CHECK(c.pending == 1);
  CHECK(journal->counts({"o-0001"}).total() == 1);
  CHECK(journal->in_flight_of("station-1").size() == 1);
  CHECK(journal->in_flight_of("station-2").empty());
  auto events = journal->events("o-0002");
  REQUIRE(events.size() == 4);  // imported, claimed, back to pending, claimed
  CHECK(events[2].from_state == "in_flight");
  CHECK(events[2].to_state == "pending");
  CHECK(events[2].detail == "card torn");
}

TEST_CASE("journal: import is idempotent and refuses changed orders and reused document numbers") {
  test::TempDir dir;
  auto journal = open_journal((dir / "perso.db").string());
  auto orders = make_orders(5);
  auto first = journal->import_orders(orders);
  CHECK(first.added == 5);
  auto second = journal->import_orders(orders);
  CHECK(second.added == 0);
  CHECK(second.known == 5);
  CHECK(journal->list().size() == 5);

  auto changed = orders;
  changed[2].content_sha256 = "other";
  changed.push_back({"o-new", "RC9999999", "h"});
  try {
    journal->import_orders(changed);
    FAIL("a changed order was imported");
  } catch (const ValidationError& e) {
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].field == "o-0002");
    CHECK(std::string(e.problems()[0].message).find("other content") != std::string::npos);
  }
  CHECK_FALSE(journal->find("o-new"));  // the whole import was rolled back
  CHECK_THROWS_WITH_AS(journal->import_orders({{"o-dup", orders[1].document_number, "h"}}),
                       doctest::Contains("belongs to order o-0001"), ValidationError);
}

TEST_CASE("journal: two connections claiming at once never get the same order") {
  test::TempDir dir;
  const std::string path = (dir / "perso.db").string();
  constexpr int kOrders = 120;
  open_journal(path)->import_orders(make_orders(kOrders));
  std::vector<std::string> got[2];
  std::latch ready(2);
  auto claimer = [&](int who) {
    auto journal = open_journal(path);  // a connection of its own, as another process would have
    Actor actor{"station", "reader-" + std::to_string(who), "op"};
    ready.arrive_and_wait();  // both claim from the same moment
    while (auto o = journal->claim_next(actor, {})) {
      got[who].push_back(o->order_id);
      journal->transition(o->order_id, OrderState::InFlight, OrderState::Issued, actor, "");
      // A reader works on its card between claims; without that pause SQLite's busy handler lets
      // one connection take every order, which is no error but tests nothing.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  std::thread a(claimer, 0), b(claimer, 1);
  a.join();
  b.join();
  std::set<std::string> all(got[0].begin(), got[0].end());
  for (const auto& id : got[1]) CHECK_MESSAGE(all.insert(id).second, id << " was claimed twice");
  CHECK(all.size() == kOrders);
  CHECK(got[0].size() + got[1].size() == kOrders);
  CHECK_FALSE(got[0].empty());
  CHECK_FALSE(got[1].empty());
  auto journal = open_journal(path);
  CHECK(journal->counts().issued == kOrders);
  // one shared connection from several threads is safe too
  auto shared = open_journal(path);
  shared->import_orders(make_orders(40, "s", 2000000));
  std::vector<std::string> shared_got[3];
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      while (auto o = shared->claim_next(kStation, {})) shared_got[t].push_back(o->order_id);
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> shared_all;
  for (auto& g : shared_got)
    for (auto& id : g) CHECK(shared_all.insert(id).second);
  CHECK(shared_all.size() == 40);
}

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
  CHECK_THROWS_WITH_AS(open_journal("postgresql://db/perso"), doctest::Contains("not available"), Error);
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
