// The scheduling service with engagements and billing, all in process over
// real gRPC on one real redis-server: engagements' events reaching
// scheduling, the booking rules, visits done becoming a checklist task and an
// invoice through the shared event delivery, deadlines, access, calendar
// feeds read back by an independent parser (python3-icalendar).

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "certpath/billing/v1/billing.grpc.pb.h"
#include "certpath/scheduling/v1/scheduling.grpc.pb.h"
#include "services/billing/app.h"
#include "services/common/validate.h"
#include "services/scheduling/app.h"
#include "tests/support/billing_setup.h"
#include "tests/support/fixtures.h"

namespace certpath::testing {
namespace {

namespace bv1 = certpath::billing::v1;
namespace sv1 = certpath::scheduling::v1;
using EStub = v1::EngagementService::Stub;
using BStub = bv1::BillingService::Stub;
using SStub = sv1::SchedulingService::Stub;

const Principal kPartner = MakePrincipal(Principal::ROLE_PARTNER, "sato@partner", "p1");
const Principal kOtherPartner = MakePrincipal(Principal::ROLE_PARTNER, "ito@other", "p2");
const Principal kOtherTenant = MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "admin@t2", "", "t2");

google::protobuf::Timestamp At(int y, int m, int d, int hh, int mm) {
  return ToTimestamp(absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), TokyoZone()));
}

class SchedulingTest : public ::testing::Test {
 protected:
  SchedulingTest()
      : clock(DefaultNow()),
        billing_port(FreePort()),
        scheduling_port(FreePort()),
        eng(redis, clock,
            [this](engagements::AppOptions& o) {
              o.consumer_targets["billing"] = Local(billing_port);
              o.consumer_targets["scheduling"] = Local(scheduling_port);
              o.relay_poll_interval = absl::Milliseconds(100);
            }),
        bill(redis, clock,
             [this](billing::AppOptions& o) {
               o.host.server.listen = Local(billing_port);
               o.engagements_target = eng.target();
             }),
        sched(redis, clock, [this](scheduling::AppOptions& o) {
          o.host.server.listen = Local(scheduling_port);
          o.consumer_targets["engagements"] = eng.target();
          o.consumer_targets["billing"] = Local(billing_port);
          o.relay_poll_interval = absl::Milliseconds(100);
        }) {
    eng.Start();
    bill.Start();
    sched.Start();
    EXPECT_TRUE(eng.ready() && bill.ready() && sched.ready());
    EXPECT_TRUE(SetUpIssuer(*bill.stub, kAdmin, false).ok());
  }

  static std::string Local(int port) { return absl::StrCat("127.0.0.1:", port); }

  // An engagement (support from 2026-04-01) that scheduling has learnt of.
  v1::Engagement NewEngagement(std::vector<std::string> partners = {"p1"}) {
    v1::CreateClientRequest creq;
    creq.set_parent("tenants/t1");
    creq.mutable_client()->set_display_name("株式会社デモ");
    v1::Client c;
    EXPECT_TRUE(eng.Call(&EStub::CreateClient, kAdmin, creq, &c).ok());
    v1::Engagement e;
    EXPECT_TRUE(
        eng.Call(&EStub::CreateEngagement, kAdmin, EngagementRequest(c.name(), partners), &e).ok());
    WaitKnown(e.name());
    return e;
  }
  void WaitKnown(const std::string& engagement) {
    sv1::ListDeadlinesRequest req;
    req.set_parent("tenants/t1");
    req.set_engagement(engagement);
    sv1::ListDeadlinesResponse resp;
    absl::Status s;
    for (int i = 0; i < 200; ++i) {
      s = sched.Call(&SStub::ListDeadlines, kAdmin, req, &resp);
      if (s.ok()) return;
      absl::SleepFor(absl::Milliseconds(25));
    }
    FAIL() << "scheduling never learnt of " << engagement << ": " << s;
  }

  sv1::Consultant NewConsultant(const std::string& subject, const std::string& name_ja) {
    sv1::CreateConsultantRequest req;
    req.set_parent("tenants/t1");
    req.mutable_consultant()->set_subject(subject);
    req.mutable_consultant()->set_display_name_ja(name_ja);
    req.mutable_consultant()->set_weekly_visit_capacity(10);
    sv1::Consultant c;
    absl::Status s = sched.Call(&SStub::CreateConsultant, kAdmin, req, &c);
    EXPECT_TRUE(s.ok()) << s;
    return c;
  }

  static sv1::BookVisitRequest Booking(const std::string& engagement, sv1::VisitKind kind,
                                       const std::string& consultant, int y, int m, int d,
                                       int from_h, int to_h) {
    sv1::BookVisitRequest req;
    req.set_parent("tenants/t1");
    auto* v = req.mutable_visit();
    v->set_engagement(engagement);
    v->set_kind(kind);
    *v->mutable_start_time() = At(y, m, d, from_h, 0);
    *v->mutable_end_time() = At(y, m, d, to_h, 0);
    v->set_location("東京都千代田区丸の内1-1-1 会議室A；3F, 北側");
    v->add_consultants(consultant);
    v->set_agenda("ISMS適用範囲の確認\n支援方針の合意");
    if (kind >= sv1::VISIT_KIND_OPTION_A) v->set_billable_length(sv1::BILLABLE_LENGTH_HALF_DAY);
    if (kind == sv1::VISIT_KIND_POST_CONTRACT_GUIDANCE) v->set_theme("内部監査");
    return req;
  }

  absl::Status Book(const sv1::BookVisitRequest& req, sv1::Visit* out,
                    const Principal& p = kConsultant) {
    return sched.Call(&SStub::BookVisit, p, req, out);
  }

  static std::string Reason(const absl::Status& s) { return std::string(s.message()); }

  RedisServer redis;
  FakeClock clock;
  int billing_port, scheduling_port;
  TestService<engagements::App, v1::EngagementService> eng;
  TestService<billing::App, bv1::BillingService> bill;
  TestService<scheduling::App, sv1::SchedulingService> sched;
};

