// Billing benchmark. In one run, on a durable redis-server with the real
// binaries (billing, and engagements relaying to it):
//  1. baseline: grpc.health.v1 Health/Check on the billing server;
//  2. RecordBillingEvent → invoice (one event, one draft invoice per call);
//  3. event → effect latency with two consumers: stage 1 recorded on
//     engagements → invoice visible on billing, and → every event of the
//     change applied by a second consumer (certpath-test-consumer as
//     "scheduling"), p50/p99, while RecordBillingEvent load runs alongside.
// Not a test: it never fails on time.
//
//   ./build/tests/bench_billing [--seconds=3] [--threads=16] [--triggers=200]

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "certpath/billing/v1/billing.grpc.pb.h"
#include "services/common/config.h"
#include "services/common/crypto.h"
#include "services/common/redis.h"
#include "tests/bench/bench_util.h"
#include "tests/support/billing_setup.h"
#include "tests/support/process.h"

namespace certpath::testing {
namespace {

using namespace bench;  // NOLINT: the bench helpers
namespace bv1 = certpath::billing::v1;
using BStub = bv1::BillingService::Stub;
using EStub = v1::EngagementService::Stub;

int Main(int argc, char** argv) {
  auto config = Config::FromArgs(argc, argv);
  if (!config.ok()) return 2;
  const double seconds = static_cast<double>(config->GetInt("seconds", 3).value_or(3));
  const int threads = static_cast<int>(config->GetInt("threads", 16).value_or(16));
  const int triggers = static_cast<int>(config->GetInt("triggers", 200).value_or(200));

  RedisServer redis;
  std::string key_file = redis.dir() + "/signing.key";
  std::ofstream(key_file) << kTestSigningKey << "\n";
  std::string b = absl::StrCat("127.0.0.1:", FreePort()),
              e = absl::StrCat("127.0.0.1:", FreePort()),
              sink = absl::StrCat("127.0.0.1:", FreePort());
  int bmetrics = FreePort();
  auto args = [&](const std::string& listen, int metrics) {
    return std::vector<std::string>{
        "--listen=" + listen, absl::StrCat("--metrics-listen=127.0.0.1:", metrics),
        "--redis-socket=" + redis.socket(), "--signing-key-file=" + key_file,
        "--metrics-interval-seconds=3600"};
  };
  auto bargs = args(b, bmetrics);
  bargs.push_back("--engagements-target=" + e);
  auto eargs = args(e, FreePort());
  eargs.push_back("--billing-target=" + b);
  eargs.push_back("--scheduling-target=" + sink);
  auto sargs = args(sink, FreePort());
  sargs.push_back("--consumer=scheduling");
  Process billing(BinaryPath("services/billing/certpath-billing"), bargs, "/dev/null");
  Process engagements(BinaryPath("services/engagements/certpath-engagements"), eargs, "/dev/null");
  Process consumer(BinaryPath("tests/certpath-test-consumer"), sargs, "/dev/null");
  billing.Start();
  engagements.Start();
  consumer.Start();
  RedisOptions ro;
  ro.unix_socket = redis.socket();
  RedisPool pool(ro);
  auto redis_int = [&](std::initializer_list<absl::string_view> cmd) -> int64_t {
    auto r = pool.Command(RedisPool::Args(cmd));
    if (!r.ok() || r->is_nil()) return 0;
    return r->type == RedisReply::Type::kInteger ? r->integer : std::stoll(r->str);
  };
  auto bchan = grpc::CreateChannel(b, grpc::InsecureChannelCredentials());
  auto bstub = bv1::BillingService::NewStub(bchan);
  auto estub =
      v1::EngagementService::NewStub(grpc::CreateChannel(e, grpc::InsecureChannelCredentials()));
  auto health = grpc::health::v1::Health::NewStub(bchan);
  const Principal admin = MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "bench");
  if (!WaitServing(b) || !WaitServing(e) || !WaitServing(sink)) {
    std::fprintf(stderr, "services did not start\n");
    return 1;
  }
  if (!SetUpIssuer(*bstub, admin, /*withholding=*/false).ok()) return 1;

  v1::CreateClientRequest creq;
  creq.set_parent("tenants/t1");
  creq.mutable_client()->set_display_name("株式会社ベンチ");
  v1::Client client;
  if (!CallAs(*estub, &EStub::CreateClient, admin, creq, &client).ok()) return 1;
  v1::CreateEngagementRequest first;
  first.set_parent("tenants/t1");
  first.mutable_engagement()->set_client(client.name());
  first.mutable_engagement()->set_standard("ISO_IEC_27001_2022");
  *first.mutable_engagement()->mutable_support_start() = Day(2026, 4, 1);
  v1::Engagement option_engagement;
  if (!CallAs(*estub, &EStub::CreateEngagement, admin, first, &option_engagement).ok()) return 1;

