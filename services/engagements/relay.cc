#include "services/engagements/relay.h"

#include <grpcpp/grpcpp.h>

#include "services/common/client_retry.h"
#include "services/common/grpc_util.h"
#include "services/common/log.h"

namespace certpath::engagements {

namespace bv1 = certpath::billing::v1;

namespace {
class GrpcBillingEvents final : public BillingEventsClient {
 public:
  GrpcBillingEvents(const std::string& target, const PrincipalSigner& signer, const Clock& clock)
      : stub_(bv1::BillingService::NewStub(
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
        signer_(signer),
        clock_(clock) {}
  absl::Status Record(const Principal& as, const bv1::RecordBillingEventRequest& req,
                      std::chrono::system_clock::time_point deadline) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline);
    ctx.AddMetadata(kPrincipalMetadataKey, signer_.Sign(as, clock_.Now(), absl::Minutes(5)));
    bv1::BillingEvent resp;
    return FromGrpcStatus(stub_->RecordBillingEvent(&ctx, req, &resp));
  }

 private:
  std::unique_ptr<bv1::BillingService::Stub> stub_;
  const PrincipalSigner& signer_;
  const Clock& clock_;
};
}  // namespace

std::unique_ptr<BillingEventsClient> GrpcBillingEventsClient(const std::string& target,
                                                             const PrincipalSigner& signer,
                                                             const Clock& clock) {
  return std::make_unique<GrpcBillingEvents>(target, signer, clock);
}

OutboxRelay::OutboxRelay(EngagementStore& store, const PrincipalSigner& signer, const Clock& clock,
                         RelayOptions options, prometheus::Registry& registry)
    : OutboxRelay(store, GrpcBillingEventsClient(options.billing_target, signer, clock), clock,
                  options, registry) {}

OutboxRelay::OutboxRelay(EngagementStore& store, std::unique_ptr<BillingEventsClient> billing,
                         const Clock& clock, RelayOptions options, prometheus::Registry& registry)
    : store_(store),
      billing_(std::move(billing)),
      clock_(clock),
      options_(std::move(options)),
      attempts_(prometheus::BuildCounter()
                    .Name("certpath_relay_delivery_attempts_total")
                    .Help("Outbox deliveries attempted (each gRPC call)")
                    .Register(registry)
                    .Add({})),
      failures_(prometheus::BuildCounter()
                    .Name("certpath_relay_delivery_failures_total")
                    .Help("Outbox deliveries that failed, by reason")
                    .Register(registry)),
      delivered_(prometheus::BuildCounter()
                     .Name("certpath_relay_delivered_total")
                     .Help("Outbox events acknowledged by their consumer")
                     .Register(registry)
                     .Add({})) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      notified_ = false;
      lock.unlock();
      RunOnce();
      lock.lock();
      cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll_interval),
                   [&] { return stop_ || notified_; });
    }
  });
}

void OutboxRelay::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxRelay::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

int OutboxRelay::RunOnce() {
  auto tenants = store_.Tenants();
  if (!tenants.ok()) return 0;
  int delivered = 0;
  for (const auto& tenant : *tenants) {
    auto pending = store_.PendingEvents(tenant, 100);
    if (!pending.ok()) return delivered;
    for (const auto& ev : *pending) {
      Outcome o = Deliver(ev);
      if (o == Outcome::kUnavailable) return delivered;  // billing down: try again later
      int64_t now_ms = absl::ToUnixMillis(clock_.Now());
      if (!store_.MarkEvent(tenant, ev.id, o == Outcome::kDelivered, now_ms).ok()) {
        return delivered;  // redelivered later; billing dedups
      }
      if (o == Outcome::kDelivered) {
        ++delivered;
        delivered_.Increment();
      } else {
        log::Error("outbox event refused by its consumer; moved to the dead letters",
                   {{"tenant", tenant}, {"event_id", ev.id}, {"type", ev.event.type()}});
      }
    }
  }
  return delivered;
}

OutboxRelay::Outcome OutboxRelay::Deliver(const EngagementStore::PendingEvent& ev) {
  bv1::RecordBillingEventRequest req;
  req.set_parent("tenants/" + ev.event.tenant());
  req.set_request_id(ev.id);
  auto* be = req.mutable_billing_event();
  v1::Stage1Passed payload;
  if (!ev.event.payload().UnpackTo(&payload)) {
    failures_.Add({{"reason", "unknown_event"}}).Increment();
    return Outcome::kRefused;
  }
  be->set_kind(bv1::BILLING_EVENT_KIND_STAGE1_PASSED);
  be->set_engagement(payload.engagement());
  be->set_source_event_id(ev.id);
  *be->mutable_occurred_date() = payload.audit_date();
  Principal relay;
  relay.set_tenant(ev.event.tenant());
  relay.set_subject("engagements-relay");
  relay.set_role(Principal::ROLE_SERVICE);
  RetryPolicy policy;
  policy.max_attempts = options_.max_attempts;
  policy.call_deadline = options_.call_deadline;
  absl::Status s = CallWithRetry(
      policy,
      [&](std::chrono::system_clock::time_point deadline) {
        return billing_->Record(relay, req, deadline);
      },
      [&](absl::Duration wait) {
        std::unique_lock<std::mutex> lock(mu_);
        return !cv_.wait_for(lock, absl::ToChronoMilliseconds(wait), [&] { return stop_; });
      },
      [&](const absl::Status& attempt) {
        attempts_.Increment();
        if (!attempt.ok()) {
          failures_.Add({{"reason", IsTransient(attempt) ? "unavailable" : "refused"}}).Increment();
        }
      });
  if (s.ok()) return Outcome::kDelivered;
  return IsTransient(s) ? Outcome::kUnavailable : Outcome::kRefused;
}

}  // namespace certpath::engagements
