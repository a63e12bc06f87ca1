#pragma once
// Test helpers: principals and tokens, dates, the engagements service on a
// real redis-server (ServiceEnv, a TestService), free ports, /metrics.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "certpath/engagements/v1/engagements.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/grpc_util.h"
#include "services/common/principal.h"
#include "services/engagements/app.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_service.h"

namespace certpath::testing {

namespace v1 = certpath::engagements::v1;

Principal MakePrincipal(Principal::Role role, std::string subject, std::string organization = "",
                        std::string tenant = "t1");

inline google::type::Date Day(int y, int m, int d) {
  google::type::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

// 2026-11-26 10:00 Asia/Tokyo.
absl::Time DefaultNow();

// The fake clock of a test environment, constructed before the services that read it.
struct TestClock {
  FakeClock clock{DefaultNow()};
};

// The engagements service alone (the common case of its tests).
class ServiceEnv : public TestClock, public TestService<engagements::App, v1::EngagementService> {
 public:
  explicit ServiceEnv(RedisServer& redis, bool throwaway = false, bool with_metrics = false);
  std::string ScrapeMetrics();
};

// A TCP port on 127.0.0.1 that was free a moment ago (for child processes),
// outside the ephemeral range.
int FreePort();

// Calls `method` on any stub with `p`'s token; the answer as an absl::Status.
template <typename Stub, typename Req, typename Resp>
absl::Status CallAs(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Principal& p, const Req& req, Resp* resp, absl::Time now = absl::Now()) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  ctx.AddMetadata(kPrincipalMetadataKey, SignedToken(p, now));
  return FromGrpcStatus((stub.*method)(&ctx, req, resp));
}

// A TCP connection to 127.0.0.1:port (its fd), or -1.
int ConnectLoopback(int port);

// Reads http://127.0.0.1:port/path (tiny blocking client for /metrics).
std::string HttpGet(int port, const std::string& path);

}  // namespace certpath::testing
