// One line of an inspection report.
#pragma once

#include <string>
#include <utility>

namespace rcperso {

enum class Status { Pass, Fail, Skip };

inline const char* status_name(Status s) {
  switch (s) {
    case Status::Pass:
      return "PASS";
    case Status::Fail:
      return "FAIL";
    case Status::Skip:
      return "SKIP";
  }
  return "?";
}

struct Check {
  std::string name;
  Status status = Status::Fail;
  std::string detail;
};

inline Check pass(std::string name, std::string detail = "") {
  return {std::move(name), Status::Pass, std::move(detail)};
}
inline Check fail(std::string name, std::string detail) {
  return {std::move(name), Status::Fail, std::move(detail)};
}
inline Check skip(std::string name, std::string detail) {
  return {std::move(name), Status::Skip, std::move(detail)};
}

}  // namespace rcperso
