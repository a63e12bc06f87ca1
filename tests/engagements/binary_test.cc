// The real binaries, started the way scripts/run.sh starts them: a durable
// redis-server, certpath-engagements with a signing-key file, tokens minted
// by certpath-admin; then SIGTERM must drain and exit 0.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "tests/support/process.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

const std::string kBin = CERTPATH_BINARY_DIR;

std::string Shell(const std::string& cmd) {
  return std::string(absl::StripTrailingAsciiWhitespace(RunCommand(cmd)));
}

TEST(EngagementsBinary, ServesCallsAndStopsCleanly) {
  RedisServer redis;
  std::string key_file = redis.dir() + "/signing.key";
  std::string key = Shell(kBin + "/services/common/certpath-admin new-key");
  ASSERT_EQ(key.size(), 64u);
  std::ofstream(key_file) << key << "\n";
  int port = FreePort(), metrics_port = FreePort();
  std::string listen = "127.0.0.1:" + std::to_string(port);
  std::string log = redis.dir() + "/engagements.log";

  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = freopen(log.c_str(), "w", stdout);
    (void)out;
    std::string a1 = "--listen=" + listen;
    std::string a2 = "--metrics-listen=127.0.0.1:" + std::to_string(metrics_port);
    std::string a3 = "--redis-socket=" + redis.socket();
    std::string a4 = "--signing-key-file=" + key_file;
    std::string bin = kBin + "/services/engagements/certpath-engagements";
    execl(bin.c_str(), bin.c_str(), a1.c_str(), a2.c_str(), a3.c_str(), a4.c_str(), nullptr);
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  ASSERT_EQ(
      system((kBin + "/tools/certpath-demo wait --timeout-seconds=20 --target=" + listen).c_str()),
      0);
  std::string token =
      Shell(kBin + "/services/common/certpath-admin token --signing-key-file=" + key_file +
            " --tenant=demo --role=office_admin --subject=admin@demo");
  ASSERT_TRUE(absl::StartsWith(token, "v1."));
  std::string seed = Shell(kBin + "/tools/certpath-demo seed --tenant=demo --target=" + listen +
                           " --token=" + token);
  EXPECT_TRUE(absl::StrContains(seed, "reference_number=2026-0001")) << seed;
  // Seeding again is idempotent (fixed request ids).
  EXPECT_EQ(Shell(kBin + "/tools/certpath-demo seed --tenant=demo --target=" + listen +
                  " --token=" + token),
            seed);

  auto stub = v1::EngagementService::NewStub(
      grpc::CreateChannel(listen, grpc::InsecureChannelCredentials()));
  std::string engagement = seed.substr(seed.find("engagement=") + 11);
  engagement = engagement.substr(0, engagement.find('\n'));
  grpc::ClientContext ctx;
  ctx.AddMetadata(kPrincipalMetadataKey, token);
  v1::GetEngagementRequest req;
  req.set_name(engagement);
  v1::Engagement e;
  grpc::Status s = stub->GetEngagement(&ctx, req, &e);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(e.department(), "情報システム部");
  grpc::ClientContext bad;
  bad.AddMetadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  bad.AddMetadata(
      kPrincipalMetadataKey,
      SignedToken(MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "x", "", "demo"), absl::Now()));
  EXPECT_EQ(stub->GetEngagement(&bad, req, &e).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  std::string metrics = HttpGet(metrics_port, "/metrics");
  EXPECT_TRUE(absl::StrContains(metrics, "grpc_server_handled_total{grpc_code=\"OK\"")) << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, "certpath_redis_round_trips_total"));

  stub.reset();  // our own connection closes first, as a client's would
  absl::Time stop_start = absl::Now();
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(absl::Now() - stop_start, absl::Seconds(10));  // within the drain deadline
  std::ifstream in(log);
  std::string logs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(absl::StrContains(logs, R"("msg":"stopped")")) << logs;
  EXPECT_TRUE(absl::StrContains(logs, R"("service":"engagements")"));
  // Every write and every failed call is one JSON line; reads are debug (not shown
  // at the default level); never a token.
  int writes = 0, failures = 0, reads = 0;
  std::istringstream lines(logs);
  for (std::string line; std::getline(lines, line);) {
    if (absl::StrContains(line, R"("method":"CreateEngagement")") &&
        absl::StrContains(line, R"("level":"info")") && absl::StrContains(line, R"("code":"OK")") &&
        absl::StrContains(line, R"("tenant":"demo","subject":"admin@demo","request_id":")") &&
        absl::StrContains(line, R"("latency_ms":")")) {
      ++writes;
    }
    if (absl::StrContains(line, R"("method":"GetEngagement","code":"UNAUTHENTICATED")") &&
        absl::StrContains(line, R"("level":"warn")") &&
        absl::StrContains(line, R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736")")) {
      ++failures;
    }
    if (absl::StrContains(line, R"("method":"GetEngagement","code":"OK")")) ++reads;
  }
  EXPECT_EQ(writes, 2) << logs;  // the seed ran twice (the second a replay)
  EXPECT_EQ(failures, 1) << logs;
  EXPECT_EQ(reads, 0) << logs;
  EXPECT_FALSE(absl::StrContains(logs, token.substr(3, 40))) << "a token was logged";
}

}  // namespace
}  // namespace certpath::testing
