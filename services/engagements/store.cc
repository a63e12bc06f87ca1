#include "services/engagements/store.h"

#include <deque>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/idempotency.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::engagements {
namespace {

std::string P(const std::string& tenant) { return absl::StrCat("eng:{t:", tenant, "}:"); }
std::string ClientKey(const std::string& t, const std::string& id) {
  return absl::StrCat(P(t), "client:", id);
}
std::string EngagementKey(const std::string& t, const std::string& id) {
  return absl::StrCat(P(t), "engagement:", id);
}
std::string FindingKey(const std::string& t, const std::string& eid, const std::string& id) {
  return absl::StrCat(P(t), "finding:", eid, ":", id);
}
std::string InquiryKey(const std::string& t, const std::string& eid, const std::string& id) {
  return absl::StrCat(P(t), "inquiry:", eid, ":", id);
}
std::string Idx(const std::string& t, absl::string_view name) {
  return absl::StrCat(P(t), "idx:", name);
}
std::string OrdKey(const std::string& t) { return P(t) + "ord"; }
constexpr char kTenantsKey[] = "eng:tenants";
constexpr int kReferenceField = 2;  // Engagement.reference_number

int64_t DayScore(absl::CivilDay d) { return d.year() * 10000 + d.month() * 100 + d.day(); }

template <typename T>
absl::StatusOr<Stored<T>> Decode(const Record& r) {
  Stored<T> s;
  if (!s.value.ParseFromString(r.data)) return absl::InternalError("corrupt record");
  s.version = r.version;
  s.ordinal = r.ordinal;
  s.value.set_etag(std::to_string(r.version));
  return s;
}

template <typename T>
absl::StatusOr<absl::optional<Stored<T>>> ReadOne(RecordStore& records, const std::string& key) {
  auto r = records.Read(key);
  if (!r.ok()) return r.status();
  if (!r->found()) return absl::optional<Stored<T>>();
  auto s = Decode<T>(*r);
  if (!s.ok()) return s.status();
  return absl::optional<Stored<T>>(*std::move(s));
}

// What is stored: the resource without its etag (the version is the etag).
template <typename T>
std::string Bytes(T m) {
  m.clear_etag();
  return m.SerializeAsString();
}

void AddIdem(Batch& b, const Idem& idem, int64_t ttl) {
  if (!idem.key.empty()) b.Idempotency(idem.key, idem.fingerprint, ttl);
}

std::set<std::string> IndexNames(const v1::Engagement& e) {
  std::set<std::string> out = {"all", absl::StrCat("phase:", static_cast<int>(e.phase())),
                               absl::StrCat("state:", static_cast<int>(e.state()))};
  auto client_id = e.client().substr(e.client().rfind('/') + 1);
  out.insert("client:" + client_id);
  if (!e.lead_consultant().empty()) out.insert("consultant:" + e.lead_consultant());
  for (const auto& c : e.consultants()) out.insert("consultant:" + c);
  for (const auto& p : e.partner_organizations()) out.insert("partner:" + p);
  return out;
}

void MoveIndexes(Batch& b, const std::string& tenant, const std::string& id,
                 const v1::Engagement* before, const v1::Engagement& after, int64_t ordinal) {
  std::set<std::string> old_idx = before ? IndexNames(*before) : std::set<std::string>{};
  std::set<std::string> new_idx = IndexNames(after);
  for (const auto& n : old_idx) {
    if (!new_idx.count(n)) b.ZRem(Idx(tenant, n), id);
  }
  for (const auto& n : new_idx) {
    if (!old_idx.count(n)) b.ZAdd(Idx(tenant, n), ordinal, id);
  }
  auto end = ToCivilDay(after.support_end());
  if (after.state() == v1::ENGAGEMENT_STATE_ACTIVE && end) {
    b.ZAdd(Idx(tenant, "active_end"), DayScore(*end), id);
  } else if (before != nullptr) {
    b.ZRem(Idx(tenant, "active_end"), id);
  }
}

}  // namespace

