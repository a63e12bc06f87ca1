#include "services/common/metrics.h"

#include <prometheus/exposer.h>

#include <chrono>

namespace certpath {

const char* GrpcCodeName(int code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
}

namespace {

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(std::string service, std::string method,
                     prometheus::Family<prometheus::Counter>* handled,
                     prometheus::Family<prometheus::Histogram>* handling)
      : service_(std::move(service)),
        method_(std::move(method)),
        handled_(handled),
        handling_(handling),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      code_ = GrpcCodeName(methods->GetSendStatus().error_code());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_CLOSE)) {
      double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      handled_->Add({{"grpc_service", service_}, {"grpc_method", method_}, {"grpc_code", code_}})
          .Increment();
      static const prometheus::Histogram::BucketBoundaries kBuckets = {
          0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
      handling_->Add({{"grpc_service", service_}, {"grpc_method", method_}}, kBuckets)
          .Observe(secs);
    }
    methods->Proceed();
  }

 private:
  std::string service_, method_;
  std::string code_ = "UNKNOWN";
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* handling_;
  std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  MetricsInterceptorFactory(prometheus::Family<prometheus::Counter>* handled,
                            prometheus::Family<prometheus::Histogram>* handling)
      : handled_(handled), handling_(handling) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // "/certpath.engagements.v1.EngagementService/GetEngagement"
    std::string full = info->method() ? info->method() : "";
    auto slash = full.rfind('/');
    std::string service =
        slash == std::string::npos || slash == 0 ? "unknown" : full.substr(1, slash - 1);
    std::string method = slash == std::string::npos ? full : full.substr(slash + 1);
    return new MetricsInterceptor(std::move(service), std::move(method), handled_, handling_);
  }

 private:
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* handling_;
};

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  handled_ = &prometheus::BuildCounter()
                  .Name("grpc_server_handled_total")
                  .Help("RPCs completed on the server, by code")
                  .Register(*registry_);
  handling_ = &prometheus::BuildHistogram()
                   .Name("grpc_server_handling_seconds")
                   .Help("Server-side latency of RPCs")
                   .Register(*registry_);
  redis_round_trips_ = &prometheus::BuildCounter()
                            .Name("certpath_redis_round_trips_total")
                            .Help("Round trips to Redis (a pipeline or script counts once)")
                            .Register(*registry_)
                            .Add({});
}

Metrics::~Metrics() = default;

absl::Status Metrics::Serve(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(std::string("metrics listener: ") + e.what());
  }
  exposer_->RegisterCollectable(registry_);
  return absl::OkStatus();
}

int Metrics::port() const {
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Metrics::InterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(handled_, handling_);
}

}  // namespace certpath
