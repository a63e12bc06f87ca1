#pragma once
// Optimistic concurrency: an operation reads, applies its rules and commits
// with compare-and-set. When the commit finds the record changed meanwhile
// (ABORTED), the whole attempt runs again on fresh data — unless the caller
// pinned an etag, whose mismatch is the caller's to resolve.

#include "absl/status/status.h"

namespace certpath {

inline constexpr int kMaxConflictAttempts = 3;

template <typename Attempt>
absl::Status RetryOnConflict(bool caller_pinned_etag, Attempt attempt) {
  for (int i = 1;; ++i) {
    absl::Status s = attempt();
    if (s.code() != absl::StatusCode::kAborted || caller_pinned_etag || i == kMaxConflictAttempts) {
      return s;
    }
  }
}

}  // namespace certpath
