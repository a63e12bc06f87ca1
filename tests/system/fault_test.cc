// Faults an operator meets: a flood of idle connections beyond the open-file
// limit (gRPC 1.51 stops accepting for good after one EMFILE), and liveness
// that must not follow Redis.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/server.h"
#include "tests/support/process.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

// Whether the server answers SERVING for `service` within `timeout` on a new
// connection (a new channel each time: the flood test needs new accepts).
bool Healthy(int port, const std::string& service = "", absl::Duration timeout = absl::Seconds(3)) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                           grpc::InsecureChannelCredentials(), args);
  return WaitForHealth(*grpc::health::v1::Health::NewStub(channel), true, timeout, service);
}

// The real engagements binary on `redis`, as run.sh starts it (not started yet).
Process Engagements(RedisServer& redis, int port, const std::string& log) {
  std::string key_file = redis.dir() + "/signing.key";
  std::ofstream(key_file) << std::string(64, 'a') << "\n";
  return Process(BinaryPath("services/engagements/certpath-engagements"),
                 {"--listen=127.0.0.1:" + std::to_string(port),
                  "--metrics-listen=127.0.0.1:" + std::to_string(FreePort()),
                  "--redis-socket=" + redis.socket(), "--signing-key-file=" + key_file},
                 log);
}

TEST(Faults, AFloodOfIdleConnectionsBeyondALoweredLimitLeavesTheServiceServing) {
  RedisServer redis;
  int port = FreePort();
  std::string log = redis.dir() + "/engagements.log";
  Process svc = Engagements(redis, port, log);
  // As a container or a login shell might start it: a soft limit of 64.
  svc.set_open_file_limit(64, 4096);
  svc.Start();
  bool up = Healthy(port, "", absl::Seconds(10));
  ASSERT_TRUE(up);
  // Three times the lowered limit, held open, idle (no HTTP/2 preface).
  std::vector<int> idle;
  for (int i = 0; i < 192; ++i) {
    int fd = ConnectLoopback(port);
    if (fd >= 0) idle.push_back(fd);
  }
  EXPECT_EQ(idle.size(), 192u);
  absl::SleepFor(absl::Milliseconds(300));  // the server accepts them all
  EXPECT_TRUE(Healthy(port)) << "not served while the flood is open";
  for (int fd : idle) ::close(fd);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(Healthy(port)) << "not served after the flood closed";
  EXPECT_TRUE(Healthy(port, kLivenessService));
  svc.Signal(SIGTERM);
  std::ifstream in(log);
  std::stringstream logs;
  logs << in.rdbuf();
  EXPECT_TRUE(absl::StrContains(logs.str(), R"("msg":"open-file limit","nofile":"4096")"))
      << logs.str();
  EXPECT_FALSE(absl::StrContains(logs.str(), "Too many open files")) << logs.str();
}

TEST(Faults, LivenessDoesNotFollowRedis) {
  RedisServer redis(/*durable=*/false);  // readiness says NOT_SERVING …
  int port = FreePort();
  std::string log = redis.dir() + "/engagements.log";
  Process svc = Engagements(redis, port, log);
  svc.Start();
  bool alive = Healthy(port, kLivenessService, absl::Seconds(10));
  EXPECT_TRUE(alive);                                        // … liveness stays SERVING
  EXPECT_FALSE(Healthy(port, "", absl::Milliseconds(500)));  // readiness stays NOT_SERVING
  EXPECT_TRUE(Healthy(port, kLivenessService));
  svc.Signal(SIGTERM);
  std::ifstream in(log);
  std::stringstream logs;
  logs << in.rdbuf();
  // The reason is logged from the first check on.
  EXPECT_TRUE(absl::StrContains(logs.str(), "redis is not durable; NOT_SERVING")) << logs.str();
  EXPECT_TRUE(absl::StrContains(logs.str(), "appendonly=no")) << logs.str();
}

}  // namespace
}  // namespace certpath::testing
