#include "services/common/outbox.h"
#include "services/common/crypto.h"

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

cv1::OutboxEvent NewEvent(const std::string& producer, const std::string& tenant,
                          const std::string& subject, int64_t subject_version,
                          const google::protobuf::Message& payload, absl::Time now) {
  cv1::OutboxEvent e;
  e.set_id(RandomUuid());
  e.set_type(payload.GetTypeName());
  e.set_tenant(tenant);
  e.set_subject(subject);
  *e.mutable_create_time() = ToTimestamp(now);
  e.mutable_payload()->PackFrom(payload);
  e.set_producer(producer);
  e.set_subject_version(subject_version);
  return e;
}

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

void Outbox::Publish(Batch& b, const cv1::OutboxEvent& event, bool count) const {
  const auto& consumers = ConsumersOf(event.type());
  if (consumers.empty()) return;
  const std::string& t = event.tenant();
  b.Event(Key(t, "event:" + event.id()), Key(t, "seq"), event.SerializeAsString(),
          static_cast<int>(consumers.size()));
  if (count) b.NotePublished(event.type());
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
      Publish(b, e, /*count=*/false);  // published (and counted) once already
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

}  // namespace certpath
