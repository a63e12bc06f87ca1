#pragma once
// Wires one scheduling server on a ServiceHost: store → service → gRPC, the
// engagements events it consumes, the relay of its own events (engagements,
// billing), deadline gauges.

#include <map>
#include <memory>

#include "absl/status/statusor.h"
#include "services/common/config.h"
#include "services/common/service_app.h"
#include "services/common/service_host.h"

namespace certpath::scheduling {

struct AppOptions {
  HostOptions host;
  // Event delivery: consumer → gRPC target (--engagements-target, --billing-target).
  std::map<std::string, std::string> consumer_targets;
  absl::Duration relay_poll_interval = absl::Milliseconds(500);

  static absl::StatusOr<AppOptions> FromConfig(const Config& config);
};

class App final : public ServiceApp {
 public:
  using Options = AppOptions;
  static absl::StatusOr<std::unique_ptr<App>> Start(const AppOptions& options);
  ~App() override;
  void Shutdown(absl::Duration drain) override;

 private:
  struct Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace certpath::scheduling
