// What the scheduling handlers share: names, tenant and write-gate checks,
// who sees which engagement, loading with authorization, event envelopes.
#include "services/scheduling/service.h"

#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/scheduling/domain/policy.h"
#include "services/scheduling/domain/rules.h"

namespace certpath::scheduling {

namespace d = domain;

SchedulingApi::SchedulingApi(SchedulingStore& store, const Clock& clock,
                             const PageTokenCodec& tokens, const WriteGate& gate,
                             prometheus::Registry& registry)
    : store_(store),
      clock_(clock),
      tokens_(tokens),
      writable_(gate, [this](const std::string& t) { return store_.RegisterTenant(t); }),
      visits_total_(prometheus::BuildCounter()
                        .Name("certpath_visits_total")
                        .Help("Visit state changes (booked, confirmed, done, cancelled), by kind")
                        .Register(registry)),
      overrides_total_(prometheus::BuildCounter()
                           .Name("certpath_visit_overrides_total")
                           .Help("Bookings an office admin forced past a calendar rule")
                           .Register(registry)),
      feeds_served_(prometheus::BuildCounter()
                        .Name("certpath_calendar_feeds_served_total")
                        .Help("Calendar feed requests, by outcome")
                        .Register(registry)) {}

absl::Status SchedulingApi::CheckParent(const Principal& p, const std::string& parent,
                                        absl::string_view method) const {
  auto ids = ParseName("parent", parent, {"tenants"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("tenant");
  return d::SchedulingPolicy().Allow(p, method);
}

absl::StatusOr<std::string> SchedulingApi::ParseId(const Principal& p, absl::string_view field,
                                                   const std::string& name,
                                                   absl::string_view kind) const {
  auto ids = ParseName(field, name, {"tenants", kind});
  if (!ids.ok()) return ids.status();
  // Another tenant's: the same answer as a missing one ("visit not found").
  if ((*ids)[0] != p.tenant()) {
    return NotFound(kind == "calendarFeeds" ? "calendar feed" : kind.substr(0, kind.size() - 1));
  }
  return (*ids)[1];
}

absl::StatusOr<Stored<v1::EngagementView>> SchedulingApi::LoadEngagement(const Principal& p,
                                                                         absl::string_view field,
                                                                         const std::string& name) {
  auto eid = ParseId(p, field, name, "engagements");
  if (!eid.ok()) return eid.status();
  auto e = store_.GetEngagement(p.tenant(), *eid);
  if (!e.ok()) return e.status();
  if (!e->has_value()) {
    // Scheduling learns engagements from the engagements service's events.
    return Error(absl::StatusCode::kNotFound, "NOT_FOUND",
                 "engagement not found (a new engagement reaches scheduling within seconds)");
  }
  if (!d::Sees(p, (*e)->value)) return NotFound("engagement");
  return **e;
}

absl::StatusOr<std::string> SchedulingApi::ListScope(const Principal& p,
                                                     const std::string& engagement) {
  if (engagement.empty()) {
    if (IsOfficeStaff(p)) return std::string();
    return InvalidArgument("engagement", "required: partners and clients list one engagement's");
  }
  auto e = LoadEngagement(p, "engagement", engagement);
  if (!e.ok()) return e.status();
  return LastSegment(engagement);
}

absl::StatusOr<Stored<v1::Consultant>> SchedulingApi::LoadConsultant(const Principal& p,
                                                                     const std::string& name,
                                                                     absl::string_view method) {
  auto id = ParseId(p, "name", name, "consultants");
  if (!id.ok()) return id.status();
  if (!IsOfficeStaff(p)) return NotFound("consultant");
  auto c = store_.GetConsultant(p.tenant(), *id);
  if (!c.ok()) return c.status();
  if (!c->has_value()) return NotFound("consultant");
  if (auto s = d::SchedulingPolicy().Allow(p, method); !s.ok()) return s;
  return **c;
}

absl::StatusOr<Stored<v1::Visit>> SchedulingApi::LoadVisit(const Principal& p,
                                                           const std::string& name,
                                                           absl::string_view method) {
  auto id = ParseId(p, "name", name, "visits");
  if (!id.ok()) return id.status();
  auto v = store_.GetVisit(p.tenant(), *id);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return NotFound("visit");
  if (auto s = CheckSeen(p, (*v)->value.engagement(), "visit", method); !s.ok()) return s;
  return **v;
}

absl::Status SchedulingApi::CheckSeen(const Principal& p, const std::string& engagement,
                                      absl::string_view what, absl::string_view method) {
  if (!IsOfficeStaff(p)) {
    auto e = store_.GetEngagement(p.tenant(), LastSegment(engagement));
    if (!e.ok()) return e.status();
    if (!e->has_value() || !d::Sees(p, (*e)->value)) return NotFound(what);
  }
  return d::SchedulingPolicy().Allow(p, method);
}

absl::StatusOr<BusinessCalendar> SchedulingApi::Calendar(const std::string& tenant) {
  absl::Time now = clock_.Now();
  {
    std::lock_guard<std::mutex> lock(closures_mu_);
    auto it = closures_.find(tenant);
    if (it != closures_.end() && now - it->second.read < kClosureCacheTtl &&
        now >= it->second.read) {
      return BusinessCalendar(it->second.closures);
    }
  }
  auto closures = store_.AllClosures(tenant);
  if (!closures.ok()) return closures.status();
  std::vector<Closure> out;
  for (const auto& c : *closures) {
    auto first = ToCivilDay(c.first_day()), last = ToCivilDay(c.last_day());
    if (first && last) out.push_back(Closure{*first, *last, c.reason()});
  }
  std::lock_guard<std::mutex> lock(closures_mu_);
  if (closures_.size() > 10000) closures_.clear();
  closures_[tenant] = CachedClosures{now, out};
  return BusinessCalendar(std::move(out));
}

absl::StatusOr<BookingRead> SchedulingApi::ReadBooking(const Principal& p, const v1::Visit& visit) {
  auto eid = ParseId(p, "visit.engagement", visit.engagement(), "engagements");
  if (!eid.ok()) return eid.status();
  std::vector<std::string> cids;
  for (int i = 0; i < visit.consultants().size(); ++i) {
    std::string field = absl::StrCat("visit.consultants[", i, "]");
    auto cid = ParseId(p, field, visit.consultants(i), "consultants");
    if (!cid.ok()) return InvalidArgument(field, "a consultant of this tenant");
    cids.push_back(*cid);
  }
  absl::Time start = absl::FromUnixSeconds(visit.start_time().seconds());
  absl::Time end = absl::FromUnixSeconds(visit.end_time().seconds());
  auto read = store_.ReadBooking(p.tenant(), *eid, cids, start, end);
  if (!read.ok()) return read.status();
  if (!read->engagement) {
    return Error(absl::StatusCode::kNotFound, "NOT_FOUND",
                 "engagement not found (a new engagement reaches scheduling within seconds)");
  }
  if (!d::Sees(p, read->engagement->value)) return NotFound("engagement");
  return read;
}

}  // namespace certpath::scheduling
