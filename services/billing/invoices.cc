// Qualified invoices (適格請求書): issue (numbered in the step), void (with an
// optional draft replacement), payments and their corrections, the export.
#include "absl/strings/str_cat.h"
#include "services/billing/domain/freee_export.h"
#include "services/billing/domain/rules.h"
#include "services/billing/service.h"
#include "services/common/act.h"
#include "services/common/call_context.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::billing {
namespace {

namespace d = domain;

constexpr int kMaxExport = 5000;
constexpr size_t kReasonText = 2000;
constexpr const char* kInvoicePaths[] = {"recipient_name", "lines"};

}  // namespace

absl::Status BillingApi::Answer(const absl::StatusOr<CommitResult>& committed,
                                v1::Invoice* out) const {
  if (!committed.ok()) return committed.status();
  if (!out->ParseFromString(committed->response)) return absl::InternalError("corrupt response");
  Present(*out);
  return absl::OkStatus();
}

absl::Status BillingApi::GetInvoice(const Principal& p, const v1::GetInvoiceRequest& req,
                                    v1::Invoice* out) {
  auto inv = LoadInvoice(p, req.name(), "GetInvoice");
  if (!inv.ok()) return inv.status();
  *out = inv->value;
  Present(*out);
  return absl::OkStatus();
}

absl::Status BillingApi::ListInvoices(const Principal& p, const v1::ListInvoicesRequest& req,
                                      v1::ListInvoicesResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "ListInvoices"); !s.ok()) return s;
  if (!v1::InvoiceState_IsValid(req.state())) return InvalidArgument("state", "unknown state");
  auto eid = ListScope(p, req.engagement());
  if (!eid.ok()) return eid.status();
  absl::CivilDay today = TokyoDay(clock_.Now());
  return ListPaged<v1::ListInvoicesResponse, v1::Invoice>(
      tokens_, req.page_size(), req.page_token(),
      {"invoices", req.parent(), std::to_string(req.state()), *eid,
       req.overdue_only() ? "overdue" : "", SeesDrafts(p) ? "" : "numbered"},
      [&](int64_t after, int limit) {
        return store_.ListInvoices(p.tenant(), req.state(), *eid, req.overdue_only(),
                                   !SeesDrafts(p), today, after, limit);
      },
      out, &v1::ListInvoicesResponse::add_invoices,
      [this](const Record& r, v1::Invoice* inv) {
        if (auto s = DecodeWithEtag(r, inv); !s.ok()) return s;
        Present(*inv);
        return absl::OkStatus();
      });
}

absl::Status BillingApi::UpdateInvoice(const Principal& p, const v1::UpdateInvoiceRequest& req,
                                       v1::Invoice* out) {
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kInvoicePaths);
  if (MaskHas(req.update_mask(), "recipient_name")) {
    CheckText(v, "invoice.recipient_name", req.invoice().recipient_name(), 200, true);
  }
  if (MaskHas(req.update_mask(), "lines")) {
    d::CheckLines(v, "invoice.lines", req.invoice().lines(), true);
  }
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Invoice>(
      store_, Idem{}, req.invoice().etag(),
      [&] { return LoadInvoice(p, req.invoice().name(), "UpdateInvoice"); },
      [&](const Stored<v1::Invoice>& before) -> absl::Status {
        v1::Invoice inv = before.value;
        FieldViolations mv;
        ApplyUpdateMask(mv, req.update_mask(), kInvoicePaths, req.invoice(), &inv);
        if (auto s = mv.ToStatus(); !s.ok()) return s;
        auto settings = store_.GetSettings(p.tenant());
        if (!settings.ok()) return settings.status();
        if (auto s = d::RepriceDraft(inv, settings->value, clock_.Now()); !s.ok()) return s;
        return Answer(store_.SaveInvoice(p.tenant(), before, inv, Idem{}), out);
      },
      out);
}

