// Erasing an order's input images once its card is issued (profile retention
// input_images "erase"). Orders may share an image file, so a file goes only
// when every order of the batch that names it is issued; a failed order keeps
// its images for the operator to issue it again.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "issuance/orders.hpp"

namespace rcperso::issuance {

class InputImageEraser {
 public:
  /// `issued_before`: whether the journal had the order issued before this run; those orders no
  /// longer hold their files (their images, if any are left, are not this run's to erase).
  InputImageEraser(const OrderSet& orders, const std::function<bool(const std::string&)>& issued_before);

  /// `order_id` is issued: wipes each of its image files that no order still outstanding names,
  /// and returns them. Throws (naming the file) when one cannot be erased. Thread-safe.
  std::vector<std::filesystem::path> order_issued(const std::string& order_id);

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<std::filesystem::path>> images_of_;   // outstanding orders
  std::map<std::filesystem::path, std::set<std::string>> orders_naming_;  // file -> orders
};

}  // namespace rcperso::issuance
