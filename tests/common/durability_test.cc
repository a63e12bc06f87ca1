// The Redis durability guard: a non-durable Redis → NOT_SERVING and writes
// refused, unless the service is told the Redis is a throwaway.

#include <gtest/gtest.h>

#include "services/common/status.h"
#include "tests/support/fixtures.h"

namespace certpath::testing {
namespace {

using Stub = v1::EngagementService::Stub;

// The engagements service on `redis`, with the guard checking every 50 ms.
absl::StatusOr<std::unique_ptr<engagements::App>> StartOn(RedisServer& redis) {
  engagements::AppOptions a;
  a.host.redis.unix_socket = redis.socket();
  a.host.signing_key = kTestSigningKey;
  a.host.guard_interval = absl::Milliseconds(50);
  return engagements::App::Start(a);
}

TEST(Durability, WeakRedisMeansNotServingAndNoWrites) {
  RedisServer redis(/*durable=*/false);
  auto app = StartOn(redis);
  ASSERT_TRUE(app.ok());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*app)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::EngagementService::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  absl::SleepFor(absl::Milliseconds(300));  // several guard rounds
  grpc::ClientContext hctx;
  grpc::health::v1::HealthCheckRequest hreq;
  grpc::health::v1::HealthCheckResponse hresp;
  ASSERT_TRUE(health->Check(&hctx, hreq, &hresp).ok());
  EXPECT_EQ(hresp.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE((*app)->writable());

  grpc::ClientContext ctx;
  ctx.AddMetadata(kPrincipalMetadataKey, SignedToken(kAdmin, absl::Now()));
  v1::CreateClientRequest req;
  req.set_parent("tenants/t1");
  req.mutable_client()->set_display_name("株式会社デモ");
  v1::Client out;
  grpc::Status s = stub->CreateClient(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(Durability, ThrowawayRedisIsAcceptedWhenSaidSo) {
  RedisServer redis(/*durable=*/false);
  ServiceEnv env(redis, /*throwaway=*/true);
  EXPECT_TRUE(env.WaitHealth(true));
  MakeClient(env);
}

TEST(Durability, FixedRedisBecomesServing) {
  RedisServer redis(/*durable=*/false);
  auto app = StartOn(redis);
  ASSERT_TRUE(app.ok());
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE((*app)->writable());
  RedisOptions ro;
  ro.unix_socket = redis.socket();
  RedisPool pool(ro);
  for (auto kv : {std::pair{"appendonly", "yes"},
                  {"appendfsync", "always"},
                  {"maxmemory-policy", "noeviction"}}) {
    ASSERT_TRUE(pool.Command({"CONFIG", "SET", kv.first, kv.second}).ok());
  }
  bool writable = false;
  for (int i = 0; i < 100 && !writable; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    writable = (*app)->writable();
  }
  EXPECT_TRUE(writable);
}

}  // namespace
}  // namespace certpath::testing
