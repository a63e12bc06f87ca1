// Visits: booked (PROPOSED) → CONFIRMED → DONE, or CANCELLED. Every booking
// decision is checked against the consultants' calendars read in the same
// compare-and-set step (sch:{t:T}:calv:<consultant>), so two bookings can
// never both pass the double-booking check.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "services/common/act.h"
#include "services/common/clock.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/retry.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/scheduling/domain/rules.h"
#include "services/scheduling/service.h"

namespace certpath::scheduling {
namespace {

namespace d = domain;

constexpr const char* kVisitPaths[] = {"start_time",      "end_time",         "location",
                                       "consultants",     "client_attendees", "agenda",
                                       "billable_length", "expenses",         "theme"};

bool Live(const v1::Visit& v) {
  return v.state() == v1::VISIT_STATE_PROPOSED || v.state() == v1::VISIT_STATE_CONFIRMED;
}

}  // namespace

absl::Status SchedulingApi::CheckCalendars(const Principal& p, const v1::Visit& visit,
                                           const BookingRead& read,
                                           const std::string& override_reason,
                                           std::vector<std::string>* overridden) {
  absl::Time start = FromTimestamp(visit.start_time()), end = FromTimestamp(visit.end_time());
  absl::CivilDay day = TokyoDay(start);
  auto cal = Calendar(p.tenant());
  if (!cal.ok()) return cal.status();
  std::string self = visit.name().empty() ? "" : LastSegment(visit.name());
  std::vector<std::string> problems;
  for (int i = 0; i < visit.consultants().size(); ++i) {
    const std::string& name = visit.consultants(i);
    const auto& c = read.consultants[i];
    if (!c) {
      return InvalidArgument(absl::StrCat("visit.consultants[", i, "]"),
                             "no such consultant: " + name);
    }
    if (c->value.inactive()) {
      return FailedPrecondition("CONSULTANT_INACTIVE", name + " is inactive");
    }
    const CalendarRead& calendar = read.calendars[i];
    int64_t week = calendar.week_visits;
    for (const Busy& other : calendar.nearby) {
      if (other.visit_id == self) {
        --week;  // this visit itself, being moved
        continue;
      }
      absl::Time os = absl::FromUnixSeconds(other.start_minute * 60);
      absl::Time oe = absl::FromUnixSeconds(other.end_minute * 60);
      if (d::Overlaps(start, end, os, oe)) {
        absl::TimeZone tz = TokyoZone();
        return FailedPrecondition(
            "CONSULTANT_DOUBLE_BOOKED",
            absl::StrCat(name, " is booked for tenants/", p.tenant(), "/visits/", other.visit_id,
                         " (", absl::FormatTime("%Y-%m-%d %H:%M", os, tz), "–",
                         absl::FormatTime("%H:%M", oe, tz), ")"));
      }
    }
    if (std::string why = d::CalendarProblem(c->value, day, *cal); !why.empty()) {
      problems.push_back(why);
    }
    if (week >= c->value.weekly_visit_capacity()) {
      problems.push_back(absl::StrCat(name, " already has ", week, " visits that week (capacity ",
                                      c->value.weekly_visit_capacity(), ")"));
    }
  }
  if (!problems.empty()) {
    if (override_reason.empty()) {
      return FailedPrecondition("CALENDAR_CONFLICT",
                                absl::StrJoin(problems, "; ") +
                                    " (an office admin may book anyway with override_reason; "
                                    "over HTTP, the overrideReason query parameter)");
    }
    *overridden = std::move(problems);
  }
  return absl::OkStatus();
}

absl::Status SchedulingApi::SaveVisit(const Principal& p, const Stored<v1::Visit>* before,
                                      v1::Visit after, const std::vector<CalendarRead>& calendars,
                                      const Idem& idem, bool publish, v1::Visit* out,
                                      const std::vector<Stored<v1::Audit>>& observed,
                                      const Stored<v1::EngagementView>* view) {
  absl::Time now = clock_.Now();
  after.set_sequence(before ? before->value.sequence() + 1 : 0);
  *after.mutable_update_time() = ToTimestamp(now);
  after.clear_etag();
  absl::optional<cv1::OutboxEvent> event;
  if (publish) {
    v1::VisitCompleted done;
    done.set_engagement(after.engagement());
    done.set_visit(after.name());
    done.set_kind(after.kind());
    done.set_task_id(d::TaskIdFor(after.kind()));
    done.set_billable_length(after.billable_length());
    *done.mutable_expenses() = after.expenses();
    *done.mutable_visit_date() = ToDate(TokyoDay(FromTimestamp(after.start_time())));
    done.set_theme(after.theme());
    done.set_completed_by(p.subject());
    *done.mutable_complete_time() = ToTimestamp(now);
    event = NewEvent("scheduling", p.tenant(), after.engagement(), before ? before->version + 1 : 1,
                     done, now);
  }
  auto r = store_.SaveVisit(p.tenant(), before, after, calendars, idem, event ? &*event : nullptr,
                            observed, view);
  if (!r.ok()) return r.status();
  if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
  if (!r->replayed) {
    visits_total_
        .Add({{"kind", v1::VisitKind_Name(after.kind())},
              {"state", v1::VisitState_Name(after.state())}})
        .Increment();
    if (!after.override_reason().empty() && (!before || before->value.override_reason().empty())) {
      overrides_total_.Add({}).Increment();
    }
    if (event && on_event_) on_event_();
  }
  return absl::OkStatus();
}

absl::Status SchedulingApi::BookVisit(const Principal& p, const v1::BookVisitRequest& req,
                                      v1::Visit* out) {
  if (auto s = CheckParent(p, req.parent(), "BookVisit"); !s.ok()) return s;
  const v1::Visit& in = req.visit();
  FieldViolations v;
  if (!v1::VisitKind_IsValid(in.kind()) || in.kind() == v1::VISIT_KIND_UNSPECIFIED) {
    v.Add("visit.kind", "required: INCLUDED_1…3, OPTION_A…E or POST_CONTRACT_GUIDANCE");
  }
  if (in.engagement().empty()) v.Add("visit.engagement", "required");
  d::CheckVisitFields(v, in, nullptr);
  CheckRequestId(v, req.request_id());
  CheckText(v, "override_reason", req.override_reason(), 500);
  if (!req.override_reason().empty() && absl::StripAsciiWhitespace(req.override_reason()).empty()) {
    v.Add("override_reason", "a reason, not blank");
  }
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (!req.override_reason().empty() && !IsOfficeAdmin(p)) {
    return PermissionDenied("only an office admin may override the calendar rules");
  }
  absl::CivilDay day = TokyoDay(FromTimestamp(in.start_time()));
  if (auto s = CheckWritable(p); !s.ok()) return s;
  Idem idem = store_.MakeIdem(p.tenant(), p, req.request_id(), req);
  return RetryOnConflict(/*caller_pinned_etag=*/false, [&]() -> absl::Status {
    auto replay = store_.ReadReplay(idem);
    if (!replay.ok()) return replay.status();
    if (replay->has_value()) {
      return out->ParseFromString(**replay) ? absl::OkStatus()
                                            : absl::InternalError("corrupt replay");
    }
    if (d::IsIncluded(in.kind())) {
      // Each included visit once per engagement (the step checks it again).
      auto held = store_.IncludedVisit(p.tenant(), LastSegment(in.engagement()), in.kind());
      if (!held.ok()) return held.status();
      if (!held->empty()) {
        return Error(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS",
                     absl::StrCat(d::KindTitle(in.kind()), " is already booked: tenants/",
                                  p.tenant(), "/visits/", *held));
      }
    }
    v1::Visit visit = in;
    visit.set_name(absl::StrCat("tenants/", p.tenant(), "/visits/", RandomHex(8)));
    visit.set_state(v1::VISIT_STATE_PROPOSED);
    visit.clear_minutes();
    visit.clear_cancel_reason();
    visit.clear_completed_by();
    visit.clear_complete_time();
    visit.clear_overridden();
    visit.set_override_reason(req.override_reason());
    visit.set_created_by(p.subject());
    *visit.mutable_create_time() = ToTimestamp(clock_.Now());
    auto read = ReadBooking(p, visit);
    if (!read.ok()) return read.status();
    if (auto s = d::CheckVisitWindow(in.kind(), day, read->engagement->value); !s.ok()) return s;
    std::vector<std::string> overridden;
    if (auto s = CheckCalendars(p, visit, *read, req.override_reason(), &overridden); !s.ok()) {
      return s;
    }
    if (overridden.empty()) visit.clear_override_reason();
    *visit.mutable_overridden() = {overridden.begin(), overridden.end()};
    return SaveVisit(p, nullptr, visit, read->calendars, idem, false, out);
  });
}

absl::Status SchedulingApi::GetVisit(const Principal& p, const v1::GetVisitRequest& req,
                                     v1::Visit* out) {
  auto visit = LoadVisit(p, req.name(), "GetVisit");
  if (!visit.ok()) return visit.status();
  *out = visit->value;
  return absl::OkStatus();
}

absl::Status SchedulingApi::ListVisits(const Principal& p, const v1::ListVisitsRequest& req,
                                       v1::ListVisitsResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "ListVisits"); !s.ok()) return s;
  if (!v1::VisitState_IsValid(req.state())) return InvalidArgument("state", "unknown value");
  std::string cid;
  if (!req.consultant().empty()) {
    auto id = ParseId(p, "consultant", req.consultant(), "consultants");
    if (!id.ok()) return id.status();
    cid = *id;
  }
  auto eid = ListScope(p, req.engagement());
  if (!eid.ok()) return eid.status();
  return ListPaged<v1::ListVisitsResponse, v1::Visit>(
      tokens_, req.page_size(), req.page_token(),
      {"visits", req.parent(), *eid, cid, std::to_string(req.state())},
      [&](int64_t after, int limit) {
        return store_.ListVisits(p.tenant(), *eid, cid, req.state(), after, limit);
      },
      out, &v1::ListVisitsResponse::add_visits, DecodeWithEtag<v1::Visit>);
}

