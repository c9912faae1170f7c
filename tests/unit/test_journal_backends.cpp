// The same journal rules on both back ends: SQLite always, PostgreSQL when
// RCPERSO_TEST_POSTGRES names a server (tests/integration/journal_postgres.sh
// starts one and runs these cases; they are skipped otherwise).
#include <doctest/doctest.h>

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <set>
#include <thread>

#include "issuance/journal.hpp"
#include "test_support.hpp"

// Each test file lives in its own namespace, so unity batches keep its helpers apart.
namespace test_journal_backends {

using namespace rcperso;
using namespace rcperso::issuance;

namespace {

const char* postgres_uri() { return std::getenv("RCPERSO_TEST_POSTGRES"); }

/// Opens journals on one store: a file in a temp dir, or a fresh schema on the test server.
class Store {
 public:
  explicit Store(bool postgres) : postgres_(postgres) {
    if (!postgres_) {
      spec_ = (dir_.path() / "perso.db").string();
      return;
    }
    std::string base = postgres_uri();
    PGconn* c = PQconnectdb(base.c_str());
    REQUIRE_MESSAGE(PQstatus(c) == CONNECTION_OK, PQerrorMessage(c));
    PQclear(PQexec(c, "DROP SCHEMA IF EXISTS rcperso_test CASCADE"));
    PGresult* r = PQexec(c, "CREATE SCHEMA rcperso_test");
    REQUIRE_MESSAGE(PQresultStatus(r) == PGRES_COMMAND_OK, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    spec_ = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3Drcperso_test";
  }
  std::unique_ptr<Journal> open() const { return open_journal(spec_); }

 private:
  bool postgres_;
  test::TempDir dir_;
  std::string spec_;
};

std::vector<NewOrder> orders(int n, const std::string& prefix = "") {
  std::vector<NewOrder> out;
  for (int i = 1; i <= n; ++i) {
    std::string id = prefix + std::to_string(1000 + i);
    out.push_back({id, "RC" + id, "sha-" + id});
  }
  return out;
}

const Actor kStation{"station-1", "Virtual PCD 00 00", "operator a"};

void import_is_idempotent_and_refuses_changes(const Store& store) {
  auto j = store.open();
  auto r = j->import_orders(orders(3));
  CHECK(r.added == 3);
  CHECK(r.known == 0);
  r = j->import_orders(orders(4));
  CHECK(r.added == 1);
  CHECK(r.known == 3);
  auto changed = orders(5);
  changed[0].content_sha256 = "other";
  changed.push_back({"9999", "RC1002", "sha-9999"});  // another order with a known document number
  try {
    j->import_orders(changed);
    FAIL("a changed order was imported");
  } catch (const ValidationError& e) {
    REQUIRE(e.problems().size() == 2);
    CHECK(e.problems()[0].field == "1001");
    CHECK(e.problems()[0].message.find("other content") != std::string::npos);
    CHECK(e.problems()[1].message.find("document number RC1002 belongs to order 1002") != std::string::npos);
  }
  CHECK(j->counts().total() == 4);  // the refused import added nothing, not even order 1005
  CHECK_FALSE(j->find("1005").has_value());
}

void claims_go_oldest_first_and_transitions_are_checked(const Store& store) {
  auto j = store.open();
  j->import_orders(orders(3));
  auto first = j->claim_next(kStation, {});
  REQUIRE(first.has_value());
  CHECK(first->order_id == "1001");
  CHECK(first->state == OrderState::InFlight);
  CHECK(first->attempts == 1);
  CHECK(first->station == "station-1");
  CHECK(first->reader == "Virtual PCD 00 00");
  auto only = j->claim_next(kStation, {"1003"});
  REQUIRE(only.has_value());
  CHECK(only->order_id == "1003");
  CHECK_FALSE(j->claim_next(kStation, {"1001", "1003"}).has_value());  // both in flight already

  j->record_card("1001", "atr:3B88", "", "sha256:ds");
  j->record_card("1001", "", "sod-hash", "");  // what a call leaves empty stays as it was
  CHECK_THROWS_AS(j->record_card("1002", "atr:3B88", "", ""), JournalError);  // pending, not in flight
  auto failed = j->transition("1003", OrderState::InFlight, OrderState::Pending, kStation, "card removed");
  CHECK(failed.failure == "card removed");
  CHECK(failed.attempts == 1);
  CHECK(after_failed_attempt(failed, 0) == OrderState::Failed);
  CHECK(after_failed_attempt(failed, 1) == OrderState::Pending);
  auto issued = j->transition("1001", OrderState::InFlight, OrderState::Issued, kStation, "");
  CHECK(issued.state == OrderState::Issued);
  CHECK(issued.card_id == "atr:3B88");
  CHECK(issued.sod_sha256 == "sod-hash");
  CHECK_FALSE(issued.issued_at.empty());
  CHECK_THROWS_WITH_AS(j->transition("1001", OrderState::Issued, OrderState::Pending, kStation, ""),
                       "order 1001: issued -> pending is not allowed", JournalError);
  CHECK_THROWS_WITH_AS(j->transition("1001", OrderState::InFlight, OrderState::Failed, kStation, "x"),
                       "order 1001 is issued, not in_flight", JournalError);
  CHECK_THROWS_AS(j->transition("4711", OrderState::Pending, OrderState::Failed, kStation, ""), JournalError);

  auto again = j->claim_next(kStation, {"1003"});
  REQUIRE(again.has_value());
  CHECK(again->attempts == 2);
  CHECK(again->card_id.empty());  // a new attempt starts without the last card's data

  auto c = j->counts();
  CHECK(c.issued == 1);
  CHECK(c.in_flight == 1);
  CHECK(c.pending == 1);
  CHECK(j->counts({"1001", "1002"}).total() == 2);
  CHECK(j->list(OrderState::Issued).size() == 1);
  CHECK(j->in_flight_of("station-1").size() == 1);
  CHECK(j->in_flight_of("station-2").empty());

  auto events = j->events("1003");
  REQUIRE(events.size() == 4);  // imported, claimed, back to pending, claimed again
  CHECK(events[0].to_state == "pending");
  CHECK(events[0].from_state.empty());
  CHECK(events[2].detail == "card removed");
  CHECK(events[3].detail == "attempt 2");
}

void what_is_committed_survives_reopening(const Store& store) {
  {
    auto j = store.open();
    j->import_orders(orders(2));
    auto o = j->claim_next(kStation, {});
    REQUIRE(o.has_value());
    j->record_card(o->order_id, "atr:01", "sod-1", "sha256:ds");
  }  // closed as a killed process would leave it: nothing more was committed
  auto j = store.open();
  auto left = j->in_flight_of("station-1");
  REQUIRE(left.size() == 1);
  CHECK(left[0].order_id == "1001");
  CHECK(left[0].sod_sha256 == "sod-1");
  CHECK(j->counts().pending == 1);
}

void no_order_is_claimed_twice(const Store& store) {
  constexpr int kOrders = 120;
  constexpr int kWorkers = 4;
  store.open()->import_orders(orders(kOrders));
  std::vector<std::vector<std::string>> claimed(kWorkers);
  std::vector<std::thread> workers;
  std::atomic<int> errors{0};
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      try {
        // Each worker its own journal, as separate stations' processes have.
        auto j = store.open();
        Actor who{"station-" + std::to_string(w), "reader", "op"};
        while (auto o = j->claim_next(who, {})) {
          claimed[static_cast<std::size_t>(w)].push_back(o->order_id);
          j->transition(o->order_id, OrderState::InFlight, OrderState::Issued, who, "");
        }
      } catch (const std::exception& e) {
        ++errors;
        MESSAGE("worker " << w << ": " << e.what());
      }
    });
  }
  for (auto& t : workers) t.join();
  CHECK(errors == 0);
  std::multiset<std::string> all;
  for (const auto& c : claimed) all.insert(c.begin(), c.end());
  CHECK(all.size() == kOrders);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == kOrders);
  auto j = store.open();
  CHECK(j->counts().issued == kOrders);
  for (const auto& o : j->list()) CHECK(o.attempts == 1);

  // One journal shared by several threads (the batch's readers in one process) is safe too.
  j->import_orders(orders(40, "s"));
  std::vector<std::string> shared[3];
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      while (auto o = j->claim_next(kStation, {})) shared[t].push_back(o->order_id);
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> shared_all;
  for (const auto& g : shared)
    for (const auto& id : g) CHECK(shared_all.insert(id).second);
  CHECK(shared_all.size() == 40);
}

