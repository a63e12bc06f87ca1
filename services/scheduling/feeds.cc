// Calendar feeds (RFC 5545): a secret URL per consultant or engagement that
// calendar apps subscribe to without other credentials. The token (256 bits)
// is in CreateCalendarFeed's answer once; only its SHA-256 is stored.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/act.h"
#include "services/common/call_context.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/scheduling/domain/ical.h"
#include "services/scheduling/domain/policy.h"
#include "services/scheduling/domain/rules.h"
#include "services/scheduling/service.h"

namespace certpath::scheduling {
namespace {

namespace d = domain;
using domain::IcsCalendar;
using domain::RenderIcs;

constexpr int kTokenBytes = 32;
constexpr int kMaxFeedItems = 1000;
// Visits further back than this are left out of a feed.
constexpr absl::Duration kFeedHistory = absl::Hours(24 * 400);

// "<64 hex>.ics" → the secret; nullopt for anything else.
absl::optional<std::string> Secret(const std::string& token) {
  if (!absl::EndsWith(token, ".ics")) return absl::nullopt;
  std::string secret = token.substr(0, token.size() - 4);
  if (secret.size() != 2 * kTokenBytes) return absl::nullopt;
  for (char c : secret) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) || absl::ascii_isupper(c)) {
      return absl::nullopt;
    }
  }
  return secret;
}

}  // namespace

absl::Status SchedulingApi::CreateCalendarFeed(const Principal& p,
                                               const v1::CreateCalendarFeedRequest& req,
                                               v1::CalendarFeed* out) {
  if (auto s = CheckParent(p, req.parent(), "CreateCalendarFeed"); !s.ok()) return s;
  const v1::CalendarFeed& in = req.feed();
  if (in.consultant().empty() == in.engagement().empty()) {
    return InvalidArgument("feed", "exactly one of consultant and engagement");
  }
  v1::CalendarFeed f;
  if (!in.consultant().empty()) {
    auto c = LoadConsultant(p, in.consultant(), "CreateCalendarFeed");
    if (!c.ok()) {
      return c.status().code() == absl::StatusCode::kNotFound
                 ? InvalidArgument("feed.consultant", "no such consultant")
                 : c.status();
    }
    f.set_consultant(c->value.name());
  } else {
    auto e = LoadEngagement(p, "feed.engagement", in.engagement());
    if (!e.ok()) return e.status();
    f.set_engagement(in.engagement());
  }
  if (auto s = CheckWritable(p); !s.ok()) return s;
  std::string id = RandomHex(8);
  std::string secret = RandomHex(kTokenBytes);
  f.set_name(absl::StrCat("tenants/", p.tenant(), "/calendarFeeds/", id));
  f.set_created_by(p.subject());
  *f.mutable_create_time() = ToTimestamp(clock_.Now());
  v1::CalendarFeed response = f;
  response.set_etag("1");
  response.set_token(secret + ".ics");
  response.set_feed_path("/v1/feeds/" + secret + ".ics");
  // The stored answer of the step is the record without the secret.
  auto r = store_.CreateFeed(p.tenant(), id, f, HexEncode(Sha256(secret)), [&] {
    v1::CalendarFeed stored = f;
    stored.set_etag("1");
    return stored.SerializeAsString();
  }());
  if (!r.ok()) return r.status();
  *out = std::move(response);
  return absl::OkStatus();
}

absl::Status SchedulingApi::RevokeCalendarFeed(const Principal& p,
                                               const v1::RevokeCalendarFeedRequest& req,
                                               v1::CalendarFeed* out) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::CalendarFeed>(
      store_, Idem{}, "",
      [&]() -> absl::StatusOr<Stored<v1::CalendarFeed>> {
        auto id = ParseId(p, "name", req.name(), "calendarFeeds");
        if (!id.ok()) return id.status();
        if (!IsOfficeStaff(p)) return NotFound("calendar feed");
        auto f = store_.GetFeed(p.tenant(), *id);
        if (!f.ok()) return f.status();
        if (!f->has_value()) return NotFound("calendar feed");
        if (auto s = d::SchedulingPolicy().Allow(p, "RevokeCalendarFeed"); !s.ok()) return s;
        return **f;
      },
      [&](const Stored<v1::CalendarFeed>& before) -> absl::Status {
        if (before.value.revoked()) {
          *out = before.value;
          return absl::OkStatus();
        }
        v1::CalendarFeed f = before.value;
        f.set_revoked(true);
        *f.mutable_revoke_time() = ToTimestamp(clock_.Now());
        auto saved = store_.RevokeFeed(p.tenant(), before, f, "");
        if (!saved.ok()) return saved.status();
        *out = *std::move(saved);
        return absl::OkStatus();
      },
      out);
}

