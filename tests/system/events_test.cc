// Event delivery between the real binaries (services/common/outbox.h): a
// poisoned event is dead-lettered, listed, replayed after a fix and applied
// once, while later events of its engagement wait behind it; a consumer down
// for a minute gets everything afterwards and delays nobody else.

#include <gtest/gtest.h>
#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "certpath/billing/v1/billing.grpc.pb.h"
#include "tests/support/billing_setup.h"
#include "tests/support/system_stack.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

namespace bv1 = certpath::billing::v1;
namespace cv1 = certpath::common::v1;
using EStub = v1::EngagementService::Stub;
using BStub = bv1::BillingService::Stub;

const Principal kAdmin = MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "admin@office");
const Principal kConsultant = MakePrincipal(Principal::ROLE_CONSULTANT, "sato@office");

std::unique_ptr<EStub> Engagements(const std::string& target) {
  return v1::EngagementService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

std::string NewClient(EStub& e) {
  v1::CreateClientRequest req;
  req.set_parent("tenants/t1");
  req.mutable_client()->set_display_name("株式会社デモ");
  v1::Client c;
  EXPECT_TRUE(CallAs(e, &EStub::CreateClient, kAdmin, req, &c).ok());
  return c.name();
}

std::string NewEngagement(EStub& e, const std::string& client) {
  v1::CreateEngagementRequest req;
  req.set_parent("tenants/t1");
  req.mutable_engagement()->set_client(client);
  req.mutable_engagement()->set_standard("ISO_IEC_27001_2022");
  *req.mutable_engagement()->mutable_support_start() = Day(2026, 11, 1);
  v1::Engagement out;
  absl::Status s = CallAs(e, &EStub::CreateEngagement, kAdmin, req, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out.name();
}

// A change that publishes EngagementChanged (the lead consultant is in its contract).
absl::Status ChangeLead(EStub& e, const std::string& name, const std::string& lead) {
  v1::UpdateEngagementRequest req;
  req.mutable_engagement()->set_name(name);
  req.mutable_engagement()->set_lead_consultant(lead);
  req.mutable_update_mask()->add_paths("lead_consultant");
  v1::Engagement out;
  return CallAs(e, &EStub::UpdateEngagement, kAdmin, req, &out);
}

// The lead consultants the consumer applied for `engagement`, in application order.
std::vector<std::string> AppliedLeads(SystemStack& stack, const std::string& engagement) {
  std::vector<std::string> out;
  auto order = stack.pool().Command({"ZRANGE", "sink:{t:t1}:idx:order", "0", "-1"});
  if (!order.ok()) return out;
  for (const auto& id : order->elements) {
    auto rec = stack.pool().Command({"HGET", "sink:{t:t1}:applied:" + id.str, "d"});
    cv1::OutboxEvent ev;
    v1::EngagementChanged c;
    if (!rec.ok() || rec->is_nil() || !ev.ParseFromString(rec->str)) continue;
    if (ev.subject() != engagement || !ev.payload().UnpackTo(&c)) continue;
    out.push_back(c.lead_consultant());
  }
  return out;
}

cv1::ListDeadLettersResponse DeadLetters(EStub& e) {
  cv1::ListDeadLettersRequest req;
  req.set_parent("tenants/t1/producers/engagements");
  cv1::ListDeadLettersResponse resp;
  EXPECT_TRUE(CallAs(e, &EStub::ListDeadLetters, kAdmin, req, &resp).ok());
  return resp;
}

TEST(Events, APoisonedEventIsDeadLetteredListedReplayedAfterAFixAndAppliedOnce) {
  SystemStack stack(1);
  stack.StartAll();
  auto e = Engagements(stack.engagement_targets[0]);
  std::string client = NewClient(*e);
  std::string poisoned = NewEngagement(*e, client);
  std::string other = NewEngagement(*e, client);
  std::string discarded = NewEngagement(*e, client);
  ASSERT_EQ(stack.WaitInt({"ZCARD", "eng:{t:t1}:out:q:scheduling"}, 0), 0);

  // The consumer now refuses events about two engagements (a bug, say).
  stack.sink->Signal(SIGKILL);
  stack.ResetSink({"--refuse-subject=" + poisoned, "--refuse-subject-2=" + discarded});
  stack.sink->Start();
  stack.WaitServing(stack.sink_target);
  ASSERT_TRUE(ChangeLead(*e, poisoned, "first@office").ok());
  ASSERT_TRUE(ChangeLead(*e, poisoned, "second@office").ok());  // waits behind the first
  ASSERT_TRUE(ChangeLead(*e, other, "other@office").ok());
  ASSERT_TRUE(ChangeLead(*e, discarded, "gone@office").ok());
  ASSERT_TRUE(ChangeLead(*e, discarded, "after@office").ok());

  // The other engagement's event is applied; the two refused ones are dead
  // letters; the later events of their engagements wait in the queue.
  EXPECT_EQ(stack.WaitInt({"ZCARD", "eng:{t:t1}:out:dead:scheduling"}, 2), 2);
  EXPECT_EQ(AppliedLeads(stack, other), (std::vector<std::string>{"", "other@office"}));
  EXPECT_EQ(stack.WaitInt({"ZCARD", "eng:{t:t1}:out:q:scheduling"}, 2), 2);
  auto dead = DeadLetters(*e);
  ASSERT_EQ(dead.dead_letters_size(), 2);
  cv1::DeadLetter poisoned_dl, discarded_dl;
  for (const auto& d : dead.dead_letters()) {
    EXPECT_EQ(d.consumer(), "scheduling");
    EXPECT_EQ(d.error_code(), "FAILED_PRECONDITION");
    EXPECT_GE(d.attempts(), 1);
    EXPECT_EQ(d.event().type(), "certpath.engagements.v1.EngagementChanged");
    (d.event().subject() == poisoned ? poisoned_dl : discarded_dl) = d;
  }
  ASSERT_EQ(poisoned_dl.event().subject(), poisoned);
  // The operator's tool lists the same.
  std::string out;
  EXPECT_EQ(stack.Admin("dead-letters list --producer=engagements --tenant=t1 --target=" +
                            stack.engagement_targets[0],
                        &out),
            0);
  EXPECT_TRUE(absl::StrContains(out, poisoned_dl.name())) << out;
  EXPECT_TRUE(absl::StrContains(out, discarded_dl.name())) << out;
  ASSERT_EQ(discarded_dl.event().subject(), discarded);
  EXPECT_TRUE(absl::StartsWith(poisoned_dl.name(),
                               "tenants/t1/producers/engagements/deadLetters/scheduling-"));
  {
    cv1::GetDeadLetterRequest get;
    get.set_name(poisoned_dl.name());
    cv1::DeadLetter got;
    ASSERT_TRUE(CallAs(*e, &EStub::GetDeadLetter, kAdmin, get, &got).ok());
    EXPECT_EQ(got.event().id(), poisoned_dl.event().id());
    // Office admins only; other tenants do not see it.
    EXPECT_EQ(CallAs(*e, &EStub::GetDeadLetter, kConsultant, get, &got).code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(CallAs(*e, &EStub::GetDeadLetter,
                     MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "eve", "", "t2"), get, &got)
                  .code(),
              absl::StatusCode::kNotFound);
  }

  // The fix: the consumer no longer refuses. Nothing moves until the replay.
  stack.sink->Signal(SIGKILL);
  stack.ResetSink({});
  stack.sink->Start();
  stack.WaitServing(stack.sink_target);
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(AppliedLeads(stack, poisoned), std::vector<std::string>{""});  // only the creation
  cv1::ReplayDeadLetterRequest replay;
  replay.set_name(poisoned_dl.name());
  replay.set_request_id("3b0d2c1a-7e4f-4a8b-9c6d-5e4f3a2b1c0d");
  cv1::DeadLetter replayed;
  ASSERT_TRUE(CallAs(*e, &EStub::ReplayDeadLetter, kAdmin, replay, &replayed).ok());
  // A retry of the replay answers the same; a new replay finds nothing.
  ASSERT_TRUE(CallAs(*e, &EStub::ReplayDeadLetter, kAdmin, replay, &replayed).ok());
  replay.set_request_id("");
  EXPECT_EQ(CallAs(*e, &EStub::ReplayDeadLetter, kAdmin, replay, &replayed).code(),
            absl::StatusCode::kNotFound);
  // Discarding drops the other for good; its later event flows.
  cv1::DiscardDeadLetterRequest discard;
  discard.set_name(discarded_dl.name());
  EXPECT_EQ(CallAs(*e, &EStub::DiscardDeadLetter, kAdmin, discard, &replayed).code(),
            absl::StatusCode::kInvalidArgument);  // a reason is required
  discard.set_reason("superseded by the next change");
  ASSERT_TRUE(CallAs(*e, &EStub::DiscardDeadLetter, kAdmin, discard, &replayed).ok());

  EXPECT_EQ(stack.WaitInt({"ZCARD", "eng:{t:t1}:out:q:scheduling"}, 0), 0);
  EXPECT_EQ(stack.Int({"ZCARD", "eng:{t:t1}:out:dead:scheduling"}), 0);
  // Applied once each, in the order written; the discarded one never.
  EXPECT_EQ(AppliedLeads(stack, poisoned),
            (std::vector<std::string>{"", "first@office", "second@office"}));
  EXPECT_EQ(AppliedLeads(stack, discarded), (std::vector<std::string>{"", "after@office"}));
  EXPECT_EQ(DeadLetters(*e).dead_letters_size(), 0);
  auto events = stack.pool().Command({"KEYS", "eng:{t:t1}:out:event:*"});
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->elements.size(), 0u);
  EXPECT_EQ(stack.Int({"ZCARD", "eng:{t:t1}:out:dlidx"}), 0);
  // The replay and the discard are in the audit trail, which verifies.
  EXPECT_EQ(stack.Admin("audit list --service=engagements --tenant=t1 --resource=" +
                            discarded_dl.name() + " --target=" + stack.engagement_targets[0],
                        &out),
            0);
  EXPECT_TRUE(absl::StrContains(out, "\"method\": \"DiscardDeadLetter\"")) << out;
  EXPECT_EQ(stack.Admin("audit verify --service=engagements --tenant=t1 --target=" +
                            stack.engagement_targets[0],
                        &out),
            0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "\"intact\": true")) << out;
  // A break is reported with exit code 1 and where it is.
  ASSERT_TRUE(stack.pool().Command({"HDEL", "eng:{t:t1}:audit:e", "2"}).ok());
  EXPECT_EQ(stack.Admin("audit verify --service=engagements --tenant=t1 --target=" +
                            stack.engagement_targets[0],
                        &out),
            1)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "\"kind\": \"DELETED\"")) << out;
}

