#include "rcperso/batch_cli.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "card/chip_keygen.hpp"
#include "card/pcsc.hpp"
#include "common/cli_common.hpp"
#include "core/atomic_dir.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"
#include "issuance/batch.hpp"
#include "issuance/journal.hpp"
#include "issuance/orders.hpp"
#include "issuance/prepare.hpp"
#include "pki/pkcs11_uri.hpp"
#include "pki/signer.hpp"

namespace rcperso::cli {

namespace {

using issuance::BatchEvent;
using issuance::ReaderActivity;

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
  // A second Ctrl-C ends the process at once; the journal is consistent at every moment and the
  // next run resolves what was in flight.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

std::string default_station() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "station";
  return name;
}

std::string default_operator() {
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? user : "operator";
}

std::vector<std::string> resolve_readers(const std::string& spec) {
  card::PcscContext context;
  if (spec == "all") {
    auto all = context.readers();
    if (all.empty()) throw card::CardError("no smart card reader is connected");
    return all;
  }
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    std::size_t comma = spec.find(',', pos);
    if (comma == std::string::npos) comma = spec.size();
    std::string one = spec.substr(pos, comma - pos);
    pos = comma + 1;
    if (one.empty())
      throw ValidationError(std::vector<Problem>{{"--readers", "an empty reader in the list"}});
    std::string name = context.resolve(one);
    if (std::find(out.begin(), out.end(), name) != out.end())
      throw ValidationError(std::vector<Problem>{{"--readers", name + " is named twice"}});
    out.push_back(name);
  }
  return out;
}

std::string duration_text(double seconds) {
  char buf[32];
  if (seconds < 90) {
    std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  } else if (seconds < 5400) {
    std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
  }
  return buf;
}

/// Log lines (not a terminal) or a status line redrawn under the events (a terminal).
class Display {
 public:
  Display(issuance::Journal& journal, std::vector<std::string> ids, const std::vector<std::string>& readers)
      : journal_(journal), ids_(std::move(ids)), tty_(::isatty(STDOUT_FILENO) == 1) {
    for (std::size_t i = 0; i < readers.size(); ++i) {
      labels_[readers[i]] = "R" + std::to_string(i);
      activity_[readers[i]] = {ReaderActivity::Starting, ""};
    }
    if (!tty_) return;
    refresher_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!done_) {
        draw(lock);
        wake_.wait_for(lock, std::chrono::milliseconds(500));
      }
    });
  }
  ~Display() { finish(); }
  Display(const Display&) = delete;
  Display& operator=(const Display&) = delete;

  void finish() {
    {
      std::lock_guard lock(mutex_);
      if (done_) return;
      done_ = true;
    }
    wake_.notify_all();
    if (refresher_.joinable()) refresher_.join();
    if (!tty_) return;
    std::unique_lock lock(mutex_);
    draw(lock);  // the last state stays on the screen above the summary
    std::cout << "\n" << std::flush;
  }

  void event(const BatchEvent& e) {
    std::lock_guard lock(mutex_);
    if (e.kind == BatchEvent::Kind::Issued || e.kind == BatchEvent::Kind::Recovered) ++issued_now_;
    std::string line = issuance::journal_timestamp() + " " + issuance::batch_event_name(e.kind);
    if (!e.order_id.empty()) line += " order=" + e.order_id;
    if (!e.document_number.empty()) line += " document=" + e.document_number;
    if (!e.reader.empty()) line += " reader=\"" + e.reader + "\"";
    line += ": " + e.message;
    if (tty_) std::cout << "\r\33[K";
    std::cout << line << "\n" << std::flush;
  }

  void activity(const std::string& reader, ReaderActivity a, const std::string& order) {
    std::lock_guard lock(mutex_);
    activity_[reader] = {a, order};
  }

 private:
  void draw(std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    issuance::StateCounts c;
    try {
      c = journal_.counts(ids_);
    } catch (const Error&) {
      lock.lock();
      return;
    }
    lock.lock();
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double rate = elapsed > 0 ? static_cast<double>(issued_now_) / elapsed : 0;
    std::string s = "done " + std::to_string(c.issued) + "/" + std::to_string(c.total()) + "  failed " +
                    std::to_string(c.failed + c.spoiled + c.review) + "  in flight " +
                    std::to_string(c.in_flight);
    for (const auto& [reader, what] : activity_) {
      s += " | " + labels_[reader] + " " + issuance::reader_activity_name(what.first);
      if (!what.second.empty()) s += " " + what.second;
    }
    char tail[80];
    std::snprintf(tail, sizeof tail, " | %.1f cards/min", rate * 60);
    s += tail;
    if (rate > 0) s += " ETA " + duration_text(static_cast<double>(c.pending + c.in_flight) / rate);
    std::cout << "\r\33[K" << s << std::flush;
  }

  issuance::Journal& journal_;
  std::vector<std::string> ids_;
  bool tty_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread refresher_;
  std::map<std::string, std::string> labels_;
  std::map<std::string, std::pair<ReaderActivity, std::string>> activity_;
  std::size_t issued_now_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

