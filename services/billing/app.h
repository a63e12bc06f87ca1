#pragma once
// Wires one billing server on a ServiceHost: store → service → gRPC,
// business gauges, and the engagements client used for partner/client access.

#include <memory>

#include "absl/status/statusor.h"
#include "services/common/config.h"
#include "services/common/service_app.h"
#include "services/common/service_host.h"

namespace certpath::billing {

struct AppOptions {
  HostOptions host;
  // The engagements service, asked whether a partner or client sees an engagement.
  std::string engagements_target;

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

}  // namespace certpath::billing
