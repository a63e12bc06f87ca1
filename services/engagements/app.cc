#include "services/engagements/app.h"

#include "services/engagements/domain/policy.h"

#include "services/engagements/business_metrics.h"
#include "services/engagements/grpc_service.h"
#include "services/engagements/relay.h"

namespace certpath::engagements {

absl::StatusOr<AppOptions> AppOptions::FromConfig(const Config& c) {
  AppOptions o;
  auto host = HostOptions::FromConfig(c, "127.0.0.1:7101", "127.0.0.1:9101");
  if (!host.ok()) return host.status();
  o.host = *std::move(host);
  o.billing_target = c.Get("billing-target", "");
  return o;
}

struct App::Impl {
  explicit Impl(const AppOptions& o)
      : host(o.host),
        store(host.records(), o.host.idempotency_ttl_seconds),
        service(store, host.clock(), host.tokens(), host.gate(), host.metrics().registry()),
        grpc_service(service, host.dispatcher()),
        business(host.metrics().registry(), store, host.clock()) {
    host.AddPeriodic([this] { return business.Refresh(); });
    if (!o.billing_target.empty()) {
      RelayOptions ro;
      ro.billing_target = o.billing_target;
      ro.poll_interval = o.relay_poll_interval;
      relay = std::make_unique<OutboxRelay>(store, host.signer(), host.clock(), ro,
                                            host.metrics().registry());
      service.set_event_hook([this] { relay->Notify(); });
    }
  }

  ServiceHost host;
  EngagementStore store;
  EngagementsApi service;
  EngagementsGrpc grpc_service;
  BusinessMetrics business;
  std::unique_ptr<OutboxRelay> relay;
};

App::App(std::unique_ptr<Impl> impl) : ServiceApp(impl->host), impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<App>> App::Start(const AppOptions& options) {
  // Every RPC has its access rule, or the service does not start.
  if (auto s = domain::EngagementsPolicy().CheckCovers("certpath.engagements.v1.EngagementService");
      !s.ok())
    return s;
  auto impl = std::make_unique<Impl>(options);
  if (auto s = impl->host.Start({&impl->grpc_service}); !s.ok()) return s;
  if (impl->relay) impl->relay->Start();
  return std::unique_ptr<App>(new App(std::move(impl)));
}

App::~App() { Shutdown(absl::ZeroDuration()); }

void App::Shutdown(absl::Duration drain) {
  if (impl_->relay) impl_->relay->Stop();
  impl_->host.Shutdown(drain);
}

}  // namespace certpath::engagements
