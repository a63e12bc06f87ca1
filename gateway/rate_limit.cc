#include "gateway/rate_limit.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace certpath::gateway {

namespace {
// KEYS[1] bucket; ARGV: capacity, refill per ms, now ms. The bucket expires
// once it would be full again (no state left for idle clients).
const RedisScript& TakeScript() {
  static const RedisScript kScript(R"lua(
local cap, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
-- Redis' clock, the same for every replica (theirs may differ); ARGV[3] (the
-- caller's clock) only when Redis' cannot be read.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[4] == '1' then now = tonumber(ARGV[3]) end
local b = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens, at = tonumber(b[1]) or cap, tonumber(b[2]) or now
if now > at then tokens = math.min(cap, tokens + (now - at) * rate) end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / rate) + 1000)
local wait = 0
if allowed == 0 then wait = math.ceil((1 - tokens) / rate) end
return {allowed, math.floor(tokens), wait}
)lua");
  return kScript;
}
}  // namespace

absl::StatusOr<Take> RateLimiter::TakeOne(const std::string& bucket, bool is_ip, absl::Time now) {
  const RateLimit& l = limit(is_ip);
  std::string key = "gw:rl:" + bucket;
  std::string cap = std::to_string(l.burst);
  std::string rate = absl::StrCat(l.per_second / 1000.0);
  std::string ms = std::to_string(absl::ToUnixMillis(now));
  auto r = redis_.Eval(TakeScript(), {key}, {cap, rate, ms, use_caller_clock_ ? "1" : "0"});
  if (!r.ok()) return r.status();
  if (r->is_error() || r->elements.size() != 3) return absl::InternalError("rate limit: " + r->str);
  Take t;
  t.allowed = r->elements[0].integer == 1;
  t.remaining = r->elements[1].integer;
  t.retry_after = absl::Milliseconds(r->elements[2].integer);
  return t;
}

}  // namespace certpath::gateway
