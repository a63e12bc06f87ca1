#pragma once
// How every service keeps records in Redis, as one shared mechanism:
//  - a record is a hash {d: serialized proto, v: version, o: ordinal};
//  - a business operation is one atomic Commit (a Lua script) that checks
//    versions and the idempotency record, then writes records, index entries,
//    outbox events and the idempotency record together — or nothing;
//  - lists walk a sorted-set index by ordinal, O(page), with optional
//    membership and range filters on other indexes, in one round trip.
// Keys follow <svc>:{t:<tenant>}:..., so one Commit stays in one cluster slot.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "services/common/redis.h"

namespace prometheus {
class Counter;
template <typename T>
class Family;
}  // namespace prometheus

namespace certpath {

struct Record {
  std::string data;
  int64_t version = 0;  // 0 = absent
  int64_t ordinal = 0;
  bool found() const { return version > 0; }
};

// Score/ordinal placeholder: the ordinal the commit allocates.
inline constexpr int64_t kNewOrdinal = -1;

class Batch {
 public:
  // Replays the first response when `key` holds the same fingerprint; a
  // different fingerprint is INVALID_ARGUMENT (request_id reused). A ttl of 0
  // keeps the record for good (exactly-once effects such as billing events).
  void Idempotency(std::string key, std::string fingerprint, int64_t ttl_seconds);
  // version: exact match; 0 = must not exist; -1 = must exist. `what` names it in errors.
  void ExpectVersion(std::string key, int64_t version, std::string what);
  // The sorted set must be empty, else FAILED_PRECONDITION (HAS_DEPENDENTS)
  // with `what` as the message.
  void ExpectEmpty(std::string zset_key, std::string what);
  // The sorted set must hold exactly `count` members (what a decision was
  // taken on), else ABORTED (ETAG_MISMATCH) like a version conflict.
  void ExpectCount(std::string zset_key, int64_t count, std::string what);
  // No member of the sorted set scores within [min, max] (what a decision
  // was taken on), else ABORTED (ETAG_MISMATCH) like a version conflict.
  void ExpectNoneScored(std::string zset_key, int64_t min, int64_t max, std::string what);
  void Delete(std::string key);
  // INCR counter_key, format as prefix + %04d, and append that string as
  // protobuf field `field_number` (wire type 2) to the values marked append.
  void AllocateReference(std::string counter_key, std::string prefix, int field_number);
  void AllocateOrdinal(std::string counter_key);
  void Put(std::string key, int64_t version, std::string data, int64_t ordinal,
           bool append_reference = false);
  void ZAdd(std::string key, int64_t score, std::string member);
  void ZRem(std::string key, std::string member);
  void Response(std::string data, bool append_reference = false);

  // ---- outbox (services/common/outbox.h)
  // The event record {d: data, p: consumers pending, s: sequence}; INCR
  // seq_key gives the event its place in the tenant's sequence, which the
  // following Queue() ops use as their score.
  void Event(std::string event_key, std::string seq_key, std::string data, int pending);
  void Queue(std::string queue_key, std::string event_id);
  // ZREM member from zset_key; only if it was there, one consumer fewer
  // pending on event_key (deleted at none). Safe to repeat.
  void Ack(std::string zset_key, std::string member, std::string event_key);
  // Moves member from one zset to another (score) only if it was in the first.
  void Move(std::string from_key, std::string to_key, int64_t score, std::string member);
  // The writes added after this happen only if the last Ack/Move before it
  // removed its member (the response and idempotency record are written anyway).
  void Then();
  // HINCRBY key field delta; the field goes when it reaches 0 or less.
  void HashIncrement(std::string key, std::string field, int64_t delta);

  // ---- audit trail (services/common/audit.h)
  // Appends `entry` (a serialized AuditEntry without its sequence) at
  // INCR(seq_key) in the hash entries_key, with the sequence appended as
  // field 1. Written only if the step writes.
  void Audit(std::string seq_key, std::string entries_key, std::string entry);