absl::Status SchedulingApi::UpdateVisit(const Principal& p, const v1::UpdateVisitRequest& req,
                                        v1::Visit* out) {
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kVisitPaths);
  CheckText(v, "override_reason", req.override_reason(), 500);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Visit>(
      store_, Idem{}, req.visit().etag(),
      [&] { return LoadVisit(p, req.visit().name(), "UpdateVisit"); },
      [&](const Stored<v1::Visit>& before) -> absl::Status {
        // After the visit was found visible (NOT_FOUND before PERMISSION_DENIED).
        if (!req.override_reason().empty() && !IsOfficeAdmin(p)) {
          return PermissionDenied("only an office admin may override the calendar rules");
        }
        if (!Live(before.value)) {
          return FailedPrecondition("VISIT_STATE", "only a proposed or confirmed visit changes");
        }
        v1::Visit visit = before.value;
        FieldViolations mv;
        ApplyUpdateMask(mv, req.update_mask(), kVisitPaths, req.visit(), &visit);
        d::CheckVisitFields(mv, visit, &req.update_mask());
        if (auto s = mv.ToStatus(); !s.ok()) return s;
        std::vector<CalendarRead> reads;
        std::vector<Stored<v1::Audit>> observed;
        absl::optional<Stored<v1::EngagementView>> view;
        bool moved = MaskHas(req.update_mask(), "start_time") ||
                     MaskHas(req.update_mask(), "end_time") ||
                     MaskHas(req.update_mask(), "consultants");
        if (moved) {
          auto read = ReadBooking(p, visit);
          if (!read.ok()) return read.status();
          absl::CivilDay day = TokyoDay(FromTimestamp(visit.start_time()));
          if (auto s = d::CheckVisitWindow(visit.kind(), day, read->engagement->value); !s.ok()) {
            return s;
          }
          if (visit.kind() == v1::VISIT_KIND_OPTION_C) {
            // An observation stays on the days of the audit it observes.
            auto audits =
                store_.AuditsObserving(p.tenant(), LastSegment(visit.engagement()), visit.name());
            if (!audits.ok()) return audits.status();
            for (const auto& a : *audits) {
              if (auto s = d::CheckObservationDay("visit.start_time", a.value, day); !s.ok()) {
                return s;
              }
            }
            observed = *std::move(audits);
            view = read->engagement;
          }
          std::vector<std::string> overridden;
          if (auto s = CheckCalendars(p, visit, *read, req.override_reason(), &overridden);
              !s.ok()) {
            return s;
          }
          reads = read->calendars;
          visit.set_override_reason(overridden.empty() ? "" : req.override_reason());
          *visit.mutable_overridden() = {overridden.begin(), overridden.end()};
        }
        return SaveVisit(p, &before, visit, reads, Idem{}, false, out, observed,
                         view ? &*view : nullptr);
      },
      out);
}

