#include "services/billing/service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/time_util.h"
#include "services/billing/domain/rules.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/retry.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::billing {
namespace {

namespace d = domain;
using google::protobuf::util::TimeUtil;

constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 500;
constexpr int kMaxExport = 5000;
constexpr int64_t kIdemTtlSeconds = 7 * 24 * 3600;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

bool IsOffice(const Principal& p) {
  return p.role() == Principal::ROLE_OFFICE_ADMIN || p.role() == Principal::ROLE_CONSULTANT ||
         p.role() == Principal::ROLE_SERVICE;
}
bool IsAdmin(const Principal& p) { return p.role() == Principal::ROLE_OFFICE_ADMIN; }

std::string Eid(const std::string& engagement) {
  return engagement.substr(engagement.rfind('/') + 1);
}

// Writes the CSV field, quoted when it holds a comma, quote or line break.
std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  return "\"" + absl::StrReplaceAll(s, {{"\"", "\"\""}}) + "\"";
}

std::string Slashed(const google::type::Date& d) {
  return d.year() == 0 ? "" : absl::StrFormat("%04d/%02d/%02d", d.year(), d.month(), d.day());
}

// What happened to the money of an invoice, for the export's 備考: received,
// reversed (recorded by mistake) and refunded yen; empty when nothing was paid.
std::string PaymentSummary(const v1::Invoice& inv) {
  int64_t received = 0, reversed = 0;
  for (const auto& p : inv.payments()) (p.reversed() ? reversed : received) += p.amount_jpy();
  if (received == 0 && reversed == 0) return "";
  std::string out = absl::StrCat(" 入金 ", received, "円");
  if (reversed > 0) absl::StrAppend(&out, " 入金取消 ", reversed, "円");
  if (inv.refunded_jpy() > 0) absl::StrAppend(&out, " 返金 ", inv.refunded_jpy(), "円");
  return out;
}

}  // namespace

BillingService::BillingService(BillingStore& store, const Clock& clock,
                               const PageTokenCodec& tokens, const WriteGate& gate,
                               EngagementVisibility* visibility, prometheus::Registry& registry)
    : store_(store),
      clock_(clock),
      tokens_(tokens),
      writable_(gate, [this](const std::string& t) { return store_.RegisterTenant(t); }),
      visibility_(visibility),
      events_total_(prometheus::BuildCounter()
                        .Name("certpath_billing_events_total")
                        .Help("Billing events recorded (first delivery only), by kind")
                        .Register(registry)),
      invoices_issued_(prometheus::BuildCounter()
                           .Name("certpath_invoices_issued_total")
                           .Help("Invoices issued")
                           .Register(registry)
                           .Add({})),
      invoices_issued_yen_(prometheus::BuildCounter()
                               .Name("certpath_invoices_issued_yen_total")
                               .Help("Tax-inclusive yen of invoices issued")
                               .Register(registry)
                               .Add({})) {}

absl::StatusOr<BillingService::Ref> BillingService::Parse(const Principal& p,
                                                          absl::string_view field,
                                                          const std::string& name,
                                                          absl::string_view kind) const {
  auto ids = ParseName(field, name, {"tenants", kind});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound(std::string(kind));
  return Ref{(*ids)[0], (*ids)[1]};
}

absl::Status BillingService::CheckParent(const Principal& p, const std::string& parent) const {
  auto ids = ParseName("parent", parent, {"tenants"});
  if (!ids.ok()) return ids.status();
  return (*ids)[0] == p.tenant() ? absl::OkStatus() : NotFound("tenant");
}

absl::Status BillingService::CheckWritable(const Principal& p) {
  return writable_.Check(p.tenant());
}

absl::Status BillingService::CheckSees(const Principal& p, const std::string& engagement) {
  if (IsOffice(p)) return absl::OkStatus();
  if (visibility_ == nullptr) return NotFound("engagement");
  return visibility_->CheckVisible(p, engagement);
}

