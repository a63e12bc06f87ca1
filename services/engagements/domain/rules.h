#pragma once
// The rules of the support specification, as pure functions over the
// engagement resource: support period, phase machine and gates, task
// ownership, audit results, registration, findings counters, inquiry
// coverage and who may see or do what. No I/O.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "services/common/policy.h"
#include "services/common/principal.h"
#include "services/engagements/domain/catalog.h"

namespace certpath::engagements::domain {

// ------------------------------------------------------------ support period

inline constexpr int kSupportMonths = 18;

// Calendar months, clamped to the month's end: 2026-08-31 + 18 → 2028-02-29.
absl::CivilDay AddMonthsClamped(absl::CivilDay day, int months);
// The earlier of the registration date and start + 18 months.
absl::CivilDay SupportEnd(absl::CivilDay start, absl::optional<absl::CivilDay> registration);
// ACTIVE past its support end without registration reads as EXPIRED.
v1::EngagementState EffectiveState(const v1::Engagement& e, absl::CivilDay today);

// ------------------------------------------------------------ lifecycle

// Fills the server-owned fields of a new engagement: phase, state, an empty
// task_states (every task OPEN), support end, times. The caller validated the input.
void InitializeEngagement(v1::Engagement& e, absl::Time now);

// What keeps the engagement from leaving its current phase (empty = gate holds).
std::vector<std::string> GateBlockers(const v1::Engagement& e);

// Moves to the next phase. An OFFICE_ADMIN may pass `override_reason` to
// advance although the gate does not hold; the override is recorded.
// Operation 3 is left only by RecordRegistration (REGISTRATION_REQUIRED).
absl::Status AdvancePhase(v1::Engagement& e, const Principal& by,
                          const std::string& override_reason, absl::Time now);

// Sets a task's status. Client tasks only by the client, office tasks only by the office.
// Needs an active engagement, except the certification phase's tasks of a certified one.
absl::StatusOr<v1::Task> UpdateTask(v1::Engagement& e, const Principal& by,
                                    const std::string& task_id, v1::TaskStatus status,
                                    const std::string& note, absl::Time now);

// The whole checklist with titles for the engagement's standard.
std::vector<v1::Task> ListTasks(const v1::Engagement& e, v1::Phase phase_filter);

// Records a stage 1 / stage 2 result, in its audit phase. Sets *stage1_passed
// when this is the stage-1 "may proceed" result: the caller writes the
// Stage1Passed event in the same atomic step. That one is also taken late, in
// any later phase (an admin override went past stage 1 without it), so the
// consulting fee is never left unbillable.
absl::Status RecordAuditResult(v1::Engagement& e, const Principal& by, v1::AuditStage stage,
                               v1::AuditOutcome outcome, absl::CivilDay audit_date,
                               const std::string& note, absl::Time now, bool* stage1_passed);

absl::Status RecordManagementReview(v1::Engagement& e, const Principal& by, absl::CivilDay date,
                                    bool approved, const std::string& instructions, absl::Time now);

// Registration certificate received: operation 3 → certification, certified,
// support ends at the registration date (if earlier than start + 18 months),
// and the certificate task (kCertificateTask) is done. The certification
// phase's tasks stay open to UpdateTask on the certified engagement. Also
// taken once by an engagement certified without one (an override, before
// AdvancePhase stopped at operation 3).
absl::Status RecordRegistration(v1::Engagement& e, const Principal& by, absl::CivilDay date,
                                const std::string& certificate_number,
                                const std::string& override_reason, absl::Time now);

absl::Status Terminate(v1::Engagement& e, const Principal& by, const std::string& reason,
                       absl::Time now);

// The task that recording the registration completes (登録証を受領).
inline constexpr char kCertificateTask[] = "cert-c-certificate";

// Who writes which part of a finding. The source and grade are the
// certification body's verdict and the office records them (as it does the
// clause, description, advice and due date); the audited side (the client, a
// listed partner) proposes the corrective action and its evidence; closing or
// reopening a finding is the office's act, recorded (closed_by, close_time).
struct FindingFieldRule {
  const char* path;
  bool audited_side_may_write;
};
const std::vector<FindingFieldRule>& FindingFieldRules();
// Office staff create any finding; the audited side only OPEN internal-audit
// findings (its own internal audit). PERMISSION_DENIED otherwise.
absl::Status CheckFindingCreate(const Principal& by, const v1::Finding& f);
// A nonconformity (minor or major) is closed — when created or updated —
// only with the corrective action taken (ISO/IEC 27001 10.2): INVALID_ARGUMENT
// on finding.corrective_action. `before` is null on create.
absl::Status CheckClosure(const v1::Finding* before, const v1::Finding& after);
// PERMISSION_DENIED naming the first masked path the principal may not write.
absl::Status CheckFindingUpdate(const Principal& by, const google::protobuf::FieldMask& mask);
// Sets closed_by / close_time when the finding becomes CLOSED; clears them on reopening.
void RecordFindingClosure(const v1::Finding* before, v1::Finding& after, const Principal& by,
                          absl::Time now);

// Keeps the engagement's open-finding counters in step with a finding change
// (`before` null on create).
void ApplyFindingChange(v1::Engagement& e, const v1::Finding* before, const v1::Finding& after);

// Which arrangement covers an e-mail inquiry received today: free during
// support, the advisory retainer after it; neither → FAILED_PRECONDITION.
absl::StatusOr<v1::InquiryCoverage> InquiryCoverageFor(const v1::Engagement& e,
                                                       absl::CivilDay today);

// ------------------------------------------------------------ access

// Tenant, partner-organization and client-company visibility.
bool CanSee(const Principal& p, const std::string& tenant, const v1::Engagement& e);
// NOT_FOUND when the principal may not see it (existence is not leaked),
// PERMISSION_DENIED when it may see it but the policy table (policy.h) does
// not let its role call `method`.
absl::Status Authorize(const Principal& p, const std::string& tenant, const v1::Engagement& e,
                       absl::string_view method);

// Clients: office staff see all of the tenant; a CLIENT principal only its own.
bool CanSeeClient(const Principal& p, const std::string& tenant, const std::string& client_id);

}  // namespace certpath::engagements::domain
