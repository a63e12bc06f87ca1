#include "services/engagements/store.h"

#include <deque>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::engagements {
namespace {

constexpr int kReferenceField = 2;  // Engagement.reference_number

std::set<std::string> IndexNames(const v1::Engagement& e) {
  std::set<std::string> out = {"all", absl::StrCat("phase:", static_cast<int>(e.phase())),
                               absl::StrCat("state:", static_cast<int>(e.state()))};
  out.insert("client:" + LastSegment(e.client()));
  if (!e.lead_consultant().empty()) out.insert("consultant:" + e.lead_consultant());
  for (const auto& c : e.consultants()) out.insert("consultant:" + c);
  for (const auto& p : e.partner_organizations()) out.insert("partner:" + p);
  return out;
}

}  // namespace

// ------------------------------------------------------------------ clients

absl::StatusOr<absl::optional<Stored<v1::Client>>> EngagementStore::GetClient(
    const std::string& tenant, const std::string& id) {
  return Read<v1::Client>(keys_.Key(tenant, "client", id));
}

absl::StatusOr<v1::Client> EngagementStore::CreateClient(const std::string& tenant,
                                                         const std::string& id,
                                                         const v1::Client& client,
                                                         const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  int64_t ord = PutStored<v1::Client>(b, keys_.Key(tenant, "client", id), nullptr, client,
                                      keys_.Ordinals(tenant), "client");
  b.ZAdd(keys_.Index(tenant, "clients"), ord, id);
  v1::Client response = client;
  response.set_etag("1");
  b.Response(response.SerializeAsString());
  v1::Client out;
  if (auto r = CommitInto(b, &out); !r.ok()) return r.status();
  return out;
}

absl::StatusOr<v1::Client> EngagementStore::SaveClient(
    const std::string& tenant, const std::string& id, const v1::Client& client,
    const Stored<v1::Client>& before, const Idem& idem,
    const std::vector<std::pair<Stored<v1::Engagement>, v1::Engagement>>* engagements,
    const std::vector<certpath::common::v1::OutboxEvent>& events) {
  Batch b;
  AddIdem(b, idem);
  PutStored(b, keys_.Key(tenant, "client", id), &before, client, keys_.Ordinals(tenant), "client");
  for (const auto& ev : events) outbox_.Publish(b, ev);
  if (engagements != nullptr) {
    // The client's engagements are the ones read: one created meanwhile aborts (and retries).
    b.ExpectCount(keys_.Index(tenant, "client:" + id), static_cast<int64_t>(engagements->size()),
                  "the client's engagements");
  }
  if (engagements != nullptr) {
    for (const auto& [eb, ea] : *engagements) {
      PutStored(b, keys_.Key(tenant, "engagement", LastSegment(ea.name())), &eb, ea,
                keys_.Ordinals(tenant), "engagement");
    }
  }
  v1::Client response = client;
  response.set_etag(std::to_string(before.version + 1));
  b.Response(response.SerializeAsString());
  v1::Client out;
  if (auto r = CommitInto(b, &out); !r.ok()) return r.status();
  return out;
}

absl::StatusOr<v1::Client> EngagementStore::DeleteClient(const std::string& tenant,
                                                         const std::string& id,
                                                         const Stored<v1::Client>& before,
                                                         const v1::Client& tombstone,
                                                         const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  std::string key = keys_.Key(tenant, "client", id);
  b.ExpectVersion(key, before.version, "client");
  // In the same step as the delete: a concurrent CreateEngagement either came
  // first (the delete is refused) or finds the client gone (NOT_FOUND).
  b.ExpectEmpty(keys_.Index(tenant, "client:" + id), "the client has engagements");
  b.Delete(key);
  b.ZRem(keys_.Index(tenant, "clients"), id);
  b.Put(keys_.Key(tenant, "deleted_client", id), 1, StoredBytes(tombstone), before.ordinal);
  b.Response(tombstone.SerializeAsString());
  v1::Client out;
  if (auto r = CommitInto(b, &out); !r.ok()) return r.status();
  return out;
}