absl::Status BillingService::CheckExists(const Principal& p, const std::string& engagement) {
  // Internal producers (the relay) only send engagements they hold.
  if (p.role() == Principal::ROLE_SERVICE || visibility_ == nullptr) return absl::OkStatus();
  // Engagements are never deleted, so a name seen to exist stays valid: remember it
  // (bounded) and skip the round trip to the engagements service next time.
  {
    std::lock_guard<std::mutex> lock(known_mu_);
    if (known_engagements_.count(engagement)) return absl::OkStatus();
  }
  if (auto s = visibility_->CheckVisible(p, engagement); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(known_mu_);
  if (known_engagements_.size() >= kMaxKnownEngagements) known_engagements_.clear();
  known_engagements_.insert(engagement);
  return absl::OkStatus();
}

void BillingService::Present(v1::Quote& q) const {
  q.set_state(d::EffectiveQuoteState(q, TokyoDay(clock_.Now())));
}

void BillingService::Present(v1::Invoice& inv) const {
  inv.set_overdue(d::IsOverdue(inv, TokyoDay(clock_.Now())));
}

absl::StatusOr<bool> BillingService::Replayed(const Principal& p, const std::string& request_id,
                                              const google::protobuf::Message& req,
                                              google::protobuf::Message* out) {
  if (request_id.empty()) return false;
  auto r = store_.Replay(p.tenant(), p, request_id, Fingerprint(req));
  if (!r.ok()) return r.status();
  if (!r->has_value()) return false;
  if (!out->ParseFromString(**r)) return absl::InternalError("corrupt replay");
  return true;
}

void BillingService::CountIssued(const v1::Invoice& inv) {
  invoices_issued_.Increment();
  invoices_issued_yen_.Increment(static_cast<double>(inv.totals().total_jpy()));
}

// ------------------------------------------------------------------ settings

absl::Status BillingService::GetBillingSettings(const Principal& p,
                                                const v1::GetBillingSettingsRequest& req,
                                                v1::BillingSettings* out) {
  if (req.name() != absl::StrCat("tenants/", p.tenant(), "/billingSettings")) {
    // Another tenant's settings do not exist; anything else is not a name.
    return absl::StartsWith(req.name(), "tenants/") &&
                   absl::EndsWith(req.name(), "/billingSettings")
               ? NotFound("billing settings")
               : InvalidArgument("name", "must look like tenants/{tenant}/billingSettings");
  }
  if (!IsOffice(p)) return PermissionDenied("only office staff read billing settings");
  auto s = store_.GetSettings(p.tenant());
  if (!s.ok()) return s.status();
  *out = s->value;
  return absl::OkStatus();
}

absl::Status BillingService::UpdateBillingSettings(const Principal& p,
                                                   const v1::UpdateBillingSettingsRequest& req,
                                                   v1::BillingSettings* out) {
  if (req.settings().name() != absl::StrCat("tenants/", p.tenant(), "/billingSettings")) {
    return NotFound("billing settings");
  }
  if (!IsOffice(p)) return NotFound("billing settings");
  if (!IsAdmin(p)) return PermissionDenied("only an office admin changes billing settings");
  static constexpr const char* kPaths[] = {
      "issuer_name", "issuer_address", "registration_number", "tax_rate_percent",      "rounding",
      "withholding", "payment_terms",  "payment_days",        "issue_stage1_invoices", "prices"};
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kPaths);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  auto before = store_.GetSettings(p.tenant());
  if (!before.ok()) return before.status();
  if (!req.settings().etag().empty() && req.settings().etag() != before->value.etag()) {
    return EtagMismatch();
  }
  v1::BillingSettings next = before->value;
  const auto* desc = v1::BillingSettings::descriptor();
  for (const auto& path : req.update_mask().paths()) {
    const auto* f = desc->FindFieldByName(path);
    // Copy exactly this field from the request (cleared when the request leaves it unset).
    v1::BillingSettings from = req.settings();
    next.GetReflection()->ClearField(&next, f);
    next.GetReflection()->SwapFields(&next, &from, {f});
  }
  FieldViolations sv;
  d::CheckSettings(sv, next);
  if (auto s = sv.ToStatus(); !s.ok()) return s;
  *next.mutable_update_time() = Ts(clock_.Now());
  next.set_etag("");
  Batch b;
  store_.PutSettings(b, p.tenant(), before->version, next);
  auto r = store_.Commit(b);
  if (!r.ok()) return r.status();
  *out = next;
  out->set_etag(std::to_string(before->version + 1));
  return absl::OkStatus();
}

// ------------------------------------------------------------------ quotes