CLI::App* add_batch_command(CLI::App& app, BatchArgs& a) {
  auto* cmd =
      app.add_subcommand("batch", "Issue a batch of orders across readers, journaled for crash safety");
  cmd->add_option("ORDERS", a.orders, "A directory of application records (*.json) or a JSON Lines file")
      ->required();
  cmd->add_option("--readers", a.readers, "all, or readers separated by commas (name, unique part or index)")
      ->required();
  cmd->add_option("--profile", a.profile, "Document profile: a name in profiles/documents or a .json path")
      ->capture_default_str();
  cmd->add_option("--signer", a.signer,
                  "Document Signer: a directory with cert.pem and key.pem (and csca.pem, its trust anchor)")
      ->required();
  cmd->add_flag("--production", a.production,
                "Production mode: preparation refuses TEST ONLY sample keys and test data");
  cmd->add_flag("--keys-on-chip", a.keys_on_chip,
                "Each card generates its own Chip/Active Authentication key pairs; DG14, DG15 and EF.SOD "
                "are completed with them while the card is written");
  cmd->add_flag("--test-run", a.test_run,
                "This is a test run: allow a TEST ONLY sample Document Signer (refused without it)");
  cmd->add_option("--html-dir", a.html_dir,
                  "Write a QA page per issued card (ORDER.html) and a summary (index.html) into this "
                  "existing directory");
  cmd->add_option("--cvca", a.cvca, "CVCA certificate (.cvcert) for profiles with Terminal Authentication");
  cmd->add_option("--card-profile", a.card_profile,
                  "Card profile: rcsim, jmrtd-applet, iso7816-fs, or a .json path")
      ->required();
  cmd->add_option("--csca", a.csca,
                  "CSCA certificate(s) the read-back trusts (default: the signer's csca.pem)");
  cmd->add_option("--crl", a.crl, "CRL(s) to check the Document Signer against");
  cmd->add_option(
         "--journal", a.journal,
         "The journal: a SQLite file (created when missing) or a postgresql:// URI shared by stations")
      ->required();
  cmd->add_option("--retries", a.retries, "Further attempts for an order whose card failed")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  cmd->add_option("--operator", a.operator_name, "Operator name for the journal (default: $USER)");
  cmd->add_option("--station", a.station, "Station name for the journal (default: the host name)");
  cmd->add_option("--idle-exit", a.idle_exit, "Stop when no card arrives for this many seconds (0: wait)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--wait-others", a.wait_others,
                  "When only orders another station has in flight are left, wait this many seconds for "
                  "them (one may come back pending)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  return cmd;
}

int run_batch_command(const BatchArgs& a) {
  issuance::BatchConfig config;
  config.profile = issuance::DocumentProfile::resolve(a.profile);
  config.card_profile = card::CardProfile::resolve(a.card_profile);
  config.signer = a.signer;
  config.production = a.production;
  config.keys_on_chip = a.keys_on_chip;
  if (a.keys_on_chip) {
    // Every order would fail on the card the same way: refuse the run before any journal or card.
    try {
      issuance::ChipImage awaiting;
      awaiting.keys_on_chip = issuance::keys_on_chip_for(config.profile);
      card::check_keys_on_chip_supported(config.card_profile, awaiting);
    } catch (const Error& e) {
      throw ValidationError(std::vector<Problem>{{"--keys-on-chip", e.what()}});
    }
  }
  config.retries = a.retries;
  config.idle_exit_seconds = a.idle_exit;
  config.others_wait_seconds = a.wait_others;
  config.station = a.station.empty() ? default_station() : a.station;
  config.operator_name = a.operator_name.empty() ? default_operator() : a.operator_name;
  if (config.profile.terminal_authentication && a.cvca.empty()) {
    throw ValidationError(std::vector<Problem>{
        {"--cvca",
         "profile " + config.profile.name +
             " protects the fingerprints with Terminal Authentication: give the CVCA certificate"}});
  }
  if (!a.cvca.empty()) config.cvca_certificate = read_file(a.cvca, 4096);
  {
    auto signer = pki::open_signer(a.signer);  // a wrong key fails before any card
    if (signer->is_test_key() && (a.production || !a.test_run)) {
      throw Error(pki::printable_signer_spec(a.signer) + ": the Document Signer is a TEST ONLY sample key; " +
                  (a.production ? "--production refuses it"
                                : "a batch issues real cards and uses it only when --test-run says this "
                                  "is a test run"));
    }
  }
  if (!a.html_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(a.html_dir, ec))
      throw ValidationError(std::vector<Problem>{{"--html-dir", a.html_dir + " is not a directory"}});
    config.html_dir = a.html_dir;
  }
  config.verify.csca_files = a.csca;
  config.verify.crl_files = a.crl;
  config.verify.profile = config.profile;
  if (config.verify.csca_files.empty()) {
    auto anchor = std::filesystem::path(a.signer) / "csca.pem";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(anchor, ec))
      throw ValidationError(
          std::vector<Problem>{{"--csca", "give the CSCA certificate that read-back verification trusts"}});
    config.verify.csca_files = {anchor.string()};
  }
  auto journal = issuance::open_journal(a.journal);
  // An order issued earlier may have had its images erased (retention): the journal vouches for it.
  auto issued_before = [&journal](const std::string& id) -> std::optional<issuance::NewOrder> {
    auto o = journal->find(id);
    if (!o || o->state != issuance::OrderState::Issued) return std::nullopt;
    return issuance::NewOrder{o->order_id, o->document_number, o->content_sha256};
  };
  auto orders = issuance::load_orders(a.orders, config.profile, {}, issued_before);
  config.readers = resolve_readers(a.readers);
  config.stop = &g_stop;

  std::cout << "batch: " << orders.orders.size() << " orders from " << a.orders << ", "
            << config.readers.size() << " reader(s), journal " << journal->description() << ", station "
            << config.station << "\n";
  for (std::size_t i = 0; i < config.readers.size(); ++i)
    std::cout << "  R" << i << ": " << config.readers[i] << "\n";
  std::cout << std::flush;

  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  issuance::BatchSummary summary;
  {
    Display display(*journal, orders.ids(), config.readers);
    issuance::BatchObserver observer;
    observer.event = [&display](const BatchEvent& e) { display.event(e); };
    observer.activity = [&display](const std::string& reader, ReaderActivity what, const std::string& order) {
      display.activity(reader, what, order);
    };
    summary = issuance::run_batch(config, *journal, orders, observer);
    display.finish();
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  const auto& c = summary.counts;
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.1f s, %.1f cards/min", summary.seconds,
                summary.seconds > 0 ? static_cast<double>(summary.issued_now) * 60 / summary.seconds : 0.0);
  std::cout << "summary: " << c.total() << " orders: " << c.issued << " issued (" << summary.issued_now
            << " by this run), " << c.failed << " failed, " << c.spoiled << " spoiled, " << c.review
            << " for review, " << c.pending << " pending, " << c.in_flight << " in flight; " << rate << "\n";
  for (auto state :
       {issuance::OrderState::Failed, issuance::OrderState::Spoiled, issuance::OrderState::Review}) {
    for (const auto& o : journal->list(state)) {
      if (orders.find(o.order_id) == nullptr) continue;
      std::cout << "  " << issuance::order_state_name(state) << ": order " << o.order_id << " (document "
                << o.document_number << "): " << o.failure << "\n";
    }
  }
  if (summary.images_erased > 0)
    std::cout << "erased " << summary.images_erased << " input image file(s) of issued orders (profile "
              << config.profile.name << " retention)\n";
  if (!config.html_dir.empty()) {
    auto index = std::filesystem::path(config.html_dir) / "index.html";
    write_file_atomic(index, as_bytes(issuance::batch_summary_html(*journal, orders, config.html_dir)), true);
    std::cout << "QA pages in " << config.html_dir << " (summary " << index.string() << ")\n";
  }
  if (summary.interrupted) std::cout << "stopped by a signal: the pending orders wait for the next run\n";
  if (summary.idle) std::cout << "stopped: no card arrived within --idle-exit\n";
  if (summary.in_flight_here > 0)
    std::cout << summary.in_flight_here << " order(s) in flight on this station's readers (a card pulled "
              << "while being locked): put the card back in its reader and run the batch again\n";
  if (c.in_flight > summary.in_flight_here)
    std::cout << c.in_flight - summary.in_flight_here
              << " order(s) still in flight at another station: that station settles them, "
              << "or its next rcperso batch run does if it stopped\n";
  if (!summary.fatal.empty()) {
    std::cerr << "rcperso: batch stopped: " << summary.fatal << "\n";
    return kExitCard;
  }
  return c.issued == c.total() ? kExitOk : kExitFail;
}