std::string EngagementStore::IdemKey(const std::string& tenant, const Principal& p,
                                     const std::string& request_id) {
  return IdempotencyKey(P(tenant), p, request_id);
}

absl::Status EngagementStore::RegisterTenant(const std::string& tenant) {
  auto r = records_.redis().Command({"SADD", kTenantsKey, tenant});
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<std::vector<std::string>> EngagementStore::Tenants() {
  auto r = records_.redis().Command({"SMEMBERS", kTenantsKey});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (const auto& e : r->elements) out.push_back(e.str);
  return out;
}

// ------------------------------------------------------------------ clients

absl::StatusOr<absl::optional<Stored<v1::Client>>> EngagementStore::GetClient(
    const std::string& tenant, const std::string& id) {
  return ReadOne<v1::Client>(records_, ClientKey(tenant, id));
}

absl::StatusOr<v1::Client> EngagementStore::CreateClient(const std::string& tenant,
                                                         const std::string& id, v1::Client client,
                                                         const Idem& idem) {
  client.set_etag("1");
  Batch b;
  AddIdem(b, idem, idem_ttl_);
  b.ExpectVersion(ClientKey(tenant, id), 0, "client");
  b.AllocateOrdinal(OrdKey(tenant));
  b.Put(ClientKey(tenant, id), 1, Bytes(client), kNewOrdinal);
  b.ZAdd(Idx(tenant, "clients"), kNewOrdinal, id);
  b.Response(client.SerializeAsString());
  auto r = records_.Commit(b);
  if (!r.ok()) return r.status();
  v1::Client out;
  if (!out.ParseFromString(r->response)) return absl::InternalError("corrupt response");
  return out;
}

absl::StatusOr<v1::Client> EngagementStore::SaveClient(
    const std::string& tenant, const std::string& id, v1::Client client,
    const Stored<v1::Client>& before, const Idem& idem,
    const std::vector<std::pair<Stored<v1::Engagement>, v1::Engagement>>& engagements) {
  int64_t version = before.version + 1;
  client.set_etag(std::to_string(version));
  Batch b;
  AddIdem(b, idem, idem_ttl_);
  b.ExpectVersion(ClientKey(tenant, id), before.version, "client");
  b.Put(ClientKey(tenant, id), version, Bytes(client), before.ordinal);
  for (const auto& [eb, ea] : engagements) {
    std::string eid = ea.name().substr(ea.name().rfind('/') + 1);
    b.ExpectVersion(EngagementKey(tenant, eid), eb.version, "engagement");
    b.Put(EngagementKey(tenant, eid), eb.version + 1, Bytes(ea), eb.ordinal);
  }
  b.Response(client.SerializeAsString());
  auto r = records_.Commit(b);
  if (!r.ok()) return r.status();
  v1::Client out;
  if (!out.ParseFromString(r->response)) return absl::InternalError("corrupt response");
  return out;
}

absl::StatusOr<v1::Client> EngagementStore::DeleteClient(const std::string& tenant,
                                                         const std::string& id,
                                                         const Stored<v1::Client>& before,
                                                         v1::Client tombstone, const Idem& idem) {
  tombstone.clear_etag();
  Batch b;
  AddIdem(b, idem, idem_ttl_);
  b.ExpectVersion(ClientKey(tenant, id), before.version, "client");
  // In the same step as the delete: a concurrent CreateEngagement either came
  // first (the delete is refused) or finds the client gone (NOT_FOUND).
  b.ExpectEmpty(Idx(tenant, "client:" + id), "the client has engagements; it cannot be deleted");
  b.Delete(ClientKey(tenant, id));
  b.ZRem(Idx(tenant, "clients"), id);
  b.Put(absl::StrCat(P(tenant), "deleted_client:", id), 1, Bytes(tombstone), before.ordinal);
  b.Response(tombstone.SerializeAsString());
  auto r = records_.Commit(b);
  if (!r.ok()) return r.status();
  v1::Client out;
  if (!out.ParseFromString(r->response)) return absl::InternalError("corrupt response");
  return out;
}

absl::StatusOr<absl::optional<std::string>> EngagementStore::ReadReplay(const Idem& idem) {
  if (idem.key.empty()) return absl::optional<std::string>();
  return records_.ReadIdempotency(idem.key, idem.fingerprint);
}

absl::StatusOr<std::vector<Stored<v1::Engagement>>> EngagementStore::EngagementsOfClient(
    const std::string& tenant, const std::string& client_id, int limit) {
  ListQuery q;
  q.index = Idx(tenant, "client:" + client_id);
  q.record_prefix = P(tenant) + "engagement:";
  q.limit = limit;
  q.scan_budget = limit;
  auto page = records_.List(q);
  if (!page.ok()) return page.status();
  if (page->more) {
    return FailedPrecondition("TOO_MANY_ENGAGEMENTS",
                              absl::StrCat("the client has more than ", limit, " engagements"));
  }
  std::vector<Stored<v1::Engagement>> out;
  for (const auto& r : page->records) {
    auto e = Decode<v1::Engagement>(r);
    if (!e.ok()) return e.status();
    out.push_back(*std::move(e));
  }
  return out;
}

absl::StatusOr<bool> EngagementStore::PartnerWorksForClient(const std::string& tenant,
                                                            const std::string& partner,
                                                            const std::string& client_id) {
  ListQuery q;
  q.index = Idx(tenant, "partner:" + partner);
  q.members = {Idx(tenant, "client:" + client_id)};
  q.record_prefix = P(tenant) + "engagement:";
  q.limit = 1;
  q.scan_budget = 10000;
  auto page = records_.List(q);
  if (!page.ok()) return page.status();
  return !page->records.empty();
}

absl::StatusOr<ListPage> EngagementStore::ListClients(const std::string& tenant, int64_t after,
                                                      int limit) {
  ListQuery q;
  q.index = Idx(tenant, "clients");
  q.record_prefix = P(tenant) + "client:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

// ------------------------------------------------------------------ engagements

absl::StatusOr<Stored<v1::Engagement>> EngagementStore::DecodeEngagement(const Record& r) {
  return Decode<v1::Engagement>(r);
}

absl::StatusOr<absl::optional<Stored<v1::Engagement>>> EngagementStore::GetEngagement(
    const std::string& tenant, const std::string& id) {
  return ReadOne<v1::Engagement>(records_, EngagementKey(tenant, id));
}

absl::StatusOr<EngagementStore::ForUpdate> EngagementStore::GetEngagementForUpdate(
    const std::string& tenant, const std::string& id, const Idem& idem) {
  auto r = records_.ReadWithIdempotency(EngagementKey(tenant, id), idem.key, idem.fingerprint);
  if (!r.ok()) return r.status();
  ForUpdate out;
  out.replay = std::move(r->second);
  if (r->first.found()) {
    auto s = Decode<v1::Engagement>(r->first);
    if (!s.ok()) return s.status();
    out.engagement = *std::move(s);
  }
  return out;
}

absl::StatusOr<v1::Engagement> EngagementStore::CreateEngagement(const std::string& tenant,
                                                                 const std::string& id,
                                                                 v1::Engagement e, const Idem& idem,
                                                                 absl::CivilDay today) {
  e.set_etag("1");
  std::string client_id = e.client().substr(e.client().rfind('/') + 1);
  Batch b;
  AddIdem(b, idem, idem_ttl_);
  b.ExpectVersion(ClientKey(tenant, client_id), -1, "client");
  b.ExpectVersion(EngagementKey(tenant, id), 0, "engagement");
  b.AllocateOrdinal(OrdKey(tenant));
  b.AllocateReference(absl::StrCat(P(tenant), "ref:", today.year()),
                      absl::StrCat(today.year(), "-"), kReferenceField);
  b.Put(EngagementKey(tenant, id), 1, Bytes(e), kNewOrdinal, /*append_reference=*/true);
  MoveIndexes(b, tenant, id, nullptr, e, kNewOrdinal);
  b.Response(e.SerializeAsString(), /*append_reference=*/true);
  auto r = records_.Commit(b);
  if (!r.ok()) return r.status();
  v1::Engagement out;
  if (!out.ParseFromString(r->response)) return absl::InternalError("corrupt response");
  return out;
}

absl::Status EngagementStore::SaveEngagement(const std::string& tenant, const std::string& id,
                                             const Stored<v1::Engagement>& before,
                                             const v1::Engagement& after,
                                             const certpath::common::v1::OutboxEvent* event,
                                             const Idem& idem, const std::string& response) {
  Batch b;
  AddIdem(b, idem, idem_ttl_);
  b.ExpectVersion(EngagementKey(tenant, id), before.version, "engagement");
  b.Put(EngagementKey(tenant, id), before.version + 1, Bytes(after), before.ordinal);
  MoveIndexes(b, tenant, id, &before.value, after, before.ordinal);
  if (event != nullptr) {
    std::string key = absl::StrCat(P(tenant), "event:", event->id());
    b.ExpectVersion(key, 0, "event");
    b.Put(key, 1, event->SerializeAsString(), 0);
    b.ZAdd(P(tenant) + "outbox",
           event->create_time().seconds() * 1000 + event->create_time().nanos() / 1000000,
           event->id());
  }
  b.Response(response);
  return records_.Commit(b).status();
}

absl::StatusOr<ListPage> EngagementStore::ListEngagements(const std::string& tenant,
                                                          const EngagementFilter& f, int64_t after,
                                                          int limit, absl::CivilDay today) {
  // The most selective index is walked; the others filter by membership.
  std::vector<std::string> idx;
  if (!f.client_id.empty()) idx.push_back(Idx(tenant, "client:" + f.client_id));
  if (!f.partner.empty()) idx.push_back(Idx(tenant, "partner:" + f.partner));
  if (!f.consultant.empty()) idx.push_back(Idx(tenant, "consultant:" + f.consultant));
  if (f.phase != v1::PHASE_UNSPECIFIED) {
    idx.push_back(Idx(tenant, absl::StrCat("phase:", static_cast<int>(f.phase))));
  }
  ListQuery q;
  // ACTIVE and EXPIRED are both stored ACTIVE; the support end tells them apart.
  if (f.state == v1::ENGAGEMENT_STATE_ACTIVE || f.state == v1::ENGAGEMENT_STATE_EXPIRED) {
    idx.push_back(
        Idx(tenant, absl::StrCat("state:", static_cast<int>(v1::ENGAGEMENT_STATE_ACTIVE))));
    q.range_index = Idx(tenant, "active_end");
    if (f.state == v1::ENGAGEMENT_STATE_ACTIVE) {
      q.range_min = std::to_string(DayScore(today));
    } else {
      q.range_max = std::to_string(DayScore(today - 1));
    }
  } else if (f.state != v1::ENGAGEMENT_STATE_UNSPECIFIED) {
    idx.push_back(Idx(tenant, absl::StrCat("state:", static_cast<int>(f.state))));
  }
  if (idx.empty()) idx.push_back(Idx(tenant, "all"));
  q.index = idx.front();
  q.members.assign(idx.begin() + 1, idx.end());
  q.record_prefix = P(tenant) + "engagement:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

// ------------------------------------------------------------------ findings

absl::StatusOr<absl::optional<Stored<v1::Finding>>> EngagementStore::GetFinding(
    const std::string& tenant, const std::string& eid, const std::string& id) {
  return ReadOne<v1::Finding>(records_, FindingKey(tenant, eid, id));
}

absl::Status EngagementStore::SaveFinding(const std::string& tenant, const std::string& eid,
                                          const std::string& id,
                                          const Stored<v1::Engagement>& eng_before,
                                          const v1::Engagement& eng_after,
                                          const Stored<v1::Finding>* before,
                                          const v1::Finding& after, const Idem& idem,
                                          const std::string& response) {
  Batch b;
  AddIdem(b, idem, idem_ttl_);
  std::string key = FindingKey(tenant, eid, id);
  std::string ekey = EngagementKey(tenant, eid);
  b.ExpectVersion(ekey, eng_before.version, "engagement");
  b.Put(ekey, eng_before.version + 1, Bytes(eng_after), eng_before.ordinal);
  int64_t version = before ? before->version : 0;
  int64_t ordinal = before ? before->ordinal : kNewOrdinal;
  b.ExpectVersion(key, version, "finding");
  if (!before) b.AllocateOrdinal(OrdKey(tenant));
  b.Put(key, version + 1, Bytes(after), ordinal);
  std::string member = eid + "/" + id;
  if (!before) b.ZAdd(Idx(tenant, "findings:" + eid), ordinal, id);
  if (before && before->value.grade() != after.grade()) {
    b.ZRem(Idx(tenant, absl::StrCat("open_findings:", static_cast<int>(before->value.grade()))),
           member);
  }
  std::string open_by_grade =
      Idx(tenant, absl::StrCat("open_findings:", static_cast<int>(after.grade())));
  if (after.state() == v1::FINDING_STATE_OPEN) {
    b.ZAdd(Idx(tenant, "findings:" + eid + ":open"), ordinal, id);
    b.ZAdd(open_by_grade, ordinal, member);
  } else {
    b.ZRem(Idx(tenant, "findings:" + eid + ":open"), id);
    b.ZRem(open_by_grade, member);
  }
  b.Response(response);
  return records_.Commit(b).status();
}

absl::StatusOr<ListPage> EngagementStore::ListFindings(const std::string& tenant,
                                                       const std::string& eid, bool open_only,
                                                       int64_t after, int limit) {
  ListQuery q;
  q.index = Idx(tenant, "findings:" + eid + (open_only ? ":open" : ""));
  q.record_prefix = absl::StrCat(P(tenant), "finding:", eid, ":");
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

// ------------------------------------------------------------------ inquiries

absl::StatusOr<absl::optional<Stored<v1::Inquiry>>> EngagementStore::GetInquiry(
    const std::string& tenant, const std::string& eid, const std::string& id) {
  return ReadOne<v1::Inquiry>(records_, InquiryKey(tenant, eid, id));
}

absl::Status EngagementStore::SaveInquiry(const std::string& tenant, const std::string& eid,
                                          const std::string& id, const Stored<v1::Engagement>& eng,
                                          const Stored<v1::Inquiry>* before,
                                          const v1::Inquiry& after, const Idem& idem,
                                          const std::string& response) {
  Batch b;
  AddIdem(b, idem, idem_ttl_);
  // The coverage was decided on this version of the engagement (support end, retainer).
  b.ExpectVersion(EngagementKey(tenant, eid), eng.version, "engagement");
  std::string key = InquiryKey(tenant, eid, id);
  int64_t version = before ? before->version : 0;
  b.ExpectVersion(key, version, "inquiry");
  if (!before) b.AllocateOrdinal(OrdKey(tenant));
  b.Put(key, version + 1, Bytes(after), before ? before->ordinal : kNewOrdinal);
  if (!before) b.ZAdd(Idx(tenant, "inquiries:" + eid), kNewOrdinal, id);
  b.Response(response);
  return records_.Commit(b).status();
}

absl::StatusOr<ListPage> EngagementStore::ListInquiries(const std::string& tenant,
                                                        const std::string& eid, int64_t after,
                                                        int limit) {
  ListQuery q;
  q.index = Idx(tenant, "inquiries:" + eid);
  q.record_prefix = absl::StrCat(P(tenant), "inquiry:", eid, ":");
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

// ------------------------------------------------------------------ outbox

absl::StatusOr<std::vector<EngagementStore::PendingEvent>> EngagementStore::PendingEvents(
    const std::string& tenant, int limit) {
  auto ids =
      records_.redis().Command({"ZRANGE", P(tenant) + "outbox", "0", std::to_string(limit - 1)});
  if (!ids.ok()) return ids.status();
  std::vector<std::string> keys;
  for (const auto& e : ids->elements) keys.push_back(absl::StrCat(P(tenant), "event:", e.str));
  std::vector<PendingEvent> out;
  if (keys.empty()) return out;
  auto recs = records_.ReadMany(keys);
  if (!recs.ok()) return recs.status();
  for (size_t i = 0; i < recs->size(); ++i) {
    PendingEvent p;
    p.id = ids->elements[i].str;
    if (!(*recs)[i].found() || !p.event.ParseFromString((*recs)[i].data)) continue;
    out.push_back(std::move(p));
  }
  return out;
}

absl::Status EngagementStore::MarkEvent(const std::string& tenant, const std::string& id,
                                        bool delivered, int64_t now_ms) {
  Batch b;
  b.ZRem(P(tenant) + "outbox", id);
  b.ZAdd(P(tenant) + (delivered ? "outbox_delivered" : "outbox_dead"), now_ms, id);
  return records_.Commit(b).status();
}

// ------------------------------------------------------------------ metrics

absl::StatusOr<TenantStats> EngagementStore::Stats(const std::string& tenant,
                                                   absl::CivilDay today) {
  std::vector<RedisPool::Args> cmds;
  std::deque<std::string> keys;  // owns the strings the Args view; never moves them
  auto zcard = [&](std::string key) {
    keys.push_back(std::move(key));
    cmds.push_back({"ZCARD", keys.back()});
  };
  for (int p = 1; p <= 8; ++p) zcard(Idx(tenant, absl::StrCat("phase:", p)));
  for (int s = 1; s <= 4; ++s) zcard(Idx(tenant, absl::StrCat("state:", s)));
  for (int g = 1; g <= 4; ++g) zcard(Idx(tenant, absl::StrCat("open_findings:", g)));
  zcard(P(tenant) + "outbox");
  keys.push_back(Idx(tenant, "active_end"));
  std::deque<std::string> bounds;
  for (int d : {-1, 0, 30, 60, 90}) bounds.push_back(std::to_string(DayScore(today + d)));
  cmds.push_back({"ZCOUNT", keys.back(), "-inf", bounds[0]});  // expired
  cmds.push_back({"ZCOUNT", keys.back(), bounds[1], bounds[2]});
  cmds.push_back({"ZCOUNT", keys.back(), bounds[1], bounds[3]});
  cmds.push_back({"ZCOUNT", keys.back(), bounds[1], bounds[4]});
  keys.push_back(P(tenant) + "outbox");
  cmds.push_back({"ZRANGE", keys.back(), "0", "0", "WITHSCORES"});
  auto r = records_.redis().Pipeline(cmds);
  if (!r.ok()) return r.status();
  const auto& rep = *r;
  TenantStats s;
  s.by_phase.assign(9, 0);
  s.by_state.assign(5, 0);
  s.open_findings_by_grade.assign(5, 0);
  size_t i = 0;
  for (int p = 1; p <= 8; ++p) s.by_phase[p] = rep[i++].integer;
  for (int st = 1; st <= 4; ++st) s.by_state[st] = rep[i++].integer;
  for (int g = 1; g <= 4; ++g) s.open_findings_by_grade[g] = rep[i++].integer;
  s.outbox_backlog = rep[i++].integer;
  int64_t expired = rep[i++].integer;
  s.by_state[v1::ENGAGEMENT_STATE_ACTIVE] -= expired;
  s.by_state[v1::ENGAGEMENT_STATE_EXPIRED] = expired;
  s.ending_30 = rep[i++].integer;
  s.ending_60 = rep[i++].integer;
  s.ending_90 = rep[i++].integer;
  const auto& oldest = rep[i++];
  if (oldest.elements.size() == 2) s.outbox_oldest_ms = std::stoll(oldest.elements[1].str);
  return s;
}

}  // namespace certpath::engagements