TEST_F(SchedulingTest, BookingRules) {
  v1::Engagement e = NewEngagement();
  sv1::Consultant kenji = NewConsultant("kenji@office", "佐藤 健二");
  sv1::Visit first;
  // 2026-12-01 is a Tuesday.
  ASSERT_TRUE(
      Book(Booking(e.name(), sv1::VISIT_KIND_INCLUDED_1, kenji.name(), 2026, 12, 1, 10, 12), &first)
          .ok());
  EXPECT_EQ(first.state(), sv1::VISIT_STATE_PROPOSED);
  EXPECT_EQ(first.created_by(), "kenji@office");
  // Each included visit once per engagement.
  sv1::Visit again;
  absl::Status s = Book(
      Booking(e.name(), sv1::VISIT_KIND_INCLUDED_1, kenji.name(), 2026, 12, 8, 10, 12), &again);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  // Never double-booked: the conflicting visit is named.
  s = Book(Booking(e.name(), sv1::VISIT_KIND_OPTION_A, kenji.name(), 2026, 12, 1, 11, 13), &again);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(Reason(s), first.name())) << s;
  // Back to back is fine.
  EXPECT_TRUE(
      Book(Booking(e.name(), sv1::VISIT_KIND_OPTION_A, kenji.name(), 2026, 12, 1, 12, 14), &again)
          .ok());
  // Not on a public holiday (2026-11-23 勤労感謝の日) or a weekend, unless an admin overrides.
  sv1::BookVisitRequest holiday =
      Booking(e.name(), sv1::VISIT_KIND_INCLUDED_2, kenji.name(), 2026, 11, 23, 10, 12);
  s = Book(holiday, &again);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(Reason(s), "勤労感謝の日")) << s;
  holiday.set_override_reason("先方のご都合により祝日に実施");
  EXPECT_EQ(Book(holiday, &again).code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Book(holiday, &again, kAdmin).ok());
  EXPECT_EQ(again.override_reason(), "先方のご都合により祝日に実施");
  ASSERT_EQ(again.overridden_size(), 1);
  // Outside the support period (from 2026-04-01); post-contract guidance only after it.
  s = Book(Booking(e.name(), sv1::VISIT_KIND_INCLUDED_3, kenji.name(), 2026, 3, 31, 10, 12),
           &again);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  s = Book(
      Booking(e.name(), sv1::VISIT_KIND_POST_CONTRACT_GUIDANCE, kenji.name(), 2026, 12, 2, 10, 12),
      &again);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  // Bad input names its field.
  sv1::BookVisitRequest bad =
      Booking(e.name(), sv1::VISIT_KIND_OPTION_B, kenji.name(), 2026, 12, 3, 10, 12);
  bad.mutable_visit()->clear_billable_length();
  bad.mutable_visit()->add_consultants("tenants/t1/consultants/nobody");
  s = Book(bad, &again);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(Reason(s), "visit.billable_length")) << s;
  // A visit of a terminated engagement is not confirmed.
  v1::Engagement ended = NewEngagement();
  sv1::Visit orphan;
  ASSERT_TRUE(
      Book(Booking(ended.name(), sv1::VISIT_KIND_OPTION_D, kenji.name(), 2026, 12, 9, 10, 12),
           &orphan)
          .ok());
  v1::TerminateEngagementRequest term;
  term.set_name(ended.name());
  term.set_reason("契約解除");
  v1::Engagement terminated;
  ASSERT_TRUE(eng.Call(&EStub::TerminateEngagement, kAdmin, term, &terminated).ok());
  // Scheduling has the termination when the support end reads as met.
  sv1::ListDeadlinesRequest dl;
  dl.set_parent("tenants/t1");
  dl.set_engagement(ended.name());
  dl.set_include_satisfied(true);
  bool met = false;
  for (int i = 0; i < 200 && !met; ++i) {
    sv1::ListDeadlinesResponse resp;
    ASSERT_TRUE(sched.Call(&SStub::ListDeadlines, kAdmin, dl, &resp).ok());
    met = resp.deadlines_size() == 1 && resp.deadlines(0).satisfied();
    if (!met) absl::SleepFor(absl::Milliseconds(25));
  }
  ASSERT_TRUE(met);
  sv1::VisitActionRequest confirm;
  confirm.set_name(orphan.name());
  sv1::Visit unused;
  s = sched.Call(&SStub::ConfirmVisit, kConsultant, confirm, &unused);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "terminated")) << s;
  sv1::PlanAuditRequest late;
  late.set_parent("tenants/t1");
  late.mutable_audit()->set_engagement(ended.name());
  late.mutable_audit()->set_kind(sv1::AUDIT_KIND_STAGE1);
  *late.mutable_audit()->mutable_first_day() = Day(2027, 1, 20);
  sv1::Audit no_audit;
  s = sched.Call(&SStub::PlanAudit, kConsultant, late, &no_audit);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "terminated")) << s;
  // A cancelled visit frees its slot and the consultant's time.
  sv1::CancelVisitRequest cancel;
  cancel.set_name(first.name());
  cancel.set_reason("先方都合");
  sv1::Visit cancelled;
  ASSERT_TRUE(sched.Call(&SStub::CancelVisit, kConsultant, cancel, &cancelled).ok());
  EXPECT_EQ(cancelled.sequence(), 1);
  EXPECT_TRUE(
      Book(Booking(e.name(), sv1::VISIT_KIND_INCLUDED_1, kenji.name(), 2026, 12, 1, 10, 12), &again)
          .ok());
}

TEST_F(SchedulingTest, ConcurrentBookingsOfOneConsultantNeverOverlap) {
  v1::Engagement e = NewEngagement();
  sv1::Consultant kenji = NewConsultant("kenji@office", "佐藤 健二");
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      sv1::Visit v;
      absl::Status s = Book(
          Booking(e.name(), sv1::VISIT_KIND_OPTION_D, kenji.name(), 2026, 12, 4, 9 + i % 2, 11),
          &v);
      (s.ok() ? ok : refused)++;
      if (!s.ok()) {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 7);
}

