#include "services/scheduling/store.h"

#include <algorithm>
#include <deque>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "services/common/clock.h"
#include "services/common/validate.h"
#include "services/scheduling/domain/rules.h"

namespace certpath::scheduling {
namespace {

int64_t Minutes(absl::Time t) { return absl::ToUnixSeconds(t) / 60; }

bool Open(const v1::Deadline& d) { return !d.satisfied(); }

std::string Str(int64_t n) { return std::to_string(n); }

template <typename T>
absl::StatusOr<std::vector<T>> Values(const absl::StatusOr<ListPage>& page) {
  if (!page.ok()) return page.status();
  std::vector<T> out;
  for (const Record& r : page->records) {
    auto s = DecodeStored<T>(r);
    if (!s.ok()) return s.status();
    out.push_back(std::move(s->value));
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------------ reads

absl::StatusOr<absl::optional<Stored<v1::Consultant>>> SchedulingStore::GetConsultant(
    const std::string& tenant, const std::string& id) {
  return Read<v1::Consultant>(keys_.Key(tenant, "consultant", id));
}

absl::StatusOr<ListPage> SchedulingStore::Walk(const std::string& tenant, const std::string& index,
                                               absl::string_view kind, int limit,
                                               const std::vector<std::string>& members) {
  ListQuery q;
  q.index = keys_.Index(tenant, index);
  for (const auto& m : members) q.members.push_back(keys_.Index(tenant, m));
  q.record_prefix = absl::StrCat(keys_.Prefix(tenant), kind, ":");
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<std::vector<v1::OfficeClosure>> SchedulingStore::AllClosures(
    const std::string& tenant) {
  return Values<v1::OfficeClosure>(Walk(tenant, "closures", "closure", 500));
}

absl::StatusOr<absl::optional<Stored<v1::Visit>>> SchedulingStore::GetVisit(
    const std::string& tenant, const std::string& id) {
  return Read<v1::Visit>(keys_.Key(tenant, "visit", id));
}

absl::StatusOr<absl::optional<Stored<v1::Audit>>> SchedulingStore::GetAudit(
    const std::string& tenant, const std::string& id) {
  return Read<v1::Audit>(keys_.Key(tenant, "audit", id));
}

absl::StatusOr<absl::optional<Stored<v1::EngagementView>>> SchedulingStore::GetEngagement(
    const std::string& tenant, const std::string& eid) {
  return Read<v1::EngagementView>(keys_.Key(tenant, "eng", eid));
}

absl::StatusOr<BookingRead> SchedulingStore::ReadBooking(
    const std::string& tenant, const std::string& eid,
    const std::vector<std::string>& consultant_ids, absl::Time start, absl::Time end) {
  absl::CivilDay monday = absl::PrevWeekday(TokyoDay(start) + 1, absl::Weekday::monday);
  absl::Time week = absl::FromCivil(absl::CivilSecond(monday), TokyoZone());
  std::deque<std::string> strs;  // owns what the Args view
  auto str = [&](std::string x) -> absl::string_view { return strs.emplace_back(std::move(x)); };
  absl::string_view lo = str(absl::StrCat("(", Minutes(start - domain::kMaxVisitLength)));
  absl::string_view hi = str(absl::StrCat("(", Minutes(end)));
  absl::string_view wlo = str(Str(Minutes(week)));
  absl::string_view whi = str(absl::StrCat("(", Minutes(week + absl::Hours(24 * 7))));
  std::vector<std::string> keys = {keys_.Key(tenant, "eng", eid)};
  std::vector<RedisPool::Args> cmds;
  for (const auto& cid : consultant_ids) {
    keys.push_back(keys_.Key(tenant, "consultant", cid));
    absl::string_view cal = str(keys_.Key(tenant, "cal", cid));
    cmds.push_back({"HGET", str(keys_.Key(tenant, "calv", cid)), "v"});
    cmds.push_back({"ZRANGEBYSCORE", cal, lo, hi, "WITHSCORES", "LIMIT", "0", "100"});
    cmds.push_back({"ZCOUNT", cal, wlo, whi});
  }
  std::vector<RedisReply> replies;
  auto records = records_.ReadManyWith(keys, cmds, &replies);
  if (!records.ok()) return records.status();
  BookingRead out;
  if ((*records)[0].found()) {
    auto e = DecodeStored<v1::EngagementView>((*records)[0]);
    if (!e.ok()) return e.status();
    out.engagement = *std::move(e);
  }
  for (size_t i = 0; i < consultant_ids.size(); ++i) {
    auto& c = out.consultants.emplace_back();
    if ((*records)[i + 1].found()) {
      auto got = DecodeStored<v1::Consultant>((*records)[i + 1]);
      if (!got.ok()) return got.status();
      c = *std::move(got);
    }
    CalendarRead& cal = out.calendars.emplace_back();
    cal.consultant_id = consultant_ids[i];
    const RedisReply& version = replies[3 * i];
    if (!version.is_nil() && !absl::SimpleAtoi(version.str, &cal.version)) {
      return absl::InternalError("corrupt calendar version");
    }
    const auto& els = replies[3 * i + 1].elements;
    for (size_t j = 0; j + 1 < els.size(); j += 2) {
      Busy busy;
      std::pair<std::string, std::string> parts = absl::StrSplit(els[j].str, ':');
      busy.visit_id = parts.first;
      if (!absl::SimpleAtoi(parts.second, &busy.end_minute) ||
          !absl::SimpleAtoi(els[j + 1].str, &busy.start_minute)) {
        return absl::InternalError("corrupt calendar entry");
      }
      cal.nearby.push_back(std::move(busy));
    }
    cal.week_visits = replies[3 * i + 2].integer;
  }
  return out;
}

absl::StatusOr<std::vector<v1::Visit>> SchedulingStore::ConsultantVisits(const std::string& tenant,
                                                                         const std::string& cid,
                                                                         absl::Time from,
                                                                         absl::Time to, int limit) {
  std::string cal = keys_.Key(tenant, "cal", cid);
  auto r = records_.redis().Command({"ZRANGEBYSCORE", cal, Str(Minutes(from)),
                                     absl::StrCat("(", Minutes(to)), "LIMIT", "0", Str(limit)});
  if (!r.ok()) return r.status();
  std::vector<std::string> keys;
  for (const auto& e : r->elements) {
    keys.push_back(keys_.Key(tenant, "visit", e.str.substr(0, e.str.find(':'))));
  }
  std::vector<v1::Visit> out;
  if (keys.empty()) return out;
  auto records = records_.ReadMany(keys);
  if (!records.ok()) return records.status();
  for (const Record& rec : *records) {
    if (!rec.found()) continue;
    auto v = DecodeStored<v1::Visit>(rec);
    if (!v.ok()) return v.status();
    out.push_back(std::move(v->value));
  }
  return out;
}

absl::StatusOr<std::vector<Stored<v1::Deadline>>> SchedulingStore::EngagementDeadlines(
    const std::string& tenant, const std::string& eid) {
  auto page = Walk(tenant, "deadlines:eng:" + eid, "deadline", 500);
  if (!page.ok()) return page.status();
  return DecodeAll<v1::Deadline>(page->records);
}

absl::StatusOr<absl::optional<Stored<v1::Deadline>>> SchedulingStore::GetDeadline(
    const std::string& tenant, const std::string& id) {
  return Read<v1::Deadline>(keys_.Key(tenant, "deadline", id));
}

absl::StatusOr<std::vector<v1::Audit>> SchedulingStore::EngagementAudits(const std::string& tenant,
                                                                         const std::string& eid,
                                                                         int limit) {
  return Values<v1::Audit>(Walk(tenant, "audits:eng:" + eid, "audit", limit));
}

absl::StatusOr<std::vector<Stored<v1::Audit>>> SchedulingStore::AuditsObserving(
    const std::string& tenant, const std::string& eid, const std::string& visit) {
  auto page = Walk(tenant, "audits:eng:" + eid, "audit", 100);
  if (!page.ok()) return page.status();
  auto all = DecodeAll<v1::Audit>(page->records);
  if (!all.ok()) return all.status();
  std::vector<Stored<v1::Audit>> out;
  for (auto& a : *all) {
    if (a.value.observation_visit() == visit && !domain::Cancelled(a.value)) {
      out.push_back(std::move(a));
    }
  }
  return out;
}

absl::StatusOr<std::vector<v1::Audit>> SchedulingStore::ConsultantAudits(const std::string& tenant,
                                                                         const std::string& cid,
                                                                         int limit) {
  return Values<v1::Audit>(Walk(tenant, "audits:c:" + cid, "audit", limit));
}

absl::StatusOr<std::vector<v1::Deadline>> SchedulingStore::OpenDeadlinesOf(
    const std::string& tenant, const std::string& eid, const std::string& consultant, int limit) {
  return Values<v1::Deadline>(
      Walk(tenant, eid.empty() ? "deadlines:c:" + consultant : "deadlines:eng:" + eid, "deadline",
           limit, {"deadlines:open"}));
}

absl::StatusOr<std::vector<v1::Visit>> SchedulingStore::EngagementVisits(const std::string& tenant,
                                                                         const std::string& eid,
                                                                         int limit) {
  return Values<v1::Visit>(Walk(tenant, "visits:eng:" + eid, "visit", limit));
}

absl::StatusOr<std::string> SchedulingStore::IncludedVisit(const std::string& tenant,
                                                           const std::string& eid,
                                                           v1::VisitKind kind) {
  auto r = records_.Read(keys_.Key(tenant, "included", absl::StrCat(eid, ":", kind)));
  if (!r.ok()) return r.status();
  return r->found() ? r->data : std::string();
}

absl::StatusOr<absl::optional<Stored<v1::CalendarFeed>>> SchedulingStore::GetFeed(
    const std::string& tenant, const std::string& id) {
  return Read<v1::CalendarFeed>(keys_.Key(tenant, "feed", id));
}

absl::StatusOr<absl::optional<v1::FeedKey>> SchedulingStore::LookupFeed(
    const std::string& token_sha256) {
  auto got = Read<v1::FeedKey>("sch:feedkey:" + token_sha256);
  if (!got.ok()) return got.status();
  if (!got->has_value()) return absl::optional<v1::FeedKey>();
  return absl::optional<v1::FeedKey>((*got)->value);
}

absl::StatusOr<DeadlineCounts> SchedulingStore::CountDeadlines(const std::string& tenant,
                                                               absl::CivilDay today) {
  std::vector<RedisPool::Args> cmds;
  std::deque<std::string> strs;  // owns what the Args view
  auto s = [&](std::string x) -> absl::string_view { return strs.emplace_back(std::move(x)); };
  absl::string_view yesterday = s(Str(DayScore(today - 1))), now = s(Str(DayScore(today)));
  absl::string_view within[3] = {s(Str(DayScore(today + 7))), s(Str(DayScore(today + 30))),
                                 s(Str(DayScore(today + 90)))};
  for (int k = 1; k <= v1::DeadlineKind_MAX; ++k) {
    absl::string_view key = s(keys_.Index(tenant, absl::StrCat("deadlines:open_due:", k)));
    for (auto w : within) cmds.push_back({"ZCOUNT", key, now, w});
    cmds.push_back({"ZCOUNT", key, "-inf", yesterday});
  }
  cmds.push_back({"ZCOUNT", s(keys_.Index(tenant, "support_end_pre_stage2")), now, within[1]});
  auto r = records_.redis().Pipeline(cmds);
  if (!r.ok()) return r.status();
  DeadlineCounts out;
  size_t i = 0;
  for (int k = 1; k <= v1::DeadlineKind_MAX; ++k) {
    auto& a = out.by_kind[k];
    for (int j = 0; j < 4; ++j) a[j] = (*r)[i++].integer;
  }
  out.support_end_pre_stage2_30d = (*r)[i].integer;
  return out;
}

// ------------------------------------------------------------------ steps

absl::StatusOr<CommitResult> SchedulingStore::CreateConsultant(const std::string& tenant,
                                                               const std::string& id,
                                                               const v1::Consultant& c,
                                                               const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  std::string subject_key = keys_.Key(tenant, "subject", c.subject());
  b.ExpectVersion(subject_key, 0, "consultant with subject " + c.subject());
  b.Put(subject_key, 1, id, 0);
  // The calendar version exists from the start, so concurrent bookings
  // conflict as versions (ABORTED, retried), never as a first creation.
  std::string calendar_key = keys_.Key(tenant, "calv", id);
  b.ExpectVersion(calendar_key, 0, "calendar of consultant " + id);
  b.Put(calendar_key, 1, "", 0);
  int64_t ordinal = PutStored<v1::Consultant>(b, keys_.Key(tenant, "consultant", id), nullptr, c,
                                              keys_.Ordinals(tenant), "consultant");
  b.ZAdd(keys_.Index(tenant, "consultants"), ordinal, id);
  v1::Consultant response = c;
  response.set_etag("1");
  b.Response(response.SerializeAsString());
  return Commit(b);
}

absl::StatusOr<v1::Consultant> SchedulingStore::SaveConsultant(const std::string& tenant,
                                                               const Stored<v1::Consultant>& before,
                                                               const v1::Consultant& after) {
  Batch b;
  PutStored(b, keys_.Key(tenant, "consultant", LastSegment(after.name())), &before, after,
            keys_.Ordinals(tenant), "consultant");
  if (auto r = Commit(b); !r.ok()) return r.status();
  v1::Consultant out = after;
  out.set_etag(Str(before.version + 1));
  return out;
}

absl::StatusOr<CommitResult> SchedulingStore::CreateClosure(const std::string& tenant,
                                                            const std::string& id,
                                                            const v1::OfficeClosure& c,
                                                            const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  int64_t ordinal = PutStored<v1::OfficeClosure>(b, keys_.Key(tenant, "closure", id), nullptr, c,
                                                 keys_.Ordinals(tenant), "office closure");
  b.ZAdd(keys_.Index(tenant, "closures"), ordinal, id);
  b.Response(c.SerializeAsString());
  return Commit(b);
}

absl::StatusOr<CommitResult> SchedulingStore::SaveVisit(
    const std::string& tenant, const Stored<v1::Visit>* before, const v1::Visit& after,
    const std::vector<CalendarRead>& calendars, const Idem& idem, const cv1::OutboxEvent* event,
    const std::vector<Stored<v1::Audit>>& observed, const Stored<v1::EngagementView>* view) {
  Batch b;
  AddIdem(b, idem);
  for (const auto& a : observed) {
    b.ExpectVersion(keys_.Key(tenant, "audit", LastSegment(a.value.name())), a.version, "audit");
  }
  if (view != nullptr) {
    b.ExpectVersion(keys_.Key(tenant, "eng", LastSegment(after.engagement())), view->version,
                    "engagement");
  }
  std::string id = LastSegment(after.name());
  std::string eid = LastSegment(after.engagement());
  for (const auto& c : calendars) {
    std::string key = keys_.Key(tenant, "calv", c.consultant_id);
    b.ExpectVersion(key, c.version, "calendar of consultant " + c.consultant_id);
    b.Put(key, c.version + 1, "", 0);
  }
  std::string slot = keys_.Key(tenant, "included", absl::StrCat(eid, ":", after.kind()));
  bool cancelled = after.state() == v1::VISIT_STATE_CANCELLED;
  bool was_cancelled = before && before->value.state() == v1::VISIT_STATE_CANCELLED;
  if (after.kind() >= v1::VISIT_KIND_INCLUDED_1 && after.kind() <= v1::VISIT_KIND_INCLUDED_3) {
    if (!before) {
      b.ExpectVersion(slot, 0,
                      absl::StrCat("included visit ", after.kind() - v1::VISIT_KIND_INCLUDED_1 + 1,
                                   " of the engagement"));
      b.Put(slot, 1, id, 0);
    } else if (cancelled && !was_cancelled) {
      b.Delete(slot);
    }
  }
  int64_t ordinal = PutStored<v1::Visit>(b, keys_.Key(tenant, "visit", id), before, after,
                                         keys_.Ordinals(tenant), "visit");
  if (!before) {
    b.ZAdd(keys_.Index(tenant, "visits"), ordinal, id);
    b.ZAdd(keys_.Index(tenant, "visits:eng:" + eid), ordinal, id);
  }
  if (!before || before->value.state() != after.state()) {
    if (before)
      b.ZRem(keys_.Index(tenant, absl::StrCat("visits:state:", before->value.state())), id);
    b.ZAdd(keys_.Index(tenant, absl::StrCat("visits:state:", after.state())), ordinal, id);
  }
  // Consultant indexes and calendars: out of the old ones, into the new ones.
  auto member = [&](const v1::Visit& v) {
    return absl::StrCat(id, ":", Minutes(FromTimestamp(v.end_time())));
  };
  if (before) {
    for (const auto& c : before->value.consultants()) {
      b.ZRem(keys_.Index(tenant, "visits:c:" + LastSegment(c)), id);
      b.ZRem(keys_.Key(tenant, "cal", LastSegment(c)), member(before->value));
    }
  }
  for (const auto& c : after.consultants()) {
    b.ZAdd(keys_.Index(tenant, "visits:c:" + LastSegment(c)), ordinal, id);
    if (!cancelled) {
      b.ZAdd(keys_.Key(tenant, "cal", LastSegment(c)), Minutes(FromTimestamp(after.start_time())),
             member(after));
    }
  }
  if (event != nullptr) outbox_.Publish(b, *event);
  v1::Visit response = after;
  response.set_etag(Str(before ? before->version + 1 : 1));
  b.Response(response.SerializeAsString());
  return Commit(b);
}

absl::StatusOr<CommitResult> SchedulingStore::SaveAudit(
    const std::string& tenant, const Stored<v1::Audit>* before, const v1::Audit& a,
    const Idem& idem, const std::vector<DeadlineChange>& deadlines,
    const Stored<v1::EngagementView>& view, const Stored<v1::Visit>* observation) {
  Batch b;
  AddIdem(b, idem);
  std::string id = LastSegment(a.name());
  // The audit first: it is the step's resource in the audit trail.
  int64_t ordinal = PutStored<v1::Audit>(b, keys_.Key(tenant, "audit", id), before, a,
                                         keys_.Ordinals(tenant), "audit");
  PutStored<v1::EngagementView>(b, keys_.Key(tenant, "eng", LastSegment(a.engagement())), &view,
                                view.value, keys_.Ordinals(tenant), "engagement");
  if (observation != nullptr) {
    b.ExpectVersion(keys_.Key(tenant, "visit", LastSegment(observation->value.name())),
                    observation->version, "observation visit");
  }
  if (before == nullptr) {
    b.ZAdd(keys_.Index(tenant, "audits"), ordinal, id);
    b.ZAdd(keys_.Index(tenant, "audits:eng:" + LastSegment(a.engagement())), ordinal, id);
  } else {
    for (const auto& c : before->value.observing_consultants()) {
      const auto& now = a.observing_consultants();
      if (std::find(now.begin(), now.end(), c) == now.end()) {
        b.ZRem(keys_.Index(tenant, "audits:c:" + LastSegment(c)), id);
      }
    }
  }
  for (const auto& c : a.observing_consultants()) {
    b.ZAdd(keys_.Index(tenant, "audits:c:" + LastSegment(c)), ordinal, id);
  }
  for (const auto& d : deadlines) PutDeadline(b, tenant, d);
  v1::Audit response = a;
  response.set_etag(Str(before ? before->version + 1 : 1));
  b.Response(response.SerializeAsString());
  return Commit(b);
}

void SchedulingStore::PutDeadline(Batch& b, const std::string& tenant, const DeadlineChange& c) {
  const v1::Deadline& d = c.after;
  const v1::Deadline* old = c.before ? &c.before->value : nullptr;
  std::string id = LastSegment(d.name());
  int64_t ordinal =
      PutStored<v1::Deadline>(b, keys_.Key(tenant, "deadline", id), c.before ? &*c.before : nullptr,
                              d, keys_.Ordinals(tenant), "deadline");
  auto idx = [&](absl::string_view name) { return keys_.Index(tenant, name); };
  if (!old) {
    b.ZAdd(idx("deadlines"), ordinal, id);
    b.ZAdd(idx("deadlines:eng:" + LastSegment(d.engagement())), ordinal, id);
    b.ZAdd(idx(absl::StrCat("deadlines:kind:", d.kind())), ordinal, id);
  }
  if (old) {
    for (const auto& s : old->consultants()) b.ZRem(idx("deadlines:c:" + s), id);
    b.ZRem(idx(absl::StrCat("deadlines:open_due:", old->kind())), id);
  }
  for (const auto& s : d.consultants()) b.ZAdd(idx("deadlines:c:" + s), ordinal, id);
  int64_t due = DayScore(ToCivilDay(d.due_date()).value_or(absl::CivilDay(1970, 1, 1)));
  b.ZAdd(idx("deadlines:due"), due, id);
  if (Open(d)) {
    b.ZAdd(idx("deadlines:open"), ordinal, id);
    b.ZAdd(idx(absl::StrCat("deadlines:open_due:", d.kind())), due, id);
  } else {
    b.ZRem(idx("deadlines:open"), id);
  }
}

absl::StatusOr<CommitResult> SchedulingStore::SaveVisitsOnly(
    const std::string& tenant, const std::vector<std::pair<Stored<v1::Visit>, v1::Visit>>& visits,
    const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  for (const auto& [before, after] : visits) {
    PutStored<v1::Visit>(b, keys_.Key(tenant, "visit", LastSegment(after.name())), &before, after,
                         keys_.Ordinals(tenant), "visit");
  }
  b.Response("");
  return Commit(b);
}

absl::StatusOr<CommitResult> SchedulingStore::ApplyEngagement(
    const std::string& tenant, const Stored<v1::EngagementView>* before,
    const v1::EngagementView& after, const std::vector<DeadlineChange>& deadlines,
    const Idem& idem) {
  namespace ev1 = certpath::engagements::v1;
  Batch b;
  AddIdem(b, idem);
  std::string eid = LastSegment(after.engagement());
  PutStored<v1::EngagementView>(b, keys_.Key(tenant, "eng", eid), before, after,
                                keys_.Ordinals(tenant), "engagement");
  std::string pre2 = keys_.Index(tenant, "support_end_pre_stage2");
  auto end = ToCivilDay(after.support_end());
  if (end && after.state() == ev1::ENGAGEMENT_STATE_ACTIVE &&
      after.phase() < ev1::PHASE_STAGE2_AUDIT) {
    b.ZAdd(pre2, DayScore(*end), eid);
  } else {
    b.ZRem(pre2, eid);
  }
  for (const auto& d : deadlines) PutDeadline(b, tenant, d);
  b.Response("");
  return Commit(b);
}

absl::StatusOr<CommitResult> SchedulingStore::CreateFeed(const std::string& tenant,
                                                         const std::string& id,
                                                         const v1::CalendarFeed& f,
                                                         const std::string& token_sha256,
                                                         const std::string& response) {
  Batch b;
  PutStored<v1::CalendarFeed>(b, keys_.Key(tenant, "feed", id), nullptr, f, keys_.Ordinals(tenant),
                              "calendar feed");
  v1::FeedKey k;
  k.set_tenant(tenant);
  k.set_feed(id);
  std::string key = "sch:feedkey:" + token_sha256;
  b.ExpectVersion(key, 0, "feed token");
  b.Put(key, 1, k.SerializeAsString(), 0);
  b.Response(response);
  return Commit(b);
}

absl::StatusOr<v1::CalendarFeed> SchedulingStore::RevokeFeed(const std::string& tenant,
                                                             const Stored<v1::CalendarFeed>& before,
                                                             const v1::CalendarFeed& after,
                                                             const std::string& token_sha256) {
  Batch b;
  PutStored(b, keys_.Key(tenant, "feed", LastSegment(after.name())), &before, after,
            keys_.Ordinals(tenant), "calendar feed");
  if (!token_sha256.empty()) b.Delete("sch:feedkey:" + token_sha256);
  if (auto r = Commit(b); !r.ok()) return r.status();
  v1::CalendarFeed out = after;
  out.set_etag(Str(before.version + 1));
  return out;
}

// ------------------------------------------------------------------ lists

absl::StatusOr<ListPage> SchedulingStore::ListConsultants(const std::string& tenant, int64_t after,
                                                          int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, "consultants");
  q.record_prefix = keys_.Prefix(tenant) + "consultant:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> SchedulingStore::ListClosures(const std::string& tenant, int64_t after,
                                                       int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, "closures");
  q.record_prefix = keys_.Prefix(tenant) + "closure:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> SchedulingStore::ListVisits(const std::string& tenant,
                                                     const std::string& eid, const std::string& cid,
                                                     int state, int64_t after, int limit) {
  ListQuery q;
  std::vector<std::string> filters;
  if (!eid.empty()) filters.push_back(keys_.Index(tenant, "visits:eng:" + eid));
  if (!cid.empty()) filters.push_back(keys_.Index(tenant, "visits:c:" + cid));
  if (state != 0) filters.push_back(keys_.Index(tenant, absl::StrCat("visits:state:", state)));
  q.index = filters.empty() ? keys_.Index(tenant, "visits") : filters.front();
  if (!filters.empty()) q.members.assign(filters.begin() + 1, filters.end());
  q.record_prefix = keys_.Prefix(tenant) + "visit:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> SchedulingStore::ListAudits(const std::string& tenant,
                                                     const std::string& eid, int64_t after,
                                                     int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, eid.empty() ? "audits" : "audits:eng:" + eid);
  q.record_prefix = keys_.Prefix(tenant) + "audit:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> SchedulingStore::ListDeadlines(
    const std::string& tenant, const std::string& eid, const std::string& consultant, int kind,
    absl::optional<absl::CivilDay> due_before, bool include_satisfied, int64_t after, int limit) {
  ListQuery q;
  std::vector<std::string> filters;
  if (!eid.empty()) filters.push_back(keys_.Index(tenant, "deadlines:eng:" + eid));
  if (!consultant.empty()) filters.push_back(keys_.Index(tenant, "deadlines:c:" + consultant));
  if (kind != 0) filters.push_back(keys_.Index(tenant, absl::StrCat("deadlines:kind:", kind)));
  if (!include_satisfied) filters.push_back(keys_.Index(tenant, "deadlines:open"));
  q.index = filters.empty() ? keys_.Index(tenant, "deadlines") : filters.front();
  if (!filters.empty()) q.members.assign(filters.begin() + 1, filters.end());
  if (due_before) {
    q.range_index = keys_.Index(tenant, "deadlines:due");
    q.range_max = Str(DayScore(*due_before));
  }
  q.record_prefix = keys_.Prefix(tenant) + "deadline:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

}  // namespace certpath::scheduling
