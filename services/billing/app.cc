#include "services/billing/app.h"

#include "services/billing/domain/policy.h"

#include <grpcpp/grpcpp.h>
#include <prometheus/gauge.h>

#include "certpath/engagements/v1/engagements.grpc.pb.h"
#include "services/billing/grpc_service.h"
#include "services/common/engagements_client.h"
#include "services/common/grpc_util.h"
#include "services/common/outbox.h"
#include "services/common/status.h"

namespace certpath::billing {
namespace {

// Asks the engagements service, as the caller, whether it sees the engagement.
class GrpcEngagementVisibility final : public EngagementVisibility {
 public:
  GrpcEngagementVisibility(const std::string& target, const PrincipalSigner& signer,
                           const Clock& clock)
      : client_(target, signer, clock) {}
  absl::Status CheckVisible(const Principal& p, const std::string& engagement) override {
    return client_.Get(p, engagement).status();
  }

 private:
  EngagementsClient client_;
};

prometheus::Gauge& Gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

absl::StatusOr<AppOptions> AppOptions::FromConfig(const Config& c) {
  AppOptions o;
  auto host = HostOptions::FromConfig(c, "127.0.0.1:7104", "127.0.0.1:9104");
  if (!host.ok()) return host.status();
  o.host = *std::move(host);
  o.engagements_target = c.Get("engagements-target", "127.0.0.1:7101");
  return o;
}

struct App::Impl {
  explicit Impl(const AppOptions& o)
      : host(o.host),
        store(host.records(), o.host.idempotency_ttl_seconds),
        visibility(o.engagements_target.empty()
                       ? nullptr
                       : std::make_unique<GrpcEngagementVisibility>(o.engagements_target,
                                                                    host.signer(), host.clock())),
        service(store, host.clock(), host.tokens(), host.gate(), visibility.get(),
                host.metrics().registry()),
        audit(store.audit(), domain::BillingPolicy(), host.tokens()),
        grpc_service(service, audit, host.dispatcher()),
        consumer("billing", host.dispatcher(), host.metrics().registry()),
        sealer(store.audit(), [this] { return store.Tenants(); }),
        outstanding(Gauge(host.metrics().registry(), "certpath_invoices_outstanding_yen",
                          "Unpaid balance of issued invoices")),
        overdue_count(Gauge(host.metrics().registry(), "certpath_invoices_overdue",
                            "Issued invoices with a balance past their due date")),
        overdue_yen(Gauge(host.metrics().registry(), "certpath_invoices_overdue_yen",
                          "Unpaid yen past the due date")),
        needs_quote(Gauge(host.metrics().registry(), "certpath_billing_events_needing_quote",
                          "Stage-1 events waiting for an accepted quote")) {
    host.AddPeriodic([this] { return Refresh(); });
    consumer.Handle("certpath.engagements.v1.Stage1Passed",
                    [this](const Principal& p, const certpath::common::v1::OutboxEvent& e) {
                      return service.ApplyStage1Passed(p, e);
                    });
    consumer.Handle("certpath.documents.v1.PaidReviewAccepted",
                    [this](const Principal& p, const certpath::common::v1::OutboxEvent& e) {
                      return service.ApplyPaidReviewAccepted(p, e);
                    });
    consumer.Handle("certpath.scheduling.v1.VisitCompleted",
                    [this](const Principal& p, const certpath::common::v1::OutboxEvent& e) {
                      return service.ApplyVisitCompleted(p, e);
                    });
  }

  absl::Status Refresh() {
    auto tenants = store.Tenants();
    if (!tenants.ok()) return tenants.status();
    TenantBillingStats sum;
    absl::CivilDay today = TokyoDay(host.clock().Now());
    // Invoices numbered, and quotes made, before their indexes existed or by
    // an older replica during a rollout go into them (clients' lists and
    // issue dates rely on them).
    for (const auto& t : *tenants) {
      auto complete = store.NumberedIndexComplete(t);
      absl::Status s = complete.ok() ? absl::OkStatus() : complete.status();
      if (s.ok() && !*complete) s = store.BackfillNumbered(t);
      if (s.ok()) s = store.CompleteQuoteStates(t);
      if (!s.ok()) log::Warn("billing indexes not completed", {{"error", s.message()}});
    }
    for (const auto& t : *tenants) {
      auto s = store.Stats(t, today);
      if (!s.ok()) return s.status();
      sum.outstanding_jpy += s->outstanding_jpy;
      sum.overdue_count += s->overdue_count;
      sum.overdue_jpy += s->overdue_jpy;
      sum.needs_quote += s->needs_quote;
    }
    outstanding.Set(static_cast<double>(sum.outstanding_jpy));
    overdue_count.Set(static_cast<double>(sum.overdue_count));
    overdue_yen.Set(static_cast<double>(sum.overdue_jpy));
    needs_quote.Set(static_cast<double>(sum.needs_quote));
    return absl::OkStatus();
  }

  ServiceHost host;
  BillingStore store;
  std::unique_ptr<EngagementVisibility> visibility;
  BillingApi service;
  AuditApi audit;
  BillingGrpc grpc_service;
  EventConsumerService consumer;
  AuditSealer sealer;
  prometheus::Gauge& outstanding;
  prometheus::Gauge& overdue_count;
  prometheus::Gauge& overdue_yen;
  prometheus::Gauge& needs_quote;
};

App::App(std::unique_ptr<Impl> impl) : ServiceApp(impl->host), impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<App>> App::Start(const AppOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (auto s = StartServing(domain::BillingPolicy(), "certpath.billing.v1.BillingService",
                            impl->consumer, impl->host, {&impl->grpc_service, &impl->consumer});
      !s.ok())
    return s;
  impl->sealer.Start();
  return std::unique_ptr<App>(new App(std::move(impl)));
}

App::~App() { Shutdown(absl::ZeroDuration()); }

void App::Shutdown(absl::Duration drain) {
  impl_->host.Shutdown(drain);
  impl_->sealer.Stop();
}

}  // namespace certpath::billing
