// What the gateway costs. In one run, on the real binaries (SystemStack:
// redis-server, engagements, billing, certpath-gateway):
//   1. saturation: GetEngagement called directly over gRPC (64 callers on one
//      channel) — the baseline — and the same engagement fetched through the
//      gateway with wrk (HTTP/1.1 keep-alive, 64 connections, an API key);
//      the gateway's throughput as a share of the direct one (target ≥ 60%);
//   2. half of the gateway's saturated rate, paced, both ways: p50/p99 and the
//      gateway's p99 overhead (target < 2 ms);
//   3. the gateway's RSS (target < 64 MiB) and peak RSS.
// Not a test: it prints figures and never fails on time.
//
//   ./build/tests/bench_gateway [--seconds=5] [--connections=64] [--rounds=3]

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/config.h"
#include "tests/bench/bench_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/system_stack.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

using namespace bench;  // NOLINT: the bench helpers

// wrk's figures: requests/s and the latency percentiles it prints with --latency.
Result Wrk(int port, const std::string& path, const std::string& key, int connections,
           double seconds, double delay_ms) {
  std::string script = "/tmp/certpath-bench-wrk.lua";
  {
    std::ofstream lua(script);
    lua << "wrk.headers[\"Authorization\"] = \"Bearer " << key << "\"\n";
    if (delay_ms > 0) lua << "function delay() return " << delay_ms << " end\n";
  }
  std::string out =
      RunCommand(absl::StrFormat("wrk -t2 -c%d -d%ds --latency -s %s http://127.0.0.1:%d%s 2>&1",
                                 connections, static_cast<int>(seconds), script, port, path));
  Result r;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    (void)absl::SimpleAtod(m[1].str(), &r.qps);
  }
  auto ms = [&](const char* pct) {
    std::smatch p;
    if (!std::regex_search(out, p, std::regex(std::string(pct) + R"(%\s+([0-9.]+)(us|ms|s))"))) {
      return -1.0;
    }
    double v = 0;
    (void)absl::SimpleAtod(p[1].str(), &v);
    return p[2] == "us" ? v / 1000 : (p[2] == "s" ? v * 1000 : v);
  };
  r.p50_ms = ms("50");
  r.p99_ms = ms("99");
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))"))) {
    (void)absl::SimpleAtoi(m[1].str(), &r.errors);
  }
  if (r.qps <= 0) std::printf("wrk said:\n%s\n", out.c_str());
  return r;
}

long PeakRssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int Main(int argc, char** argv) {
  auto config = Config::FromArgs(argc, argv);
  if (!config.ok()) return 2;
  const double seconds = static_cast<double>(config->GetInt("seconds", 5).value_or(5));
  const int connections = static_cast<int>(config->GetInt("connections", 64).value_or(64));

  SystemStack stack(1);
  // The limits well above what the bench asks: it measures the path, not the limiter's 429s
  // (the per-key bucket is still taken in Redis on every request).
  stack.ResetGateway({"--rate-per-key=1000000", "--burst-per-key=1000000",
                      config->Get("gateway-flag", "--threads=2")});
  stack.StartAll();
  const int port = stack.gateway_http_port;

  // An engagement, and a partner-program API key for it.
  auto channel =
      grpc::CreateChannel(stack.engagement_targets[0], grpc::InsecureChannelCredentials());
  auto stub = v1::EngagementService::NewStub(channel);
  auto call = [&](auto method, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, SignedToken(kAdmin, absl::Now()));
    return ((*stub).*method)(&ctx, req, resp);
  };
  v1::CreateClientRequest cr;
  cr.set_parent("tenants/t1");
  cr.mutable_client()->set_display_name("株式会社ベンチ");
  v1::Client client;
  if (!call(&v1::EngagementService::Stub::CreateClient, cr, &client).ok()) return 1;
  v1::Engagement e;
  if (!call(&v1::EngagementService::Stub::CreateEngagement,
            EngagementRequest(client.name(), {"p1"}), &e)
           .ok()) {
    return 1;
  }
  Reply key = Http(
      port, "POST", "/v1/tenants/t1/apiKeys",
      {{"Authorization", "Bearer " + SignedToken(kAdmin, absl::Now())}},
      R"({"displayName":"bench","role":"ROLE_PARTNER","organization":"p1","subject":"bench@p1"})");
  std::string api_key = JsonField(key.body, "key");
  if (api_key.empty()) {
    std::printf("no API key: %s\n", key.body.c_str());
    return 1;
  }
  const Principal partner = MakePrincipal(Principal::ROLE_PARTNER, "bench@p1", "p1");
  const std::string token = SignedToken(partner, absl::Now());  // valid for the run
  v1::GetEngagementRequest get;
  get.set_name(e.name());
  auto direct = [&](int, int64_t) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, token);
    v1::Engagement out;
    return stub->GetEngagement(&ctx, get, &out).ok();
  };
  const std::string path = "/v1/" + e.name();
  if (Http(port, "GET", path, {{"Authorization", "Bearer " + api_key}}).status != 200) {
    std::printf("the gateway does not answer the bench's GET\n");
    return 1;
  }

  std::printf("GetEngagement, %d callers/connections, %.0f s each\n", connections, seconds);
  Measure(8, 1, direct);  // warm up both paths
  Wrk(port, path, api_key, 8, 1, 0);
  // Alternating rounds (the machine is noisy): each round's ratio, then the median.
  const int rounds = static_cast<int>(config->GetInt("rounds", 3).value_or(3));
  std::vector<double> ratios, gateway_qps;
  for (int round = 0; round < rounds; ++round) {
    Result b = Measure(connections, seconds, direct);
    Result g = Wrk(port, path, api_key, connections, seconds, 0);
    Print(absl::StrCat("round ", round + 1, ": direct gRPC").c_str(), b, b, -1);
    Print(absl::StrCat("round ", round + 1, ": through the gateway").c_str(), g, b, -1);
    ratios.push_back(g.qps / b.qps);
    gateway_qps.push_back(g.qps);
  }
  std::vector<double> sorted = ratios;
  std::sort(sorted.begin(), sorted.end());
  std::printf(
      "gateway throughput: median %.1f%% of direct over %d rounds (min %.1f%%, max %.1f%%; "
      "target >= 60%%)\n",
      100 * sorted[sorted.size() / 2], rounds, 100 * sorted.front(), 100 * sorted.back());

  // Half the gateway's saturated rate, paced the same way on both paths.
  const int paced = 16;
  std::sort(gateway_qps.begin(), gateway_qps.end());
  const double half = gateway_qps[gateway_qps.size() / 2] / 2;  // of the median round
  const double delay_ms = std::max(0.0, paced * 1000.0 / half - 1.0);
  std::printf("\nat half load (~%.0f req/s: %d callers, %.2f ms pause after each)\n", half, paced,
              delay_ms);
  Result base_half = Measure(paced, seconds, [&](int t, int64_t i) {
    bool ok = direct(t, i);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(delay_ms * 1000)));
    return ok;
  });
  // Measure() times the pause too: take it out of its percentiles.
  base_half.p50_ms -= delay_ms;
  base_half.p99_ms -= delay_ms;
  Print("direct gRPC", base_half, base_half, -1);
  Result gw_half = Wrk(port, path, api_key, paced, seconds, delay_ms);
  Print("through the gateway", gw_half, base_half, -1);
  std::printf("gateway p99 overhead: %.3f ms (target < 2 ms); p50 overhead %.3f ms\n",
              gw_half.p99_ms - base_half.p99_ms, gw_half.p50_ms - base_half.p50_ms);

  std::printf("\ngateway RSS %.1f MiB, peak %.1f MiB (target < 64 MiB)\n",
              RssKiB(stack.gateway->pid()) / 1024.0, PeakRssKiB(stack.gateway->pid()) / 1024.0);
  return 0;
}

}  // namespace
}  // namespace certpath::testing

int main(int argc, char** argv) { return certpath::testing::Main(argc, argv); }
