#include "services/billing/domain/rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/clock.h"
#include "services/common/validate.h"

namespace certpath::billing::domain {
namespace {

google::protobuf::Timestamp Ts(absl::Time t) { return ToTimestamp(t); }

std::vector<v1::Line*> Pointers(google::protobuf::RepeatedPtrField<v1::Line>* lines) {
  std::vector<v1::Line*> out;
  for (auto& l : *lines) out.push_back(&l);
  return out;
}

}  // namespace

void CheckLines(FieldViolations& v, const std::string& field,
                const google::protobuf::RepeatedPtrField<v1::Line>& lines, bool required) {
  if (lines.empty() && required) v.Add(field, "at least one line is required");
  if (lines.size() > 100) v.Add(field, "at most 100 lines");
  for (int i = 0; i < lines.size(); ++i) {
    const v1::Line& l = lines[i];
    std::string f = absl::StrCat(field, "[", i, "]");
    if (!v1::LineKind_IsValid(l.kind()) || l.kind() == v1::LINE_KIND_UNSPECIFIED) {
      v.Add(f + ".kind", "required");
    }
    CheckText(v, f + ".description", l.description(), 200, /*required=*/true);
    CheckText(v, f + ".unit", l.unit(), 10);
    if (l.quantity() < 1 || l.quantity() > kMaxQuantity) {
      v.Add(f + ".quantity", absl::StrCat("must be 1..", kMaxQuantity));
    }
    if (l.unit_price_jpy() < 0 || l.unit_price_jpy() > kMaxUnitPriceJpy) {
      v.Add(f + ".unit_price_jpy", absl::StrCat("must be 0..", kMaxUnitPriceJpy, " yen"));
    }
  }
}

void CheckSettings(FieldViolations& v, const v1::BillingSettings& s) {
  CheckText(v, "settings.issuer_name", s.issuer_name(), 200);
  CheckText(v, "settings.issuer_address", s.issuer_address(), 400);
  if (!s.registration_number().empty() && !IsRegistrationNumber(s.registration_number())) {
    v.Add("settings.registration_number", "must be T followed by 13 digits");
  }
  if (s.tax_rate_percent() != 10 && s.tax_rate_percent() != 8 && s.tax_rate_percent() != 0) {
    v.Add("settings.tax_rate_percent", "must be 10, 8 or 0");
  }
  if (!v1::RoundingMode_IsValid(s.rounding()) || s.rounding() == v1::ROUNDING_MODE_UNSPECIFIED) {
    v.Add("settings.rounding", "must be DOWN, UP or HALF_UP");
  }
  if (!v1::PaymentTerms_IsValid(s.payment_terms()) ||
      s.payment_terms() == v1::PAYMENT_TERMS_UNSPECIFIED) {
    v.Add("settings.payment_terms", "must be END_OF_NEXT_MONTH or NET_DAYS");
  }
  if (s.payment_days() < 0 || s.payment_days() > 365) {
    v.Add("settings.payment_days", "must be 0..365");
  }
  const v1::PriceList& p = s.prices();
  for (auto [name, value] : {std::pair{"day_rate_jpy", p.day_rate_jpy()},
                             {"half_day_rate_jpy", p.half_day_rate_jpy()},
                             {"advisory_retainer_annual_jpy", p.advisory_retainer_annual_jpy()},
                             {"manual_review_min_jpy", p.manual_review_min_jpy()},
                             {"manual_review_max_jpy", p.manual_review_max_jpy()}}) {
    if (value < 0 || value > kMaxUnitPriceJpy) {
      v.Add(absl::StrCat("settings.prices.", name), "must be 0..100,000,000 yen");
    }
  }
  if (p.manual_review_min_jpy() > p.manual_review_max_jpy()) {
    v.Add("settings.prices.manual_review_min_jpy", "above the maximum");
  }
}

v1::QuoteState EffectiveQuoteState(const v1::Quote& q, absl::CivilDay today) {
  auto until = ToCivilDay(q.valid_until());
  if (q.state() == v1::QUOTE_STATE_SENT && until && today > *until) return v1::QUOTE_STATE_EXPIRED;
  return q.state();
}

absl::Status MoveQuote(v1::Quote& q, v1::QuoteState to, absl::CivilDay today) {
  v1::QuoteState from = EffectiveQuoteState(q, today);
  // A client accepts only a quote it was sent; a draft may be withdrawn (rejected).
  bool ok = (to == v1::QUOTE_STATE_SENT && from == v1::QUOTE_STATE_DRAFT) ||
            (to == v1::QUOTE_STATE_ACCEPTED && from == v1::QUOTE_STATE_SENT) ||
            (to == v1::QUOTE_STATE_REJECTED &&
             (from == v1::QUOTE_STATE_DRAFT || from == v1::QUOTE_STATE_SENT));
  if (!ok) {
    return FailedPrecondition("QUOTE_STATE", "a " + v1::QuoteState_Name(from) +
                                                 " quote cannot become " + v1::QuoteState_Name(to));
  }
  q.set_state(to);
  return absl::OkStatus();
}

std::vector<v1::Line> ConsultingFeeLines(const v1::Quote& q) {
  std::vector<v1::Line> out;
  for (const auto& l : q.lines()) {
    if (l.kind() == v1::LINE_KIND_CONSULTING_FEE) out.push_back(l);
  }
  return out;
}

std::vector<v1::Line> PaidVisitLines(const certpath::scheduling::v1::VisitCompleted& visit,
                                     const v1::PriceList& prices) {
  namespace sv1 = certpath::scheduling::v1;
  std::vector<v1::Line> out;
  if (PaidVisitKind(visit.kind()) == v1::BILLING_EVENT_KIND_UNSPECIFIED) return out;
  static const char* kWhat[] = {"内部監査員教育", "内部監査へのオブザーブ", "審査へのオブザーブ",
                                "ISMS構築に関連する打合せ・会議への参加", "調査・分析"};
  std::string what = visit.kind() == sv1::VISIT_KIND_POST_CONTRACT_GUIDANCE
                         ? "訪問指導" + (visit.theme().empty() ? "" : "（" + visit.theme() + "）")
                         : kWhat[visit.kind() - sv1::VISIT_KIND_OPTION_A];
  bool half = visit.billable_length() == sv1::BILLABLE_LENGTH_HALF_DAY;
  v1::Line& fee = out.emplace_back();
  fee.set_kind(v1::LINE_KIND_GUIDANCE);
  fee.set_description("指導料 " + what);
  fee.set_quantity(1);
  fee.set_unit(half ? "半日" : "日");
  fee.set_unit_price_jpy(half ? prices.half_day_rate_jpy() : prices.day_rate_jpy());
  for (const auto& x : visit.expenses()) {
    v1::Line& l = out.emplace_back();
    switch (x.kind()) {
      case sv1::EXPENSE_KIND_MATERIALS:
        l.set_kind(v1::LINE_KIND_MATERIALS);
        l.set_description("作成資料代 " + x.description());
        break;
      case sv1::EXPENSE_KIND_RESEARCH:
        l.set_kind(v1::LINE_KIND_RESEARCH);
        l.set_description("調査料 " + x.description());
        break;
      default:
        l.set_kind(v1::LINE_KIND_TRAVEL);
        l.set_description("交通費 " + x.description());
        break;
    }
    l.set_quantity(1);
    l.set_unit("式");
    l.set_unit_price_jpy(x.amount_jpy());
  }
  return out;
}

v1::BillingEventKind PaidVisitKind(certpath::scheduling::v1::VisitKind kind) {
  namespace sv1 = certpath::scheduling::v1;
  if (kind >= sv1::VISIT_KIND_OPTION_A && kind <= sv1::VISIT_KIND_OPTION_E) {
    return v1::BILLING_EVENT_KIND_OPTION_DELIVERED;
  }
  if (kind == sv1::VISIT_KIND_POST_CONTRACT_GUIDANCE) {
    return v1::BILLING_EVENT_KIND_POST_CONTRACT_GUIDANCE_VISIT;
  }
  return v1::BILLING_EVENT_KIND_UNSPECIFIED;
}

v1::Invoice DraftInvoice(const std::string& name, const std::string& engagement,
                         const std::string& recipient, const std::vector<v1::Line>& lines,
                         const v1::BillingSettings& settings,
                         const std::vector<std::string>& billing_events, absl::Time now) {
  v1::Invoice inv;
  inv.set_name(name);
  inv.set_state(v1::INVOICE_STATE_DRAFT);
  inv.set_engagement(engagement);
  inv.set_recipient_name(recipient);
  for (const auto& l : lines) *inv.add_lines() = l;
  *inv.mutable_totals() = ComputeTotals(Pointers(inv.mutable_lines()), settings);
  inv.set_balance_jpy(inv.totals().amount_due_jpy());
  for (const auto& e : billing_events) inv.add_billing_events(e);
  *inv.mutable_create_time() = Ts(now);
  *inv.mutable_update_time() = Ts(now);
  return inv;
}

absl::Status CheckIssueDate(absl::CivilDay issue_date, absl::CivilDay today,
                            absl::optional<absl::CivilDay> latest) {
  if (issue_date > today) {
    return InvalidArgument("issue_date", absl::StrCat("is in the future (today is ",
                                                      absl::FormatCivilTime(today), " in Tokyo)"));
  }
  if (latest && issue_date < *latest) {
    return InvalidArgument(
        "issue_date",
        absl::StrCat("is before ", absl::FormatCivilTime(*latest),
                     ", the issue date of an invoice numbered earlier: numbers and dates go in "
                     "the same order"));
  }
  return absl::OkStatus();
}

absl::Status RepriceDraft(v1::Invoice& inv, const v1::BillingSettings& settings, absl::Time now) {
  if (inv.state() != v1::INVOICE_STATE_DRAFT) {
    return FailedPrecondition("INVOICE_STATE",
                              "only a draft invoice is edited; void an issued one with a "
                              "replacement and edit the replacement");
  }
  *inv.mutable_totals() = ComputeTotals(Pointers(inv.mutable_lines()), settings);
  inv.set_balance_jpy(inv.totals().amount_due_jpy() - inv.paid_jpy());
  *inv.mutable_update_time() = Ts(now);
  return absl::OkStatus();
}

absl::Status Issue(v1::Invoice& inv, absl::CivilDay issue_date, const v1::BillingSettings& settings,
                   absl::Time now) {
  if (inv.state() != v1::INVOICE_STATE_DRAFT) {
    return FailedPrecondition("INVOICE_STATE", "only a draft invoice is issued");
  }
  if (settings.issuer_name().empty() || !IsRegistrationNumber(settings.registration_number())) {
    return FailedPrecondition("ISSUER_INCOMPLETE",
                              "set the issuer name and registration number (T + 13 digits) in the "
                              "billing settings before issuing a qualified invoice");
  }
  // Recompute with the settings in force on the issue date.
  *inv.mutable_totals() = ComputeTotals(Pointers(inv.mutable_lines()), settings);
  inv.set_state(v1::INVOICE_STATE_ISSUED);
  *inv.mutable_issue_date() = ToDate(issue_date);
  *inv.mutable_due_date() = ToDate(DueDate(issue_date, settings));
  inv.set_issuer_name(settings.issuer_name());
  inv.set_issuer_address(settings.issuer_address());
  inv.set_registration_number(settings.registration_number());
  inv.set_balance_jpy(inv.totals().amount_due_jpy() - inv.paid_jpy());
  *inv.mutable_update_time() = Ts(now);
  return absl::OkStatus();
}

absl::Status CheckFeeStaysBilled(const v1::Invoice& inv, bool replacement,
                                 const std::vector<v1::BillingEvent>& events) {
  if (replacement || inv.state() != v1::INVOICE_STATE_ISSUED) return absl::OkStatus();
  for (const auto& e : events) {
    if (e.kind() == v1::BILLING_EVENT_KIND_STAGE1_PASSED) {
      return FailedPrecondition(
          "FEE_NEEDS_REPLACEMENT",
          "this invoice bills the consulting fee of stage 1, which cannot be billed again: void "
          "it with create_replacement and correct the replacement (UpdateInvoice); to waive the "
          "fee, void that draft");
    }
  }
  return absl::OkStatus();
}

absl::Status Void(v1::Invoice& inv, const std::string& reason, absl::Time now) {
  if (inv.state() != v1::INVOICE_STATE_ISSUED && inv.state() != v1::INVOICE_STATE_DRAFT) {
    return FailedPrecondition("INVOICE_STATE",
                              inv.state() == v1::INVOICE_STATE_PAID
                                  ? "a paid invoice is not voided; refund the money first"
                                  : "the invoice is voided already");
  }
  if (inv.paid_jpy() > 0) {
    return FailedPrecondition("INVOICE_PAID",
                              "money was received; refund it (or reverse a wrong payment) first");
  }
  inv.set_state(v1::INVOICE_STATE_VOID);
  inv.set_void_reason(reason);
  inv.set_balance_jpy(0);
  *inv.mutable_update_time() = Ts(now);
  return absl::OkStatus();
}

absl::Status RecordPayment(v1::Invoice& inv, int64_t amount, absl::CivilDay paid_date,
                           const std::string& by, absl::Time now) {
  if (inv.state() != v1::INVOICE_STATE_ISSUED) {
    return FailedPrecondition("INVOICE_STATE", "payments are recorded on issued invoices");
  }
  if (amount <= 0) return InvalidArgument("amount_jpy", "must be positive");
  if (amount > inv.balance_jpy()) {
    return InvalidArgument("amount_jpy",
                           absl::StrCat("above the balance of ", inv.balance_jpy(), " yen"));
  }
  if (paid_date > TokyoDay(now)) return InvalidArgument("paid_date", "is in the future");
  v1::Payment* p = inv.add_payments();
  p->set_id(std::to_string(inv.payments_size()));
  p->set_amount_jpy(amount);
  *p->mutable_paid_date() = ToDate(paid_date);
  p->set_recorded_by(by);
  *p->mutable_record_time() = Ts(now);
  inv.set_paid_jpy(inv.paid_jpy() + amount);
  inv.set_balance_jpy(inv.balance_jpy() - amount);
  if (inv.balance_jpy() == 0) inv.set_state(v1::INVOICE_STATE_PAID);
  *inv.mutable_update_time() = Ts(now);
  return absl::OkStatus();
}

namespace {
// Paid moved down by `amount`: the balance follows, a paid invoice is open again.
void Reopen(v1::Invoice& inv, int64_t amount, absl::Time now) {
  inv.set_paid_jpy(inv.paid_jpy() - amount);
  inv.set_balance_jpy(inv.balance_jpy() + amount);
  if (inv.state() == v1::INVOICE_STATE_PAID && inv.balance_jpy() > 0) {
    inv.set_state(v1::INVOICE_STATE_ISSUED);
  }
  *inv.mutable_update_time() = Ts(now);
}

absl::Status RequireReceivable(const v1::Invoice& inv) {
  if (inv.state() != v1::INVOICE_STATE_ISSUED && inv.state() != v1::INVOICE_STATE_PAID) {
    return FailedPrecondition(
        "INVOICE_STATE", "a " + v1::InvoiceState_Name(inv.state()) + " invoice has no payments");
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status ReversePayment(v1::Invoice& inv, const std::string& payment_id,
                            const std::string& reason, const std::string& by, absl::Time now) {
  if (auto s = RequireReceivable(inv); !s.ok()) return s;
  v1::Payment* p = nullptr;
  for (int i = 0; i < inv.payments_size(); ++i) {
    v1::Payment& candidate = *inv.mutable_payments(i);
    // Payments recorded before ids existed are named by their position.
    std::string id = candidate.id().empty() ? std::to_string(i + 1) : candidate.id();
    if (id == payment_id) p = &candidate;
  }
  if (p == nullptr) return NotFound("payment " + payment_id);
  if (p->reversed()) return FailedPrecondition("PAYMENT_REVERSED", "the payment was reversed");
  if (p->amount_jpy() > inv.paid_jpy()) {
    return FailedPrecondition("REFUNDED",
                              "part of this payment was refunded; the rest cannot be reversed");
  }
  p->set_reversed(true);
  p->set_reversal_reason(reason);
  p->set_reversed_by(by);
  *p->mutable_reverse_time() = Ts(now);
  Reopen(inv, p->amount_jpy(), now);
  return absl::OkStatus();
}

absl::Status RecordRefund(v1::Invoice& inv, int64_t amount, absl::CivilDay refund_date,
                          const std::string& reason, const std::string& by, absl::Time now) {
  if (auto s = RequireReceivable(inv); !s.ok()) return s;
  if (amount <= 0) return InvalidArgument("amount_jpy", "must be positive");
  if (amount > inv.paid_jpy()) {
    return InvalidArgument("amount_jpy",
                           absl::StrCat("above the ", inv.paid_jpy(), " yen received"));
  }
  if (refund_date > TokyoDay(now)) return InvalidArgument("refund_date", "is in the future");
  // Money is paid back after it came in: what was received by that day (the
  // payments kept), less what was paid back by then, covers it.
  int64_t received = 0;
  for (const auto& pay : inv.payments()) {
    auto day = ToCivilDay(pay.paid_date());
    if (!pay.reversed() && day && *day <= refund_date) received += pay.amount_jpy();
  }
  for (const auto& earlier : inv.refunds()) {
    auto day = ToCivilDay(earlier.refund_date());
    if (day && *day <= refund_date) received -= earlier.amount_jpy();
  }
  if (amount > received) {
    return InvalidArgument("refund_date",
                           absl::StrCat("only ", std::max<int64_t>(received, 0),
                                        " yen had been received and not paid back by ",
                                        absl::FormatCivilTime(refund_date)));
  }
  v1::Refund* r = inv.add_refunds();
  r->set_id(std::to_string(inv.refunds_size()));
  r->set_amount_jpy(amount);
  *r->mutable_refund_date() = ToDate(refund_date);
  r->set_reason(reason);
  r->set_recorded_by(by);
  *r->mutable_record_time() = Ts(now);
  inv.set_refunded_jpy(inv.refunded_jpy() + amount);
  Reopen(inv, amount, now);
  return absl::OkStatus();
}

bool IsOverdue(const v1::Invoice& inv, absl::CivilDay today) {
  auto due = ToCivilDay(inv.due_date());
  return inv.state() == v1::INVOICE_STATE_ISSUED && inv.balance_jpy() > 0 && due && today > *due;
}

}  // namespace certpath::billing::domain
