#pragma once
// The call a worker thread is running: set by the Dispatcher around a
// handler, read by the repository layer to append the call's audit entry to
// the same atomic step as its write (services/common/audit.h). Handlers run
// synchronously on one worker thread, so a thread-local is the call's scope.

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "services/common/principal.h"

namespace certpath {

struct CallContext {
  const char* method = "";  // the RPC's name, e.g. "UpdateEngagement"
  const Principal* principal = nullptr;
  std::string request_id;
  std::string trace_id;
  absl::Time start;  // the service clock's time when the call started
  // The request's `name` (or `parent`): the audited resource when the step
  // names none itself.
  std::string target;
  // Initial metadata for the caller, sent with the answer (e.g. a download's
  // "content-disposition", which the gateway passes on as an HTTP header).
  mutable std::vector<std::pair<std::string, std::string>> response_metadata;
};

namespace call_context_internal {
inline thread_local const CallContext* current = nullptr;
}

// The call this thread runs, or null (background work: relays, sealing).
inline const CallContext* CurrentCall() { return call_context_internal::current; }

// Adds initial metadata to the answer of the call this thread runs (none: ignored).
inline void AddResponseMetadata(std::string key, std::string value) {
  if (const CallContext* c = CurrentCall()) {
    c->response_metadata.emplace_back(std::move(key), std::move(value));
  }
}

class ScopedCall {
 public:
  explicit ScopedCall(const CallContext& c) : saved_(call_context_internal::current) {
    call_context_internal::current = &c;
  }
  ~ScopedCall() { call_context_internal::current = saved_; }
  ScopedCall(const ScopedCall&) = delete;
  ScopedCall& operator=(const ScopedCall&) = delete;

 private:
  const CallContext* saved_;
};

}  // namespace certpath
