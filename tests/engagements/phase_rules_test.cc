// The phase machine: checklist creation, gates, overrides, task ownership,
// audit results, registration, findings counters.

#include <gtest/gtest.h>

#include <set>

#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/domain/rules.h"

namespace certpath::engagements::domain {
namespace {

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 11, 26, 10, 0, 0), TokyoZone());

Principal P(Principal::Role role, std::string org = "") {
  Principal p;
  p.set_tenant("t1");
  p.set_subject("someone");
  p.set_role(role);
  p.set_organization(org);
  return p;
}
const Principal kAdmin = P(Principal::ROLE_OFFICE_ADMIN);
const Principal kConsultant = P(Principal::ROLE_CONSULTANT);
const Principal kClient = P(Principal::ROLE_CLIENT, "c1");

v1::Engagement NewEngagement() {
  v1::Engagement e;
  e.set_name("tenants/t1/engagements/e1");
  e.set_client("tenants/t1/clients/c1");
  e.set_standard("ISO_IEC_27001_2022");
  *e.mutable_support_start() = ToDate(absl::CivilDay(2026, 4, 1));
  InitializeEngagement(e, kNow);
  return e;
}

// Marks every required task of the current phase done, by its owning side.
void FinishPhaseTasks(v1::Engagement& e) {
  for (const auto& t : TaskTemplates()) {
    if (t.phase != e.phase() || !t.required) continue;
    const Principal& by = t.side == v1::SIDE_CLIENT ? kClient : kConsultant;
    ASSERT_TRUE(UpdateTask(e, by, t.id, v1::TASK_STATUS_DONE, "", kNow).ok()) << t.id;
  }
}

TEST(Catalog, ChecklistCoversThePhaseTable) {
  v1::Engagement e = NewEngagement();
  EXPECT_EQ(e.phase(), v1::PHASE_PREPARATION);
  EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_ACTIVE);
  EXPECT_EQ(e.task_states_size(), 0);  // nothing done yet
  std::vector<v1::Task> tasks = ListTasks(e, v1::PHASE_UNSPECIFIED);
  ASSERT_EQ(tasks.size(), TaskTemplates().size());
  for (const auto& t : tasks) EXPECT_EQ(t.status(), v1::TASK_STATUS_OPEN) << t.task_id();
  EXPECT_EQ(e.support_end().year(), 2027);
  EXPECT_EQ(e.support_end().month(), 10);
  std::set<v1::Phase> phases;
  std::set<std::string> ids;
  for (const auto& t : TaskTemplates()) {
    phases.insert(t.phase);
    EXPECT_TRUE(ids.insert(t.id).second) << "duplicate id " << t.id;
    EXPECT_TRUE(IsValidId(t.id)) << t.id;
  }
  EXPECT_EQ(phases.size(), 8u);
  for (const char* visit : kVisitTaskIds) {
    const TaskTemplate* t = FindTask(visit);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->phase, v1::PHASE_CONSTRUCTION);
    EXPECT_EQ(t->side, v1::SIDE_OFFICE);
  }
}

TEST(Catalog, TitlesFollowTheStandard) {
  const TaskTemplate* t = FindTask("cons-c-manual");
  EXPECT_EQ(TaskTitleJa(*t, *FindStandard("ISO_IEC_27001_2022")), "「ISMSマニュアル」の作成・制定");
  EXPECT_EQ(TaskTitleJa(*t, *FindStandard("ISO_9001_2015")), "「QMSマニュアル」の作成・制定");
  EXPECT_EQ(TaskTitleEn(*FindTask("cons-c-policy"), *FindStandard("ISO_14001_2015")),
            "Set the environmental policy and objectives");
}

TEST(Advance, RequiresTheRequiredTasks) {
  v1::Engagement e = NewEngagement();
  absl::Status s = AdvancePhase(e, kConsultant, "", kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "PHASE_GATE_NOT_MET");
  EXPECT_EQ(e.phase(), v1::PHASE_PREPARATION);
  FinishPhaseTasks(e);
  ASSERT_TRUE(AdvancePhase(e, kConsultant, "", kNow).ok());
  EXPECT_EQ(e.phase(), v1::PHASE_CONSTRUCTION);
  ASSERT_EQ(e.transitions_size(), 1);
  EXPECT_EQ(e.transitions(0).from(), v1::PHASE_PREPARATION);
  EXPECT_TRUE(e.transitions(0).override_reason().empty());
}