TEST_F(SchedulingTest, DoneVisitsCompleteTheTaskAndBillOnce) {
  v1::CreateClientRequest creq;
  creq.set_parent("tenants/t1");
  creq.mutable_client()->set_display_name("株式会社デモ");
  v1::Client client;
  ASSERT_TRUE(eng.Call(&EStub::CreateClient, kAdmin, creq, &client).ok());
  auto eng_name = Stage1ReadyEngagement(*eng.stub, *bill.stub, kAdmin, client.name(), 900'000);
  ASSERT_TRUE(eng_name.ok()) << eng_name.status();
  WaitKnown(*eng_name);
  sv1::Consultant kenji = NewConsultant("kenji@office", "佐藤 健二");
  // An included visit yesterday (2026-11-25, Wednesday), then done.
  sv1::Visit v1v;
  ASSERT_TRUE(
      Book(Booking(*eng_name, sv1::VISIT_KIND_INCLUDED_2, kenji.name(), 2026, 11, 25, 10, 12), &v1v)
          .ok());
  sv1::CompleteVisitRequest done;
  done.set_name(v1v.name());
  done.set_minutes("ひな形を説明した。");
  sv1::Visit out;
  ASSERT_TRUE(sched.Call(&SStub::CompleteVisit, kConsultant, done, &out).ok());
  EXPECT_EQ(out.state(), sv1::VISIT_STATE_DONE);
  // Done twice is refused (one event only).
  EXPECT_EQ(sched.Call(&SStub::CompleteVisit, kConsultant, done, &out).code(),
            absl::StatusCode::kFailedPrecondition);
  // A visit in the future cannot be done yet.
  sv1::Visit future;
  ASSERT_TRUE(
      Book(Booking(*eng_name, sv1::VISIT_KIND_INCLUDED_3, kenji.name(), 2026, 12, 10, 10, 12),
           &future)
          .ok());
  done.set_name(future.name());
  EXPECT_EQ(sched.Call(&SStub::CompleteVisit, kConsultant, done, &out).code(),
            absl::StatusCode::kFailedPrecondition);
  // The engagements task of the second visit is done.
  v1::ListTasksRequest tasks;
  tasks.set_parent(*eng_name);
  bool task_done = false;
  for (int i = 0; i < 200 && !task_done; ++i) {
    v1::ListTasksResponse resp;
    ASSERT_TRUE(eng.Call(&EStub::ListTasks, kAdmin, tasks, &resp).ok());
    for (const auto& t : resp.tasks()) {
      if (t.task_id() == "cons-o-visit-2") task_done = t.status() == v1::TASK_STATUS_DONE;
    }
    if (!task_done) absl::SleepFor(absl::Milliseconds(25));
  }
  EXPECT_TRUE(task_done);
  // A paid option (half day + travel) done: one invoice priced from the price list.
  sv1::BookVisitRequest opt =
      Booking(*eng_name, sv1::VISIT_KIND_OPTION_A, kenji.name(), 2026, 11, 26, 9, 10);
  sv1::Visit paid;
  ASSERT_TRUE(Book(opt, &paid).ok());
  done.set_name(paid.name());
  auto* travel = done.add_expenses();
  travel->set_kind(sv1::EXPENSE_KIND_TRAVEL);
  travel->set_amount_jpy(1'240);
  travel->set_description("東京駅⇔先方 往復");
  ASSERT_TRUE(sched.Call(&SStub::CompleteVisit, kConsultant, done, &out).ok());
  bv1::ListBillingEventsRequest lreq;
  lreq.set_parent("tenants/t1");
  lreq.set_engagement(*eng_name);
  bv1::ListBillingEventsResponse events;
  for (int i = 0; i < 200; ++i) {
    events.Clear();
    ASSERT_TRUE(bill.Call(&BStub::ListBillingEvents, kAdmin, lreq, &events).ok());
    if (events.billing_events_size() >= 1) break;
    absl::SleepFor(absl::Milliseconds(25));
  }
  absl::SleepFor(absl::Milliseconds(500));  // a second event would be here by now
  events.Clear();
  ASSERT_TRUE(bill.Call(&BStub::ListBillingEvents, kAdmin, lreq, &events).ok());
  ASSERT_EQ(events.billing_events_size(), 1);  // the included visit is not billed
  const auto& be = events.billing_events(0);
  EXPECT_EQ(be.kind(), bv1::BILLING_EVENT_KIND_OPTION_DELIVERED);
  ASSERT_EQ(be.lines_size(), 2);
  EXPECT_EQ(be.lines(0).unit_price_jpy(), 30'000);  // 半日 from the default price list
  EXPECT_EQ(be.lines(0).unit(), "半日");
  EXPECT_EQ(be.lines(1).kind(), bv1::LINE_KIND_TRAVEL);
  EXPECT_EQ(be.lines(1).unit_price_jpy(), 1'240);
  EXPECT_EQ(be.recipient_name(), "株式会社デモ");
  bv1::GetInvoiceRequest ireq;
  ireq.set_name(be.invoice());
  bv1::Invoice inv;
  ASSERT_TRUE(bill.Call(&BStub::GetInvoice, kAdmin, ireq, &inv).ok());
  EXPECT_EQ(inv.totals().subtotal_jpy(), 31'240);
}

TEST_F(SchedulingTest, DeadlinesFollowFindingsAndAudits) {
  v1::Engagement e = NewEngagement();
  sv1::ListDeadlinesRequest req;
  req.set_parent("tenants/t1");
  req.set_engagement(e.name());
  sv1::ListDeadlinesResponse resp;
  ASSERT_TRUE(sched.Call(&SStub::ListDeadlines, kAdmin, req, &resp).ok());
  ASSERT_EQ(resp.deadlines_size(), 1);
  EXPECT_EQ(resp.deadlines(0).kind(), sv1::DEADLINE_KIND_SUPPORT_END);
  EXPECT_EQ(ToCivilDay(resp.deadlines(0).due_date()), ToCivilDay(e.support_end()));
  // An open finding's corrective action is a deadline; closing it meets it.
  v1::CreateFindingRequest f;
  f.set_parent(e.name());
  f.mutable_finding()->set_source(v1::FINDING_SOURCE_INTERNAL_AUDIT);
  f.mutable_finding()->set_grade(v1::FINDING_GRADE_MINOR_NC);
  f.mutable_finding()->set_description("アクセス権の見直し記録がない");
  *f.mutable_finding()->mutable_corrective_action_due() = Day(2026, 12, 25);
  v1::Finding finding;
  ASSERT_TRUE(eng.Call(&EStub::CreateFinding, kConsultant, f, &finding).ok());
  req.set_kind(sv1::DEADLINE_KIND_CORRECTIVE_ACTION);
  for (int i = 0; i < 200; ++i) {
    resp.Clear();
    ASSERT_TRUE(sched.Call(&SStub::ListDeadlines, kConsultant, req, &resp).ok());
    if (resp.deadlines_size() == 1) break;
    absl::SleepFor(absl::Milliseconds(25));
  }
  ASSERT_EQ(resp.deadlines_size(), 1);
  EXPECT_EQ(resp.deadlines(0).source(), finding.name());
  EXPECT_EQ(ToCivilDay(resp.deadlines(0).due_date()), absl::CivilDay(2026, 12, 25));
  // due_before filters by date; the consultant filter by subject.
  req.clear_engagement();
  *req.mutable_due_before() = Day(2026, 12, 24);
  resp.Clear();
  ASSERT_TRUE(sched.Call(&SStub::ListDeadlines, kAdmin, req, &resp).ok());
  EXPECT_EQ(resp.deadlines_size(), 0);
  req.clear_due_before();
  req.set_consultant("kenji@office");
  resp.Clear();
  ASSERT_TRUE(sched.Call(&SStub::ListDeadlines, kAdmin, req, &resp).ok());
  EXPECT_EQ(resp.deadlines_size(), 1);
  v1::UpdateFindingRequest close;
  *close.mutable_finding() = finding;
  close.mutable_finding()->set_state(v1::FINDING_STATE_CLOSED);
  close.mutable_finding()->set_corrective_action("手順書を改訂し周知");
  close.mutable_update_mask()->add_paths("state");
  close.mutable_update_mask()->add_paths("corrective_action");
  ASSERT_TRUE(eng.Call(&EStub::UpdateFinding, kAdmin, close, &finding).ok());
  for (int i = 0; i < 200; ++i) {
    resp.Clear();
    ASSERT_TRUE(sched.Call(&SStub::ListDeadlines, kAdmin, req, &resp).ok());
    if (resp.deadlines_size() == 0) break;
    absl::SleepFor(absl::Milliseconds(25));
  }
  EXPECT_EQ(resp.deadlines_size(), 0);
  req.set_include_satisfied(true);
  resp.Clear();
  ASSERT_TRUE(sched.Call(&SStub::ListDeadlines, kAdmin, req, &resp).ok());
  ASSERT_EQ(resp.deadlines_size(), 1);
  EXPECT_TRUE(resp.deadlines(0).satisfied());
  // Audits are planned per engagement; observers must be consultants.
  sv1::PlanAuditRequest plan;
  plan.set_parent("tenants/t1");
  plan.mutable_audit()->set_engagement(e.name());
  plan.mutable_audit()->set_kind(sv1::AUDIT_KIND_STAGE1);
  *plan.mutable_audit()->mutable_first_day() = Day(2027, 1, 20);
  plan.mutable_audit()->set_certification_body("一般財団法人 日本品質保証機構");
  plan.mutable_audit()->add_observing_consultants("tenants/t1/consultants/nobody");
  sv1::Audit audit;
  EXPECT_EQ(sched.Call(&SStub::PlanAudit, kConsultant, plan, &audit).code(),
            absl::StatusCode::kInvalidArgument);
  plan.mutable_audit()->clear_observing_consultants();
  // An audit before the support period began is a typo (it would meet deadlines early).
  *plan.mutable_audit()->mutable_first_day() = Day(2017, 1, 20);
  absl::Status typo = sched.Call(&SStub::PlanAudit, kConsultant, plan, &audit);
  EXPECT_EQ(typo.code(), absl::StatusCode::kInvalidArgument) << typo;
  EXPECT_TRUE(absl::StrContains(typo.message(), "audit.first_day")) << typo;
  *plan.mutable_audit()->mutable_first_day() = Day(2027, 1, 20);
  // The option-c visit observing it falls on the audit's days.
  sv1::Consultant kenji = NewConsultant("kenji@office", "佐藤 健二");
  plan.mutable_audit()->add_observing_consultants(kenji.name());
  sv1::Visit next_day, audit_day;
  ASSERT_TRUE(
      Book(Booking(e.name(), sv1::VISIT_KIND_OPTION_C, kenji.name(), 2027, 1, 21, 9, 12), &next_day)
          .ok());
  plan.mutable_audit()->set_observation_visit(next_day.name());
  absl::Status wrong_day = sched.Call(&SStub::PlanAudit, kConsultant, plan, &audit);
  EXPECT_EQ(wrong_day.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(Reason(wrong_day).find("the visit is on 2027-01-21"), std::string::npos) << wrong_day;
  ASSERT_TRUE(Book(Booking(e.name(), sv1::VISIT_KIND_OPTION_C, kenji.name(), 2027, 1, 20, 9, 12),
                   &audit_day)
                  .ok());
  plan.mutable_audit()->set_observation_visit(audit_day.name());
  // Who observes is who goes.
  sv1::Consultant aiko = NewConsultant("aiko@office", "田中 愛子");
  plan.mutable_audit()->set_observing_consultants(0, aiko.name());
  absl::Status not_going = sched.Call(&SStub::PlanAudit, kConsultant, plan, &audit);
  EXPECT_EQ(not_going.code(), absl::StatusCode::kInvalidArgument) << not_going;
  EXPECT_NE(Reason(not_going).find("add " + kenji.name()), std::string::npos) << not_going;
  plan.mutable_audit()->set_observing_consultants(0, kenji.name());
  ASSERT_TRUE(sched.Call(&SStub::PlanAudit, kConsultant, plan, &audit).ok());
  EXPECT_EQ(audit.observation_visit(), audit_day.name());
  // It observes that audit only, and stays on its days.
  plan.mutable_audit()->set_kind(sv1::AUDIT_KIND_STAGE2);
  sv1::Audit second;
  absl::Status reused = sched.Call(&SStub::PlanAudit, kConsultant, plan, &second);
  EXPECT_EQ(reused.code(), absl::StatusCode::kInvalidArgument) << reused;
  EXPECT_NE(Reason(reused).find("observes " + audit.name()), std::string::npos) << reused;
  sv1::UpdateVisitRequest move;
  *move.mutable_visit() = audit_day;
  *move.mutable_visit()->mutable_start_time() = At(2027, 1, 22, 9, 0);
  *move.mutable_visit()->mutable_end_time() = At(2027, 1, 22, 12, 0);
  move.mutable_update_mask()->add_paths("start_time");
  move.mutable_update_mask()->add_paths("end_time");
  sv1::Visit moved;
  absl::Status off_days = sched.Call(&SStub::UpdateVisit, kConsultant, move, &moved);
  EXPECT_EQ(off_days.code(), absl::StatusCode::kInvalidArgument) << off_days;
  EXPECT_NE(Reason(off_days).find("during the audit (2027-01-20)"), std::string::npos) << off_days;
  *move.mutable_visit()->mutable_start_time() = At(2027, 1, 20, 13, 0);
  *move.mutable_visit()->mutable_end_time() = At(2027, 1, 20, 16, 0);
  ASSERT_TRUE(sched.Call(&SStub::UpdateVisit, kConsultant, move, &moved).ok());  // same day
  sv1::ListAuditsRequest la;
  la.set_parent("tenants/t1");
  la.set_engagement(e.name());
  sv1::ListAuditsResponse audits;
  ASSERT_TRUE(sched.Call(&SStub::ListAudits, kPartner, la, &audits).ok());
  ASSERT_EQ(audits.audits_size(), 1);
  EXPECT_EQ(ToCivilDay(audits.audits(0).last_day()), absl::CivilDay(2027, 1, 20));
  EXPECT_EQ(audits.audits(0).state(), sv1::AUDIT_STATE_PLANNED);

  // The body moves the audit a week: its observation visit, which stays on
  // the audit's days, is let go, moved, and named again.
  sv1::UpdateAuditRequest upd;
  upd.mutable_audit()->set_name(audit.name());
  *upd.mutable_audit()->mutable_first_day() = Day(2027, 1, 27);
  upd.mutable_update_mask()->add_paths("first_day");
  sv1::Audit changed;
  absl::Status strands = sched.Call(&SStub::UpdateAudit, kConsultant, upd, &changed);
  EXPECT_EQ(strands.code(), absl::StatusCode::kInvalidArgument) << strands;
  EXPECT_NE(Reason(strands).find("the visit is on 2027-01-20"), std::string::npos) << strands;
  upd.mutable_update_mask()->add_paths("observation_visit");
  EXPECT_EQ(sched.Call(&SStub::UpdateAudit, kPartner, upd, &changed).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(sched.Call(&SStub::UpdateAudit, kConsultant, upd, &changed).ok());
  EXPECT_EQ(ToCivilDay(changed.first_day()), absl::CivilDay(2027, 1, 27));
  EXPECT_EQ(ToCivilDay(changed.last_day()), absl::CivilDay(2027, 1, 27));
  EXPECT_EQ(changed.observation_visit(), "");
  EXPECT_EQ(changed.observing_consultants_size(), 1);
  EXPECT_EQ(changed.sequence(), 1);  // calendar apps see the change
  EXPECT_EQ(changed.etag(), "2");
  upd.mutable_audit()->set_etag(audit.etag());  // from before the change
  EXPECT_EQ(sched.Call(&SStub::UpdateAudit, kConsultant, upd, &changed).code(),
            absl::StatusCode::kAborted);
  *move.mutable_visit()->mutable_start_time() = At(2027, 1, 27, 9, 0);
  *move.mutable_visit()->mutable_end_time() = At(2027, 1, 27, 12, 0);
  move.mutable_visit()->clear_etag();
  ASSERT_TRUE(sched.Call(&SStub::UpdateVisit, kConsultant, move, &moved).ok());
  sv1::UpdateAuditRequest relink;
  relink.mutable_audit()->set_name(audit.name());
  relink.mutable_audit()->set_observation_visit(audit_day.name());
  relink.mutable_update_mask()->add_paths("observation_visit");
  ASSERT_TRUE(sched.Call(&SStub::UpdateAudit, kConsultant, relink, &changed).ok());
  EXPECT_EQ(changed.observation_visit(), audit_day.name());
  EXPECT_EQ(changed.sequence(), 2);
  // Unknown paths and the immutable kind are refused.
  relink.mutable_update_mask()->add_paths("kind");
  EXPECT_EQ(sched.Call(&SStub::UpdateAudit, kConsultant, relink, &changed).code(),
            absl::StatusCode::kInvalidArgument);

  // Called off, with a reason: its visit is free again.
  sv1::CancelAuditRequest cancel;
  cancel.set_name(audit.name());
  EXPECT_EQ(sched.Call(&SStub::CancelAudit, kConsultant, cancel, &changed).code(),
            absl::StatusCode::kInvalidArgument);
  cancel.set_reason("審査機関の都合により中止");
  ASSERT_TRUE(sched.Call(&SStub::CancelAudit, kConsultant, cancel, &changed).ok());
  EXPECT_EQ(changed.state(), sv1::AUDIT_STATE_CANCELLED);
  EXPECT_EQ(changed.sequence(), 3);
  EXPECT_EQ(sched.Call(&SStub::CancelAudit, kConsultant, cancel, &changed).code(),
            absl::StatusCode::kFailedPrecondition);
  upd.mutable_audit()->clear_etag();
  EXPECT_EQ(sched.Call(&SStub::UpdateAudit, kConsultant, upd, &changed).code(),
            absl::StatusCode::kFailedPrecondition);
  sv1::GetAuditRequest ga;
  ga.set_name(audit.name());
  ASSERT_TRUE(sched.Call(&SStub::GetAudit, kPartner, ga, &changed).ok());
  EXPECT_EQ(changed.cancel_reason(), "審査機関の都合により中止");
  *move.mutable_visit()->mutable_start_time() = At(2027, 1, 28, 9, 0);
  *move.mutable_visit()->mutable_end_time() = At(2027, 1, 28, 12, 0);
  ASSERT_TRUE(sched.Call(&SStub::UpdateVisit, kConsultant, move, &moved).ok());
  plan.mutable_audit()->set_kind(sv1::AUDIT_KIND_STAGE1);
  *plan.mutable_audit()->mutable_first_day() = Day(2027, 1, 28);
  ASSERT_TRUE(sched.Call(&SStub::PlanAudit, kConsultant, plan, &second).ok());
  EXPECT_EQ(second.observation_visit(), audit_day.name());
  // Its visit called off, the audit still takes other changes; a move must
  // let the visit go.
  sv1::CancelVisitRequest off;
  off.set_name(audit_day.name());
  off.set_reason("日程の都合");
  ASSERT_TRUE(sched.Call(&SStub::CancelVisit, kConsultant, off, &moved).ok());
  sv1::UpdateAuditRequest body;
  body.mutable_audit()->set_name(second.name());
  body.mutable_audit()->set_certification_body("BSIグループジャパン株式会社");
  body.mutable_update_mask()->add_paths("certification_body");
  ASSERT_TRUE(sched.Call(&SStub::UpdateAudit, kConsultant, body, &second).ok());
  EXPECT_EQ(second.certification_body(), "BSIグループジャパン株式会社");
  body.mutable_update_mask()->add_paths("first_day");
  *body.mutable_audit()->mutable_first_day() = Day(2027, 1, 29);
  absl::Status gone = sched.Call(&SStub::UpdateAudit, kConsultant, body, &second);
  EXPECT_EQ(gone.code(), absl::StatusCode::kInvalidArgument) << gone;
  EXPECT_NE(Reason(gone).find("clear observation_visit"), std::string::npos) << gone;

  // A first day alone moves a three-day audit whole.
  sv1::PlanAuditRequest stage2;
  stage2.set_parent("tenants/t1");
  stage2.mutable_audit()->set_engagement(e.name());
  stage2.mutable_audit()->set_kind(sv1::AUDIT_KIND_STAGE2);
  *stage2.mutable_audit()->mutable_first_day() = Day(2027, 3, 1);
  *stage2.mutable_audit()->mutable_last_day() = Day(2027, 3, 3);
  sv1::Audit s2;
  ASSERT_TRUE(sched.Call(&SStub::PlanAudit, kConsultant, stage2, &s2).ok());
  sv1::UpdateAuditRequest later;
  later.mutable_audit()->set_name(s2.name());
  *later.mutable_audit()->mutable_first_day() = Day(2027, 3, 8);
  later.mutable_update_mask()->add_paths("first_day");
  ASSERT_TRUE(sched.Call(&SStub::UpdateAudit, kConsultant, later, &s2).ok());
  EXPECT_EQ(ToCivilDay(s2.last_day()), absl::CivilDay(2027, 3, 10));
  // Eight audits planned at once on one observation visit: one gets it.
  sv1::Visit observe;
  ASSERT_TRUE(
      Book(Booking(e.name(), sv1::VISIT_KIND_OPTION_C, kenji.name(), 2027, 3, 9, 9, 12), &observe)
          .ok());
  stage2.mutable_audit()->set_kind(sv1::AUDIT_KIND_SURVEILLANCE_1);
  *stage2.mutable_audit()->mutable_first_day() = Day(2027, 3, 8);
  *stage2.mutable_audit()->mutable_last_day() = Day(2027, 3, 10);
  stage2.mutable_audit()->set_observation_visit(observe.name());
  std::atomic<int> got{0}, refused{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 8; ++i) {
    racers.emplace_back([&] {
      sv1::Audit mine;
      absl::Status st = sched.Call(&SStub::PlanAudit, kConsultant, stage2, &mine);
      if (st.ok()) ++got;
      if (st.code() == absl::StatusCode::kInvalidArgument) ++refused;
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(got.load(), 1);
  EXPECT_EQ(refused.load(), 7);
}

TEST_F(SchedulingTest, AccessFollowsTheEngagement) {
  v1::Engagement e = NewEngagement({"p1"});
  sv1::Consultant kenji = NewConsultant("kenji@office", "佐藤 健二");
  sv1::Visit v;
  ASSERT_TRUE(
      Book(Booking(e.name(), sv1::VISIT_KIND_INCLUDED_1, kenji.name(), 2026, 12, 1, 10, 12), &v)
          .ok());
  sv1::GetVisitRequest get;
  get.set_name(v.name());
  sv1::Visit got;
  EXPECT_TRUE(sched.Call(&SStub::GetVisit, kPartner, get, &got).ok());
  Principal client =
      MakePrincipal(Principal::ROLE_CLIENT, "yamada@client", std::string(LastSegment(e.client())));
  EXPECT_TRUE(sched.Call(&SStub::GetVisit, client, get, &got).ok());
  Principal other_client = MakePrincipal(Principal::ROLE_CLIENT, "x@other", "someone-else");
  EXPECT_EQ(sched.Call(&SStub::GetVisit, other_client, get, &got).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(sched.Call(&SStub::GetVisit, kOtherPartner, get, &got).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(sched.Call(&SStub::GetVisit, kOtherTenant, get, &got).code(),
            absl::StatusCode::kNotFound);
  // Clients and partners read, never book or cancel.
  sv1::Visit booked;
  EXPECT_EQ(Book(Booking(e.name(), sv1::VISIT_KIND_INCLUDED_2, kenji.name(), 2026, 12, 2, 10, 12),
                 &booked, client)
                .code(),
            absl::StatusCode::kPermissionDenied);
  sv1::CancelVisitRequest cancel;
  cancel.set_name(v.name());
  cancel.set_reason("x");
  EXPECT_EQ(sched.Call(&SStub::CancelVisit, kPartner, cancel, &got).code(),
            absl::StatusCode::kPermissionDenied);
  // Partners list one engagement they see, not the tenant.
  sv1::ListVisitsRequest list;
  list.set_parent("tenants/t1");
  sv1::ListVisitsResponse visits;
  EXPECT_EQ(sched.Call(&SStub::ListVisits, kPartner, list, &visits).code(),
            absl::StatusCode::kInvalidArgument);
  list.set_engagement(e.name());
  ASSERT_TRUE(sched.Call(&SStub::ListVisits, kPartner, list, &visits).ok());
  EXPECT_EQ(visits.visits_size(), 1);
  EXPECT_EQ(sched.Call(&SStub::ListVisits, kOtherPartner, list, &visits).code(),
            absl::StatusCode::kNotFound);
  // Consultants are office data.
  sv1::ListConsultantsRequest lc;
  lc.set_parent("tenants/t1");
  sv1::ListConsultantsResponse cs;
  EXPECT_EQ(sched.Call(&SStub::ListConsultants, kPartner, lc, &cs).code(),
            absl::StatusCode::kPermissionDenied);
  // Duplicate subjects are refused.
  sv1::CreateConsultantRequest dup;
  dup.set_parent("tenants/t1");
  dup.mutable_consultant()->set_subject("kenji@office");
  dup.mutable_consultant()->set_display_name_ja("重複");
  sv1::Consultant c;
  EXPECT_EQ(sched.Call(&SStub::CreateConsultant, kAdmin, dup, &c).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(SchedulingTest, BusinessDaysSkipHolidaysAndClosures) {
  sv1::CreateOfficeClosureRequest cr;
  cr.set_parent("tenants/t1");
  *cr.mutable_closure()->mutable_first_day() = Day(2026, 12, 29);
  *cr.mutable_closure()->mutable_last_day() = Day(2027, 1, 3);
  cr.mutable_closure()->set_reason("年末年始");
  sv1::OfficeClosure closure;
  ASSERT_TRUE(sched.Call(&SStub::CreateOfficeClosure, kAdmin, cr, &closure).ok());
  EXPECT_EQ(sched.Call(&SStub::CreateOfficeClosure, kConsultant, cr, &closure).code(),
            absl::StatusCode::kPermissionDenied);
  sv1::CreateOfficeClosureRequest reversed = cr;
  *reversed.mutable_closure()->mutable_last_day() = Day(2026, 12, 28);
  absl::Status bad = sched.Call(&SStub::CreateOfficeClosure, kAdmin, reversed, &closure);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(Reason(bad), "closure.last_day: before first_day")) << bad;
  // A working day listed twice is a mistake, named.
  sv1::CreateConsultantRequest twice;
  twice.set_parent("tenants/t1");
  twice.mutable_consultant()->set_subject("twice@office");
  twice.mutable_consultant()->set_display_name_ja("二重 登録");
  twice.mutable_consultant()->add_working_days(sv1::MONDAY);
  twice.mutable_consultant()->add_working_days(sv1::MONDAY);
  sv1::Consultant c;
  bad = sched.Call(&SStub::CreateConsultant, kAdmin, twice, &c);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(Reason(bad), "working_days[1]")) << bad;
  sv1::ListBusinessDaysRequest lb;
  lb.set_parent("tenants/t1");
  *lb.mutable_first_day() = Day(2026, 12, 28);
  *lb.mutable_last_day() = Day(2027, 1, 12);
  sv1::ListBusinessDaysResponse days;
  ASSERT_TRUE(sched.Call(&SStub::ListBusinessDays, kPartner, lb, &days).ok());
  std::vector<absl::CivilDay> got;
  for (const auto& d : days.business_days()) got.push_back(*ToCivilDay(d));
  // 1/11 is 成人の日.
  std::vector<absl::CivilDay> want;
  for (auto [y, m, d] : std::vector<std::array<int, 3>>{{2026, 12, 28},
                                                        {2027, 1, 4},
                                                        {2027, 1, 5},
                                                        {2027, 1, 6},
                                                        {2027, 1, 7},
                                                        {2027, 1, 8},
                                                        {2027, 1, 12}}) {
    want.emplace_back(y, m, d);
  }
  EXPECT_EQ(got, want);
  sv1::AddBusinessDaysRequest add;
  add.set_parent("tenants/t1");
  *add.mutable_date() = Day(2026, 12, 28);
  add.set_days(1);
  sv1::AddBusinessDaysResponse sum;
  ASSERT_TRUE(sched.Call(&SStub::AddBusinessDays, kAdmin, add, &sum).ok());
  EXPECT_EQ(ToCivilDay(sum.date()), absl::CivilDay(2027, 1, 4));
  *lb.mutable_last_day() = Day(2028, 1, 12);
  EXPECT_EQ(sched.Call(&SStub::ListBusinessDays, kAdmin, lb, &days).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SchedulingTest, CalendarFeedParsesWithAnIndependentParser) {
  v1::Engagement e = NewEngagement();
  sv1::Consultant kenji = NewConsultant("kenji@office", "佐藤 健二");
  sv1::Visit a, b;
  ASSERT_TRUE(
      Book(Booking(e.name(), sv1::VISIT_KIND_INCLUDED_1, kenji.name(), 2026, 12, 1, 10, 12), &a)
          .ok());
  ASSERT_TRUE(
      Book(Booking(e.name(), sv1::VISIT_KIND_OPTION_E, kenji.name(), 2026, 12, 3, 13, 17), &b)
          .ok());
  sv1::CancelVisitRequest cancel;
  cancel.set_name(b.name());
  cancel.set_reason("延期");
  ASSERT_TRUE(sched.Call(&SStub::CancelVisit, kConsultant, cancel, &b).ok());
  // An audit kenji was to observe, called off: cancelled in the feed too.
  sv1::PlanAuditRequest plan;
  plan.set_parent("tenants/t1");
  plan.mutable_audit()->set_engagement(e.name());
  plan.mutable_audit()->set_kind(sv1::AUDIT_KIND_STAGE1);
  *plan.mutable_audit()->mutable_first_day() = Day(2027, 2, 10);
  *plan.mutable_audit()->mutable_last_day() = Day(2027, 2, 11);
  plan.mutable_audit()->add_observing_consultants(kenji.name());
  sv1::Audit audit;
  ASSERT_TRUE(sched.Call(&SStub::PlanAudit, kConsultant, plan, &audit).ok());
  sv1::CancelAuditRequest ca;
  ca.set_name(audit.name());
  ca.set_reason("審査機関の都合");
  ASSERT_TRUE(sched.Call(&SStub::CancelAudit, kConsultant, ca, &audit).ok());
  sv1::CreateCalendarFeedRequest fr;
  fr.set_parent("tenants/t1");
  fr.mutable_feed()->set_consultant(kenji.name());
  sv1::CalendarFeed feed;
  ASSERT_TRUE(sched.Call(&SStub::CreateCalendarFeed, kConsultant, fr, &feed).ok());
  ASSERT_EQ(feed.token().size(), 64u + 4u);
  EXPECT_EQ(feed.feed_path(), "/v1/feeds/" + feed.token());
  // Read with no credential but the token.
  sv1::GetCalendarFeedRequest get;
  get.set_token(feed.token());
  google::api::HttpBody body;
  absl::Status s = sched.Call(&SStub::GetCalendarFeed, kAdmin, get, &body, "");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(absl::StartsWith(body.content_type(), "text/calendar"));
  std::string dir = ::testing::TempDir();
  std::string ics = dir + "/feed.ics", expect = dir + "/feed.json";
  std::ofstream(ics, std::ios::binary) << body.data();
  std::ofstream(expect) << absl::StrCat(
      R"({"events": [)", R"({"uid": "visit-)", LastSegment(a.name()),
      R"(@t1.certpath", "summary": "第1回訪問（事業内容の把握・支援方針の確認）",)",
      R"( "location": "東京都千代田区丸の内1-1-1 会議室A；3F, 北側", "description": "ISMS適用範囲の確認\n支援方針の合意",)",
      R"( "start": "2026-12-01T10:00:00+09:00", "end": "2026-12-01T12:00:00+09:00", "status": "TENTATIVE", "sequence": 0},)",
      R"({"uid": "visit-)", LastSegment(b.name()),
      R"(@t1.certpath", "summary": "オプションe 調査・分析",)",
      R"( "start": "2026-12-03T13:00:00+09:00", "end": "2026-12-03T17:00:00+09:00", "status": "CANCELLED", "sequence": 1},)",
      R"({"uid": "audit-)", LastSegment(audit.name()),
      R"(@t1.certpath", "all_day": true, "start": "2027-02-10", "end": "2027-02-12",)",
      R"( "status": "CANCELLED", "sequence": 1},)", R"({"uid": ")", "deadline-",
      LastSegment(e.name()), R"(-support-end@t1.certpath",)", R"( "start": ")",
      absl::FormatCivilTime(*ToCivilDay(e.support_end())), R"(", "all_day": true})", R"(]})");
  std::string cmd = absl::StrCat("/usr/bin/python3 ", CERTPATH_SOURCE_DIR,
                                 "/tests/scheduling/check_ics.py ", ics, " ", expect);
  EXPECT_EQ(std::system(cmd.c_str()), 0) << body.data();
  // A wrong or revoked token reads as nothing.
  get.set_token(std::string(64, 'a') + ".ics");
  EXPECT_EQ(sched.Call(&SStub::GetCalendarFeed, kAdmin, get, &body, "").code(),
            absl::StatusCode::kNotFound);
  std::string token = feed.token();
  sv1::RevokeCalendarFeedRequest rv;
  rv.set_name(feed.name());
  ASSERT_TRUE(sched.Call(&SStub::RevokeCalendarFeed, kConsultant, rv, &feed).ok());
  EXPECT_TRUE(feed.revoked());
  EXPECT_TRUE(feed.token().empty());  // the secret is shown once
  get.set_token(token);
  EXPECT_EQ(sched.Call(&SStub::GetCalendarFeed, kAdmin, get, &body, "").code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SchedulingTest, WorkloadPerWeekAndMonth) {
  v1::Engagement e = NewEngagement();
  sv1::Consultant kenji = NewConsultant("kenji@office", "佐藤 健二");
  sv1::Visit v;
  ASSERT_TRUE(
      Book(Booking(e.name(), sv1::VISIT_KIND_OPTION_A, kenji.name(), 2026, 12, 1, 10, 12), &v)
          .ok());
  ASSERT_TRUE(
      Book(Booking(e.name(), sv1::VISIT_KIND_OPTION_B, kenji.name(), 2026, 12, 8, 10, 12), &v)
          .ok());
  sv1::GetConsultantWorkloadRequest req;
  req.set_consultant(kenji.name());
  *req.mutable_first_day() = Day(2026, 11, 30);
  *req.mutable_last_day() = Day(2026, 12, 31);
  sv1::ConsultantWorkload w;
  ASSERT_TRUE(sched.Call(&SStub::GetConsultantWorkload, kAdmin, req, &w).ok());
  ASSERT_GE(w.weeks_size(), 2);
  EXPECT_EQ(w.weeks(0).visits(), 1);
  EXPECT_EQ(w.weeks(0).billable_half_days(), 1);
  EXPECT_EQ(w.weeks(1).visits(), 1);
  ASSERT_EQ(w.months_size(), 2);
  EXPECT_EQ(w.months(1).visits(), 2);
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

// The deadline gauges the alert rules watch, scraped from /metrics of a
// second scheduling replica on the same Redis (each replica reports the
// tenant-wide totals).
TEST_F(SchedulingTest, GaugesCountDeadlinesDueAndOverdue) {
  v1::Engagement e = NewEngagement();
  // Support from 2025-06-01 ends 2026-11-30: within 30 days, stage 2 not reached.
  v1::CreateEngagementRequest ending = EngagementRequest(e.client(), {"p1"});
  *ending.mutable_engagement()->mutable_contract_date() = Day(2025, 5, 20);
  *ending.mutable_engagement()->mutable_support_start() = Day(2025, 6, 1);
  v1::Engagement soon;
  ASSERT_TRUE(eng.Call(&EStub::CreateEngagement, kAdmin, ending, &soon).ok());
  WaitKnown(soon.name());
  v1::CreateFindingRequest f;
  f.set_parent(e.name());
  f.mutable_finding()->set_source(v1::FINDING_SOURCE_INTERNAL_AUDIT);
  f.mutable_finding()->set_grade(v1::FINDING_GRADE_MAJOR_NC);
  f.mutable_finding()->set_description("バックアップの復旧試験が未実施");
  *f.mutable_finding()->mutable_corrective_action_due() = Day(2026, 11, 20);  // overdue
  v1::Finding finding;
  ASSERT_TRUE(eng.Call(&EStub::CreateFinding, kConsultant, f, &finding).ok());
  TestService<scheduling::App, sv1::SchedulingService> replica(
      redis, clock, [](scheduling::AppOptions& o) { o.host.metrics_listen = "127.0.0.1:0"; });
  replica.Start();
  ASSERT_TRUE(replica.ready());
  std::string body;
  auto has = [&](const std::string& line) { return absl::StrContains(body, line); };
  const std::string overdue = "certpath_deadlines_overdue{kind=\"CORRECTIVE_ACTION\"} 1";
  const std::string pre_stage2 = "certpath_support_ending_before_stage2{within=\"30d\"} 1";
  for (int i = 0; i < 100 && !(has(overdue) && has(pre_stage2)); ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    body = HttpGet(replica.metrics_port(), "/metrics");
  }
  EXPECT_TRUE(has(overdue)) << body;
  EXPECT_TRUE(has(pre_stage2)) << body;
  // The ending engagement's support end is due within 7 days; the other's is not within 90.
  EXPECT_TRUE(has("certpath_deadlines_due{kind=\"SUPPORT_END\",within=\"7d\"} 1")) << body;
  EXPECT_TRUE(has("certpath_deadlines_due{kind=\"SUPPORT_END\",within=\"90d\"} 1")) << body;
  replica.Stop();
}

}  // namespace
}  // namespace certpath::testing
