#include "services/common/client_retry.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace certpath {

bool IsTransient(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kDeadlineExceeded ||
         s.code() == absl::StatusCode::kResourceExhausted;
}

bool ShouldRetry(const RetryPolicy& policy, const absl::Status& s) {
  if (s.code() == absl::StatusCode::kDeadlineExceeded) return policy.retry_deadline_exceeded;
  return IsTransient(s);
}

absl::Status CallWithRetry(const RetryPolicy& policy, const Attempt& attempt,
                           const Backoff& backoff,
                           const std::function<void(const absl::Status&)>& observe) {
  absl::Duration wait = policy.initial_backoff;
  absl::Status last = absl::UnavailableError("no attempt made");
  for (int i = 1; i <= std::max(1, policy.max_attempts); ++i) {
    last = attempt(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(policy.call_deadline));
    if (observe) observe(last);
    if (last.ok() || !ShouldRetry(policy, last) || i == policy.max_attempts) return last;
    if (backoff) {
      if (!backoff(wait)) return last;
    } else {
      absl::SleepFor(wait);
    }
    wait = std::min(wait * 2, policy.max_backoff);
  }
  return last;
}

}  // namespace certpath
