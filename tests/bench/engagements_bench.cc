// Load generator for the engagements service. In one run it measures the
// baseline (grpc.health.v1 Health/Check on the same server) and then
// GetEngagement, CreateEngagement and ListEngagements (page 50) at 1k and at
// N engagements (default 100k), printing qps, p50/p99, the ratio to the
// baseline, Redis round trips per call and the service's RSS; then what the
// audit trail costs CreateEngagement (the same binary with --audit-trail=off,
// alternately).
//
// The service is the real binary (so its RSS is its own) on a durable
// redis-server (appendfsync always). Not a test: it never fails on time.
//
//   ./build/tests/bench_engagements [--engagements=100000] [--seconds=3] [--threads=16]

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/config.h"
#include "tests/bench/bench_util.h"
#include "tests/support/process.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

using Stub = v1::EngagementService::Stub;

using namespace bench;  // NOLINT: the bench helpers

int Main(int argc, char** argv) {
  auto config = Config::FromArgs(argc, argv);
  if (!config.ok()) return 2;
  const int64_t total = config->GetInt("engagements", 100000).value_or(100000);
  const double seconds = static_cast<double>(config->GetInt("seconds", 3).value_or(3));
  const int threads = static_cast<int>(config->GetInt("threads", 16).value_or(16));

  RedisServer redis;  // durable: appendfsync always
  std::string key_file = redis.dir() + "/signing.key";
  std::ofstream(key_file) << kTestSigningKey << "\n";
  int port = FreePort(), metrics_port = FreePort();
  std::string target = "127.0.0.1:" + std::to_string(port);
  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = freopen("/dev/null", "w", stdout);
    (void)out;
    std::string bin =
        std::string(CERTPATH_BINARY_DIR) + "/services/engagements/certpath-engagements";
    std::string a1 = "--listen=" + target,
                a2 = absl::StrCat("--metrics-listen=127.0.0.1:", metrics_port),
                a3 = "--redis-socket=" + redis.socket(), a4 = "--signing-key-file=" + key_file,
                a5 = "--metrics-interval-seconds=3600";
    execl(bin.c_str(), bin.c_str(), a1.c_str(), a2.c_str(), a3.c_str(), a4.c_str(), a5.c_str(),
          nullptr);
    _exit(127);
  }
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto stub = v1::EngagementService::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  for (int i = 0; i < 300; ++i) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    if (health->Check(&ctx, req, &resp).ok() &&
        resp.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string token = SignedToken(MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "bench"),
                                        absl::Now(), absl::Hours(12));
  auto call = [&](auto method, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ((*stub).*method)(&ctx, req, resp).ok();
  };

  v1::CreateClientRequest cr;
  cr.set_parent("tenants/t1");
  cr.mutable_client()->set_display_name("株式会社ベンチ");
  v1::Client client;
  if (!call(&Stub::CreateClient, cr, &client)) {
    std::fprintf(stderr, "service not reachable\n");
    return 1;
  }
  v1::CreateEngagementRequest create;
  create.set_parent("tenants/t1");
  create.mutable_engagement()->set_client(client.name());
  create.mutable_engagement()->set_standard("ISO_IEC_27001_2022");
  create.mutable_engagement()->set_department("情報システム部");
  create.mutable_engagement()->set_lead_consultant("bench@office");
  create.mutable_engagement()->mutable_support_start()->set_year(2026);
  create.mutable_engagement()->mutable_support_start()->set_month(4);
  create.mutable_engagement()->mutable_support_start()->set_day(1);

  std::mutex names_mu;
  std::vector<std::string> names;
  auto create_op = [&](int, int64_t) {
    v1::Engagement e;
    if (!call(&Stub::CreateEngagement, create, &e)) return false;
    std::lock_guard<std::mutex> lock(names_mu);
    names.push_back(e.name());
    return true;
  };
  // Fill to `n` engagements with `threads` concurrent creators.
  auto fill_to = [&](size_t n) {
    std::atomic<size_t> next{names.size()};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&] {
        while (next.fetch_add(1) < n) create_op(0, 0);
      });
    }
    for (auto& t : ts) t.join();
  };
  std::mt19937_64 seed_rng(42);
  auto get_op = [&](int t, int64_t i) {
    v1::GetEngagementRequest req;
    req.set_name(
        names[(static_cast<size_t>(t) * 7919 + static_cast<size_t>(i) * 104729) % names.size()]);
    v1::Engagement e;
    return call(&Stub::GetEngagement, req, &e);
  };
  // Walks the list 50 at a time from a per-thread position, wrapping at the end.
  std::vector<std::string> cursors(threads);
  auto list_op = [&](int t, int64_t) {
    v1::ListEngagementsRequest req;
    req.set_parent("tenants/t1");
    req.set_page_size(50);
    req.set_page_token(cursors[t]);
    v1::ListEngagementsResponse resp;
    bool ok = call(&Stub::ListEngagements, req, &resp) && resp.engagements_size() > 0;
    cursors[t] = resp.next_page_token();
    return ok;
  };
  auto round_trips = [&](const std::function<Result()>& run, Result* r) {
    double before = ScrapeCounter(metrics_port, "certpath_redis_round_trips_total");
    *r = run();
    double after = ScrapeCounter(metrics_port, "certpath_redis_round_trips_total");
    return before < 0 ? -1.0
                      : (after - before) / static_cast<double>(std::max<int64_t>(1, r->calls));
  };
  auto health_op = [&](int, int64_t) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    return health->Check(&ctx, req, &resp).ok();
  };

  std::printf(
      "certpath engagements benchmark: %d client threads, %.0f s per figure, %lld engagements\n",
      threads, seconds, static_cast<long long>(total));
  std::printf("(2-core machine: client, service and Redis share the cores; compare ratios)\n\n");
  Result base = Measure(threads, seconds, health_op);
  Print("Health/Check (baseline)", base, base, -1);
  fill_to(1000);
  for (int phase = 0; phase < 2; ++phase) {
    size_t n = names.size();
    std::string at = absl::StrCat(" @", n);
    Result r;
    double rt = round_trips([&] { return Measure(threads, seconds, get_op); }, &r);
    Print(("GetEngagement" + at).c_str(), r, base, rt);
    rt = round_trips([&] { return Measure(threads, seconds, list_op); }, &r);
    Print(("ListEngagements page 50" + at).c_str(), r, base, rt);
    rt = round_trips([&] { return Measure(threads, seconds, create_op); }, &r);
    Print(("CreateEngagement (durable)" + at).c_str(), r, base, rt);
    std::printf("%-34s %ld KiB\n", ("service RSS" + at).c_str(), RssKiB(pid));
    if (phase == 0) {
      if (static_cast<int64_t>(names.size()) >= total) break;
      auto t0 = std::chrono::steady_clock::now();
      fill_to(static_cast<size_t>(total));
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("\n(filled to %zu engagements in %.1f s)\n\n", names.size(), s);
    }
  }
  // What the audit trail costs CreateEngagement: the same binary with
  // --audit-trail=off on the same Redis, measured alternately (twice each).
  std::string plain_target = absl::StrCat("127.0.0.1:", FreePort());
  Process plain(
      std::string(CERTPATH_BINARY_DIR) + "/services/engagements/certpath-engagements",
      {"--listen=" + plain_target, "--metrics-listen=", "--redis-socket=" + redis.socket(),
       "--signing-key-file=" + key_file, "--metrics-interval-seconds=3600", "--audit-trail=off"},
      "/dev/null");
  plain.Start();
  auto plain_stub = v1::EngagementService::NewStub(
      grpc::CreateChannel(plain_target, grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 300; ++i) {
    v1::GetClientRequest req;
    req.set_name(client.name());
    v1::Client c;
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, token);
    if (plain_stub->GetClient(&ctx, req, &c).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto create_plain_op = [&](int, int64_t) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::Engagement e;
    return plain_stub->CreateEngagement(&ctx, create, &e).ok();
  };
  std::printf("\n");
  double with_sum = 0, without_sum = 0;
  for (int round = 0; round < 2; ++round) {
    Result with = Measure(threads, seconds, create_op);
    Print("CreateEngagement, audit trail on", with, base, -1);
    Result without = Measure(threads, seconds, create_plain_op);
    Print("CreateEngagement, audit trail off", without, base, -1);
    with_sum += with.qps;
    without_sum += without.qps;
  }
  std::printf("%-34s %.1f%% of the throughput without it\n", "audit trail cost",
              100.0 * with_sum / without_sum);
  plain.Signal(SIGTERM);

  // Same-run baseline again: the machine may have changed under us.
  Result base2 = Measure(threads, seconds, health_op);
  Print("Health/Check (baseline, again)", base2, base, -1);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return 0;
}

}  // namespace
}  // namespace certpath::testing

int main(int argc, char** argv) { return certpath::testing::Main(argc, argv); }
