#pragma once
// Errors across layers: absl::Status carrying a google.rpc.ErrorInfo (reason in
// UPPER_SNAKE_CASE, domain certpath.dev) and, for bad input, a google.rpc.BadRequest.
// Payloads are keyed by their Any type URL, so the edge packs them as they are.

#include <string>
#include <utility>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace certpath {

inline constexpr char kErrorDomain[] = "certpath.dev";
inline constexpr char kErrorInfoUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";
inline constexpr char kBadRequestUrl[] = "type.googleapis.com/google.rpc.BadRequest";

absl::Status Error(absl::StatusCode code, absl::string_view reason, absl::string_view message);

inline absl::Status NotFound(absl::string_view what) {
  return Error(absl::StatusCode::kNotFound, "NOT_FOUND", std::string(what) + " not found");
}
inline absl::Status PermissionDenied(absl::string_view message) {
  return Error(absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED", message);
}
inline absl::Status FailedPrecondition(absl::string_view reason, absl::string_view message) {
  return Error(absl::StatusCode::kFailedPrecondition, reason, message);
}
inline absl::Status Unauthenticated(absl::string_view message) {
  return Error(absl::StatusCode::kUnauthenticated, "UNAUTHENTICATED", message);
}
inline absl::Status Unavailable(absl::string_view message) {
  return Error(absl::StatusCode::kUnavailable, "UNAVAILABLE", message);
}
inline absl::Status EtagMismatch() {
  return Error(absl::StatusCode::kAborted, "ETAG_MISMATCH",
               "the resource changed since it was read; read it again");
}

// Collects every problem with a request, then becomes one INVALID_ARGUMENT.
class FieldViolations {
 public:
  void Add(std::string field, std::string description) {
    items_.emplace_back(std::move(field), std::move(description));
  }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  // OkStatus when nothing was added.
  absl::Status ToStatus() const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

absl::Status InvalidArgument(std::string field, std::string description);

// The ErrorInfo reason of a status ("" if none): for logs and tests.
std::string ErrorReason(const absl::Status& status);
// Field names of a BadRequest detail: for tests.
std::vector<std::string> ViolatedFields(const absl::Status& status);

}  // namespace certpath
