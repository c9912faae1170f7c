// The shared journal on a PostgreSQL server, for several stations working one
// queue. Every method is one transaction; claims take the oldest pending order
// with FOR UPDATE SKIP LOCKED, so two stations never get the same order and
// never wait for each other. Commits are durable when they return (the
// server's synchronous_commit; we refuse a server where it is off).
#include <libpq-fe.h>

#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "issuance/journal.hpp"
#include "issuance/journal_sql.hpp"

namespace rcperso::issuance {

namespace {

constexpr const char* kPostgresSchema = R"sql(
CREATE TABLE IF NOT EXISTS orders (
  seq BIGSERIAL PRIMARY KEY,
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
  id BIGSERIAL PRIMARY KEY,
  order_id TEXT NOT NULL, at TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL,
  station TEXT, reader TEXT, operator TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS events_by_order ON events (order_id, id);
)sql";

// An arbitrary constant: the advisory lock that serializes schema creation across stations.
constexpr const char* kSchemaLock = "SELECT pg_advisory_xact_lock(7236115103)";

/// A query parameter: text, or SQL NULL for an empty string (as the SQLite journal stores them).
struct Param {
  std::string value;
  bool null = false;
};
Param text(const std::string& v) { return {v, false}; }
Param text_or_null(const std::string& v) { return {v, v.empty()}; }

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

/// The URI as it may appear in messages: without a password.
std::string redact(const std::string& uri) {
  auto scheme = uri.find("://");
  auto at = uri.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return uri;
  auto colon = uri.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return uri;
  return uri.substr(0, colon) + ":***" + uri.substr(at);
}

OrderRecord order_from(const PGresult* r, int row) {
  auto t = [&](int col) {
    return PQgetisnull(r, row, col) != 0 ? std::string() : std::string(PQgetvalue(r, row, col));
  };
  OrderRecord o;
  o.order_id = t(0);
  o.content_sha256 = t(1);
  o.document_number = t(2);
  o.state = order_state_from_name(t(3));
  o.attempts = std::stoi(t(4));
  o.card_id = t(5);
  o.sod_sha256 = t(6);
  o.ds_certificate = t(7);
  o.station = t(8);
  o.reader = t(9);
  o.operator_name = t(10);
  o.failure = t(11);
  o.created_at = t(12);
  o.updated_at = t(13);
  o.claimed_at = t(14);
  o.issued_at = t(15);
  return o;
}

class PostgresJournal final : public Journal {
 public:
  explicit PostgresJournal(const std::string& uri) : uri_(uri), where_(redact(uri)) {
    connect();
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    run(kSchemaLock, {});
    run(kPostgresSchema, {});
    tx.commit();
  }
  ~PostgresJournal() override { PQfinish(conn_); }

  std::string description() const override { return where_; }

  ImportResult import_orders(const std::vector<NewOrder>& orders) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    // Two stations importing the same ORDERS at once: the second waits, then finds them known.
    run("LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE", {});
    ImportResult result;
    std::vector<Problem> problems;
    std::string now = journal_timestamp();
    for (const auto& n : orders) {
      Result by_id =
          run("SELECT content_sha256, document_number FROM orders WHERE order_id = $1", {text(n.order_id)});
      if (PQntuples(by_id.get()) > 0) {
        std::string content = PQgetvalue(by_id.get(), 0, 0), number = PQgetvalue(by_id.get(), 0, 1);
        if (content != n.content_sha256 || number != n.document_number) {
          problems.push_back({n.order_id, "the journal has this order with other content (document " +
                                              number +
                                              "); an order is never changed once imported: give the "
                                              "changed record a new order id"});
        } else {
          ++result.known;
        }
        continue;
      }
      Result by_number =
          run("SELECT order_id FROM orders WHERE document_number = $1", {text(n.document_number)});
      if (PQntuples(by_number.get()) > 0) {
        problems.push_back({n.order_id, "document number " + n.document_number + " belongs to order " +
                                            PQgetvalue(by_number.get(), 0, 0) + " in the journal already"});
        continue;
      }
      run("INSERT INTO orders (order_id, content_sha256, document_number, state, created_at, updated_at) "
          "VALUES ($1, $2, $3, 'pending', $4, $4)",
          {text(n.order_id), text(n.content_sha256), text(n.document_number), text(now)});
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
    Result r = run(
        std::string("WITH next AS (SELECT seq FROM orders WHERE state = 'pending' AND ($5::jsonb IS NULL "
                    "OR order_id IN (SELECT jsonb_array_elements_text($5::jsonb))) ORDER BY seq LIMIT 1 "
                    "FOR UPDATE SKIP LOCKED) "
                    "UPDATE orders o SET state = 'in_flight', attempts = attempts + 1, station = $1, "
                    "reader = $2, operator = $3, claimed_at = $4, updated_at = $4, card_id = NULL, "
                    "sod_sha256 = NULL, ds_certificate = NULL FROM next WHERE o.seq = next.seq RETURNING ") +
            qualified_columns("o"),
        {text_or_null(who.station), text_or_null(who.reader), text_or_null(who.operator_name), text(now),
         text_or_null(sql::id_filter(among))});
    if (PQntuples(r.get()) == 0) return std::nullopt;
    OrderRecord o = order_from(r.get(), 0);
    log_event(o.order_id, now, "pending", "in_flight", who, "attempt " + std::to_string(o.attempts));
    tx.commit();
    return o;
  }

