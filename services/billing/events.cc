// Billing events: what the office bills (stage 1 passed, options delivered,
// paid reviews…), exactly once per request_id, each with its invoice.
#include "absl/strings/str_cat.h"
#include "certpath/documents/v1/events.pb.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "certpath/scheduling/v1/scheduling.pb.h"
#include "services/billing/domain/rules.h"
#include "services/billing/service.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/retry.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::billing {

namespace d = domain;

absl::Status BillingApi::RecordBillingEvent(const Principal& p,
                                            const v1::RecordBillingEventRequest& req,
                                            v1::BillingEvent* out) {
  if (auto s = CheckParent(p, req.parent(), "RecordBillingEvent"); !s.ok()) return s;
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
  // Kept for good: a redelivery months later is still the same event.
  Idem idem = store_.MakeIdem(tenant, p, id, req, /*keep_for_good=*/true);
  if (auto day = ToCivilDay(in.occurred_date()); day && *day > TokyoDay(clock_.Now())) {
    // A retry of one recorded before this rule is still answered as it was.
    if (auto answered = store_.AnswerReplay(idem, out)) return *answered;
    return InvalidArgument("billing_event.occurred_date", "is in the future");
  }
  if (stage1 && p.role() != Principal::ROLE_SERVICE) {
    // Only engagements' Stage1Passed bills the fee (anyone else could bill
    // an engagement that never passed, or bill it again); a retry of one
    // recorded before this rule is still answered as it was.
    if (auto answered = store_.AnswerReplay(idem, out)) return *answered;
    return Error(absl::StatusCode::kPermissionDenied, "STAGE1_FROM_ENGAGEMENTS",
                 "the consulting fee is billed when engagements records stage 1 passed "
                 "(RecordAuditResult), never by hand");
  }
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
    *e.mutable_create_time() = ToTimestamp(now);
    std::vector<v1::Line> lines(in.lines().begin(), in.lines().end());
    std::string recipient = in.recipient_name();
    if (stage1 && accepted.quote) {
      lines = d::ConsultingFeeLines(accepted.quote->value);
      recipient = accepted.quote->value.recipient_name();
    }
    absl::optional<NewInvoice> invoice;
    if (lines.empty()) {
      e.set_state(v1::BILLING_EVENT_STATE_NEEDS_QUOTE);
    } else {
      NewInvoice& n = invoice.emplace();
      n.id = RandomHex(8);
      n.invoice =
          d::DraftInvoice(absl::StrCat("tenants/", tenant, "/invoices/", n.id), in.engagement(),
                          recipient, lines, settings->value, {e.name()}, now);
      n.issue = stage1 && settings->value.issue_stage1_invoices() &&
                d::Issue(n.invoice, TokyoDay(now), settings->value, now).ok();
      e.set_state(v1::BILLING_EVENT_STATE_INVOICED);
      e.set_invoice(n.invoice.name());
    }
    auto r = store_.RecordEvent(
        tenant, id, e, idem,
        stage1 ? absl::optional<int64_t>(accepted.pointer_version) : absl::nullopt, invoice);
    if (!r.ok()) return r.status();
    if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
    if (!r->replayed) {
      events_total_.Add({{"kind", v1::BillingEventKind_Name(e.kind())}}).Increment();
      if (invoice && invoice->issue) CountIssued(invoice->invoice);
    }
    return absl::OkStatus();
  });
}

absl::Status BillingApi::ApplyStage1Passed(const Principal& p,
                                           const certpath::common::v1::OutboxEvent& event) {
  engagements::v1::Stage1Passed payload;
  if (!event.payload().UnpackTo(&payload)) {
    return InvalidArgument("event.payload", "not a certpath.engagements.v1.Stage1Passed");
  }
  v1::RecordBillingEventRequest req;
  req.set_parent("tenants/" + event.tenant());
  req.set_request_id(event.id());
  auto* be = req.mutable_billing_event();
  be->set_kind(v1::BILLING_EVENT_KIND_STAGE1_PASSED);
  be->set_engagement(payload.engagement());
  be->set_source_event_id(event.id());
  *be->mutable_occurred_date() = payload.audit_date();
  v1::BillingEvent recorded;
  return RecordBillingEvent(p, req, &recorded);
}