TEST(Advance, NotApplicableCountsAsDone) {
  v1::Engagement e = NewEngagement();
  for (const auto& t : TaskTemplates()) {
    if (t.phase != v1::PHASE_PREPARATION) continue;
    const Principal& by = t.side == v1::SIDE_CLIENT ? kClient : kConsultant;
    ASSERT_TRUE(UpdateTask(e, by, t.id, v1::TASK_STATUS_NOT_APPLICABLE, "n/a", kNow).ok());
  }
  EXPECT_TRUE(AdvancePhase(e, kConsultant, "", kNow).ok());
}

TEST(Advance, OverrideOnlyByAdminWithReasonAndRecorded) {
  v1::Engagement e = NewEngagement();
  EXPECT_EQ(AdvancePhase(e, kConsultant, "client is in a hurry", kNow).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(AdvancePhase(e, kAdmin, "contract signed on paper", kNow).ok());
  EXPECT_EQ(e.phase(), v1::PHASE_CONSTRUCTION);
  EXPECT_EQ(e.transitions(0).override_reason(), "contract signed on paper");
  EXPECT_EQ(e.transitions(0).overridden_size(), 1);
}

// Walks an engagement to `target` honestly.
void WalkTo(v1::Engagement& e, v1::Phase target) {
  while (e.phase() < target) {
    FinishPhaseTasks(e);
    if (e.phase() == v1::PHASE_STAGE1_AUDIT) {
      bool passed = false;
      ASSERT_TRUE(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_1,
                                    v1::AUDIT_OUTCOME_MAY_PROCEED, absl::CivilDay(2026, 11, 20), "",
                                    kNow, &passed)
                      .ok());
      EXPECT_TRUE(passed);
    }
    if (e.phase() == v1::PHASE_STAGE2_AUDIT) {
      bool passed = true;
      ASSERT_TRUE(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_2,
                                    v1::AUDIT_OUTCOME_RECOMMENDED, absl::CivilDay(2026, 11, 25), "",
                                    kNow, &passed)
                      .ok());
      EXPECT_FALSE(passed);
    }
    ASSERT_TRUE(AdvancePhase(e, kConsultant, "", kNow).ok()) << v1::Phase_Name(e.phase());
  }
}

TEST(Gates, StageOneNeedsMayProceed) {
  v1::Engagement e = NewEngagement();
  WalkTo(e, v1::PHASE_STAGE1_AUDIT);
  FinishPhaseTasks(e);
  absl::Status s = AdvancePhase(e, kConsultant, "", kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("MAY_PROCEED"), absl::string_view::npos);
  bool passed = true;
  ASSERT_TRUE(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_1, v1::AUDIT_OUTCOME_NOT_READY,
                                absl::CivilDay(2026, 11, 1), "", kNow, &passed)
                  .ok());
  EXPECT_FALSE(passed);
  EXPECT_FALSE(AdvancePhase(e, kConsultant, "", kNow).ok());
  ASSERT_TRUE(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_1, v1::AUDIT_OUTCOME_MAY_PROCEED,
                                absl::CivilDay(2026, 11, 20), "", kNow, &passed)
                  .ok());
  EXPECT_TRUE(passed);
  // The billing trigger fires once: a second "may proceed" is refused.
  EXPECT_EQ(ErrorReason(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_1,
                                          v1::AUDIT_OUTCOME_MAY_PROCEED,
                                          absl::CivilDay(2026, 11, 21), "", kNow, &passed)),
            "STAGE1_ALREADY_PASSED");
  EXPECT_TRUE(AdvancePhase(e, kConsultant, "", kNow).ok());
  EXPECT_EQ(e.phase(), v1::PHASE_OPERATION_2);
}

TEST(AuditResults, CheckedAgainstPhaseStageAndDate) {
  v1::Engagement e = NewEngagement();
  bool passed = false;
  EXPECT_EQ(ErrorReason(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_1,
                                          v1::AUDIT_OUTCOME_MAY_PROCEED,
                                          absl::CivilDay(2026, 11, 1), "", kNow, &passed)),
            "WRONG_PHASE");
  WalkTo(e, v1::PHASE_STAGE1_AUDIT);
  EXPECT_EQ(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_1, v1::AUDIT_OUTCOME_RECOMMENDED,
                              absl::CivilDay(2026, 11, 1), "", kNow, &passed)
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_1, v1::AUDIT_OUTCOME_MAY_PROCEED,
                              absl::CivilDay(2026, 11, 27), "", kNow, &passed)
                .code(),
            absl::StatusCode::kInvalidArgument);  // tomorrow in Tokyo
  EXPECT_FALSE(passed);
}

