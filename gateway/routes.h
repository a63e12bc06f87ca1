#pragma once
// The gateway's route table, built from the google.api.http annotations of
// the compiled-in certpath services (no per-RPC code): path templates with
// single- and multi-segment variables ({name=tenants/*/engagements/*}),
// custom verbs (:advancePhase), and the body rule. Pure: no I/O, unit-tested
// in tests/gateway/.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace certpath::gateway {

// A parsed path template (google/api/http.proto grammar):
//   Template = "/" Segments [ ":" Verb ]; Segment = "*" | "**" | LITERAL | Variable;
//   Variable = "{" FieldPath [ "=" Segments ] "}".
struct PathTemplate {
  struct Segment {
    enum Kind { kLiteral, kAny, kAnyTail } kind = kLiteral;  // LITERAL, "*", "**"
    std::string literal;
  };
  struct Variable {
    std::string field_path;     // e.g. "name", "engagement.name"
    size_t first = 0, end = 0;  // the segments it binds: [first, end)
  };
  std::vector<Segment> segments;
  std::vector<Variable> variables;
  std::string verb;
  std::string text;  // as written, for metrics labels and OpenAPI
};

// INVALID_ARGUMENT naming what is wrong with the template.
absl::StatusOr<PathTemplate> ParseTemplate(absl::string_view text);

// A request path split into percent-decoded segments and its verb. A %2F
// inside a segment stays inside it (it never separates segments).
struct RequestPath {
  std::vector<std::string> segments;
  std::string verb;      // after the last ':' of the last segment ("" = none)
  std::string last_raw;  // the last segment with its verb, decoded (for routes without verbs)
};
absl::StatusOr<RequestPath> SplitPath(absl::string_view path);
// Percent-decoding; '+' stays '+' (paths), `plus_is_space` for query strings.
absl::StatusOr<std::string> PercentDecode(absl::string_view s, bool plus_is_space = false);

struct Route {
  std::string http_method;  // GET, POST, PATCH, PUT, DELETE
  PathTemplate path;
  std::string body;  // "" (none), "*" (the whole request) or a top-level field name
  const google::protobuf::MethodDescriptor* method = nullptr;
  // (certpath.common.v1.credential_in_request): served without Authorization.
  bool credential_in_request = false;
  // (certpath.common.v1.file_download): answers a stored file, held in the
  // budget of files in flight.
  bool file_download = false;
};

// The proto files whose services the gateway routes (generated from
// CERTPATH_ROUTED_PROTOS by gateway/CMakeLists.txt).
const std::vector<std::string>& RoutedProtoFiles();

class RouteTable {
 public:
  // Every annotated RPC of `services` (full names, e.g.
  // "certpath.engagements.v1.EngagementService"), looked up in the generated pool.
  static absl::StatusOr<RouteTable> FromServices(const std::vector<std::string>& services);
  // Every service of the routed proto files (CERTPATH_ROUTED_PROTOS in
  // gateway/CMakeLists.txt: a new service is routed without code changes).
  static std::vector<std::string> CompiledServices();

  struct Match {
    const Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> bindings;  // field path → value
  };
  struct Lookup {
    const Route* route = nullptr;  // set: found
    std::vector<std::pair<std::string, std::string>> bindings;
    std::vector<std::string> allowed;  // no route for the method, but for these: 405
  };
  // The route for `http_method` and `path`; neither route nor `allowed`: 404.
  Lookup Find(absl::string_view http_method, const RequestPath& path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Matches `path` against `t`: the variables' values ('/'-joined segments).
bool MatchTemplate(const PathTemplate& t, const RequestPath& path,
                   std::vector<std::pair<std::string, std::string>>* bindings);

}  // namespace certpath::gateway
