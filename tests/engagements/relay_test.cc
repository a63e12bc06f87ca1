// The outbox relay's failure paths: a consumer that is down leaves events in
// the outbox (retried later); an event the consumer can never take goes to the
// dead letters instead of blocking the outbox.

#include <gtest/gtest.h>

#include "google/protobuf/util/time_util.h"
#include "services/common/crypto.h"
#include "services/common/record_store.h"
#include "services/engagements/relay.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

int64_t Zcard(RedisPool& pool, const std::string& key) {
  auto r = pool.Command({"ZCARD", key});
  return r.ok() ? r->integer : -1;
}

TEST(OutboxRelay, KeepsEventsWhileBillingIsDownAndDeadLettersTheUndeliverable) {
  RedisServer redis;
  RedisOptions ro;
  ro.unix_socket = redis.socket();
  RedisPool pool(ro);
  RecordStore records(pool);
  ASSERT_TRUE(records.LoadScripts().ok());
  engagements::EngagementStore store(records, 3600);
  ASSERT_TRUE(store.RegisterTenant("t1").ok());

  // Two events in the outbox: a Stage1Passed and one of a type no consumer knows.
  auto put = [&](const std::string& id, const google::protobuf::Message& payload, int64_t ms) {
    certpath::common::v1::OutboxEvent ev;
    ev.set_id(id);
    ev.set_tenant("t1");
    ev.set_type(payload.GetDescriptor()->full_name());
    *ev.mutable_create_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
    ev.mutable_payload()->PackFrom(payload);
    Batch b;
    b.Put("eng:{t:t1}:event:" + id, 1, ev.SerializeAsString(), 0);
    b.ZAdd("eng:{t:t1}:outbox", ms, id);
    ASSERT_TRUE(records.Commit(b).ok());
  };
  v1::Stage1Passed stage1;
  stage1.set_engagement("tenants/t1/engagements/e1");
  std::string good = RandomUuid(), odd = RandomUuid();
  put(good, stage1, 1000);
  v1::Client not_an_event;
  put(odd, not_an_event, 2000);

  prometheus::Registry registry;
  PrincipalSigner signer(kTestSigningKey);
  FakeClock clock(DefaultNow());
  engagements::RelayOptions opts;
  opts.billing_target = "127.0.0.1:" + std::to_string(FreePort());  // nothing listens
  opts.call_deadline = absl::Milliseconds(200);
  opts.max_attempts = 2;
  engagements::OutboxRelay relay(store, signer, clock, opts, registry);
  EXPECT_EQ(relay.RunOnce(), 0);
  // Billing unreachable: the first event stays, and stops the pass before the second.
  EXPECT_EQ(Zcard(pool, "eng:{t:t1}:outbox"), 2);
  EXPECT_EQ(Zcard(pool, "eng:{t:t1}:outbox_dead"), 0);

  // Deliver the Stage1Passed by hand (as a consumer would have acknowledged it) …
  ASSERT_TRUE(store.MarkEvent("t1", good, /*delivered=*/true, 3000).ok());
  // … then the unknown event is refused for good and moved aside.
  EXPECT_EQ(relay.RunOnce(), 0);
  EXPECT_EQ(Zcard(pool, "eng:{t:t1}:outbox"), 0);
  EXPECT_EQ(Zcard(pool, "eng:{t:t1}:outbox_dead"), 1);
  EXPECT_EQ(Zcard(pool, "eng:{t:t1}:outbox_delivered"), 1);
}

}  // namespace
}  // namespace certpath::testing
