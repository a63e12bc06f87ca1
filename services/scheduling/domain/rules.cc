#include "services/scheduling/domain/rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "services/common/clock.h"
#include "services/common/policy.h"
#include "services/common/validate.h"

namespace certpath::scheduling::domain {
namespace {

namespace ev1 = certpath::engagements::v1;

constexpr int64_t kMaxExpenseJpy = 10'000'000;
constexpr int kMaxExpenses = 20;

std::string DayText(absl::CivilDay d) { return absl::FormatCivilTime(d); }

v1::Weekday ToWeekday(absl::CivilDay d) {
  switch (absl::GetWeekday(d)) {
    case absl::Weekday::monday:
      return v1::MONDAY;
    case absl::Weekday::tuesday:
      return v1::TUESDAY;
    case absl::Weekday::wednesday:
      return v1::WEDNESDAY;
    case absl::Weekday::thursday:
      return v1::THURSDAY;
    case absl::Weekday::friday:
      return v1::FRIDAY;
    case absl::Weekday::saturday:
      return v1::SATURDAY;
    case absl::Weekday::sunday:
      return v1::SUNDAY;
  }
  return v1::WEEKDAY_UNSPECIFIED;
}

const char* WeekdayJa(v1::Weekday w) {
  static const char* kNames[] = {"",       "月曜日", "火曜日", "水曜日",
                                 "木曜日", "金曜日", "土曜日", "日曜日"};
  return kNames[w >= 1 && w <= 7 ? w : 0];
}

absl::CivilDay AddYears(absl::CivilDay d, int years) {
  // 2/29 + n years → 2/28 (a certificate issued on 2/29 expires on 2/28).
  absl::CivilDay out(d.year() + years, d.month(), d.day());
  if (out.month() != d.month()) out = absl::CivilDay(d.year() + years, d.month(), 28);
  return out;
}

void Set(v1::Deadline& d, const std::string& tenant, const std::string& eid, v1::DeadlineKind kind,
         absl::CivilDay due, const v1::EngagementView& e) {
  d.set_name(absl::StrCat("tenants/", tenant, "/deadlines/", DeadlineId(eid, kind)));
  d.set_engagement(e.engagement());
  d.set_kind(kind);
  *d.mutable_due_date() = ToDate(due);
  d.set_source(e.engagement());
  d.set_description(DeadlineTitle(kind));
  std::vector<std::string> consultants;
  if (!e.lead_consultant().empty()) consultants.push_back(e.lead_consultant());
  for (const auto& c : e.consultants()) {
    if (std::find(consultants.begin(), consultants.end(), c) == consultants.end()) {
      consultants.push_back(c);
    }
  }
  *d.mutable_consultants() = {consultants.begin(), consultants.end()};
}

// The live audit of `kind` that starts first (the one that can meet its
// deadline; a late one does not hide an earlier re-plan); the first listed
// among those starting the same day.
const v1::Audit* Planned(const std::vector<v1::Audit>& audits, v1::AuditKind kind) {
  const v1::Audit* best = nullptr;
  absl::CivilDay best_day;
  for (const auto& a : audits) {
    if (a.kind() != kind || Cancelled(a)) continue;
    absl::CivilDay day = ToCivilDay(a.first_day()).value_or(absl::CivilDay(9999, 12, 31));
    if (best == nullptr || day < best_day) {
      best = &a;
      best_day = day;
    }
  }
  return best;
}

}  // namespace

bool IsIncluded(v1::VisitKind k) {
  return k == v1::VISIT_KIND_INCLUDED_1 || k == v1::VISIT_KIND_INCLUDED_2 ||
         k == v1::VISIT_KIND_INCLUDED_3;
}
bool IsOption(v1::VisitKind k) {
  return k >= v1::VISIT_KIND_OPTION_A && k <= v1::VISIT_KIND_OPTION_E;
}
bool IsPostContract(v1::VisitKind k) { return k == v1::VISIT_KIND_POST_CONTRACT_GUIDANCE; }
bool IsPaid(v1::VisitKind k) { return IsOption(k) || IsPostContract(k); }

std::string TaskIdFor(v1::VisitKind k) {
  switch (k) {
    case v1::VISIT_KIND_INCLUDED_1:
      return "cons-o-visit-1";
    case v1::VISIT_KIND_INCLUDED_2:
      return "cons-o-visit-2";
    case v1::VISIT_KIND_INCLUDED_3:
      return "cons-o-visit-3";
    default:
      return "";
  }
}

std::string KindTitle(v1::VisitKind k) {
  switch (k) {
    case v1::VISIT_KIND_INCLUDED_1:
      return "第1回訪問（事業内容の把握・支援方針の確認）";
    case v1::VISIT_KIND_INCLUDED_2:
      return "第2回訪問（マニュアルひな形・記録様式の提供と説明）";
    case v1::VISIT_KIND_INCLUDED_3:
      return "第3回訪問（カスタマイズ完了後の完成度確認）";
    case v1::VISIT_KIND_OPTION_A:
      return "オプションa 内部監査員教育";
    case v1::VISIT_KIND_OPTION_B:
      return "オプションb 内部監査へのオブザーブ";
    case v1::VISIT_KIND_OPTION_C:
      return "オプションc 審査へのオブザーブ";
    case v1::VISIT_KIND_OPTION_D:
      return "オプションd ISMS構築に関連する打合せ・会議への参加";
    case v1::VISIT_KIND_OPTION_E:
      return "オプションe 調査・分析";
    case v1::VISIT_KIND_POST_CONTRACT_GUIDANCE:
      return "契約終了後の訪問指導";
    default:
      return "訪問";
  }
}

bool Cancelled(const v1::Audit& a) { return a.state() == v1::AUDIT_STATE_CANCELLED; }

std::string AuditTitle(v1::AuditKind k) {
  switch (k) {
    case v1::AUDIT_KIND_STAGE1:
      return "第1段階審査";
    case v1::AUDIT_KIND_STAGE2:
      return "第2段階審査";
    case v1::AUDIT_KIND_SURVEILLANCE_1:
      return "第1回維持審査";
    case v1::AUDIT_KIND_SURVEILLANCE_2:
      return "第2回維持審査";
    case v1::AUDIT_KIND_RECERTIFICATION:
      return "更新審査";
    default:
      return "審査";
  }
}

std::string DeadlineTitle(v1::DeadlineKind k) {
  switch (k) {
    case v1::DEADLINE_KIND_SUPPORT_END:
      return "支援期間の終了";
    case v1::DEADLINE_KIND_CORRECTIVE_ACTION:
      return "是正処置の期限";
    case v1::DEADLINE_KIND_SURVEILLANCE_1:
      return "第1回維持審査の期限（認証決定から12か月以内）";
    case v1::DEADLINE_KIND_SURVEILLANCE_2:
      return "第2回維持審査の期限（翌暦年内）";
    case v1::DEADLINE_KIND_RECERTIFICATION:
      return "更新審査の期限（認証の有効期限前）";
    case v1::DEADLINE_KIND_ADVISORY_RETAINER_RENEWAL:
      return "技術顧問契約の更新";
    default:
      return "期限";
  }
}

void CheckBilling(FieldViolations& v, absl::string_view prefix, v1::VisitKind kind,
                  v1::BillableLength length,
                  const google::protobuf::RepeatedPtrField<v1::Expense>& expenses) {
  std::string p(prefix);
  if (!v1::BillableLength_IsValid(length)) {
    v.Add(p + "billable_length", "unknown value");
  } else if (IsPaid(kind) && length == v1::BILLABLE_LENGTH_UNSPECIFIED) {
    v.Add(p + "billable_length", "required for a paid visit (DAY or HALF_DAY)");
  } else if (!IsPaid(kind) && length != v1::BILLABLE_LENGTH_UNSPECIFIED) {
    v.Add(p + "billable_length", "only paid visits (options, post-contract guidance) are billed");
  }
  if (!IsPaid(kind) && !expenses.empty()) {
    v.Add(p + "expenses", "only paid visits carry expenses");
  }
  if (expenses.size() > kMaxExpenses) v.Add(p + "expenses", "at most 20");
  for (int i = 0; i < expenses.size() && i < kMaxExpenses; ++i) {
    const auto& x = expenses[i];
    std::string f = absl::StrCat(p, "expenses[", i, "]");
    if (!v1::ExpenseKind_IsValid(x.kind()) || x.kind() == v1::EXPENSE_KIND_UNSPECIFIED) {
      v.Add(f + ".kind", "required: MATERIALS, RESEARCH or TRAVEL");
    }
    if (x.amount_jpy() <= 0 || x.amount_jpy() > kMaxExpenseJpy) {
      v.Add(f + ".amount_jpy", "whole yen, 1 … 10,000,000");
    }
    CheckText(v, f + ".description", x.description(), 200, true);
  }
}

void CheckVisitFields(FieldViolations& v, const v1::Visit& visit,
                      const google::protobuf::FieldMask* mask) {
  auto masked = [&](const char* path) { return mask == nullptr || MaskHas(*mask, path); };
  if (masked("start_time") || masked("end_time")) {
    if (!visit.has_start_time()) v.Add("visit.start_time", "required");
    if (!visit.has_end_time()) v.Add("visit.end_time", "required");
    if (visit.has_start_time() && visit.has_end_time()) {
      absl::Time s = FromTimestamp(visit.start_time()), e = FromTimestamp(visit.end_time());
      if (visit.start_time().seconds() % 60 != 0 || visit.start_time().nanos() != 0 ||
          visit.end_time().seconds() % 60 != 0 || visit.end_time().nanos() != 0) {
        v.Add("visit.start_time", "whole minutes");
      } else if (e <= s) {
        v.Add("visit.end_time", "must be after start_time");
      } else if (e - s > kMaxVisitLength) {
        v.Add("visit.end_time", "a visit lasts at most 12 hours");
      } else if (TokyoDay(s) != TokyoDay(e - absl::Seconds(1))) {
        v.Add("visit.end_time", "a visit starts and ends on the same day (Asia/Tokyo)");
      }
      if (TokyoDay(s).year() < 2000 || TokyoDay(s).year() > 2099) {
        v.Add("visit.start_time", "year 2000 … 2099");
      }
    }
  }
  if (masked("location")) CheckText(v, "visit.location", visit.location(), 200);
  if (masked("consultants")) {
    if (visit.consultants().empty()) v.Add("visit.consultants", "at least one consultant");
    if (visit.consultants().size() > kMaxVisitConsultants) v.Add("visit.consultants", "at most 5");
    for (int i = 0; i < visit.consultants().size(); ++i) {
      std::string f = absl::StrCat("visit.consultants[", i, "]");
      if (!ParseName(f, visit.consultants(i), {"tenants", "consultants"}).ok()) {
        v.Add(f, "tenants/{tenant}/consultants/{consultant}");
      }
      for (int j = 0; j < i; ++j) {
        if (visit.consultants(j) == visit.consultants(i)) v.Add(f, "listed twice");
      }
    }
  }
  if (masked("client_attendees")) {
    if (visit.client_attendees().size() > 20) v.Add("visit.client_attendees", "at most 20");
    for (int i = 0; i < visit.client_attendees().size() && i < 20; ++i) {
      CheckText(v, absl::StrCat("visit.client_attendees[", i, "]"), visit.client_attendees(i), 100,
                true);
    }
  }
  if (masked("agenda")) CheckText(v, "visit.agenda", visit.agenda(), 4000, false, true);
  if (masked("theme")) {
    CheckText(v, "visit.theme", visit.theme(), 200, IsPostContract(visit.kind()));
  }
  if (masked("billable_length") || masked("expenses")) {
    CheckBilling(v, "visit.", visit.kind(), visit.billable_length(), visit.expenses());
  }
}

absl::Status CheckObservationDay(absl::string_view field, const v1::Audit& audit,
                                 absl::CivilDay day) {
  absl::CivilDay first = ToCivilDay(audit.first_day()).value_or(absl::CivilDay());
  absl::CivilDay last = ToCivilDay(audit.last_day()).value_or(first);
  if (day >= first && day <= last) return absl::OkStatus();
  return InvalidArgument(
      std::string(field),
      absl::StrCat("the observation takes place during the audit (", absl::FormatCivilTime(first),
                   last != first ? absl::StrCat(" to ", absl::FormatCivilTime(last)) : "",
                   "); the visit is on ", absl::FormatCivilTime(day)));
}

absl::Status CheckAuditStart(absl::string_view field, absl::CivilDay first,
                             const v1::EngagementView& e) {
  auto start = ToCivilDay(e.support_start());
  if (!start || first >= *start) return absl::OkStatus();
  return InvalidArgument(std::string(field),
                         absl::StrCat("on or after the support period's start (", DayText(*start),
                                      "); ", DayText(first), " is before it"));
}

absl::Status CheckVisitWindow(v1::VisitKind kind, absl::CivilDay day, const v1::EngagementView& e) {
  if (e.state() == ev1::ENGAGEMENT_STATE_TERMINATED) {
    return FailedPrecondition("ENGAGEMENT_TERMINATED", "the engagement was terminated");
  }
  auto start = ToCivilDay(e.support_start());
  auto end = ToCivilDay(e.support_end());
  if (!start || !end) {
    return FailedPrecondition("SUPPORT_PERIOD_UNKNOWN", "the engagement has no support period yet");
  }
  std::string period = absl::StrCat(DayText(*start), " … ", DayText(*end));
  if (IsPostContract(kind)) {
    if (day <= *end) {
      return FailedPrecondition("OUTSIDE_SUPPORT_PERIOD",
                                "post-contract guidance is after the support period (" + period +
                                    "); within it, book an option");
    }
    return absl::OkStatus();
  }
  if (day < *start || day > *end) {
    return FailedPrecondition("OUTSIDE_SUPPORT_PERIOD",
                              absl::StrCat(IsIncluded(kind) ? "included visits" : "options",
                                           " take place within the support period (", period, "); ",
                                           DayText(day), " is outside it"));
  }
  return absl::OkStatus();
}

std::string CalendarProblem(const v1::Consultant& consultant, absl::CivilDay day,
                            const BusinessCalendar& calendar) {
  std::string when = DayText(day);
  if (std::string holiday = HolidayName(day); !holiday.empty()) {
    return absl::StrCat(when, " is a public holiday (", holiday, ")");
  }
  for (const auto& c : calendar.closures()) {
    if (day >= c.first && day <= c.last) {
      return absl::StrCat(when, " the office is closed (", c.reason, ")");
    }
  }
  v1::Weekday w = ToWeekday(day);
  bool works = consultant.working_days().empty()
                   ? (w >= v1::MONDAY && w <= v1::FRIDAY)
                   : std::find(consultant.working_days().begin(), consultant.working_days().end(),
                               w) != consultant.working_days().end();
  if (!works) {
    return absl::StrCat(consultant.name(), " does not work on ", WeekdayJa(w), " (", when, ")");
  }
  return "";
}

bool Sees(const Principal& p, const v1::EngagementView& e) {
  if (IsOfficeStaff(p)) return true;
  if (p.organization().empty()) return false;
  if (p.role() == Principal::ROLE_PARTNER) {
    return std::find(e.partner_organizations().begin(), e.partner_organizations().end(),
                     p.organization()) != e.partner_organizations().end();
  }
  if (p.role() == Principal::ROLE_CLIENT) {
    return e.client() == absl::StrCat("tenants/", p.tenant(), "/clients/", p.organization());
  }
  return false;
}

std::string DeadlineId(const std::string& eid, v1::DeadlineKind kind, const std::string& finding) {
  switch (kind) {
    case v1::DEADLINE_KIND_SUPPORT_END:
      return eid + "-support-end";
    case v1::DEADLINE_KIND_CORRECTIVE_ACTION:
      return eid + "-ca-" + finding;
    case v1::DEADLINE_KIND_SURVEILLANCE_1:
      return eid + "-surveillance-1";
    case v1::DEADLINE_KIND_SURVEILLANCE_2:
      return eid + "-surveillance-2";
    case v1::DEADLINE_KIND_RECERTIFICATION:
      return eid + "-recertification";
    case v1::DEADLINE_KIND_ADVISORY_RETAINER_RENEWAL:
      return eid + "-retainer";
    default:
      return eid + "-other";
  }
}

std::map<std::string, v1::Deadline> EngagementDeadlines(const std::string& tenant,
                                                        const v1::EngagementView& e,
                                                        const std::vector<v1::Audit>& audits) {
  std::map<std::string, v1::Deadline> out;
  std::string eid(LastSegment(e.engagement()));
  bool ended = e.state() == ev1::ENGAGEMENT_STATE_TERMINATED;
  auto add = [&](v1::DeadlineKind kind, absl::CivilDay due) -> v1::Deadline& {
    v1::Deadline& d = out[DeadlineId(eid, kind)];
    Set(d, tenant, eid, kind, due, e);
    d.set_satisfied(ended);
    return d;
  };
  if (auto end = ToCivilDay(e.support_end())) {
    v1::Deadline& d = add(v1::DEADLINE_KIND_SUPPORT_END, *end);
    // Met by registration (or moot once the engagement ended).
    if (e.state() == ev1::ENGAGEMENT_STATE_CERTIFIED || e.has_registration_date()) {
      d.set_satisfied(true);
    }
  }
  if (auto retainer = ToCivilDay(e.advisory_retainer_end())) {
    add(v1::DEADLINE_KIND_ADVISORY_RETAINER_RENEWAL, *retainer);
  }
  if (auto reg = ToCivilDay(e.registration_date())) {
    // ISO/IEC 17021-1 9.1.3: the first surveillance within 12 months of the
    // certification decision, then at least once a calendar year; the
    // recertification before the 3-year certificate expires.
    absl::CivilDay surv1_due = AddYears(*reg, 1) - 1;
    const v1::Audit* s1 = Planned(audits, v1::AUDIT_KIND_SURVEILLANCE_1);
    int surv1_year = surv1_due.year();
    if (s1 != nullptr) {
      if (auto f = ToCivilDay(s1->first_day())) surv1_year = f->year();
    }
    struct Item {
      v1::DeadlineKind kind;
      absl::CivilDay due;
      v1::AuditKind audit;
    } items[] = {
        {v1::DEADLINE_KIND_SURVEILLANCE_1, surv1_due, v1::AUDIT_KIND_SURVEILLANCE_1},
        {v1::DEADLINE_KIND_SURVEILLANCE_2, absl::CivilDay(surv1_year + 1, 12, 31),
         v1::AUDIT_KIND_SURVEILLANCE_2},
        {v1::DEADLINE_KIND_RECERTIFICATION, AddYears(*reg, 3) - 1, v1::AUDIT_KIND_RECERTIFICATION},
    };
    for (const auto& it : items) {
      v1::Deadline& d = add(it.kind, it.due);
      if (const v1::Audit* a = Planned(audits, it.audit)) {
        // Named either way; met only by an audit that starts by the due date.
        d.set_planned_audit(a->name());
        auto first = ToCivilDay(a->first_day());
        d.set_satisfied(ended || (first && *first <= it.due));
      }
    }
  }
  return out;
}

v1::ConsultantWorkload Workload(const v1::Consultant& c, const std::vector<v1::Visit>& visits,
                                absl::CivilDay first, absl::CivilDay last) {
  v1::ConsultantWorkload out;
  out.set_consultant(c.name());
  int capacity = c.weekly_visit_capacity() > 0 ? c.weekly_visit_capacity() : 5;
  // ISO weeks start on Monday; the ISO year is the year of the week's Thursday.
  auto monday = [](absl::CivilDay d) { return absl::PrevWeekday(d + 1, absl::Weekday::monday); };
  std::map<absl::CivilDay, v1::WorkloadPeriod> weeks;
  std::map<absl::CivilMonth, v1::WorkloadPeriod> months;
  for (absl::CivilDay w = monday(first); w <= last; w += 7) {
    absl::CivilDay thursday = w + 3;
    int week_no = static_cast<int>((absl::GetYearDay(thursday) - 1) / 7 + 1);
    auto& p = weeks[w];
    p.set_label(absl::StrFormat("%04d-W%02d", thursday.year(), week_no));
    *p.mutable_first_day() = ToDate(w);
    p.set_capacity(capacity);
  }
  for (absl::CivilMonth m(first); m <= absl::CivilMonth(last); ++m) {
    auto& p = months[m];
    p.set_label(absl::StrFormat("%04d-%02d", m.year(), m.month()));
    *p.mutable_first_day() = ToDate(absl::CivilDay(m));
  }
  for (const auto& v : visits) {
    if (v.state() == v1::VISIT_STATE_CANCELLED) continue;
    absl::CivilDay d = TokyoDay(FromTimestamp(v.start_time()));
    if (d < first || d > last) continue;
    int half_days = v.billable_length() == v1::BILLABLE_LENGTH_DAY        ? 2
                    : v.billable_length() == v1::BILLABLE_LENGTH_HALF_DAY ? 1
                                                                          : 0;
    for (v1::WorkloadPeriod* p : {&weeks[monday(d)], &months[absl::CivilMonth(d)]}) {
      p->set_visits(p->visits() + 1);
      p->set_billable_half_days(p->billable_half_days() + half_days);
    }
  }
  for (auto& [_, p] : weeks) *out.add_weeks() = p;
  for (auto& [_, p] : months) *out.add_months() = p;
  return out;
}

IcsEvent VisitEvent(const v1::Visit& v, const std::string& tenant, absl::Time now) {
  IcsEvent e;
  e.uid = absl::StrCat("visit-", LastSegment(v.name()), "@", tenant, ".certpath");
  e.sequence = v.sequence();
  e.dtstamp = now;
  e.start = FromTimestamp(v.start_time());
  e.end = FromTimestamp(v.end_time());
  e.summary = KindTitle(v.kind());
  if (!v.theme().empty()) e.summary += "：" + v.theme();
  e.location = v.location();
  e.description = v.agenda();
  e.cancelled = v.state() == v1::VISIT_STATE_CANCELLED;
  e.tentative = v.state() == v1::VISIT_STATE_PROPOSED;
  e.categories = {"訪問"};
  return e;
}

IcsEvent AuditEvent(const v1::Audit& a, const std::string& tenant, absl::Time now) {
  IcsEvent e;
  e.uid = absl::StrCat("audit-", LastSegment(a.name()), "@", tenant, ".certpath");
  e.sequence = a.sequence();
  e.dtstamp = now;
  e.all_day = true;
  e.first_day = ToCivilDay(a.first_day()).value_or(absl::CivilDay());
  e.last_day = ToCivilDay(a.last_day()).value_or(e.first_day);
  e.summary = AuditTitle(a.kind());
  if (!a.certification_body().empty()) e.summary += "（" + a.certification_body() + "）";
  e.cancelled = Cancelled(a);
  e.categories = {"審査"};
  return e;
}

IcsEvent DeadlineEvent(const v1::Deadline& d, const std::string& tenant, absl::Time now) {
  IcsEvent e;
  e.uid = absl::StrCat("deadline-", LastSegment(d.name()), "@", tenant, ".certpath");
  e.sequence = d.sequence();
  e.dtstamp = now;
  e.all_day = true;
  e.first_day = ToCivilDay(d.due_date()).value_or(absl::CivilDay());
  e.last_day = e.first_day;
  e.summary = "期限：" + d.description();
  e.description = d.source();
  e.categories = {"期限"};
  return e;
}

bool EraseClientAttendees(v1::Visit& v) {
  constexpr char kErased[] = "（消去済み）";
  bool changed = false;
  for (auto& a : *v.mutable_client_attendees()) {
    if (a != kErased) {
      a = kErased;
      changed = true;
    }
  }
  if (changed) v.set_sequence(v.sequence() + 1);
  return changed;
}

}  // namespace certpath::scheduling::domain