absl::Status SchedulingApi::VisitAction(const Principal& p, const std::string& name,
                                        const std::string& etag, absl::string_view method,
                                        const std::function<absl::Status(v1::Visit&)>& change,
                                        v1::Visit* out) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Visit>(
      store_, Idem{}, etag, [&] { return LoadVisit(p, name, method); },
      [&](const Stored<v1::Visit>& before) -> absl::Status {
        if (!Live(before.value)) {
          return FailedPrecondition(
              "VISIT_STATE",
              absl::StrCat("the visit is ", v1::VisitState_Name(before.value.state())));
        }
        v1::Visit visit = before.value;
        if (auto s = change(visit); !s.ok()) return s;
        return SaveVisit(p, &before, visit, {}, Idem{}, visit.state() == v1::VISIT_STATE_DONE, out);
      },
      out);
}

absl::Status SchedulingApi::ConfirmVisit(const Principal& p, const v1::VisitActionRequest& req,
                                         v1::Visit* out) {
  return VisitAction(
      p, req.name(), req.etag(), "ConfirmVisit",
      [&](v1::Visit& v) -> absl::Status {
        if (v.state() == v1::VISIT_STATE_CONFIRMED) {
          return FailedPrecondition("VISIT_STATE", "the visit is already confirmed");
        }
        auto e = store_.GetEngagement(p.tenant(), LastSegment(v.engagement()));
        if (!e.ok()) return e.status();
        if (e->has_value() &&
            (*e)->value.state() == certpath::engagements::v1::ENGAGEMENT_STATE_TERMINATED) {
          return FailedPrecondition("ENGAGEMENT_TERMINATED",
                                    "the engagement was terminated: cancel its visits instead");
        }
        v.set_state(v1::VISIT_STATE_CONFIRMED);
        return absl::OkStatus();
      },
      out);
}

