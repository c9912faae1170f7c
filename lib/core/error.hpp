// Error types. Messages name what is wrong and where; they never carry
// secrets, MRZ data beyond what the user gave as a path, or biometric bytes.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace rcperso {

/// An error the user can act on (bad input, missing file, wrong key).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Malformed bytes from outside (card, file): a strict decoder refused them.
class DecodeError : public Error {
 public:
  using Error::Error;
};

/// One problem found while validating input; `field` is a JSON-pointer-like path
/// ("holder.date_of_birth", "biometrics.fingerprints[1].image").
struct Problem {
  std::string field;
  std::string message;
};

/// Validation found one or more problems; all of them are listed.
class ValidationError : public Error {
 public:
  explicit ValidationError(std::vector<Problem> problems);
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  std::vector<Problem> problems_;
};

}  // namespace rcperso
