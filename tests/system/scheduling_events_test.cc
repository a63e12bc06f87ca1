// Scheduling's events under crashes, on the real binaries (SystemStack with
// the real scheduling service): 30 paid visits and the three included ones
// are completed while scheduling, billing and engagements are SIGKILLed in
// turn and restarted. Afterwards: exactly one billing event (and invoice) per
// paid visit, priced from the price list; the three checklist tasks done;
// scheduling's queues empty and nothing dead-lettered.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "certpath/billing/v1/billing.grpc.pb.h"
#include "certpath/scheduling/v1/scheduling.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/validate.h"
#include "tests/support/billing_setup.h"
#include "tests/support/system_stack.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

namespace bv1 = certpath::billing::v1;
namespace sv1 = certpath::scheduling::v1;
using EStub = v1::EngagementService::Stub;
using BStub = bv1::BillingService::Stub;
using SStub = sv1::SchedulingService::Stub;

const Principal kAdmin = MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "admin@office");

template <typename Fn>
absl::Status Retry(Fn fn) {
  absl::Status s;
  for (int i = 0; i < 600; ++i) {
    s = fn();
    if (s.ok()) return s;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return s;
}

// The real stack with a client, an engagement ready for stage 1 (support from
// 2026-04-01, an accepted quote) and a consultant.
struct Scene {
  explicit Scene(const char* company) : stack(1, /*real_scheduling=*/true) {
    stack.StartAll();
    auto channel = [](const std::string& t) {
      return grpc::CreateChannel(t, grpc::InsecureChannelCredentials());
    };
    eng = v1::EngagementService::NewStub(channel(stack.engagement_targets[0]));
    bill = bv1::BillingService::NewStub(channel(stack.billing_target));
    sched = sv1::SchedulingService::NewStub(channel(stack.scheduling_target));
    EXPECT_TRUE(SetUpIssuer(*bill, kAdmin, false).ok());
    v1::CreateClientRequest creq;
    creq.set_parent("tenants/t1");
    creq.mutable_client()->set_display_name(company);
    EXPECT_TRUE(CallAs(*eng, &EStub::CreateClient, kAdmin, creq, &client).ok());
    auto e = Stage1ReadyEngagement(*eng, *bill, kAdmin, client.name(), 800'000);
    EXPECT_TRUE(e.ok()) << e.status();
    engagement = e.value_or("");
    sv1::CreateConsultantRequest cc;
    cc.set_parent("tenants/t1");
    cc.mutable_consultant()->set_subject("kenji@office");
    cc.mutable_consultant()->set_display_name_ja("佐藤 健二");
    cc.mutable_consultant()->set_weekly_visit_capacity(50);
    EXPECT_TRUE(CallAs(*sched, &SStub::CreateConsultant, kAdmin, cc, &consultant).ok());
  }
  SystemStack stack;
  std::unique_ptr<v1::EngagementService::Stub> eng;
  std::unique_ptr<bv1::BillingService::Stub> bill;
  std::unique_ptr<sv1::SchedulingService::Stub> sched;
  v1::Client client;
  std::string engagement;
  sv1::Consultant consultant;
};

TEST(SchedulingEvents, PaidVisitsDoneUnderSigkillAreBilledExactlyOnce) {
  constexpr int kPaid = 30;
  Scene scene("株式会社クラッシュ");
  ASSERT_FALSE(scene.engagement.empty());
  SystemStack& stack = scene.stack;
  auto channel = [](const std::string& t) {
    return grpc::CreateChannel(t, grpc::InsecureChannelCredentials());
  };
  auto& eng = scene.eng;
  auto& bill = scene.bill;
  auto& sched = scene.sched;
  const std::string* engagement = &scene.engagement;
  const sv1::Consultant& consultant = scene.consultant;
  // Past business days of the support period, one visit each (9:00–12:00 JST).
  sv1::ListBusinessDaysRequest lb;
  lb.set_parent("tenants/t1");
  *lb.mutable_first_day() = Day(2026, 9, 1);
  *lb.mutable_last_day() = Day(2026, 11, 20);
  sv1::ListBusinessDaysResponse days;
  ASSERT_TRUE(CallAs(*sched, &SStub::ListBusinessDays, kAdmin, lb, &days).ok());
  ASSERT_GE(days.business_days_size(), kPaid + 3);
  std::vector<std::string> visits;
  for (int i = 0; i < kPaid + 3; ++i) {
    sv1::BookVisitRequest req;
    req.set_parent("tenants/t1");
    auto* v = req.mutable_visit();
    v->set_engagement(*engagement);
    v->set_kind(i < 3 ? static_cast<sv1::VisitKind>(sv1::VISIT_KIND_INCLUDED_1 + i)
                      : sv1::VISIT_KIND_OPTION_B);
    if (i >= 3)
      v->set_billable_length(i % 2 ? sv1::BILLABLE_LENGTH_DAY : sv1::BILLABLE_LENGTH_HALF_DAY);
    absl::CivilDay day = *ToCivilDay(days.business_days(i));
    *v->mutable_start_time() = ToTimestamp(absl::FromCivil(absl::CivilHour(day) + 9, TokyoZone()));
    *v->mutable_end_time() = ToTimestamp(absl::FromCivil(absl::CivilHour(day) + 12, TokyoZone()));
    v->add_consultants(consultant.name());
    sv1::Visit out;
    absl::Status s = Retry([&] {  // until scheduling has the engagement's event
      absl::Status b = CallAs(*sched, &SStub::BookVisit, kAdmin, req, &out);
      return b.code() == absl::StatusCode::kNotFound ? b : absl::OkStatus();
    });
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_FALSE(out.name().empty()) << i;
    visits.push_back(out.name());
  }

  // Chaos: every 0.3 s one of the three is SIGKILLed and started again.
  std::atomic<bool> done{false};
  std::map<std::string, int> kills;
  std::thread chaos([&] {
    std::vector<std::pair<std::string, Process*>> victims = {
        {"scheduling", stack.scheduling.get()},
        {"billing", stack.billing.get()},
        {"engagements", stack.engagements[0].get()}};
    for (int n = 0; !done.load(); ++n) {
      absl::SleepFor(absl::Milliseconds(300));
      auto& [name, process] = victims[n % victims.size()];
      process->Signal(SIGKILL);
      process->Start();
      ++kills[name];
    }
  });
  for (const auto& name : visits) {
    sv1::CompleteVisitRequest req;
    req.set_name(name);
    req.set_minutes("実施済み");
    absl::Status s = Retry([&] {
      auto stub = sv1::SchedulingService::NewStub(channel(stack.scheduling_target));
      sv1::Visit out;
      absl::Status c = CallAs(*stub, &SStub::CompleteVisit, kAdmin, req, &out);
      // Done by an attempt whose answer was lost in a kill.
      if (c.code() == absl::StatusCode::kFailedPrecondition &&
          absl::StrContains(c.message(), "VISIT_STATE_DONE")) {
        return absl::OkStatus();
      }
      return c;
    });
    ASSERT_TRUE(s.ok()) << name << ": " << s;
    absl::SleepFor(absl::Milliseconds(100));  // spread the completions over the kills
  }
  done = true;
  chaos.join();
  EXPECT_GE(kills["scheduling"], 1);
  EXPECT_GE(kills["billing"], 1);
  for (const auto& t : {stack.billing_target, stack.scheduling_target, stack.engagement_targets[0]})
    stack.WaitServing(t);

  // Scheduling's queues drain; nothing refused.
  EXPECT_EQ(stack.WaitInt({"ZCARD", "sch:{t:t1}:out:q:billing"}, 0), 0);
  EXPECT_EQ(stack.WaitInt({"ZCARD", "sch:{t:t1}:out:q:engagements"}, 0), 0);
  EXPECT_EQ(stack.Int({"ZCARD", "sch:{t:t1}:out:dead:billing"}), 0);
  EXPECT_EQ(stack.Int({"ZCARD", "sch:{t:t1}:out:dead:engagements"}), 0);

  // One billing event per paid visit: day 50,000 / half day 30,000 yen.
  bv1::ListBillingEventsRequest lreq;
  lreq.set_parent("tenants/t1");
  lreq.set_engagement(*engagement);
  lreq.set_page_size(500);
  bv1::ListBillingEventsResponse events;
  ASSERT_TRUE(CallAs(*bill, &BStub::ListBillingEvents, kAdmin, lreq, &events).ok());
  int paid = 0;
  int64_t yen = 0;
  std::set<std::string> invoices;
  for (const auto& e : events.billing_events()) {
    if (e.kind() != bv1::BILLING_EVENT_KIND_OPTION_DELIVERED) continue;
    ++paid;
    invoices.insert(e.invoice());
    for (const auto& l : e.lines()) yen += l.unit_price_jpy() * l.quantity();
  }
  EXPECT_EQ(paid, kPaid);
  EXPECT_EQ(invoices.size(), static_cast<size_t>(kPaid));
  EXPECT_EQ(yen, (kPaid / 2) * 50'000 + (kPaid - kPaid / 2) * 30'000);
  // The three included visits' tasks are done in engagements.
  v1::ListTasksRequest tasks;
  tasks.set_parent(*engagement);
  v1::ListTasksResponse resp;
  ASSERT_TRUE(CallAs(*eng, &EStub::ListTasks, kAdmin, tasks, &resp).ok());
  int visit_tasks_done = 0;
  for (const auto& t : resp.tasks()) {
    if (absl::StartsWith(t.task_id(), "cons-o-visit-") && t.status() == v1::TASK_STATUS_DONE) {
      ++visit_tasks_done;
    }
  }
  EXPECT_EQ(visit_tasks_done, 3);
  std::printf("kills: scheduling %d, billing %d, engagements %d\n", kills["scheduling"],
              kills["billing"], kills["engagements"]);
}

// A client's personal data erased in engagements is erased from its visits
// too (the event ClientPersonalDataErased): the client attendees' names and
// e-mail addresses go, the visits stay.
TEST(SchedulingEvents, ErasingAClientsPersonalDataErasesItsVisitsAttendees) {
  Scene scene("株式会社消去");
  ASSERT_FALSE(scene.engagement.empty());
  auto& eng = scene.eng;
  auto& sched = scene.sched;
  const std::string* engagement = &scene.engagement;
  const v1::Client& client = scene.client;
  const sv1::Consultant& consultant = scene.consultant;
  sv1::BookVisitRequest req;
  req.set_parent("tenants/t1");
  auto* v = req.mutable_visit();
  v->set_engagement(*engagement);
  v->set_kind(sv1::VISIT_KIND_INCLUDED_1);
  *v->mutable_start_time() =
      ToTimestamp(absl::FromCivil(absl::CivilHour(2026, 9, 1, 9), TokyoZone()));
  *v->mutable_end_time() =
      ToTimestamp(absl::FromCivil(absl::CivilHour(2026, 9, 1, 12), TokyoZone()));
  v->add_consultants(consultant.name());
  v->add_client_attendees("山本 三郎 (yamamoto@example.jp)");
  v->add_client_attendees("田中 花子");
  v->set_agenda("リスクアセスメントの進め方");
  sv1::Visit visit;
  ASSERT_TRUE(Retry([&] {  // until scheduling has the engagement's event
                absl::Status b = CallAs(*sched, &SStub::BookVisit, kAdmin, req, &visit);
                return b.code() == absl::StatusCode::kNotFound ? b : absl::OkStatus();
              })
                  .ok());
  ASSERT_EQ(visit.client_attendees_size(), 2);
  v1::EraseClientPersonalDataRequest erase;
  erase.set_name(client.name());
  erase.set_reason("本人からの削除請求");
  v1::Client erased;
  ASSERT_TRUE(CallAs(*eng, &EStub::EraseClientPersonalData, kAdmin, erase, &erased).ok());
  sv1::GetVisitRequest get;
  get.set_name(visit.name());
  sv1::Visit after;
  absl::Status s = Retry([&] {
    absl::Status g = CallAs(*sched, &SStub::GetVisit, kAdmin, get, &after);
    if (!g.ok()) return g;
    return after.client_attendees(0) == "（消去済み）" ? absl::OkStatus()
                                                       : absl::UnavailableError("not yet");
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(after.client_attendees(1), "（消去済み）");
  EXPECT_EQ(after.agenda(), "リスクアセスメントの進め方");  // the business record stays
  EXPECT_GT(after.sequence(), visit.sequence());            // calendar apps take the change
  EXPECT_EQ(scene.stack.WaitInt({"ZCARD", "eng:{t:t1}:out:q:scheduling"}, 0), 0);
  EXPECT_EQ(scene.stack.Int({"ZCARD", "eng:{t:t1}:out:dead:scheduling"}), 0);
}

}  // namespace
}  // namespace certpath::testing
