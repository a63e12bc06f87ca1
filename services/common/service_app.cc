#include "services/common/service_app.h"

#include "services/common/subscriptions.h"

namespace certpath {

absl::Status StartServing(const Policy& policy, absl::string_view api_service,
                          const EventConsumerService& consumer, ServiceHost& host,
                          std::vector<grpc::Service*> services) {
  if (auto s = policy.CheckCovers(api_service); !s.ok()) return s;
  if (auto s = consumer.CheckHandlesSubscriptions(); !s.ok()) return s;
  return host.Start(std::move(services));
}

absl::Status ReadRelayFlags(const Config& config, const std::string& producer,
                            std::map<std::string, std::string>* targets, absl::Duration* poll) {
  auto ms = config.GetInt("relay-poll-ms", 500);
  if (!ms.ok() || *ms <= 0) return absl::InvalidArgumentError("--relay-poll-ms: a positive number");
  *poll = absl::Milliseconds(*ms);
  for (const auto& consumer : ConsumersOfProducer(producer)) {
    std::string target = config.Get(consumer + "-target", "");
    if (!target.empty()) (*targets)[consumer] = target;
  }
  return absl::OkStatus();
}

}  // namespace certpath
