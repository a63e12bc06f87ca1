#pragma once
// JSON ⇄ proto for a matched route (pure, unit-tested): the request message
// from the path's variables, the body (proto3 JSON mapping) and the query
// string; the HTTP status of a gRPC code; the google.rpc.Status JSON of an
// error. Unknown JSON fields and unknown query parameters are refused with
// their names.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gateway/routes.h"
#include "google/protobuf/message.h"

namespace certpath::gateway {

// Fills `req` (of the route's input type): the body first (per the route's
// body rule), then the path variables, then the query parameters (dotted
// paths for nested fields, repeated keys for repeated fields, enum names or
// numbers, int64 as decimal strings, Timestamp as RFC 3339, FieldMask as
// comma-separated paths). INVALID_ARGUMENT naming the offending field or
// parameter.
// A body that is a google.api.HttpBody (an upload) is taken as raw bytes
// with `content_type`.
absl::Status BuildRequest(const Route& route,
                          const std::vector<std::pair<std::string, std::string>>& bindings,
                          absl::string_view query, absl::string_view body,
                          google::protobuf::Message* req,
                          absl::string_view content_type = "application/json");

// The service's answer metadata the gateway passes on to its caller (as HTTP
// headers or gRPC metadata): content-disposition and x-certpath-* but the principal.
bool ForwardedAnswerMetadata(absl::string_view key);

// google.api.HttpBody: raw bytes with a content type (downloads, uploads).
bool IsHttpBody(const google::protobuf::Descriptor* type);
// The message the route's body fills (null: the route takes no body).
const google::protobuf::Descriptor* BodyType(const Route& route);

// The response as proto3 JSON (lowerCamelCase, int64 as strings, enums as names).
absl::StatusOr<std::string> ResponseJson(const google::protobuf::Message& resp);
// The same from the message's wire bytes (an upstream answer as it came).
absl::StatusOr<std::string> ResponseJson(const google::protobuf::Descriptor* type,
                                         const std::string& bytes);

// The usual table: INVALID_ARGUMENT/FAILED_PRECONDITION/OUT_OF_RANGE 400,
// UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404,
// ALREADY_EXISTS/ABORTED 409, RESOURCE_EXHAUSTED 429, CANCELLED 499,
// UNIMPLEMENTED 501, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, others 500.
int HttpStatus(absl::StatusCode code);

// The body of an error: google.rpc.Status as JSON, with the details carried
// by `status` (ErrorInfo, BadRequest … as the services set them).
std::string ErrorJson(const absl::Status& status);

// A field path in proto3 JSON's spelling: each segment's snake_case in
// lowerCamelCase (the default json_name); indexes, upper case and anything
// else kept.
std::string JsonFieldPath(absl::string_view path);
// A service's error as an HTTP caller should read it: the fields its
// BadRequest names, and its message, in JSON's spelling ("visit.end_time" is
// "visit.endTime", as the caller wrote it); the rest as it was.
absl::Status InJsonSpelling(const absl::Status& status);

}  // namespace certpath::gateway