// Overridden past stage 1 without its result, the pass is still the fee's
// trigger: it is recorded late, once, in any later phase, certified or not.
TEST(AuditResults, AStage1PassOverriddenPastIsRecordedLate) {
  v1::Engagement e = NewEngagement();
  WalkTo(e, v1::PHASE_STAGE1_AUDIT);
  {  // Still in stage 1 when the 18 months ran out: the pass is taken.
    v1::Engagement expired = e;
    *expired.mutable_support_end() = ToDate(absl::CivilDay(2026, 10, 1));
    ASSERT_EQ(EffectiveState(expired, TokyoDay(kNow)), v1::ENGAGEMENT_STATE_EXPIRED);
    bool passed = false;
    ASSERT_TRUE(RecordAuditResult(expired, kConsultant, v1::AUDIT_STAGE_1,
                                  v1::AUDIT_OUTCOME_MAY_PROCEED, absl::CivilDay(2026, 9, 25), "",
                                  kNow, &passed)
                    .ok());
    EXPECT_TRUE(passed);
  }
  ASSERT_TRUE(AdvancePhase(e, kAdmin, "審査結果は後日入力", kNow).ok());
  EXPECT_EQ(e.phase(), v1::PHASE_OPERATION_2);
  v1::Engagement certified = e;
  v1::Engagement terminated = e;
  bool passed = false;
  // A late result is only the pass: anything else is recorded in its phase.
  EXPECT_EQ(
      ErrorReason(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_1, v1::AUDIT_OUTCOME_NOT_READY,
                                    absl::CivilDay(2026, 11, 20), "", kNow, &passed)),
      "WRONG_PHASE");
  ASSERT_TRUE(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_1, v1::AUDIT_OUTCOME_MAY_PROCEED,
                                absl::CivilDay(2026, 11, 20), "", kNow, &passed)
                  .ok());
  EXPECT_TRUE(passed);
  EXPECT_EQ(e.phase(), v1::PHASE_OPERATION_2);  // where it was
  EXPECT_EQ(ErrorReason(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_1,
                                          v1::AUDIT_OUTCOME_MAY_PROCEED,
                                          absl::CivilDay(2026, 11, 21), "", kNow, &passed)),
            "STAGE1_ALREADY_PASSED");
  // Not dated after what followed it.
  v1::Engagement registered = certified;
  while (registered.phase() < v1::PHASE_OPERATION_3) {
    ASSERT_TRUE(AdvancePhase(registered, kAdmin, "移行データ", kNow).ok());
  }
  ASSERT_TRUE(
      RecordRegistration(registered, kAdmin, absl::CivilDay(2026, 11, 10), "", "移行", kNow).ok());
  EXPECT_EQ(ViolatedFields(RecordAuditResult(registered, kConsultant, v1::AUDIT_STAGE_1,
                                             v1::AUDIT_OUTCOME_MAY_PROCEED,
                                             absl::CivilDay(2026, 11, 12), "", kNow, &passed)),
            std::vector<std::string>{"audit_date"});
  // Certified by overrides all the way: still recorded.
  while (certified.phase() < v1::PHASE_OPERATION_3) {
    ASSERT_TRUE(AdvancePhase(certified, kAdmin, "移行データ", kNow).ok());
  }
  ASSERT_TRUE(
      RecordRegistration(certified, kAdmin, absl::CivilDay(2026, 11, 25), "", "移行データ", kNow)
          .ok());
  ASSERT_EQ(certified.state(), v1::ENGAGEMENT_STATE_CERTIFIED);
  ASSERT_TRUE(RecordAuditResult(certified, kConsultant, v1::AUDIT_STAGE_1,
                                v1::AUDIT_OUTCOME_MAY_PROCEED, absl::CivilDay(2026, 11, 20), "",
                                kNow, &passed)
                  .ok());
  EXPECT_TRUE(passed);
  // A terminated engagement is not billed this way.
  ASSERT_TRUE(Terminate(terminated, kAdmin, "契約解除", kNow).ok());
  passed = true;
  EXPECT_EQ(ErrorReason(RecordAuditResult(terminated, kConsultant, v1::AUDIT_STAGE_1,
                                          v1::AUDIT_OUTCOME_MAY_PROCEED,
                                          absl::CivilDay(2026, 11, 20), "", kNow, &passed)),
            "ENGAGEMENT_NOT_ACTIVE");
  EXPECT_FALSE(passed);
}

