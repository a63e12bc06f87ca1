#pragma once
// The scheduling rules, free of gRPC and Redis: what a visit may be and when,
// which deadlines an engagement has, workloads, and how visits, audits and
// deadlines look in a calendar feed. Unit-tested in tests/scheduling.

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "certpath/scheduling/v1/scheduling.pb.h"
#include "services/common/principal.h"
#include "services/common/status.h"
#include "services/scheduling/domain/calendar.h"
#include "services/scheduling/domain/ical.h"

namespace certpath::scheduling::domain {

namespace v1 = certpath::scheduling::v1;

// A visit lies on one day (Asia/Tokyo) and lasts at most this long: the
// double-booking check looks this far back from a new visit's end.
inline constexpr absl::Duration kMaxVisitLength = absl::Hours(12);
inline constexpr int kMaxVisitConsultants = 5;

bool IsIncluded(v1::VisitKind k);
bool IsOption(v1::VisitKind k);
bool IsPostContract(v1::VisitKind k);
bool IsPaid(v1::VisitKind k);
// The engagements checklist task an included visit completes ("" otherwise).
std::string TaskIdFor(v1::VisitKind k);
// How the office names the kind (ja).
std::string KindTitle(v1::VisitKind k);
std::string AuditTitle(v1::AuditKind k);
// A cancelled audit meets no deadline, binds no observation visit and shows
// as cancelled in feeds.
bool Cancelled(const v1::Audit& a);
std::string DeadlineTitle(v1::DeadlineKind k);

// Field checks of a visit as booked or updated (`mask` null: every field).
void CheckVisitFields(FieldViolations& v, const v1::Visit& visit,
                      const google::protobuf::FieldMask* mask);
// Paid visits need a billable length; expenses only on paid visits.
void CheckBilling(FieldViolations& v, absl::string_view prefix, v1::VisitKind kind,
                  v1::BillableLength length,
                  const google::protobuf::RepeatedPtrField<v1::Expense>& expenses);

// When a visit of `kind` may take place for the engagement: included visits
// and options within the support period, post-contract guidance after it,
// none on an engagement that ended. FAILED_PRECONDITION naming the rule.
absl::Status CheckVisitWindow(v1::VisitKind kind, absl::CivilDay day, const v1::EngagementView& e);
// INVALID_ARGUMENT naming `field` unless an audit starting on `first` starts
// on or after the engagement's support period's start (when it has one): the
// office supports through the audits, so an earlier day is a typo — and one
// that would meet a deadline it should not.
absl::Status CheckAuditStart(absl::string_view field, absl::CivilDay first,
                             const v1::EngagementView& e);
// INVALID_ARGUMENT naming `field` unless `day` (an option-c visit's) is one
// of `audit`'s days, first_day … last_day (first_day alone when unset).
absl::Status CheckObservationDay(absl::string_view field, const v1::Audit& audit,
                                 absl::CivilDay day);

// Why `consultant` cannot visit on `day` (not a working day, a holiday, an
// office closure); empty when it can.
std::string CalendarProblem(const v1::Consultant& consultant, absl::CivilDay day,
                            const BusinessCalendar& calendar);

inline bool Overlaps(absl::Time a_start, absl::Time a_end, absl::Time b_start, absl::Time b_end) {
  return a_start < b_end && b_start < a_end;
}

// Whether a partner or client principal sees the engagement (office staff see all).
bool Sees(const Principal& p, const v1::EngagementView& e);

// The deadlines an engagement has from what engagements told us (support
// end, retainer renewal, surveillance and recertification after
// registration), keyed by their id; `audits` are the engagement's planned
// audits (one planned meets its deadline). Corrective actions come from
// findings (CorrectiveActionDeadline).
std::map<std::string, v1::Deadline> EngagementDeadlines(const std::string& tenant,
                                                        const v1::EngagementView& e,
                                                        const std::vector<v1::Audit>& audits);
// The id a deadline of `kind` of engagement `eid` has (finding: its id).
std::string DeadlineId(const std::string& eid, v1::DeadlineKind kind,
                       const std::string& finding = "");
// Visit/billable totals per ISO week and month within [first, last].
v1::ConsultantWorkload Workload(const v1::Consultant& c, const std::vector<v1::Visit>& visits,
                                absl::CivilDay first, absl::CivilDay last);

// The client's people erased from a visit (personal-data erasure, 個人情報保護法):
// each client attendee becomes "（消去済み）" (their number kept) and the
// feeds' SEQUENCE is raised. False when it names none.
bool EraseClientAttendees(v1::Visit& v);

// Calendar-feed events (RFC 5545), UIDs stable per resource.
IcsEvent VisitEvent(const v1::Visit& v, const std::string& tenant, absl::Time now);
IcsEvent AuditEvent(const v1::Audit& a, const std::string& tenant, absl::Time now);
IcsEvent DeadlineEvent(const v1::Deadline& d, const std::string& tenant, absl::Time now);

}  // namespace certpath::scheduling::domain
