// An RFC 5545 (iCalendar) writer for the office's published calendars. Pure domain
// code: Abseil and the standard library only.
#ifndef CERTPATH_SERVICES_SCHEDULING_DOMAIN_ICAL_H_
#define CERTPATH_SERVICES_SCHEDULING_DOMAIN_ICAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace certpath::scheduling::domain {

struct IcsEvent {
  std::string uid;       // stable, e.g. "visit-<id>@<tenant>.certpath"
  int64_t sequence = 0;  // raised on every change
  absl::Time dtstamp;    // written in UTC: 20261129T120000Z
  bool all_day = false;
  // Timed events: DTSTART;TZID=Asia/Tokyo:YYYYMMDDTHHMMSS in Japan time (seconds
  // truncated toward the past). An end before the start is written as the start.
  absl::Time start, end;
  // All-day events: DTSTART;VALUE=DATE:first_day, DTEND;VALUE=DATE:last_day+1
  // (exclusive). A last_day before first_day is taken as first_day.
  absl::CivilDay first_day, last_day;
  std::string summary, location, description;  // UTF-8, escaped on output
  bool cancelled = false;  // STATUS:CANCELLED, else TENTATIVE when tentative, else CONFIRMED
  bool tentative = false;
  std::vector<std::string> categories;  // empty ones are left out
};

struct IcsCalendar {
  std::string name;                         // X-WR-CALNAME (left out when empty)
  absl::Duration refresh = absl::Hours(1);  // REFRESH-INTERVAL and X-PUBLISHED-TTL
  std::vector<IcsEvent> events;
};

// The whole VCALENDAR (with an embedded VTIMEZONE for Asia/Tokyo): every content line
// folded at 75 octets and ended by CRLF.
std::string RenderIcs(const IcsCalendar& cal);

// A TEXT value: backslash, ';' and ',' escaped with a backslash; CR LF, LF and CR each
// become "\n"; other control characters (C0, DEL, C1) are removed; bytes that are not
// valid UTF-8 become U+FFFD. The result is always valid UTF-8.
std::string EscapeIcsText(absl::string_view s);

// Folds one content line (given without its CRLF): physical lines of at most 75 octets,
// continuation lines starting with one space (counted in their 75), never splitting a
// UTF-8 multi-byte sequence. Returns the physical lines, each ended by CRLF.
std::string FoldIcsLine(absl::string_view line);

// An RFC 5545 DURATION value: "PT1H", "PT1H30M", "P1D", "P1DT2H0M5S", "PT0S",
// "-PT15M"; whole seconds (the rest is truncated).
std::string FormatIcsDuration(absl::Duration d);

// Japan time (Asia/Tokyo from tzdata, else a fixed UTC+9: Japan has had no DST since 1951).
absl::TimeZone JapanTimeZone();

}  // namespace certpath::scheduling::domain

#endif  // CERTPATH_SERVICES_SCHEDULING_DOMAIN_ICAL_H_
