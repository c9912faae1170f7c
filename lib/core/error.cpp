#include "core/error.hpp"

namespace rcperso {

namespace {
std::string summarize(const std::vector<Problem>& problems) {
  std::string s = std::to_string(problems.size()) + " problem(s) in the input";
  for (const auto& p : problems) s += "\n  " + p.field + ": " + p.message;
  return s;
}
}  // namespace

ValidationError::ValidationError(std::vector<Problem> problems)
    : Error(summarize(problems)), problems_(std::move(problems)) {}

}  // namespace rcperso
