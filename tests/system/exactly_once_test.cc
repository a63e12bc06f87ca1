// Exactly-once delivery under crashes: the real binaries — billing, a second
// consumer (certpath-test-consumer as "scheduling") and two engagements
// replicas, both relaying to both — while 200 engagements pass stage 1 and
// every process is SIGKILLed in turn at random moments and restarted.
// Afterwards: exactly 200 consulting-fee invoices, numbered without gaps; the
// second consumer applied each of the tenant's events exactly once and each
// engagement's in order; the outbox is empty.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "certpath/billing/v1/billing.grpc.pb.h"
#include "services/common/redis.h"
#include "tests/support/billing_setup.h"
#include "tests/support/process.h"
#include "tests/support/system_stack.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

namespace bv1 = certpath::billing::v1;
using EStub = v1::EngagementService::Stub;
using BStub = bv1::BillingService::Stub;

const Principal kAdmin = MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "admin@office");

// Retries a call until it succeeds (same request, same request_id), for up to a minute.
template <typename Fn>
absl::Status Retry(Fn fn) {
  absl::Status s;
  for (int i = 0; i < 600; ++i) {
    s = fn(i);
    if (s.ok()) return s;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return s;
}

TEST(ExactlyOnce, TwoHundredStage1PassesUnderSigkillGiveTwoHundredInvoices) {
  constexpr int kEngagements = 200;
  SystemStack stack;
  const std::string& b = stack.billing_target;
  const std::string& e1 = stack.engagement_targets[0];
  const std::string& e2 = stack.engagement_targets[1];
  stack.StartAll();

  auto estub = [&](int i) {
    return v1::EngagementService::NewStub(
        grpc::CreateChannel(i % 2 ? e2 : e1, grpc::InsecureChannelCredentials()));
  };
  auto bstub =
      bv1::BillingService::NewStub(grpc::CreateChannel(b, grpc::InsecureChannelCredentials()));
  auto eng = estub(0);

  // Setup (no chaos yet): issuer, a client, 200 engagements at stage 1 with accepted quotes.
  ASSERT_TRUE(SetUpIssuer(*bstub, kAdmin, /*withholding=*/false).ok());
  v1::CreateClientRequest creq;
  creq.set_parent("tenants/t1");
  creq.mutable_client()->set_display_name("株式会社デモ");
  v1::Client client;
  ASSERT_TRUE(CallAs(*eng, &EStub::CreateClient, kAdmin, creq, &client).ok());
  std::vector<std::string> names;
  for (int i = 0; i < kEngagements; ++i) {
    auto name = Stage1ReadyEngagement(*eng, *bstub, kAdmin, client.name(), 600'000);
    ASSERT_TRUE(name.ok()) << name.status();
    names.push_back(*name);
  }

  // Chaos: kill billing, replica 1, replica 2 in turn at random moments.
  std::atomic<bool> done{false};
  std::map<std::string, int> kills;
  std::thread chaos([&] {
    std::mt19937 rng(20261126);
    std::vector<std::pair<std::string, Process*>> victims = {
        {"billing", stack.billing.get()},
        {"engagements-1", stack.engagements[0].get()},
        {"consumer", stack.sink.get()},
        {"engagements-2", stack.engagements[1].get()}};
    for (size_t n = 0; !done.load(); ++n) {
      absl::SleepFor(absl::Milliseconds(100 + rng() % 250));
      if (done.load()) break;
      auto& [name, proc] = victims[n % victims.size()];
      proc->Signal(SIGKILL);
      ++kills[name];
      absl::SleepFor(absl::Milliseconds(50 + rng() % 200));
      proc->Start();
    }
  });

  // Stage 1 passes, each retried (same request_id) on either replica until acknowledged.
  for (int i = 0; i < kEngagements; ++i) {
    v1::RecordAuditResultRequest audit = Stage1Passed(names[i]);
    audit.set_request_id(absl::StrFormat("00000000-0000-4000-8000-%012d", i));
    absl::Status s = Retry([&](int attempt) {
      auto stub = estub(i + attempt);
      v1::Engagement e;
      return CallAs(*stub, &EStub::RecordAuditResult, kAdmin, audit, &e);
    });
    ASSERT_TRUE(s.ok()) << names[i] << ": " << s;
    absl::SleepFor(absl::Milliseconds(30));  // spread the passes over the kills
  }
  done = true;
  chaos.join();
  EXPECT_GE(kills["billing"], 1);
  EXPECT_GE(kills["consumer"], 1);
  EXPECT_GE(kills["engagements-1"] + kills["engagements-2"], 2);
  for (const auto& t : {b, e1, e2, stack.sink_target}) stack.WaitServing(t);

  // The relays drain both consumers' queues; every event record is gone.
  EXPECT_EQ(stack.WaitInt({"ZCARD", "eng:{t:t1}:out:q:billing"}, 0), 0);
  EXPECT_EQ(stack.WaitInt({"ZCARD", "eng:{t:t1}:out:q:scheduling"}, 0), 0);
  EXPECT_EQ(stack.Int({"ZCARD", "eng:{t:t1}:out:dead:billing"}), 0);
  EXPECT_EQ(stack.Int({"ZCARD", "eng:{t:t1}:out:dead:scheduling"}), 0);
  auto events = stack.pool().Command({"KEYS", "eng:{t:t1}:out:event:*"});
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->elements.size(), 0u) << "an event left behind in the outbox";

  // The second consumer applied every event the tenant published, each once
  // (a second application of an id would fail: its record must not exist),
  // and each engagement's events in the order they were written.
  int64_t published = stack.Int({"GET", "eng:{t:t1}:out:seq"});
  EXPECT_GT(published, 3 * kEngagements);
  EXPECT_EQ(stack.Int({"ZCARD", "sink:{t:t1}:idx:order"}), published);
  auto order = stack.pool().Command({"ZRANGE", "sink:{t:t1}:idx:order", "0", "-1"});
  ASSERT_TRUE(order.ok());
  std::map<std::string, int64_t> last_version;
  int out_of_order = 0;
  for (const auto& id : order->elements) {
    auto rec = stack.pool().Command({"HGET", "sink:{t:t1}:applied:" + id.str, "d"});
    ASSERT_TRUE(rec.ok() && !rec->is_nil()) << id.str;
    certpath::common::v1::OutboxEvent ev;
    ASSERT_TRUE(ev.ParseFromString(rec->str));
    int64_t& last = last_version[ev.subject()];
    if (ev.subject_version() < last) ++out_of_order;
    last = ev.subject_version();
  }
  EXPECT_EQ(out_of_order, 0) << "events of one engagement applied out of order";

  // Exactly one issued invoice per engagement, numbered 1..200 without gaps.
  std::set<std::string> numbers, engagements_billed;
  int invoices = 0;
  bv1::ListInvoicesRequest lr;
  lr.set_parent("tenants/t1");
  lr.set_page_size(100);
  for (;;) {
    bv1::ListInvoicesResponse resp;
    ASSERT_TRUE(Retry([&](int) {
                  resp.Clear();
                  return CallAs(*bstub, &BStub::ListInvoices, kAdmin, lr, &resp);
                }).ok());
    for (const auto& inv : resp.invoices()) {
      ++invoices;
      EXPECT_EQ(inv.state(), bv1::INVOICE_STATE_ISSUED);
      EXPECT_EQ(inv.totals().total_jpy(), 660'000);
      EXPECT_TRUE(numbers.insert(inv.number()).second) << "duplicate number " << inv.number();
      EXPECT_TRUE(engagements_billed.insert(inv.engagement()).second)
          << "second invoice for " << inv.engagement();
    }
    if (resp.next_page_token().empty()) break;
    lr.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(invoices, kEngagements);
  std::set<std::string> want;
  for (int i = 1; i <= kEngagements; ++i) want.insert(absl::StrFormat("INV-%04d", i));
  EXPECT_EQ(numbers, want);
  std::printf("kills: billing %d, consumer %d, engagements-1 %d, engagements-2 %d; %lld events\n",
              kills["billing"], kills["consumer"], kills["engagements-1"], kills["engagements-2"],
              static_cast<long long>(published));
}

}  // namespace
}  // namespace certpath::testing
