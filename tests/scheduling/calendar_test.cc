// Japanese holidays against the Cabinet Office's published list, and business days.
#include "services/scheduling/domain/calendar.h"

#include <climits>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

#ifndef CERTPATH_SOURCE_DIR
#error "CERTPATH_SOURCE_DIR must name the source tree (for the test data)"
#endif

namespace certpath::scheduling::domain {
namespace {

using absl::CivilDay;

constexpr char kCsvPath[] =
    CERTPATH_SOURCE_DIR "/tests/scheduling/testdata/syukujitsu-2016-2027.csv";

// year -> day -> name, from the Cabinet Office's list (syukujitsu.csv, in UTF-8).
std::map<int, std::map<CivilDay, std::string>> ReadCabinetOfficeCsv() {
  std::ifstream in(kCsvPath, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << kCsvPath;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string content = buffer.str();
  std::map<int, std::map<CivilDay, std::string>> out;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipEmpty())) {
    line = absl::StripSuffix(line, "\r");
    if (header) {
      line = absl::StripPrefix(line, "\xEF\xBB\xBF");  // a BOM, if any
      EXPECT_EQ(line, "国民の祝日・休日月日,国民の祝日・休日名称");
      header = false;
      continue;
    }
    std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
    EXPECT_EQ(fields.size(), 2u) << line;
    if (fields.size() != 2) continue;
    std::vector<absl::string_view> ymd = absl::StrSplit(fields[0], '/');
    int y = 0, m = 0, d = 0;
    EXPECT_TRUE(ymd.size() == 3 && absl::SimpleAtoi(ymd[0], &y) && absl::SimpleAtoi(ymd[1], &m) &&
                absl::SimpleAtoi(ymd[2], &d))
        << line;
    const CivilDay day(y, m, d);
    EXPECT_EQ(day.year(), y) << "not a date: " << line;
    EXPECT_EQ(day.month(), m) << "not a date: " << line;
    EXPECT_EQ(day.day(), d) << "not a date: " << line;
    EXPECT_TRUE(out[y].emplace(day, std::string(fields[1])).second) << "twice: " << line;
  }
  return out;
}

TEST(JapaneseHolidaysTest, MatchCabinetOfficeList2016To2027) {
  const auto csv = ReadCabinetOfficeCsv();
  for (int year = 2016; year <= 2027; ++year) {
    SCOPED_TRACE(year);
    ASSERT_EQ(csv.count(year), 1u) << "no rows for " << year << " in " << kCsvPath;
    const std::map<CivilDay, std::string>& want = csv.at(year);
    std::map<CivilDay, std::string> got;
    CivilDay previous;
    bool first = true;
    for (const Holiday& h : JapaneseHolidays(year)) {
      EXPECT_TRUE(first || previous < h.day) << "not sorted at " << h.day;
      previous = h.day;
      first = false;
      EXPECT_TRUE(got.emplace(h.day, h.name_ja).second) << "twice: " << h.day;
    }
    for (const auto& [day, name] : want) {
      auto it = got.find(day);
      if (it == got.end()) {
        ADD_FAILURE() << "missing " << day << " " << name;
      } else {
        EXPECT_EQ(it->second, name) << day;
      }
    }
    for (const auto& [day, name] : got) {
      EXPECT_EQ(want.count(day), 1u) << "extra " << day << " " << name;
    }
    // HolidayName / IsJapaneseHoliday agree with the list on every day of the year.
    for (CivilDay d(year, 1, 1); d.year() == year; ++d) {
      auto it = want.find(d);
      const std::string expected = it == want.end() ? "" : it->second;
      EXPECT_EQ(HolidayName(d), expected) << d;
      EXPECT_EQ(IsJapaneseHoliday(d), !expected.empty()) << d;
    }
  }
}

TEST(JapaneseHolidaysTest, EarlierRulesAndOneOffDays) {
  // One-off days set by special laws.
  EXPECT_EQ(HolidayName(CivilDay(1989, 2, 24)), "大喪の礼");
  EXPECT_EQ(HolidayName(CivilDay(1990, 11, 12)), "即位礼正殿の儀");
  EXPECT_EQ(HolidayName(CivilDay(1993, 6, 9)), "結婚の儀");
  // Fixed days before the Happy Monday system.
  EXPECT_EQ(HolidayName(CivilDay(1999, 1, 15)), "成人の日");
  EXPECT_EQ(HolidayName(CivilDay(2000, 1, 15)), "");
  EXPECT_EQ(HolidayName(CivilDay(2000, 1, 10)), "成人の日");
  EXPECT_EQ(HolidayName(CivilDay(1999, 10, 11)), "休日");  // 10/10 was a Sunday
  EXPECT_EQ(HolidayName(CivilDay(1999, 10, 10)), "体育の日");
  EXPECT_EQ(HolidayName(CivilDay(2002, 9, 16)), "休日");  // 9/15 was a Sunday
  EXPECT_EQ(HolidayName(CivilDay(2002, 7, 20)), "海の日");
  EXPECT_EQ(HolidayName(CivilDay(1995, 7, 20)), "");
  EXPECT_EQ(HolidayName(CivilDay(2003, 7, 21)), "海の日");
  EXPECT_EQ(HolidayName(CivilDay(2015, 8, 11)), "");
  // 4/29 and 12/23 across the eras.
  EXPECT_EQ(HolidayName(CivilDay(1988, 4, 29)), "天皇誕生日");
  EXPECT_EQ(HolidayName(CivilDay(1988, 12, 23)), "");
  EXPECT_EQ(HolidayName(CivilDay(1989, 4, 29)), "みどりの日");
  EXPECT_EQ(HolidayName(CivilDay(1989, 12, 23)), "天皇誕生日");
  EXPECT_EQ(HolidayName(CivilDay(2006, 4, 29)), "みどりの日");
  EXPECT_EQ(HolidayName(CivilDay(2007, 4, 29)), "昭和の日");
  EXPECT_EQ(HolidayName(CivilDay(2007, 5, 4)), "みどりの日");
  // 国民の休日: 5/4 from 1988 (not on a Sunday, not on a 振替休日, until 2006).
  EXPECT_EQ(HolidayName(CivilDay(1988, 5, 4)), "休日");   // Wednesday
  EXPECT_EQ(HolidayName(CivilDay(1997, 5, 4)), "");       // Sunday
  EXPECT_EQ(HolidayName(CivilDay(1998, 5, 4)), "休日");   // Monday after a Sunday 5/3
  EXPECT_EQ(HolidayName(CivilDay(2009, 9, 22)), "休日");  // Silver Week
  EXPECT_EQ(HolidayName(CivilDay(2015, 9, 22)), "休日");
  // 振替休日 from 2007 moves past several holidays.
  EXPECT_EQ(HolidayName(CivilDay(2008, 5, 6)), "休日");  // 5/4 (Sunday) -> past 5/5
  EXPECT_EQ(HolidayName(CivilDay(2013, 5, 6)), "休日");  // 5/5 (Sunday)
  // Equinoxes at both ends of the range.
  EXPECT_EQ(HolidayName(CivilDay(1980, 3, 20)), "春分の日");
  EXPECT_EQ(HolidayName(CivilDay(1980, 9, 23)), "秋分の日");
  EXPECT_EQ(HolidayName(CivilDay(2099, 3, 20)), "春分の日");
  EXPECT_EQ(HolidayName(CivilDay(2099, 9, 23)), "秋分の日");
}

TEST(JapaneseHolidaysTest, YearsOutOfRange) {
  EXPECT_TRUE(JapaneseHolidays(1979).empty());
  EXPECT_TRUE(JapaneseHolidays(2100).empty());
  EXPECT_TRUE(JapaneseHolidays(-5).empty());
  EXPECT_TRUE(JapaneseHolidays(INT_MAX).empty());
  EXPECT_FALSE(JapaneseHolidays(1980).empty());
  EXPECT_FALSE(JapaneseHolidays(2099).empty());
  EXPECT_EQ(HolidayName(CivilDay(1979, 1, 1)), "");
  EXPECT_EQ(HolidayName(CivilDay(2100, 1, 1)), "");
  EXPECT_FALSE(IsJapaneseHoliday(CivilDay(1959, 4, 10)));
  // Out of range, only weekends and closures count.
  BusinessCalendar calendar;
  EXPECT_TRUE(calendar.IsBusinessDay(CivilDay(2100, 1, 1)));  // a Friday
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2100, 1, 2)), "土曜日");
}

