// The issuance journal: every order of a batch and what became of it, kept
// so that a crash or a power cut loses no order and issues none twice.
// Holds no biometric data, no MRZ beyond the document number and no keys.
// SQLite is the embedded back end (journal_sqlite.cpp); the interface is
// what a shared server journal (PostgreSQL, claiming with FOR UPDATE SKIP
// LOCKED) implements too, so the batch never sees which one it talks to.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace rcperso::issuance {

/// pending -> in_flight (claimed by one reader) -> issued | pending (retry) | failed | spoiled | review.
enum class OrderState { Pending, InFlight, Issued, Failed, Spoiled, Review };

const char* order_state_name(OrderState state);  // "pending", "in_flight", ...
/// Throws rcperso::Error naming the states for anything else.
OrderState order_state_from_name(const std::string& name);
/// The journal's transition rules: what the batch and the operator may do to an order.
bool transition_allowed(OrderState from, OrderState to);

/// A transition the rules forbid, or one whose order is not in the state the caller expected
/// (another process changed it first).
class JournalError : public Error {
 public:
  using Error::Error;
};

/// An order as the journal holds it. Timestamps are ISO 8601 UTC with milliseconds.
struct OrderRecord {
  std::string order_id;
  std::string content_sha256;  // of the record and its images, to refuse a changed order
  std::string document_number;
  OrderState state = OrderState::Pending;
  int attempts = 0;            // claims so far
  std::string card_id;         // e.g. "atr:3B88..." of the card it went onto
  std::string sod_sha256;      // EF.SOD as written and verified, recorded before the lock
  std::string ds_certificate;  // "sha256:..." of the Document Signer certificate
  std::string station;
  std::string reader;
  std::string operator_name;
  std::string failure;  // why the last attempt failed, or why it needs review
  std::string created_at;
  std::string updated_at;
  std::string claimed_at;
  std::string issued_at;
};

/// An order as the batch input presents it.
struct NewOrder {
  std::string order_id;
  std::string document_number;
  std::string content_sha256;
};

struct ImportResult {
  std::size_t added = 0;
  std::size_t known = 0;  // same id and same content: nothing to do
};

/// Who claims or changes an order.
struct Actor {
  std::string station;
  std::string reader;
  std::string operator_name;
};

struct StateCounts {
  std::size_t pending = 0, in_flight = 0, issued = 0, failed = 0, spoiled = 0, review = 0;
  std::size_t total() const { return pending + in_flight + issued + failed + spoiled + review; }
  /// The counter of `state`, for back ends that read (state, count) rows.
  std::size_t& of(OrderState state);
};

/// One recorded transition, for the audit trail.
struct JournalEvent {
  std::int64_t id = 0;
  std::string order_id;
  std::string at;
  std::string from_state;  // empty when the order was imported
  std::string to_state;
  std::string station;
  std::string reader;
  std::string operator_name;
  std::string detail;
};

/// Every method is one transaction, committed durably before it returns. Safe to call from
/// several threads; several processes may open the same journal.
class Journal {
 public:
  virtual ~Journal() = default;

  /// Adds orders not yet known, all in one transaction. An order whose id is known with other
  /// content, or whose document number another order has, refuses the whole import
  /// (ValidationError naming each).
  virtual ImportResult import_orders(const std::vector<NewOrder>& orders) = 0;
  /// Takes the oldest pending order among `among` (all pending orders when empty) for `who`:
  /// pending -> in_flight, attempts + 1. No two callers ever get the same order.
  virtual std::optional<OrderRecord> claim_next(const Actor& who, const std::vector<std::string>& among) = 0;
  /// While in flight: the card it is going onto and, once written, read back and verified, the
  /// hash of its EF.SOD, before the lock is sent (recovery compares it with the card's).
  virtual void record_card(const std::string& order_id, const std::string& card_id,
                           const std::string& sod_sha256, const std::string& ds_certificate) = 0;
  /// Moves an order from `from` to `to` (checked against the rules) and logs it; `detail` is the
  /// failure reason for failed/spoiled/review/pending. Throws JournalError when the order is not
  /// in `from` any more.
  virtual OrderRecord transition(const std::string& order_id, OrderState from, OrderState to,
                                 const Actor& who, const std::string& detail) = 0;
  virtual std::optional<OrderRecord> find(const std::string& order_id) = 0;
  /// All orders, or those in `state`, in import order.
  virtual std::vector<OrderRecord> list(std::optional<OrderState> state = std::nullopt) = 0;
  /// Orders left in flight by `station`.
  virtual std::vector<OrderRecord> in_flight_of(const std::string& station) = 0;
  virtual StateCounts counts(const std::vector<std::string>& among = {}) = 0;
  virtual std::vector<JournalEvent> events(const std::string& order_id = {}) = 0;
  /// Where it is, for messages ("perso.db").
  virtual std::string description() const = 0;
};

/// `spec`: a file path (SQLite, created when missing), or a "postgresql://" (or "postgres://")
/// libpq URI for the journal several stations share; its tables are created when missing.
std::unique_ptr<Journal> open_journal(const std::string& spec);
std::unique_ptr<Journal> open_sqlite_journal(const std::string& path);
std::unique_ptr<Journal> open_postgres_journal(const std::string& uri);

/// Applies the retry rule to a failed attempt: back to pending while attempts <= retries, else failed.
OrderState after_failed_attempt(const OrderRecord& order, int retries);

/// Exports for the issuing system (no biometric data; nothing beyond what the journal holds).
std::string journal_csv(const std::vector<OrderRecord>& orders);
std::string journal_json(const std::vector<OrderRecord>& orders);

/// Now as the journal writes it: 2026-12-01T13:31:26.123Z.
std::string journal_timestamp();

}  // namespace rcperso::issuance
