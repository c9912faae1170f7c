// One line of an inspection report.
#pragma once

#include <string>

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

}  // namespace rcperso
