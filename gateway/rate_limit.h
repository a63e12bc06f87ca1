#pragma once
// Token buckets in Redis, one atomic script per take, shared by every gateway
// replica: per API key (authenticated calls) and per client IP (calls whose
// credentials do not check out).

#include <cstdint>
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
  const RateLimit& limit(bool is_ip) const { return is_ip ? per_ip_ : per_key_; }
  // Tests with a fake clock: refill by the caller's clock instead of Redis'.
  void use_caller_clock() { use_caller_clock_ = true; }

 private:
  bool use_caller_clock_ = false;
  RedisPool& redis_;
  RateLimit per_key_, per_ip_;
};

}  // namespace certpath::gateway
