// EventRelay: one delivery loop per consumer of a producer (outbox.h).
#include "services/common/outbox.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/client_retry.h"
#include "services/common/grpc_util.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/common/subscriptions.h"

namespace certpath {

// ------------------------------------------------------------------ relay

namespace {
class GrpcSink final : public EventSink {
 public:
  GrpcSink(const std::string& target, const PrincipalSigner& signer, const Clock& clock)
      : stub_(cv1::EventConsumer::NewStub(
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
        signer_(signer),
        clock_(clock) {}
  absl::Status Deliver(const Principal& as, const cv1::DeliverEventRequest& req,
                       std::chrono::system_clock::time_point deadline) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline);
    ctx.AddMetadata(kPrincipalMetadataKey, signer_.Sign(as, clock_.Now(), absl::Minutes(5)));
    cv1::DeliverEventResponse resp;
    return FromGrpcStatus(stub_->DeliverEvent(&ctx, req, &resp));
  }

 private:
  std::unique_ptr<cv1::EventConsumer::Stub> stub_;
  const PrincipalSigner& signer_;
  const Clock& clock_;
};
}  // namespace

std::unique_ptr<EventSink> GrpcEventSink(const std::string& target, const PrincipalSigner& signer,
                                         const Clock& clock) {
  return std::make_unique<GrpcSink>(target, signer, clock);
}

struct EventRelay::Lane {
  std::string consumer;
  std::unique_ptr<EventSink> sink;  // null: not deployed here; measured only
  std::unique_ptr<BackgroundLoop> loop;
  absl::Time measured = absl::InfinitePast();
};

namespace {
std::map<std::string, std::unique_ptr<EventSink>> GrpcSinks(const RelayOptions& o,
                                                            const PrincipalSigner& signer,
                                                            const Clock& clock) {
  std::map<std::string, std::unique_ptr<EventSink>> out;
  for (const auto& [consumer, target] : o.targets) {
    if (!target.empty()) out[consumer] = GrpcEventSink(target, signer, clock);
  }
  return out;
}
}  // namespace

EventRelay::EventRelay(Outbox& outbox, const PrincipalSigner& signer, const Clock& clock,
                       RelayOptions options, prometheus::Registry& registry)
    : EventRelay(outbox, GrpcSinks(options, signer, clock), clock, options, registry) {}

EventRelay::EventRelay(Outbox& outbox, std::map<std::string, std::unique_ptr<EventSink>> sinks,
                       const Clock& clock, RelayOptions options, prometheus::Registry& registry)
    : outbox_(outbox),
      clock_(clock),
      options_(std::move(options)),
      deliveries_(prometheus::BuildCounter()
                      .Name("certpath_event_deliveries_total")
                      .Help("Event delivery attempts by consumer and outcome "
                            "(delivered, refused, unavailable)")
                      .Register(registry)),
      backlog_(prometheus::BuildGauge()
                   .Name("certpath_outbox_backlog")
                   .Help("Events waiting for a consumer")
                   .Register(registry)),
      dead_(prometheus::BuildGauge()
                .Name("certpath_outbox_dead_letters")
                .Help("Events a consumer refused for good, not yet replayed or discarded")
                .Register(registry)),
      oldest_(prometheus::BuildGauge()
                  .Name("certpath_outbox_oldest_age_seconds")
                  .Help("Age of the oldest event waiting for a consumer (0 = none)")
                  .Register(registry)) {
  for (const auto& consumer : ConsumersOfProducer(outbox_.producer())) {
    auto lane = std::make_unique<Lane>();
    lane->consumer = consumer;
    auto it = sinks.find(consumer);
    if (it != sinks.end()) lane->sink = std::move(it->second);
    Lane* l = lane.get();
    lane->loop = std::make_unique<BackgroundLoop>(options_.poll_interval, [this, l] {
      if (l->sink) RunOnce(l->consumer);
      // Gauges at most once a poll interval: a pass runs after every
      // committed event, and the gauges cost a few reads per tenant.
      absl::Time now = absl::Now();
      if (now - l->measured >= options_.poll_interval) {
        l->measured = now;
        Measure(*l);
      }
    });
    lanes_.push_back(std::move(lane));
  }
}

EventRelay::~EventRelay() { Stop(); }

void EventRelay::Start() {
  if (auto tenants = outbox_.repository().Tenants(); tenants.ok()) {
    for (const auto& t : *tenants) {
      if (auto s = outbox_.AdoptLegacyOutbox(t); !s.ok()) {
        log::Error("cannot move the earlier outbox's events",
                   {{"tenant", t}, {"error", s.status().message()}});
      }
    }
  }
  for (auto& l : lanes_) {
    if (!l->sink) {
      log::Warn("no target for an event consumer: its events wait in the outbox",
                {{"producer", outbox_.producer()}, {"consumer", l->consumer}});
    }
    l->loop->Start();
  }
}

void EventRelay::Stop() {
  for (auto& l : lanes_) l->loop->Stop();
}

void EventRelay::Notify() {
  for (auto& l : lanes_) {
    if (l->sink) l->loop->Notify();
  }
}

void EventRelay::Measure(Lane& lane) {
  auto tenants = outbox_.repository().Tenants();
  if (!tenants.ok()) return;
  int64_t backlog = 0, dead = 0;
  absl::Time oldest = absl::InfiniteFuture();
  for (const auto& t : *tenants) {
    auto s = outbox_.Stats(t, lane.consumer);
    if (!s.ok()) return;
    backlog += s->backlog;
    dead += s->dead;
    oldest = std::min(oldest, s->oldest);
  }
  // delivering="false": a subscribed consumer this replica has no target for
  // (not deployed yet): its queue waits, and the stuck-event alert leaves it be.
  prometheus::Labels labels = {{"consumer", lane.consumer},
                               {"delivering", lane.sink ? "true" : "false"}};
  backlog_.Add(labels).Set(static_cast<double>(backlog));
  dead_.Add(labels).Set(static_cast<double>(dead));
  oldest_.Add(labels).Set(oldest == absl::InfiniteFuture()
                              ? 0
                              : std::max(0.0, absl::ToDoubleSeconds(clock_.Now() - oldest)));
}

int EventRelay::RunOnce(const std::string& consumer) {
  Lane* lane = nullptr;
  for (auto& l : lanes_) {
    if (l->consumer == consumer) lane = l.get();
  }
  if (lane == nullptr || !lane->sink) return 0;
  auto tenants = outbox_.repository().Tenants();
  if (!tenants.ok()) return 0;
  int delivered = 0;
  constexpr int kWindow = 100;
  for (const auto& tenant : *tenants) {
    std::set<std::string> held;  // subjects held back in this pass
    int64_t cursor = 0;
    for (;;) {
      auto pending = outbox_.Queue(tenant, consumer, cursor, kWindow);
      if (!pending.ok()) return delivered;
      // Read after the window: an event another replica dead-lettered meanwhile
      // is gone from the window and its subject is here, so its successors wait.
      auto blocked = outbox_.BlockedSubjects(tenant, consumer);
      if (!blocked.ok()) return delivered;
      held.insert(blocked->begin(), blocked->end());
      for (const auto& p : *pending) {
        cursor = p.sequence;
        if (!p.event) {
          // A queued event always has its record: this one was lost or damaged.
          absl::Status lost = Error(absl::StatusCode::kDataLoss, "EVENT_RECORD_MISSING",
                                    "the event's record is missing or unreadable");
          log::Error("queued event without its record; now a dead letter",
                     {{"producer", outbox_.producer()},
                      {"consumer", consumer},
                      {"tenant", tenant},
                      {"event_id", p.id}});
          if (!outbox_.Refuse(tenant, consumer, p, lost, 0, clock_.Now()).ok()) return delivered;
          continue;
        }
        if (held.count(p.event->subject())) continue;  // in order: behind its subject's first
        absl::Status answer;
        int attempts = 0;
        Outcome o = Deliver(*lane, p, &answer, &attempts);
        if (o == Outcome::kDelivered) {
          if (!outbox_.Acknowledge(tenant, consumer, p).ok()) return delivered;
          ++delivered;
          continue;
        }
        if (o == Outcome::kUnavailable) {
          // The consumer is down or slow: try again on the next pass, from here.
          if (answer.code() == absl::StatusCode::kUnavailable ||
              answer.code() == absl::StatusCode::kDeadlineExceeded) {
            return delivered;
          }
          // Up, but failing on this event (INTERNAL, ABORTED…): hold its
          // subject for this pass, go on with the others.
          held.insert(p.event->subject());
          continue;
        }
        if (!outbox_.Refuse(tenant, consumer, p, answer, attempts, clock_.Now()).ok()) {
          return delivered;
        }
        held.insert(p.event->subject());
        log::Error("event refused by its consumer; now a dead letter",
                   {{"producer", outbox_.producer()},
                    {"consumer", consumer},
                    {"tenant", tenant},
                    {"event_id", p.id},
                    {"type", p.event->type()},
                    {"code", absl::StatusCodeToString(answer.code())}});
      }
      if (static_cast<int>(pending->size()) < kWindow) break;
    }
  }
  return delivered;
}

EventRelay::Outcome EventRelay::Deliver(Lane& lane, const Outbox::Pending& p, absl::Status* answer,
                                        int* attempts) {
  cv1::DeliverEventRequest req;
  *req.mutable_event() = *p.event;
  req.set_consumer(lane.consumer);
  req.set_request_id(p.id);
  Principal relay;
  relay.set_tenant(p.event->tenant());
  relay.set_subject(outbox_.producer() + "-relay");
  relay.set_role(Principal::ROLE_SERVICE);
  RetryPolicy policy;
  policy.max_attempts = options_.max_attempts;
  policy.call_deadline = options_.call_deadline;
  *answer = CallWithRetry(
      policy,
      [&](std::chrono::system_clock::time_point deadline) {
        return lane.sink->Deliver(relay, req, deadline);
      },
      [&](absl::Duration wait) { return lane.loop->Sleep(wait); },
      [&](const absl::Status& attempt) {
        ++*attempts;
        const char* outcome =
            attempt.ok() ? "delivered" : (IsRefusal(attempt) ? "refused" : "unavailable");
        deliveries_.Add({{"consumer", lane.consumer}, {"outcome", outcome}}).Increment();
      });
  if (answer->ok()) return Outcome::kDelivered;
  return IsRefusal(*answer) ? Outcome::kRefused : Outcome::kUnavailable;
}

}  // namespace certpath
