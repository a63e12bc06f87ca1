#pragma once
// Injectable clock and the office's calendar (Asia/Tokyo).

#include <atomic>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace certpath {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock tests set by hand.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time t) : nanos_(absl::ToUnixNanos(t)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Set(absl::Time t) { nanos_.store(absl::ToUnixNanos(t)); }
  void Advance(absl::Duration d) { nanos_.fetch_add(absl::ToInt64Nanoseconds(d)); }

 private:
  std::atomic<int64_t> nanos_;
};

// Japan has kept UTC+9 without daylight saving since 1951, so a fixed zone is
// exact for every date the office deals with and needs no tzdata on the host.
inline absl::TimeZone TokyoZone() { return absl::FixedTimeZone(9 * 60 * 60); }

inline absl::CivilDay TokyoDay(absl::Time t) { return absl::ToCivilDay(t, TokyoZone()); }

}  // namespace certpath