absl::Status BillingApi::IssueInvoice(const Principal& p, const v1::IssueInvoiceRequest& req,
                                      v1::Invoice* out) {
  FieldViolations v;
  CheckDate(v, "issue_date", req.issue_date(), false);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  // A retry of an issue that went through answers with the issued invoice.
  Idem idem = store_.MakeIdem(p.tenant(), p, req.request_id(), req);
  return Act<v1::Invoice>(
      store_, idem, req.etag(), [&] { return LoadInvoice(p, req.name(), "IssueInvoice"); },
      [&](const Stored<v1::Invoice>& before) -> absl::Status {
        auto settings = store_.GetSettings(p.tenant());
        if (!settings.ok()) return settings.status();
        absl::Time now = clock_.Now();
        absl::CivilDay day =
            req.issue_date().year() ? *ToCivilDay(req.issue_date()) : TokyoDay(now);
        v1::Invoice inv = before.value;
        if (auto s = d::Issue(inv, day, settings->value, now); !s.ok()) return s;
        absl::CivilDay today = TokyoDay(now);
        auto latest = store_.LatestNumberedDay(p.tenant(), today);
        if (!latest.ok()) return latest.status();
        if (auto s = d::CheckIssueDate(day, today, *latest); !s.ok()) return s;
        auto r = store_.IssueInvoice(p.tenant(), before, inv, idem, today);
        if (auto s = Answer(r, out); !s.ok()) return s;
        if (!r->replayed) CountIssued(*out);
        return absl::OkStatus();
      },
      out);
}

absl::Status BillingApi::VoidInvoice(const Principal& p, const v1::VoidInvoiceRequest& req,
                                     v1::Invoice* out) {
  FieldViolations v;
  CheckText(v, "reason", req.reason(), kReasonText, true, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Invoice>(
      store_, Idem{}, req.etag(), [&] { return LoadInvoice(p, req.name(), "VoidInvoice"); },
      [&](const Stored<v1::Invoice>& before) -> absl::Status {
        absl::Time now = clock_.Now();
        v1::Invoice inv = before.value;
        auto events = store_.GetEvents(p.tenant(), inv.billing_events());
        if (!events.ok()) return events.status();
        std::vector<v1::BillingEvent> billed;
        for (const auto& e : *events) billed.push_back(e.value);
        if (auto s = d::Void(inv, req.reason(), now); !s.ok()) return s;
        if (auto s = d::CheckFeeStaysBilled(before.value, req.create_replacement(), billed);
            !s.ok()) {
          return s;
        }
        absl::optional<NewInvoice> replacement;
        if (req.create_replacement()) {
          auto settings = store_.GetSettings(p.tenant());
          if (!settings.ok()) return settings.status();
          NewInvoice& n = replacement.emplace();
          n.id = RandomHex(8);
          std::vector<v1::Line> lines(inv.lines().begin(), inv.lines().end());
          std::vector<std::string> events(inv.billing_events().begin(), inv.billing_events().end());
          n.invoice = d::DraftInvoice(absl::StrCat("tenants/", p.tenant(), "/invoices/", n.id),
                                      inv.engagement(), inv.recipient_name(), lines,
                                      settings->value, events, now);
          n.invoice.set_replaces(inv.name());
        }
        // Its billing events are billed by the replacement from now on.
        std::vector<BillingStore::EventChange> rebilled;
        if (replacement) {
          for (auto& e : *events) {
            v1::BillingEvent after = e.value;
            after.set_invoice(replacement->invoice.name());
            rebilled.push_back({std::move(e), std::move(after)});
          }
        }
        auto r = store_.SaveInvoice(p.tenant(), before, inv, Idem{}, replacement, rebilled);
        return Answer(r, out);
      },
      out);
}

absl::Status BillingApi::InvoiceAction(const Principal& p, absl::string_view method,
                                       const std::string& name, const std::string& request_id,
                                       const google::protobuf::Message& req,
                                       const InvoiceChange& change, v1::Invoice* out) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  Idem idem = store_.MakeIdem(p.tenant(), p, request_id, req);
  return Act<v1::Invoice>(
      store_, idem, "", [&] { return LoadInvoice(p, name, method); },
      [&](const Stored<v1::Invoice>& before) -> absl::Status {
        v1::Invoice inv = before.value;
        if (auto s = change(inv, clock_.Now()); !s.ok()) return s;
        auto r = store_.SaveInvoice(p.tenant(), before, inv, idem);
        return Answer(r, out);
      },
      out);
}

