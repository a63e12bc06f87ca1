#pragma once
// Any certpath service running in process over real gRPC on a real
// redis-server, with a fake clock: started, restarted on the same port,
// stopped, and called as a given principal. Ready means grpc.health.v1 says
// SERVING — tests wait on health, never on sleeps.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/grpc_util.h"
#include "services/common/principal.h"
#include "services/common/service_host.h"
#include "tests/support/redis_server.h"

namespace certpath::testing {

inline constexpr char kTestSigningKey[] = "test-signing-key-0123456789abcdef-0123456789";

std::string SignedToken(const Principal& p, absl::Time now, absl::Duration ttl = absl::Hours(1));

// Test settings of a host on `redis`: small pools, fast guard, no /metrics
// listener (civetweb takes ~2 s to stop) unless asked.
void ConfigureTestHost(HostOptions& o, RedisServer& redis, const Clock& clock,
                       bool with_metrics = false);

// True once grpc.health.v1 on `health` reports `serving` (false: NOT_SERVING)
// for `service` ("" = the server as a whole).
bool WaitForHealth(grpc::health::v1::Health::Stub& health, bool serving,
                   absl::Duration timeout = absl::Seconds(10), const std::string& service = "");

// App: services/<svc>/app.h (Start(Options), port(), metrics_port(), Shutdown);
// Service: the generated gRPC service (its Stub is used).
template <typename App, typename Service>
class TestService {
 public:
  using Stub = typename Service::Stub;
  using Options = typename App::Options;
  template <typename Req, typename Resp>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Req&, Resp*);

  // `configure` adjusts the options after the test defaults (targets, ports…).
  TestService(RedisServer& redis, const FakeClock& clock,
              std::function<void(Options&)> configure = nullptr)
      : redis_(redis), clock_(clock), configure_(std::move(configure)) {}
  virtual ~TestService() { Stop(); }

  void Start() {
    Options o;
    ConfigureTestHost(o.host, redis_, clock_);
    // Restarts reuse the port so channels reconnect to the new server.
    o.host.server.listen = absl::StrCat("127.0.0.1:", port_);
    if (configure_) configure_(o);
    auto app = App::Start(o);
    if (!app.ok()) throw std::runtime_error(std::string(app.status().message()));
    app_ = *std::move(app);
    port_ = app_->port();
    auto channel = grpc::CreateChannel(target(), grpc::InsecureChannelCredentials());
    stub = Service::NewStub(channel);
    health = grpc::health::v1::Health::NewStub(channel);
    ready_ = WaitHealth(true);
  }
  void Stop() {
    if (app_) app_->Shutdown(absl::Seconds(2));
    app_.reset();
  }
  void Restart() {
    Stop();
    Start();
  }
  bool WaitHealth(bool serving, absl::Duration timeout = absl::Seconds(10)) {
    return WaitForHealth(*health, serving, timeout);
  }
  // Whether the last Start saw SERVING.
  bool ready() const { return ready_; }

  // Calls `method` with `p`'s token (or `raw_token` when not null; "" = none).
  template <typename Req, typename Resp>
  absl::Status Call(Method<Req, Resp> method, const Principal& p, const Req& req, Resp* resp,
                    const char* raw_token = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (raw_token != nullptr) {
      if (*raw_token) ctx.AddMetadata(kPrincipalMetadataKey, raw_token);
    } else {
      ctx.AddMetadata(kPrincipalMetadataKey, SignedToken(p, clock_.Now()));
    }
    return FromGrpcStatus(((*stub).*method)(&ctx, req, resp));
  }

  int port() const { return port_; }
  int metrics_port() const { return app_->metrics_port(); }
  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }
  App& app() { return *app_; }

  std::unique_ptr<Stub> stub;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;

 private:
  RedisServer& redis_;
  const FakeClock& clock_;
  std::function<void(Options&)> configure_;
  std::unique_ptr<App> app_;
  int port_ = 0;
  bool ready_ = false;
};

}  // namespace certpath::testing