  void record_card(const std::string& order_id, const std::string& card_id, const std::string& sod_sha256,
                   const std::string& ds_certificate) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    Result r =
        run("UPDATE orders SET card_id = COALESCE($2, card_id), sod_sha256 = COALESCE($3, sod_sha256), "
            "ds_certificate = COALESCE($4, ds_certificate), updated_at = $5 "
            "WHERE order_id = $1 AND state = 'in_flight'",
            {text(order_id), text_or_null(card_id), text_or_null(sod_sha256), text_or_null(ds_certificate),
             text(journal_timestamp())});
    if (std::string(PQcmdTuples(r.get())) != "1")
      throw JournalError("order " + order_id + " is not in flight");
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
    Result r =
        run(std::string("UPDATE orders SET state = $2, updated_at = $3, "
                        "failure = CASE WHEN $2 = 'issued' THEN NULL WHEN $4::text IS NULL THEN failure "
                        "ELSE $4 END, "
                        "issued_at = CASE WHEN $2 = 'issued' THEN $3 ELSE issued_at END, "
                        "operator = COALESCE($5, operator) "
                        "WHERE order_id = $1 AND state = $6 RETURNING ") +
                sql::kOrderColumns,
            {text(order_id), text(order_state_name(to)), text(now), text_or_null(detail),
             text_or_null(who.operator_name), text(order_state_name(from))});
    if (PQntuples(r.get()) == 0) {
      Result current = run("SELECT state FROM orders WHERE order_id = $1", {text(order_id)});
      if (PQntuples(current.get()) == 0)
        throw JournalError("there is no order " + order_id + " in " + where_);
      throw JournalError("order " + order_id + " is " + PQgetvalue(current.get(), 0, 0) + ", not " +
                         order_state_name(from));
    }
    OrderRecord o = order_from(r.get(), 0);
    log_event(order_id, now, order_state_name(from), order_state_name(to), who, detail);
    tx.commit();
    return o;
  }

  std::optional<OrderRecord> find(const std::string& order_id) override {
    std::lock_guard lock(mutex_);
    Result r =
        run(std::string("SELECT ") + sql::kOrderColumns + " FROM orders WHERE order_id = $1", {text(order_id)});
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return order_from(r.get(), 0);
  }

  std::vector<OrderRecord> list(std::optional<OrderState> state) override {
    std::lock_guard lock(mutex_);
    Result r = run(std::string("SELECT ") + sql::kOrderColumns +
                       " FROM orders WHERE $1::text IS NULL OR state = $1 ORDER BY seq",
                   {text_or_null(state ? std::string(order_state_name(*state)) : std::string())});
    return orders_of(r.get());
  }

  std::vector<OrderRecord> in_flight_of(const std::string& station) override {
    std::lock_guard lock(mutex_);
    Result r =
        run(std::string("SELECT ") + sql::kOrderColumns +
                " FROM orders WHERE state = 'in_flight' AND station IS NOT DISTINCT FROM $1 ORDER BY seq",
            {text_or_null(station)});
    return orders_of(r.get());
  }

  StateCounts counts(const std::vector<std::string>& among) override {
    std::lock_guard lock(mutex_);
    Result r =
        run("SELECT state, COUNT(*) FROM orders WHERE $1::jsonb IS NULL OR order_id IN "
            "(SELECT jsonb_array_elements_text($1::jsonb)) GROUP BY state",
            {text_or_null(sql::id_filter(among))});
    StateCounts c;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      auto n = static_cast<std::size_t>(std::stoull(PQgetvalue(r.get(), i, 1)));
      c.of(order_state_from_name(PQgetvalue(r.get(), i, 0))) = n;
    }
    return c;
  }