// No override enters certification without its registration date (support
// end and surveillance deadlines come from it); one certified that way
// before gets its registration recorded afterwards.
TEST(Gates, CertificationIsEnteredOnlyByRecordingTheRegistration) {
  v1::Engagement e = NewEngagement();
  while (e.phase() < v1::PHASE_OPERATION_3) ASSERT_TRUE(AdvancePhase(e, kAdmin, "移行", kNow).ok());
  EXPECT_EQ(ErrorReason(AdvancePhase(e, kAdmin, "登録証は後日", kNow)), "REGISTRATION_REQUIRED");
  EXPECT_EQ(e.phase(), v1::PHASE_OPERATION_3);
  // As an override left it before the rule: certified, no registration.
  v1::Engagement before_rule = e;
  before_rule.set_phase(v1::PHASE_CERTIFICATION);
  before_rule.set_state(v1::ENGAGEMENT_STATE_CERTIFIED);
  int transitions = before_rule.transitions_size();
  ASSERT_TRUE(
      RecordRegistration(before_rule, kConsultant, absl::CivilDay(2026, 11, 20), "IS 9", "", kNow)
          .ok());
  EXPECT_EQ(ToCivilDay(before_rule.registration_date()), absl::CivilDay(2026, 11, 20));
  EXPECT_EQ(ToCivilDay(before_rule.support_end()), absl::CivilDay(2026, 11, 20));
  EXPECT_EQ(before_rule.certificate_number(), "IS 9");
  EXPECT_EQ(before_rule.transitions_size(), transitions);  // no second entry into certification
  // Once only: a certified engagement with its registration is not recorded again.
  EXPECT_EQ(ErrorReason(RecordRegistration(before_rule, kConsultant, absl::CivilDay(2026, 11, 21),
                                           "IS 10", "", kNow)),
            "ENGAGEMENT_NOT_ACTIVE");
}

// Stage 1, stage 2 and registration come in that order of dates.
TEST(AuditResults, DatesFollowStageOneStageTwoRegistration) {
  v1::Engagement e = NewEngagement();
  WalkTo(e, v1::PHASE_STAGE2_AUDIT);  // stage 1 passed on 2026-11-20
  bool passed = false;
  EXPECT_EQ(ViolatedFields(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_2,
                                             v1::AUDIT_OUTCOME_RECOMMENDED,
                                             absl::CivilDay(2026, 11, 19), "", kNow, &passed)),
            std::vector<std::string>{"audit_date"});
  ASSERT_TRUE(RecordAuditResult(e, kConsultant, v1::AUDIT_STAGE_2, v1::AUDIT_OUTCOME_RECOMMENDED,
                                absl::CivilDay(2026, 11, 24), "", kNow, &passed)
                  .ok());
  while (e.phase() < v1::PHASE_OPERATION_3) {
    FinishPhaseTasks(e);
    ASSERT_TRUE(AdvancePhase(e, kConsultant, "", kNow).ok());
  }
  FinishPhaseTasks(e);
  absl::Status early =
      RecordRegistration(e, kConsultant, absl::CivilDay(2026, 11, 23), "IS 1", "", kNow);
  EXPECT_EQ(ViolatedFields(early), std::vector<std::string>{"registration_date"});
  EXPECT_NE(std::string(early.message()).find("2026-11-24"), std::string::npos) << early;
  EXPECT_EQ(e.phase(), v1::PHASE_OPERATION_3);  // nothing changed
  ASSERT_TRUE(
      RecordRegistration(e, kConsultant, absl::CivilDay(2026, 11, 24), "IS 1", "", kNow).ok());
}

// A nonconformity is closed with the corrective action taken (10.2).
TEST(Findings, ANonconformityIsClosedWithItsCorrectiveAction) {
  v1::Finding open;
  open.set_grade(v1::FINDING_GRADE_MAJOR_NC);
  open.set_state(v1::FINDING_STATE_OPEN);
  v1::Finding closed = open;
  closed.set_state(v1::FINDING_STATE_CLOSED);
  EXPECT_EQ(ViolatedFields(CheckClosure(&open, closed)),
            std::vector<std::string>{"finding.corrective_action"});
  EXPECT_FALSE(CheckClosure(nullptr, closed).ok());  // created closed: the same
  closed.set_corrective_action(" ");
  EXPECT_FALSE(CheckClosure(&open, closed).ok());
  closed.set_corrective_action("アクセス権の見直し手順を制定");
  EXPECT_TRUE(CheckClosure(&open, closed).ok());
  // Already closed (kept as it was), or not a nonconformity: no rule.
  v1::Finding legacy = open;
  legacy.set_state(v1::FINDING_STATE_CLOSED);
  EXPECT_TRUE(CheckClosure(&legacy, legacy).ok());
  v1::Finding observation = legacy;
  observation.set_grade(v1::FINDING_GRADE_OBSERVATION);
  EXPECT_TRUE(CheckClosure(nullptr, observation).ok());
}

