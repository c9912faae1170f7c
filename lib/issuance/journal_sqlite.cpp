// The SQLite journal: WAL with synchronous=FULL, so that every committed
// transition survives a kill -9 or a power cut, and BEGIN IMMEDIATE around
// every change, so that claims by several threads or processes serialize.
#include <sqlite3.h>

#include <mutex>

#include <nlohmann/json.hpp>

#include "issuance/journal.hpp"
#include "issuance/journal_sql.hpp"

namespace rcperso::issuance {

namespace {

constexpr const char* kSqliteSchema = R"sql(
CREATE TABLE IF NOT EXISTS orders (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT NOT NULL UNIQUE,
  content_sha256 TEXT NOT NULL,
  document_number TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('pending','in_flight','issued','failed','spoiled','review')),
  attempts INTEGER NOT NULL DEFAULT 0,
  card_id TEXT, sod_sha256 TEXT, ds_certificate TEXT,
  station TEXT, reader TEXT, operator TEXT, failure TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, claimed_at TEXT, issued_at TEXT);
CREATE INDEX IF NOT EXISTS orders_by_state ON orders (state, seq);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT NOT NULL, at TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL,
  station TEXT, reader TEXT, operator TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS events_by_order ON events (order_id, id);
)sql";

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& where) : db_(db), where_(where) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      throw Error(where + ": " + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    check(sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind_or_null(int i, const std::string& v) {
    if (v.empty()) {
      check(sqlite3_bind_null(stmt_, i));
      return *this;
    }
    return bind(i, v);
  }
  Statement& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }
  /// True while there is a row.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(where_ + ": " + sqlite3_errmsg(db_));
  }
  std::string text(int i) const {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  }
  std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) throw Error(where_ + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string where_;
};

OrderRecord order_from(const Statement& s) {
  OrderRecord o;
  o.order_id = s.text(0);
  o.content_sha256 = s.text(1);
  o.document_number = s.text(2);
  o.state = order_state_from_name(s.text(3));
  o.attempts = static_cast<int>(s.integer(4));
  o.card_id = s.text(5);
  o.sod_sha256 = s.text(6);
  o.ds_certificate = s.text(7);
  o.station = s.text(8);
  o.reader = s.text(9);
  o.operator_name = s.text(10);
  o.failure = s.text(11);
  o.created_at = s.text(12);
  o.updated_at = s.text(13);
  o.claimed_at = s.text(14);
  o.issued_at = s.text(15);
  return o;
}