absl::Status BillingService::CreateQuote(const Principal& p, const v1::CreateQuoteRequest& req,
                                         v1::Quote* out) {
  if (auto s = CheckParent(p, req.parent()); !s.ok()) return s;
  if (!IsOffice(p)) return PermissionDenied("only office staff create quotes");
  const v1::Quote& in = req.quote();
  FieldViolations v;
  auto eng = ParseName("quote.engagement", in.engagement(), {"tenants", "engagements"});
  if (!eng.ok()) v.Add("quote.engagement", "required: tenants/{tenant}/engagements/{engagement}");
  CheckText(v, "quote.recipient_name", in.recipient_name(), 200, true);
  d::CheckLines(v, "quote.lines", in.lines(), true);
  CheckDate(v, "quote.valid_until", in.valid_until(), true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if ((*eng)[0] != p.tenant()) return NotFound("engagement");
  if (auto s = CheckExists(p, in.engagement()); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  auto settings = store_.GetSettings(p.tenant());
  if (!settings.ok()) return settings.status();
  std::string id = RandomHex(8);
  v1::Quote q;
  q.set_name(absl::StrCat("tenants/", p.tenant(), "/quotes/", id));
  q.set_engagement(in.engagement());
  q.set_recipient_name(in.recipient_name());
  *q.mutable_lines() = in.lines();
  *q.mutable_valid_until() = in.valid_until();
  q.set_state(v1::QUOTE_STATE_DRAFT);
  std::vector<v1::Line*> lines;
  for (auto& l : *q.mutable_lines()) lines.push_back(&l);
  *q.mutable_totals() = d::ComputeTotals(lines, settings->value);
  absl::Time now = clock_.Now();
  *q.mutable_create_time() = Ts(now);
  *q.mutable_update_time() = Ts(now);
  q.set_etag("1");
  Batch b;
  if (!req.request_id().empty()) {
    b.Idempotency(BillingStore::IdemKey(p.tenant(), p, req.request_id()), Fingerprint(req),
                  kIdemTtlSeconds);
  }
  store_.PutQuote(b, p.tenant(), id, nullptr, q);
  b.Response(q.SerializeAsString());
  auto r = store_.Commit(b);
  if (!r.ok()) return r.status();
  if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
  Present(*out);
  return absl::OkStatus();
}

absl::StatusOr<std::string> BillingService::ListScope(const Principal& p,
                                                      const std::string& engagement) {
  std::string eid;
  if (!engagement.empty()) {
    auto e = Parse(p, "engagement", engagement, "engagements");
    if (!e.ok()) return e.status();
    eid = e->id;
  }
  if (!IsOffice(p)) {
    if (eid.empty()) return InvalidArgument("engagement", "required for partners and clients");
    if (auto s = CheckSees(p, engagement); !s.ok()) return s;
  }
  return eid;
}

absl::StatusOr<Stored<v1::Quote>> BillingService::LoadQuote(const Principal& p,
                                                            const std::string& name,
                                                            bool for_write) {
  auto ref = Parse(p, "name", name, "quotes");
  if (!ref.ok()) return ref.status();
  auto q = store_.GetQuote(ref->tenant, ref->id);
  if (!q.ok()) return q.status();
  if (!q->has_value()) return NotFound("quote");
  if (auto s = CheckSees(p, (*q)->value.engagement()); !s.ok()) return s;
  if (for_write && !IsOffice(p)) return PermissionDenied("only office staff change quotes");
  return **std::move(q);
}

absl::Status BillingService::GetQuote(const Principal& p, const v1::GetQuoteRequest& req,
                                      v1::Quote* out) {
  auto q = LoadQuote(p, req.name(), false);
  if (!q.ok()) return q.status();
  *out = q->value;
  Present(*out);
  return absl::OkStatus();
}

absl::Status BillingService::ListQuotes(const Principal& p, const v1::ListQuotesRequest& req,
                                        v1::ListQuotesResponse* out) {
  if (auto s = CheckParent(p, req.parent()); !s.ok()) return s;
  auto scope = ListScope(p, req.engagement());
  if (!scope.ok()) return scope.status();
  const std::string& eid = *scope;
  auto size = ResolvePageSize(req.page_size(), kDefaultPage, kMaxPage);
  if (!size.ok()) return size.status();
  uint64_t fp = QueryFingerprint({"quotes", req.parent(), req.engagement()});
  auto after = tokens_.DecodeOrStart(req.page_token(), fp);
  if (!after.ok()) return after.status();
  auto page = store_.ListQuotes(p.tenant(), eid, *after, *size);
  if (!page.ok()) return page.status();
  return FillPage<v1::ListQuotesResponse, v1::Quote>(*page, tokens_, fp, out,
                                                     &v1::ListQuotesResponse::add_quotes,
                                                     [this](const Record& r, v1::Quote* q) {
                                                       if (auto s = DecodeWithEtag(r, q); !s.ok())
                                                         return s;
                                                       Present(*q);
                                                       return absl::OkStatus();
                                                     });
}

absl::Status BillingService::UpdateQuote(const Principal& p, const v1::UpdateQuoteRequest& req,
                                         v1::Quote* out) {
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), {"recipient_name", "lines", "valid_until"});
  for (const auto& path : req.update_mask().paths()) {
    if (path == "recipient_name") {
      CheckText(v, "quote.recipient_name", req.quote().recipient_name(), 200, true);
    } else if (path == "lines") {
      d::CheckLines(v, "quote.lines", req.quote().lines(), true);
    } else if (path == "valid_until") {
      CheckDate(v, "quote.valid_until", req.quote().valid_until(), true);
    }
  }
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  auto before = LoadQuote(p, req.quote().name(), true);
  if (!before.ok()) return before.status();
  if (!req.quote().etag().empty() && req.quote().etag() != before->value.etag()) {
    return EtagMismatch();
  }
  if (before->value.state() != v1::QUOTE_STATE_DRAFT) {
    return FailedPrecondition("QUOTE_STATE", "only a draft quote is edited");
  }
  v1::Quote q = before->value;
  for (const auto& path : req.update_mask().paths()) {
    if (path == "recipient_name") q.set_recipient_name(req.quote().recipient_name());
    if (path == "lines") *q.mutable_lines() = req.quote().lines();
    if (path == "valid_until") *q.mutable_valid_until() = req.quote().valid_until();
  }
  auto settings = store_.GetSettings(p.tenant());
  if (!settings.ok()) return settings.status();
  std::vector<v1::Line*> lines;
  for (auto& l : *q.mutable_lines()) lines.push_back(&l);
  *q.mutable_totals() = d::ComputeTotals(lines, settings->value);
  *q.mutable_update_time() = Ts(clock_.Now());
  Batch b;
  store_.PutQuote(b, p.tenant(), Eid(q.name()), &*before, q);
  auto r = store_.Commit(b);
  if (!r.ok()) return r.status();
  *out = q;
  out->set_etag(std::to_string(before->version + 1));
  Present(*out);
  return absl::OkStatus();
}

