#pragma once
// One retry rule for every call one certpath service makes to another: a
// deadline per attempt, another attempt only when the callee could not take
// the call now (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED), doubling
// backoff between attempts, and a way to stop waiting (shutdown).

#include <chrono>
#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace certpath {

struct RetryPolicy {
  int max_attempts = 3;
  absl::Duration call_deadline = absl::Seconds(2);
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
  // Off for calls made while serving a request: a slow callee must not hold
  // the worker for several deadlines.
  bool retry_deadline_exceeded = true;
};

// Worth another attempt: the callee was down, slow or shedding load.
bool IsTransient(const absl::Status& s);
bool ShouldRetry(const RetryPolicy& policy, const absl::Status& s);

using Attempt = std::function<absl::Status(std::chrono::system_clock::time_point deadline)>;
// Sleeps for the backoff; false = stop retrying now (shutting down).
using Backoff = std::function<bool(absl::Duration)>;

// The last attempt's status: OK, a permanent failure, or the last transient
// one when the attempts ran out. `observe` sees every attempt's status.
absl::Status CallWithRetry(const RetryPolicy& policy, const Attempt& attempt,
                           const Backoff& backoff = nullptr,
                           const std::function<void(const absl::Status&)>& observe = nullptr);

}  // namespace certpath