  std::vector<JournalEvent> events(const std::string& order_id) override {
    std::lock_guard lock(mutex_);
    Result r =
        run("SELECT id, order_id, at, from_state, to_state, station, reader, operator, detail FROM events "
            "WHERE $1::text IS NULL OR order_id = $1 ORDER BY id",
            {text_or_null(order_id)});
    std::vector<JournalEvent> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      auto t = [&](int col) {
        return PQgetisnull(r.get(), i, col) != 0 ? std::string() : std::string(PQgetvalue(r.get(), i, col));
      };
      out.push_back({std::stoll(t(0)), t(1), t(2), t(3), t(4), t(5), t(6), t(7), t(8)});
    }
    return out;
  }

 private:
  class Transaction {
   public:
    explicit Transaction(PostgresJournal& j) : j_(j) { j_.run("BEGIN", {}); }
    ~Transaction() {
      if (!done_) PQclear(PQexec(j_.conn_, "ROLLBACK"));
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
      j_.run("COMMIT", {});
      done_ = true;
    }

   private:
    PostgresJournal& j_;
    bool done_ = false;
  };

  static std::string qualified_columns(const std::string& alias) {
    std::string out, columns = sql::kOrderColumns;
    std::size_t start = 0;
    while (start < columns.size()) {
      auto end = columns.find(", ", start);
      if (end == std::string::npos) end = columns.size();
      out += (out.empty() ? "" : ", ") + alias + "." + columns.substr(start, end - start);
      start = end + 2;
    }
    return out;
  }

  static std::vector<OrderRecord> orders_of(const PGresult* r) {
    std::vector<OrderRecord> out;
    for (int i = 0; i < PQntuples(r); ++i) out.push_back(order_from(r, i));
    return out;
  }

  void connect() {
    conn_ = PQconnectdb(uri_.c_str());
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      std::string why = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      PQfinish(conn_);
      conn_ = nullptr;
      throw Error(where_ + ": cannot open the journal: " + why);
    }
    // The schema's "already exists, skipping" notices are not for the operator.
    PQclear(PQexec(conn_, "SET client_min_messages TO warning"));
    // A commit must be on disk before a card is reported issued.
    Result r(PQexec(conn_, "SHOW synchronous_commit"));
    if (PQresultStatus(r.get()) == PGRES_TUPLES_OK && std::string(PQgetvalue(r.get(), 0, 0)) == "off") {
      PQfinish(conn_);
      conn_ = nullptr;
      throw Error(where_ +
                  ": the server runs with synchronous_commit=off, which can lose committed "
                  "issuances in a crash; turn it on for the journal's database");
    }
  }

  /// Runs one statement. A connection lost outside a transaction is re-established once (a server
  /// restart between two orders); inside one, the transaction is lost and the error reported.
  Result run(const std::string& sql, const std::vector<Param>& params) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.null ? nullptr : p.value.c_str());
    for (int attempt = 0;; ++attempt) {
      // Without parameters through PQexec, which also takes the several statements of the schema.
      Result r(values.empty() ? PQexec(conn_, sql.c_str())
                              : PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                             values.data(), nullptr, nullptr, 0));
      auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
      bool lost = PQstatus(conn_) == CONNECTION_BAD;
      if (lost && attempt == 0 && sql == "BEGIN") {
        PQreset(conn_);
        if (PQstatus(conn_) == CONNECTION_OK) continue;
      }
      std::string why = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_);
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      throw Error(where_ + ": " + why);
    }
  }

  void log_event(const std::string& order_id, const std::string& at, const std::string& from,
                 const std::string& to, const Actor& who, const std::string& detail) {
    run("INSERT INTO events (order_id, at, from_state, to_state, station, reader, operator, detail) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        {text(order_id), text(at), text_or_null(from), text(to), text_or_null(who.station),
         text_or_null(who.reader), text_or_null(who.operator_name), text_or_null(detail)});
  }

  std::string uri_;
  std::string where_;
  PGconn* conn_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Journal> open_postgres_journal(const std::string& uri) {
  return std::make_unique<PostgresJournal>(uri);
}

}  // namespace rcperso::issuance
