// The dispatcher, on a real gRPC server: a call whose caller has gone (past
// its deadline) while it waited in the queue is dropped, never run. And the
// heap's free memory given back after a burst (server.h, ReturnFreeMemory).

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/executor.h"
#include "services/common/server.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// A service whose handler takes `work` and counts its runs.
class SlowService final : public Health::CallbackService {
 public:
  SlowService(Dispatcher& dispatcher, absl::Duration work) : dispatcher_(dispatcher), work_(work) {}
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* ctx, const HealthCheckRequest* req,
                                  HealthCheckResponse* resp) override {
    return dispatcher_.Run(ctx, "Check", *req, [this, resp](const Principal&) {
      runs.fetch_add(1);
      absl::SleepFor(work_);
      resp->set_status(HealthCheckResponse::SERVING);
      return absl::OkStatus();
    });
  }
  std::atomic<int> runs{0};

 private:
  Dispatcher& dispatcher_;
  absl::Duration work_;
};

TEST(Dispatcher, DropsCallsWhoseCallerWentAwayWhileQueued) {
  Executor executor(/*threads=*/1, /*max_queue=*/16);
  PrincipalSigner signer(kTestSigningKey);
  SystemClock clock;
  Dispatcher dispatcher(executor, signer, clock);
  SlowService slow(dispatcher, absl::Milliseconds(400));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&slow);
  auto server = builder.BuildAndStart();
  ASSERT_NE(port, 0);
  auto stub = Health::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  std::string token = SignedToken(MakePrincipal(Principal::ROLE_CONSULTANT, "k"), absl::Now());
  auto call = [&](absl::Duration deadline) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, token);
    ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
    HealthCheckResponse resp;
    return stub->Check(&ctx, HealthCheckRequest(), &resp);
  };
  // The first call holds the only worker; the second waits behind it and gives up.
  std::thread first([&] { EXPECT_TRUE(call(absl::Seconds(5)).ok()); });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(call(absl::Milliseconds(100)).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  first.join();
  absl::SleepFor(absl::Milliseconds(200));  // the queue drained
  EXPECT_EQ(slow.runs.load(), 1) << "a call whose deadline had passed still ran";
  EXPECT_TRUE(call(absl::Seconds(5)).ok());  // and the service goes on
  EXPECT_EQ(slow.runs.load(), 2);
  server->Shutdown();
}

}  // namespace
}  // namespace certpath::testing

namespace certpath {
namespace {

// This process's resident memory, bytes.
size_t Resident() {
  std::ifstream in("/proc/self/statm");
  size_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// A burst of large buffers on a worker thread (kept in the heap, as every
// service keeps them), then freed: glibc keeps tens of MiB of them resident in
// the thread's arena until ReturnFreeMemory gives them back (76 → 13 MiB here).
TEST(Memory, FreeHeapMemoryGoesBackAfterABurst) {
  KeepLargeBuffersInHeap();
  constexpr size_t kMiB = 1 << 20;
  size_t freed = 0;
  // On a thread of its own, as a request on a worker: its own arena.
  std::thread([&] {
    std::vector<char*> burst;
    for (int i = 0; i < 128; ++i) {
      char* p = static_cast<char*>(std::malloc(kMiB));
      ASSERT_NE(p, nullptr);
      std::memset(p, 1, kMiB);
      asm volatile("" : : "r"(p) : "memory");
      burst.push_back(p);
    }
    for (char* p : burst) std::free(p);
    freed = Resident();
  }).join();
  ReturnFreeMemory();
  size_t returned = Resident();
  EXPECT_GT(freed, returned + 48 * kMiB) << freed / kMiB << " MiB then " << returned / kMiB;
}

}  // namespace
}  // namespace certpath
