// domain/events.cc: what a change publishes, derived from before and after.

#include <gtest/gtest.h>

#include "services/common/validate.h"
#include "services/engagements/domain/events.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

namespace d = engagements::domain;

std::vector<std::string> Types(const std::vector<google::protobuf::Any>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.type_url().substr(e.type_url().rfind('.') + 1));
  return out;
}

v1::Engagement Base() {
  v1::Engagement e;
  e.set_name("tenants/t1/engagements/e1");
  e.set_client("tenants/t1/clients/c1");
  e.set_phase(v1::PHASE_PREPARATION);
  e.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
  *e.mutable_support_start() = Day(2026, 4, 1);
  *e.mutable_support_end() = Day(2027, 9, 30);
  e.set_lead_consultant("kenji@office");
  return e;
}

TEST(EngagementEvents, CreatedAndContractChangesOnly) {
  v1::Engagement e = Base();
  auto created = d::EngagementEvents(nullptr, e);
  ASSERT_EQ(Types(created), std::vector<std::string>{"EngagementChanged"});
  v1::EngagementChanged c;
  ASSERT_TRUE(created[0].UnpackTo(&c));
  EXPECT_TRUE(c.created());
  EXPECT_EQ(c.lead_consultant(), "kenji@office");
  EXPECT_EQ(c.support_end().year(), 2027);
  // A field outside the contract (the department) publishes nothing.
  v1::Engagement after = e;
  after.set_department("総務部");
  EXPECT_TRUE(d::EngagementEvents(&e, after).empty());
  // Each contract field does.
  for (auto change : std::vector<std::function<void(v1::Engagement&)>>{
           [](v1::Engagement& x) { x.set_lead_consultant("sato@office"); },
           [](v1::Engagement& x) { x.add_consultants("ito@office"); },
           [](v1::Engagement& x) { x.add_partner_organizations("p1"); },
           [](v1::Engagement& x) { x.set_phase(v1::PHASE_CONSTRUCTION); },
           [](v1::Engagement& x) { *x.mutable_support_end() = Day(2027, 3, 31); },
           [](v1::Engagement& x) { *x.mutable_advisory_retainer_end() = Day(2028, 3, 31); }}) {
    v1::Engagement a = e;
    change(a);
    auto ev = d::EngagementEvents(&e, a);
    ASSERT_EQ(Types(ev), std::vector<std::string>{"EngagementChanged"});
    ASSERT_TRUE(ev[0].UnpackTo(&c));
    EXPECT_FALSE(c.created());
  }
}

TEST(EngagementEvents, AuditResultsRegistrationAndTermination) {
  v1::Engagement e = Base();
  v1::Engagement a = e;
  auto* r = a.add_audit_results();
  r->set_stage(v1::AUDIT_STAGE_1);
  r->set_outcome(v1::AUDIT_OUTCOME_NOT_READY);
  *r->mutable_audit_date() = Day(2026, 11, 1);
  EXPECT_EQ(Types(d::EngagementEvents(&e, a)), std::vector<std::string>{"AuditResultRecorded"});
  v1::Engagement b = a;
  r = b.add_audit_results();
  r->set_stage(v1::AUDIT_STAGE_1);
  r->set_outcome(v1::AUDIT_OUTCOME_MAY_PROCEED);
  *r->mutable_audit_date() = Day(2026, 11, 20);
  auto ev = d::EngagementEvents(&a, b);
  ASSERT_EQ(Types(ev), (std::vector<std::string>{"AuditResultRecorded", "Stage1Passed"}));
  v1::Stage1Passed s;
  ASSERT_TRUE(ev[1].UnpackTo(&s));
  EXPECT_EQ(s.audit_date().day(), 20);
  EXPECT_EQ(s.engagement(), e.name());

  v1::Engagement c = b;
  *c.mutable_registration_date() = Day(2027, 2, 1);
  c.set_certificate_number("JQA-IM0001");
  c.set_state(v1::ENGAGEMENT_STATE_CERTIFIED);
  EXPECT_EQ(Types(d::EngagementEvents(&b, c)),
            (std::vector<std::string>{"EngagementChanged", "RegistrationRecorded"}));

  v1::Engagement t = e;
  t.set_state(v1::ENGAGEMENT_STATE_TERMINATED);
  *t.mutable_update_time() = ToTimestamp(
      absl::FromCivil(absl::CivilSecond(2026, 12, 1, 0, 30, 0), absl::FixedTimeZone(9 * 3600)));
  ev = d::EngagementEvents(&e, t);
  ASSERT_EQ(Types(ev), (std::vector<std::string>{"EngagementChanged", "EngagementTerminated"}));
  v1::EngagementTerminated term;
  ASSERT_TRUE(ev[1].UnpackTo(&term));
  EXPECT_EQ(term.termination_date().day(), 1);  // Tokyo's date, not UTC's 30 November
}

TEST(FindingEvents, CreatedAndGradeDueDateOrStateChanges) {
  v1::Finding f;
  f.set_name("tenants/t1/engagements/e1/findings/f1");
  f.set_grade(v1::FINDING_GRADE_MINOR_NC);
  f.set_state(v1::FINDING_STATE_OPEN);
  auto ev = d::FindingEvents(nullptr, f);
  ASSERT_EQ(ev.size(), 1u);
  v1::FindingChanged c;
  ASSERT_TRUE(ev[0].UnpackTo(&c));
  EXPECT_TRUE(c.created());
  EXPECT_EQ(c.engagement(), "tenants/t1/engagements/e1");
  v1::Finding advice = f;
  advice.set_advice("手順書を改訂する");
  EXPECT_TRUE(d::FindingEvents(&f, advice).empty());
  v1::Finding due = f;
  *due.mutable_corrective_action_due() = Day(2026, 12, 31);
  EXPECT_EQ(d::FindingEvents(&f, due).size(), 1u);
  v1::Finding closed = f;
  closed.set_state(v1::FINDING_STATE_CLOSED);
  EXPECT_EQ(d::FindingEvents(&f, closed).size(), 1u);
}

TEST(CompleteTaskFromEvent, DoneOnceUnknownRefusedTerminatedIgnored) {
  v1::Engagement e = Base();
  absl::Time now = DefaultNow();
  auto r = d::CompleteTaskFromEvent(e, "cons-c-manual", "kenji@office", "approved", now);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  r = d::CompleteTaskFromEvent(e, "cons-c-manual", "kenji@office", "approved", now);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r) << "already done: nothing changes";
  EXPECT_EQ(d::CompleteTaskFromEvent(e, "no-such-task", "x", "", now).status().code(),
            absl::StatusCode::kNotFound);
  e.set_state(v1::ENGAGEMENT_STATE_TERMINATED);
  r = d::CompleteTaskFromEvent(e, "cons-c-forms", "x", "", now);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

}  // namespace
}  // namespace certpath::testing