absl::Status SchedulingApi::CompleteVisit(const Principal& p, const v1::CompleteVisitRequest& req,
                                          v1::Visit* out) {
  FieldViolations v;
  CheckText(v, "minutes", req.minutes(), 20000, false, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  absl::Time now = clock_.Now();
  return VisitAction(
      p, req.name(), req.etag(), "CompleteVisit",
      [&](v1::Visit& visit) -> absl::Status {
        if (TokyoDay(FromTimestamp(visit.start_time())) > TokyoDay(now)) {
          return FailedPrecondition("VISIT_IN_FUTURE", "a visit is completed on or after its day");
        }
        if (req.billable_length() != v1::BILLABLE_LENGTH_UNSPECIFIED || !req.expenses().empty()) {
          FieldViolations bv;
          d::CheckBilling(bv, "", visit.kind(),
                          req.billable_length() != v1::BILLABLE_LENGTH_UNSPECIFIED
                              ? req.billable_length()
                              : visit.billable_length(),
                          req.expenses());
          if (auto s = bv.ToStatus(); !s.ok()) return s;
          if (req.billable_length() != v1::BILLABLE_LENGTH_UNSPECIFIED) {
            visit.set_billable_length(req.billable_length());
          }
          if (!req.expenses().empty()) *visit.mutable_expenses() = req.expenses();
        }
        visit.set_state(v1::VISIT_STATE_DONE);
        visit.set_minutes(req.minutes());
        visit.set_completed_by(p.subject());
        *visit.mutable_complete_time() = ToTimestamp(now);
        return absl::OkStatus();
      },
      out);
}

absl::Status SchedulingApi::CancelVisit(const Principal& p, const v1::CancelVisitRequest& req,
                                        v1::Visit* out) {
  FieldViolations v;
  CheckText(v, "reason", absl::StripAsciiWhitespace(req.reason()), 500, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return VisitAction(
      p, req.name(), req.etag(), "CancelVisit",
      [&](v1::Visit& visit) {
        visit.set_state(v1::VISIT_STATE_CANCELLED);
        visit.set_cancel_reason(req.reason());
        return absl::OkStatus();
      },
      out);
}

absl::Status SchedulingApi::GetConsultantWorkload(const Principal& p,
                                                  const v1::GetConsultantWorkloadRequest& req,
                                                  v1::ConsultantWorkload* out) {
  FieldViolations v;
  CheckDate(v, "first_day", req.first_day(), true);
  CheckDate(v, "last_day", req.last_day(), true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  absl::CivilDay first = *ToCivilDay(req.first_day()), last = *ToCivilDay(req.last_day());
  if (last < first || last - first > 400) {
    return InvalidArgument("last_day", "on or after first_day, at most 400 days later");
  }
  auto c = LoadConsultant(p, req.consultant(), "GetConsultantWorkload");
  if (!c.ok()) return c.status();
  absl::TimeZone tz = TokyoZone();
  auto visits = store_.ConsultantVisits(p.tenant(), LastSegment(c->value.name()),
                                        absl::FromCivil(absl::CivilSecond(first), tz),
                                        absl::FromCivil(absl::CivilSecond(last + 1), tz), 5000);
  if (!visits.ok()) return visits.status();
  *out = d::Workload(c->value, *visits, first, last);
  return absl::OkStatus();
}

}  // namespace certpath::scheduling