TEST(JapaneseHolidaysTest, ConcurrentFirstUseAgrees) {
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> seen(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &seen] {
      for (int year = 2040; year <= 2060; ++year) {
        seen[t].push_back(HolidayName(CivilDay(year, 1, 1)));
        seen[t].push_back(HolidayName(CivilDay(year, 5, 5)));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) {
    ASSERT_EQ(seen[t].size(), 42u);
    for (size_t i = 0; i < seen[t].size(); i += 2) {
      EXPECT_EQ(seen[t][i], "元日");
      EXPECT_EQ(seen[t][i + 1], "こどもの日");
    }
  }
}

BusinessCalendar OfficeCalendar() {
  return BusinessCalendar({
      {CivilDay(2026, 12, 29), CivilDay(2027, 1, 3), "年末年始"},
      {CivilDay(2025, 12, 29), CivilDay(2026, 1, 3), "年末年始"},
      {CivilDay(2026, 8, 13), CivilDay(2026, 8, 14), "お盆"},
      {CivilDay(2026, 6, 10), CivilDay(2026, 6, 9), "empty: ignored"},
  });
}

TEST(BusinessCalendarTest, WhyClosed) {
  const BusinessCalendar calendar = OfficeCalendar();
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2026, 5, 9)), "土曜日");
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2026, 5, 10)), "日曜日");
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2026, 5, 5)), "こどもの日");
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2026, 5, 6)), "休日");
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2026, 5, 7)), "");
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2025, 12, 30)), "年末年始");
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2026, 1, 1)), "元日");    // a holiday in a closure
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2026, 1, 3)), "土曜日");  // a Saturday in a closure
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2026, 8, 13)), "お盆");
  EXPECT_EQ(calendar.WhyClosed(CivilDay(2026, 6, 10)), "");
  EXPECT_EQ(calendar.closures().size(), 3u);
  EXPECT_EQ(calendar.closures().front().first, CivilDay(2025, 12, 29));  // sorted

  EXPECT_TRUE(calendar.IsBusinessDay(CivilDay(2025, 12, 26)));
  EXPECT_FALSE(calendar.IsBusinessDay(CivilDay(2025, 12, 29)));
  EXPECT_FALSE(calendar.IsBusinessDay(CivilDay(2026, 1, 2)));
  EXPECT_TRUE(calendar.IsBusinessDay(CivilDay(2026, 1, 5)));
  EXPECT_TRUE(calendar.IsBusinessDay(CivilDay(2026, 6, 10)));
  // Without closures, 12/29 is an ordinary Monday.
  EXPECT_TRUE(BusinessCalendar().IsBusinessDay(CivilDay(2025, 12, 29)));
}

