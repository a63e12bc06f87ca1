#include "services/common/outbox.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "services/common/client_retry.h"
#include "services/common/grpc_util.h"
#include "services/common/list_page.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/common/subscriptions.h"
#include "services/common/validate.h"

namespace certpath {

bool IsRefusal(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
      return true;
    default:
      return false;
  }
}

namespace {
absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}
}  // namespace

// ------------------------------------------------------------------ Outbox

Outbox::Outbox(Repository& repo, std::string producer)
    : repo_(repo), producer_(std::move(producer)) {}

std::string Outbox::Key(const std::string& tenant, absl::string_view part) const {
  return absl::StrCat(repo_.keys_.Prefix(tenant), "out:", part);
}

void Outbox::Publish(Batch& b, const cv1::OutboxEvent& event) const {
  const auto& consumers = ConsumersOf(event.type());
  if (consumers.empty()) return;
  const std::string& t = event.tenant();
  b.Event(Key(t, "event:" + event.id()), Key(t, "seq"), event.SerializeAsString(),
          static_cast<int>(consumers.size()));
  for (const auto& c : consumers) b.Queue(Key(t, "q:" + c), event.id());
}

absl::StatusOr<std::vector<Outbox::Pending>> Outbox::Queue(const std::string& tenant,
                                                           const std::string& consumer,
                                                           int64_t after_sequence, int limit) {
  auto ids = repo_.records_.redis().Command({"ZRANGEBYSCORE", Key(tenant, "q:" + consumer),
                                             absl::StrCat("(", after_sequence), "+inf",
                                             "WITHSCORES", "LIMIT", "0", std::to_string(limit)});
  if (!ids.ok()) return ids.status();
  std::vector<Pending> out;
  std::vector<RedisPool::Args> cmds;
  std::vector<std::string> keys;
  for (size_t i = 0; i + 1 < ids->elements.size(); i += 2) {
    Pending p;
    p.id = ids->elements[i].str;
    p.sequence = std::stoll(ids->elements[i + 1].str);
    out.push_back(std::move(p));
    keys.push_back(Key(tenant, "event:" + out.back().id));
  }
  if (out.empty()) return out;
  for (const auto& k : keys) cmds.push_back({"HGET", k, "d"});
  auto recs = repo_.records_.redis().Pipeline(cmds);
  if (!recs.ok()) return recs.status();
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& r = (*recs)[i];
    cv1::OutboxEvent e;
    if (!r.is_nil() && !r.is_error() && e.ParseFromString(r.str)) out[i].event = std::move(e);
  }
  return out;
}

absl::StatusOr<std::set<std::string>> Outbox::BlockedSubjects(const std::string& tenant,
                                                              const std::string& consumer) {
  auto ids =
      repo_.records_.redis().Command({"ZRANGE", Key(tenant, "dead:" + consumer), "0", "999"});
  if (!ids.ok()) return ids.status();
  std::set<std::string> out;
  if (ids->elements.empty()) return out;
  std::vector<std::string> keys;
  for (const auto& e : ids->elements) keys.push_back(Key(tenant, "dl:" + consumer + "-" + e.str));
  auto recs = repo_.records_.ReadMany(keys);
  if (!recs.ok()) return recs.status();
  for (const auto& r : *recs) {
    cv1::DeadLetter dl;
    if (r.found() && dl.ParseFromString(r.data)) out.insert(dl.event().subject());
  }
  return out;
}

absl::Status Outbox::Acknowledge(const std::string& tenant, const std::string& consumer,
                                 const std::string& id) {
  Batch b;
  b.Ack(Key(tenant, "q:" + consumer), id, Key(tenant, "event:" + id));
  return repo_.records_.Commit(b).status();
}

