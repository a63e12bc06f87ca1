#include "services/scheduling/domain/calendar.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <utility>

namespace certpath::scheduling::domain {
namespace {

using absl::CivilDay;
using absl::Weekday;

// The names as the Cabinet Office's syukujitsu.csv spells them.
constexpr char kGanjitsu[] = "元日";
constexpr char kSeijin[] = "成人の日";
constexpr char kKenkoku[] = "建国記念の日";
constexpr char kTennoTanjobi[] = "天皇誕生日";
constexpr char kShunbun[] = "春分の日";
constexpr char kShowa[] = "昭和の日";
constexpr char kMidori[] = "みどりの日";
constexpr char kKenpo[] = "憲法記念日";
constexpr char kKodomo[] = "こどもの日";
constexpr char kUmi[] = "海の日";
constexpr char kYama[] = "山の日";
constexpr char kKeiro[] = "敬老の日";
constexpr char kShubun[] = "秋分の日";
constexpr char kTaiiku[] = "体育の日";
// 2019, the last 体育の日, after the renaming law had passed: so in syukujitsu.csv.
constexpr char kTaiiku2019[] = "体育の日（スポーツの日）";
constexpr char kSports[] = "スポーツの日";
constexpr char kBunka[] = "文化の日";
constexpr char kKinroKansha[] = "勤労感謝の日";
// 振替休日 and 国民の休日 alike.
constexpr char kKyujitsu[] = "休日";
// The 2019 days set by 天皇の即位の日及び即位礼正殿の儀の行われる日を休日とする法律,
// treated as national holidays.
constexpr char kKyujitsuShukujitsuAtsukai[] = "休日（祝日扱い）";

// The n-th (1-based) `weekday` of the month.
CivilDay NthWeekday(int year, int month, Weekday weekday, int n) {
  const CivilDay first_on_or_after = absl::NextWeekday(CivilDay(year, month, 1) - 1, weekday);
  return first_on_or_after + 7 * (n - 1);
}

// The usual approximation of the equinox days, valid for 1980–2099.
int EquinoxDay(int year, double base) {
  const int n = year - 1980;
  return static_cast<int>(std::floor(base + 0.242194 * n - std::floor(n / 4.0)));
}

// 国民の祝日 proper (and the one-off days treated as such), by day.
std::map<CivilDay, std::string> NationalHolidays(int y) {
  std::map<CivilDay, std::string> h;
  auto add = [&h](CivilDay d, const char* name) { h.emplace(d, name); };

  add(CivilDay(y, 1, 1), kGanjitsu);
  add(y >= 2000 ? NthWeekday(y, 1, Weekday::monday, 2) : CivilDay(y, 1, 15), kSeijin);
  add(CivilDay(y, 2, 11), kKenkoku);
  if (y >= 2020) add(CivilDay(y, 2, 23), kTennoTanjobi);
  add(CivilDay(y, 3, EquinoxDay(y, 20.8431)), kShunbun);
  if (y <= 1988) {
    add(CivilDay(y, 4, 29), kTennoTanjobi);
  } else if (y <= 2006) {
    add(CivilDay(y, 4, 29), kMidori);
  } else {
    add(CivilDay(y, 4, 29), kShowa);
  }
  add(CivilDay(y, 5, 3), kKenpo);
  if (y >= 2007) add(CivilDay(y, 5, 4), kMidori);
  add(CivilDay(y, 5, 5), kKodomo);

  if (y == 2020) {
    add(CivilDay(y, 7, 23), kUmi);
  } else if (y == 2021) {
    add(CivilDay(y, 7, 22), kUmi);
  } else if (y >= 2003) {
    add(NthWeekday(y, 7, Weekday::monday, 3), kUmi);
  } else if (y >= 1996) {
    add(CivilDay(y, 7, 20), kUmi);
  }

  if (y == 2020) {
    add(CivilDay(y, 8, 10), kYama);
  } else if (y == 2021) {
    add(CivilDay(y, 8, 8), kYama);
  } else if (y >= 2016) {
    add(CivilDay(y, 8, 11), kYama);
  }

  add(y >= 2003 ? NthWeekday(y, 9, Weekday::monday, 3) : CivilDay(y, 9, 15), kKeiro);
  add(CivilDay(y, 9, EquinoxDay(y, 23.2488)), kShubun);

  if (y == 2020) {
    add(CivilDay(y, 7, 24), kSports);
  } else if (y == 2021) {
    add(CivilDay(y, 7, 23), kSports);
  } else if (y >= 2022) {
    add(NthWeekday(y, 10, Weekday::monday, 2), kSports);
  } else if (y == 2019) {
    add(NthWeekday(y, 10, Weekday::monday, 2), kTaiiku2019);
  } else if (y >= 2000) {
    add(NthWeekday(y, 10, Weekday::monday, 2), kTaiiku);
  } else {
    add(CivilDay(y, 10, 10), kTaiiku);
  }

  add(CivilDay(y, 11, 3), kBunka);
  add(CivilDay(y, 11, 23), kKinroKansha);
  if (y >= 1989 && y <= 2018) add(CivilDay(y, 12, 23), kTennoTanjobi);

  // One-off days set by special laws.
  switch (y) {
    case 1989:
      add(CivilDay(1989, 2, 24), "大喪の礼");
      break;
    case 1990:
      add(CivilDay(1990, 11, 12), "即位礼正殿の儀");
      break;
    case 1993:
      add(CivilDay(1993, 6, 9), "結婚の儀");
      break;
    case 2019:
      add(CivilDay(2019, 5, 1), kKyujitsuShukujitsuAtsukai);
      add(CivilDay(2019, 10, 22), kKyujitsuShukujitsuAtsukai);
      break;
    default:
      break;
  }
  return h;
}

std::vector<Holiday> ComputeHolidays(int y) {
  const std::map<CivilDay, std::string> national = NationalHolidays(y);
  std::map<CivilDay, std::string> all = national;

  // 振替休日 (from 1973-04-12): a national holiday on a Sunday makes the next day a
  // holiday; from 2007 the first following day that is not a national holiday.
  for (const auto& [day, name] : national) {
    if (absl::GetWeekday(day) != Weekday::sunday || day < CivilDay(1973, 4, 12)) continue;
    CivilDay substitute = day + 1;
    if (y >= 2007) {
      while (national.count(substitute) > 0) ++substitute;
    }
    all.emplace(substitute, kKyujitsu);
  }

  // 国民の休日 (from 1985-12-27): a day that is not a national holiday between two
  // national holidays. Until 2006 not on a Sunday nor on a 振替休日.
  for (const auto& [day, name] : national) {
    const CivilDay between = day + 1;
    if (between < CivilDay(1985, 12, 27)) continue;
    if (national.count(between) > 0 || national.count(between + 1) == 0) continue;
    if (y < 2007 && (absl::GetWeekday(between) == Weekday::sunday || all.count(between) > 0)) {
      continue;
    }
    all.emplace(between, kKyujitsu);
  }

  std::vector<Holiday> out;
  out.reserve(all.size());
  for (auto& [day, name] : all) {
    if (day.year() == y) out.push_back(Holiday{day, std::move(name)});
  }
  return out;
}

constexpr int kYears = kLastHolidayYear - kFirstHolidayYear + 1;

// Each year computed once, on first use.
struct HolidayCache {
  std::array<std::once_flag, kYears> once;
  std::array<std::vector<Holiday>, kYears> years;
};

const std::vector<Holiday>* CachedHolidays(int year) {
  if (year < kFirstHolidayYear || year > kLastHolidayYear) return nullptr;
  static HolidayCache* const cache = new HolidayCache;
  const int i = year - kFirstHolidayYear;
  std::call_once(cache->once[i], [i, year] { cache->years[i] = ComputeHolidays(year); });
  return &cache->years[i];
}

bool IsWeekend(CivilDay d) {
  const Weekday w = absl::GetWeekday(d);
  return w == Weekday::saturday || w == Weekday::sunday;
}

}  // namespace

std::vector<Holiday> JapaneseHolidays(int year) {
  const std::vector<Holiday>* holidays = CachedHolidays(year);
  return holidays == nullptr ? std::vector<Holiday>{} : *holidays;
}

std::string HolidayName(absl::CivilDay d) {
  if (d.year() < kFirstHolidayYear || d.year() > kLastHolidayYear) return "";
  const std::vector<Holiday>* holidays = CachedHolidays(static_cast<int>(d.year()));
  auto it = std::lower_bound(holidays->begin(), holidays->end(), d,
                             [](const Holiday& h, CivilDay day) { return h.day < day; });
  if (it == holidays->end() || it->day != d) return "";
  return it->name_ja;
}

bool IsJapaneseHoliday(absl::CivilDay d) { return !HolidayName(d).empty(); }

BusinessCalendar::BusinessCalendar(std::vector<Closure> closures) {
  for (Closure& c : closures) {
    if (c.first <= c.last) closures_.push_back(std::move(c));
  }
  std::stable_sort(closures_.begin(), closures_.end(),
                   [](const Closure& a, const Closure& b) { return a.first < b.first; });
}

const Closure* BusinessCalendar::ClosureOn(absl::CivilDay d) const {
  for (const Closure& c : closures_) {
    if (c.first > d) break;
    if (d <= c.last) return &c;
  }
  return nullptr;
}

bool BusinessCalendar::IsBusinessDay(absl::CivilDay d) const {
  return !IsWeekend(d) && !IsJapaneseHoliday(d) && ClosureOn(d) == nullptr;
}

std::string BusinessCalendar::WhyClosed(absl::CivilDay d) const {
  switch (absl::GetWeekday(d)) {
    case Weekday::saturday:
      return "土曜日";
    case Weekday::sunday:
      return "日曜日";
    default:
      break;
  }
  std::string holiday = HolidayName(d);
  if (!holiday.empty()) return holiday;
  if (const Closure* c = ClosureOn(d)) return c->reason;
  return "";
}

absl::optional<absl::CivilDay> BusinessCalendar::AddBusinessDays(absl::CivilDay from, int n) const {
  if (n == 0) {
    for (int i = 0; i <= kMaxSearchDays; ++i) {
      if (IsBusinessDay(from + i)) return from + i;
    }
    return absl::nullopt;
  }
  const int step = n > 0 ? 1 : -1;
  int64_t remaining = std::abs(static_cast<int64_t>(n));
  for (int i = 1; i <= kMaxSearchDays; ++i) {
    const CivilDay d = from + static_cast<int64_t>(step) * i;
    if (IsBusinessDay(d) && --remaining == 0) return d;
  }
  return absl::nullopt;
}

std::vector<absl::CivilDay> BusinessCalendar::BusinessDaysBetween(absl::CivilDay first,
                                                                  absl::CivilDay last,
                                                                  int limit) const {
  std::vector<CivilDay> out;
  CivilDay d = first;
  while (d <= last && static_cast<int64_t>(out.size()) < limit) {
    if (const Closure* c = ClosureOn(d)) {
      d = c->last + 1;  // skip the whole closure at once
      continue;
    }
    if (!IsWeekend(d) && !IsJapaneseHoliday(d)) out.push_back(d);
    ++d;
  }
  return out;
}

}  // namespace certpath::scheduling::domain
