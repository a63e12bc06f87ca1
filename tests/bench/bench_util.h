#pragma once
// What the benchmarks share: a closed-loop load generator with latency
// percentiles, and readers for /metrics and a process's RSS.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "tests/support/test_env.h"

namespace certpath::testing::bench {

struct Result {
  double qps = 0, p50_ms = 0, p99_ms = 0;
  int64_t calls = 0, errors = 0;
};

// `threads` workers call `op` (returns ok) for `seconds`; latencies per call.
inline Result Measure(int threads, double seconds,
                      const std::function<bool(int thread, int64_t i)>& op) {
  std::vector<std::vector<double>> lat(threads);
  std::atomic<int64_t> errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        auto a = std::chrono::steady_clock::now();
        if (!op(t, i)) errors.fetch_add(1);
        lat[t].push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a)
                .count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Result r;
  r.calls = static_cast<int64_t>(all.size());
  r.errors = errors.load();
  r.qps = all.size() / elapsed;
  if (!all.empty()) {
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return r;
}

// Until grpc.health.v1 on `target` says SERVING (false after 10 s).
inline bool WaitServing(const std::string& target) {
  auto h = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 200; ++i) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    if (h->Check(&ctx, req, &resp).ok() &&
        resp.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

inline double ScrapeCounter(int port, const std::string& name) {
  std::string body = HttpGet(port, "/metrics");
  auto pos = body.find("\n" + name + " ");
  if (pos == std::string::npos) return -1;
  double v = 0;
  auto line = body.substr(pos + name.size() + 2, body.find('\n', pos + 1) - pos - name.size() - 2);
  return absl::SimpleAtod(line, &v) ? v : -1;
}

inline long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

inline void Print(const char* what, const Result& r, const Result& base, double round_trips) {
  std::printf("%-34s %9.0f qps  p50 %7.3f ms  p99 %7.3f ms  %5.1f%% of baseline", what, r.qps,
              r.p50_ms, r.p99_ms, 100.0 * r.qps / base.qps);
  if (round_trips >= 0) std::printf("  redis round trips/call %.2f", round_trips);
  if (r.errors) std::printf("  ERRORS %lld", static_cast<long long>(r.errors));
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace certpath::testing::bench
