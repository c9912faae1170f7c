// Benchmark (not a test): how fast the journal takes an order through one
// attempt (claim, record the card, mark it issued: three durable commits),
// for the SQLite file and for a PostgreSQL server, with 1 and 4 workers.
// A card takes seconds to write; the journal must stay far below that.
//
//   bench_journal [--orders N] [--postgres URI]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "issuance/journal.hpp"
#include "test_support.hpp"

using namespace rcperso;
using namespace rcperso::issuance;

namespace {

double run(const std::string& spec, int orders, int workers) {
  {
    auto j = open_journal(spec);
    std::vector<NewOrder> list;
    for (int i = 0; i < orders; ++i) {
      std::string id = std::to_string(workers) + "-" + std::to_string(100000 + i);
      list.push_back({id, "B" + id, "content-" + id});
    }
    j->import_orders(list);
  }
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      auto j = open_journal(spec);
      Actor who{"bench", "reader " + std::to_string(w), "bench"};
      while (auto o = j->claim_next(who, {})) {
        j->record_card(o->order_id, "atr:3B", "sod", "sha256:ds");
        j->transition(o->order_id, OrderState::InFlight, OrderState::Issued, who, "");
      }
    });
  }
  for (auto& t : threads) t.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void report(const char* name, const std::string& spec, int orders) {
  for (int workers : {1, 4}) {
    double s = run(spec, orders, workers);
    std::printf("%-10s %d worker(s): %5d orders in %6.3f s = %7.0f orders/s (%.2f ms per order, 3 commits)\n",
                name, workers, orders, s, orders / s, 1000.0 * s / orders);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int orders = 500;
  std::string postgres;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--orders") == 0 && i + 1 < argc) {
      orders = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--postgres") == 0 && i + 1 < argc) {
      postgres = argv[++i];
    } else {
      std::fprintf(stderr, "usage: bench_journal [--orders N] [--postgres URI]\n");
      return 2;
    }
  }
  try {
    test::TempDir dir;
    report("SQLite", (dir / "bench.db").string(), orders);
    if (!postgres.empty()) report("PostgreSQL", postgres, orders);
    std::printf("for scale: one card takes about 1 s to write, read back and verify through pcscd\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_journal: %s\n", e.what());
    return 1;
  }
}