absl::Status Outbox::Refuse(const std::string& tenant, const std::string& consumer,
                            const Pending& p, const absl::Status& answer, int attempts,
                            absl::Time now) {
  std::string member = consumer + "-" + p.id;  // the event id is a UUID: 36 characters
  cv1::DeadLetter dl;
  dl.set_name(absl::StrCat("tenants/", tenant, "/producers/", producer_, "/deadLetters/", member));
  dl.set_consumer(consumer);
  if (p.event) *dl.mutable_event() = *p.event;
  dl.set_error_code(absl::StatusCodeToString(answer.code()));
  dl.set_error_message(std::string(answer.message().substr(0, 500)));
  dl.set_attempts(attempts);
  *dl.mutable_dead_time() = ToTimestamp(now);
  dl.set_sequence(p.sequence);
  Batch b;
  b.AllocateOrdinal(repo_.keys_.Ordinals(tenant));
  b.Move(Key(tenant, "q:" + consumer), Key(tenant, "dead:" + consumer), p.sequence, p.id);
  b.Put(Key(tenant, "dl:" + member), 1, dl.SerializeAsString(), kNewOrdinal);
  b.ZAdd(Key(tenant, "dlidx"), kNewOrdinal, member);
  b.ZAdd(Key(tenant, "dlidx:" + consumer), kNewOrdinal, member);
  return repo_.records_.Commit(b).status();
}

absl::StatusOr<Outbox::QueueStats> Outbox::Stats(const std::string& tenant,
                                                 const std::string& consumer) {
  auto r = repo_.records_.redis().Pipeline({{"ZCARD", Key(tenant, "q:" + consumer)},
                                            {"ZCARD", Key(tenant, "dead:" + consumer)},
                                            {"ZRANGE", Key(tenant, "q:" + consumer), "0", "0"}});
  if (!r.ok()) return r.status();
  QueueStats s;
  s.backlog = (*r)[0].integer;
  s.dead = (*r)[1].integer;
  if (!(*r)[2].elements.empty()) {
    auto d = repo_.records_.redis().Command(
        {"HGET", Key(tenant, "event:" + (*r)[2].elements[0].str), "d"});
    cv1::OutboxEvent e;
    if (d.ok() && !d->is_nil() && e.ParseFromString(d->str)) s.oldest = ToTime(e.create_time());
  }
  return s;
}

absl::StatusOr<ListPage> Outbox::ListDead(const std::string& tenant, const std::string& consumer,
                                          int64_t after, int limit) {
  ListQuery q;
  q.index = Key(tenant, consumer.empty() ? "dlidx" : "dlidx:" + consumer);
  q.record_prefix = Key(tenant, "dl:");
  q.after = after;
  q.limit = limit;
  return repo_.records_.List(q);
}

absl::StatusOr<absl::optional<Stored<cv1::DeadLetter>>> Outbox::GetDead(const std::string& tenant,
                                                                        const std::string& member) {
  return repo_.Read<cv1::DeadLetter>(Key(tenant, "dl:" + member));
}

namespace {
std::string MemberOf(const cv1::DeadLetter& dl) { return LastSegment(dl.name()); }
}  // namespace

absl::Status Outbox::Replay(const std::string& tenant, const Stored<cv1::DeadLetter>& dl,
                            const Idem& idem, cv1::DeadLetter* out) {
  const std::string member = MemberOf(dl.value);
  const std::string& c = dl.value.consumer();
  Batch b;
  AddIdem(b, idem);
  b.ExpectVersion(Key(tenant, "dl:" + member), dl.version, "dead letter");
  b.Move(Key(tenant, "dead:" + c), Key(tenant, "q:" + c), dl.value.sequence(),
         dl.value.event().id());
  b.Delete(Key(tenant, "dl:" + member));
  b.ZRem(Key(tenant, "dlidx"), member);
  b.ZRem(Key(tenant, "dlidx:" + c), member);
  b.NoteWrite(dl.value.name(), {});
  b.Response(dl.value.SerializeAsString());
  auto r = repo_.CommitInto(b, out);
  return r.status();
}

