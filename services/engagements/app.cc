#include "services/engagements/app.h"

#include "services/engagements/domain/policy.h"

#include "services/common/subscriptions.h"
#include "services/engagements/business_metrics.h"
#include "services/engagements/grpc_service.h"

namespace certpath::engagements {

absl::StatusOr<AppOptions> AppOptions::FromConfig(const Config& c) {
  AppOptions o;
  auto host = HostOptions::FromConfig(c, "127.0.0.1:7101", "127.0.0.1:9101");
  if (!host.ok()) return host.status();
  o.host = *std::move(host);
  // --<consumer>-target=host:port for every consumer of engagements' events.
  if (auto s = ReadRelayFlags(c, "engagements", &o.consumer_targets, &o.relay_poll_interval);
      !s.ok())
    return s;
  return o;
}

struct App::Impl {
  explicit Impl(const AppOptions& o)
      : host(o.host),
        store(host.records(), o.host.idempotency_ttl_seconds),
        service(store, host.clock(), host.tokens(), host.gate(), host.metrics().registry()),
        writable(host.gate(), [this](const std::string& t) { return store.RegisterTenant(t); }),
        dead_letters(store.outbox(), domain::EngagementsPolicy(), host.tokens(), host.clock(),
                     [this](const std::string& t) { return writable.Check(t); }),
        audit(store.audit(), domain::EngagementsPolicy(), host.tokens()),
        grpc_service(service, dead_letters, audit, host.dispatcher()),
        consumer("engagements", host.dispatcher(), host.metrics().registry()),
        business(host.metrics().registry(), store, host.clock()),
        relay(store.outbox(), host.signer(), host.clock(), RelayOptionsOf(o),
              host.metrics().registry()),
        sealer(store.audit(), [this] { return store.Tenants(); }) {
    host.AddPeriodic([this] { return business.Refresh(); });
    service.set_event_hook([this] { relay.Notify(); });
    dead_letters.set_replay_hook([this] { relay.Notify(); });
    consumer.Handle("certpath.documents.v1.DocumentApproved",
                    [this](const Principal& p, const certpath::common::v1::OutboxEvent& e) {
                      return service.ApplyDocumentApproved(p, e);
                    });
    consumer.Handle("certpath.documents.v1.DocumentArchived",
                    [this](const Principal& p, const certpath::common::v1::OutboxEvent& e) {
                      return service.ApplyDocumentArchived(p, e);
                    });
    consumer.Handle("certpath.documents.v1.TemplatesProvided",
                    [this](const Principal& p, const certpath::common::v1::OutboxEvent& e) {
                      return service.ApplyTemplatesProvided(p, e);
                    });
    consumer.Handle("certpath.scheduling.v1.VisitCompleted",
                    [this](const Principal& p, const certpath::common::v1::OutboxEvent& e) {
                      return service.ApplyVisitCompleted(p, e);
                    });
  }

  ServiceHost host;
  EngagementStore store;
  EngagementsApi service;
  WritableTenants writable;
  DeadLetterApi dead_letters;
  AuditApi audit;
  EngagementsGrpc grpc_service;
  EventConsumerService consumer;
  BusinessMetrics business;
  EventRelay relay;
  AuditSealer sealer;
};

App::App(std::unique_ptr<Impl> impl) : ServiceApp(impl->host), impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<App>> App::Start(const AppOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (auto s =
          StartServing(domain::EngagementsPolicy(), "certpath.engagements.v1.EngagementService",
                       impl->consumer, impl->host, {&impl->grpc_service, &impl->consumer});
      !s.ok())
    return s;
  impl->relay.Start();
  impl->sealer.Start();
  return std::unique_ptr<App>(new App(std::move(impl)));
}

App::~App() { Shutdown(absl::ZeroDuration()); }

void App::Shutdown(absl::Duration drain) {
  impl_->relay.Stop();
  impl_->host.Shutdown(drain);
  impl_->sealer.Stop();
}

}  // namespace certpath::engagements
