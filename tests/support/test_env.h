#pragma once
// The engagements service running in process on a real redis-server, with a
// fake clock, and helpers to call it as a given principal.

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

namespace certpath::testing {

namespace v1 = certpath::engagements::v1;

inline constexpr char kTestSigningKey[] = "test-signing-key-0123456789abcdef-0123456789";

Principal MakePrincipal(Principal::Role role, std::string subject, std::string organization = "",
                        std::string tenant = "t1");
std::string SignedToken(const Principal& p, absl::Time now, absl::Duration ttl = absl::Hours(1));

inline google::type::Date Day(int y, int m, int d) {
  google::type::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

// 2026-11-26 10:00 Asia/Tokyo.
absl::Time DefaultNow();

class ServiceEnv {
 public:
  explicit ServiceEnv(RedisServer& redis, bool throwaway = false, bool with_metrics = false);
  ~ServiceEnv();

  void Start();
  void Stop();
  void Restart() {
    Stop();
    Start();
  }
  // Waits until grpc.health.v1 says SERVING (or `serving` = false: NOT_SERVING).
  bool WaitHealth(bool serving, absl::Duration timeout = absl::Seconds(10));

  template <typename Req, typename Resp>
  using Method = grpc::Status (v1::EngagementService::Stub::*)(grpc::ClientContext*, const Req&,
                                                               Resp*);

  // Calls `method` with `p`'s token (or `raw_token` when not null).
  template <typename Req, typename Resp>
  absl::Status Call(Method<Req, Resp> method, const Principal& p, const Req& req, Resp* resp,
                    const char* raw_token = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (raw_token != nullptr) {
      if (*raw_token) ctx.AddMetadata(kPrincipalMetadataKey, raw_token);
    } else {
      ctx.AddMetadata(kPrincipalMetadataKey, SignedToken(p, clock.Now()));
    }
    return FromGrpcStatus(((*stub).*method)(&ctx, req, resp));
  }

  int port() const { return app_->port(); }
  int metrics_port() const { return app_->metrics_port(); }
  std::string ScrapeMetrics();

  FakeClock clock;
  std::unique_ptr<v1::EngagementService::Stub> stub;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;

 private:
  RedisServer& redis_;
  bool throwaway_;
  bool with_metrics_;
  std::unique_ptr<engagements::App> app_;
  int fixed_port_ = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago (for child processes).
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

// Reads http://127.0.0.1:port/path (tiny blocking client for /metrics).
std::string HttpGet(int port, const std::string& path);

}  // namespace certpath::testing
