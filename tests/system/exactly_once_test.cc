// Exactly-once billing under crashes: the real binaries — billing and two
// engagements replicas, both relaying — while 200 engagements pass stage 1 and
// processes are SIGKILLed at random moments and restarted. Afterwards: exactly
// 200 consulting-fee invoices, numbered without gaps, and an empty outbox.

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
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

namespace bv1 = certpath::billing::v1;
using EStub = v1::EngagementService::Stub;
using BStub = bv1::BillingService::Stub;

const Principal kAdmin = MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "admin@office");

bool Serving(const std::string& target) {
  auto h = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  return h->Check(&ctx, req, &resp).ok() &&
         resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

void WaitServing(const std::string& target) {
  for (int i = 0; i < 200 && !Serving(target); ++i) absl::SleepFor(absl::Milliseconds(50));
}

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
  RedisServer redis;
  std::string key_file = redis.dir() + "/signing.key";
  std::ofstream(key_file) << kTestSigningKey << "\n";
  int bport = FreePort(), e1port = FreePort(), e2port = FreePort();
  std::string b = absl::StrCat("127.0.0.1:", bport), e1 = absl::StrCat("127.0.0.1:", e1port),
              e2 = absl::StrCat("127.0.0.1:", e2port);
  auto common = [&](const std::string& listen) {
    return std::vector<std::string>{
        "--listen=" + listen, absl::StrCat("--metrics-listen=127.0.0.1:", FreePort()),
        "--redis-socket=" + redis.socket(), "--signing-key-file=" + key_file, "--drain-seconds=1"};
  };
  auto bargs = common(b);
  bargs.push_back("--engagements-target=" + e1);
  Process billing(BinaryPath("services/billing/certpath-billing"), bargs,
                  redis.dir() + "/billing.log");
  std::vector<std::unique_ptr<Process>> engs;
  for (const auto& listen : {e1, e2}) {
    auto args = common(listen);
    args.push_back("--billing-target=" + b);
    engs.push_back(
        std::make_unique<Process>(BinaryPath("services/engagements/certpath-engagements"), args,
                                  redis.dir() + "/engagements-" + listen + ".log"));
  }
  billing.Start();
  for (auto& p : engs) p->Start();
  for (const auto& t : {b, e1, e2}) WaitServing(t);

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
        {"billing", &billing}, {"engagements-1", engs[0].get()}, {"engagements-2", engs[1].get()}};
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
  EXPECT_GE(kills["engagements-1"] + kills["engagements-2"], 2);
  for (const auto& t : {b, e1, e2}) WaitServing(t);

  // The relays drain the outbox.
  RedisOptions ro;
  ro.unix_socket = redis.socket();
  RedisPool pool(ro);
  int64_t backlog = -1;
  for (int i = 0; i < 600 && backlog != 0; ++i) {
    auto r = pool.Command({"ZCARD", "eng:{t:t1}:outbox"});
    backlog = r.ok() ? r->integer : -1;
    if (backlog != 0) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(backlog, 0);
  auto dead = pool.Command({"ZCARD", "eng:{t:t1}:outbox_dead"});
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(dead->integer, 0);

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
  std::printf("kills: billing %d, engagements-1 %d, engagements-2 %d\n", kills["billing"],
              kills["engagements-1"], kills["engagements-2"]);
}

}  // namespace
}  // namespace certpath::testing
