#include "services/documents/app.h"

#include <grpcpp/grpcpp.h>
#include <prometheus/gauge.h>

#include "certpath/billing/v1/billing.grpc.pb.h"
#include "services/common/client_retry.h"
#include "services/common/grpc_util.h"
#include "services/common/log.h"
#include "services/common/outbox.h"
#include "services/common/status.h"
#include "services/documents/domain/files.h"
#include "services/documents/domain/policy.h"
#include "services/documents/grpc_service.h"

namespace certpath::documents {

absl::StatusOr<AppOptions> AppOptions::FromConfig(const Config& c) {
  AppOptions o;
  auto host = HostOptions::FromConfig(c, "127.0.0.1:7102", "127.0.0.1:9102");
  if (!host.ok()) return host.status();
  o.host = *std::move(host);
  o.data_dir = c.Get("data-dir", "");
  if (o.data_dir.empty()) return absl::InvalidArgumentError("--data-dir: where files are stored");
  o.engagements_target = c.Get("engagements-target", o.engagements_target);
  o.billing_target = c.Get("billing-target", o.billing_target);
  // --engagements-target and --billing-target are also where its events go.
  if (auto s = ReadRelayFlags(c, "documents", &o.consumer_targets, &o.relay_poll_interval); !s.ok())
    return s;
  return o;
}

namespace {

// The manual-review range of billing's price list, read as the caller.
class GrpcOfficeSettings final : public OfficeSettings {
 public:
  GrpcOfficeSettings(const std::string& target, const PrincipalSigner& signer, const Clock& clock)
      : stub_(billing::v1::BillingService::NewStub(
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
        signer_(signer),
        clock_(clock) {}
  absl::StatusOr<billing::v1::BillingSettings> Settings(const Principal& p) override {
    billing::v1::GetBillingSettingsRequest req;
    req.set_name("tenants/" + p.tenant() + "/billingSettings");
    billing::v1::BillingSettings settings;
    absl::Status s =
        Call(p, &billing::v1::BillingService::Stub::GetBillingSettings, req, &settings);
    if (s.code() == absl::StatusCode::kNotFound) {
      return FailedPrecondition(
          "BILLING_SETTINGS", "the office has no billing settings yet (its name, its price list)");
    }
    if (!s.ok()) return Unavailable("billing service (settings): " + std::string(s.message()));
    return settings;
  }
  absl::StatusOr<bool> HasAcceptedQuote(const Principal& p,
                                        const std::string& engagement) override {
    billing::v1::ListQuotesRequest req;
    req.set_parent("tenants/" + p.tenant());
    req.set_engagement(engagement);
    req.set_page_size(100);  // an engagement has a handful of quotes
    billing::v1::ListQuotesResponse quotes;
    absl::Status s = Call(p, &billing::v1::BillingService::Stub::ListQuotes, req, &quotes);
    if (!s.ok()) return Unavailable("billing service (quotes): " + std::string(s.message()));
    for (const auto& q : quotes.quotes()) {
      if (q.state() == billing::v1::QUOTE_STATE_ACCEPTED) return true;
    }
    return false;
  }

 private:
  template <typename Req, typename Resp>
  absl::Status Call(const Principal& p,
                    grpc::Status (billing::v1::BillingService::Stub::*method)(grpc::ClientContext*,
                                                                              const Req&, Resp*),
                    const Req& req, Resp* out) {
    return CallWithRetry(RetryPolicy{}, [&](std::chrono::system_clock::time_point deadline) {
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline);
      ctx.AddMetadata(kPrincipalMetadataKey, signer_.Sign(p, clock_.Now(), absl::Minutes(1)));
      return FromGrpcStatus((stub_.get()->*method)(&ctx, req, out));
    });
  }

  std::unique_ptr<billing::v1::BillingService::Stub> stub_;
  const PrincipalSigner& signer_;
  const Clock& clock_;
};

prometheus::Gauge& Gauge(prometheus::Registry& r, const char* name, const char* help,
                         prometheus::Labels labels = {}) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add(labels);
}

HostOptions WithUploadLimit(HostOptions o) {
  // A 16 MiB file and the rest of its request.
  o.server.max_receive_bytes = static_cast<int>(domain::kMaxFileBytes) + (1 << 20);
  return o;
}

}  // namespace

struct App::Impl {
  explicit Impl(const AppOptions& o)
      : options(o),
        host(WithUploadLimit(o.host)),
        store(host.records(), o.host.idempotency_ttl_seconds),
        blobs(o.data_dir),
        engagements(o.engagements_target, host.signer(), host.clock()),
        office(o.billing_target, host.signer(), host.clock()),
        service(store, blobs, engagements, office, host.clock(), host.tokens(), host.gate(),
                host.metrics().registry()),
        writable(host.gate(), [this](const std::string& t) { return store.RegisterTenant(t); }),
        dead_letters(store.outbox(), domain::DocumentsPolicy(), host.tokens(), host.clock(),
                     [this](const std::string& t) { return writable.Check(t); }),
        audit(store.audit(), domain::DocumentsPolicy(), host.tokens()),
        grpc_service(service, dead_letters, audit, host.dispatcher()),
        consumer("documents", host.dispatcher(), host.metrics().registry()),
        relay(store.outbox(), host.signer(), host.clock(), RelayOptionsOf(o),
              host.metrics().registry()),
        sealer(store.audit(), [this] { return store.Tenants(); }),
        active(Gauge(host.metrics().registry(), "certpath_documents", "Documents by state",
                     {{"state", "ACTIVE"}})),
        archived(Gauge(host.metrics().registry(), "certpath_documents", "Documents by state",
                       {{"state", "ARCHIVED"}})),
        waiting(Gauge(host.metrics().registry(), "certpath_document_reviews_waiting",
                      "Versions in review or awaiting a paid review's acceptance")),
        oldest(Gauge(host.metrics().registry(), "certpath_document_review_oldest_wait_seconds",
                     "How long the longest-waiting review has waited")),
        bytes(Gauge(host.metrics().registry(), "certpath_document_bytes_stored",
                    "Bytes of stored files (after de-duplication)")) {
    host.AddPeriodic([this] { return Refresh(); });
    service.set_event_hook([this] { relay.Notify(); });
    dead_letters.set_replay_hook([this] { relay.Notify(); });
  }

