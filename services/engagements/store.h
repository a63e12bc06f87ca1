#pragma once
// The engagements service's Redis keys and atomic steps (on the shared
// repository layer, services/common/repository.h). Every write is one
// RecordStore::Commit: the record, its index entries, its outbox event and
// its idempotency record together. Nothing above this file sees a key.
//
// Keys (tenant hash tag keeps a tenant in one cluster slot):
//   eng:{t:T}:client:<id>                 client record
//   eng:{t:T}:deleted_client:<id>         tombstone of a deleted client (who, when, why)
//   eng:{t:T}:engagement:<id>             engagement record (aggregate root)
//   eng:{t:T}:finding:<eid>:<id>          finding record
//   eng:{t:T}:inquiry:<eid>:<id>          inquiry record
//   eng:{t:T}:idx:clients                 zset ordinal → client id
//   eng:{t:T}:idx:all|phase:N|state:N|client:C|consultant:S|partner:O
//                                         zset ordinal → engagement id
//   eng:{t:T}:idx:active_end              zset yyyymmdd support end → active engagement id
//   eng:{t:T}:idx:findings:<eid>[:open]   zset ordinal → finding id
//   eng:{t:T}:idx:open_findings:<grade>   zset ordinal → <eid>/<fid> (metrics)
//   eng:{t:T}:idx:inquiries:<eid>         zset ordinal → inquiry id
//   eng:{t:T}:out:…                       outbox (services/common/outbox.h)
//   eng:{t:T}:audit:…                     audit trail (services/common/audit.h)
//   eng:{t:T}:ord, eng:{t:T}:ref:<year>   counters
//   eng:{t:T}:idem:<principal>:<request_id> idempotency record (TTL), per principal
//   eng:tenants                           set of tenants (for metrics only)

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/types/optional.h"
#include "certpath/common/v1/common.pb.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "services/common/outbox.h"
#include "services/common/principal.h"
#include "services/common/repository.h"

namespace certpath::engagements {

namespace v1 = certpath::engagements::v1;

struct EngagementFilter {
  v1::Phase phase = v1::PHASE_UNSPECIFIED;
  v1::EngagementState state = v1::ENGAGEMENT_STATE_UNSPECIFIED;
  std::string consultant, client_id, partner;
};

struct TenantStats {
  std::vector<int64_t> by_phase;  // index = Phase value
  std::vector<int64_t> by_state;  // index = EngagementState value (EXPIRED derived)
  int64_t ending_30 = 0, ending_60 = 0, ending_90 = 0;
  std::vector<int64_t> open_findings_by_grade;  // index = FindingGrade value
};

// A record under an engagement written in the engagement's step: `before`
// empty on a create.
template <typename T>
struct ChildWrite {
  std::string id;
  absl::optional<Stored<T>> before;
  T after;
};

// What one step writes besides the engagement.
struct EngagementEffects {
  bool engagement_changed = true;  // false: the version read is only checked
  // Published in the same step (services/common/outbox.h).
  std::vector<certpath::common::v1::OutboxEvent> events;
  absl::optional<ChildWrite<v1::Finding>> finding;
  absl::optional<ChildWrite<v1::Inquiry>> inquiry;
};

class EngagementStore : public Repository {
 public:
  EngagementStore(RecordStore& records, int64_t idempotency_ttl_seconds)
      : Repository(records, "eng", "engagements", idempotency_ttl_seconds),
        outbox_(*this, "engagements") {}

  // The engagements service's published events.
  Outbox& outbox() { return outbox_; }

