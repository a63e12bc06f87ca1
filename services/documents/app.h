#pragma once
// Wires one documents server on a ServiceHost: the file store and Redis
// store → service → gRPC, the relay of its events (engagements, billing),
// the engagements and billing clients, gauges, the sweep of abandoned files.

#include <map>
#include <memory>

#include "absl/status/statusor.h"
#include "services/common/config.h"
#include "services/common/service_app.h"
#include "services/common/service_host.h"

namespace certpath::documents {

struct AppOptions {
  HostOptions host;
  // Where files are stored (content-addressed; must survive restarts).
  std::string data_dir;
  // Engagements (visibility, support period) and billing (the price list);
  // also where the relay delivers their events.
  std::string engagements_target = "127.0.0.1:7101";
  std::string billing_target = "127.0.0.1:7104";
  // Abandoned uploads older than this are swept.
  absl::Duration sweep_age = absl::Hours(1);
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

}  // namespace certpath::documents
