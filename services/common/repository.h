#pragma once
// The repository layer every service's store is built on — one pattern:
//  - KeySpace: a service's keys, "<svc>:{t:<tenant>}:…" (a tenant stays in one
//    cluster slot, so one atomic step never spans slots);
//  - Stored<T>: a record's proto with its version (the etag) and ordinal;
//  - typed reads (Read, DecodeStored) and compare-and-set puts (PutStored);
//  - Idem: the idempotency part of a write (principal-scoped key, request
//    fingerprint, time to live);
//  - Repository: the base of a service's store — tenant registry, replays,
//    commit helpers.
// A store owns its key names and its atomic steps (one Batch, one Commit per
// business operation); nothing above the store builds a Batch or a key.

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/types/optional.h"
#include "google/protobuf/message.h"
#include "services/common/audit.h"
#include "services/common/key_space.h"
#include "services/common/principal.h"
#include "services/common/record_store.h"

namespace certpath {

template <typename T>
struct Stored {
  T value;  // with its etag set from the version, when T has one
  int64_t version = 0;
  int64_t ordinal = 0;
};

// The idempotency part of a write: empty key = none.
struct Idem {
  std::string key;
  std::string fingerprint;
  int64_t ttl_seconds = 0;  // 0 = kept for good
  bool empty() const { return key.empty(); }
};

// Default lifetime of an idempotency record (flag --idempotency-ttl-seconds).
inline constexpr int64_t kDefaultIdempotencyTtlSeconds = 7 * 24 * 3600;

namespace repository_internal {
template <typename T, typename = void>
struct HasEtag : std::false_type {};
template <typename T>
struct HasEtag<T, std::void_t<decltype(std::declval<T&>().set_etag(std::string()))>>
    : std::true_type {};
}  // namespace repository_internal

// Parses a record; sets the etag from the version when T has one.
template <typename T>
absl::StatusOr<Stored<T>> DecodeStored(const Record& r) {
  Stored<T> s;
  if (!s.value.ParseFromString(r.data)) return absl::InternalError("corrupt record");
  s.version = r.version;
  s.ordinal = r.ordinal;
  if constexpr (repository_internal::HasEtag<T>::value) {
    s.value.set_etag(std::to_string(r.version));
  }
  return s;
}

// Every record of a page, decoded.
template <typename T>
absl::StatusOr<std::vector<Stored<T>>> DecodeAll(const std::vector<Record>& records) {
  std::vector<Stored<T>> out;
  for (const Record& r : records) {
    auto s = DecodeStored<T>(r);
    if (!s.ok()) return s.status();
    out.push_back(*std::move(s));
  }
  return out;
}

// What is stored: the resource without its etag (the version is the etag).
template <typename T>
std::string StoredBytes(T m) {
  if constexpr (repository_internal::HasEtag<T>::value) m.clear_etag();
  return m.SerializeAsString();
}

// Adds to `b` the compare-and-set put of `after` over `before` (null: a
// create — the key must not exist and the record gets a new ordinal from
// `ordinals`). Returns the ordinal to index the record by (kNewOrdinal on a
// create: the commit allocates it). `what` names the record in errors.
template <typename T>
int64_t PutStored(Batch& b, const std::string& key, const Stored<T>* before, const T& after,
                  const std::string& ordinals, std::string what, bool append_reference = false) {
  int64_t version = before ? before->version : 0;
  b.ExpectVersion(key, version, std::move(what));
  if (!before) b.AllocateOrdinal(ordinals);
  int64_t ordinal = before ? before->ordinal : kNewOrdinal;
  b.Put(key, version + 1, StoredBytes(after), ordinal, append_reference);
  b.NoteWrite(ResourceName(after), ChangedFields(before ? &before->value : nullptr, after));
  return ordinal;
}

void AddIdem(Batch& b, const Idem& idem);

// yyyymmdd, for date-scored indexes.
int64_t DayScore(absl::CivilDay d);
absl::CivilDay DayFromScore(int64_t score);

class Repository {
 public:
  // The tenant set: remembered the first time a tenant writes (for metrics).
  absl::Status RegisterTenant(const std::string& tenant);
  absl::StatusOr<std::vector<std::string>> Tenants();

  // The idempotency part of `p`'s write with `request_id` (none when empty);
  // `keep_for_good` for exactly-once effects (billing events).
  Idem MakeIdem(const std::string& tenant, const Principal& p, const std::string& request_id,
                const google::protobuf::Message& request, bool keep_for_good = false) const;
  // The stored response of `idem` (nullopt: none; INVALID_ARGUMENT: the
  // request_id was used for another request).
  absl::StatusOr<absl::optional<std::string>> ReadReplay(const Idem& idem);
  // The first call's answer to `idem`, when there was one, parsed into *out:
  // the status to return (OK, or the read's error); nullopt to go on.
  absl::optional<absl::Status> AnswerReplay(const Idem& idem, google::protobuf::Message* out);

  // The service's audit trail (every write's entry is added by Commit).
  AuditTrail& audit() { return audit_; }
  const std::string& service() const { return audit_.service(); }

  template <typename T>
  absl::StatusOr<absl::optional<Stored<T>>> Read(const std::string& key) {
    auto r = records_.Read(key);
    if (!r.ok()) return r.status();
    if (!r->found()) return absl::optional<Stored<T>>();
    auto s = DecodeStored<T>(*r);
    if (!s.ok()) return s.status();
    return absl::optional<Stored<T>>(*std::move(s));
  }

 protected:
  friend class Outbox;  // the producer side of event delivery writes through Commit
  // `key_prefix` starts every key ("eng"); `service` names the service in
  // its audit entries and API ("engagements").
  Repository(RecordStore& records, std::string key_prefix, std::string service,
             int64_t idempotency_ttl_seconds)
      : records_(records),
        keys_(key_prefix),
        idem_ttl_(idempotency_ttl_seconds),
        audit_(records.redis(), KeySpace(key_prefix), std::move(service)) {}

  // Commits `b` — with the current call's audit entry, when it writes — as
  // one atomic step. Every business write goes through here.
  absl::StatusOr<CommitResult> Commit(Batch& b);
  // Commit, then parses the response (the first one, on a replay) into *out.
  absl::StatusOr<CommitResult> CommitInto(Batch& b, google::protobuf::Message* out);
  // Commits `b` answering `value`; a retry with the step's idempotency record
  // gets the first call's answer.
  template <typename T>
  absl::StatusOr<T> CommitAnswering(Batch& b, const T& value) {
    b.Response(value.SerializeAsString());
    T out;
    if (auto r = CommitInto(b, &out); !r.ok()) return r.status();
    return out;
  }

  RecordStore& records_;
  KeySpace keys_;
  int64_t idem_ttl_;
  AuditTrail audit_;
};

}  // namespace certpath