absl::Status Outbox::Discard(const std::string& tenant, const Stored<cv1::DeadLetter>& dl,
                             const Idem& idem, cv1::DeadLetter* out) {
  const std::string member = MemberOf(dl.value);
  const std::string& c = dl.value.consumer();
  Batch b;
  AddIdem(b, idem);
  b.ExpectVersion(Key(tenant, "dl:" + member), dl.version, "dead letter");
  b.Ack(Key(tenant, "dead:" + c), dl.value.event().id(),
        Key(tenant, "event:" + dl.value.event().id()));
  b.Delete(Key(tenant, "dl:" + member));
  b.ZRem(Key(tenant, "dlidx"), member);
  b.ZRem(Key(tenant, "dlidx:" + c), member);
  b.NoteWrite(dl.value.name(), {});
  b.Response(dl.value.SerializeAsString());
  auto r = repo_.CommitInto(b, out);
  return r.status();
}

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
      Measure(*l);
    });
    lanes_.push_back(std::move(lane));
  }
}

EventRelay::~EventRelay() { Stop(); }

void EventRelay::Start() {
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
  prometheus::Labels labels = {{"consumer", lane.consumer}};
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
    auto blocked = outbox_.BlockedSubjects(tenant, consumer);
    if (!blocked.ok()) return delivered;
    int64_t cursor = 0;
    for (;;) {
      auto pending = outbox_.Queue(tenant, consumer, cursor, kWindow);
      if (!pending.ok()) return delivered;
      for (const auto& p : *pending) {
        cursor = p.sequence;
        if (!p.event) {
          // Its record is gone (acknowledged by every consumer meanwhile): drop the entry.
          (void)outbox_.Acknowledge(tenant, consumer, p.id);
          continue;
        }
        // Later events of a subject wait behind its dead letter.
        if (blocked->count(p.event->subject())) continue;
        absl::Status answer;
        int attempts = 0;
        Outcome o = Deliver(*lane, p, &answer, &attempts);
        if (o == Outcome::kUnavailable) return delivered;  // in order: try again later
        if (o == Outcome::kDelivered) {
          if (!outbox_.Acknowledge(tenant, consumer, p.id).ok()) return delivered;
          ++delivered;
          continue;
        }
        if (!outbox_.Refuse(tenant, consumer, p, answer, attempts, clock_.Now()).ok()) {
          return delivered;
        }
        blocked->insert(p.event->subject());
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

// ------------------------------------------------------------------ dead-letter API

absl::StatusOr<Stored<cv1::DeadLetter>> DeadLetterApi::Load(const Principal& p,
                                                            const std::string& name,
                                                            const char* method) {
  auto ids = ParseName("name", name, {"tenants", "producers", "deadLetters"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant() || (*ids)[1] != outbox_.producer()) return NotFound("dead letter");
  if (auto s = policy_.Allow(p, method); !s.ok()) return s;
  auto got = outbox_.GetDead((*ids)[0], (*ids)[2]);
  if (!got.ok()) return got.status();
  if (!got->has_value()) return NotFound("dead letter");
  return **std::move(got);
}

absl::Status DeadLetterApi::ListDeadLetters(const Principal& p,
                                            const cv1::ListDeadLettersRequest& req,
                                            cv1::ListDeadLettersResponse* out) {
  auto ids = ParseName("parent", req.parent(), {"tenants", "producers"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant() || (*ids)[1] != outbox_.producer()) return NotFound("producer");
  if (auto s = policy_.Allow(p, "ListDeadLetters"); !s.ok()) return s;
  if (!req.consumer().empty()) {
    auto consumers = ConsumersOfProducer(outbox_.producer());
    if (std::find(consumers.begin(), consumers.end(), req.consumer()) == consumers.end()) {
      return InvalidArgument("consumer", "not a consumer of " + outbox_.producer());
    }
  }
  return ListPaged<cv1::ListDeadLettersResponse, cv1::DeadLetter>(
      tokens_, req.page_size(), req.page_token(), {"dead", req.parent(), req.consumer()},
      [&](int64_t after, int limit) {
        return outbox_.ListDead(p.tenant(), req.consumer(), after, limit);
      },
      out, &cv1::ListDeadLettersResponse::add_dead_letters, DecodeRecord<cv1::DeadLetter>);
}

absl::Status DeadLetterApi::GetDeadLetter(const Principal& p, const cv1::GetDeadLetterRequest& req,
                                          cv1::DeadLetter* out) {
  auto dl = Load(p, req.name(), "GetDeadLetter");
  if (!dl.ok()) return dl.status();
  *out = std::move(dl->value);
  return absl::OkStatus();
}

absl::Status DeadLetterApi::Act(const Principal& p, const std::string& name, const char* method,
                                const std::string& request_id,
                                const google::protobuf::Message& request, const Step& step,
                                cv1::DeadLetter* out) {
  Idem idem = outbox_.repository().MakeIdem(p.tenant(), p, request_id, request);
  if (auto replay = outbox_.repository().ReadReplay(idem); !replay.ok()) {
    return replay.status();
  } else if (*replay) {
    return out->ParseFromString(**replay) ? absl::OkStatus()
                                          : absl::InternalError("corrupt replay");
  }
  auto dl = Load(p, name, method);
  if (!dl.ok()) return dl.status();
  if (auto s = writable_(p.tenant()); !s.ok()) return s;
  if (auto s = step(*dl, idem); !s.ok()) return s;
  log::Info(method, {{"producer", outbox_.producer()},
                     {"consumer", dl->value.consumer()},
                     {"tenant", p.tenant()},
                     {"event_id", dl->value.event().id()}});
  return absl::OkStatus();
}

absl::Status DeadLetterApi::ReplayDeadLetter(const Principal& p,
                                             const cv1::ReplayDeadLetterRequest& req,
                                             cv1::DeadLetter* out) {
  FieldViolations v;
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto s = Act(
      p, req.name(), "ReplayDeadLetter", req.request_id(), req,
      [&](const Stored<cv1::DeadLetter>& dl, const Idem& idem) {
        return outbox_.Replay(p.tenant(), dl, idem, out);
      },
      out);
  if (s.ok() && on_replay_) on_replay_();
  return s;
}

absl::Status DeadLetterApi::DiscardDeadLetter(const Principal& p,
                                              const cv1::DiscardDeadLetterRequest& req,
                                              cv1::DeadLetter* out) {
  FieldViolations v;
  CheckText(v, "reason", req.reason(), 2000, /*required=*/true, /*multiline=*/true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return Act(
      p, req.name(), "DiscardDeadLetter", req.request_id(), req,
      [&](const Stored<cv1::DeadLetter>& dl, const Idem& idem) {
        return outbox_.Discard(p.tenant(), dl, idem, out);
      },
      out);
}

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
  if (p.role() != Principal::ROLE_SERVICE) {
    return Error(absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
                 "only services deliver events");
  }
  FieldViolations v;
  CheckRequestId(v, e.id());
  if (e.id().empty()) v.Add("event.id", "required");
  if (e.tenant() != p.tenant()) v.Add("event.tenant", "not the caller's tenant");
  if (req.consumer() != consumer_) v.Add("consumer", "this is " + consumer_);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  std::string producer = e.producer().empty() ? "unknown" : e.producer();
  auto it = handlers_.find(e.type());
  if (it == handlers_.end()) {
    consumed_.Add({{"producer", producer}, {"type", "unknown"}, {"outcome", "refused"}})
        .Increment();
    return FailedPrecondition("UNKNOWN_EVENT_TYPE", consumer_ + " does not handle " + e.type());
  }
  absl::Status s = it->second(p, e);
  const char* outcome = s.ok() ? "applied" : (IsRefusal(s) ? "refused" : "failed");
  consumed_.Add({{"producer", producer}, {"type", e.type()}, {"outcome", outcome}}).Increment();
  return s;
}

}  // namespace certpath
