#pragma once
// Wires one engagements server on a ServiceHost: store → service → gRPC,
// business gauges. main.cc and the integration tests both start this.

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/config.h"
#include "services/common/service_app.h"
#include "services/common/service_host.h"

namespace certpath::engagements {

struct AppOptions {
  HostOptions host;
  // Event delivery: consumer → gRPC target (flags --billing-target,
  // --scheduling-target …); a consumer without one is not delivered to here.
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

}  // namespace certpath::engagements
