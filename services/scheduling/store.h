#pragma once
// The scheduling service's Redis keys and atomic steps, on the shared
// repository layer (services/common/repository.h). One Commit per business
// operation; nothing above this file sees a key or a Batch.
//
//   sch:{t:T}:consultant:<id>            consultants; sch:{t:T}:subject:<sub> → id (unique)
//   sch:{t:T}:closure:<id>               office closures
//   sch:{t:T}:visit:<id>                 visits
//   sch:{t:T}:cal:<consultant>           zset start (unix minutes) → visit id, not cancelled:
//                                        the double-booking check is a range lookup here
//   sch:{t:T}:calv:<consultant>          the consultant's calendar version: every booking
//                                        step checks and raises it (no two overlap)
//   sch:{t:T}:included:<eid>:<kind>      the visit holding an included visit's one slot
//   sch:{t:T}:audit:<id>                 certification-body audits
//   sch:{t:T}:deadline:<id>              deadlines (derived from engagements' events)
//   sch:{t:T}:eng:<eid>                  EngagementView (from engagements' events)
//   sch:{t:T}:feed:<id>                  calendar feeds; sch:feedkey:<sha256(token)> → FeedKey
//   sch:{t:T}:idx:visits[:eng:<eid>|:c:<cid>|:state:<n>]      zset ordinal → id
//   sch:{t:T}:idx:audits[:eng:<eid>|:c:<cid>], idx:consultants, idx:closures
//   sch:{t:T}:idx:deadlines[:eng:<eid>|:kind:<k>|:c:<subject>|:open]  zset ordinal → id
//   sch:{t:T}:idx:deadlines:due          zset yyyymmdd → id (range filter)
//   sch:{t:T}:idx:deadlines:open_due:<k> zset yyyymmdd → id, unmet only (gauges)
//   sch:{t:T}:idx:support_end_pre_stage2 zset yyyymmdd → eid (active, stage 2 not reached)
//   sch:{t:T}:out:…                      outbox (services/common/outbox.h)

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/types/optional.h"
#include "certpath/scheduling/v1/scheduling.pb.h"
#include "services/common/outbox.h"
#include "services/common/repository.h"

namespace certpath::scheduling {

namespace v1 = certpath::scheduling::v1;
namespace cv1 = certpath::common::v1;

// A visit occupying a consultant's calendar: the cal zset's member is
// "<visit id>:<end, unix minutes>", scored by the start, so the overlap check
// needs no visit record.
struct Busy {
  std::string visit_id;
  int64_t start_minute = 0, end_minute = 0;
};

// A consultant's calendar as read for a booking decision: the visits that
// may overlap and the version the step checks.
struct CalendarRead {
  std::string consultant_id;
  int64_t version = 0;
  std::vector<Busy> nearby;  // starting within (start − 12 h, end)
  int64_t week_visits = 0;   // visits starting in the ISO week of the new one
};

// What a booking decision reads, in one round trip.
struct BookingRead {
  absl::optional<Stored<v1::EngagementView>> engagement;
  std::vector<absl::optional<Stored<v1::Consultant>>> consultants;  // per id asked
  std::vector<CalendarRead> calendars;                              // per id asked
};

struct DeadlineChange {
  absl::optional<Stored<v1::Deadline>> before;
  v1::Deadline after;
};

struct DeadlineCounts {
  // kind → count of unmet deadlines due within 7/30/90 days and overdue.
  std::map<int, std::array<int64_t, 4>> by_kind;
  int64_t support_end_pre_stage2_30d = 0;
};

class SchedulingStore : public Repository {
 public:
  SchedulingStore(RecordStore& records, int64_t idempotency_ttl_seconds)
      : Repository(records, "sch", "scheduling", idempotency_ttl_seconds),
        outbox_(*this, "scheduling") {}
  Outbox& outbox() { return outbox_; }

  // ---- reads
  absl::StatusOr<absl::optional<Stored<v1::Consultant>>> GetConsultant(const std::string& tenant,
                                                                       const std::string& id);
  absl::StatusOr<std::vector<v1::OfficeClosure>> AllClosures(const std::string& tenant);
  absl::StatusOr<absl::optional<Stored<v1::Visit>>> GetVisit(const std::string& tenant,
                                                             const std::string& id);
  absl::StatusOr<absl::optional<Stored<v1::Audit>>> GetAudit(const std::string& tenant,
                                                             const std::string& id);
  absl::StatusOr<absl::optional<Stored<v1::EngagementView>>> GetEngagement(
      const std::string& tenant, const std::string& eid);
  absl::StatusOr<BookingRead> ReadBooking(const std::string& tenant, const std::string& eid,
                                          const std::vector<std::string>& consultant_ids,
                                          absl::Time start, absl::Time end);
  // Visits of a consultant starting within [from, to), at most `limit`.
  absl::StatusOr<std::vector<v1::Visit>> ConsultantVisits(const std::string& tenant,
                                                          const std::string& cid, absl::Time from,
                                                          absl::Time to, int limit);
  absl::StatusOr<std::vector<Stored<v1::Deadline>>> EngagementDeadlines(const std::string& tenant,
                                                                        const std::string& eid);
  absl::StatusOr<absl::optional<Stored<v1::Deadline>>> GetDeadline(const std::string& tenant,
                                                                   const std::string& id);
  absl::StatusOr<std::vector<v1::Audit>> EngagementAudits(const std::string& tenant,
                                                          const std::string& eid, int limit);
  // The engagement's live (not cancelled) audits that `visit` observes, with
  // their versions (a step moving the visit keeps them unchanged).
  absl::StatusOr<std::vector<Stored<v1::Audit>>> AuditsObserving(const std::string& tenant,
                                                                 const std::string& eid,
                                                                 const std::string& visit);
  // The visit holding an included visit's slot of the engagement ("" = free).
  absl::StatusOr<std::string> IncludedVisit(const std::string& tenant, const std::string& eid,
                                            v1::VisitKind kind);
  absl::StatusOr<absl::optional<Stored<v1::CalendarFeed>>> GetFeed(const std::string& tenant,
                                                                   const std::string& id);
  absl::StatusOr<absl::optional<v1::FeedKey>> LookupFeed(const std::string& token_sha256);
  absl::StatusOr<DeadlineCounts> CountDeadlines(const std::string& tenant, absl::CivilDay today);

