#include "gateway/rate_limit.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace certpath::gateway {

namespace {
// KEYS[1] bucket; ARGV: capacity, refill per ms, now ms, use ARGV[3] as the
// time, tokens wanted (a lease). Takes what it can, at least one or none;
// answers {allowed, left, ms until one is back, taken}. The bucket expires
// once it would be full again (no state left for idle clients).
//
// Buckets are kept out of the AOF and replication (REPL_NONE): they are
// worth nothing after a restart (every bucket starts full again, as after an
// idle minute), and a write that Redis must fsync on every request
// (appendfsync always) cost the gateway three quarters of its throughput.
const RedisScript& TakeScript() {
  static const RedisScript kScript(R"lua(
redis.set_repl(redis.REPL_NONE)
local cap, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
-- Redis' clock, the same for every replica (theirs may differ); ARGV[3] (the
-- caller's clock) only when Redis' cannot be read.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[4] == '1' then now = tonumber(ARGV[3]) end
local b = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens, at = tonumber(b[1]) or cap, tonumber(b[2]) or now
if now > at then tokens = math.min(cap, tokens + (now - at) * rate) end
local allowed, taken = 0, 0
if tokens >= 1 then
  taken = math.min(tonumber(ARGV[5]), math.floor(tokens))
  tokens = tokens - taken
  allowed = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / rate) + 1000)
local wait = 0
if allowed == 0 then wait = math.ceil((1 - tokens) / rate) end
return {allowed, math.floor(tokens), wait, taken}
)lua");
  return kScript;
}
}  // namespace

std::optional<Take> RateLimiter::TakeLeased(const std::string& bucket, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = leases_.find(bucket);
  if (it == leases_.end() || it->second.tokens <= 0 || now >= it->second.until) return std::nullopt;
  Take t;
  t.remaining = it->second.remaining + --it->second.tokens;
  return t;
}

absl::StatusOr<Take> RateLimiter::TakeOne(const std::string& bucket, bool is_ip, absl::Time now) {
  if (!is_ip) {
    if (auto t = TakeLeased(bucket, now)) return *t;
  }
  const RateLimit& l = limit(is_ip);
  // No more than a second's refill (what the lease's life can waste), an
  // eighth of the burst, 64 at most.
  const int64_t lease =
      is_ip ? 1
            : std::clamp<int64_t>(
                  std::min<int64_t>(l.burst / 8, static_cast<int64_t>(l.per_second)), 1, 64);
  std::string key = "gw:rl:" + bucket;
  std::string cap = std::to_string(l.burst);
  std::string rate = absl::StrCat(l.per_second / 1000.0);
  std::string ms = std::to_string(absl::ToUnixMillis(now));
  auto r = redis_.Eval(TakeScript(), {key},
                       {cap, rate, ms, use_caller_clock_ ? "1" : "0", std::to_string(lease)});
  if (!r.ok()) return r.status();
  if (r->is_error() || r->elements.size() != 4) return absl::InternalError("rate limit: " + r->str);
  Take t;
  t.allowed = r->elements[0].integer == 1;
  t.remaining = r->elements[1].integer;
  t.retry_after = absl::Milliseconds(r->elements[2].integer);
  const int64_t taken = r->elements[3].integer;
  if (taken > 1) {
    std::lock_guard<std::mutex> lock(mu_);
    if (leases_.size() > 10000) leases_.clear();  // bounded: at worst, more Redis trips
    leases_[bucket] = Lease{taken - 1, t.remaining, now + absl::Seconds(1)};
    t.remaining += taken - 1;
  }
  return t;
}

}  // namespace certpath::gateway
