#pragma once
// certpath-gateway's process: the HTTP/JSON front door (server.h) and, on a
// ServiceHost of its own (gRPC, Redis, health, metrics, audit trail), the
// ApiKeyService it routes to itself.

#include <memory>

#include "absl/status/statusor.h"
#include "gateway/server.h"
#include "services/common/config.h"
#include "services/common/service_app.h"
#include "services/common/service_host.h"

namespace certpath::gateway {

struct AppOptions {
  HostOptions host;  // --listen (gRPC, 127.0.0.1:7100), --metrics-listen (127.0.0.1:9100), Redis…
  GatewayOptions http;  // --http-listen (127.0.0.1:8080), --<svc>-target …
  static absl::StatusOr<AppOptions> FromConfig(const Config& config);
};

class App final : public ServiceApp {
 public:
  using Options = AppOptions;
  static absl::StatusOr<std::unique_ptr<App>> Start(const AppOptions& options);
  ~App() override;
  void Shutdown(absl::Duration drain) override;
  int http_port() const;

 private:
  struct Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace certpath::gateway
