#pragma once
// What an HTTP exchange at the gateway carries besides its body: W3C trace
// context and request ids taken from callers (checked), the Allow header,
// and what an answer says of the caller's admission (rate limit, credentials).

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gateway/edge_auth.h"
#include "services/common/log.h"

namespace certpath::gateway {

// A fresh W3C traceparent (version 00, sampled).
std::string TraceParent();
// W3C traceparent version 00: lowercase hex, neither id all zeros, version not ff.
bool ValidTraceParent(absl::string_view v);
// W3C tracestate: at most 512 printable ASCII characters (its list syntax is the vendors').
bool ValidTraceState(absl::string_view v);
// A caller's X-Request-Id worth keeping: 1-64 letters, digits, '-' or '_'.
bool SafeRequestId(absl::string_view v);
// An Allow header: the route methods, HEAD wherever GET is.
std::string AllowHeader(std::vector<std::string> methods);
// The headers an answer carries about the caller's admission: its rate limit
// when it was metered (Retry-After when it ran out), WWW-Authenticate when the
// credentials failed.
std::vector<std::pair<std::string, std::string>> AdmissionHeaders(const Admission& admitted);
// The level of an answer's log line, as the services log calls: the server's
// own faults (INTERNAL, UNKNOWN, DATA_LOSS: a 500 or 502) at error; other
// failures at warn, load shed with 503 (UPLOADS_BUSY, DOWNLOADS_BUSY,
// OVERLOADED) and a service unavailable included; the rest at info.
log::Level AnswerLogLevel(int http_status, const absl::Status& s);

}  // namespace certpath::gateway
