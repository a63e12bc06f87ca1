// EventConsumerService: the consumer side of event delivery (outbox.h).
#include "services/common/outbox.h"

#include "services/common/status.h"
#include "services/common/subscriptions.h"
#include "services/common/validate.h"

namespace certpath {

// ------------------------------------------------------------------ consumer side

EventConsumerService::EventConsumerService(std::string consumer, Dispatcher& dispatcher,
                                           prometheus::Registry& registry)
    : consumer_(std::move(consumer)),
      dispatcher_(dispatcher),
      consumed_(prometheus::BuildCounter()
                    .Name("certpath_events_consumed_total")
                    .Help("Events received by this consumer, by producer, type and outcome "
                          "(applied, refused, failed)")
                    .Register(registry)) {}

void EventConsumerService::Handle(const std::string& event_type, Handler handler) {
  handlers_[event_type] = std::move(handler);
}

absl::Status EventConsumerService::CheckHandlesSubscriptions() const {
  std::string missing;
  for (const auto& s : Subscriptions()) {
    for (const auto& c : s.consumers) {
      if (c == consumer_ && !handlers_.count(s.event_type)) {
        missing += (missing.empty() ? "" : ", ") + s.event_type;
      }
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(consumer_ + " subscribes without a handler to: " + missing);
}

grpc::ServerUnaryReactor* EventConsumerService::DeliverEvent(grpc::CallbackServerContext* ctx,
                                                             const cv1::DeliverEventRequest* req,
                                                             cv1::DeliverEventResponse* resp) {
  (void)resp;
  return dispatcher_.Run(ctx, "DeliverEvent", *req,
                         [this, req](const Principal& p) { return Deliver(p, *req); });
}

absl::Status EventConsumerService::Deliver(const Principal& p,
                                           const cv1::DeliverEventRequest& req) {
  const cv1::OutboxEvent& e = req.event();
  // The producer is the subscription table's, not the caller's word (and a bounded label).
  const std::string producer = ProducerOf(e.type());
  if (p.role() != Principal::ROLE_SERVICE) {
    return Error(absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
                 "only services deliver events");
  }
  auto it = handlers_.find(e.type());
  if (it == handlers_.end() || producer.empty()) {
    consumed_.Add({{"producer", "unknown"}, {"type", "unknown"}, {"outcome", "refused"}})
        .Increment();
    return FailedPrecondition("UNKNOWN_EVENT_TYPE", consumer_ + " does not handle " + e.type());
  }
  if (p.subject() != producer + "-relay") {
    return Error(absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
                 e.type() + " is delivered by the " + producer + " relay only");
  }
  FieldViolations v;
  CheckRequestId(v, e.id());
  if (e.id().empty()) v.Add("event.id", "required");
  if (e.tenant() != p.tenant()) v.Add("event.tenant", "not the caller's tenant");
  if (e.producer() != producer) v.Add("event.producer", "must be " + producer);
  if (req.consumer() != consumer_) v.Add("consumer", "this is " + consumer_);
  if (!req.request_id().empty() && req.request_id() != e.id()) {
    v.Add("request_id", "must be the event's id");
  }
  if (auto s = v.ToStatus(); !s.ok()) return s;
  absl::Status s = it->second(p, e);
  const char* outcome = s.ok() ? "applied" : (IsRefusal(s) ? "refused" : "failed");
  consumed_.Add({{"producer", producer}, {"type", e.type()}, {"outcome", outcome}}).Increment();
  return s;
}

}  // namespace certpath
