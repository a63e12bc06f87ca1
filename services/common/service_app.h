#pragma once
// What every service's App is: its parts wired on one ServiceHost. A service's
// app.h adds its options and Start(); main.cc (RunService) and the tests
// (TestService) use only this surface.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/config.h"
#include "services/common/outbox.h"
#include "services/common/policy.h"
#include "services/common/service_host.h"

namespace certpath {

class ServiceApp {
 public:
  virtual ~ServiceApp() = default;
  int port() const { return host_.port(); }
  int metrics_port() const { return host_.metrics_port(); }
  bool writable() const { return host_.writable(); }
  // NOT_SERVING, drain in-flight calls up to `drain`, stop.
  virtual void Shutdown(absl::Duration drain) { host_.Shutdown(drain); }

 protected:
  explicit ServiceApp(ServiceHost& host) : host_(host) {}

 private:
  ServiceHost& host_;
};

// The start every service shares, in order: its policy table covers every RPC
// of `api_service` (else it does not start), its consumer has a handler for
// every type it subscribes to, then the host serves `services`.
absl::Status StartServing(const Policy& policy, absl::string_view api_service,
                          const EventConsumerService& consumer, ServiceHost& host,
                          std::vector<grpc::Service*> services);

// A producer's relay flags: --relay-poll-ms (positive) and --<consumer>-target
// for each consumer of its events (services/common/subscriptions.cc).
absl::Status ReadRelayFlags(const Config& config, const std::string& producer,
                            std::map<std::string, std::string>* targets, absl::Duration* poll);

// The relay of a producer's app options (their consumer_targets and relay_poll_interval).
template <typename AppOptions>
RelayOptions RelayOptionsOf(const AppOptions& o) {
  RelayOptions ro;
  ro.targets = o.consumer_targets;
  ro.poll_interval = o.relay_poll_interval;
  return ro;
}

}  // namespace certpath