absl::Status BillingApi::RecordPayment(const Principal& p, const v1::RecordPaymentRequest& req,
                                       v1::Invoice* out) {
  FieldViolations v;
  CheckDate(v, "paid_date", req.paid_date(), true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return InvoiceAction(
      p, "RecordPayment", req.name(), req.request_id(), req,
      [&](v1::Invoice& inv, absl::Time now) {
        return d::RecordPayment(inv, req.amount_jpy(), *ToCivilDay(req.paid_date()), p.subject(),
                                now);
      },
      out);
}

absl::Status BillingApi::ReversePayment(const Principal& p, const v1::ReversePaymentRequest& req,
                                        v1::Invoice* out) {
  FieldViolations v;
  if (req.payment_id().empty()) v.Add("payment_id", "required");
  CheckText(v, "payment_id", req.payment_id(), 16);
  CheckText(v, "reason", req.reason(), kReasonText, true, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return InvoiceAction(
      p, "ReversePayment", req.name(), req.request_id(), req,
      [&](v1::Invoice& inv, absl::Time now) {
        return d::ReversePayment(inv, req.payment_id(), req.reason(), p.subject(), now);
      },
      out);
}

absl::Status BillingApi::RecordRefund(const Principal& p, const v1::RecordRefundRequest& req,
                                      v1::Invoice* out) {
  FieldViolations v;
  CheckDate(v, "refund_date", req.refund_date(), true);
  CheckText(v, "reason", req.reason(), kReasonText, true, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return InvoiceAction(
      p, "RecordRefund", req.name(), req.request_id(), req,
      [&](v1::Invoice& inv, absl::Time now) {
        return d::RecordRefund(inv, req.amount_jpy(), *ToCivilDay(req.refund_date()), req.reason(),
                               p.subject(), now);
      },
      out);
}

absl::Status BillingApi::ExportInvoices(const Principal& p, const v1::ExportInvoicesRequest& req,
                                        google::api::HttpBody* out) {
  if (auto s = CheckParent(p, req.parent(), "ExportInvoices"); !s.ok()) return s;
  FieldViolations v;
  CheckDate(v, "from", req.from(), true);
  CheckDate(v, "to", req.to(), true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  absl::CivilDay from = *ToCivilDay(req.from()), to = *ToCivilDay(req.to());
  if (from > to) return InvalidArgument("to", "before from");
  if (to - from > 366) return InvalidArgument("to", "export at most a year at a time");
  auto issued = store_.InvoicesIssuedBetween(p.tenant(), from, to, kMaxExport);
  if (!issued.ok()) return issued.status();
  auto refunded = store_.InvoicesRefundedBetween(p.tenant(), from, to, kMaxExport);
  if (!refunded.ok()) return refunded.status();
  d::FreeeExport e = d::ExportFreee(*issued, *refunded, from, to);
  out->set_content_type("text/csv; charset=utf-8");
  out->set_data(std::move(e.csv));
  // The file name and count travel as metadata (HTTP headers through the gateway).
  AddResponseMetadata("content-disposition",
                      absl::StrCat("attachment; filename=\"", e.filename, "\""));
  AddResponseMetadata("x-certpath-invoice-count", std::to_string(e.invoice_count));
  return absl::OkStatus();
}

}  // namespace certpath::billing
