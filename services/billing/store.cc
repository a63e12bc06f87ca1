#include "services/billing/store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/billing/domain/money.h"
#include "services/common/validate.h"

namespace certpath::billing {
namespace {

constexpr int kInvoiceNumberField = 2;  // Invoice.number

bool Open(const v1::Invoice& inv) {
  return inv.state() == v1::INVOICE_STATE_ISSUED && inv.balance_jpy() > 0;
}

}  // namespace

// ------------------------------------------------------------------ reads

absl::StatusOr<Stored<v1::BillingSettings>> BillingStore::GetSettings(const std::string& tenant) {
  auto got = Read<v1::BillingSettings>(keys_.Prefix(tenant) + "settings");
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
  return Read<v1::Quote>(keys_.Key(tenant, "quote", id));
}

absl::StatusOr<BillingStore::Accepted> BillingStore::GetAcceptedQuote(const std::string& tenant,
                                                                      const std::string& eid) {
  auto ptr = records_.Read(keys_.Key(tenant, "accepted", eid));
  if (!ptr.ok()) return ptr.status();
  Accepted out;
  out.pointer_version = ptr->version;
  if (!ptr->found()) return out;
  auto q = GetQuote(tenant, ptr->data);
  if (!q.ok()) return q.status();
  out.quote = *std::move(q);
  return out;
}

absl::StatusOr<std::vector<Stored<v1::BillingEvent>>> BillingStore::EventsNeedingQuote(
    const std::string& tenant, const std::string& eid) {
  ListQuery q;
  q.index = keys_.Index(tenant, "events:needs_quote:" + eid);
  q.record_prefix = keys_.Prefix(tenant) + "event:";
  q.limit = 100;
  auto page = records_.List(q);
  if (!page.ok()) return page.status();
  return DecodeAll<v1::BillingEvent>(page->records);
}

absl::StatusOr<absl::optional<Stored<v1::Invoice>>> BillingStore::GetInvoice(
    const std::string& tenant, const std::string& id) {
  return Read<v1::Invoice>(keys_.Key(tenant, "invoice", id));
}

absl::StatusOr<absl::optional<absl::CivilDay>> BillingStore::LatestNumberedDay(
    const std::string& tenant, absl::CivilDay today) {
  auto last = records_.redis().Command(
      {"ZREVRANGEBYSCORE", keys_.Index(tenant, "invoices:numbered"),
       std::to_string(DayScore(today)), "-inf", "WITHSCORES", "LIMIT", "0", "1"});
  if (!last.ok()) return last.status();
  int64_t score = 0;
  if (last->elements.size() == 2 && absl::SimpleAtoi(last->elements[1].str, &score)) {
    return absl::optional<absl::CivilDay>(DayFromScore(score));
  }
  return absl::optional<absl::CivilDay>();
}

absl::StatusOr<bool> BillingStore::NumberedIndexComplete(const std::string& tenant) {
  auto indexed = records_.redis().Command({"ZCARD", keys_.Index(tenant, "invoices:numbered")});
  if (!indexed.ok()) return indexed.status();
  auto allocated = records_.redis().Command({"GET", keys_.Prefix(tenant) + "invoice_seq"});
  if (!allocated.ok()) return allocated.status();
  int64_t n = 0;
  if (!allocated->str.empty() && !absl::SimpleAtoi(allocated->str, &n)) {
    return absl::InternalError("invoice_seq is not a number");
  }
  return indexed->integer >= n;
}

template <typename T>
absl::Status BillingStore::AddMissing(
    const std::string& tenant, const std::string& index, const char* kind,
    const std::vector<std::string>& ids,
    const std::function<absl::optional<int64_t>(const T&)>& score) {
  std::vector<std::string> keys;
  for (const auto& id : ids) keys.push_back(keys_.Key(tenant, kind, id));
  auto recs = records_.ReadMany(keys);
  if (!recs.ok()) return recs.status();
  // NX: a score written meanwhile by a step is newer than this read.
  std::vector<std::string> add = {"ZADD", index, "NX"};
  for (const Record& r : *recs) {
    T value;
    if (!r.found() || !value.ParseFromString(r.data)) continue;
    if (auto sc = score(value)) {
      add.push_back(std::to_string(*sc));
      add.push_back(LastSegment(value.name()));
    }
  }
  if (add.size() == 3) return absl::OkStatus();
  auto r = records_.redis().Command(RedisPool::Args(add.begin(), add.end()));
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<std::vector<std::string>> BillingStore::Members(const std::string& index) {
  auto ids = records_.redis().Command({"ZRANGE", index, "0", "-1"});
  if (!ids.ok()) return ids.status();
  std::vector<std::string> out;
  for (const auto& e : ids->elements) out.push_back(e.str);
  return out;
}

absl::Status BillingStore::CompleteQuoteStates(const std::string& tenant) {
  std::string all = keys_.Index(tenant, "quotes"), by_state = keys_.Index(tenant, "quotes:state");
  auto n = records_.redis().Command({"ZCARD", all});
  if (!n.ok()) return n.status();
  auto m = records_.redis().Command({"ZCARD", by_state});
  if (!m.ok()) return m.status();
  if (m->integer >= n->integer) return absl::OkStatus();
  auto ids = Members(all);
  if (!ids.ok()) return ids.status();
  return AddMissing<v1::Quote>(tenant, by_state, "quote", *ids, [](const v1::Quote& q) {
    return absl::optional<int64_t>(static_cast<int>(q.state()));
  });
}

absl::Status BillingStore::BackfillNumbered(const std::string& tenant) {
  std::vector<std::string> ids;
  for (v1::InvoiceState state :
       {v1::INVOICE_STATE_ISSUED, v1::INVOICE_STATE_PAID, v1::INVOICE_STATE_VOID}) {
    auto some =
        Members(keys_.Index(tenant, absl::StrCat("invoices:state:", static_cast<int>(state))));
    if (!some.ok()) return some.status();
    ids.insert(ids.end(), some->begin(), some->end());
  }
  return AddMissing<v1::Invoice>(tenant, keys_.Index(tenant, "invoices:numbered"), "invoice", ids,
                                 [](const v1::Invoice& inv) -> absl::optional<int64_t> {
                                   auto day = ToCivilDay(inv.issue_date());
                                   if (inv.number().empty() || !day) return absl::nullopt;
                                   return DayScore(*day);
                                 });
}

absl::StatusOr<std::vector<Stored<v1::BillingEvent>>> BillingStore::GetEvents(
    const std::string& tenant, const google::protobuf::RepeatedPtrField<std::string>& names) {
  std::vector<std::string> keys;
  for (const std::string& name : names)
    keys.push_back(keys_.Key(tenant, "event", LastSegment(name)));
  auto recs = records_.ReadMany(keys);  // one round trip
  if (!recs.ok()) return recs.status();
  for (const Record& r : *recs) {
    if (!r.found()) return absl::InternalError("an invoice names a missing billing event");
  }
  return DecodeAll<v1::BillingEvent>(*recs);
}

// ------------------------------------------------------------------ steps

absl::StatusOr<v1::BillingSettings> BillingStore::SaveSettings(
    const std::string& tenant, const Stored<v1::BillingSettings>& before,
    const v1::BillingSettings& next) {
  Batch b;
  // Version 0 (never saved): the key must not exist yet.
  PutStored(b, keys_.Prefix(tenant) + "settings", &before, next, keys_.Ordinals(tenant),
            "billing settings");
  if (auto r = Commit(b); !r.ok()) return r.status();
  v1::BillingSettings out = next;
  out.set_etag(std::to_string(before.version + 1));
  return out;
}

absl::StatusOr<v1::Quote> BillingStore::CreateQuote(const std::string& tenant,
                                                    const std::string& id, const v1::Quote& q,
                                                    const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  PutQuote(b, tenant, id, nullptr, q);
  v1::Quote response = q;
  response.set_etag("1");
  b.Response(response.SerializeAsString());
  v1::Quote out;
  if (auto r = CommitInto(b, &out); !r.ok()) return r.status();
  return out;
}

absl::StatusOr<v1::Quote> BillingStore::SaveQuote(const std::string& tenant,
                                                  const Stored<v1::Quote>& before,
                                                  const v1::Quote& q) {
  return AcceptQuote(tenant, before, q, {});
}

absl::StatusOr<v1::Quote> BillingStore::AcceptQuote(const std::string& tenant,
                                                    const Stored<v1::Quote>& before,
                                                    const v1::Quote& q,
                                                    const std::vector<WaitingEvent>& waiting,
                                                    int64_t waiting_read) {
  Batch b;
  PutQuote(b, tenant, LastSegment(q.name()), &before, q);
  if (waiting_read >= 0) {
    b.ExpectCount(keys_.Index(tenant, "events:needs_quote:" + LastSegment(q.engagement())),
                  waiting_read, "stage-1 events waiting for a quote");
  }
  if (q.state() == v1::QUOTE_STATE_ACCEPTED && before.value.state() != q.state()) {
    std::string key = keys_.Key(tenant, "accepted", LastSegment(q.engagement()));
    b.ExpectVersion(key, 0, "accepted quote");  // one accepted quote per engagement
    b.Put(key, 1, LastSegment(q.name()), 0);
  }
  for (const auto& w : waiting) {
    AddInvoice(b, tenant, w.invoice);
    PutEvent(b, tenant, LastSegment(w.after.name()), &w.before, w.after);
  }
  if (auto r = Commit(b); !r.ok()) return r.status();
  v1::Quote out = q;
  out.set_etag(std::to_string(before.version + 1));
  return out;
}

absl::StatusOr<CommitResult> BillingStore::RecordEvent(const std::string& tenant,
                                                       const std::string& id,
                                                       const v1::BillingEvent& e, const Idem& idem,
                                                       absl::optional<int64_t> accepted_version,
                                                       const absl::optional<NewInvoice>& invoice) {
  Batch b;
  AddIdem(b, idem);
  if (accepted_version) {
    b.ExpectVersion(keys_.Key(tenant, "accepted", LastSegment(e.engagement())), *accepted_version,
                    "accepted quote");
  }
  if (e.kind() == v1::BILLING_EVENT_KIND_STAGE1_PASSED) {
    // The consulting fee, once per engagement whatever the event's id.
    std::string once = keys_.Key(tenant, "stage1", LastSegment(e.engagement()));
    b.ExpectVersion(once, 0, "the stage-1 billing event of " + e.engagement());
    b.Put(once, 1, id, 0);
  }
  if (invoice) AddInvoice(b, tenant, *invoice);
  PutEvent(b, tenant, id, nullptr, e);
  b.Response(e.SerializeAsString());
  return Commit(b);
}

absl::StatusOr<CommitResult> BillingStore::IssueInvoice(const std::string& tenant,
                                                        const Stored<v1::Invoice>& before,
                                                        const v1::Invoice& issued, const Idem& idem,
                                                        absl::CivilDay today) {
  Batch b;
  AddIdem(b, idem);
  // No invoice numbered meanwhile with a later date (up to today).
  if (auto day = ToCivilDay(issued.issue_date())) {
    b.ExpectNoneScored(keys_.Index(tenant, "invoices:numbered"), DayScore(*day) + 1,
                       DayScore(today), "numbered invoices");
  }
  b.AllocateReference(keys_.Prefix(tenant) + "invoice_seq", "INV-", kInvoiceNumberField);
  PutInvoice(b, tenant, LastSegment(issued.name()), &before, issued, /*append_number=*/true);
  v1::Invoice response = issued;
  response.set_etag(std::to_string(before.version + 1));
  b.Response(response.SerializeAsString(), /*append_reference=*/true);
  return Commit(b);
}

absl::StatusOr<CommitResult> BillingStore::SaveInvoice(
    const std::string& tenant, const Stored<v1::Invoice>& before, const v1::Invoice& after,
    const Idem& idem, const absl::optional<NewInvoice>& replacement,
    const std::vector<EventChange>& rebilled) {
  Batch b;
  AddIdem(b, idem);
  PutInvoice(b, tenant, LastSegment(after.name()), &before, after);
  if (replacement) AddInvoice(b, tenant, *replacement);
  for (const EventChange& e : rebilled) {
    PutEvent(b, tenant, LastSegment(e.after.name()), &e.before, e.after);
  }
  v1::Invoice response = after;
  response.set_etag(std::to_string(before.version + 1));
  b.Response(response.SerializeAsString());
  return Commit(b);
}

// ------------------------------------------------------------------ batch parts

void BillingStore::AddInvoice(Batch& b, const std::string& tenant, const NewInvoice& n) {
  // One number per commit: the script allocates a single reference.
  if (n.issue) {
    b.AllocateReference(keys_.Prefix(tenant) + "invoice_seq", "INV-", kInvoiceNumberField);
  }
  PutInvoice(b, tenant, n.id, nullptr, n.invoice, n.issue);
}

void BillingStore::PutQuote(Batch& b, const std::string& tenant, const std::string& id,
                            const Stored<v1::Quote>* before, const v1::Quote& q) {
  int64_t ord =
      PutStored(b, keys_.Key(tenant, "quote", id), before, q, keys_.Ordinals(tenant), "quote");
  if (!before) {
    b.ZAdd(keys_.Index(tenant, "quotes"), ord, id);
    b.ZAdd(keys_.Index(tenant, "quotes:eng:" + LastSegment(q.engagement())), ord, id);
  }
  // Each quote by its state (what clients and partners may list: sent or later).
  b.ZAdd(keys_.Index(tenant, "quotes:state"), static_cast<int>(q.state()), id);
}

void BillingStore::PutEvent(Batch& b, const std::string& tenant, const std::string& id,
                            const Stored<v1::BillingEvent>* before, const v1::BillingEvent& e) {
  int64_t ord = PutStored(b, keys_.Key(tenant, "event", id), before, e, keys_.Ordinals(tenant),
                          "billing event");
  std::string eid = LastSegment(e.engagement());
  if (!before) {
    b.ZAdd(keys_.Index(tenant, "events"), ord, id);
    b.ZAdd(keys_.Index(tenant, "events:eng:" + eid), ord, id);
  }
  if (e.state() == v1::BILLING_EVENT_STATE_NEEDS_QUOTE) {
    b.ZAdd(keys_.Index(tenant, "events:needs_quote"), ord, id);
    b.ZAdd(keys_.Index(tenant, "events:needs_quote:" + eid), ord, id);
  } else if (before) {
    b.ZRem(keys_.Index(tenant, "events:needs_quote"), id);
    b.ZRem(keys_.Index(tenant, "events:needs_quote:" + eid), id);
  }
}

void BillingStore::PutInvoice(Batch& b, const std::string& tenant, const std::string& id,
                              const Stored<v1::Invoice>* before, const v1::Invoice& inv,
                              bool append_number) {
  int64_t ord = PutStored(b, keys_.Key(tenant, "invoice", id), before, inv, keys_.Ordinals(tenant),
                          "invoice", append_number);
  if (!before) {
    b.ZAdd(keys_.Index(tenant, "invoices"), ord, id);
    b.ZAdd(keys_.Index(tenant, "invoices:eng:" + LastSegment(inv.engagement())), ord, id);
  }
  if (before && before->value.state() != inv.state()) {
    b.ZRem(keys_.Index(tenant,
                       absl::StrCat("invoices:state:", static_cast<int>(before->value.state()))),
           id);
  }
  b.ZAdd(keys_.Index(tenant, absl::StrCat("invoices:state:", static_cast<int>(inv.state()))), ord,
         id);
  auto issued = ToCivilDay(inv.issue_date());
  // Every invoice given a number, by its issue date, for good (voided too).
  if (append_number && issued) {
    b.ZAdd(keys_.Index(tenant, "invoices:numbered"), DayScore(*issued), id);
  }
  if (issued && inv.state() != v1::INVOICE_STATE_VOID) {
    b.ZAdd(keys_.Index(tenant, "invoices:issued"), DayScore(*issued), id);
  } else {
    b.ZRem(keys_.Index(tenant, "invoices:issued"), id);
  }
  // Refunds are exported by their own date, whatever became of the invoice.
  for (const auto& rf : inv.refunds()) {
    if (auto day = ToCivilDay(rf.refund_date())) {
      b.ZAdd(keys_.Index(tenant, "refunds"), DayScore(*day), id + ":" + rf.id());
    }
  }
  auto due = ToCivilDay(inv.due_date());
  if (Open(inv) && due) {
    b.ZAdd(keys_.Index(tenant, "invoices:open_due"), DayScore(*due), id);
    b.ZAdd(keys_.Index(tenant, "invoices:open_balance"), inv.balance_jpy(), id);
  } else if (before) {
    b.ZRem(keys_.Index(tenant, "invoices:open_due"), id);
    b.ZRem(keys_.Index(tenant, "invoices:open_balance"), id);
  }
}

absl::StatusOr<ListPage> BillingStore::ListQuotes(const std::string& tenant, const std::string& eid,
                                                  bool sent_only, int64_t after, int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, eid.empty() ? "quotes" : "quotes:eng:" + eid);
  if (sent_only) {
    q.range_index = keys_.Index(tenant, "quotes:state");
    q.range_min = std::to_string(static_cast<int>(v1::QUOTE_STATE_SENT));
  }
  q.record_prefix = keys_.Prefix(tenant) + "quote:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> BillingStore::ListEvents(const std::string& tenant, bool needs_quote_only,
                                                  const std::string& eid, int64_t after,
                                                  int limit) {
  ListQuery q;
  if (eid.empty()) {
    q.index = keys_.Index(tenant, needs_quote_only ? "events:needs_quote" : "events");
  } else {
    q.index = keys_.Index(tenant, (needs_quote_only ? "events:needs_quote:" : "events:eng:") + eid);
  }
  q.record_prefix = keys_.Prefix(tenant) + "event:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> BillingStore::ListInvoices(const std::string& tenant,
                                                    v1::InvoiceState state, const std::string& eid,
                                                    bool overdue_only, bool numbered_only,
                                                    absl::CivilDay today, int64_t after,
                                                    int limit) {
  std::vector<std::string> idx;
  if (!eid.empty()) idx.push_back(keys_.Index(tenant, "invoices:eng:" + eid));
  if (numbered_only) idx.push_back(keys_.Index(tenant, "invoices:numbered"));
  if (overdue_only) state = v1::INVOICE_STATE_ISSUED;
  if (state != v1::INVOICE_STATE_UNSPECIFIED) {
    idx.push_back(keys_.Index(tenant, absl::StrCat("invoices:state:", static_cast<int>(state))));
  }
  if (idx.empty()) idx.push_back(keys_.Index(tenant, "invoices"));
  ListQuery q;
  q.index = idx.front();
  q.members.assign(idx.begin() + 1, idx.end());
  if (overdue_only) {
    q.range_index = keys_.Index(tenant, "invoices:open_due");
    q.range_max = std::to_string(DayScore(today - 1));
  }
  q.record_prefix = keys_.Prefix(tenant) + "invoice:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<std::vector<v1::Invoice>> BillingStore::InvoicesIssuedBetween(
    const std::string& tenant, absl::CivilDay from, absl::CivilDay to, int limit) {
  std::string lo = std::to_string(DayScore(from)), hi = std::to_string(DayScore(to));
  std::string lim = std::to_string(limit + 1);
  std::string key = keys_.Index(tenant, "invoices:issued");
  auto ids = records_.redis().Command({"ZRANGEBYSCORE", key, lo, hi, "LIMIT", "0", lim});
  if (!ids.ok()) return ids.status();
  if (static_cast<int>(ids->elements.size()) > limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", limit, " invoices in the range; export a shorter range"));
  }
  std::vector<std::string> keys;
  for (const auto& e : ids->elements) keys.push_back(keys_.Key(tenant, "invoice", e.str));
  auto recs = records_.ReadMany(keys);
  if (!recs.ok()) return recs.status();
  std::vector<v1::Invoice> out;
  for (const Record& r : *recs) {
    v1::Invoice inv;
    if (r.found() && inv.ParseFromString(r.data)) out.push_back(std::move(inv));
  }
  return out;
}

absl::StatusOr<std::vector<v1::Invoice>> BillingStore::InvoicesRefundedBetween(
    const std::string& tenant, absl::CivilDay from, absl::CivilDay to, int limit) {
  std::string lo = std::to_string(DayScore(from)), hi = std::to_string(DayScore(to));
  std::string lim = std::to_string(limit + 1);
  auto ids = records_.redis().Command(
      {"ZRANGEBYSCORE", keys_.Index(tenant, "refunds"), lo, hi, "LIMIT", "0", lim});
  if (!ids.ok()) return ids.status();
  if (static_cast<int>(ids->elements.size()) > limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", limit, " refunds in the range; export a shorter range"));
  }
  std::vector<std::string> keys;
  for (const auto& e : ids->elements) {
    std::string invoice = e.str.substr(0, e.str.find(':'));
    std::string key = keys_.Key(tenant, "invoice", invoice);
    if (keys.empty() || keys.back() != key) keys.push_back(key);
  }
  std::vector<v1::Invoice> out;
  if (keys.empty()) return out;
  auto recs = records_.ReadMany(keys);
  if (!recs.ok()) return recs.status();
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
  std::string k1 = keys_.Index(tenant, "invoices:open_balance"),
              k2 = keys_.Index(tenant, "invoices:open_due"),
              k3 = keys_.Index(tenant, "events:needs_quote"),
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
