// Quotes (見積書): draft → sent → accepted or rejected (expired derived).
// Accepting invoices, in the same step, the stage-1 events that waited for it.
#include "absl/strings/str_cat.h"
#include "services/billing/domain/rules.h"
#include "services/billing/service.h"
#include "services/common/act.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::billing {
namespace {

namespace d = domain;

constexpr const char* kQuotePaths[] = {"recipient_name", "lines", "valid_until"};

void CheckQuoteFields(FieldViolations& v, const v1::Quote& q,
                      const google::protobuf::FieldMask* mask) {
  auto masked = [&](const char* path) { return mask == nullptr || MaskHas(*mask, path); };
  if (masked("recipient_name")) CheckText(v, "quote.recipient_name", q.recipient_name(), 200, true);
  if (masked("lines")) d::CheckLines(v, "quote.lines", q.lines(), true);
  if (masked("valid_until")) CheckDate(v, "quote.valid_until", q.valid_until(), true);
}

void Price(v1::Quote& q, const v1::BillingSettings& settings) {
  std::vector<v1::Line*> lines;
  for (auto& l : *q.mutable_lines()) lines.push_back(&l);
  *q.mutable_totals() = d::ComputeTotals(lines, settings);
}

}  // namespace

absl::Status BillingApi::CreateQuote(const Principal& p, const v1::CreateQuoteRequest& req,
                                     v1::Quote* out) {
  if (auto s = CheckParent(p, req.parent(), "CreateQuote"); !s.ok()) return s;
  const v1::Quote& in = req.quote();
  FieldViolations v;
  auto eng = ParseName("quote.engagement", in.engagement(), {"tenants", "engagements"});
  if (!eng.ok()) v.Add("quote.engagement", "required: tenants/{tenant}/engagements/{engagement}");
  CheckQuoteFields(v, in, nullptr);
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
  Price(q, settings->value);
  absl::Time now = clock_.Now();
  *q.mutable_create_time() = ToTimestamp(now);
  *q.mutable_update_time() = ToTimestamp(now);
  auto created =
      store_.CreateQuote(p.tenant(), id, q, store_.MakeIdem(p.tenant(), p, req.request_id(), req));
  if (!created.ok()) return created.status();
  *out = *std::move(created);
  Present(*out);
  return absl::OkStatus();
}

absl::Status BillingApi::GetQuote(const Principal& p, const v1::GetQuoteRequest& req,
                                  v1::Quote* out) {
  auto q = LoadQuote(p, req.name(), "GetQuote");
  if (!q.ok()) return q.status();
  *out = q->value;
  Present(*out);
  return absl::OkStatus();
}

absl::Status BillingApi::ListQuotes(const Principal& p, const v1::ListQuotesRequest& req,
                                    v1::ListQuotesResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "ListQuotes"); !s.ok()) return s;
  auto eid = ListScope(p, req.engagement());
  if (!eid.ok()) return eid.status();
  return ListPaged<v1::ListQuotesResponse, v1::Quote>(
      tokens_, req.page_size(), req.page_token(),
      {"quotes", req.parent(), req.engagement(), SeesDrafts(p) ? "" : "sent"},
      [&](int64_t after, int limit) {
        return store_.ListQuotes(p.tenant(), *eid, !SeesDrafts(p), after, limit);
      },
      out, &v1::ListQuotesResponse::add_quotes,
      [this](const Record& r, v1::Quote* q) {
        if (auto s = DecodeWithEtag(r, q); !s.ok()) return s;
        Present(*q);
        return absl::OkStatus();
      });
}

absl::Status BillingApi::UpdateQuote(const Principal& p, const v1::UpdateQuoteRequest& req,
                                     v1::Quote* out) {
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kQuotePaths);
  CheckQuoteFields(v, req.quote(), &req.update_mask());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Quote>(
      store_, Idem{}, req.quote().etag(),
      [&] { return LoadQuote(p, req.quote().name(), "UpdateQuote"); },
      [&](const Stored<v1::Quote>& before) -> absl::Status {
        if (before.value.state() != v1::QUOTE_STATE_DRAFT) {
          return FailedPrecondition("QUOTE_STATE", "only a draft quote is edited");
        }
        v1::Quote q = before.value;
        FieldViolations mv;
        ApplyUpdateMask(mv, req.update_mask(), kQuotePaths, req.quote(), &q);
        if (auto s = mv.ToStatus(); !s.ok()) return s;
        auto settings = store_.GetSettings(p.tenant());
        if (!settings.ok()) return settings.status();
        Price(q, settings->value);
        *q.mutable_update_time() = ToTimestamp(clock_.Now());
        auto saved = store_.SaveQuote(p.tenant(), before, q);
        if (!saved.ok()) return saved.status();
        *out = *std::move(saved);
        Present(*out);
        return absl::OkStatus();
      },
      out);
}

