#pragma once
// Event delivery, producer side — one mechanism for every service
// (docs/events.md):
//  - Publish() adds an event to the step that makes the change: the event
//    record and one entry in the queue of every consumer subscribed to its
//    type (services/common/subscriptions.h), scored by the tenant's event
//    sequence (INCR in the step: one order across replicas);
//  - a relay per consumer (EventRelay) pushes each queue in sequence order
//    over gRPC (certpath.common.v1.EventConsumer/DeliverEvent) and takes the
//    event off that queue when the consumer acknowledged it; the event record
//    goes when no consumer still needs it;
//  - an event the consumer refuses for good becomes a dead letter of that
//    consumer; later events of the same subject wait behind it until it is
//    replayed or discarded (DeadLetterApi), so a consumer sees one subject's
//    events in the order they were written.
//
// Keys (producer's key space, tenant T):
//   <svc>:{t:T}:out:seq                 event sequence counter
//   <svc>:{t:T}:out:event:<id>          {d: OutboxEvent, p: consumers pending, s: sequence}
//   <svc>:{t:T}:out:q:<consumer>        zset sequence → event id (to deliver)
//   <svc>:{t:T}:out:dead:<consumer>     zset sequence → event id (refused)
//   <svc>:{t:T}:out:dl:<consumer>-<id>  DeadLetter record
//   <svc>:{t:T}:out:dlidx[:<consumer>]  zset ordinal → <consumer>-<id> (listing)
//   <svc>:{t:T}:out:blocked:<consumer>  hash subject → its dead letters (held back)
//   <svc>:{t:T}:out:discarded:<consumer>-<id>  a discarded dead letter (reason, who, when)

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "certpath/common/v1/common.grpc.pb.h"
#include "services/common/background.h"
#include "services/common/clock.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/principal.h"
#include "services/common/repository.h"
#include "services/common/server.h"

namespace certpath {

namespace cv1 = certpath::common::v1;

// A new event of `producer` about `subject` (at `subject_version`): a fresh
// id, its type from the payload's message name, the payload packed.
cv1::OutboxEvent NewEvent(const std::string& producer, const std::string& tenant,
                          const std::string& subject, int64_t subject_version,
                          const google::protobuf::Message& payload, absl::Time now);

// A consumer's answer that refuses an event for good (a dead letter); any
// other error is retried later.
bool IsRefusal(const absl::Status& s);

class Outbox {
 public:
  Outbox(Repository& repo, std::string producer);

  const std::string& producer() const { return producer_; }
  // Adds `event` (producer, id, type, tenant set) for every subscribed consumer to `b`.
  // `count`: counted in certpath_events_published_total once committed (an
  // event moved from an earlier outbox was counted when first published).
  void Publish(Batch& b, const cv1::OutboxEvent& event, bool count = true) const;
  // Moves events left in a one-consumer outbox of an earlier release
  // (<svc>:{t:T}:outbox, zset → <svc>:{t:T}:event:<id>) into the queues, in
  // their order, each in one step with its removal (safe on every replica at
  // once). Returns how many moved.
  absl::StatusOr<int> AdoptLegacyOutbox(const std::string& tenant);

  struct Pending {
    std::string id;
    int64_t sequence = 0;
    absl::optional<cv1::OutboxEvent> event;  // nullopt: the record is gone
  };
  // The consumer's queue after `after_sequence`, in sequence order.
  absl::StatusOr<std::vector<Pending>> Queue(const std::string& tenant, const std::string& consumer,
                                             int64_t after_sequence, int limit);
  // Subjects with a dead letter for the consumer: their later events wait.
  absl::StatusOr<std::set<std::string>> BlockedSubjects(const std::string& tenant,
                                                        const std::string& consumer);
  // The consumer acknowledged (applied) the event: off its queue — or off its
  // dead letters, had another replica's delivery been refused meanwhile. Safe
  // to repeat.
  absl::Status Acknowledge(const std::string& tenant, const std::string& consumer,
                           const Pending& p);
  // The consumer refused the event for good: a dead letter, which holds back
  // the subject's later events — only if it was still queued.
  absl::Status Refuse(const std::string& tenant, const std::string& consumer, const Pending& p,
                      const absl::Status& answer, int attempts, absl::Time now);

  struct QueueStats {
    int64_t backlog = 0;
    int64_t dead = 0;
    absl::Time oldest = absl::InfiniteFuture();  // of the next event to deliver
  };
  absl::StatusOr<QueueStats> Stats(const std::string& tenant, const std::string& consumer);

  // Dead letters (DeadLetterApi).
  absl::StatusOr<ListPage> ListDead(const std::string& tenant, const std::string& consumer,
                                    int64_t after, int limit);
  absl::StatusOr<absl::optional<Stored<cv1::DeadLetter>>> GetDead(const std::string& tenant,
                                                                  const std::string& member);
  // Back into the queue at its sequence (replay) or dropped for the consumer
  // (discard); compare-and-set on the dead letter read.
  absl::Status Replay(const std::string& tenant, const Stored<cv1::DeadLetter>& dl,
                      const Idem& idem, cv1::DeadLetter* out);
  absl::Status Discard(const std::string& tenant, const Stored<cv1::DeadLetter>& dl,
                       const std::string& reason, const std::string& by, absl::Time now,
                       const Idem& idem, cv1::DeadLetter* out);

  Repository& repository() { return repo_; }

