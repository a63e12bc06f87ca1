#pragma once
// The audit trail every service keeps (ISO/IEC 27001 A 8.15, A 5.33): each
// successful write appends one entry in the same atomic step as the write
// (Repository::Commit adds it from the call's context), so a write without
// its entry, or an entry without its write, cannot happen. Per service and
// tenant the entries form a hash chain:
//   sequence 1, 2, 3 … allocated by INCR inside the step (no gaps, one order
//   across replicas);
//   hash_k = SHA-256(hash_{k-1} ‖ canonical bytes of entry k), hash_0 = 32
//   zero bytes; canonical bytes = the AuditEntry with prev_hash and hash
//   cleared, serialized deterministically.
// Hashes are computed in C++ (Redis' Lua has no SHA-256) by the sealer right
// after the write, off the request path: an entry is unsealed for
// milliseconds. The sealer logs the chain's head ("audit anchor") at most once
// a minute per tenant, so a cut-off tail or a rewritten chain shows against
// the logs. Nothing in the API deletes an entry.
//
// Keys: <svc>:{t:T}:audit:seq (counter), audit:e (hash seq → entry),
// audit:h (hash seq → hex hash), audit:head (hash {s: sealed seq, h: hash}).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "certpath/common/v1/common.pb.h"
#include "google/protobuf/message.h"
#include "services/common/background.h"
#include "services/common/call_context.h"
#include "services/common/key_space.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/record_store.h"

namespace certpath {

namespace cv1 = certpath::common::v1;

// Top-level field names of `after` that differ from `before` (null: the
// fields `after` sets). Names only — never values.
std::vector<std::string> ChangedFields(const google::protobuf::Message* before,
                                       const google::protobuf::Message& after);
// The message's `name` field, or "".
std::string ResourceName(const google::protobuf::Message& m);
// The canonical bytes an entry's hash covers.
std::string CanonicalAuditBytes(cv1::AuditEntry e);
// hex SHA-256(prev ‖ canonical(e)); `prev_hex` "" = the chain's start.
std::string ChainHash(const std::string& prev_hex, const cv1::AuditEntry& e);

class AuditTrail {
 public:
  AuditTrail(RedisPool& redis, KeySpace keys, std::string service)
      : redis_(redis), keys_(std::move(keys)), service_(std::move(service)) {}

  const std::string& service() const { return service_; }
  // The process writes no audit entries from now on: only to measure their
  // cost (--audit-trail=off), never in production.
  static void DisableForBenchmarks();
  // Adds the current call's entry to `b` when there is a call and `b` writes.
  void Append(Batch& b) const;

  // Computes the hashes of unsealed entries (up to `max` of them) and moves
  // the head; another replica sealing first is not an error. Returns how
  // many this call sealed.
  absl::StatusOr<int64_t> Seal(const std::string& tenant, int max = 1000);
  struct Filter {
    std::string resource, subject;
    absl::Time start = absl::InfinitePast(), end = absl::InfiniteFuture();
  };
  // Entries after sequence `after`, oldest first, with their hashes.
  absl::StatusOr<ListPage> List(const std::string& tenant, const Filter& f, int64_t after,
                                int limit);
  // Seals what is unsealed, then recomputes the whole chain.
  absl::StatusOr<cv1::VerifyAuditTrailResponse> Verify(const std::string& tenant);
  // Logs the head ("audit anchor") if it moved and the last anchor is older than `every`.
  void Anchor(const std::string& tenant, absl::Duration every);

 private:
  struct Head {
    int64_t sealed = 0;
    std::string hash;  // hex; "" at the start
    int64_t allocated = 0;
  };
  absl::StatusOr<Head> ReadHead(const std::string& tenant);
  std::string Key(const std::string& tenant, const char* part) const;

  RedisPool& redis_;
  KeySpace keys_;
  std::string service_;
  std::mutex mu_;
  std::map<std::string, std::pair<int64_t, absl::Time>> anchored_;  // tenant → seq, when
  std::map<std::string, int64_t> stuck_;  // tenant → the sequence the sealer last stopped at
};

// ListAuditEntries and VerifyAuditTrail, the same on every service: the
// parent is tenants/{tenant}/services/{service}; the service's policy table
// says who may (office admins).
class AuditApi {
 public:
  AuditApi(AuditTrail& trail, const Policy& policy, const PageTokenCodec& tokens)
      : trail_(trail), policy_(policy), tokens_(tokens) {}
  absl::Status ListAuditEntries(const Principal& p, const cv1::ListAuditEntriesRequest& req,
                                cv1::ListAuditEntriesResponse* out);
  absl::Status VerifyAuditTrail(const Principal& p, const cv1::VerifyAuditTrailRequest& req,
                                cv1::VerifyAuditTrailResponse* out);

 private:
  absl::StatusOr<std::string> CheckParent(const Principal& p, const std::string& parent,
                                          const char* method) const;
  AuditTrail& trail_;
  const Policy& policy_;
  const PageTokenCodec& tokens_;
};

// Seals every tenant's new entries shortly after they are written, and
// anchors the heads in the log.
class AuditSealer {
 public:
  using Tenants = std::function<absl::StatusOr<std::vector<std::string>>()>;
  AuditSealer(AuditTrail& trail, Tenants tenants,
              absl::Duration interval = absl::Milliseconds(200));
  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  void Notify() { loop_.Notify(); }

 private:
  AuditTrail& trail_;
  Tenants tenants_;
  BackgroundLoop loop_;
};

}  // namespace certpath
