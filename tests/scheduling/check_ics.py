#!/usr/bin/python3
"""Checks an iCalendar file written by certpath's scheduling service against expectations.

Usage: /usr/bin/python3 check_ics.py CALENDAR.ics EXPECT.json

Parses CALENDAR.ics with an independent parser (Debian's python3-icalendar:
icalendar.Calendar.from_ical) and compares it with EXPECT.json. Prints "OK <n> events"
and exits 0 when everything matches; otherwise prints every difference to stderr and
exits 1 (2 for bad usage or an unreadable expectation file).

Always checked, on the raw bytes: valid UTF-8; every line ended by CRLF (no bare LF or
CR); no physical line longer than 75 octets. After parsing: one VCALENDAR holding a
VTIMEZONE with TZID Asia/Tokyo; every VEVENT has a UID and a UTC DTSTAMP; the set of
UIDs equals the expected one (missing, extra and duplicate events are errors).

EXPECT.json (UTF-8):
  {
    "calendar": {                          # optional; each key compared when present
      "name": "certpath 訪問予定",          #   X-WR-CALNAME
      "refresh": "PT1H"                    #   REFRESH-INTERVAL and X-PUBLISHED-TTL, as written
    },
    "events": [                            # required: exactly the events expected
      {
        "uid": "visit-1@demo.certpath",    # required, identifies the event
        "summary": "第2回訪問",              # the keys below are optional and compared
        "location": "",                    #   only when present; "" (or [] for
        "description": "1行目\n2行目",       #   categories) means the property is absent
        "categories": ["訪問"],             #   or empty
        "status": "CONFIRMED",             # CONFIRMED / TENTATIVE / CANCELLED
        "sequence": 2,
        "all_day": false,
        "start": "2026-11-30T10:00:00+09:00",  # timed: ISO 8601 with offset; must be
        "end": "2026-11-30T12:00:00+09:00"     #   written with TZID=Asia/Tokyo, same instant
      },
      {"uid": "deadline-7@demo.certpath", "all_day": true,
       "start": "2026-12-10", "end": "2026-12-11"}   # all-day: dates, end exclusive
    ]
  }

Known limit of python3-icalendar 4.0.3: it splits CATEGORIES on every comma, escaped or
not, so expected categories must not contain commas.
"""

import datetime
import json
import sys

import icalendar

TZID = "Asia/Tokyo"
JST = datetime.timedelta(hours=9)
EVENT_KEYS = {"uid", "summary", "location", "description", "categories", "status", "sequence",
              "all_day", "start", "end"}
CALENDAR_KEYS = {"name", "refresh"}


def check_raw(raw, errors):
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        errors.append("not valid UTF-8: %s" % e)
    if not raw.endswith(b"\r\n"):
        errors.append("the file does not end with CRLF")
    lines = raw.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, 1):
        if b"\n" in line or b"\r" in line:
            errors.append("line %d: bare LF or CR: %r" % (number, line[:80]))
        if len(line) > 75:
            errors.append("line %d: %d octets (more than 75): %r" % (number, len(line), line[:80]))
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            errors.append("line %d: a UTF-8 sequence split by folding: %r" % (number, line[:80]))


def text(component, name):
    value = component.get(name)
    return "" if value is None else str(value)


def categories(component):
    value = component.get("CATEGORIES")
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        out.extend(str(c) for c in (v.cats if hasattr(v, "cats") else [v]))
    return [c for c in out if c != ""]


def check_time(where, component, name, expected, errors):
    prop = component.get(name)
    if prop is None:
        errors.append("%s: no %s" % (where, name))
        return
    actual = prop.dt
    if len(expected) == 10:  # a date: all-day
        want = datetime.date.fromisoformat(expected)
        if isinstance(actual, datetime.datetime):
            errors.append("%s: %s is a date-time %s, expected the date %s" %
                          (where, name, actual.isoformat(), expected))
        elif actual != want:
            errors.append("%s: %s is %s, expected %s" % (where, name, actual.isoformat(),
                                                         expected))
        return
    want = datetime.datetime.fromisoformat(expected)
    if want.tzinfo is None:
        errors.append("%s: expected %s %r has no UTC offset" % (where, name, expected))
        return
    if not isinstance(actual, datetime.datetime):
        errors.append("%s: %s is the date %s, expected the date-time %s" %
                      (where, name, actual.isoformat(), expected))
        return
    tzid = prop.params.get("TZID")
    if tzid != TZID:
        errors.append("%s: %s has TZID %r, expected %r" % (where, name, tzid, TZID))
    if actual.tzinfo is None:
        errors.append("%s: %s %s is floating (no time zone)" % (where, name, actual.isoformat()))
        return
    if actual.utcoffset() != JST:
        errors.append("%s: %s %s is not at +09:00" % (where, name, actual.isoformat()))
    if actual != want:
        errors.append("%s: %s is %s, expected %s" % (where, name, actual.isoformat(), expected))