CLI::App* add_journal_command(CLI::App& app, JournalArgs& a) {
  auto* cmd = app.add_subcommand("journal", "List, export and resolve the orders of an issuance journal");
  cmd->add_option("--journal", a.journal, "The journal: a SQLite file or a postgresql:// URI")->required();
  cmd->require_subcommand(0, 1);
  a.list = cmd->add_subcommand("list", "List the orders (the default)");
  a.list->add_option("--state", a.state, "Only orders in this state");
  a.exporter =
      cmd->add_subcommand("export", "Export the orders for the issuing system (CSV or JSON on stdout)");
  a.exporter->add_option("--format", a.format, "csv or json")->check(CLI::IsMember({"csv", "json"}));
  a.exporter->add_option("--state", a.state, "Only orders in this state (e.g. issued)");
  a.resolve =
      cmd->add_subcommand("resolve", "The operator's decision on an order under review, failed or spoiled");
  a.resolve->add_option("ORDER", a.order, "Order id")->required();
  a.resolve->add_option("--as", a.resolve_as, "pending (issue it again), failed or spoiled")
      ->required()
      ->check(CLI::IsMember({"pending", "failed", "spoiled"}));
  a.resolve->add_option("--reason", a.reason, "Why, for the journal");
  a.resolve->add_option("--operator", a.operator_name, "Operator name (default: $USER)");
  for (auto* sub : {a.list, a.exporter, a.resolve}) sub->fallthrough();
  return cmd;
}

