// What the SQLite and PostgreSQL journals share: the order columns, in the
// order both read them back, and how a claim's candidate list is passed.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rcperso::issuance::sql {

inline constexpr const char* kOrderColumns =
    "order_id, content_sha256, document_number, state, attempts, card_id, sod_sha256, ds_certificate, "
    "station, reader, operator, failure, created_at, updated_at, claimed_at, issued_at";

/// The order ids a claim may take, as one JSON array parameter; empty (NULL) for any order.
inline std::string id_filter(const std::vector<std::string>& among) {
  if (among.empty()) return {};
  return nlohmann::json(among).dump();
}

}  // namespace rcperso::issuance::sql
