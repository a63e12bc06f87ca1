#pragma once
// What an HTTP exchange at the gateway carries besides its body: W3C trace
// context and request ids taken from callers (checked), the Allow header,
// what an answer says of the caller's admission (rate limit, credentials), the
// timeout a caller asks for, and an upstream answer made into HTTP.

#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
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
// X-Request-Timeout: a positive decimal number of seconds, at most `max`
// (INVALID_ARGUMENT naming the header otherwise).
absl::StatusOr<absl::Duration> RequestTimeout(absl::string_view seconds, absl::Duration max);

// What an upstream call's answer says for HTTP: the headers its metadata
// carries (a download's Content-Disposition, x-certpath-*).
std::vector<std::pair<std::string, std::string>> AnswerHeaders(const grpc::ClientContext& ctx);
// An upstream answer as HTTP sends it. A file (google.api.HttpBody) is parsed
// from gRPC's buffers and moved out, with its media type: one copy of the
// file (there were four), and the buffer emptied. Any other message is proto3
// JSON. An answer that does not parse is INTERNAL.
struct HttpAnswer {
  std::string body;
  std::string media = "application/json; charset=utf-8";
};
absl::StatusOr<HttpAnswer> AnswerBody(grpc::ByteBuffer& buffer,
                                      const google::protobuf::Descriptor* type);

}  // namespace certpath::gateway
