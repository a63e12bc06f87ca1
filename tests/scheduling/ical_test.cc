// The RFC 5545 writer: escaping, folding, line endings, and a round trip through an
// independent parser (tests/scheduling/check_ics.py on Debian's python3-icalendar).
#include "services/scheduling/domain/ical.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

#ifndef CERTPATH_SOURCE_DIR
#error "CERTPATH_SOURCE_DIR must name the source tree (for check_ics.py)"
#endif

namespace certpath::scheduling::domain {
namespace {

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kCheckIcs[] = CERTPATH_SOURCE_DIR "/tests/scheduling/check_ics.py";

// Whether `s` is well-formed UTF-8 (RFC 3629), written independently of ical.cc.
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0;
    size_t len = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// The physical lines of CRLF-ended text (the text must end with CRLF).
std::vector<std::string> PhysicalLines(absl::string_view text) {
  EXPECT_TRUE(absl::EndsWith(text, "\r\n"));
  std::vector<std::string> lines = absl::StrSplit(text, "\r\n");
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// RFC 5545 §3.1 unfolding.
std::string Unfold(absl::string_view text) { return absl::StrReplaceAll(text, {{"\r\n ", ""}}); }

void ExpectCrlfOnly(absl::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      EXPECT_TRUE(i > 0 && text[i - 1] == '\r') << "bare LF at " << i;
    }
    if (text[i] == '\r') {
      EXPECT_TRUE(i + 1 < text.size() && text[i + 1] == '\n') << "bare CR at " << i;
    }
  }
}

std::string Repeat(absl::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, s);
  return out;
}

absl::Time Jst(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::FixedTimeZone(9 * 3600));
}

TEST(IcsFoldTest, ShortAndExactLines) {
  EXPECT_EQ(FoldIcsLine(""), "\r\n");
  EXPECT_EQ(FoldIcsLine("BEGIN:VEVENT"), "BEGIN:VEVENT\r\n");
  const std::string exact(75, 'a');
  EXPECT_EQ(FoldIcsLine(exact), exact + "\r\n");
  EXPECT_EQ(FoldIcsLine(exact + "b"), exact + "\r\n b\r\n");
  const std::string long_ascii(75 + 74 + 10, 'x');
  EXPECT_EQ(FoldIcsLine(long_ascii), std::string(75, 'x') + "\r\n " + std::string(74, 'x') +
                                         "\r\n " + std::string(10, 'x') + "\r\n");
}

TEST(IcsFoldTest, LongJapaneseLineKeepsUtf8Whole) {
  // 200 characters of 3 octets each (16 x 12 + 8), after a 12-octet property name.
  const std::string text = Repeat("情報セキュリティ方針の説明と確認", 12) + "終わりです。以上";
  ASSERT_EQ(text.size(), 600u);
  ASSERT_TRUE(IsValidUtf8(text));
  const std::string line = "DESCRIPTION:" + text;
  const std::string folded = FoldIcsLine(line);
  ExpectCrlfOnly(folded);
  const std::vector<std::string> lines = PhysicalLines(folded);
  ASSERT_GT(lines.size(), 8u);
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_LE(lines[i].size(), 75u);
    if (i + 1 < lines.size()) {
      EXPECT_GE(lines[i].size(), i == 0 ? 73u : 72u) << "folded too early";
    }
    if (i > 0) {
      ASSERT_FALSE(lines[i].empty());
      EXPECT_EQ(lines[i][0], ' ');
    }
    EXPECT_TRUE(IsValidUtf8(lines[i])) << "a UTF-8 sequence was split: " << lines[i];
  }
  EXPECT_EQ(Unfold(folded), line + "\r\n");
}

TEST(IcsFoldTest, FourOctetCharacters) {
  const std::string line = "SUMMARY:" + Repeat("\xF0\x9F\x93\x85", 60);  // U+1F4C5 x 60
  const std::string folded = FoldIcsLine(line);
  for (const std::string& l : PhysicalLines(folded)) {
    EXPECT_LE(l.size(), 75u);
    EXPECT_TRUE(IsValidUtf8(l));
  }
  EXPECT_EQ(Unfold(folded), line + "\r\n");
}