/// The ids as a JSON array for json_each(), or empty text for "all".
class SqliteJournal final : public Journal {
 public:
  explicit SqliteJournal(const std::string& path) : path_(path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw Error(path + ": cannot open the journal: " + why);
    }
    sqlite3_busy_timeout(db_, 15000);  // another station or thread holds the write lock briefly
    try {
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=FULL");
      exec("PRAGMA foreign_keys=ON");
      std::string ok;
      {
        Statement check(db_, "PRAGMA quick_check", path_);
        if (check.step()) ok = check.text(0);
      }
      if (ok != "ok") throw Error(path_ + ": the journal is damaged (" + ok + "); restore it from a backup");
      exec(kSqliteSchema);
    } catch (...) {
      sqlite3_close(db_);
      throw;
    }
  }
  ~SqliteJournal() override { sqlite3_close(db_); }

  std::string description() const override { return path_; }

  ImportResult import_orders(const std::vector<NewOrder>& orders) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    ImportResult result;
    std::vector<Problem> problems;
    std::string now = journal_timestamp();
    for (const auto& n : orders) {
      Statement by_id(db_, "SELECT content_sha256, document_number FROM orders WHERE order_id = ?", path_);
      by_id.bind(1, n.order_id);
      if (by_id.step()) {
        if (by_id.text(0) != n.content_sha256 || by_id.text(1) != n.document_number) {
          problems.push_back({n.order_id, "the journal has this order with other content (document " +
                                              by_id.text(1) +
                                              "); an order is never changed once imported: give the "
                                              "changed record a new order id"});
        } else {
          ++result.known;
        }
        continue;
      }
      Statement by_number(db_, "SELECT order_id FROM orders WHERE document_number = ?", path_);
      by_number.bind(1, n.document_number);
      if (by_number.step()) {
        problems.push_back({n.order_id, "document number " + n.document_number + " belongs to order " +
                                            by_number.text(0) + " in the journal already"});
        continue;
      }
      Statement insert(db_,
                       "INSERT INTO orders (order_id, content_sha256, document_number, state, created_at, "
                       "updated_at) VALUES (?, ?, ?, 'pending', ?, ?)",
                       path_);
      insert.bind(1, n.order_id)
          .bind(2, n.content_sha256)
          .bind(3, n.document_number)
          .bind(4, now)
          .bind(5, now);
      insert.step();
      log_event(n.order_id, now, "", "pending", Actor{}, "imported");
      ++result.added;
    }
    if (!problems.empty()) throw ValidationError(std::move(problems));  // rolls back
    tx.commit();
    return result;
  }

  std::optional<OrderRecord> claim_next(const Actor& who, const std::vector<std::string>& among) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    std::string now = journal_timestamp();
    std::string filter = sql::id_filter(among);
    Statement claim(
        db_,
        std::string("UPDATE orders SET state = 'in_flight', attempts = attempts + 1, station = ?1, "
                    "reader = ?2, operator = ?3, claimed_at = ?4, updated_at = ?4, card_id = NULL, "
                    "sod_sha256 = NULL, ds_certificate = NULL "
                    "WHERE seq = (SELECT seq FROM orders WHERE state = 'pending' AND (?5 IS NULL OR "
                    "order_id IN (SELECT value FROM json_each(?5))) ORDER BY seq LIMIT 1) "
                    "RETURNING ") +
            sql::kOrderColumns,
        path_);
    claim.bind_or_null(1, who.station).bind_or_null(2, who.reader).bind_or_null(3, who.operator_name);
    claim.bind(4, now).bind_or_null(5, filter);
    if (!claim.step()) return std::nullopt;
    OrderRecord o = order_from(claim);
    while (claim.step()) {
    }
    log_event(o.order_id, now, "pending", "in_flight", who, "attempt " + std::to_string(o.attempts));
    tx.commit();
    return o;
  }

  void record_card(const std::string& order_id, const std::string& card_id, const std::string& sod_sha256,
                   const std::string& ds_certificate) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    Statement s(db_,
                "UPDATE orders SET card_id = COALESCE(?2, card_id), sod_sha256 = COALESCE(?3, sod_sha256), "
                "ds_certificate = COALESCE(?4, ds_certificate), updated_at = ?5 "
                "WHERE order_id = ?1 AND state = 'in_flight'",
                path_);
    s.bind(1, order_id).bind_or_null(2, card_id).bind_or_null(3, sod_sha256).bind_or_null(4, ds_certificate);
    s.bind(5, journal_timestamp());
    s.step();
    if (sqlite3_changes(db_) != 1) throw JournalError("order " + order_id + " is not in flight");
    tx.commit();
  }

  OrderRecord transition(const std::string& order_id, OrderState from, OrderState to, const Actor& who,
                         const std::string& detail) override {
    if (!transition_allowed(from, to)) {
      throw JournalError(std::string("order ") + order_id + ": " + order_state_name(from) + " -> " +
                         order_state_name(to) + " is not allowed");
    }
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    std::string now = journal_timestamp();
    // The failure reason stays with failed/spoiled/review and a retried order; issued clears it.
    Statement s(
        db_,
        std::string("UPDATE orders SET state = ?2, updated_at = ?3, "
                    "failure = CASE WHEN ?2 = 'issued' THEN NULL WHEN ?4 IS NULL THEN failure ELSE ?4 END, "
                    "issued_at = CASE WHEN ?2 = 'issued' THEN ?3 ELSE issued_at END, "
                    "operator = COALESCE(?5, operator) "
                    "WHERE order_id = ?1 AND state = ?6 RETURNING ") +
            sql::kOrderColumns,
        path_);
    s.bind(1, order_id).bind(2, std::string(order_state_name(to))).bind(3, now).bind_or_null(4, detail);
    s.bind_or_null(5, who.operator_name).bind(6, std::string(order_state_name(from)));
    if (!s.step()) {
      Statement current(db_, "SELECT state FROM orders WHERE order_id = ?", path_);
      current.bind(1, order_id);
      if (!current.step()) throw JournalError("there is no order " + order_id + " in " + path_);
      throw JournalError("order " + order_id + " is " + current.text(0) + ", not " + order_state_name(from));
    }
    OrderRecord o = order_from(s);
    while (s.step()) {
    }
    log_event(order_id, now, order_state_name(from), order_state_name(to), who, detail);
    tx.commit();
    return o;
  }

  std::optional<OrderRecord> find(const std::string& order_id) override {
    std::lock_guard lock(mutex_);
    Statement s(db_, std::string("SELECT ") + sql::kOrderColumns + " FROM orders WHERE order_id = ?", path_);
    s.bind(1, order_id);
    if (!s.step()) return std::nullopt;
    return order_from(s);
  }

  std::vector<OrderRecord> list(std::optional<OrderState> state) override {
    std::lock_guard lock(mutex_);
    Statement s(
        db_,
        std::string("SELECT ") + sql::kOrderColumns + " FROM orders WHERE ?1 IS NULL OR state = ?1 ORDER BY seq",
        path_);
    s.bind_or_null(1, state ? std::string(order_state_name(*state)) : std::string());
    std::vector<OrderRecord> out;
    while (s.step()) out.push_back(order_from(s));
    return out;
  }

  std::vector<OrderRecord> in_flight_of(const std::string& station) override {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                std::string("SELECT ") + sql::kOrderColumns +
                    " FROM orders WHERE state = 'in_flight' AND station IS ?1 ORDER BY seq",
                path_);
    s.bind_or_null(1, station);
    std::vector<OrderRecord> out;
    while (s.step()) out.push_back(order_from(s));
    return out;
  }

  StateCounts counts(const std::vector<std::string>& among) override {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "SELECT state, COUNT(*) FROM orders WHERE ?1 IS NULL OR order_id IN (SELECT value FROM "
                "json_each(?1)) GROUP BY state",
                path_);
    s.bind_or_null(1, sql::id_filter(among));
    StateCounts c;
    while (s.step()) {
      auto n = static_cast<std::size_t>(s.integer(1));
      c.of(order_state_from_name(s.text(0))) = n;
    }
    return c;
  }

  std::vector<JournalEvent> events(const std::string& order_id) override {
    std::lock_guard lock(mutex_);
    Statement s(
        db_,
        "SELECT id, order_id, at, from_state, to_state, station, reader, operator, detail FROM events "
        "WHERE ?1 IS NULL OR order_id = ?1 ORDER BY id",
        path_);
    s.bind_or_null(1, order_id);
    std::vector<JournalEvent> out;
    while (s.step()) {
      out.push_back({s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6),
                     s.text(7), s.text(8)});
    }
    return out;
  }

 private:
  /// BEGIN IMMEDIATE takes the write lock up front, so a claim never upgrades a read lock and
  /// deadlocks against another writer; rolled back unless committed.
  class Transaction {
   public:
    explicit Transaction(SqliteJournal& j) : j_(j) { j_.exec("BEGIN IMMEDIATE"); }
    ~Transaction() {
      if (!done_) sqlite3_exec(j_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
      j_.exec("COMMIT");
      done_ = true;
    }

   private:
    SqliteJournal& j_;
    bool done_ = false;
  };

  void exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string why = message != nullptr ? message : sqlite3_errmsg(db_);
      sqlite3_free(message);
      throw Error(path_ + ": " + why);
    }
  }

  void log_event(const std::string& order_id, const std::string& at, const std::string& from,
                 const std::string& to, const Actor& who, const std::string& detail) {
    Statement s(db_,
                "INSERT INTO events (order_id, at, from_state, to_state, station, reader, operator, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                path_);
    s.bind(1, order_id).bind(2, at).bind_or_null(3, from).bind(4, to).bind_or_null(5, who.station);
    s.bind_or_null(6, who.reader).bind_or_null(7, who.operator_name).bind_or_null(8, detail);
    s.step();
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Journal> open_sqlite_journal(const std::string& path) {
  return std::make_unique<SqliteJournal>(path);
}

}  // namespace rcperso::issuance
