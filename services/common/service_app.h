#pragma once
// What every service's App is: its parts wired on one ServiceHost. A service's
// app.h adds its options and Start(); main.cc (RunService) and the tests
// (TestService) use only this surface.

#include "absl/time/time.h"
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

}  // namespace certpath
