#pragma once
// The OpenAPI 3 document of the gateway's HTTP/JSON API, generated from the
// same route table (the google.api.http annotations) the gateway serves: one
// operation per annotated RPC, its path and query parameters, request and
// response schemas in the proto3 JSON mapping, enums by name, the error
// schema (google.rpc.Status) and the bearer security scheme. Pure: no I/O,
// unit-tested in tests/gateway/ and linted with @redocly/cli by the test command.
//
// Multi-segment variables are spelled out as one path parameter a wildcard:
// {name=tenants/*/engagements/*} becomes /tenants/{tenant}/engagements/{engagement},
// so that generated clients never have to put a '/' inside a parameter.

#include <string>

#include "absl/status/statusor.h"
#include "gateway/routes.h"

namespace certpath::gateway {

// The OpenAPI path of a route's template, e.g.
// "/v1/tenants/{tenant}/engagements/{engagement}:advancePhase".
std::string OpenApiPath(const PathTemplate& t);

// The whole document as JSON.
absl::StatusOr<std::string> OpenApiJson(const RouteTable& routes);

}  // namespace certpath::gateway
