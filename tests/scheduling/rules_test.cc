// The scheduling rules without I/O: visit fields and windows, calendar
// problems, deadlines from an engagement's facts, workloads, feed events.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "services/common/clock.h"
#include "services/common/validate.h"
#include "services/scheduling/domain/policy.h"
#include "services/scheduling/domain/rules.h"

namespace certpath::scheduling::domain {
namespace {

namespace ev1 = certpath::engagements::v1;

google::protobuf::Timestamp At(int y, int m, int d, int hh, int mm) {
  return ToTimestamp(absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), TokyoZone()));
}

v1::Visit Visit(v1::VisitKind kind) {
  v1::Visit v;
  v.set_engagement("tenants/t1/engagements/e1");
  v.set_kind(kind);
  *v.mutable_start_time() = At(2026, 12, 1, 10, 0);
  *v.mutable_end_time() = At(2026, 12, 1, 12, 0);
  v.add_consultants("tenants/t1/consultants/c1");
  if (IsPaid(kind)) v.set_billable_length(v1::BILLABLE_LENGTH_HALF_DAY);
  if (IsPostContract(kind)) v.set_theme("内部監査の進め方");
  return v;
}

v1::EngagementView View() {
  v1::EngagementView e;
  e.set_engagement("tenants/t1/engagements/e1");
  e.set_client("tenants/t1/clients/c1");
  e.set_state(ev1::ENGAGEMENT_STATE_ACTIVE);
  e.set_phase(ev1::PHASE_CONSTRUCTION);
  *e.mutable_support_start() = ToDate(absl::CivilDay(2026, 4, 1));
  *e.mutable_support_end() = ToDate(absl::CivilDay(2027, 9, 30));
  e.set_lead_consultant("kenji@office");
  e.add_consultants("aya@office");
  e.add_partner_organizations("p1");
  return e;
}

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  std::string m(s.message());
  for (const char* f : {"visit.start_time", "visit.end_time", "visit.consultants",
                        "visit.billable_length", "visit.expenses", "visit.theme"}) {
    if (m.find(f) != std::string::npos) out.push_back(f);
  }
  return out;
}

TEST(VisitRules, FieldsOfAGoodVisitPass) {
  for (auto k : {v1::VISIT_KIND_INCLUDED_2, v1::VISIT_KIND_OPTION_A,
                 v1::VISIT_KIND_POST_CONTRACT_GUIDANCE}) {
    FieldViolations v;
    CheckVisitFields(v, Visit(k), nullptr);
    EXPECT_TRUE(v.ToStatus().ok()) << v.ToStatus();
  }
}

TEST(VisitRules, BadFieldsAreNamed) {
  v1::Visit v = Visit(v1::VISIT_KIND_OPTION_B);
  *v.mutable_end_time() = At(2026, 12, 1, 9, 0);  // before the start
  v.clear_billable_length();
  v.add_consultants("tenants/t1/consultants/c1");  // twice
  FieldViolations fv;
  CheckVisitFields(fv, v, nullptr);
  absl::Status s = fv.ToStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Fields(s), (std::vector<std::string>{"visit.end_time", "visit.consultants",
                                                 "visit.billable_length"}));
  // Longer than 12 hours, or across midnight in Tokyo.
  v = Visit(v1::VISIT_KIND_INCLUDED_1);
  *v.mutable_end_time() = At(2026, 12, 2, 1, 0);
  FieldViolations fv2;
  CheckVisitFields(fv2, v, nullptr);
  EXPECT_EQ(Fields(fv2.ToStatus()), std::vector<std::string>{"visit.end_time"});
  // An included visit is not billed; guidance needs its theme.
  v = Visit(v1::VISIT_KIND_INCLUDED_1);
  v.set_billable_length(v1::BILLABLE_LENGTH_DAY);
  auto* x = v.add_expenses();
  x->set_kind(v1::EXPENSE_KIND_TRAVEL);
  x->set_amount_jpy(1200);
  x->set_description("JR");
  FieldViolations fv3;
  CheckVisitFields(fv3, v, nullptr);
  EXPECT_EQ(Fields(fv3.ToStatus()),
            (std::vector<std::string>{"visit.billable_length", "visit.expenses"}));
  v = Visit(v1::VISIT_KIND_POST_CONTRACT_GUIDANCE);
  v.clear_theme();
  FieldViolations fv4;
  CheckVisitFields(fv4, v, nullptr);
  EXPECT_EQ(Fields(fv4.ToStatus()), std::vector<std::string>{"visit.theme"});
}