 private:
  std::string Key(const std::string& tenant, absl::string_view part) const;
  // The dead letter's record, index entries and hold on its subject go.
  void ClearDeadLetter(Batch& b, const std::string& tenant, const std::string& consumer,
                       const std::string& id, const std::string& subject) const;
  Repository& repo_;
  std::string producer_;
};

struct RelayOptions {
  // consumer → gRPC target; a subscribed consumer without one is not
  // delivered to (its queue waits) but still measured.
  std::map<std::string, std::string> targets;
  absl::Duration poll_interval = absl::Milliseconds(500);
  absl::Duration call_deadline = absl::Seconds(5);
  int max_attempts = 5;
};

// Where a relay delivers: DeliverEvent over gRPC in production.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual absl::Status Deliver(const Principal& as, const cv1::DeliverEventRequest& req,
                               std::chrono::system_clock::time_point deadline) = 0;
};
std::unique_ptr<EventSink> GrpcEventSink(const std::string& target, const PrincipalSigner& signer,
                                         const Clock& clock);

// One delivery loop per consumer of the producer: a consumer that is down
// delays only its own queue. Any number of replicas may relay at once: the
// consumer applies each event id once, and each replica delivers a queue in
// sequence order, acknowledging before the next.
class EventRelay {
 public:
  EventRelay(Outbox& outbox, const PrincipalSigner& signer, const Clock& clock,
             RelayOptions options, prometheus::Registry& registry);
  // With explicit sinks (tests): consumer → sink.
  EventRelay(Outbox& outbox, std::map<std::string, std::unique_ptr<EventSink>> sinks,
             const Clock& clock, RelayOptions options, prometheus::Registry& registry);
  ~EventRelay();
  void Start();
  void Stop();
  // An event was committed: deliver without waiting for the next poll.
  void Notify();
  // One pass of one consumer over every tenant; returns events delivered.
  int RunOnce(const std::string& consumer);

 private:
  struct Lane;
  enum class Outcome { kDelivered, kRefused, kUnavailable };
  Outcome Deliver(Lane& lane, const Outbox::Pending& p, absl::Status* answer, int* attempts);
  void Measure(Lane& lane);

  Outbox& outbox_;
  const Clock& clock_;
  RelayOptions options_;
  prometheus::Family<prometheus::Counter>& deliveries_;
  prometheus::Family<prometheus::Gauge>& backlog_;
  prometheus::Family<prometheus::Gauge>& dead_;
  prometheus::Family<prometheus::Gauge>& oldest_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

// Dead-letter RPCs, the same on every producer (office admins): names are
// tenants/{tenant}/producers/{producer}/deadLetters/{consumer}-{event_id}.
class DeadLetterApi {
 public:
  using Writable = std::function<absl::Status(const std::string& tenant)>;
  DeadLetterApi(Outbox& outbox, const Policy& policy, const PageTokenCodec& tokens,
                const Clock& clock, Writable writable)
      : outbox_(outbox),
        policy_(policy),
        tokens_(tokens),
        clock_(clock),
        writable_(std::move(writable)) {}
  absl::Status ListDeadLetters(const Principal& p, const cv1::ListDeadLettersRequest& req,
                               cv1::ListDeadLettersResponse* out);
  absl::Status GetDeadLetter(const Principal& p, const cv1::GetDeadLetterRequest& req,
                             cv1::DeadLetter* out);
  absl::Status ReplayDeadLetter(const Principal& p, const cv1::ReplayDeadLetterRequest& req,
                                cv1::DeadLetter* out);
  absl::Status DiscardDeadLetter(const Principal& p, const cv1::DiscardDeadLetterRequest& req,
                                 cv1::DeadLetter* out);
  // Called after a replay (wakes the relay).
  void set_replay_hook(std::function<void()> hook) { on_replay_ = std::move(hook); }

 private:
  // The name's dead-letter id, once the caller may call `method` on it.
  absl::StatusOr<std::string> Check(const Principal& p, const std::string& name,
                                    const char* method) const;
  absl::StatusOr<Stored<cv1::DeadLetter>> Load(const Principal& p, const std::string& member);
  // A replay of an answered request_id, or: load, authorize, gate, `step`, log.
  using Step = std::function<absl::Status(const Stored<cv1::DeadLetter>&, const Idem&)>;
  absl::Status Act(const Principal& p, const std::string& name, const char* method,
                   const std::string& request_id, const google::protobuf::Message& request,
                   const Step& step, cv1::DeadLetter* out);
  Outbox& outbox_;
  const Policy& policy_;
  const PageTokenCodec& tokens_;
  const Clock& clock_;
  Writable writable_;
  std::function<void()> on_replay_;
};

// Event delivery, consumer side: serves DeliverEvent, checks the caller (a
// service principal of the event's tenant) and the event, and runs the
// handler of its type. A handler applies the event exactly once: it records
// the event id in the same atomic step as its effect (an idempotency record
// kept for good, keyed by the event id) and answers a redelivery with OK.
class EventConsumerService final : public cv1::EventConsumer::CallbackService {
 public:
  using Handler = std::function<absl::Status(const Principal& p, const cv1::OutboxEvent& event)>;
  EventConsumerService(std::string consumer, Dispatcher& dispatcher,
                       prometheus::Registry& registry);
  // Every type this consumer subscribes to (subscriptions.h) needs a handler.
  void Handle(const std::string& event_type, Handler handler);
  // FAILED_PRECONDITION naming subscribed types without a handler.
  absl::Status CheckHandlesSubscriptions() const;

  grpc::ServerUnaryReactor* DeliverEvent(grpc::CallbackServerContext* ctx,
                                         const cv1::DeliverEventRequest* req,
                                         cv1::DeliverEventResponse* resp) override;
  // The checks and the handler, without gRPC (tests).
  absl::Status Deliver(const Principal& p, const cv1::DeliverEventRequest& req);

 private:
  std::string consumer_;
  Dispatcher& dispatcher_;
  std::map<std::string, Handler> handlers_;
  prometheus::Family<prometheus::Counter>& consumed_;
};

}  // namespace certpath