absl::StatusOr<std::vector<Stored<v1::Engagement>>> EngagementStore::EngagementsOfClient(
    const std::string& tenant, const std::string& client_id, int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, "client:" + client_id);
  q.record_prefix = keys_.Prefix(tenant) + "engagement:";
  q.limit = limit;
  q.scan_budget = limit;
  auto page = records_.List(q);
  if (!page.ok()) return page.status();
  if (page->more) {
    return FailedPrecondition("TOO_MANY_ENGAGEMENTS",
                              absl::StrCat("the client has more than ", limit, " engagements"));
  }
  return DecodeAll<v1::Engagement>(page->records);
}

absl::StatusOr<bool> EngagementStore::PartnerWorksForClient(const std::string& tenant,
                                                            const std::string& partner,
                                                            const std::string& client_id) {
  ListQuery q;
  q.index = keys_.Index(tenant, "partner:" + partner);
  q.members = {keys_.Index(tenant, "client:" + client_id)};
  q.record_prefix = keys_.Prefix(tenant) + "engagement:";
  q.limit = 1;
  q.scan_budget = 10000;
  auto page = records_.List(q);
  if (!page.ok()) return page.status();
  return !page->records.empty();
}

absl::StatusOr<ListPage> EngagementStore::ListClients(const std::string& tenant, int64_t after,
                                                      int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, "clients");
  q.record_prefix = keys_.Prefix(tenant) + "client:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

// ------------------------------------------------------------------ engagements

absl::StatusOr<absl::optional<Stored<v1::Engagement>>> EngagementStore::GetEngagement(
    const std::string& tenant, const std::string& id) {
  return Read<v1::Engagement>(keys_.Key(tenant, "engagement", id));
}

absl::StatusOr<EngagementStore::ForUpdate> EngagementStore::GetEngagementForUpdate(
    const std::string& tenant, const std::string& id, const Idem& idem) {
  auto r =
      records_.ReadWithIdempotency(keys_.Key(tenant, "engagement", id), idem.key, idem.fingerprint);
  if (!r.ok()) return r.status();
  ForUpdate out;
  out.replay = std::move(r->second);
  if (r->first.found()) {
    auto s = DecodeStored<v1::Engagement>(r->first);
    if (!s.ok()) return s.status();
    out.engagement = *std::move(s);
  }
  return out;
}

absl::StatusOr<v1::Engagement> EngagementStore::CreateEngagement(
    const std::string& tenant, const std::string& id, const v1::Engagement& e, const Idem& idem,
    absl::CivilDay today, const std::vector<certpath::common::v1::OutboxEvent>& events) {
  Batch b;
  AddIdem(b, idem);
  b.ExpectVersion(keys_.Key(tenant, "client", LastSegment(e.client())), -1, "client");
  b.AllocateReference(absl::StrCat(keys_.Prefix(tenant), "ref:", today.year()),
                      absl::StrCat(today.year(), "-"), kReferenceField);
  int64_t ord = PutStored<v1::Engagement>(b, keys_.Key(tenant, "engagement", id), nullptr, e,
                                          keys_.Ordinals(tenant), "engagement",
                                          /*append_reference=*/true);
  for (const auto& n : IndexNames(e)) b.ZAdd(keys_.Index(tenant, n), ord, id);
  if (auto end = ToCivilDay(e.support_end()); end && e.state() == v1::ENGAGEMENT_STATE_ACTIVE) {
    b.ZAdd(keys_.Index(tenant, "active_end"), DayScore(*end), id);
  }
  for (const auto& ev : events) outbox_.Publish(b, ev);
  v1::Engagement response = e;
  response.set_etag("1");
  b.Response(response.SerializeAsString(), /*append_reference=*/true);
  v1::Engagement out;
  if (auto r = CommitInto(b, &out); !r.ok()) return r.status();
  return out;
}