TEST(VisitRules, WindowsFollowTheSupportPeriod) {
  v1::EngagementView e = View();
  absl::CivilDay in(2026, 12, 1), before(2026, 3, 31), after(2027, 10, 1);
  EXPECT_TRUE(CheckVisitWindow(v1::VISIT_KIND_INCLUDED_1, in, e).ok());
  EXPECT_TRUE(CheckVisitWindow(v1::VISIT_KIND_OPTION_C, absl::CivilDay(2027, 9, 30), e).ok());
  EXPECT_EQ(CheckVisitWindow(v1::VISIT_KIND_INCLUDED_1, before, e).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckVisitWindow(v1::VISIT_KIND_OPTION_A, after, e).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckVisitWindow(v1::VISIT_KIND_POST_CONTRACT_GUIDANCE, in, e).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckVisitWindow(v1::VISIT_KIND_POST_CONTRACT_GUIDANCE, after, e).ok());
  e.set_state(ev1::ENGAGEMENT_STATE_TERMINATED);
  EXPECT_EQ(CheckVisitWindow(v1::VISIT_KIND_INCLUDED_1, in, e).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(AuditRules, AnAuditStartsWithinTheEngagement) {
  v1::EngagementView e = View();  // support from 2026-04-01
  EXPECT_TRUE(CheckAuditStart("f", absl::CivilDay(2026, 4, 1), e).ok());
  EXPECT_TRUE(CheckAuditStart("f", absl::CivilDay(2031, 1, 20), e).ok());  // recertification
  absl::Status s = CheckAuditStart("f", absl::CivilDay(2016, 1, 20), e);   // a typo of 2026
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "2026-04-01")) << s;
  e.clear_support_start();  // not known yet: nothing to compare with
  EXPECT_TRUE(CheckAuditStart("f", absl::CivilDay(2016, 1, 20), e).ok());
}

TEST(VisitRules, AnObservationIsOnTheAuditsDays) {
  v1::Audit a;
  *a.mutable_first_day() = ToDate(absl::CivilDay(2027, 2, 10));
  *a.mutable_last_day() = ToDate(absl::CivilDay(2027, 2, 11));
  EXPECT_TRUE(CheckObservationDay("f", a, absl::CivilDay(2027, 2, 10)).ok());
  EXPECT_TRUE(CheckObservationDay("f", a, absl::CivilDay(2027, 2, 11)).ok());
  absl::Status s = CheckObservationDay("f", a, absl::CivilDay(2027, 2, 12));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "2027-02-10 to 2027-02-11")) << s;
  EXPECT_FALSE(CheckObservationDay("f", a, absl::CivilDay(2027, 2, 9)).ok());
  a.clear_last_day();  // one day
  EXPECT_FALSE(CheckObservationDay("f", a, absl::CivilDay(2027, 2, 11)).ok());
}

TEST(VisitRules, CalendarProblemsNameTheDay) {
  v1::Consultant c;
  c.set_name("tenants/t1/consultants/c1");
  c.add_working_days(v1::MONDAY);
  c.add_working_days(v1::TUESDAY);
  BusinessCalendar cal(
      {Closure{absl::CivilDay(2026, 12, 29), absl::CivilDay(2027, 1, 3), "年末年始"}});
  EXPECT_EQ(CalendarProblem(c, absl::CivilDay(2026, 12, 1), cal), "");  // a Tuesday
  EXPECT_NE(CalendarProblem(c, absl::CivilDay(2026, 12, 2), cal).find("水曜日"), std::string::npos);
  EXPECT_NE(CalendarProblem(c, absl::CivilDay(2026, 11, 23), cal).find("勤労感謝の日"),
            std::string::npos);
  EXPECT_NE(CalendarProblem(c, absl::CivilDay(2026, 12, 29), cal).find("年末年始"),
            std::string::npos);
}

TEST(VisitRules, OverlapIsHalfOpen) {
  absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_TRUE(Overlaps(t, t + absl::Hours(2), t + absl::Hours(1), t + absl::Hours(3)));
  EXPECT_FALSE(Overlaps(t, t + absl::Hours(2), t + absl::Hours(2), t + absl::Hours(3)));
  EXPECT_TRUE(Overlaps(t, t + absl::Hours(5), t + absl::Hours(1), t + absl::Hours(2)));
}

