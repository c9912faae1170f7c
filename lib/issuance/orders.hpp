// Batch input: a directory of application records (one order per *.json,
// its id the file name) or a JSON Lines file (one record per line, its id
// the line's "order_id" or FILE:LINE; image paths relative to the file).
// Loading validates every record as the single-card path does and names
// each problem with its file (and line).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "issuance/application.hpp"
#include "issuance/document_profile.hpp"
#include "issuance/journal.hpp"

namespace rcperso::issuance {

struct OrderInput {
  std::string order_id;
  std::string document_number;
  std::string content_sha256;  // the record (canonical JSON) and every image it names
  std::string source;          // "orders/0001.json" or "orders.jsonl:3", for messages
  std::string record_text;     // the application record, without "order_id"
  std::filesystem::path base_dir;
  std::vector<std::filesystem::path> image_paths;  // the files the record names, for erasure
  /// Issued by an earlier run whose retention erased its images: not parsed or prepared again.
  bool inputs_erased = false;
};

struct OrderSet {
  std::string path;
  std::vector<OrderInput> orders;  // in input order
  const OrderInput* find(const std::string& order_id) const;
  std::vector<std::string> ids() const;
  std::vector<NewOrder> for_journal() const;
};

inline constexpr std::size_t kMaxOrders = 100000;

/// Reads and validates every order. Throws ValidationError listing every problem in every record
/// (each field prefixed with its source), duplicate ids and duplicate document numbers.
/// The journal's record of an order it has issued (id, document number, content hash), or nullopt.
using IssuedLookup = std::function<std::optional<NewOrder>(const std::string& order_id)>;

/// `issued`: an order the journal has issued whose image files are missing (erased after its
/// issuance) is taken from its record and the journal's content hash, without its images.
OrderSet load_orders(const std::filesystem::path& path, const DocumentProfile& profile,
                     const LoadOptions& options = {}, const IssuedLookup& issued = {});

/// The order's application again, for preparation; its content must still hash as imported.
Application parse_order(const OrderInput& order, const DocumentProfile& profile,
                        const LoadOptions& options = {});

/// SHA-256 over the record's canonical JSON and the bytes of each image it names.
std::string order_content_hash(const std::string& canonical_record, const Application& app);

}  // namespace rcperso::issuance