  auto health_op = [&](int, int64_t) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    return health->Check(&ctx, req, &resp).ok();
  };
  auto event_op = [&](int, int64_t) {
    bv1::RecordBillingEventRequest req;
    req.set_parent("tenants/t1");
    req.set_request_id(RandomUuid());
    auto* be = req.mutable_billing_event();
    be->set_kind(bv1::BILLING_EVENT_KIND_OPTION_DELIVERED);
    be->set_engagement(option_engagement.name());
    be->set_recipient_name("株式会社ベンチ");
    *be->mutable_occurred_date() = Day(2026, 11, 25);
    auto* l = be->add_lines();
    l->set_kind(bv1::LINE_KIND_GUIDANCE);
    l->set_description("内部監査員教育（1日）");
    l->set_quantity(1);
    l->set_unit_price_jpy(50'000);
    bv1::BillingEvent out;
    return CallAs(*bstub, &BStub::RecordBillingEvent, admin, req, &out).ok();
  };

  std::printf("certpath billing benchmark: %d client threads, %.0f s per figure\n", threads,
              seconds);
  std::printf("(2-core machine: client, services and Redis share the cores; compare ratios)\n\n");
  Result base = Measure(threads, seconds, health_op);
  Print("Health/Check (baseline)", base, base, -1);
  double before = ScrapeCounter(bmetrics, "certpath_redis_round_trips_total");
  Result ev = Measure(threads, seconds, event_op);
  double after = ScrapeCounter(bmetrics, "certpath_redis_round_trips_total");
  Print("RecordBillingEvent → invoice", ev, base,
        (after - before) / std::max<int64_t>(1, ev.calls));

  // Trigger latency: engagements at stage 1 with accepted quotes.
  std::vector<std::string> names;
  for (int i = 0; i < triggers; ++i) {
    auto name = Stage1ReadyEngagement(*estub, *bstub, admin, client.name(), 600'000);
    if (!name.ok()) return 1;
    names.push_back(*name);
  }
  // Background load: a quarter of the threads keep recording billing events.
  std::atomic<bool> stop{false};
  std::vector<std::thread> load;
  for (int t = 0; t < std::max(1, threads / 4); ++t) {
    load.emplace_back([&] {
      while (!stop.load()) event_op(0, 0);
    });
  }
  // The second consumer catches up with the setup's events first.
  for (int i = 0; i < 600 && redis_int({"ZCARD", "eng:{t:t1}:out:q:scheduling"}) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<double> lat, sink_lat;
  auto ms_since = [](std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  for (const auto& name : names) {
    v1::RecordAuditResultRequest audit = Stage1Passed(name);
    v1::Engagement out;
    auto t0 = std::chrono::steady_clock::now();
    if (!CallAs(*estub, &EStub::RecordAuditResult, admin, audit, &out).ok()) continue;
    // Every event written so far (this change's included) goes to the second consumer.
    int64_t written = redis_int({"GET", "eng:{t:t1}:out:seq"});
    bv1::ListInvoicesRequest lr;
    lr.set_parent("tenants/t1");
    lr.set_engagement(name);
    bool invoiced = false, applied = false;
    for (int i = 0; i < 5000 && !(invoiced && applied); ++i) {
      bv1::ListInvoicesResponse resp;
      if (!invoiced && CallAs(*bstub, &BStub::ListInvoices, admin, lr, &resp).ok() &&
          resp.invoices_size() > 0) {
        invoiced = true;
        lat.push_back(ms_since(t0));
      }
      if (!applied && redis_int({"ZCARD", "sink:{t:t1}:idx:order"}) >= written) {
        applied = true;
        sink_lat.push_back(ms_since(t0));
      }
    }
  }
  stop = true;
  for (auto& t : load) t.join();
  auto report = [&](const char* what, std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    if (v.empty()) return;
    std::printf(
        "%-34s %zu triggers  p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms (with %d load threads)\n",
        what, v.size(), v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)], v.back(),
        std::max(1, threads / 4));
  };
  report("stage 1 recorded → invoice visible", lat);
  report("… → applied by 2nd consumer", sink_lat);
  std::printf("%-34s %ld KiB\n", "billing RSS", RssKiB(billing.pid()));
  Result base2 = Measure(threads, seconds, health_op);
  Print("Health/Check (baseline, again)", base2, base, -1);
  billing.Signal(SIGTERM);
  engagements.Signal(SIGTERM);
  consumer.Signal(SIGTERM);
  return 0;
}

}  // namespace
}  // namespace certpath::testing

int main(int argc, char** argv) { return certpath::testing::Main(argc, argv); }