absl::StatusOr<CommitResult> EngagementStore::SaveEngagement(
    const std::string& tenant, const std::string& id, const Stored<v1::Engagement>& before,
    const v1::Engagement& after, const EngagementEffects& fx, const Idem& idem,
    const std::string& response) {
  Batch b;
  AddIdem(b, idem);
  std::string key = keys_.Key(tenant, "engagement", id);
  if (!fx.engagement_changed) {
    // The decision was taken on this version (e.g. an inquiry's coverage).
    b.ExpectVersion(key, before.version, "engagement");
  } else {
    PutStored(b, key, &before, after, keys_.Ordinals(tenant), "engagement");
    std::set<std::string> old_idx = IndexNames(before.value), new_idx = IndexNames(after);
    for (const auto& n : old_idx) {
      if (!new_idx.count(n)) b.ZRem(keys_.Index(tenant, n), id);
    }
    for (const auto& n : new_idx) {
      if (!old_idx.count(n)) b.ZAdd(keys_.Index(tenant, n), before.ordinal, id);
    }
    auto end = ToCivilDay(after.support_end());
    if (after.state() == v1::ENGAGEMENT_STATE_ACTIVE && end) {
      b.ZAdd(keys_.Index(tenant, "active_end"), DayScore(*end), id);
    } else {
      b.ZRem(keys_.Index(tenant, "active_end"), id);
    }
  }
  for (const auto& ev : fx.events) outbox_.Publish(b, ev);
  if (fx.finding) PutFinding(b, tenant, id, *fx.finding);
  if (fx.inquiry) PutInquiry(b, tenant, id, *fx.inquiry);
  b.Response(response);
  return Commit(b);
}