def check_event(event, want, errors):
    uid = want["uid"]
    where = "event %s" % uid
    unknown = set(want) - EVENT_KEYS
    if unknown:
        errors.append("%s: unknown expectation keys %s" % (where, sorted(unknown)))
    for key, prop in (("summary", "SUMMARY"), ("location", "LOCATION"),
                      ("description", "DESCRIPTION"), ("status", "STATUS")):
        if key in want and text(event, prop) != want[key]:
            errors.append("%s: %s is %r, expected %r" % (where, prop, text(event, prop), want[key]))
    if "categories" in want and categories(event) != want["categories"]:
        errors.append("%s: CATEGORIES are %r, expected %r" % (where, categories(event),
                                                              want["categories"]))
    if "sequence" in want:
        sequence = event.get("SEQUENCE")
        if sequence is None or int(sequence) != want["sequence"]:
            errors.append("%s: SEQUENCE is %r, expected %r" % (where, sequence, want["sequence"]))
    if "all_day" in want and "DTSTART" in event:
        is_date = not isinstance(event["DTSTART"].dt, datetime.datetime)
        if is_date != want["all_day"]:
            errors.append("%s: all-day is %s, expected %s" % (where, is_date, want["all_day"]))
    for key, prop in (("start", "DTSTART"), ("end", "DTEND")):
        if key in want:
            check_time(where, event, prop, want[key], errors)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        raw = f.read()
    try:
        with open(argv[2], encoding="utf-8") as f:
            expect = json.load(f)
        expected_events = expect["events"]
        if any("uid" not in e for e in expected_events):
            raise ValueError("an expected event has no uid")
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("check_ics: bad expectation file %s: %s" % (argv[2], e), file=sys.stderr)
        return 2

    errors = []
    check_raw(raw, errors)
    try:
        cal = icalendar.Calendar.from_ical(raw)
    except Exception as e:  # any parse failure is a finding
        errors.append("icalendar cannot parse the file: %s" % e)
        cal = None

    if cal is not None:
        if cal.name != "VCALENDAR":
            errors.append("the top component is %s, not VCALENDAR" % cal.name)
        zones = [c for c in cal.walk("VTIMEZONE") if text(c, "TZID") == TZID]
        if not zones:
            errors.append("no VTIMEZONE with TZID %s" % TZID)
        want_cal = expect.get("calendar", {})
        unknown = set(want_cal) - CALENDAR_KEYS
        if unknown:
            errors.append("calendar: unknown expectation keys %s" % sorted(unknown))
        if "name" in want_cal and text(cal, "X-WR-CALNAME") != want_cal["name"]:
            errors.append("X-WR-CALNAME is %r, expected %r" % (text(cal, "X-WR-CALNAME"),
                                                              want_cal["name"]))
        if "refresh" in want_cal:
            for prop in ("REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
                value = cal.get(prop)
                written = value.to_ical().decode() if hasattr(value, "to_ical") else value
                if written != want_cal["refresh"]:
                    errors.append("%s is %r, expected %r" % (prop, written, want_cal["refresh"]))

        events = {}
        for event in cal.walk("VEVENT"):
            uid = text(event, "UID")
            if uid == "":
                errors.append("an event without UID: %r" % text(event, "SUMMARY"))
                continue
            if uid in events:
                errors.append("event %s appears twice" % uid)
            events[uid] = event
            stamp = event.get("DTSTAMP")
            if stamp is None or not isinstance(stamp.dt, datetime.datetime) or \
                    stamp.dt.utcoffset() != datetime.timedelta(0):
                errors.append("event %s: DTSTAMP missing or not in UTC" % uid)
        wanted = {}
        for want in expected_events:
            if want["uid"] in wanted:
                errors.append("expectation file lists event %s twice" % want["uid"])
            wanted[want["uid"]] = want
        for uid in sorted(set(wanted) - set(events)):
            errors.append("event %s is missing" % uid)
        for uid in sorted(set(events) - set(wanted)):
            errors.append("event %s is not expected" % uid)
        for uid, want in wanted.items():
            if uid in events:
                check_event(events[uid], want, errors)

    if errors:
        print("check_ics: %s: %d difference(s):" % (argv[1], len(errors)), file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print("OK %d events" % len(expected_events))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