absl::Status BillingService::QuoteAction(const Principal& p, const v1::QuoteActionRequest& req,
                                         v1::QuoteState to, v1::Quote* out) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return RetryOnConflict(!req.etag().empty(), [&]() -> absl::Status {
    auto before = LoadQuote(p, req.name(), true);
    if (!before.ok()) return before.status();
    if (!req.etag().empty() && req.etag() != before->value.etag()) return EtagMismatch();
    absl::Time now = clock_.Now();
    absl::CivilDay today = TokyoDay(now);
    v1::Quote q = before->value;
    if (auto s = d::MoveQuote(q, to, today); !s.ok()) return s;
    *q.mutable_update_time() = Ts(now);
    Batch b;
    store_.PutQuote(b, p.tenant(), Eid(q.name()), &*before, q);
    bool issued = false;
    v1::Invoice issued_invoice;
    if (to == v1::QUOTE_STATE_ACCEPTED) {
      store_.PutAccepted(b, p.tenant(), Eid(q.engagement()), Eid(q.name()));
      // Stage-1 events that waited for this quote are invoiced in the same step.
      auto pending = store_.EventsNeedingQuote(p.tenant(), Eid(q.engagement()));
      if (!pending.ok()) return pending.status();
      auto settings = store_.GetSettings(p.tenant());
      if (!settings.ok()) return settings.status();
      std::vector<v1::Line> fee = d::ConsultingFeeLines(q);
      for (const auto& ev : fee.empty() ? std::vector<Stored<v1::BillingEvent>>{} : *pending) {
        std::string inv_id = RandomHex(8);
        v1::Invoice inv = d::DraftInvoice(
            absl::StrCat("tenants/", p.tenant(), "/invoices/", inv_id), q.engagement(),
            q.recipient_name(), fee, settings->value, {ev.value.name()}, now);
        // One number per commit: only a single waiting event is issued at once.
        bool issue = settings->value.issue_stage1_invoices() && pending->size() == 1 &&
                     d::Issue(inv, today, settings->value, now).ok();
        if (issue) {
          store_.AllocateInvoiceNumber(b, p.tenant());
          issued = true;
          issued_invoice = inv;
        }
        store_.PutInvoice(b, p.tenant(), inv_id, nullptr, inv, issue);
        v1::BillingEvent e = ev.value;
        e.set_state(v1::BILLING_EVENT_STATE_INVOICED);
        e.set_invoice(inv.name());
        store_.PutEvent(b, p.tenant(), Eid(e.name()), &ev, e);
      }
    }
    auto r = store_.Commit(b);
    if (r.ok()) {
      if (issued) CountIssued(issued_invoice);
      *out = q;
      out->set_etag(std::to_string(before->version + 1));
      Present(*out);
      return absl::OkStatus();
    }
    if (r.status().code() == absl::StatusCode::kAlreadyExists) {
      return FailedPrecondition("QUOTE_ALREADY_ACCEPTED",
                                "the engagement already has an accepted quote");
    }
    return r.status();
  });
}

