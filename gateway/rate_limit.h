#pragma once
// Token buckets in Redis, one atomic script per take, shared by every gateway
// replica: per API key (authenticated calls) and per client IP (calls whose
// credentials do not check out).
//
// A replica takes a key's tokens a few at a time (a lease: an eighth of the
// burst and no more than a second's refill, at most 64, used within a second
// or dropped), so that most calls
// are admitted without a Redis round trip; the bucket in Redis still counts
// every token, so the replicas together never exceed the limit (a lease
// left unused only makes the limit stricter). Address buckets take one
// token at a time.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/redis.h"

namespace certpath::gateway {

struct RateLimit {
  double per_second = 20;  // refill
  int64_t burst = 40;      // capacity
};

struct Take {
  bool allowed = true;
  int64_t remaining = 0;
  absl::Duration retry_after;  // when not allowed: until one token is back
};

class RateLimiter {
 public:
  RateLimiter(RedisPool& redis, RateLimit per_key, RateLimit per_ip)
      : redis_(redis), per_key_(per_key), per_ip_(per_ip) {}
  // One token from the bucket of `bucket` ("key:<tenant>/<id>" or "ip:<address>").
  absl::StatusOr<Take> TakeOne(const std::string& bucket, bool is_ip, absl::Time now);
  // A token of this replica's lease on a key's bucket, if it holds one (no I/O).
  std::optional<Take> TakeLeased(const std::string& bucket, absl::Time now);
  const RateLimit& limit(bool is_ip) const { return is_ip ? per_ip_ : per_key_; }
  // Tests with a fake clock: refill by the caller's clock instead of Redis'.
  void use_caller_clock() { use_caller_clock_ = true; }

 private:
  struct Lease {
    int64_t tokens = 0;     // still ours
    int64_t remaining = 0;  // left in Redis when leased
    absl::Time until;
  };
  bool use_caller_clock_ = false;
  RedisPool& redis_;
  RateLimit per_key_, per_ip_;
  std::mutex mu_;
  std::map<std::string, Lease> leases_;
};

}  // namespace certpath::gateway