const std::vector<std::pair<const char*, std::function<void(const Store&)>>> kCases = {
    {"import", import_is_idempotent_and_refuses_changes},
    {"claims and transitions", claims_go_oldest_first_and_transitions_are_checked},
    {"reopen", what_is_committed_survives_reopening},
    {"concurrent claims", no_order_is_claimed_twice},
};

void run_all(bool postgres) {
  for (const auto& [name, body] : kCases) {
    SUBCASE(name) {
      Store store(postgres);
      body(store);
    }
  }
}

}  // namespace

TEST_CASE("journal rules on SQLite: import, claims, transitions, reopening, concurrent claims") {
  run_all(false);
}

TEST_CASE("journal rules on PostgreSQL: import, claims, transitions, reopening, concurrent claims" *
          doctest::skip(postgres_uri() == nullptr)) {
  run_all(true);
}

TEST_CASE("a PostgreSQL journal that cannot be reached is named without its password") {
  try {
    open_journal("postgresql://perso:secret@127.0.0.1:1/perso?connect_timeout=2");
    FAIL("connected to port 1");
  } catch (const Error& e) {
    std::string what = e.what();
    CHECK(what.find("postgresql://perso:***@127.0.0.1:1/perso") == 0);
    CHECK(what.find("cannot open the journal") != std::string::npos);
    CHECK(what.find("secret") == std::string::npos);
  }
}

}  // namespace test_journal_backends
