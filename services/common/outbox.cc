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
std::string MemberOf(const cv1::DeadLetter& dl) { return LastSegment(dl.name()); }
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

absl::StatusOr<int> Outbox::AdoptLegacyOutbox(const std::string& tenant) {
  const std::string legacy = repo_.keys_.Prefix(tenant) + "outbox";
  auto ids = repo_.records_.redis().Command({"ZRANGE", legacy, "0", "-1"});
  if (!ids.ok()) return ids.status();
  int moved = 0;
  for (const auto& id : ids->elements) {
    const std::string key = repo_.keys_.Key(tenant, "event", id.str);
    auto rec = repo_.records_.Read(key);
    if (!rec.ok()) return rec.status();
    cv1::OutboxEvent e;
    Batch b;
    if (rec->found() && e.ParseFromString(rec->data)) {
      b.ExpectVersion(key, rec->version, "legacy event");
      e.set_producer(producer_);
      Publish(b, e);
      b.Delete(key);
    }
    b.ZRem(legacy, id.str);
    auto r = repo_.records_.Commit(b);
    if (!r.ok() && r.status().code() != absl::StatusCode::kAborted &&
        r.status().code() != absl::StatusCode::kNotFound) {
      return r.status();
    }
    if (r.ok()) ++moved;
  }
  if (moved > 0) {
    log::Info("events of the earlier outbox moved to the queues",
              {{"producer", producer_}, {"tenant", tenant}, {"events", std::to_string(moved)}});
  }
  return moved;
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
  auto r = repo_.records_.redis().Command({"HKEYS", Key(tenant, "blocked:" + consumer)});
  if (!r.ok()) return r.status();
  std::set<std::string> out;
  for (const auto& e : r->elements) out.insert(e.str);
  return out;
}

void Outbox::ClearDeadLetter(Batch& b, const std::string& tenant, const std::string& consumer,
                             const std::string& id, const std::string& subject) const {
  const std::string member = consumer + "-" + id;
  if (!subject.empty()) b.HashIncrement(Key(tenant, "blocked:" + consumer), subject, -1);
  b.Delete(Key(tenant, "dl:" + member));
  b.ZRem(Key(tenant, "dlidx"), member);
  b.ZRem(Key(tenant, "dlidx:" + consumer), member);
}

absl::Status Outbox::Acknowledge(const std::string& tenant, const std::string& consumer,
                                 const Pending& p) {
  Batch b;
  const std::string ekey = Key(tenant, "event:" + p.id);
  b.Ack(Key(tenant, "q:" + consumer), p.id, ekey);
  // Another replica may have dead-lettered it meanwhile (the consumer answered
  // it differently): applied is what counts — no dead letter, nothing held back.
  b.Ack(Key(tenant, "dead:" + consumer), p.id, ekey);
  b.Then();
  ClearDeadLetter(b, tenant, consumer, p.id, p.event ? p.event->subject() : "");
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
  dl.mutable_event()->set_id(p.id);
  dl.set_error_code(absl::StatusCodeToString(answer.code()));
  dl.set_error_message(std::string(answer.message().substr(0, 500)));
  dl.set_attempts(attempts);
  *dl.mutable_dead_time() = ToTimestamp(now);
  dl.set_sequence(p.sequence);
  Batch b;
  b.AllocateOrdinal(repo_.keys_.Ordinals(tenant));
  b.Move(Key(tenant, "q:" + consumer), Key(tenant, "dead:" + consumer), p.sequence, p.id);
  b.Then();  // only if it was still queued (not acknowledged through another replica)
  if (p.event) b.HashIncrement(Key(tenant, "blocked:" + consumer), p.event->subject(), 1);
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

absl::Status Outbox::Replay(const std::string& tenant, const Stored<cv1::DeadLetter>& dl,
                            const Idem& idem, cv1::DeadLetter* out) {
  const cv1::DeadLetter& d = dl.value;
  Batch b;
  AddIdem(b, idem);
  b.ExpectVersion(Key(tenant, "dl:" + MemberOf(d)), dl.version, "dead letter");
  b.Move(Key(tenant, "dead:" + d.consumer()), Key(tenant, "q:" + d.consumer()), d.sequence(),
         d.event().id());
  b.Then();
  ClearDeadLetter(b, tenant, d.consumer(), d.event().id(), d.event().subject());
  b.NoteWrite(d.name(), {});
  b.Response(d.SerializeAsString());
  return repo_.CommitInto(b, out).status();
}

absl::Status Outbox::Discard(const std::string& tenant, const Stored<cv1::DeadLetter>& dl,
                             const std::string& reason, const std::string& by, absl::Time now,
                             const Idem& idem, cv1::DeadLetter* out) {
  cv1::DeadLetter d = dl.value;
  d.set_discard_reason(reason);
  d.set_discarded_by(by);
  *d.mutable_discard_time() = ToTimestamp(now);
  Batch b;
  AddIdem(b, idem);
  b.ExpectVersion(Key(tenant, "dl:" + MemberOf(d)), dl.version, "dead letter");
  b.Ack(Key(tenant, "dead:" + d.consumer()), d.event().id(),
        Key(tenant, "event:" + d.event().id()));
  b.Then();
  ClearDeadLetter(b, tenant, d.consumer(), d.event().id(), d.event().subject());
  // Kept: what was dropped, by whom, when and why.
  b.Put(Key(tenant, "discarded:" + MemberOf(d)), 1, d.SerializeAsString(), 0);
  b.NoteWrite(d.name(), {"discard_reason", "discarded_by", "discard_time"});
  b.Response(d.SerializeAsString());
  return repo_.CommitInto(b, out).status();
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

// ------------------------------------------------------------------ dead-letter API

absl::StatusOr<std::string> DeadLetterApi::Check(const Principal& p, const std::string& name,
                                                 const char* method) const {
  auto ids = ParseName("name", name, {"tenants", "producers", "deadLetters"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant() || (*ids)[1] != outbox_.producer()) return NotFound("dead letter");
  if (auto s = policy_.Allow(p, method); !s.ok()) return s;
  return (*ids)[2];
}

absl::StatusOr<Stored<cv1::DeadLetter>> DeadLetterApi::Load(const Principal& p,
                                                            const std::string& member) {
  auto got = outbox_.GetDead(p.tenant(), member);
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
  auto member = Check(p, req.name(), "GetDeadLetter");
  if (!member.ok()) return member.status();
  auto dl = Load(p, *member);
  if (!dl.ok()) return dl.status();
  *out = std::move(dl->value);
  return absl::OkStatus();
}

absl::Status DeadLetterApi::Act(const Principal& p, const std::string& name, const char* method,
                                const std::string& request_id,
                                const google::protobuf::Message& request, const Step& step,
                                cv1::DeadLetter* out) {
  // Authorized first: a stored answer goes only to who may still make the call.
  auto member = Check(p, name, method);
  if (!member.ok()) return member.status();
  Idem idem = outbox_.repository().MakeIdem(p.tenant(), p, request_id, request);
  if (auto replay = outbox_.repository().ReadReplay(idem); !replay.ok()) {
    return replay.status();
  } else if (*replay) {
    return out->ParseFromString(**replay) ? absl::OkStatus()
                                          : absl::InternalError("corrupt replay");
  }
  auto dl = Load(p, *member);
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
        return outbox_.Discard(p.tenant(), dl, req.reason(), p.subject(), clock_.Now(), idem, out);
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