absl::Status BillingService::SendQuote(const Principal& p, const v1::QuoteActionRequest& req,
                                       v1::Quote* out) {
  return QuoteAction(p, req, v1::QUOTE_STATE_SENT, out);
}
absl::Status BillingService::AcceptQuote(const Principal& p, const v1::QuoteActionRequest& req,
                                         v1::Quote* out) {
  return QuoteAction(p, req, v1::QUOTE_STATE_ACCEPTED, out);
}
absl::Status BillingService::RejectQuote(const Principal& p, const v1::QuoteActionRequest& req,
                                         v1::Quote* out) {
  return QuoteAction(p, req, v1::QUOTE_STATE_REJECTED, out);
}

// ------------------------------------------------------------------ billing events

absl::Status BillingService::RecordBillingEvent(const Principal& p,
                                                const v1::RecordBillingEventRequest& req,
                                                v1::BillingEvent* out) {
  if (auto s = CheckParent(p, req.parent()); !s.ok()) return s;
  if (!IsOffice(p))
    return PermissionDenied("only the office or its services record billing events");
  const v1::BillingEvent& in = req.billing_event();
  FieldViolations v;
  if (req.request_id().empty()) v.Add("request_id", "required");
  CheckRequestId(v, req.request_id());
  if (!v1::BillingEventKind_IsValid(in.kind()) || in.kind() == v1::BILLING_EVENT_KIND_UNSPECIFIED) {
    v.Add("billing_event.kind", "required");
  }
  auto eng = ParseName("billing_event.engagement", in.engagement(), {"tenants", "engagements"});
  if (!eng.ok()) v.Add("billing_event.engagement", "required: tenants/{tenant}/engagements/{id}");
  CheckDate(v, "billing_event.occurred_date", in.occurred_date(), true);
  CheckText(v, "billing_event.source_event_id", in.source_event_id(), 64);
  bool stage1 = in.kind() == v1::BILLING_EVENT_KIND_STAGE1_PASSED;
  if (!stage1) {
    d::CheckLines(v, "billing_event.lines", in.lines(), true);
    CheckText(v, "billing_event.recipient_name", in.recipient_name(), 200, true);
  } else if (!in.lines().empty()) {
    v.Add("billing_event.lines", "a stage-1 event takes the accepted quote's consulting fee");
  }
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if ((*eng)[0] != p.tenant()) return NotFound("engagement");
  if (auto s = CheckExists(p, in.engagement()); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  const std::string& tenant = p.tenant();
  const std::string& id = req.request_id();
  std::string fp = Fingerprint(req);
  return RetryOnConflict(/*caller_pinned_etag=*/false, [&]() -> absl::Status {
    // A redelivery is answered by the commit itself, from the idempotency record.
    auto settings = store_.GetSettings(tenant);
    if (!settings.ok()) return settings.status();
    BillingStore::Accepted accepted;
    if (stage1) {
      auto a = store_.GetAcceptedQuote(tenant, (*eng)[1]);
      if (!a.ok()) return a.status();
      accepted = *std::move(a);
    }
    absl::Time now = clock_.Now();
    v1::BillingEvent e = in;
    e.set_name(absl::StrCat("tenants/", tenant, "/billingEvents/", id));
    if (e.source_event_id().empty()) e.set_source_event_id(id);
    *e.mutable_create_time() = Ts(now);
    std::vector<v1::Line> lines(in.lines().begin(), in.lines().end());
    std::string recipient = in.recipient_name();
    if (stage1 && accepted.quote) {
      lines = d::ConsultingFeeLines(accepted.quote->value);
      recipient = accepted.quote->value.recipient_name();
    }
    Batch b;
    b.Idempotency(BillingStore::IdemKey(tenant, p, id), fp, /*ttl: keep for good=*/0);
    if (stage1)
      b.ExpectVersion(absl::StrCat("bill:{t:", tenant, "}:accepted:", (*eng)[1]),
                      accepted.pointer_version, "accepted quote");
    bool issued = false;
    v1::Invoice inv;
    if (lines.empty()) {
      e.set_state(v1::BILLING_EVENT_STATE_NEEDS_QUOTE);
    } else {
      std::string inv_id = RandomHex(8);
      inv = d::DraftInvoice(absl::StrCat("tenants/", tenant, "/invoices/", inv_id), in.engagement(),
                            recipient, lines, settings->value, {e.name()}, now);
      issued = stage1 && settings->value.issue_stage1_invoices() &&
               d::Issue(inv, TokyoDay(now), settings->value, now).ok();
      if (issued) store_.AllocateInvoiceNumber(b, tenant);
      store_.PutInvoice(b, tenant, inv_id, nullptr, inv, issued);
      e.set_state(v1::BILLING_EVENT_STATE_INVOICED);
      e.set_invoice(inv.name());
    }
    store_.PutEvent(b, tenant, id, nullptr, e);
    b.Response(e.SerializeAsString());
    auto r = store_.Commit(b);
    if (r.ok()) {
      if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
      if (!r->replayed) {
        events_total_.Add({{"kind", v1::BillingEventKind_Name(e.kind())}}).Increment();
        if (issued) CountIssued(inv);
      }
      return absl::OkStatus();
    }
    return r.status();
  });
}

absl::Status BillingService::ListBillingEvents(const Principal& p,
                                               const v1::ListBillingEventsRequest& req,
                                               v1::ListBillingEventsResponse* out) {
  if (auto s = CheckParent(p, req.parent()); !s.ok()) return s;
  if (!IsOffice(p)) return PermissionDenied("only office staff list billing events");
  auto scope = ListScope(p, req.engagement());
  if (!scope.ok()) return scope.status();
  auto size = ResolvePageSize(req.page_size(), kDefaultPage, kMaxPage);
  if (!size.ok()) return size.status();
  uint64_t fp =
      QueryFingerprint({"events", req.parent(), req.needs_quote_only() ? "nq" : "", *scope});
  auto after = tokens_.DecodeOrStart(req.page_token(), fp);
  if (!after.ok()) return after.status();
  auto page = store_.ListEvents(p.tenant(), req.needs_quote_only(), *scope, *after, *size);
  if (!page.ok()) return page.status();
  return FillPage<v1::ListBillingEventsResponse, v1::BillingEvent>(
      *page, tokens_, fp, out, &v1::ListBillingEventsResponse::add_billing_events,
      DecodeRecord<v1::BillingEvent>);
}

// ------------------------------------------------------------------ invoices

absl::StatusOr<Stored<v1::Invoice>> BillingService::LoadInvoice(const Principal& p,
                                                                const std::string& name) {
  auto ref = Parse(p, "name", name, "invoices");
  if (!ref.ok()) return ref.status();
  auto inv = store_.GetInvoice(ref->tenant, ref->id);
  if (!inv.ok()) return inv.status();
  if (!inv->has_value()) return NotFound("invoice");
  if (auto s = CheckSees(p, (*inv)->value.engagement()); !s.ok()) return s;
  return **std::move(inv);
}

absl::Status BillingService::GetInvoice(const Principal& p, const v1::GetInvoiceRequest& req,
                                        v1::Invoice* out) {
  auto inv = LoadInvoice(p, req.name());
  if (!inv.ok()) return inv.status();
  *out = inv->value;
  Present(*out);
  return absl::OkStatus();
}

absl::Status BillingService::ListInvoices(const Principal& p, const v1::ListInvoicesRequest& req,
                                          v1::ListInvoicesResponse* out) {
  if (auto s = CheckParent(p, req.parent()); !s.ok()) return s;
  if (!v1::InvoiceState_IsValid(req.state())) return InvalidArgument("state", "unknown state");
  auto scope = ListScope(p, req.engagement());
  if (!scope.ok()) return scope.status();
  const std::string& eid = *scope;
  auto size = ResolvePageSize(req.page_size(), kDefaultPage, kMaxPage);
  if (!size.ok()) return size.status();
  uint64_t fp = QueryFingerprint({"invoices", req.parent(), std::to_string(req.state()), eid,
                                  req.overdue_only() ? "overdue" : ""});
  auto after = tokens_.DecodeOrStart(req.page_token(), fp);
  if (!after.ok()) return after.status();
  auto page = store_.ListInvoices(p.tenant(), req.state(), eid, req.overdue_only(),
                                  TokyoDay(clock_.Now()), *after, *size);
  if (!page.ok()) return page.status();
  return FillPage<v1::ListInvoicesResponse, v1::Invoice>(
      *page, tokens_, fp, out, &v1::ListInvoicesResponse::add_invoices,
      [this](const Record& r, v1::Invoice* inv) {
        if (auto s = DecodeWithEtag(r, inv); !s.ok()) return s;
        Present(*inv);
        return absl::OkStatus();
      });
}

absl::Status BillingService::IssueInvoice(const Principal& p, const v1::IssueInvoiceRequest& req,
                                          v1::Invoice* out) {
  FieldViolations v;
  CheckDate(v, "issue_date", req.issue_date(), false);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  auto before = LoadInvoice(p, req.name());
  if (!before.ok()) return before.status();
  if (!IsAdmin(p)) return PermissionDenied("only an office admin issues invoices");
  // A retry of an issue that went through answers with the issued invoice.
  auto replayed = Replayed(p, req.request_id(), req, out);
  if (!replayed.ok() || *replayed) return replayed.status();
  if (!req.etag().empty() && req.etag() != before->value.etag()) return EtagMismatch();
  auto settings = store_.GetSettings(p.tenant());
  if (!settings.ok()) return settings.status();
  absl::Time now = clock_.Now();
  absl::CivilDay day = req.issue_date().year() ? *ToCivilDay(req.issue_date()) : TokyoDay(now);
  v1::Invoice inv = before->value;
  Batch b;
  if (!req.request_id().empty()) {
    b.Idempotency(BillingStore::IdemKey(p.tenant(), p, req.request_id()), Fingerprint(req),
                  kIdemTtlSeconds);
  }
  if (auto s = d::Issue(inv, day, settings->value, now); !s.ok()) return s;
  store_.AllocateInvoiceNumber(b, p.tenant());
  store_.PutInvoice(b, p.tenant(), Eid(inv.name()), &*before, inv, /*append_number=*/true);
  inv.set_etag(std::to_string(before->version + 1));
  b.Response(inv.SerializeAsString(), /*append_reference=*/true);
  auto r = store_.Commit(b);
  if (!r.ok()) return r.status();
  if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
  if (!r->replayed) CountIssued(*out);
  Present(*out);
  return absl::OkStatus();
}

absl::Status BillingService::VoidInvoice(const Principal& p, const v1::VoidInvoiceRequest& req,
                                         v1::Invoice* out) {
  FieldViolations v;
  CheckText(v, "reason", req.reason(), 2000, true, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  auto before = LoadInvoice(p, req.name());
  if (!before.ok()) return before.status();
  if (!IsAdmin(p)) return PermissionDenied("only an office admin voids invoices");
  if (!req.etag().empty() && req.etag() != before->value.etag()) return EtagMismatch();
  absl::Time now = clock_.Now();
  v1::Invoice inv = before->value;
  if (auto s = d::Void(inv, req.reason(), now); !s.ok()) return s;
  Batch b;
  store_.PutInvoice(b, p.tenant(), Eid(inv.name()), &*before, inv);
  if (req.create_replacement()) {
    auto settings = store_.GetSettings(p.tenant());
    if (!settings.ok()) return settings.status();
    std::string id = RandomHex(8);
    std::vector<v1::Line> lines(inv.lines().begin(), inv.lines().end());
    std::vector<std::string> events(inv.billing_events().begin(), inv.billing_events().end());
    v1::Invoice repl =
        d::DraftInvoice(absl::StrCat("tenants/", p.tenant(), "/invoices/", id), inv.engagement(),
                        inv.recipient_name(), lines, settings->value, events, now);
    repl.set_replaces(inv.name());
    store_.PutInvoice(b, p.tenant(), id, nullptr, repl);
  }
  auto r = store_.Commit(b);
  if (!r.ok()) return r.status();
  *out = inv;
  out->set_etag(std::to_string(before->version + 1));
  Present(*out);
  return absl::OkStatus();
}

absl::Status BillingService::InvoiceAction(const Principal& p, const std::string& name,
                                           const std::string& request_id,
                                           const google::protobuf::Message& req, bool admin_only,
                                           const InvoiceChange& change, v1::Invoice* out) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return RetryOnConflict(/*caller_pinned_etag=*/false, [&]() -> absl::Status {
    auto before = LoadInvoice(p, name);
    if (!before.ok()) return before.status();
    if (!IsOffice(p)) return PermissionDenied("only office staff record payments");
    if (admin_only && !IsAdmin(p)) {
      return PermissionDenied("only an office admin corrects payments");
    }
    // A retry of an action that went through is answered from its record.
    auto replayed = Replayed(p, request_id, req, out);
    if (!replayed.ok() || *replayed) return replayed.status();
    v1::Invoice inv = before->value;
    if (auto s = change(inv, clock_.Now()); !s.ok()) return s;
    Batch b;
    if (!request_id.empty()) {
      b.Idempotency(BillingStore::IdemKey(p.tenant(), p, request_id), Fingerprint(req),
                    kIdemTtlSeconds);
    }
    store_.PutInvoice(b, p.tenant(), Eid(inv.name()), &*before, inv);
    inv.set_etag(std::to_string(before->version + 1));
    b.Response(inv.SerializeAsString());
    auto r = store_.Commit(b);
    if (!r.ok()) return r.status();
    if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
    Present(*out);
    return absl::OkStatus();
  });
}

absl::Status BillingService::RecordPayment(const Principal& p, const v1::RecordPaymentRequest& req,
                                           v1::Invoice* out) {
  FieldViolations v;
  CheckDate(v, "paid_date", req.paid_date(), true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return InvoiceAction(
      p, req.name(), req.request_id(), req, /*admin_only=*/false,
      [&](v1::Invoice& inv, absl::Time now) {
        return d::RecordPayment(inv, req.amount_jpy(), *ToCivilDay(req.paid_date()), p.subject(),
                                now);
      },
      out);
}

absl::Status BillingService::ReversePayment(const Principal& p,
                                            const v1::ReversePaymentRequest& req,
                                            v1::Invoice* out) {
  FieldViolations v;
  if (req.payment_id().empty()) v.Add("payment_id", "required");
  CheckText(v, "payment_id", req.payment_id(), 16);
  CheckText(v, "reason", req.reason(), 2000, true, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return InvoiceAction(
      p, req.name(), req.request_id(), req, /*admin_only=*/true,
      [&](v1::Invoice& inv, absl::Time now) {
        return d::ReversePayment(inv, req.payment_id(), req.reason(), p.subject(), now);
      },
      out);
}

absl::Status BillingService::RecordRefund(const Principal& p, const v1::RecordRefundRequest& req,
                                          v1::Invoice* out) {
  FieldViolations v;
  CheckDate(v, "refund_date", req.refund_date(), true);
  CheckText(v, "reason", req.reason(), 2000, true, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return InvoiceAction(
      p, req.name(), req.request_id(), req, /*admin_only=*/true,
      [&](v1::Invoice& inv, absl::Time now) {
        return d::RecordRefund(inv, req.amount_jpy(), *ToCivilDay(req.refund_date()), req.reason(),
                               p.subject(), now);
      },
      out);
}

absl::Status BillingService::ExportInvoices(const Principal& p,
                                            const v1::ExportInvoicesRequest& req,
                                            v1::ExportInvoicesResponse* out) {
  if (auto s = CheckParent(p, req.parent()); !s.ok()) return s;
  if (!IsAdmin(p)) return PermissionDenied("only an office admin exports invoices");
  FieldViolations v;
  CheckDate(v, "from", req.from(), true);
  CheckDate(v, "to", req.to(), true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  absl::CivilDay from = *ToCivilDay(req.from()), to = *ToCivilDay(req.to());
  if (from > to) return InvalidArgument("to", "before from");
  if (to - from > 366) return InvalidArgument("to", "export at most a year at a time");
  auto invoices = store_.InvoicesIssuedBetween(p.tenant(), from, to, kMaxExport);
  if (!invoices.ok()) return invoices.status();
  // freee 取引インポート (収入): one row per invoice and tax rate, UTF-8.
  std::string csv = "収支区分,管理番号,発生日,決済期日,取引先,勘定科目,税区分,金額,税額,備考\r\n";
  int count = 0;
  for (const v1::Invoice& inv : *invoices) {
    if (inv.state() != v1::INVOICE_STATE_ISSUED && inv.state() != v1::INVOICE_STATE_PAID) continue;
    ++count;
    for (const auto& rate : inv.totals().by_rate()) {
      std::string tax_class = rate.rate_percent() == 0
                                  ? "非課売上"
                                  : absl::StrCat("課税売上", rate.rate_percent(), "%");
      std::string note = absl::StrCat("請求書 ", inv.number());
      if (inv.totals().withholding_jpy() > 0) {
        absl::StrAppend(&note, " 源泉徴収税額 ", inv.totals().withholding_jpy(), "円 差引請求額 ",
                        inv.totals().amount_due_jpy(), "円");
      }
      absl::StrAppend(&note, PaymentSummary(inv));
      absl::StrAppend(&csv, "収入,", Csv(inv.number()), ",", Slashed(inv.issue_date()), ",",
                      Slashed(inv.due_date()), ",", Csv(inv.recipient_name()), ",売上高,",
                      tax_class, ",", rate.taxable_jpy() + rate.tax_jpy(), ",", rate.tax_jpy(), ",",
                      Csv(note), "\r\n");
    }
    // Money paid back: one 支出 row per refund, on its date.
    for (const auto& rf : inv.refunds()) {
      absl::StrAppend(&csv, "支出,", Csv(absl::StrCat(inv.number(), "-R", rf.id())), ",",
                      Slashed(rf.refund_date()), ",,", Csv(inv.recipient_name()), ",売上高,対象外,",
                      rf.amount_jpy(), ",0,",
                      Csv(absl::StrCat("返金 請求書 ", inv.number(), " ", rf.reason())), "\r\n");
    }
  }
  out->set_filename(absl::StrFormat("invoices-%04d%02d%02d-%04d%02d%02d-freee.csv", from.year(),
                                    from.month(), from.day(), to.year(), to.month(), to.day()));
  out->set_content_type("text/csv; charset=utf-8");
  out->set_content(csv);
  out->set_invoice_count(count);
  return absl::OkStatus();
}

}  // namespace certpath::billing