  // ---- steps
  absl::StatusOr<CommitResult> CreateConsultant(const std::string& tenant, const std::string& id,
                                                const v1::Consultant& c, const Idem& idem);
  absl::StatusOr<v1::Consultant> SaveConsultant(const std::string& tenant,
                                                const Stored<v1::Consultant>& before,
                                                const v1::Consultant& after);
  absl::StatusOr<CommitResult> CreateClosure(const std::string& tenant, const std::string& id,
                                             const v1::OfficeClosure& c, const Idem& idem);
  // A new visit or a change of one: the calendars read are checked and raised,
  // the included slot taken (new) or freed (cancelled), the indexes moved, and
  // `event` published when set.
  // `observed`: the audits the visit observes, whose days it was checked
  // against, and the engagement's view (every audit step writes it, so an
  // audit newly naming the visit conflicts too), kept unchanged.
  absl::StatusOr<CommitResult> SaveVisit(const std::string& tenant, const Stored<v1::Visit>* before,
                                         const v1::Visit& after,
                                         const std::vector<CalendarRead>& calendars,
                                         const Idem& idem, const cv1::OutboxEvent* event,
                                         const std::vector<Stored<v1::Audit>>& observed = {},
                                         const Stored<v1::EngagementView>* view = nullptr);
  // A new audit (`before` null) or a change of one, its indexes (a
  // consultant no longer observing loses it from their feed) and the
  // engagement's deadlines it moves. The engagement's view, which the
  // deadlines were computed with, is written again unchanged: an engagement
  // event applied meanwhile (which read the audits before this) or another
  // audit's step conflicts with it and runs again. The observation visit,
  // checked against the audit's days, must be unchanged.
  absl::StatusOr<CommitResult> SaveAudit(const std::string& tenant, const Stored<v1::Audit>* before,
                                         const v1::Audit& a, const Idem& idem,
                                         const std::vector<DeadlineChange>& deadlines,
                                         const Stored<v1::EngagementView>& view,
                                         const Stored<v1::Visit>* observation);
  // An engagement event applied: the view and the deadlines it changes, in
  // one step, once per event id (idem kept for good).
  absl::StatusOr<CommitResult> ApplyEngagement(const std::string& tenant,
                                               const Stored<v1::EngagementView>* before,
                                               const v1::EngagementView& after,
                                               const std::vector<DeadlineChange>& deadlines,
                                               const Idem& idem);
  // Visits changed together (before, after), compare-and-set on each, once
  // per event id (idem kept for good); their indexes stay.
  absl::StatusOr<CommitResult> SaveVisitsOnly(
      const std::string& tenant, const std::vector<std::pair<Stored<v1::Visit>, v1::Visit>>& visits,
      const Idem& idem);
  absl::StatusOr<CommitResult> CreateFeed(const std::string& tenant, const std::string& id,
                                          const v1::CalendarFeed& f,
                                          const std::string& token_sha256,
                                          const std::string& response);
  absl::StatusOr<v1::CalendarFeed> RevokeFeed(const std::string& tenant,
                                              const Stored<v1::CalendarFeed>& before,
                                              const v1::CalendarFeed& after,
                                              const std::string& token_sha256);

  // ---- lists
  absl::StatusOr<ListPage> ListConsultants(const std::string& tenant, int64_t after, int limit);
  absl::StatusOr<ListPage> ListClosures(const std::string& tenant, int64_t after, int limit);
  absl::StatusOr<ListPage> ListVisits(const std::string& tenant, const std::string& eid,
                                      const std::string& cid, int state, int64_t after, int limit);
  absl::StatusOr<ListPage> ListAudits(const std::string& tenant, const std::string& eid,
                                      int64_t after, int limit);
  absl::StatusOr<ListPage> ListDeadlines(const std::string& tenant, const std::string& eid,
                                         const std::string& consultant, int kind,
                                         absl::optional<absl::CivilDay> due_before,
                                         bool include_satisfied, int64_t after, int limit);
  // Records of an index (feeds), at most `limit`.
  absl::StatusOr<std::vector<v1::Audit>> ConsultantAudits(const std::string& tenant,
                                                          const std::string& cid, int limit);
  absl::StatusOr<std::vector<v1::Deadline>> OpenDeadlinesOf(const std::string& tenant,
                                                            const std::string& eid,
                                                            const std::string& consultant,
                                                            int limit);
  absl::StatusOr<std::vector<v1::Visit>> EngagementVisits(const std::string& tenant,
                                                          const std::string& eid, int limit);

 private:
  // Up to `limit` records `kind:<id>` in the order of index `index` (a name
  // under idx:), keeping ids that are in every index of `members` too.
  absl::StatusOr<ListPage> Walk(const std::string& tenant, const std::string& index,
                                absl::string_view kind, int limit,
                                const std::vector<std::string>& members = {});
  void PutDeadline(Batch& b, const std::string& tenant, const DeadlineChange& c);
  Outbox outbox_;
};

}  // namespace certpath::scheduling