  // What the step writes, for its audit entry: the first record noted is the
  // resource, with its changed field paths; the others are listed.
  void NoteWrite(std::string resource, std::vector<std::string> changed_paths);
  // An event of `type` written to the outbox (counted once committed).
  void NotePublished(std::string type) { published_.push_back(std::move(type)); }
  const std::string& resource() const { return resource_; }
  const std::vector<std::string>& changed_paths() const { return changed_paths_; }
  const std::vector<std::string>& other_resources() const { return others_; }
  // Whether the step writes anything (beyond its idempotency record).
  bool writes() const { return writes_; }

 private:
  friend class RecordStore;
  size_t KeyIndex(std::string key);
  std::vector<std::string> keys_;
  std::vector<std::string> args_;
  std::vector<std::string> what_;  // per key, for error messages
  bool writes_ = false;
  std::string resource_;
  std::vector<std::string> changed_paths_;
  std::vector<std::string> others_;
  std::vector<std::string> published_;
};

struct CommitResult {
  bool replayed = false;
  std::string response;
  std::string reference;       // allocated reference, if any
  int64_t ordinal = 0;         // allocated ordinal, if any
  int64_t audit_sequence = 0;  // the step's audit entry, if any
};

struct ListQuery {
  std::string index;                 // walked by ordinal
  std::vector<std::string> members;  // ...keeping only members of all these
  std::string range_index;           // optional: keep when its score is within range
  std::string range_min = "-inf", range_max = "+inf";
  std::string record_prefix;  // record key = prefix + member
  int64_t after = 0;          // exclusive ordinal cursor
  int limit = 50;
  int scan_budget = 1000;  // most index entries examined per call
};

struct ListPage {
  std::vector<Record> records;
  int64_t last = 0;   // cursor for the next page
  bool more = false;  // whether a next page may hold anything
};

class RecordStore {
 public:
  explicit RecordStore(RedisPool& redis);
  // Counts the events each committed step publishes, by type, in `family`
  // (certpath_events_published_total); replays count nothing.
  void CountPublished(prometheus::Family<prometheus::Counter>* family) { published_ = family; }

  absl::Status LoadScripts();
  // One round trip.
  absl::StatusOr<Record> Read(const std::string& key);
  // Several records in one round trip.
  absl::StatusOr<std::vector<Record>> ReadMany(const std::vector<std::string>& keys);
  // The same, with other read commands in the same round trip: their replies
  // go to *extra_replies, in order.
  absl::StatusOr<std::vector<Record>> ReadManyWith(const std::vector<std::string>& keys,
                                                   const std::vector<RedisPool::Args>& extra,
                                                   std::vector<RedisReply>* extra_replies);
  // The stored response for `idem_key` when its fingerprint matches; nullopt
  // when there is none; INVALID_ARGUMENT when it holds another request.
  // Read together with `key` in one round trip.
  absl::StatusOr<std::pair<Record, absl::optional<std::string>>> ReadWithIdempotency(
      const std::string& key, const std::string& idem_key, const std::string& fingerprint);
  // The stored response of `idem_key` (nullopt: none; INVALID_ARGUMENT: the
  // request_id was used for another request).
  absl::StatusOr<absl::optional<std::string>> ReadIdempotency(const std::string& idem_key,
                                                              const std::string& fingerprint);
  // ABORTED (ETAG_MISMATCH) on a version conflict, NOT_FOUND / ALREADY_EXISTS
  // on existence checks, INVALID_ARGUMENT on a reused request_id.
  absl::StatusOr<CommitResult> Commit(const Batch& batch);
  absl::StatusOr<ListPage> List(const ListQuery& query);

  RedisPool& redis() { return redis_; }

 private:
  RedisPool& redis_;
  prometheus::Family<prometheus::Counter>* published_ = nullptr;
};

}  // namespace certpath
