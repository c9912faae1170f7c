#include "issuance/journal.hpp"

#include <chrono>
#include <ctime>

#include <nlohmann/json.hpp>

namespace rcperso::issuance {

const char* order_state_name(OrderState state) {
  switch (state) {
    case OrderState::Pending:
      return "pending";
    case OrderState::InFlight:
      return "in_flight";
    case OrderState::Issued:
      return "issued";
    case OrderState::Failed:
      return "failed";
    case OrderState::Spoiled:
      return "spoiled";
    case OrderState::Review:
      return "review";
  }
  return "?";
}

OrderState order_state_from_name(const std::string& name) {
  for (auto s : {OrderState::Pending, OrderState::InFlight, OrderState::Issued, OrderState::Failed,
                 OrderState::Spoiled, OrderState::Review}) {
    if (name == order_state_name(s)) return s;
  }
  throw Error("'" + name + "' is not an order state (pending, in_flight, issued, failed, spoiled, review)");
}

bool transition_allowed(OrderState from, OrderState to) {
  using S = OrderState;
  switch (from) {
    case S::Pending:  // claimed, or withdrawn by the operator
      return to == S::InFlight || to == S::Failed;
    case S::InFlight:  // the attempt ends one way or another
      return to == S::Issued || to == S::Pending || to == S::Failed || to == S::Spoiled || to == S::Review;
    case S::Review:  // the operator (or a later recovery that finds the card) decides
      return to == S::Issued || to == S::Pending || to == S::Failed || to == S::Spoiled;
    case S::Failed:
    case S::Spoiled:  // the operator queues the order again, for a new card
      return to == S::Pending;
    case S::Issued:  // final: a card exists
      return false;
  }
  return false;
}

std::size_t& StateCounts::of(OrderState state) {
  switch (state) {
    case OrderState::Pending:
      return pending;
    case OrderState::InFlight:
      return in_flight;
    case OrderState::Issued:
      return issued;
    case OrderState::Failed:
      return failed;
    case OrderState::Spoiled:
      return spoiled;
    case OrderState::Review:
      return review;
  }
  throw Error("unknown order state");
}

OrderState after_failed_attempt(const OrderRecord& order, int retries) {
  return order.attempts <= retries ? OrderState::Pending : OrderState::Failed;
}

std::string journal_timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

namespace {

struct Column {
  const char* name;
  std::string OrderRecord::*field;
};

const Column kTextColumns[] = {
    {"order_id", &OrderRecord::order_id},
    {"document_number", &OrderRecord::document_number},
    {"card_id", &OrderRecord::card_id},
    {"sod_sha256", &OrderRecord::sod_sha256},
    {"ds_certificate", &OrderRecord::ds_certificate},
    {"station", &OrderRecord::station},
    {"reader", &OrderRecord::reader},
    {"operator", &OrderRecord::operator_name},
    {"failure", &OrderRecord::failure},
    {"created_at", &OrderRecord::created_at},
    {"updated_at", &OrderRecord::updated_at},
    {"claimed_at", &OrderRecord::claimed_at},
    {"issued_at", &OrderRecord::issued_at},
};

/// RFC 4180: quoted when it holds a comma, quote or line break; a leading formula character is
/// prefixed with a quote so that a spreadsheet shows it as text.
std::string csv_field(const std::string& value) {
  std::string v = value;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v.insert(0, "'");
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string journal_csv(const std::vector<OrderRecord>& orders) {
  std::string out = "order_id,state,attempts";
  for (const auto& c : kTextColumns) {
    if (std::string_view(c.name) != "order_id") out += std::string(",") + c.name;
  }
  out += "\r\n";
  for (const auto& o : orders) {
    out += csv_field(o.order_id) + "," + order_state_name(o.state) + "," + std::to_string(o.attempts);
    for (const auto& c : kTextColumns) {
      if (std::string_view(c.name) != "order_id") out += "," + csv_field(o.*(c.field));
    }
    out += "\r\n";
  }
  return out;
}

std::string journal_json(const std::vector<OrderRecord>& orders) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& o : orders) {
    nlohmann::json j;
    j["order_id"] = o.order_id;
    j["state"] = order_state_name(o.state);
    j["attempts"] = o.attempts;
    for (const auto& c : kTextColumns) {
      if (std::string_view(c.name) == "order_id") continue;
      const std::string& v = o.*(c.field);
      j[c.name] = v.empty() ? nlohmann::json(nullptr) : nlohmann::json(v);
    }
    list.push_back(std::move(j));
  }
  return list.dump(2) + "\n";
}

std::unique_ptr<Journal> open_journal(const std::string& spec) {
  if (spec.empty()) throw Error("--journal: name the journal file (e.g. perso.db)");
  if (spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0)
    return open_postgres_journal(spec);
  std::string path = spec.rfind("sqlite:", 0) == 0 ? spec.substr(7) : spec;
  return open_sqlite_journal(path);
}

}  // namespace rcperso::issuance