absl::StatusOr<ListPage> EngagementStore::ListEngagements(const std::string& tenant,
                                                          const EngagementFilter& f, int64_t after,
                                                          int limit, absl::CivilDay today) {
  auto idx_of = [&](absl::string_view n) { return keys_.Index(tenant, n); };
  // The most selective index is walked; the others filter by membership.
  std::vector<std::string> idx;
  if (!f.client_id.empty()) idx.push_back(idx_of("client:" + f.client_id));
  if (!f.partner.empty()) idx.push_back(idx_of("partner:" + f.partner));
  if (!f.consultant.empty()) idx.push_back(idx_of("consultant:" + f.consultant));
  if (f.phase != v1::PHASE_UNSPECIFIED) {
    idx.push_back(idx_of(absl::StrCat("phase:", static_cast<int>(f.phase))));
  }
  ListQuery q;
  // ACTIVE and EXPIRED are both stored ACTIVE; the support end tells them apart.
  if (f.state == v1::ENGAGEMENT_STATE_ACTIVE || f.state == v1::ENGAGEMENT_STATE_EXPIRED) {
    idx.push_back(idx_of(absl::StrCat("state:", static_cast<int>(v1::ENGAGEMENT_STATE_ACTIVE))));
    q.range_index = idx_of("active_end");
    if (f.state == v1::ENGAGEMENT_STATE_ACTIVE) {
      q.range_min = std::to_string(DayScore(today));
    } else {
      q.range_max = std::to_string(DayScore(today - 1));
    }
  } else if (f.state != v1::ENGAGEMENT_STATE_UNSPECIFIED) {
    idx.push_back(idx_of(absl::StrCat("state:", static_cast<int>(f.state))));
  }
  if (idx.empty()) idx.push_back(idx_of("all"));
  q.index = idx.front();
  q.members.assign(idx.begin() + 1, idx.end());
  q.record_prefix = keys_.Prefix(tenant) + "engagement:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

// ------------------------------------------------------------------ findings

absl::StatusOr<absl::optional<Stored<v1::Finding>>> EngagementStore::GetFinding(
    const std::string& tenant, const std::string& eid, const std::string& id) {
  return Read<v1::Finding>(keys_.Key(tenant, "finding", eid + ":" + id));
}

void EngagementStore::PutFinding(Batch& b, const std::string& tenant, const std::string& eid,
                                 const ChildWrite<v1::Finding>& w) {
  const Stored<v1::Finding>* before = w.before ? &*w.before : nullptr;
  int64_t ord = PutStored(b, keys_.Key(tenant, "finding", eid + ":" + w.id), before, w.after,
                          keys_.Ordinals(tenant), "finding");
  std::string member = eid + "/" + w.id;
  auto by_grade = [&](v1::FindingGrade g) {
    return keys_.Index(tenant, absl::StrCat("open_findings:", static_cast<int>(g)));
  };
  if (!before) b.ZAdd(keys_.Index(tenant, "findings:" + eid), ord, w.id);
  if (before && before->value.grade() != w.after.grade()) {
    b.ZRem(by_grade(before->value.grade()), member);
  }
  if (w.after.state() == v1::FINDING_STATE_OPEN) {
    b.ZAdd(keys_.Index(tenant, "findings:" + eid + ":open"), ord, w.id);
    b.ZAdd(by_grade(w.after.grade()), ord, member);
  } else {
    b.ZRem(keys_.Index(tenant, "findings:" + eid + ":open"), w.id);
    b.ZRem(by_grade(w.after.grade()), member);
  }
}

absl::StatusOr<ListPage> EngagementStore::ListFindings(const std::string& tenant,
                                                       const std::string& eid, bool open_only,
                                                       int64_t after, int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, "findings:" + eid + (open_only ? ":open" : ""));
  q.record_prefix = absl::StrCat(keys_.Prefix(tenant), "finding:", eid, ":");
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

// ------------------------------------------------------------------ inquiries

absl::StatusOr<absl::optional<Stored<v1::Inquiry>>> EngagementStore::GetInquiry(
    const std::string& tenant, const std::string& eid, const std::string& id) {
  return Read<v1::Inquiry>(keys_.Key(tenant, "inquiry", eid + ":" + id));
}

void EngagementStore::PutInquiry(Batch& b, const std::string& tenant, const std::string& eid,
                                 const ChildWrite<v1::Inquiry>& w) {
  const Stored<v1::Inquiry>* before = w.before ? &*w.before : nullptr;
  int64_t ord = PutStored(b, keys_.Key(tenant, "inquiry", eid + ":" + w.id), before, w.after,
                          keys_.Ordinals(tenant), "inquiry");
  if (!before) b.ZAdd(keys_.Index(tenant, "inquiries:" + eid), ord, w.id);
}

absl::StatusOr<ListPage> EngagementStore::ListInquiries(const std::string& tenant,
                                                        const std::string& eid, int64_t after,
                                                        int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, "inquiries:" + eid);
  q.record_prefix = absl::StrCat(keys_.Prefix(tenant), "inquiry:", eid, ":");
  q.after = after;
  q.limit = limit;
  return records_.List(q);
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
  for (int p = 1; p <= 8; ++p) zcard(keys_.Index(tenant, absl::StrCat("phase:", p)));
  for (int s = 1; s <= 4; ++s) zcard(keys_.Index(tenant, absl::StrCat("state:", s)));
  for (int g = 1; g <= 4; ++g) zcard(keys_.Index(tenant, absl::StrCat("open_findings:", g)));
  keys.push_back(keys_.Index(tenant, "active_end"));
  std::deque<std::string> bounds;
  for (int d : {-1, 0, 30, 60, 90}) bounds.push_back(std::to_string(DayScore(today + d)));
  cmds.push_back({"ZCOUNT", keys.back(), "-inf", bounds[0]});  // expired
  cmds.push_back({"ZCOUNT", keys.back(), bounds[1], bounds[2]});
  cmds.push_back({"ZCOUNT", keys.back(), bounds[1], bounds[3]});
  cmds.push_back({"ZCOUNT", keys.back(), bounds[1], bounds[4]});
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
  int64_t expired = rep[i++].integer;
  s.by_state[v1::ENGAGEMENT_STATE_ACTIVE] -= expired;
  s.by_state[v1::ENGAGEMENT_STATE_EXPIRED] = expired;
  s.ending_30 = rep[i++].integer;
  s.ending_60 = rep[i++].integer;
  s.ending_90 = rep[i++].integer;
  return s;
}

}  // namespace certpath::engagements