absl::Status SchedulingApi::GetCalendarFeed(const Principal& /*p*/,
                                            const v1::GetCalendarFeedRequest& req,
                                            google::api::HttpBody* out) {
  // Whoever holds the token may read the feed; nothing tells a wrong token
  // from a revoked one.
  auto refused = [this] {
    feeds_served_.Add({{"outcome", "refused"}}).Increment();
    return NotFound("calendar feed");
  };
  auto secret = Secret(req.token());
  if (!secret) return refused();
  auto key = store_.LookupFeed(HexEncode(Sha256(*secret)));
  if (!key.ok()) return key.status();
  if (!key->has_value()) return refused();
  const std::string& tenant = (*key)->tenant();
  auto feed = store_.GetFeed(tenant, (*key)->feed());
  if (!feed.ok()) return feed.status();
  if (!feed->has_value() || (*feed)->value.revoked()) return refused();
  const v1::CalendarFeed& f = (*feed)->value;
  absl::Time now = clock_.Now();
  IcsCalendar cal;
  cal.refresh = absl::Hours(1);
  std::vector<v1::Visit> visits;
  std::vector<v1::Audit> audits;
  std::vector<v1::Deadline> deadlines;
  if (!f.consultant().empty()) {
    std::string cid = LastSegment(f.consultant());
    auto c = store_.GetConsultant(tenant, cid);
    if (!c.ok()) return c.status();
    if (!c->has_value()) return refused();
    cal.name = "certpath 予定 " + (*c)->value.display_name_ja();
    auto page = store_.ListVisits(tenant, "", cid, 0, 0, kMaxFeedItems);
    if (!page.ok()) return page.status();
    for (const Record& r : page->records) {
      v1::Visit v;
      if (auto s = DecodeRecord(r, &v); !s.ok()) return s;
      visits.push_back(std::move(v));
    }
    auto a = store_.ConsultantAudits(tenant, cid, kMaxFeedItems);
    if (!a.ok()) return a.status();
    audits = *std::move(a);
    auto dl = store_.OpenDeadlinesOf(tenant, "", (*c)->value.subject(), kMaxFeedItems);
    if (!dl.ok()) return dl.status();
    deadlines = *std::move(dl);
  } else {
    std::string eid = LastSegment(f.engagement());
    cal.name = "certpath 予定 " + eid;
    auto v = store_.EngagementVisits(tenant, eid, kMaxFeedItems);
    if (!v.ok()) return v.status();
    visits = *std::move(v);
    auto a = store_.EngagementAudits(tenant, eid, kMaxFeedItems);
    if (!a.ok()) return a.status();
    audits = *std::move(a);
    auto dl = store_.OpenDeadlinesOf(tenant, eid, "", kMaxFeedItems);
    if (!dl.ok()) return dl.status();
    deadlines = *std::move(dl);
  }
  for (const auto& v : visits) {
    if (FromTimestamp(v.end_time()) < now - kFeedHistory) continue;
    cal.events.push_back(d::VisitEvent(v, tenant, now));
  }
  for (const auto& a : audits) cal.events.push_back(d::AuditEvent(a, tenant, now));
  for (const auto& x : deadlines) cal.events.push_back(d::DeadlineEvent(x, tenant, now));
  out->set_content_type("text/calendar; charset=utf-8");
  out->set_data(RenderIcs(cal));
  AddResponseMetadata("content-disposition", "inline; filename=\"certpath.ics\"");
  AddResponseMetadata("cache-control", "private, max-age=300");
  feeds_served_.Add({{"outcome", "served"}}).Increment();
  return absl::OkStatus();
}

}  // namespace certpath::scheduling