TEST(Gates, StageTwoNeedsAResultAndCertificationNeedsRegistrationAndNoMajor) {
  v1::Engagement e = NewEngagement();
  WalkTo(e, v1::PHASE_STAGE2_AUDIT);
  FinishPhaseTasks(e);
  EXPECT_FALSE(AdvancePhase(e, kConsultant, "", kNow).ok());
  WalkTo(e, v1::PHASE_OPERATION_3);
  FinishPhaseTasks(e);
  // Without registration the operation-3 gate does not hold.
  EXPECT_NE(AdvancePhase(e, kConsultant, "", kNow).message().find("registration"),
            absl::string_view::npos);
  v1::Finding major;
  major.set_grade(v1::FINDING_GRADE_MAJOR_NC);
  major.set_state(v1::FINDING_STATE_OPEN);
  ApplyFindingChange(e, nullptr, major);
  EXPECT_EQ(e.open_major_findings(), 1);
  absl::Status s =
      RecordRegistration(e, kConsultant, absl::CivilDay(2026, 11, 25), "IS 123", "", kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("major"), absl::string_view::npos);
  EXPECT_EQ(e.registration_date().year(), 0);  // nothing changed
  v1::Finding closed = major;
  closed.set_state(v1::FINDING_STATE_CLOSED);
  ApplyFindingChange(e, &major, closed);
  EXPECT_EQ(e.open_major_findings(), 0);
  EXPECT_EQ(e.open_findings(), 0);
  ASSERT_TRUE(
      RecordRegistration(e, kConsultant, absl::CivilDay(2026, 11, 25), "IS 123", "", kNow).ok());
  EXPECT_EQ(e.phase(), v1::PHASE_CERTIFICATION);
  EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_CERTIFIED);
  EXPECT_EQ(ToCivilDay(e.support_end()), absl::CivilDay(2026, 11, 25));  // support ends
  EXPECT_EQ(ErrorReason(AdvancePhase(e, kAdmin, "why not", kNow)), "ENGAGEMENT_NOT_ACTIVE");
}

TEST(Tasks, EachSideCompletesOnlyItsOwn) {
  v1::Engagement e = NewEngagement();
  EXPECT_EQ(UpdateTask(e, kConsultant, "prep-c-certification-body", v1::TASK_STATUS_DONE, "", kNow)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(UpdateTask(e, kClient, "prep-o-quote", v1::TASK_STATUS_DONE, "", kNow).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(UpdateTask(e, kClient, "no-such-task", v1::TASK_STATUS_DONE, "", kNow).status().code(),
            absl::StatusCode::kNotFound);
  auto t = UpdateTask(e, kClient, "prep-c-certification-body", v1::TASK_STATUS_DONE, "JQA", kNow);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status(), v1::TASK_STATUS_DONE);
  EXPECT_EQ(t->title_ja(), "認証機関の決定");
  EXPECT_EQ(t->note(), "JQA");
  // A later phase's task waits for its phase.
  EXPECT_EQ(
      ErrorReason(
          UpdateTask(e, kConsultant, "cons-o-visit-1", v1::TASK_STATUS_DONE, "", kNow).status()),
      "PHASE_NOT_REACHED");
}

TEST(Terminate, EndsAnActiveEngagementOnce) {
  v1::Engagement e = NewEngagement();
  ASSERT_TRUE(Terminate(e, kAdmin, "client withdrew", kNow).ok());
  EXPECT_EQ(e.state(), v1::ENGAGEMENT_STATE_TERMINATED);
  EXPECT_FALSE(Terminate(e, kAdmin, "again", kNow).ok());
  EXPECT_EQ(ErrorReason(AdvancePhase(e, kAdmin, "x", kNow)), "ENGAGEMENT_NOT_ACTIVE");
}

TEST(Expiry, AnExpiredEngagementCannotAdvance) {
  v1::Engagement e = NewEngagement();
  FinishPhaseTasks(e);
  absl::Time later = absl::FromCivil(absl::CivilSecond(2027, 10, 2, 0, 0, 0), TokyoZone());
  EXPECT_EQ(ErrorReason(AdvancePhase(e, kConsultant, "", later)), "ENGAGEMENT_NOT_ACTIVE");
}

}  // namespace
}  // namespace certpath::engagements::domain