TEST(BusinessCalendarTest, AddBusinessDaysAcrossGoldenWeek) {
  // 2026: 4/29 (Wed) 昭和の日; 5/2 Sat, 5/3 Sun, 5/4–5/6 holidays; back on 5/7 (Thu).
  const BusinessCalendar calendar = OfficeCalendar();
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 1), 1), CivilDay(2026, 5, 7));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 4, 28), 1), CivilDay(2026, 4, 30));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 4, 30), 2), CivilDay(2026, 5, 7));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 1), 5), CivilDay(2026, 5, 13));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 3), 1), CivilDay(2026, 5, 7));
  // Backward.
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 7), -1), CivilDay(2026, 5, 1));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 7), -2), CivilDay(2026, 4, 30));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 7), -3), CivilDay(2026, 4, 28));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 5), -1), CivilDay(2026, 5, 1));
  // Zero: the day itself, or the next business day.
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 7), 0), CivilDay(2026, 5, 7));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 2), 0), CivilDay(2026, 5, 7));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 9), 0), CivilDay(2026, 5, 11));
  // A weekend.
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 8), 1), CivilDay(2026, 5, 11));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 5, 11), -1), CivilDay(2026, 5, 8));
  // Across 年末年始 (12/29–1/3) and the Sunday 1/4.
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2025, 12, 26), 1), CivilDay(2026, 1, 5));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2026, 1, 5), -1), CivilDay(2025, 12, 26));
  EXPECT_EQ(calendar.AddBusinessDays(CivilDay(2025, 12, 31), 0), CivilDay(2026, 1, 5));
}

