#pragma once
// certpath-gateway's HTTP/JSON front door (Boost.Beast on Asio: asynchronous,
// keep-alive, a few I/O threads, no thread per connection). A request is
// routed by the annotations (routes.h), turned into the RPC's request
// (transcode.h), authenticated (Authorization: Bearer <principal token>),
// and sent to the service that owns the RPC with gRPC's generic stub, as a
// fresh short-lived principal token; the answer goes back as proto3 JSON, an
// error as google.rpc.Status JSON with the usual HTTP code.
//
// Hygiene: internal headers from the client are never forwarded (only the
// gateway sets x-certpath-principal); header and body size limits; read
// timeouts (slow clients) and an idle timeout; a cap on open connections;
// X-Request-Id generated when absent, echoed and forwarded; W3C traceparent
// forwarded or generated; one JSON access-log line per request.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/file_budget.h"
#include "gateway/rate_limit.h"
#include "gateway/routes.h"
#include "services/common/clock.h"
#include "services/common/config.h"

namespace certpath::gateway {

class ApiKeyResolver;
class RateLimiter;
}  // namespace certpath::gateway
namespace prometheus {
class Registry;
}
namespace certpath::gateway {

struct GatewayOptions {
  std::string listen = "127.0.0.1:8080";
  // Resolves "Bearer cpk_…" (null: API keys are refused).
  ApiKeyResolver* api_keys = nullptr;
  // Token buckets per API key and per client IP of calls without valid
  // credentials (null: no limits).
  RateLimiter* limiter = nullptr;
  // Where the gateway's metrics go (null: none): requests by route template,
  // method and HTTP status; latency by route.
  prometheus::Registry* registry = nullptr;
  // Browser origins allowed to call (CORS, with preflight); empty = none.
  std::set<std::string> cors_origins;
  RateLimit per_key{20, 40};
  RateLimit per_ip{5, 20};
  // The services routed (full names; empty: RouteTable::CompiledServices()).
  std::vector<std::string> services;
  // Full gRPC service name → target ("certpath.billing.v1.BillingService" → "127.0.0.1:7104").
  std::map<std::string, std::string> upstreams;
  std::string signing_key;
  int threads = 2;
  // Successful GETs are logged at debug, but one in N at info (0: none);
  // failures and writes always (the services' rule, --log-read-sample).
  int log_read_sample_every = 0;
  int max_connections = 1024;
  // Open connections from one client address (behind a load balancer that
  // does not keep addresses, raise it to max_connections).
  int max_connections_per_address = 256;
  size_t header_limit = 7 * 1024;  // below gRPC's 8 KiB metadata limit
  size_t body_limit = 1 << 20;     // JSON bodies
  size_t upload_limit = 16 << 20;  // raw uploads (routes whose body is a google.api.HttpBody)
  // Bytes of files in flight at once, uploads and downloads (file_budget.h):
  // an upload beyond it is answered 503 UPLOADS_BUSY with Retry-After before
  // its body is read, a download 503 DOWNLOADS_BUSY before it is asked for.
  // Each is held about three times here (and as much in documents), so this
  // bounds the memory files take. At least upload_limit (the flag's default:
  // 64 MiB, or upload-limit-bytes when larger).
  size_t file_budget = 64 << 20;
  // The budget, shared with the gRPC pass-through (null: the gateway makes
  // its own of file_budget bytes).
  FileBudget* files = nullptr;
  absl::Duration read_timeout = absl::Seconds(30);  // a request must arrive within this
  absl::Duration idle_timeout = absl::Seconds(60);  // between requests on a connection
  // The upstream call's deadline (grpc-timeout): X-Request-Timeout (seconds)
  // up to max_deadline, else read_deadline for GET and write_deadline for the rest.
  absl::Duration read_deadline = absl::Seconds(10);
  absl::Duration write_deadline = absl::Seconds(30);
  absl::Duration max_deadline = absl::Seconds(120);
  const Clock* clock = nullptr;  // null = system clock

  // Flags: http-listen, signing-key-file|signing-key, threads,
  // max-connections, max-connections-per-address, body-limit-bytes, upload-limit-bytes,
  // file-budget-bytes,
  // max-request-timeout-seconds, rate-per-key, burst-per-key, rate-per-ip, burst-per-ip,
  // cors-origins (comma-separated), and
  // --<svc>-target for each compiled-in service but the gateway's own (--engagements-target,
  // --billing-target).
  static absl::StatusOr<GatewayOptions> FromConfig(const Config& c);
};

class Gateway {
 public:
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(const GatewayOptions& options);
  ~Gateway();
  int port() const;
  void Shutdown();

  struct Impl;  // server.cc

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace certpath::gateway