TEST(IcsEscapeTest, Escapes) {
  EXPECT_EQ(EscapeIcsText("plain テキスト"), "plain テキスト");
  EXPECT_EQ(EscapeIcsText("a\\b;c,d"), "a\\\\b\\;c\\,d");
  EXPECT_EQ(EscapeIcsText("1\r\n2\n3\r4\n\n5"), "1\\n2\\n3\\n4\\n\\n5");
  EXPECT_EQ(EscapeIcsText("x\x01y\tz\x7F!\x1B"), "xyz!");
  EXPECT_EQ(EscapeIcsText("c1:\xC2\x85."), "c1:.");                        // U+0085 NEL
  EXPECT_EQ(EscapeIcsText("bad\xFFok"), "bad\xEF\xBF\xBDok");              // invalid -> U+FFFD
  EXPECT_EQ(EscapeIcsText("cut\xE6\x97"), "cut\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated
  EXPECT_EQ(EscapeIcsText("\xED\xA0\x80"), Repeat("\xEF\xBF\xBD", 3));     // a surrogate
  // Full-width punctuation is not special.
  EXPECT_EQ(EscapeIcsText("会議室A；3F，北側：東"), "会議室A；3F，北側：東");
  EXPECT_EQ(EscapeIcsText("東京都千代田区丸の内1-1-1 会議室A；3F, 北側"),
            "東京都千代田区丸の内1-1-1 会議室A；3F\\, 北側");
  std::string with_nul("a\0b", 3);
  EXPECT_EQ(EscapeIcsText(with_nul), "ab");
}

TEST(IcsDurationTest, Formats) {
  EXPECT_EQ(FormatIcsDuration(absl::Hours(1)), "PT1H");
  EXPECT_EQ(FormatIcsDuration(absl::Minutes(90)), "PT1H30M");
  EXPECT_EQ(FormatIcsDuration(absl::Hours(1) + absl::Seconds(5)), "PT1H0M5S");
  EXPECT_EQ(FormatIcsDuration(absl::Minutes(15)), "PT15M");
  EXPECT_EQ(FormatIcsDuration(absl::Seconds(30)), "PT30S");
  EXPECT_EQ(FormatIcsDuration(absl::Hours(24)), "P1D");
  EXPECT_EQ(FormatIcsDuration(absl::Hours(26)), "P1DT2H");
  EXPECT_EQ(FormatIcsDuration(absl::ZeroDuration()), "PT0S");
  EXPECT_EQ(FormatIcsDuration(-absl::Minutes(15)), "-PT15M");
  EXPECT_EQ(FormatIcsDuration(absl::Milliseconds(1500)), "PT1S");
}

IcsCalendar SampleCalendar() {
  IcsCalendar cal;
  cal.name = "certpath 訪問予定, 株式会社サンプル";
  IcsEvent visit;
  visit.uid = "visit-42@demo.certpath";
  visit.sequence = 3;
  visit.dtstamp = absl::FromCivil(absl::CivilSecond(2026, 11, 29, 12, 0, 0), absl::UTCTimeZone());
  visit.start = Jst(2026, 11, 30, 10, 0);
  visit.end = Jst(2026, 11, 30, 12, 30);
  visit.summary = "第2回訪問：テンプレート説明";
  visit.location = "東京都千代田区丸の内1-1-1 会議室A；3F, 北側";
  visit.description = Repeat("情報資産台帳, リスクアセスメント; 管理策の説明\n", 6) +
                      "持ち物: 社内規程一式\r\n連絡先: 03-1234-5678 \\ 担当 山田";
  visit.categories = {"訪問", "ISO 27001"};
  cal.events.push_back(visit);

  IcsEvent cancelled;
  cancelled.uid = "visit-43@demo.certpath";
  cancelled.sequence = 5;
  cancelled.dtstamp = visit.dtstamp;
  cancelled.start = Jst(2026, 12, 1, 23, 30);  // 14:30 UTC
  cancelled.end = Jst(2026, 12, 2, 0, 30);     // past midnight in Japan
  cancelled.summary = "第3回訪問（中止）";
  cancelled.cancelled = true;
  cal.events.push_back(cancelled);

  IcsEvent deadline;
  deadline.uid = "deadline-7@demo.certpath";
  deadline.dtstamp = visit.dtstamp;
  deadline.all_day = true;
  deadline.first_day = absl::CivilDay(2026, 12, 31);
  deadline.last_day = absl::CivilDay(2026, 12, 31);
  deadline.summary = "審査資料提出期限";
  deadline.description = "提出先: 審査機関; 形式: PDF, 紙";
  deadline.tentative = true;
  cal.events.push_back(deadline);

  IcsEvent stay;
  stay.uid = "audit-9@demo.certpath";
  stay.sequence = 1;
  stay.dtstamp = visit.dtstamp;
  stay.all_day = true;
  stay.first_day = absl::CivilDay(2027, 2, 26);
  stay.last_day = absl::CivilDay(2027, 3, 1);
  stay.summary = "ステージ2審査";
  cal.events.push_back(stay);
  return cal;
}

TEST(IcsRenderTest, StructureAndLineEndings) {
  const std::string ics = RenderIcs(SampleCalendar());
  ExpectCrlfOnly(ics);
  for (const std::string& line : PhysicalLines(ics)) {
    EXPECT_LE(line.size(), 75u) << line;
    EXPECT_TRUE(IsValidUtf8(line)) << line;
  }
  const std::string unfolded = Unfold(ics);
  const std::vector<std::string> lines = PhysicalLines(unfolded);
  ASSERT_GE(lines.size(), 20u);
  const std::vector<std::string> head(lines.begin(), lines.begin() + 19);
  EXPECT_EQ(head, (std::vector<std::string>{
                      "BEGIN:VCALENDAR",
                      "VERSION:2.0",
                      "PRODID:-//certpath//scheduling//JA",
                      "CALSCALE:GREGORIAN",
                      "METHOD:PUBLISH",
                      "X-WR-CALNAME:certpath 訪問予定\\, 株式会社サンプル",
                      "X-WR-TIMEZONE:Asia/Tokyo",
                      "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
                      "X-PUBLISHED-TTL:PT1H",
                      "BEGIN:VTIMEZONE",
                      "TZID:Asia/Tokyo",
                      "BEGIN:STANDARD",
                      "DTSTART:19700101T000000",
                      "TZOFFSETFROM:+0900",
                      "TZOFFSETTO:+0900",
                      "TZNAME:JST",
                      "END:STANDARD",
                      "END:VTIMEZONE",
                      "BEGIN:VEVENT",
                  }));
  EXPECT_EQ(lines.back(), "END:VCALENDAR");
  const std::vector<std::string> first_event(lines.begin() + 18, lines.begin() + 31);
  EXPECT_EQ(first_event, (std::vector<std::string>{
                             "BEGIN:VEVENT",
                             "UID:visit-42@demo.certpath",
                             "SEQUENCE:3",
                             "DTSTAMP:20261129T120000Z",
                             "DTSTART;TZID=Asia/Tokyo:20261130T100000",
                             "DTEND;TZID=Asia/Tokyo:20261130T123000",
                             "SUMMARY:第2回訪問：テンプレート説明",
                             "LOCATION:東京都千代田区丸の内1-1-1 会議室A；3F\\, 北側",
                             "DESCRIPTION:" + EscapeIcsText(SampleCalendar().events[0].description),
                             "CATEGORIES:訪問,ISO 27001",
                             "STATUS:CONFIRMED",
                             "END:VEVENT",
                             "BEGIN:VEVENT",
                         }));
  // The cancelled event: Japan time across midnight, no LOCATION/DESCRIPTION, no TRANSP.
  EXPECT_TRUE(absl::StrContains(unfolded,
                                "DTSTART;TZID=Asia/Tokyo:20261201T233000\r\n"
                                "DTEND;TZID=Asia/Tokyo:20261202T003000\r\n"
                                "SUMMARY:第3回訪問（中止）\r\n"
                                "STATUS:CANCELLED\r\n"
                                "END:VEVENT\r\n"));
  // All-day: exclusive DTEND (across a year and a month end), TENTATIVE, TRANSPARENT.
  EXPECT_TRUE(absl::StrContains(unfolded,
                                "DTSTART;VALUE=DATE:20261231\r\n"
                                "DTEND;VALUE=DATE:20270101\r\n"
                                "SUMMARY:審査資料提出期限\r\n"
                                "DESCRIPTION:提出先: 審査機関\\; 形式: PDF\\, 紙\r\n"
                                "STATUS:TENTATIVE\r\n"
                                "TRANSP:TRANSPARENT\r\n"
                                "END:VEVENT\r\n"));
  EXPECT_TRUE(absl::StrContains(unfolded,
                                "DTSTART;VALUE=DATE:20270226\r\n"
                                "DTEND;VALUE=DATE:20270302\r\n"));
  EXPECT_FALSE(absl::StrContains(unfolded, "LOCATION:\r\n"));
}

TEST(IcsRenderTest, EmptyCalendarAndRefresh) {
  IcsCalendar cal;
  cal.refresh = absl::Minutes(15);
  const std::string ics = RenderIcs(cal);
  EXPECT_TRUE(absl::StartsWith(ics, "BEGIN:VCALENDAR\r\n"));
  EXPECT_TRUE(absl::EndsWith(ics, "END:VTIMEZONE\r\nEND:VCALENDAR\r\n"));
  EXPECT_TRUE(absl::StrContains(ics, "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n"));
  EXPECT_TRUE(absl::StrContains(ics, "\r\nX-PUBLISHED-TTL:PT15M\r\n"));
  EXPECT_FALSE(absl::StrContains(ics, "X-WR-CALNAME"));
  EXPECT_FALSE(absl::StrContains(ics, "BEGIN:VEVENT"));
}

// ---- Round trip through check_ics.py ----

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrCat("\\u00", c < 0x10 ? "0" : "", absl::Hex(c));
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

void WriteFile(const std::string& path, absl::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Runs check_ics.py; its exit status (-1 when it could not run).
int RunCheckIcs(const std::string& ics, const std::string& expect_json, absl::string_view tag) {
  const std::string dir = ::testing::TempDir();
  const std::string ics_path = absl::StrCat(dir, "/certpath-ical-", getpid(), "-", tag, ".ics");
  const std::string json_path = absl::StrCat(dir, "/certpath-ical-", getpid(), "-", tag, ".json");
  WriteFile(ics_path, ics);
  WriteFile(json_path, expect_json);
  const std::string command =
      absl::StrCat(kPython, " ", kCheckIcs, " '", ics_path, "' '", json_path, "'");
  const int status = std::system(command.c_str());
  std::remove(ics_path.c_str());
  std::remove(json_path.c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// The description as it should come back (newlines normalized to LF).
std::string Normalized(absl::string_view s) {
  return absl::StrReplaceAll(absl::StrReplaceAll(s, {{"\r\n", "\n"}}), {{"\r", "\n"}});
}

std::string ExpectJson(const IcsCalendar& cal, absl::string_view first_summary_override = "",
                       bool drop_last = false) {
  const auto& e = cal.events;
  std::vector<std::string> events = {
      absl::StrCat("{\"uid\": ", JsonString(e[0].uid), ", \"summary\": ",
                   JsonString(first_summary_override.empty() ? absl::string_view(e[0].summary)
                                                             : first_summary_override),
                   ", \"location\": ", JsonString(e[0].location),
                   ", \"description\": ", JsonString(Normalized(e[0].description)),
                   ", \"categories\": [\"訪問\", \"ISO 27001\"], \"status\": \"CONFIRMED\", "
                   "\"sequence\": 3, \"all_day\": false, "
                   "\"start\": \"2026-11-30T10:00:00+09:00\", "
                   "\"end\": \"2026-11-30T12:30:00+09:00\"}"),
      absl::StrCat("{\"uid\": ", JsonString(e[1].uid), ", \"summary\": ", JsonString(e[1].summary),
                   ", \"location\": \"\", \"description\": \"\", \"categories\": [], "
                   "\"status\": \"CANCELLED\", \"sequence\": 5, \"all_day\": false, "
                   "\"start\": \"2026-12-01T14:30:00+00:00\", "  // the same instant in UTC
                   "\"end\": \"2026-12-02T00:30:00+09:00\"}"),
      absl::StrCat("{\"uid\": ", JsonString(e[2].uid), ", \"summary\": ", JsonString(e[2].summary),
                   ", \"description\": ", JsonString(e[2].description),
                   ", \"status\": \"TENTATIVE\", \"sequence\": 0, \"all_day\": true, "
                   "\"start\": \"2026-12-31\", \"end\": \"2027-01-01\"}"),
      absl::StrCat("{\"uid\": ", JsonString(e[3].uid), ", \"summary\": ", JsonString(e[3].summary),
                   ", \"status\": \"CONFIRMED\", \"sequence\": 1, \"all_day\": true, "
                   "\"start\": \"2027-02-26\", \"end\": \"2027-03-02\"}"),
  };
  if (drop_last) events.pop_back();
  return absl::StrCat("{\"calendar\": {\"name\": ", JsonString(cal.name),
                      ", \"refresh\": \"PT1H\"},\n \"events\": [\n  ",
                      absl::StrJoin(events, ",\n  "), "\n ]}\n");
}

TEST(IcsRoundTripTest, IndependentParserReadsBackEverything) {
  if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is not installed";
  const IcsCalendar cal = SampleCalendar();
  EXPECT_EQ(RunCheckIcs(RenderIcs(cal), ExpectJson(cal), "ok"), 0);
}

TEST(IcsRoundTripTest, CheckerCatchesDifferences) {
  if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is not installed";
  const IcsCalendar cal = SampleCalendar();
  const std::string ics = RenderIcs(cal);
  EXPECT_EQ(RunCheckIcs(ics, ExpectJson(cal, "第2回訪問"), "summary"), 1);
  EXPECT_EQ(RunCheckIcs(ics, ExpectJson(cal, "", /*drop_last=*/true), "extra"), 1);
  IcsCalendar more = cal;
  more.events.pop_back();
  EXPECT_EQ(RunCheckIcs(RenderIcs(more), ExpectJson(cal), "missing"), 1);
  // Bare LFs and an over-long line.
  EXPECT_EQ(RunCheckIcs(absl::StrReplaceAll(ics, {{"\r\n", "\n"}}), ExpectJson(cal), "lf"), 1);
  EXPECT_EQ(RunCheckIcs(Unfold(ics), ExpectJson(cal), "unfolded"), 1);
}

}  // namespace
}  // namespace certpath::scheduling::domain