TEST(Events, AConsumerDownForAMinuteGetsEverythingAfterwardsAndDelaysNobodyElse) {
  SystemStack stack(1);
  stack.StartAll();
  auto e = Engagements(stack.engagement_targets[0]);
  auto bill = bv1::BillingService::NewStub(
      grpc::CreateChannel(stack.billing_target, grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(SetUpIssuer(*bill, kAdmin, /*withholding=*/false).ok());
  std::string client = NewClient(*e);

  stack.sink->Signal(SIGKILL);
  absl::Time down = absl::Now();
  int passed = 0;
  while (absl::Now() - down < absl::Seconds(60)) {
    auto name = Stage1ReadyEngagement(*e, *bill, kAdmin, client, 500'000);
    ASSERT_TRUE(name.ok()) << name.status();
    v1::Engagement out;
    ASSERT_TRUE(CallAs(*e, &EStub::RecordAuditResult, kAdmin, Stage1Passed(*name), &out).ok());
    ++passed;
    // Billing, up, invoices at once: the consumer that is down delays only its own queue.
    EXPECT_EQ(stack.WaitInt({"ZCARD", "eng:{t:t1}:out:q:billing"}, 0, absl::Seconds(10)), 0);
    absl::SleepFor(absl::Seconds(4));
  }
  int64_t waiting = stack.Int({"ZCARD", "eng:{t:t1}:out:q:scheduling"});
  int64_t published = stack.Int({"GET", "eng:{t:t1}:out:seq"});
  EXPECT_GE(waiting, 5 * passed);  // created, phase changes, audit result, stage 1 …
  bv1::ListInvoicesRequest lr;
  lr.set_parent("tenants/t1");
  lr.set_page_size(500);
  bv1::ListInvoicesResponse invoices;
  ASSERT_TRUE(CallAs(*bill, &BStub::ListInvoices, kAdmin, lr, &invoices).ok());
  EXPECT_EQ(invoices.invoices_size(), passed);

  stack.sink->Start();
  EXPECT_EQ(stack.WaitInt({"ZCARD", "eng:{t:t1}:out:q:scheduling"}, 0), 0);
  EXPECT_EQ(stack.Int({"ZCARD", "sink:{t:t1}:idx:order"}), published);
  std::printf("consumer down %.0f s: %d stage-1 passes billed meanwhile, %lld events waited\n",
              absl::ToDoubleSeconds(absl::Now() - down), passed, static_cast<long long>(waiting));
}

}  // namespace
}  // namespace certpath::testing