TEST(BusinessCalendarTest, AddBusinessDaysGivesUp) {
  const BusinessCalendar closed({{CivilDay(2030, 1, 1), CivilDay(2045, 12, 31), "移転"}});
  EXPECT_EQ(closed.AddBusinessDays(CivilDay(2030, 1, 1), 1), absl::nullopt);
  EXPECT_EQ(closed.AddBusinessDays(CivilDay(2030, 1, 1), 0), absl::nullopt);
  EXPECT_EQ(closed.AddBusinessDays(CivilDay(2029, 12, 31), 1), absl::nullopt);
  EXPECT_EQ(closed.AddBusinessDays(CivilDay(2035, 6, 1), -1), CivilDay(2029, 12, 31));
  EXPECT_EQ(closed.AddBusinessDays(CivilDay(2041, 1, 1), -1), absl::nullopt);
  // Exactly at the limit: 2026-01-07 (Wed) + 3660 days = 2036-01-15 (Tue, a business day).
  const CivilDay from(2026, 1, 7), at_limit(2036, 1, 15);
  ASSERT_EQ(at_limit - from, BusinessCalendar::kMaxSearchDays);
  const BusinessCalendar up_to_limit({{from + 1, at_limit - 1, "長期休業"}});
  EXPECT_EQ(up_to_limit.AddBusinessDays(from, 1), at_limit);
  EXPECT_EQ(up_to_limit.AddBusinessDays(at_limit, -1), from);
  EXPECT_EQ(up_to_limit.AddBusinessDays(from + 1, 0), at_limit);
  const BusinessCalendar past_limit({{from + 1, at_limit, "長期休業"}});
  EXPECT_EQ(past_limit.AddBusinessDays(from, 1), absl::nullopt);
  const BusinessCalendar open;
  EXPECT_EQ(open.AddBusinessDays(CivilDay(2026, 1, 5), 10000), absl::nullopt);
  EXPECT_EQ(open.AddBusinessDays(CivilDay(2026, 1, 5), INT_MIN), absl::nullopt);
  EXPECT_EQ(open.AddBusinessDays(CivilDay(2026, 1, 5), INT_MAX), absl::nullopt);
  EXPECT_TRUE(open.AddBusinessDays(CivilDay(2026, 1, 5), 2000).has_value());
}

TEST(BusinessCalendarTest, BusinessDaysBetween) {
  const BusinessCalendar calendar = OfficeCalendar();
  using Days = std::vector<CivilDay>;
  EXPECT_EQ(calendar.BusinessDaysBetween(CivilDay(2026, 4, 27), CivilDay(2026, 5, 10), 100),
            (Days{CivilDay(2026, 4, 27), CivilDay(2026, 4, 28), CivilDay(2026, 4, 30),
                  CivilDay(2026, 5, 1), CivilDay(2026, 5, 7), CivilDay(2026, 5, 8)}));
  EXPECT_EQ(calendar.BusinessDaysBetween(CivilDay(2026, 4, 27), CivilDay(2026, 5, 10), 3),
            (Days{CivilDay(2026, 4, 27), CivilDay(2026, 4, 28), CivilDay(2026, 4, 30)}));
  EXPECT_EQ(calendar.BusinessDaysBetween(CivilDay(2025, 12, 25), CivilDay(2026, 1, 6), 10),
            (Days{CivilDay(2025, 12, 25), CivilDay(2025, 12, 26), CivilDay(2026, 1, 5),
                  CivilDay(2026, 1, 6)}));
  EXPECT_EQ(calendar.BusinessDaysBetween(CivilDay(2026, 5, 7), CivilDay(2026, 5, 7), 5),
            (Days{CivilDay(2026, 5, 7)}));
  EXPECT_TRUE(
      calendar.BusinessDaysBetween(CivilDay(2026, 4, 27), CivilDay(2026, 5, 10), 0).empty());
  EXPECT_TRUE(
      calendar.BusinessDaysBetween(CivilDay(2026, 4, 27), CivilDay(2026, 5, 10), -1).empty());
  EXPECT_TRUE(
      calendar.BusinessDaysBetween(CivilDay(2026, 5, 10), CivilDay(2026, 4, 27), 10).empty());
  EXPECT_TRUE(calendar.BusinessDaysBetween(CivilDay(2026, 5, 2), CivilDay(2026, 5, 6), 10).empty());
  // A whole year: 2026 has 261 weekdays, 17 of them national holidays (5/3 is a Sunday);
  // the closures take 1/2 (1/1 is 元日 already), 8/13–8/14 and 12/29–12/31.
  EXPECT_EQ(calendar.BusinessDaysBetween(CivilDay(2026, 1, 1), CivilDay(2026, 12, 31), 1000).size(),
            261u - 17 - 1 - 2 - 3);
}

}  // namespace
}  // namespace certpath::scheduling::domain
