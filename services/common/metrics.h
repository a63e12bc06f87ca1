#pragma once
// Prometheus exposition on its own port, and the gRPC server interceptor that
// records grpc_server_handled_total and grpc_server_handling_seconds.

#include <memory>
#include <string>

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/status.h"

namespace prometheus {
class Exposer;
}

namespace certpath {

class Metrics {
 public:
  Metrics();
  ~Metrics();

  prometheus::Registry& registry() { return *registry_; }
  // Serves /metrics on `address` ("127.0.0.1:9464"; port 0 picks one).
  absl::Status Serve(const std::string& address);
  int port() const;

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();
  prometheus::Counter& redis_round_trips() { return *redis_round_trips_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* handling_;
  prometheus::Counter* redis_round_trips_;
};

const char* GrpcCodeName(int code);

}  // namespace certpath
