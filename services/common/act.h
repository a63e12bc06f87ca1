#pragma once
// The read → authorize → replay → rules → compare-and-set sequence of every
// action on an existing record, once for all services. A concurrent change
// (ABORTED from the commit) runs the attempt again on fresh data. A pinned
// etag is compared on every attempt: when the record itself changed, the
// next attempt answers ETAG_MISMATCH (the caller's to resolve); when another
// record the step kept unchanged did, it simply succeeds. A retry of
// the same request by the same principal is answered from its idempotency
// record — after `load` authorized the caller, never before.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "services/common/repository.h"
#include "services/common/retry.h"
#include "services/common/status.h"

namespace certpath {

template <typename T>
absl::Status Act(Repository& repo, const Idem& idem, const std::string& etag,
                 const std::function<absl::StatusOr<Stored<T>>()>& load,
                 const std::function<absl::Status(const Stored<T>& before)>& apply,
                 google::protobuf::Message* out) {
  for (int attempt = 1;; ++attempt) {
    auto before = load();
    if (!before.ok()) return before.status();
    auto replay = repo.ReadReplay(idem);
    if (!replay.ok()) return replay.status();
    if (replay->has_value()) {
      return out->ParseFromString(**replay) ? absl::OkStatus()
                                            : absl::InternalError("corrupt replay");
    }
    if constexpr (repository_internal::HasEtag<T>::value) {
      // The caller's etag is stale: answered at once, not tried again.
      if (!etag.empty() && etag != before->value.etag()) return EtagMismatch();
    }
    absl::Status s = apply(*before);
    if (s.code() != absl::StatusCode::kAborted || attempt == kMaxConflictAttempts) return s;
  }
}

}  // namespace certpath
