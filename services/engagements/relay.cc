#include "services/engagements/relay.h"

#include <grpcpp/grpcpp.h>

#include "services/common/grpc_util.h"
#include "services/common/log.h"

namespace certpath::engagements {

namespace bv1 = certpath::billing::v1;

OutboxRelay::OutboxRelay(EngagementStore& store, const PrincipalSigner& signer, const Clock& clock,
                         RelayOptions options, prometheus::Registry& registry)
    : store_(store),
      signer_(signer),
      clock_(clock),
      options_(std::move(options)),
      stub_(bv1::BillingService::NewStub(
          grpc::CreateChannel(options_.billing_target, grpc::InsecureChannelCredentials()))),
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
  absl::Duration backoff = absl::Milliseconds(50);
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     absl::ToChronoMilliseconds(options_.call_deadline));
    ctx.AddMetadata(kPrincipalMetadataKey, signer_.Sign(relay, clock_.Now(), absl::Minutes(5)));
    bv1::BillingEvent resp;
    attempts_.Increment();
    grpc::Status s = stub_->RecordBillingEvent(&ctx, req, &resp);
    if (s.ok()) return Outcome::kDelivered;
    bool retry = s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                 s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                 s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    if (!retry) {
      failures_.Add({{"reason", "refused"}}).Increment();
      return Outcome::kRefused;
    }
    failures_.Add({{"reason", "unavailable"}}).Increment();
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, absl::ToChronoMilliseconds(backoff), [&] { return stop_; })) {
        return Outcome::kUnavailable;
      }
    }
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
  return Outcome::kUnavailable;
}

}  // namespace certpath::engagements
