#include "services/billing/store.h"

#include <deque>

#include "absl/strings/str_cat.h"
#include "services/billing/domain/money.h"
#include "services/common/idempotency.h"
#include "services/common/validate.h"

namespace certpath::billing {
namespace {

std::string P(const std::string& t) { return absl::StrCat("bill:{t:", t, "}:"); }
std::string Idx(const std::string& t, absl::string_view n) { return absl::StrCat(P(t), "idx:", n); }
std::string Key(const std::string& t, absl::string_view kind, absl::string_view id) {
  return absl::StrCat(P(t), kind, ":", id);
}
std::string EngagementId(const std::string& name) { return name.substr(name.rfind('/') + 1); }
constexpr char kTenantsKey[] = "bill:tenants";
constexpr int kInvoiceNumberField = 2;  // Invoice.number

template <typename T>
absl::StatusOr<absl::optional<Stored<T>>> ReadOne(RecordStore& records, const std::string& key) {
  auto r = records.Read(key);
  if (!r.ok()) return r.status();
  if (!r->found()) return absl::optional<Stored<T>>();
  Stored<T> s;
  if (!s.value.ParseFromString(r->data)) return absl::InternalError("corrupt record");
  s.version = r->version;
  s.ordinal = r->ordinal;
  return absl::optional<Stored<T>>(std::move(s));
}

template <typename T>
std::string Bytes(T m) {
  m.clear_etag();
  return m.SerializeAsString();
}
std::string Bytes(const v1::BillingEvent& e) { return e.SerializeAsString(); }

bool Open(const v1::Invoice& inv) {
  return inv.state() == v1::INVOICE_STATE_ISSUED && inv.balance_jpy() > 0;
}

}  // namespace

int64_t DayScore(absl::CivilDay d) { return d.year() * 10000 + d.month() * 100 + d.day(); }

std::string BillingStore::IdemKey(const std::string& tenant, const Principal& p,
                                  const std::string& request_id) {
  return IdempotencyKey(P(tenant), p, request_id);
}

absl::Status BillingStore::RegisterTenant(const std::string& tenant) {
  auto r = records_.redis().Command({"SADD", kTenantsKey, tenant});
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<std::vector<std::string>> BillingStore::Tenants() {
  auto r = records_.redis().Command({"SMEMBERS", kTenantsKey});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (const auto& e : r->elements) out.push_back(e.str);
  return out;
}

absl::StatusOr<Stored<v1::BillingSettings>> BillingStore::GetSettings(const std::string& tenant) {
  auto got = ReadOne<v1::BillingSettings>(records_, P(tenant) + "settings");
  if (!got.ok()) return got.status();
  Stored<v1::BillingSettings> s;
  if (got->has_value()) {
    s = **got;
  } else {
    s.value = domain::DefaultSettings();
  }
  s.value.set_name(absl::StrCat("tenants/", tenant, "/billingSettings"));
  s.value.set_etag(std::to_string(s.version));
  return s;
}

absl::StatusOr<absl::optional<Stored<v1::Quote>>> BillingStore::GetQuote(const std::string& tenant,
                                                                         const std::string& id) {
  auto q = ReadOne<v1::Quote>(records_, Key(tenant, "quote", id));
  if (q.ok() && q->has_value()) (*q)->value.set_etag(std::to_string((*q)->version));
  return q;
}

absl::StatusOr<BillingStore::Accepted> BillingStore::GetAcceptedQuote(const std::string& tenant,
                                                                      const std::string& eid) {
  auto ptr = records_.Read(Key(tenant, "accepted", eid));
  if (!ptr.ok()) return ptr.status();
  Accepted out;
  out.pointer_version = ptr->version;
  if (!ptr->found()) return out;
  auto q = GetQuote(tenant, ptr->data);
  if (!q.ok()) return q.status();
  out.quote = *std::move(q);
  return out;
}

absl::StatusOr<absl::optional<Stored<v1::BillingEvent>>> BillingStore::GetEvent(
    const std::string& tenant, const std::string& id) {
  return ReadOne<v1::BillingEvent>(records_, Key(tenant, "event", id));
}

absl::StatusOr<std::vector<Stored<v1::BillingEvent>>> BillingStore::EventsNeedingQuote(
    const std::string& tenant, const std::string& eid) {
  ListQuery q;
  q.index = Idx(tenant, "events:needs_quote:" + eid);
  q.record_prefix = P(tenant) + "event:";
  q.limit = 100;
  auto page = records_.List(q);
  if (!page.ok()) return page.status();
  std::vector<Stored<v1::BillingEvent>> out;
  for (const Record& r : page->records) {
    Stored<v1::BillingEvent> s;
    if (!s.value.ParseFromString(r.data)) return absl::InternalError("corrupt record");
    s.version = r.version;
    s.ordinal = r.ordinal;
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<absl::optional<Stored<v1::Invoice>>> BillingStore::GetInvoice(
    const std::string& tenant, const std::string& id) {
  auto inv = ReadOne<v1::Invoice>(records_, Key(tenant, "invoice", id));
  if (inv.ok() && inv->has_value()) (*inv)->value.set_etag(std::to_string((*inv)->version));
  return inv;
}

void BillingStore::PutSettings(Batch& b, const std::string& tenant, int64_t before_version,
                               const v1::BillingSettings& s) {
  std::string key = P(tenant) + "settings";
  b.ExpectVersion(key, before_version, "billing settings");
  b.Put(key, before_version + 1, Bytes(s), 0);
}

void BillingStore::PutQuote(Batch& b, const std::string& tenant, const std::string& id,
                            const Stored<v1::Quote>* before, const v1::Quote& q) {
  std::string key = Key(tenant, "quote", id);
  int64_t version = before ? before->version : 0;
  b.ExpectVersion(key, version, "quote");
  if (!before) b.AllocateOrdinal(P(tenant) + "ord");
  int64_t ord = before ? before->ordinal : kNewOrdinal;
  b.Put(key, version + 1, Bytes(q), ord);
  if (!before) {
    b.ZAdd(Idx(tenant, "quotes"), ord, id);
    b.ZAdd(Idx(tenant, "quotes:eng:" + EngagementId(q.engagement())), ord, id);
  }
}

void BillingStore::PutAccepted(Batch& b, const std::string& tenant, const std::string& eid,
                               const std::string& quote_id) {
  std::string key = Key(tenant, "accepted", eid);
  b.ExpectVersion(key, 0, "accepted quote");  // one accepted quote per engagement
  b.Put(key, 1, quote_id, 0);
}

void BillingStore::PutEvent(Batch& b, const std::string& tenant, const std::string& id,
                            const Stored<v1::BillingEvent>* before, const v1::BillingEvent& e) {
  std::string key = Key(tenant, "event", id);
  int64_t version = before ? before->version : 0;
  b.ExpectVersion(key, version, "billing event");
  if (!before) b.AllocateOrdinal(P(tenant) + "ord");
  int64_t ord = before ? before->ordinal : kNewOrdinal;
  b.Put(key, version + 1, Bytes(e), ord);
  std::string eid = EngagementId(e.engagement());
  if (!before) {
    b.ZAdd(Idx(tenant, "events"), ord, id);
    b.ZAdd(Idx(tenant, "events:eng:" + eid), ord, id);
  }
  if (e.state() == v1::BILLING_EVENT_STATE_NEEDS_QUOTE) {
    b.ZAdd(Idx(tenant, "events:needs_quote"), ord, id);
    b.ZAdd(Idx(tenant, "events:needs_quote:" + eid), ord, id);
  } else if (before) {
    b.ZRem(Idx(tenant, "events:needs_quote"), id);
    b.ZRem(Idx(tenant, "events:needs_quote:" + eid), id);
  }
}

void BillingStore::AllocateInvoiceNumber(Batch& b, const std::string& tenant) {
  b.AllocateReference(P(tenant) + "invoice_seq", "INV-", kInvoiceNumberField);
}

void BillingStore::PutInvoice(Batch& b, const std::string& tenant, const std::string& id,
                              const Stored<v1::Invoice>* before, const v1::Invoice& inv,
                              bool append_number) {
  std::string key = Key(tenant, "invoice", id);
  int64_t version = before ? before->version : 0;
  b.ExpectVersion(key, version, "invoice");
  if (!before) b.AllocateOrdinal(P(tenant) + "ord");
  int64_t ord = before ? before->ordinal : kNewOrdinal;
  b.Put(key, version + 1, Bytes(inv), ord, append_number);
  if (!before) {
    b.ZAdd(Idx(tenant, "invoices"), ord, id);
    b.ZAdd(Idx(tenant, "invoices:eng:" + EngagementId(inv.engagement())), ord, id);
  }
  if (before && before->value.state() != inv.state()) {
    b.ZRem(Idx(tenant, absl::StrCat("invoices:state:", static_cast<int>(before->value.state()))),
           id);
  }
  b.ZAdd(Idx(tenant, absl::StrCat("invoices:state:", static_cast<int>(inv.state()))), ord, id);
  auto issued = ToCivilDay(inv.issue_date());
  if (issued && inv.state() != v1::INVOICE_STATE_VOID) {
    b.ZAdd(Idx(tenant, "invoices:issued"), DayScore(*issued), id);
  } else {
    b.ZRem(Idx(tenant, "invoices:issued"), id);
  }
  auto due = ToCivilDay(inv.due_date());
  if (Open(inv) && due) {
    b.ZAdd(Idx(tenant, "invoices:open_due"), DayScore(*due), id);
    b.ZAdd(Idx(tenant, "invoices:open_balance"), inv.balance_jpy(), id);
  } else if (before) {
    b.ZRem(Idx(tenant, "invoices:open_due"), id);
    b.ZRem(Idx(tenant, "invoices:open_balance"), id);
  }
}

absl::StatusOr<ListPage> BillingStore::ListQuotes(const std::string& tenant, const std::string& eid,
                                                  int64_t after, int limit) {
  ListQuery q;
  q.index = Idx(tenant, eid.empty() ? "quotes" : "quotes:eng:" + eid);
  q.record_prefix = P(tenant) + "quote:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> BillingStore::ListEvents(const std::string& tenant, bool needs_quote_only,
                                                  const std::string& eid, int64_t after,
                                                  int limit) {
  ListQuery q;
  if (eid.empty()) {
    q.index = Idx(tenant, needs_quote_only ? "events:needs_quote" : "events");
  } else {
    q.index = Idx(tenant, (needs_quote_only ? "events:needs_quote:" : "events:eng:") + eid);
  }
  q.record_prefix = P(tenant) + "event:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> BillingStore::ListInvoices(const std::string& tenant,
                                                    v1::InvoiceState state, const std::string& eid,
                                                    bool overdue_only, absl::CivilDay today,
                                                    int64_t after, int limit) {
  std::vector<std::string> idx;
  if (!eid.empty()) idx.push_back(Idx(tenant, "invoices:eng:" + eid));
  if (overdue_only) state = v1::INVOICE_STATE_ISSUED;
  if (state != v1::INVOICE_STATE_UNSPECIFIED) {
    idx.push_back(Idx(tenant, absl::StrCat("invoices:state:", static_cast<int>(state))));
  }
  if (idx.empty()) idx.push_back(Idx(tenant, "invoices"));
  ListQuery q;
  q.index = idx.front();
  q.members.assign(idx.begin() + 1, idx.end());
  if (overdue_only) {
    q.range_index = Idx(tenant, "invoices:open_due");
    q.range_max = std::to_string(DayScore(today - 1));
  }
  q.record_prefix = P(tenant) + "invoice:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<std::vector<v1::Invoice>> BillingStore::InvoicesIssuedBetween(
    const std::string& tenant, absl::CivilDay from, absl::CivilDay to, int limit) {
  std::string lo = std::to_string(DayScore(from)), hi = std::to_string(DayScore(to));
  std::string lim = std::to_string(limit + 1);
  std::string key = Idx(tenant, "invoices:issued");
  auto ids = records_.redis().Command({"ZRANGEBYSCORE", key, lo, hi, "LIMIT", "0", lim});
  if (!ids.ok()) return ids.status();
  if (static_cast<int>(ids->elements.size()) > limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", limit, " invoices in the range; export a shorter range"));
  }
  std::vector<std::string> keys;
  for (const auto& e : ids->elements) keys.push_back(Key(tenant, "invoice", e.str));
  auto recs = records_.ReadMany(keys);
  if (!recs.ok()) return recs.status();
  std::vector<v1::Invoice> out;
  for (const Record& r : *recs) {
    v1::Invoice inv;
    if (r.found() && inv.ParseFromString(r.data)) out.push_back(std::move(inv));
  }
  return out;
}

absl::StatusOr<TenantBillingStats> BillingStore::Stats(const std::string& tenant,
                                                       absl::CivilDay today) {
  static const RedisScript kStats(R"lua(
local out, overdue_n, overdue_sum = 0, 0, 0
local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 2, #all, 2 do out = out + tonumber(all[i]) end
local late = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, id in ipairs(late) do
  local bal = redis.call('ZSCORE', KEYS[1], id)
  if bal then overdue_n = overdue_n + 1; overdue_sum = overdue_sum + tonumber(bal) end
end
return {out, overdue_n, overdue_sum, redis.call('ZCARD', KEYS[3])}
)lua");
  std::string k1 = Idx(tenant, "invoices:open_balance"), k2 = Idx(tenant, "invoices:open_due"),
              k3 = Idx(tenant, "events:needs_quote"),
              yesterday = std::to_string(DayScore(today - 1));
  auto r = records_.redis().Eval(kStats, {k1, k2, k3}, {yesterday});
  if (!r.ok()) return r.status();
  if (r->is_error() || r->elements.size() != 4) return absl::InternalError("stats: " + r->str);
  TenantBillingStats s;
  s.outstanding_jpy = r->elements[0].integer;
  s.overdue_count = r->elements[1].integer;
  s.overdue_jpy = r->elements[2].integer;
  s.needs_quote = r->elements[3].integer;
  return s;
}

}  // namespace certpath::billing