TEST(VisitRules, TasksAndVisibility) {
  EXPECT_EQ(TaskIdFor(v1::VISIT_KIND_INCLUDED_2), "cons-o-visit-2");
  EXPECT_EQ(TaskIdFor(v1::VISIT_KIND_OPTION_A), "");
  v1::EngagementView e = View();
  Principal partner;
  partner.set_tenant("t1");
  partner.set_role(Principal::ROLE_PARTNER);
  partner.set_organization("p1");
  EXPECT_TRUE(Sees(partner, e));
  partner.set_organization("p2");
  EXPECT_FALSE(Sees(partner, e));
  Principal client;
  client.set_tenant("t1");
  client.set_role(Principal::ROLE_CLIENT);
  client.set_organization("c1");
  EXPECT_TRUE(Sees(client, e));
  client.set_organization("c2");
  EXPECT_FALSE(Sees(client, e));
}

TEST(Deadlines, FromRegistrationFollowIso17021) {
  v1::EngagementView e = View();
  *e.mutable_registration_date() = ToDate(absl::CivilDay(2027, 6, 15));
  e.set_state(ev1::ENGAGEMENT_STATE_CERTIFIED);
  *e.mutable_advisory_retainer_end() = ToDate(absl::CivilDay(2028, 6, 30));
  auto d = EngagementDeadlines("t1", e, {});
  ASSERT_EQ(d.size(), 5u);
  auto due = [&](const std::string& id) { return *ToCivilDay(d.at(id).due_date()); };
  EXPECT_EQ(due("e1-support-end"), absl::CivilDay(2027, 9, 30));
  EXPECT_TRUE(d.at("e1-support-end").satisfied());  // registered
  EXPECT_EQ(due("e1-surveillance-1"), absl::CivilDay(2028, 6, 14));
  EXPECT_EQ(due("e1-surveillance-2"), absl::CivilDay(2029, 12, 31));
  EXPECT_EQ(due("e1-recertification"), absl::CivilDay(2030, 6, 14));
  EXPECT_EQ(due("e1-retainer"), absl::CivilDay(2028, 6, 30));
  EXPECT_FALSE(d.at("e1-surveillance-1").satisfied());
  EXPECT_EQ(d.at("e1-surveillance-1").consultants_size(), 2);
  // A surveillance audit planned meets its deadline; the second follows its year.
  v1::Audit a;
  a.set_name("tenants/t1/audits/a1");
  a.set_kind(v1::AUDIT_KIND_SURVEILLANCE_1);
  *a.mutable_first_day() = ToDate(absl::CivilDay(2028, 5, 10));
  d = EngagementDeadlines("t1", e, {a});
  EXPECT_TRUE(d.at("e1-surveillance-1").satisfied());
  EXPECT_EQ(d.at("e1-surveillance-1").planned_audit(), "tenants/t1/audits/a1");
  EXPECT_EQ(due("e1-surveillance-2"), absl::CivilDay(2029, 12, 31));
  // Planned after the due date, it is named but does not meet it.
  *a.mutable_first_day() = ToDate(absl::CivilDay(2028, 6, 15));
  d = EngagementDeadlines("t1", e, {a});
  EXPECT_FALSE(d.at("e1-surveillance-1").satisfied());
  EXPECT_EQ(d.at("e1-surveillance-1").planned_audit(), "tenants/t1/audits/a1");
  // A second one planned in time meets it, whichever is listed first.
  v1::Audit replanned = a;
  replanned.set_name("tenants/t1/audits/a2");
  *replanned.mutable_first_day() = ToDate(absl::CivilDay(2028, 6, 1));
  d = EngagementDeadlines("t1", e, {a, replanned});
  EXPECT_TRUE(d.at("e1-surveillance-1").satisfied());
  EXPECT_EQ(d.at("e1-surveillance-1").planned_audit(), "tenants/t1/audits/a2");
  // An ended engagement's deadlines are met, a late audit or not.
  v1::EngagementView ended = e;
  ended.set_state(ev1::ENGAGEMENT_STATE_TERMINATED);
  EXPECT_TRUE(EngagementDeadlines("t1", ended, {a}).at("e1-surveillance-1").satisfied());
  *a.mutable_first_day() = ToDate(absl::CivilDay(2028, 6, 14));
  d = EngagementDeadlines("t1", e, {a});
  EXPECT_TRUE(d.at("e1-surveillance-1").satisfied());
  // Cancelled, it meets nothing, and feeds show it cancelled.
  a.set_state(v1::AUDIT_STATE_CANCELLED);
  d = EngagementDeadlines("t1", e, {a});
  EXPECT_FALSE(d.at("e1-surveillance-1").satisfied());
  EXPECT_EQ(d.at("e1-surveillance-1").planned_audit(), "");
  EXPECT_TRUE(AuditEvent(a, "t1", absl::Now()).cancelled);
  a.set_state(v1::AUDIT_STATE_PLANNED);
  EXPECT_FALSE(AuditEvent(a, "t1", absl::Now()).cancelled);
  // A leap day registration expires on 2/28.
  *e.mutable_registration_date() = ToDate(absl::CivilDay(2028, 2, 29));
  d = EngagementDeadlines("t1", e, {});
  EXPECT_EQ(due("e1-recertification"), absl::CivilDay(2031, 2, 27));
}