absl::StatusOr<std::string> BillingApi::RecipientOf(const std::string& tenant,
                                                    const std::string& engagement) {
  auto eng = ParseName("event.payload.engagement", engagement, {"tenants", "engagements"});
  if (!eng.ok()) return eng.status();
  // The invoice goes to whom the engagement's accepted quote is addressed.
  auto accepted = store_.GetAcceptedQuote(tenant, (*eng)[1]);
  if (!accepted.ok()) return accepted.status();
  if (!accepted->quote) {
    return FailedPrecondition("NO_ACCEPTED_QUOTE",
                              "a billed service is invoiced to the recipient of the engagement's "
                              "accepted quote; accept one, then replay this dead letter");
  }
  return accepted->quote->value.recipient_name();
}

absl::Status BillingApi::RecordConsumed(const Principal& p,
                                        const certpath::common::v1::OutboxEvent& event,
                                        v1::BillingEventKind kind, const std::string& engagement,
                                        const google::type::Date& occurred,
                                        const std::vector<v1::Line>& lines) {
  auto recipient = RecipientOf(event.tenant(), engagement);
  if (!recipient.ok()) return recipient.status();
  v1::RecordBillingEventRequest req;
  req.set_parent("tenants/" + event.tenant());
  req.set_request_id(event.id());
  auto* be = req.mutable_billing_event();
  be->set_kind(kind);
  be->set_engagement(engagement);
  be->set_source_event_id(event.id());
  *be->mutable_occurred_date() = occurred;
  be->set_recipient_name(*recipient);
  for (const auto& l : lines) {
    // Descriptions made from the producer's text (a document's title, an
    // expense's note) fit the line's 200 characters: never refused for length.
    v1::Line* line = be->add_lines();
    *line = l;
    line->set_description(ClipText(l.description(), 200));
  }
  v1::BillingEvent recorded;
  return RecordBillingEvent(p, req, &recorded);
}

absl::Status BillingApi::ApplyVisitCompleted(const Principal& p,
                                             const certpath::common::v1::OutboxEvent& event) {
  certpath::scheduling::v1::VisitCompleted visit;
  if (!event.payload().UnpackTo(&visit)) {
    return InvalidArgument("event.payload", "not a certpath.scheduling.v1.VisitCompleted");
  }
  v1::BillingEventKind kind = d::PaidVisitKind(visit.kind());
  if (kind == v1::BILLING_EVENT_KIND_UNSPECIFIED) return absl::OkStatus();  // included: free
  auto settings = store_.GetSettings(event.tenant());
  if (!settings.ok()) return settings.status();
  return RecordConsumed(p, event, kind, visit.engagement(), visit.visit_date(),
                        d::PaidVisitLines(visit, settings->value.prices()));
}

absl::Status BillingApi::ApplyPaidReviewAccepted(const Principal& p,
                                                 const certpath::common::v1::OutboxEvent& event) {
  certpath::documents::v1::PaidReviewAccepted review;
  if (!event.payload().UnpackTo(&review)) {
    return InvalidArgument("event.payload", "not a certpath.documents.v1.PaidReviewAccepted");
  }
  v1::Line line;
  line.set_kind(v1::LINE_KIND_DOCUMENT_REVIEW);
  line.set_description("マニュアル改訂に伴う文書審査 " + review.document_title());
  line.set_quantity(1);
  line.set_unit("式");
  line.set_unit_price_jpy(review.price_jpy());
  return RecordConsumed(p, event, v1::BILLING_EVENT_KIND_POST_CONTRACT_DOCUMENT_REVIEW,
                        review.engagement(), review.accept_date(), {line});
}

absl::Status BillingApi::ListBillingEvents(const Principal& p,
                                           const v1::ListBillingEventsRequest& req,
                                           v1::ListBillingEventsResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "ListBillingEvents"); !s.ok()) return s;
  auto eid = ListScope(p, req.engagement());
  if (!eid.ok()) return eid.status();
  return ListPaged<v1::ListBillingEventsResponse, v1::BillingEvent>(
      tokens_, req.page_size(), req.page_token(),
      {"events", req.parent(), req.needs_quote_only() ? "nq" : "", *eid},
      [&](int64_t after, int limit) {
        return store_.ListEvents(p.tenant(), req.needs_quote_only(), *eid, after, limit);
      },
      out, &v1::ListBillingEventsResponse::add_billing_events, DecodeRecord<v1::BillingEvent>);
}

}  // namespace certpath::billing
