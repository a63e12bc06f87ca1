#include "tests/support/system_stack.h"

#include <grpcpp/grpcpp.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/test_env.h"

namespace certpath::testing {

namespace {
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
}  // namespace

SystemStack::SystemStack(int engagement_replicas, bool real_scheduling) {
  key_file_ = redis.dir() + "/signing.key";
  std::ofstream(key_file_) << kTestSigningKey << "\n";
  billing_target = absl::StrCat("127.0.0.1:", FreePort());
  sink_target = absl::StrCat("127.0.0.1:", FreePort());
  scheduling_target = absl::StrCat("127.0.0.1:", FreePort());
  documents_target = absl::StrCat("127.0.0.1:", FreePort());
  for (int i = 0; i < engagement_replicas; ++i) {
    engagement_targets.push_back(absl::StrCat("127.0.0.1:", FreePort()));
  }
  auto bargs = Common(billing_target);
  bargs.push_back("--engagements-target=" + engagement_targets[0]);
  billing = std::make_unique<Process>(BinaryPath("services/billing/certpath-billing"), bargs,
                                      redis.dir() + "/billing.log");
  for (const auto& t : engagement_targets) {
    auto args = Common(t);
    args.push_back("--billing-target=" + billing_target);
    args.push_back("--scheduling-target=" + (real_scheduling ? scheduling_target : sink_target));
    args.push_back("--relay-poll-ms=200");
    engagements.push_back(
        std::make_unique<Process>(BinaryPath("services/engagements/certpath-engagements"), args,
                                  redis.dir() + "/engagements-" + t + ".log"));
  }
  auto sargs = Common(scheduling_target);
  sargs.push_back("--engagements-target=" + engagement_targets[0]);
  sargs.push_back("--billing-target=" + billing_target);
  sargs.push_back("--relay-poll-ms=200");
  scheduling = std::make_unique<Process>(BinaryPath("services/scheduling/certpath-scheduling"),
                                         sargs, redis.dir() + "/scheduling.log");
  auto dargs = Common(documents_target);
  dargs.push_back("--data-dir=" + redis.dir() + "/files");
  dargs.push_back("--engagements-target=" + engagement_targets[0]);
  dargs.push_back("--billing-target=" + billing_target);
  dargs.push_back("--relay-poll-ms=200");
  documents = std::make_unique<Process>(BinaryPath("services/documents/certpath-documents"), dargs,
                                        redis.dir() + "/documents.log");
  ResetSink({});
  gateway_target = absl::StrCat("127.0.0.1:", FreePort());
  gateway_http_port = FreePort();
  ResetGateway({});
  RedisOptions ro;
  ro.unix_socket = redis.socket();
  pool_ = std::make_unique<RedisPool>(ro);
}

SystemStack::~SystemStack() = default;

std::vector<std::string> SystemStack::Common(const std::string& listen) const {
  return {"--listen=" + listen, absl::StrCat("--metrics-listen=127.0.0.1:", FreePort()),
          "--redis-socket=" + redis.socket(), "--signing-key-file=" + key_file_,
          "--drain-seconds=1"};
}

void SystemStack::ResetSink(std::vector<std::string> extra) {
  auto args = Common(sink_target);
  args.push_back("--consumer=scheduling");
  args.insert(args.end(), extra.begin(), extra.end());
  sink = std::make_unique<Process>(BinaryPath("tests/certpath-test-consumer"), args,
                                   redis.dir() + "/consumer.log");
}

void SystemStack::ResetGateway(std::vector<std::string> extra) {
  gateway_extra_ = extra;
  auto args = Common(gateway_target);
  for (std::string flag :
       {absl::StrCat("--http-listen=127.0.0.1:", gateway_http_port),
        "--engagements-target=" + engagement_targets[0], "--billing-target=" + billing_target,
        "--scheduling-target=" + scheduling_target, "--documents-target=" + documents_target,
        std::string("--rate-per-key=1000"), std::string("--burst-per-key=2000"),
        std::string("--rate-per-ip=1000"), std::string("--burst-per-ip=2000")}) {
    args.push_back(flag);
  }
  if (gateway_metrics_port == 0) gateway_metrics_port = FreePort();
  args.push_back(absl::StrCat("--metrics-listen=127.0.0.1:", gateway_metrics_port));
  args.insert(args.end(), extra.begin(), extra.end());  // later flags win
  gateway = std::make_unique<Process>(BinaryPath("gateway/certpath-gateway"), args,
                                      redis.dir() + "/gateway.log");
}

void SystemStack::WaitServing(const std::string& target) {
  for (int i = 0; i < 200 && !Serving(target); ++i) absl::SleepFor(absl::Milliseconds(50));
}

void SystemStack::StartAll() {
  billing->Start();
  sink->Start();
  scheduling->Start();
  documents->Start();
  for (auto& e : engagements) e->Start();
  WaitServing(billing_target);
  WaitServing(sink_target);
  WaitServing(scheduling_target);
  WaitServing(documents_target);
  for (const auto& t : engagement_targets) WaitServing(t);
  // The gateway last; its two ports were free when picked, but another test's
  // process may have taken one since (ports are picked before they are bound):
  // then it cannot start, and it is started again on new ports.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) {
      std::fprintf(stderr, "the gateway did not come up (attempt %d); its log:\n%s\n", attempt,
                   RunCommand("tail -n 5 " + redis.dir() + "/gateway.log").c_str());
      gateway->Signal(SIGKILL);
      gateway_target = absl::StrCat("127.0.0.1:", FreePort());
      gateway_http_port = FreePort();
      ResetGateway(gateway_extra_);
    }
    gateway->Start();
    WaitServing(gateway_target);
    for (int i = 0; i < 100; ++i) {  // its HTTP side listens right after its gRPC side
      int fd = ConnectLoopback(gateway_http_port);
      if (fd >= 0) {
        ::close(fd);
        return;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
}

int SystemStack::Admin(const std::string& args, std::string* out) {
  int rc = -1;
  *out = RunCommand(absl::StrCat(BinaryPath("services/common/certpath-admin"), " ", args,
                                 " --signing-key-file=", key_file_),
                    &rc);
  return rc;
}

int64_t SystemStack::Int(const std::vector<std::string>& cmd) {
  RedisPool::Args args(cmd.begin(), cmd.end());
  auto r = pool_->Command(args);
  if (!r.ok() || r->is_error()) return -1;
  if (r->type == RedisReply::Type::kInteger) return r->integer;
  if (r->is_nil()) return 0;
  return std::stoll(r->str);
}

int64_t SystemStack::WaitInt(const std::vector<std::string>& cmd, int64_t want,
                             absl::Duration timeout) {
  absl::Time end = absl::Now() + timeout;
  int64_t got = Int(cmd);
  while (got != want && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(100));
    got = Int(cmd);
  }
  return got;
}

}  // namespace certpath::testing
