#include "services/scheduling/app.h"

#include <prometheus/gauge.h>

#include "services/common/outbox.h"
#include "services/common/subscriptions.h"
#include "services/scheduling/domain/policy.h"
#include "services/scheduling/grpc_service.h"

namespace certpath::scheduling {

absl::StatusOr<AppOptions> AppOptions::FromConfig(const Config& c) {
  AppOptions o;
  auto host = HostOptions::FromConfig(c, "127.0.0.1:7103", "127.0.0.1:9103");
  if (!host.ok()) return host.status();
  o.host = *std::move(host);
  if (auto s = ReadRelayFlags(c, "scheduling", &o.consumer_targets, &o.relay_poll_interval);
      !s.ok())
    return s;
  return o;
}

namespace {

// Deadlines due soon and overdue, per kind (unmet ones only), and support
// periods ending before stage 2 was reached: what the alert rules watch.
class DeadlineGauges {
 public:
  explicit DeadlineGauges(prometheus::Registry& r)
      : due_(prometheus::BuildGauge()
                 .Name("certpath_deadlines_due")
                 .Help("Unmet deadlines due from today within the window, by kind")
                 .Register(r)),
        overdue_(prometheus::BuildGauge()
                     .Name("certpath_deadlines_overdue")
                     .Help("Unmet deadlines past their due date, by kind")
                     .Register(r)),
        pre_stage2_(prometheus::BuildGauge()
                        .Name("certpath_support_ending_before_stage2")
                        .Help("Active engagements whose support ends within 30 days before stage 2")
                        .Register(r)
                        .Add({{"within", "30d"}})) {}

  absl::Status Refresh(SchedulingStore& store, absl::CivilDay today) {
    auto tenants = store.Tenants();
    if (!tenants.ok()) return tenants.status();
    DeadlineCounts sum;
    for (const auto& t : *tenants) {
      auto c = store.CountDeadlines(t, today);
      if (!c.ok()) return c.status();
      for (const auto& [k, a] : c->by_kind) {
        auto& s = sum.by_kind[k];
        for (int i = 0; i < 4; ++i) s[i] += a[i];
      }
      sum.support_end_pre_stage2_30d += c->support_end_pre_stage2_30d;
    }
    static const char* kWithin[] = {"7d", "30d", "90d"};
    for (int k = 1; k <= v1::DeadlineKind_MAX; ++k) {
      std::string kind = v1::DeadlineKind_Name(static_cast<v1::DeadlineKind>(k));
      kind = kind.substr(sizeof("DEADLINE_KIND_") - 1);
      const auto& a = sum.by_kind[k];
      for (int i = 0; i < 3; ++i) {
        due_.Add({{"kind", kind}, {"within", kWithin[i]}}).Set(static_cast<double>(a[i]));
      }
      overdue_.Add({{"kind", kind}}).Set(static_cast<double>(a[3]));
    }
    pre_stage2_.Set(static_cast<double>(sum.support_end_pre_stage2_30d));
    return absl::OkStatus();
  }

 private:
  prometheus::Family<prometheus::Gauge>& due_;
  prometheus::Family<prometheus::Gauge>& overdue_;
  prometheus::Gauge& pre_stage2_;
};

}  // namespace

struct App::Impl {
  explicit Impl(const AppOptions& o)
      : host(o.host),
        store(host.records(), o.host.idempotency_ttl_seconds),
        service(store, host.clock(), host.tokens(), host.gate(), host.metrics().registry()),
        writable(host.gate(), [this](const std::string& t) { return store.RegisterTenant(t); }),
        dead_letters(store.outbox(), domain::SchedulingPolicy(), host.tokens(), host.clock(),
                     [this](const std::string& t) { return writable.Check(t); }),
        audit(store.audit(), domain::SchedulingPolicy(), host.tokens()),
        grpc_service(service, dead_letters, audit, host.dispatcher()),
        consumer("scheduling", host.dispatcher(), host.metrics().registry()),
        relay(store.outbox(), host.signer(), host.clock(), RelayOptionsOf(o),
              host.metrics().registry()),
        sealer(store.audit(), [this] { return store.Tenants(); }),
        gauges(host.metrics().registry()) {
    host.AddPeriodic([this] { return gauges.Refresh(store, TokyoDay(host.clock().Now())); });
    service.set_event_hook([this] { relay.Notify(); });
    dead_letters.set_replay_hook([this] { relay.Notify(); });
    for (const auto& type :
         {"certpath.engagements.v1.EngagementChanged", "certpath.engagements.v1.Stage1Passed",
          "certpath.engagements.v1.AuditResultRecorded",
          "certpath.engagements.v1.RegistrationRecorded", "certpath.engagements.v1.FindingChanged",
          "certpath.engagements.v1.EngagementTerminated"}) {
      consumer.Handle(type, [this](const Principal& p, const cv1::OutboxEvent& e) {
        return service.ApplyEngagementEvent(p, e);
      });
    }
    consumer.Handle("certpath.engagements.v1.ClientPersonalDataErased",
                    [this](const Principal& p, const cv1::OutboxEvent& e) {
                      return service.ApplyPersonalDataErased(p, e);
                    });
  }

  ServiceHost host;
  SchedulingStore store;
  SchedulingApi service;
  WritableTenants writable;
  DeadLetterApi dead_letters;
  AuditApi audit;
  SchedulingGrpc grpc_service;
  EventConsumerService consumer;
  EventRelay relay;
  AuditSealer sealer;
  DeadlineGauges gauges;
};

App::App(std::unique_ptr<Impl> impl) : ServiceApp(impl->host), impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<App>> App::Start(const AppOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (auto s = StartServing(domain::SchedulingPolicy(), "certpath.scheduling.v1.SchedulingService",
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

}  // namespace certpath::scheduling