  absl::Status Refresh() {
    auto tenants = store.Tenants();
    if (!tenants.ok()) return tenants.status();
    DocumentStats sum;
    int64_t oldest_unix = 0;
    for (const auto& t : *tenants) {
      auto s = store.Stats(t);
      if (!s.ok()) return s.status();
      sum.active += s->active;
      sum.archived += s->archived;
      sum.reviews_waiting += s->reviews_waiting;
      if (s->oldest_waiting_unix > 0 &&
          (oldest_unix == 0 || s->oldest_waiting_unix < oldest_unix)) {
        oldest_unix = s->oldest_waiting_unix;
      }
    }
    absl::Time now = host.clock().Now();
    active.Set(static_cast<double>(sum.active));
    archived.Set(static_cast<double>(sum.archived));
    waiting.Set(static_cast<double>(sum.reviews_waiting));
    oldest.Set(oldest_unix == 0 ? 0.0
                                : absl::ToDoubleSeconds(now - absl::FromUnixSeconds(oldest_unix)));
    // Files: abandoned uploads swept every ten minutes; bytes stored.
    if (now - last_sweep >= absl::Minutes(10)) {
      last_sweep = now;
      auto swept =
          blobs.Sweep(options.sweep_age, [this](const std::string& tenant, const std::string& sha) {
            return store.Referenced(tenant, sha);
          });
      if (!swept.ok()) return swept.status();
      if (*swept > 0) {
        std::string n = std::to_string(*swept);
        log::Info("swept abandoned files", {{"files", n}});
      }
    }
    bytes.Set(static_cast<double>(blobs.BytesStored()));
    return absl::OkStatus();
  }

  AppOptions options;
  ServiceHost host;
  DocumentStore store;
  FileBlobStore blobs;
  EngagementsClient engagements;
  GrpcOfficeSettings office;
  DocumentsApi service;
  WritableTenants writable;
  DeadLetterApi dead_letters;
  AuditApi audit;
  DocumentsGrpc grpc_service;
  EventConsumerService consumer;
  EventRelay relay;
  AuditSealer sealer;
  prometheus::Gauge& active;
  prometheus::Gauge& archived;
  prometheus::Gauge& waiting;
  prometheus::Gauge& oldest;
  prometheus::Gauge& bytes;
  absl::Time last_sweep = absl::InfinitePast();
};

App::App(std::unique_ptr<Impl> impl) : ServiceApp(impl->host), impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<App>> App::Start(const AppOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (auto s = impl->blobs.Open(); !s.ok()) return s;
  if (auto s = StartServing(domain::DocumentsPolicy(), "certpath.documents.v1.DocumentService",
                            impl->consumer, impl->host, {&impl->grpc_service});
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

}  // namespace certpath::documents