int run_journal_command(const JournalArgs& a) {
  if (!std::filesystem::exists(a.journal)) throw Error(a.journal + ": no such journal");
  auto journal = issuance::open_journal(a.journal);
  std::optional<issuance::OrderState> state;
  if (!a.state.empty()) state = issuance::order_state_from_name(a.state);
  if (a.resolve != nullptr && *a.resolve) {
    auto order = journal->find(a.order);
    if (!order) throw Error("there is no order " + a.order + " in " + a.journal);
    auto to = issuance::order_state_from_name(a.resolve_as);
    if (order->state == issuance::OrderState::InFlight) {
      throw Error("order " + a.order +
                  " is in flight: a batch is working on it, or the next run of its station resolves it");
    }
    issuance::Actor who{"", "", a.operator_name.empty() ? default_operator() : a.operator_name};
    std::string detail = "resolved by the operator" + (a.reason.empty() ? std::string() : ": " + a.reason);
    auto after = journal->transition(a.order, order->state, to, who, detail);
    std::cout << "order " << after.order_id << " (document " << after.document_number
              << "): " << issuance::order_state_name(order->state) << " -> "
              << issuance::order_state_name(after.state) << "\n";
    return kExitOk;
  }
  auto orders = journal->list(state);
  if (a.exporter != nullptr && *a.exporter) {
    std::cout << (a.format == "json" ? issuance::journal_json(orders) : issuance::journal_csv(orders));
    return kExitOk;
  }
  std::printf("%-20s %-10s %-3s %-14s %-24s %s\n", "ORDER", "STATE", "TRY", "DOCUMENT", "UPDATED",
              "READER / NOTE");
  for (const auto& o : orders) {
    std::string note = o.reader;
    if (!o.failure.empty() && o.state != issuance::OrderState::Issued)
      note += (note.empty() ? "" : ": ") + o.failure;
    std::printf("%-20s %-10s %-3d %-14s %-24s %s\n", o.order_id.c_str(), issuance::order_state_name(o.state),
                o.attempts, o.document_number.c_str(), o.updated_at.c_str(), note.c_str());
  }
  auto c = journal->counts();
  std::printf("%zu orders: %zu issued, %zu pending, %zu in flight, %zu failed, %zu spoiled, %zu for review\n",
              c.total(), c.issued, c.pending, c.in_flight, c.failed, c.spoiled, c.review);
  return kExitOk;
}

}  // namespace rcperso::cli
