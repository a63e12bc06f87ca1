#include "tests/support/test_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"

namespace certpath::testing {

Principal MakePrincipal(Principal::Role role, std::string subject, std::string organization,
                        std::string tenant) {
  Principal p;
  p.set_role(role);
  p.set_subject(std::move(subject));
  p.set_organization(std::move(organization));
  p.set_tenant(std::move(tenant));
  return p;
}

std::string SignedToken(const Principal& p, absl::Time now, absl::Duration ttl) {
  return PrincipalSigner(kTestSigningKey).Sign(p, now, ttl);
}

absl::Time DefaultNow() {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 26, 10, 0, 0), TokyoZone());
}

void ConfigureTestHost(HostOptions& o, RedisServer& redis, const Clock& clock, bool with_metrics) {
  o.server.workers = 4;
  o.redis.unix_socket = redis.socket();
  o.redis.pool_size = 6;
  o.redis.timeout = absl::Seconds(2);
  o.signing_key = kTestSigningKey;
  o.guard_interval = absl::Milliseconds(50);
  o.metrics_interval = absl::Milliseconds(100);
  o.clock = &clock;
  o.metrics_listen = with_metrics ? "127.0.0.1:0" : "";
}

bool WaitForHealth(grpc::health::v1::Health::Stub& health, bool serving, absl::Duration timeout,
                   const std::string& service) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health.Check(&ctx, req, &resp);
    bool is_serving = s.ok() && resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    if (is_serving == serving) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

ServiceEnv::ServiceEnv(RedisServer& redis, bool throwaway, bool with_metrics)
    : TestService(redis, clock, [throwaway, with_metrics](engagements::AppOptions& o) {
        o.host.redis_throwaway = throwaway;
        if (with_metrics) o.host.metrics_listen = "127.0.0.1:0";
      }) {
  Start();
}

std::string ServiceEnv::ScrapeMetrics() { return HttpGet(metrics_port(), "/metrics"); }

namespace {

// Binds 127.0.0.1:`port` (0: any) and closes it; the port bound, 0 if none.
int TryBind(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof a;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  return ok ? ntohs(a.sin_port) : 0;
}

}  // namespace

int FreePort() {
  // Outside the kernel's ephemeral range when there is room, so that no
  // outgoing connection (a gRPC client's source port) can take it between
  // this check and the child binding it; random, so that tests running in
  // parallel rarely pick the same. Otherwise whatever bind(0) gives.
  int lo = 32768, hi = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> lo >> hi;
  int first = 10000, last = std::min(lo - 1, 65535);
  if (last - first < 5000) {
    first = std::max(hi + 1, 1024);
    last = 65535;
  }
  static std::mutex mu;
  static std::set<int> given;  // never the same port twice in one process
  static std::mt19937 rng(std::random_device{}());
  std::lock_guard<std::mutex> lock(mu);
  if (last - first >= 1000) {
    std::uniform_int_distribution<int> pick(first, last);
    for (int attempt = 0; attempt < 100; ++attempt) {
      int port = pick(rng);
      if (given.count(port) == 0 && TryBind(port) == port) {
        given.insert(port);
        return port;
      }
    }
  }
  for (int attempt = 0; attempt < 100; ++attempt) {
    int port = TryBind(0);
    if (port != 0 && given.insert(port).second) return port;
  }
  throw std::runtime_error("no free TCP port found");
}

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string HttpGet(int port, const std::string& path) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return "";
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (::write(fd, req.data(), req.size()) < 0) {
    ::close(fd);
    return "";
  }
  std::string out;
  char buf[8192];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

}  // namespace certpath::testing
