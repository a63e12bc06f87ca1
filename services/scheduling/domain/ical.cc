#include "services/scheduling/domain/ical.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace certpath::scheduling::domain {
namespace {

constexpr absl::string_view kTzid = "Asia/Tokyo";
constexpr absl::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD
constexpr size_t kMaxLineOctets = 75;

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the well-formed UTF-8 sequence (RFC 3629) starting at s[i] with a
// non-ASCII lead byte, or 0 when it is not one.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&s](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    if (lead == 0xE0) lo = 0xA0;  // no overlong forms
    if (lead == 0xED) hi = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    if (lead == 0xF0) lo = 0x90;  // no overlong forms
    if (lead == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (!IsContinuation(byte(i + k))) return 0;
  }
  return len;
}

// One content line, folded and ended by CRLF.
void AddLine(std::string* out, absl::string_view name, absl::string_view value) {
  out->append(FoldIcsLine(absl::StrCat(name, ":", value)));
}

std::string FormatLocal(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%S", t, JapanTimeZone());
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
}

std::string FormatDate(absl::CivilDay d) {
  return absl::StrFormat("%04d%02d%02d", d.year(), d.month(), d.day());
}

void AddEvent(std::string* out, const IcsEvent& e) {
  AddLine(out, "BEGIN", "VEVENT");
  AddLine(out, "UID", EscapeIcsText(e.uid));
  AddLine(out, "SEQUENCE", absl::StrCat(std::max<int64_t>(e.sequence, 0)));
  AddLine(out, "DTSTAMP", FormatUtc(e.dtstamp));
  if (e.all_day) {
    const absl::CivilDay last = std::max(e.first_day, e.last_day);
    AddLine(out, "DTSTART;VALUE=DATE", FormatDate(e.first_day));
    AddLine(out, "DTEND;VALUE=DATE", FormatDate(last + 1));
  } else {
    const absl::Time end = std::max(e.start, e.end);
    AddLine(out, absl::StrCat("DTSTART;TZID=", kTzid), FormatLocal(e.start));
    AddLine(out, absl::StrCat("DTEND;TZID=", kTzid), FormatLocal(end));
  }
  AddLine(out, "SUMMARY", EscapeIcsText(e.summary));
  if (!e.location.empty()) AddLine(out, "LOCATION", EscapeIcsText(e.location));
  if (!e.description.empty()) AddLine(out, "DESCRIPTION", EscapeIcsText(e.description));
  std::string categories;
  for (const std::string& c : e.categories) {
    if (c.empty()) continue;
    if (!categories.empty()) categories += ',';
    categories += EscapeIcsText(c);
  }
  if (!categories.empty()) AddLine(out, "CATEGORIES", categories);
  AddLine(out, "STATUS", e.cancelled ? "CANCELLED" : e.tentative ? "TENTATIVE" : "CONFIRMED");
  if (e.all_day) AddLine(out, "TRANSP", "TRANSPARENT");
  AddLine(out, "END", "VEVENT");
}

}  // namespace

absl::TimeZone JapanTimeZone() {
  static const absl::TimeZone tz = [] {
    absl::TimeZone loaded;
    if (absl::LoadTimeZone(std::string(kTzid), &loaded)) return loaded;
    return absl::FixedTimeZone(9 * 60 * 60);
  }();
  return tz;
}

std::string EscapeIcsText(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '\\':
          out += "\\\\";
          break;
        case ';':
          out += "\\;";
          break;
        case ',':
          out += "\\,";
          break;
        case '\r':
          out += "\\n";
          if (i + 1 < s.size() && s[i + 1] == '\n') ++i;  // CR LF is one newline
          break;
        case '\n':
          out += "\\n";
          break;
        default:
          if (c >= 0x20 && c != 0x7F) out += static_cast<char>(c);  // other controls go
          break;
      }
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      out.append(kReplacementCharacter.data(), kReplacementCharacter.size());
      ++i;
      continue;
    }
    const bool c1_control = c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
    if (!c1_control) out.append(s.data() + i, len);
    i += len;
  }
  return out;
}

std::string FoldIcsLine(absl::string_view line) {
  std::string out;
  out.reserve(line.size() + 3 * (line.size() / (kMaxLineOctets - 1) + 1));
  size_t pos = 0;
  bool first = true;
  do {
    const size_t room = first ? kMaxLineOctets : kMaxLineOctets - 1;  // the leading space
    size_t n = std::min(room, line.size() - pos);
    if (pos + n < line.size()) {
      // Do not start the next physical line inside a multi-byte sequence.
      size_t k = n;
      while (k > 0 && IsContinuation(static_cast<unsigned char>(line[pos + k]))) --k;
      if (k > 0) n = k;  // (k == 0 only for malformed input: cut where we are)
    }
    if (!first) out += ' ';
    out.append(line.data() + pos, n);
    out += "\r\n";
    pos += n;
    first = false;
  } while (pos < line.size());
  return out;
}

std::string FormatIcsDuration(absl::Duration d) {
  std::string out;
  if (d < absl::ZeroDuration()) {
    out += '-';
    d = -d;
  }
  const int64_t total = absl::ToInt64Seconds(d);
  const int64_t days = total / 86400;
  const int64_t rest = total % 86400;
  const int64_t h = rest / 3600, m = rest % 3600 / 60, s = rest % 60;
  out += 'P';
  if (days > 0) absl::StrAppend(&out, days, "D");
  if (rest > 0 || days == 0) {
    // dur-time: hours may be followed by minutes only, minutes by seconds only.
    out += 'T';
    if (h > 0) {
      absl::StrAppend(&out, h, "H");
      if (m > 0 || s > 0) absl::StrAppend(&out, m, "M");
      if (s > 0) absl::StrAppend(&out, s, "S");
    } else if (m > 0) {
      absl::StrAppend(&out, m, "M");
      if (s > 0) absl::StrAppend(&out, s, "S");
    } else {
      absl::StrAppend(&out, s, "S");
    }
  }
  return out;
}

std::string RenderIcs(const IcsCalendar& cal) {
  std::string out;
  AddLine(&out, "BEGIN", "VCALENDAR");
  AddLine(&out, "VERSION", "2.0");
  AddLine(&out, "PRODID", "-//certpath//scheduling//JA");
  AddLine(&out, "CALSCALE", "GREGORIAN");
  AddLine(&out, "METHOD", "PUBLISH");
  if (!cal.name.empty()) AddLine(&out, "X-WR-CALNAME", EscapeIcsText(cal.name));
  AddLine(&out, "X-WR-TIMEZONE", kTzid);
  const std::string refresh = FormatIcsDuration(cal.refresh);
  AddLine(&out, "REFRESH-INTERVAL;VALUE=DURATION", refresh);
  AddLine(&out, "X-PUBLISHED-TTL", refresh);

  // Japan has had one offset (+09:00, no DST) since 1951.
  AddLine(&out, "BEGIN", "VTIMEZONE");
  AddLine(&out, "TZID", kTzid);
  AddLine(&out, "BEGIN", "STANDARD");
  AddLine(&out, "DTSTART", "19700101T000000");
  AddLine(&out, "TZOFFSETFROM", "+0900");
  AddLine(&out, "TZOFFSETTO", "+0900");
  AddLine(&out, "TZNAME", "JST");
  AddLine(&out, "END", "STANDARD");
  AddLine(&out, "END", "VTIMEZONE");

  for (const IcsEvent& e : cal.events) AddEvent(&out, e);
  AddLine(&out, "END", "VCALENDAR");
  return out;
}

}  // namespace certpath::scheduling::domain