absl::Status BillingApi::QuoteAction(const Principal& p, const v1::QuoteActionRequest& req,
                                     v1::QuoteState to, absl::string_view method, v1::Quote* out) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Quote>(
      store_, Idem{}, req.etag(), [&] { return LoadQuote(p, req.name(), method); },
      [&](const Stored<v1::Quote>& before) -> absl::Status {
        absl::Time now = clock_.Now();
        absl::CivilDay today = TokyoDay(now);
        v1::Quote q = before.value;
        if (auto s = d::MoveQuote(q, to, today); !s.ok()) return s;
        *q.mutable_update_time() = ToTimestamp(now);
        std::vector<BillingStore::WaitingEvent> waiting;
        int64_t waiting_read = -1;
        if (to == v1::QUOTE_STATE_ACCEPTED) {
          // Stage-1 events that waited for this quote are invoiced in the same step.
          auto pending = store_.EventsNeedingQuote(p.tenant(), LastSegment(q.engagement()));
          if (!pending.ok()) return pending.status();
          waiting_read = static_cast<int64_t>(pending->size());
          auto settings = store_.GetSettings(p.tenant());
          if (!settings.ok()) return settings.status();
          std::vector<v1::Line> fee = d::ConsultingFeeLines(q);
          for (const auto& ev : fee.empty() ? std::vector<Stored<v1::BillingEvent>>{} : *pending) {
            BillingStore::WaitingEvent w{ev, ev.value, {}};
            w.invoice.id = RandomHex(8);
            w.invoice.invoice = d::DraftInvoice(
                absl::StrCat("tenants/", p.tenant(), "/invoices/", w.invoice.id), q.engagement(),
                q.recipient_name(), fee, settings->value, {ev.value.name()}, now);
            // One number per commit: only a single waiting event is issued at once.
            w.invoice.issue = settings->value.issue_stage1_invoices() && pending->size() == 1 &&
                              d::Issue(w.invoice.invoice, today, settings->value, now).ok();
            w.after.set_state(v1::BILLING_EVENT_STATE_INVOICED);
            w.after.set_invoice(w.invoice.invoice.name());
            waiting.push_back(std::move(w));
          }
        }
        auto saved = store_.AcceptQuote(p.tenant(), before, q, waiting, waiting_read);
        if (!saved.ok()) {
          if (saved.status().code() == absl::StatusCode::kAlreadyExists) {
            return FailedPrecondition("QUOTE_ALREADY_ACCEPTED",
                                      "the engagement already has an accepted quote");
          }
          return saved.status();
        }
        for (const auto& w : waiting) {
          if (w.invoice.issue) CountIssued(w.invoice.invoice);
        }
        *out = *std::move(saved);
        Present(*out);
        return absl::OkStatus();
      },
      out);
}

absl::Status BillingApi::SendQuote(const Principal& p, const v1::QuoteActionRequest& req,
                                   v1::Quote* out) {
  return QuoteAction(p, req, v1::QUOTE_STATE_SENT, "SendQuote", out);
}
absl::Status BillingApi::AcceptQuote(const Principal& p, const v1::QuoteActionRequest& req,
                                     v1::Quote* out) {
  return QuoteAction(p, req, v1::QUOTE_STATE_ACCEPTED, "AcceptQuote", out);
}
absl::Status BillingApi::RejectQuote(const Principal& p, const v1::QuoteActionRequest& req,
                                     v1::Quote* out) {
  return QuoteAction(p, req, v1::QUOTE_STATE_REJECTED, "RejectQuote", out);
}

}  // namespace certpath::billing
