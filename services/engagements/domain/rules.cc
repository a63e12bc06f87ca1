#include "services/engagements/domain/rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/domain/policy.h"

namespace certpath::engagements::domain {
namespace {

bool IsSet(const google::type::Date& d) { return d.year() != 0; }

v1::Phase Next(v1::Phase p) {
  return p == v1::PHASE_CERTIFICATION ? v1::PHASE_UNSPECIFIED : static_cast<v1::Phase>(p + 1);
}

std::string PhaseName(v1::Phase p) {
  const PhaseInfo* info = FindPhase(p);
  return info ? absl::StrCat(info->title_en, " (", info->title_ja, ")") : "unknown";
}

bool HasOutcome(const v1::Engagement& e, v1::AuditStage stage, v1::AuditOutcome outcome) {
  return std::any_of(e.audit_results().begin(), e.audit_results().end(), [&](const auto& r) {
    return r.stage() == stage &&
           (outcome == v1::AUDIT_OUTCOME_UNSPECIFIED || r.outcome() == outcome);
  });
}

v1::TaskState* FindTaskState(v1::Engagement& e, absl::string_view id) {
  for (auto& t : *e.mutable_task_states()) {
    if (t.task_id() == id) return &t;
  }
  return nullptr;
}

const v1::TaskState* FindTaskState(const v1::Engagement& e, absl::string_view id) {
  for (const auto& t : e.task_states()) {
    if (t.task_id() == id) return &t;
  }
  return nullptr;
}

// Mutations other than findings and inquiries need an engagement in support.
absl::Status RequireActive(const v1::Engagement& e, absl::Time now) {
  v1::EngagementState state = EffectiveState(e, TokyoDay(now));
  if (state == v1::ENGAGEMENT_STATE_ACTIVE) return absl::OkStatus();
  return FailedPrecondition("ENGAGEMENT_NOT_ACTIVE",
                            "the engagement is " + v1::EngagementState_Name(state));
}

void Touch(v1::Engagement& e, absl::Time now) { *e.mutable_update_time() = ToTimestamp(now); }

void RecordTransition(v1::Engagement& e, v1::Phase to, const Principal& by,
                      const std::vector<std::string>& overridden, const std::string& reason,
                      absl::Time now) {
  v1::PhaseTransition* t = e.add_transitions();
  t->set_from(e.phase());
  t->set_to(to);
  t->set_by(by.subject());
  *t->mutable_time() = ToTimestamp(now);
  if (!overridden.empty()) {
    t->set_override_reason(reason);
    for (const auto& o : overridden) t->add_overridden(o);
  }
  e.set_phase(to);
}

// Shared by AdvancePhase and RecordRegistration: blockers may only be passed
// by an office admin giving a reason.
absl::Status CheckGate(const std::vector<std::string>& blockers, const Principal& by,
                       const std::string& override_reason) {
  if (!override_reason.empty() && by.role() != Principal::ROLE_OFFICE_ADMIN) {
    return PermissionDenied("only an office admin may override a phase gate");
  }
  if (!blockers.empty() && override_reason.empty()) {
    return FailedPrecondition("PHASE_GATE_NOT_MET", absl::StrJoin(blockers, "; "));
  }
  return absl::OkStatus();
}

}  // namespace

absl::CivilDay AddMonthsClamped(absl::CivilDay day, int months) {
  absl::CivilMonth target = absl::CivilMonth(day) + months;
  absl::CivilDay last = absl::CivilDay(target + 1) - 1;
  absl::CivilDay wanted(target.year(), target.month(), 1);
  wanted += day.day() - 1;
  return wanted > last ? last : wanted;
}

absl::CivilDay SupportEnd(absl::CivilDay start, absl::optional<absl::CivilDay> registration) {
  absl::CivilDay end = AddMonthsClamped(start, kSupportMonths);
  if (registration && *registration < end) return *registration;
  return end;
}

v1::EngagementState EffectiveState(const v1::Engagement& e, absl::CivilDay today) {
  if (e.state() != v1::ENGAGEMENT_STATE_ACTIVE) return e.state();
  auto end = ToCivilDay(e.support_end());
  if (end && today > *end && !IsSet(e.registration_date())) return v1::ENGAGEMENT_STATE_EXPIRED;
  return v1::ENGAGEMENT_STATE_ACTIVE;
}

void InitializeEngagement(v1::Engagement& e, absl::Time now) {
  e.set_phase(v1::PHASE_PREPARATION);
  e.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
  // Every task of the catalogue starts OPEN; only tasks that changed are stored
  // (ListTasks fills in the rest), which keeps the record small.
  e.clear_task_states();
  if (auto start = ToCivilDay(e.support_start())) {
    *e.mutable_support_end() = ToDate(SupportEnd(*start, absl::nullopt));
  }
  *e.mutable_create_time() = ToTimestamp(now);
  *e.mutable_update_time() = ToTimestamp(now);
}

std::vector<std::string> GateBlockers(const v1::Engagement& e) {
  std::vector<std::string> blockers;
  if (e.phase() == v1::PHASE_CERTIFICATION) {
    blockers.push_back("certification is the last phase");
    return blockers;
  }
  std::vector<std::string> open;
  for (const auto& t : TaskTemplates()) {
    if (t.phase != e.phase() || !t.required) continue;
    const v1::TaskState* s = FindTaskState(e, t.id);
    if (s == nullptr || s->status() == v1::TASK_STATUS_OPEN) open.push_back(t.id);
  }
  if (!open.empty()) {
    blockers.push_back(absl::StrCat("required tasks of ", PhaseName(e.phase()),
                                    " are not done: ", absl::StrJoin(open, ", ")));
  }
  switch (e.phase()) {
    case v1::PHASE_STAGE1_AUDIT:
      if (!HasOutcome(e, v1::AUDIT_STAGE_1, v1::AUDIT_OUTCOME_MAY_PROCEED)) {
        blockers.push_back("no stage 1 result of MAY_PROCEED");
      }
      break;
    case v1::PHASE_STAGE2_AUDIT:
      if (!HasOutcome(e, v1::AUDIT_STAGE_2, v1::AUDIT_OUTCOME_UNSPECIFIED)) {
        blockers.push_back("no stage 2 result recorded");
      }
      break;
    case v1::PHASE_OPERATION_3:
      if (!IsSet(e.registration_date())) blockers.push_back("no registration date");
      if (e.open_major_findings() > 0) {
        blockers.push_back(absl::StrCat(e.open_major_findings(), " open major nonconformities"));
      }
      break;
    default:
      break;
  }
  return blockers;
}

absl::Status AdvancePhase(v1::Engagement& e, const Principal& by,
                          const std::string& override_reason, absl::Time now) {
  if (auto s = RequireActive(e, now); !s.ok()) return s;
  if (e.phase() == v1::PHASE_CERTIFICATION) {
    return FailedPrecondition("FINAL_PHASE", "certification is the last phase");
  }
  // Certification starts on the registration date, which sets the support
  // end and the surveillance deadlines: no override skips recording it.
  if (e.phase() == v1::PHASE_OPERATION_3) {
    return FailedPrecondition("REGISTRATION_REQUIRED",
                              "certification is entered by recording the registration "
                              "(RecordRegistration; an admin overrides its other blockers there)");
  }
  std::vector<std::string> blockers = GateBlockers(e);
  if (auto s = CheckGate(blockers, by, override_reason); !s.ok()) return s;
  v1::Phase to = Next(e.phase());
  RecordTransition(e, to, by, blockers, override_reason, now);
  if (to == v1::PHASE_CERTIFICATION) e.set_state(v1::ENGAGEMENT_STATE_CERTIFIED);
  Touch(e, now);
  return absl::OkStatus();
}

std::vector<v1::Task> ListTasks(const v1::Engagement& e, v1::Phase phase_filter) {
  const Standard* standard = FindStandard(e.standard());
  if (standard == nullptr) standard = &Standards().front();
  std::vector<v1::Task> out;
  for (const auto& t : TaskTemplates()) {
    if (phase_filter != v1::PHASE_UNSPECIFIED && t.phase != phase_filter) continue;
    v1::Task task;
    task.set_name(absl::StrCat(e.name(), "/tasks/", t.id));
    task.set_task_id(t.id);
    task.set_phase(t.phase);
    task.set_side(t.side);
    task.set_title_ja(TaskTitleJa(t, *standard));
    task.set_title_en(TaskTitleEn(t, *standard));
    task.set_required(t.required);
    task.set_status(v1::TASK_STATUS_OPEN);
    if (const v1::TaskState* s = FindTaskState(e, t.id)) {
      task.set_status(s->status());
      task.set_updated_by(s->updated_by());
      *task.mutable_update_time() = s->update_time();
      task.set_note(s->note());
    }
    out.push_back(std::move(task));
  }
  return out;
}

absl::StatusOr<v1::Task> UpdateTask(v1::Engagement& e, const Principal& by,
                                    const std::string& task_id, v1::TaskStatus status,
                                    const std::string& note, absl::Time now) {
  const TaskTemplate* t = FindTask(task_id);
  if (t == nullptr) return NotFound("task " + task_id);
  bool client_side = by.role() == Principal::ROLE_CLIENT;
  if ((t->side == v1::SIDE_CLIENT) != client_side) {
    return PermissionDenied(t->side == v1::SIDE_CLIENT
                                ? "this task belongs to the client company (貴社)"
                                : "this task belongs to the office (当オフィス)");
  }
  // A certified engagement stays open for the certification phase's own
  // closing tasks (登録証を受領, 支援契約の終了 …): its checklist can read complete.
  bool closing = t->phase == v1::PHASE_CERTIFICATION && e.state() == v1::ENGAGEMENT_STATE_CERTIFIED;
  if (!closing) {
    if (auto s = RequireActive(e, now); !s.ok()) return s;
  }
  if (t->phase > e.phase()) {
    return FailedPrecondition("PHASE_NOT_REACHED",
                              "the task belongs to " + PhaseName(t->phase) + ", not reached yet");
  }
  v1::TaskState* s = FindTaskState(e, task_id);
  if (s == nullptr) {
    s = e.add_task_states();
    s->set_task_id(task_id);
  }
  s->set_status(status);
  s->set_note(note);
  s->set_updated_by(by.subject());
  *s->mutable_update_time() = ToTimestamp(now);
  Touch(e, now);
  for (auto& task : ListTasks(e, t->phase)) {
    if (task.task_id() == task_id) return task;
  }
  return absl::InternalError("task vanished");
}

namespace {
// The latest (or earliest) date among the results of `stage`, of `outcome`
// when one is given (nullopt: none).
absl::optional<absl::CivilDay> ResultDay(const v1::Engagement& e, v1::AuditStage stage, bool latest,
                                         v1::AuditOutcome outcome = v1::AUDIT_OUTCOME_UNSPECIFIED) {
  absl::optional<absl::CivilDay> found;
  for (const auto& r : e.audit_results()) {
    auto day = ToCivilDay(r.audit_date());
    if (r.stage() != stage || !day) continue;
    if (outcome != v1::AUDIT_OUTCOME_UNSPECIFIED && r.outcome() != outcome) continue;
    if (!found || (latest ? *day > *found : *day < *found)) found = day;
  }
  return found;
}
}  // namespace

absl::Status RecordAuditResult(v1::Engagement& e, const Principal& by, v1::AuditStage stage,
                               v1::AuditOutcome outcome, absl::CivilDay audit_date,
                               const std::string& note, absl::Time now, bool* stage1_passed) {
  *stage1_passed = false;
  FieldViolations v;
  bool stage1 = stage == v1::AUDIT_STAGE_1;
  bool outcome_fits =
      stage1 ? (outcome == v1::AUDIT_OUTCOME_MAY_PROCEED || outcome == v1::AUDIT_OUTCOME_NOT_READY)
             : (outcome == v1::AUDIT_OUTCOME_RECOMMENDED ||
                outcome == v1::AUDIT_OUTCOME_NOT_RECOMMENDED);
  if (!outcome_fits) v.Add("outcome", "not an outcome of this audit stage");
  if (audit_date > TokyoDay(now)) v.Add("audit_date", "is in the future");
  if (auto start = ToCivilDay(e.support_start()); start && audit_date < *start) {
    v.Add("audit_date", "is before the support start");
  }
  // Stage 2 follows stage 1: not dated before the stage-1 pass.
  if (!stage1) {
    auto pass = ResultDay(e, v1::AUDIT_STAGE_1, /*latest=*/true, v1::AUDIT_OUTCOME_MAY_PROCEED);
    if (pass && audit_date < *pass) {
      v.Add("audit_date", "is before the stage 1 audit (" + absl::FormatCivilTime(*pass) + ")");
    }
  }
  if (!v.empty()) return v.ToStatus();
  if (stage1 && HasOutcome(e, v1::AUDIT_STAGE_1, v1::AUDIT_OUTCOME_MAY_PROCEED)) {
    return FailedPrecondition("STAGE1_ALREADY_PASSED", "stage 1 already has a MAY_PROCEED result");
  }
  v1::Phase expected = stage1 ? v1::PHASE_STAGE1_AUDIT : v1::PHASE_STAGE2_AUDIT;
  // The stage-1 pass is the consulting fee's trigger: taken in stage 1 or,
  // when an admin override moved past it without its result, late in any
  // later phase; once certified or past the support end too. A terminated
  // engagement is not billed this way.
  bool stage1_pass = stage1 && e.phase() >= expected && outcome == v1::AUDIT_OUTCOME_MAY_PROCEED;
  if (stage1_pass) {
    if (e.state() == v1::ENGAGEMENT_STATE_TERMINATED) {
      return FailedPrecondition("ENGAGEMENT_NOT_ACTIVE", "the engagement is terminated");
    }
    // Recorded late, it still came before what followed it.
    auto registered = ToCivilDay(e.registration_date());
    if (registered && audit_date > *registered) {
      return InvalidArgument("audit_date", "is after the registration date");
    }
    auto stage2 = ResultDay(e, v1::AUDIT_STAGE_2, /*latest=*/false);
    if (stage2 && audit_date > *stage2) {
      return InvalidArgument("audit_date", "is after the stage 2 audit");
    }
  } else {
    if (auto s = RequireActive(e, now); !s.ok()) return s;
    if (e.phase() != expected) {
      return FailedPrecondition("WRONG_PHASE",
                                "a " + v1::AuditStage_Name(stage) + " result is recorded in " +
                                    PhaseName(expected) +
                                    (stage1 ? " (a late MAY_PROCEED in any later phase)" : ""));
    }
  }
  v1::AuditResult* r = e.add_audit_results();
  r->set_stage(stage);
  r->set_outcome(outcome);
  *r->mutable_audit_date() = ToDate(audit_date);
  r->set_note(note);
  r->set_recorded_by(by.subject());
  *r->mutable_record_time() = ToTimestamp(now);
  *stage1_passed = stage1 && outcome == v1::AUDIT_OUTCOME_MAY_PROCEED;
  Touch(e, now);
  return absl::OkStatus();
}

absl::Status RecordManagementReview(v1::Engagement& e, const Principal& by, absl::CivilDay date,
                                    bool approved, const std::string& instructions,
                                    absl::Time now) {
  if (date > TokyoDay(now)) return InvalidArgument("review_date", "is in the future");
  if (auto s = RequireActive(e, now); !s.ok()) return s;
  if (e.phase() < v1::PHASE_OPERATION_1) {
    return FailedPrecondition("WRONG_PHASE", "a management review comes after construction");
  }
  v1::ManagementReview* r = e.add_management_reviews();
  *r->mutable_review_date() = ToDate(date);
  r->set_top_management_approved(approved);
  r->set_instructions(instructions);
  r->set_recorded_by(by.subject());
  *r->mutable_record_time() = ToTimestamp(now);
  Touch(e, now);
  return absl::OkStatus();
}

absl::Status RecordRegistration(v1::Engagement& e, const Principal& by, absl::CivilDay date,
                                const std::string& certificate_number,
                                const std::string& override_reason, absl::Time now) {
  if (date > TokyoDay(now)) return InvalidArgument("registration_date", "is in the future");
  auto start = ToCivilDay(e.support_start());
  if (start && date < *start) {
    return InvalidArgument("registration_date", "is before the support start");
  }
  // Certified without one (an override before AdvancePhase stopped at
  // operation 3): its registration is still recorded, the support end and
  // the post-certification deadlines follow from it.
  bool missing = e.state() == v1::ENGAGEMENT_STATE_CERTIFIED &&
                 e.phase() == v1::PHASE_CERTIFICATION && !IsSet(e.registration_date());
  // Registration may arrive after the 18 months ran out: it is a fact to record.
  if (e.state() != v1::ENGAGEMENT_STATE_ACTIVE && !missing) {
    return FailedPrecondition("ENGAGEMENT_NOT_ACTIVE",
                              "the engagement is " + v1::EngagementState_Name(e.state()));
  }
  if (e.phase() != v1::PHASE_OPERATION_3 && !missing) {
    return FailedPrecondition("WRONG_PHASE",
                              "registration is recorded in " + PhaseName(v1::PHASE_OPERATION_3));
  }
  // Registration follows the audits that led to it.
  for (v1::AuditStage stage : {v1::AUDIT_STAGE_1, v1::AUDIT_STAGE_2}) {
    if (auto last = ResultDay(e, stage, /*latest=*/true); last && date < *last) {
      return InvalidArgument(
          "registration_date",
          absl::StrCat("is before the ", stage == v1::AUDIT_STAGE_1 ? "stage 1" : "stage 2",
                       " audit (", absl::FormatCivilTime(*last), ")"));
    }
  }
  v1::Engagement next = e;
  *next.mutable_registration_date() = ToDate(date);
  std::vector<std::string> blockers = missing ? std::vector<std::string>{} : GateBlockers(next);
  if (auto s = CheckGate(blockers, by, override_reason); !s.ok()) return s;
  e = std::move(next);
  e.set_certificate_number(certificate_number);
  if (start) *e.mutable_support_end() = ToDate(SupportEnd(*start, date));
  if (!missing) RecordTransition(e, v1::PHASE_CERTIFICATION, by, blockers, override_reason, now);
  e.set_state(v1::ENGAGEMENT_STATE_CERTIFIED);
  // Recording the registration is the receipt of the certificate: its task is done, recorded.
  v1::TaskState* received = FindTaskState(e, kCertificateTask);
  if (received == nullptr) {
    received = e.add_task_states();
    received->set_task_id(kCertificateTask);
  }
  received->set_status(v1::TASK_STATUS_DONE);
  received->set_updated_by(by.subject());
  received->set_note(certificate_number.empty()
                         ? "登録の記録により完了 (recorded with the registration)"
                         : "登録の記録により完了 (recorded with the registration): 登録番号 " +
                               certificate_number);
  *received->mutable_update_time() = ToTimestamp(now);
  Touch(e, now);
  return absl::OkStatus();
}

absl::Status Terminate(v1::Engagement& e, const Principal& by, const std::string& reason,
                       absl::Time now) {
  if (e.state() == v1::ENGAGEMENT_STATE_TERMINATED || e.state() == v1::ENGAGEMENT_STATE_CERTIFIED) {
    return FailedPrecondition("ENGAGEMENT_NOT_ACTIVE",
                              "the engagement is " + v1::EngagementState_Name(e.state()));
  }
  e.set_state(v1::ENGAGEMENT_STATE_TERMINATED);
  e.set_termination_reason(reason);
  Touch(e, now);
  return absl::OkStatus();
}

// ------------------------------------------------------------ finding policy

const std::vector<FindingFieldRule>& FindingFieldRules() {
  static const std::vector<FindingFieldRule> kRules = {
      {"source", false},  {"grade", false},
      {"clause", false},  {"description", false},
      {"advice", false},  {"corrective_action_due", false},
      {"state", false},   {"corrective_action", true},
      {"evidence", true},
  };
  return kRules;
}

absl::Status CheckFindingCreate(const Principal& by, const v1::Finding& f) {
  if (IsOfficeStaff(by)) return absl::OkStatus();
  if (f.source() != v1::FINDING_SOURCE_INTERNAL_AUDIT) {
    return PermissionDenied(
        "findings of the certification body's audits are its verdict: office staff record them; "
        "the client and partners record internal-audit findings");
  }
  if (f.state() == v1::FINDING_STATE_CLOSED) {
    return PermissionDenied("closing a finding is the office's act");
  }
  return absl::OkStatus();
}

absl::Status CheckFindingUpdate(const Principal& by, const google::protobuf::FieldMask& mask) {
  if (IsOfficeStaff(by)) return absl::OkStatus();
  for (const auto& path : mask.paths()) {
    for (const auto& rule : FindingFieldRules()) {
      if (rule.path == path && !rule.audited_side_may_write) {
        return PermissionDenied(
            path == "state" ? std::string("closing or reopening a finding is the office's act")
                            : "finding." + path +
                                  " is recorded by the office; the audited side proposes "
                                  "corrective_action and evidence");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckClosure(const v1::Finding* before, const v1::Finding& after) {
  bool closing = after.state() == v1::FINDING_STATE_CLOSED &&
                 (before == nullptr || before->state() != v1::FINDING_STATE_CLOSED);
  bool nonconformity =
      after.grade() == v1::FINDING_GRADE_MINOR_NC || after.grade() == v1::FINDING_GRADE_MAJOR_NC;
  if (closing && nonconformity && absl::StripAsciiWhitespace(after.corrective_action()).empty()) {
    return InvalidArgument("finding.corrective_action",
                           "a nonconformity is closed with the corrective action taken "
                           "(ISO/IEC 27001 10.2)");
  }
  return absl::OkStatus();
}

void RecordFindingClosure(const v1::Finding* before, v1::Finding& after, const Principal& by,
                          absl::Time now) {
  bool was_closed = before != nullptr && before->state() == v1::FINDING_STATE_CLOSED;
  if (after.state() == v1::FINDING_STATE_CLOSED && !was_closed) {
    after.set_closed_by(by.subject());
    *after.mutable_close_time() = ToTimestamp(now);
  } else if (after.state() != v1::FINDING_STATE_CLOSED) {
    after.clear_closed_by();
    after.clear_close_time();
  }
}

void ApplyFindingChange(v1::Engagement& e, const v1::Finding* before, const v1::Finding& after) {
  auto weigh = [&](const v1::Finding& f, int sign) {
    if (f.state() != v1::FINDING_STATE_OPEN) return;
    e.set_open_findings(e.open_findings() + sign);
    if (f.grade() == v1::FINDING_GRADE_MAJOR_NC) {
      e.set_open_major_findings(e.open_major_findings() + sign);
    }
  };
  if (before != nullptr) weigh(*before, -1);
  weigh(after, +1);
}

absl::StatusOr<v1::InquiryCoverage> InquiryCoverageFor(const v1::Engagement& e,
                                                       absl::CivilDay today) {
  if (e.state() == v1::ENGAGEMENT_STATE_TERMINATED) {
    return FailedPrecondition("ENGAGEMENT_NOT_ACTIVE", "the engagement was terminated");
  }
  auto end = ToCivilDay(e.support_end());
  if (end && today <= *end) return v1::INQUIRY_COVERAGE_SUPPORT_INCLUDED;
  auto retainer = ToCivilDay(e.advisory_retainer_end());
  if (retainer && today <= *retainer) return v1::INQUIRY_COVERAGE_ADVISORY_RETAINER;
  return FailedPrecondition("ADVISORY_RETAINER_REQUIRED",
                            "support has ended; e-mail questions need an advisory retainer "
                            "(技術顧問契約)");
}

bool CanSee(const Principal& p, const std::string& tenant, const v1::Engagement& e) {
  if (p.tenant() != tenant) return false;
  if (IsOfficeStaff(p)) return true;
  if (p.organization().empty()) return false;
  if (p.role() == Principal::ROLE_PARTNER) {
    const auto& orgs = e.partner_organizations();
    return std::find(orgs.begin(), orgs.end(), p.organization()) != orgs.end();
  }
  if (p.role() == Principal::ROLE_CLIENT) {
    return e.client() == absl::StrCat("tenants/", tenant, "/clients/", p.organization());
  }
  return false;
}

absl::Status Authorize(const Principal& p, const std::string& tenant, const v1::Engagement& e,
                       absl::string_view method) {
  if (!CanSee(p, tenant, e)) return EngagementsPolicy().Hidden(method);
  return EngagementsPolicy().Allow(p, method);
}

bool CanSeeClient(const Principal& p, const std::string& tenant, const std::string& client_id) {
  if (p.tenant() != tenant) return false;
  if (IsOfficeStaff(p)) return true;
  return p.role() == Principal::ROLE_CLIENT && p.organization() == client_id;
}

}  // namespace certpath::engagements::domain