  // ---- clients
  absl::StatusOr<absl::optional<Stored<v1::Client>>> GetClient(const std::string& tenant,
                                                               const std::string& id);
  absl::StatusOr<v1::Client> CreateClient(const std::string& tenant, const std::string& id,
                                          const v1::Client& client, const Idem& idem);
  // The client and, for an erasure, every engagement of it changed with it
  // (the client's engagement count checked in the same step: one created
  // meanwhile aborts), compare-and-set on every version read, in one step.
  absl::StatusOr<v1::Client> SaveClient(
      const std::string& tenant, const std::string& id, const v1::Client& client,
      const Stored<v1::Client>& before, const Idem& idem,
      const std::vector<std::pair<Stored<v1::Engagement>, v1::Engagement>>* engagements = nullptr,
      const std::vector<certpath::common::v1::OutboxEvent>& events = {});
  // Removes a client that has no engagement (checked in the same step) and
  // keeps `tombstone` at eng:{t:T}:deleted_client:<id>.
  absl::StatusOr<v1::Client> DeleteClient(const std::string& tenant, const std::string& id,
                                          const Stored<v1::Client>& before,
                                          const v1::Client& tombstone, const Idem& idem);
  // Every engagement of a client (FAILED_PRECONDITION when more than `limit`).
  absl::StatusOr<std::vector<Stored<v1::Engagement>>> EngagementsOfClient(
      const std::string& tenant, const std::string& client_id, int limit);
  // Whether the partner organization is on any engagement of the client.
  absl::StatusOr<bool> PartnerWorksForClient(const std::string& tenant, const std::string& partner,
                                             const std::string& client_id);
  absl::StatusOr<ListPage> ListClients(const std::string& tenant, int64_t after, int limit);

  // ---- engagements
  absl::StatusOr<absl::optional<Stored<v1::Engagement>>> GetEngagement(const std::string& tenant,
                                                                       const std::string& id);
  // The engagement plus the stored response of `idem` if it was already applied.
  struct ForUpdate {
    absl::optional<Stored<v1::Engagement>> engagement;
    absl::optional<std::string> replay;
  };
  absl::StatusOr<ForUpdate> GetEngagementForUpdate(const std::string& tenant, const std::string& id,
                                                   const Idem& idem);
  // Allocates the reference number (整理番号) and ordinal in the same step.
  absl::StatusOr<v1::Engagement> CreateEngagement(
      const std::string& tenant, const std::string& id, const v1::Engagement& e, const Idem& idem,
      absl::CivilDay today, const std::vector<certpath::common::v1::OutboxEvent>& events);
  // The one step of every change to an engagement: compare-and-set on the
  // version read, index entries moved, and the effects (outbox event, a
  // finding or an inquiry with its indexes) and `response` for `idem`.
  // A concurrent retry of the same request finds the first one's record in
  // the commit: CommitResult::replayed, with the first response.
  absl::StatusOr<CommitResult> SaveEngagement(const std::string& tenant, const std::string& id,
                                              const Stored<v1::Engagement>& before,
                                              const v1::Engagement& after,
                                              const EngagementEffects& effects, const Idem& idem,
                                              const std::string& response);
  absl::StatusOr<ListPage> ListEngagements(const std::string& tenant, const EngagementFilter& f,
                                           int64_t after, int limit, absl::CivilDay today);

  // ---- findings and inquiries (written through SaveEngagement)
  absl::StatusOr<absl::optional<Stored<v1::Finding>>> GetFinding(const std::string& tenant,
                                                                 const std::string& eid,
                                                                 const std::string& id);
  absl::StatusOr<ListPage> ListFindings(const std::string& tenant, const std::string& eid,
                                        bool open_only, int64_t after, int limit);
  absl::StatusOr<absl::optional<Stored<v1::Inquiry>>> GetInquiry(const std::string& tenant,
                                                                 const std::string& eid,
                                                                 const std::string& id);
  absl::StatusOr<ListPage> ListInquiries(const std::string& tenant, const std::string& eid,
                                         int64_t after, int limit);

  absl::StatusOr<TenantStats> Stats(const std::string& tenant, absl::CivilDay today);

 private:
  void PutFinding(Batch& b, const std::string& tenant, const std::string& eid,
                  const ChildWrite<v1::Finding>& w);
  void PutInquiry(Batch& b, const std::string& tenant, const std::string& eid,
                  const ChildWrite<v1::Inquiry>& w);

  Outbox outbox_;
};

}  // namespace certpath::engagements
