#include "issuance/retention.hpp"

#include <system_error>

#include "core/wipe.hpp"

namespace rcperso::issuance {

namespace {

/// One name per file, so that "orders/face.jpg" and "./orders/face.jpg" count as the same.
std::filesystem::path file_key(const std::filesystem::path& path) {
  std::error_code ec;
  auto key = std::filesystem::weakly_canonical(path, ec);
  return ec ? path.lexically_normal() : key;
}

}  // namespace

InputImageEraser::InputImageEraser(const OrderSet& orders,
                                   const std::function<bool(const std::string&)>& issued_before) {
  for (const auto& o : orders.orders) {
    if (issued_before(o.order_id)) continue;
    auto& mine = images_of_[o.order_id];
    for (const auto& path : o.image_paths) {
      auto key = file_key(path);
      mine.push_back(key);
      orders_naming_[key].insert(o.order_id);
    }
  }
}

std::vector<std::filesystem::path> InputImageEraser::order_issued(const std::string& order_id) {
  std::lock_guard lock(mutex_);
  std::vector<std::filesystem::path> erased;
  auto it = images_of_.find(order_id);
  if (it == images_of_.end()) return erased;
  std::vector<std::filesystem::path> files = std::move(it->second);
  images_of_.erase(it);
  for (const auto& key : files) {
    auto& naming = orders_naming_[key];
    naming.erase(order_id);
    if (!naming.empty()) continue;
    std::error_code ec;
    if (!std::filesystem::exists(key, ec)) continue;  // erased already (named twice by the order)
    wipe_file(key, "input image of order " + order_id);
    erased.push_back(key);
  }
  return erased;
}

}  // namespace rcperso::issuance
