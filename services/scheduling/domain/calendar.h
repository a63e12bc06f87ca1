// Japanese national holidays and the office's business days. Pure domain code:
// Abseil and the standard library only.
#ifndef CERTPATH_SERVICES_SCHEDULING_DOMAIN_CALENDAR_H_
#define CERTPATH_SERVICES_SCHEDULING_DOMAIN_CALENDAR_H_

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/types/optional.h"

namespace certpath::scheduling::domain {

// The first and last years JapaneseHolidays() knows (the equinox approximation
// used is valid for 1980–2099).
inline constexpr int kFirstHolidayYear = 1980;
inline constexpr int kLastHolidayYear = 2099;

struct Holiday {
  absl::CivilDay day;
  std::string name_ja;  // as the Cabinet Office's syukujitsu.csv spells it
};

// Japan's national holidays (国民の祝日に関する法律) of `year`, sorted by day, with
// 振替休日 and 国民の休日 (both named "休日") and the one-off days set by special laws.
// Years outside [kFirstHolidayYear, kLastHolidayYear]: empty.
std::vector<Holiday> JapaneseHolidays(int year);

// The holiday's name, "" when `d` is not a holiday (or its year is out of range).
// Memoized per year; thread-safe.
std::string HolidayName(absl::CivilDay d);
bool IsJapaneseHoliday(absl::CivilDay d);

// An inclusive office closure (年末年始, お盆…). A closure with last < first is empty.
struct Closure {
  absl::CivilDay first;
  absl::CivilDay last;
  std::string reason;
};

// Business days: Monday–Friday, not a national holiday, not in a closure.
class BusinessCalendar {
 public:
  // The most calendar days AddBusinessDays searches before giving up.
  static constexpr int kMaxSearchDays = 3660;

  explicit BusinessCalendar(std::vector<Closure> closures = {});

  bool IsBusinessDay(absl::CivilDay d) const;

  // Why `d` is not a business day, checked in this order: "土曜日" / "日曜日", the
  // holiday's name, the (first matching) closure's reason; "" when it is a business day.
  std::string WhyClosed(absl::CivilDay d) const;

  // n > 0: the n-th business day after `from`; n < 0: the |n|-th before it;
  // n == 0: `from` if it is a business day, else the next one. absl::nullopt when the
  // answer lies more than kMaxSearchDays calendar days away from `from`.
  absl::optional<absl::CivilDay> AddBusinessDays(absl::CivilDay from, int n) const;

  // The business days in [first, last] in order, at most `limit` of them
  // (none when limit <= 0 or last < first).
  std::vector<absl::CivilDay> BusinessDaysBetween(absl::CivilDay first, absl::CivilDay last,
                                                  int limit) const;

  const std::vector<Closure>& closures() const { return closures_; }

 private:
  // The closure containing `d`, or nullptr.
  const Closure* ClosureOn(absl::CivilDay d) const;

  std::vector<Closure> closures_;  // non-empty ones, sorted by first
};

}  // namespace certpath::scheduling::domain

#endif  // CERTPATH_SERVICES_SCHEDULING_DOMAIN_CALENDAR_H_