TEST(Deadlines, BeforeRegistrationOnlyTheSupportEnd) {
  auto d = EngagementDeadlines("t1", View(), {});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d.begin()->second.satisfied());
  v1::EngagementView ended = View();
  ended.set_state(ev1::ENGAGEMENT_STATE_TERMINATED);
  EXPECT_TRUE(EngagementDeadlines("t1", ended, {}).begin()->second.satisfied());
}

TEST(Workload, CountsWeeksAndMonthsWithoutCancelled) {
  v1::Consultant c;
  c.set_name("tenants/t1/consultants/c1");
  c.set_weekly_visit_capacity(3);
  std::vector<v1::Visit> visits;
  for (int day : {1, 2, 8}) {
    v1::Visit v = Visit(v1::VISIT_KIND_OPTION_A);
    *v.mutable_start_time() = At(2026, 12, day, 10, 0);
    v.set_billable_length(day == 8 ? v1::BILLABLE_LENGTH_DAY : v1::BILLABLE_LENGTH_HALF_DAY);
    v.set_state(v1::VISIT_STATE_CONFIRMED);
    visits.push_back(v);
  }
  visits.back().set_state(v1::VISIT_STATE_CANCELLED);
  auto w = Workload(c, visits, absl::CivilDay(2026, 11, 30), absl::CivilDay(2026, 12, 13));
  ASSERT_EQ(w.weeks_size(), 2);
  EXPECT_EQ(w.weeks(0).label(), "2026-W49");
  EXPECT_EQ(w.weeks(0).visits(), 2);
  EXPECT_EQ(w.weeks(0).billable_half_days(), 2);
  EXPECT_EQ(w.weeks(0).capacity(), 3);
  EXPECT_EQ(w.weeks(1).visits(), 0);
  ASSERT_EQ(w.months_size(), 2);
  EXPECT_EQ(w.months(1).label(), "2026-12");
  EXPECT_EQ(w.months(1).visits(), 2);
}

TEST(FeedEvents, VisitsAreTimedAuditsAllDay) {
  v1::Visit v = Visit(v1::VISIT_KIND_INCLUDED_2);
  v.set_name("tenants/t1/visits/v1");
  v.set_location("東京都千代田区");
  v.set_sequence(3);
  v.set_state(v1::VISIT_STATE_CANCELLED);
  IcsEvent e = VisitEvent(v, "t1", absl::Now());
  EXPECT_EQ(e.uid, "visit-v1@t1.certpath");
  EXPECT_EQ(e.sequence, 3);
  EXPECT_TRUE(e.cancelled);
  EXPECT_FALSE(e.all_day);
  v1::Audit a;
  a.set_name("tenants/t1/audits/a1");
  a.set_kind(v1::AUDIT_KIND_STAGE2);
  *a.mutable_first_day() = ToDate(absl::CivilDay(2027, 2, 3));
  *a.mutable_last_day() = ToDate(absl::CivilDay(2027, 2, 4));
  IcsEvent ae = AuditEvent(a, "t1", absl::Now());
  EXPECT_TRUE(ae.all_day);
  EXPECT_EQ(ae.last_day, absl::CivilDay(2027, 2, 4));
  EXPECT_EQ(ae.summary, "第2段階審査");
}

TEST(Erasure, ClientAttendeesBecomePlaceholdersOnce) {
  v1::Visit v;
  v.add_client_attendees("山本 三郎 (yamamoto@example.jp)");
  v.add_client_attendees("田中 花子");
  v.set_agenda("内部監査の計画");
  ASSERT_TRUE(EraseClientAttendees(v));
  EXPECT_EQ(v.client_attendees(0), "（消去済み）");
  EXPECT_EQ(v.client_attendees(1), "（消去済み）");
  EXPECT_EQ(v.agenda(), "内部監査の計画");
  EXPECT_EQ(v.sequence(), 1);
  EXPECT_FALSE(EraseClientAttendees(v));  // nothing left to erase: unchanged
  EXPECT_EQ(v.sequence(), 1);
  v1::Visit none;
  EXPECT_FALSE(EraseClientAttendees(none));
}

TEST(SchedulingPolicy, CoversEveryRpc) {
  EXPECT_TRUE(SchedulingPolicy().CheckCovers("certpath.scheduling.v1.SchedulingService").ok());
}

}  // namespace
}  // namespace certpath::scheduling::domain
