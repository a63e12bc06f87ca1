// The billing service with the engagements service, both in process over real
// gRPC on one real redis-server: the stage-1 trigger end to end, quotes,
// invoices, payments, export, access.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/billing/domain/policy.h"
#include "services/billing/store.h"
#include "services/common/record_store.h"
#include "services/common/redis.h"
#include "services/common/status.h"
#include "tests/billing/billing_fixture.h"

namespace certpath::testing {
namespace {

TEST_F(BillingTest, Stage1PassedBecomesOneQualifiedInvoice) {
  SetUpIssuer(/*withholding=*/true);
  v1::Client c = [&] {
    v1::CreateClientRequest req;
    req.set_parent("tenants/t1");
    req.mutable_client()->set_display_name("株式会社デモ");
    v1::Client out;
    EXPECT_TRUE(Call(eng, &EStub::CreateClient, kAdmin, req, &out).ok());
    return out;
  }();
  v1::Engagement e;
  ASSERT_TRUE(
      Call(eng, &EStub::CreateEngagement, kAdmin, EngagementRequest(c.name(), {"p1"}), &e).ok());
  AcceptedQuote(e.name(), 1'200'000);
  PassStage1(e.name());
  auto invoices = WaitInvoices(e.name(), 1);
  ASSERT_EQ(invoices.size(), 1u);
  const bv1::Invoice& inv = invoices[0];
  EXPECT_EQ(inv.state(), bv1::INVOICE_STATE_ISSUED);
  EXPECT_EQ(inv.number(), "INV-0001");
  EXPECT_EQ(inv.recipient_name(), "株式会社デモ");
  EXPECT_EQ(inv.registration_number(), "T1234567890123");
  ASSERT_EQ(inv.lines_size(), 1);  // the consulting fee only, not the option
  EXPECT_EQ(inv.totals().subtotal_jpy(), 1'200'000);
  EXPECT_EQ(inv.totals().tax_jpy(), 120'000);
  EXPECT_EQ(inv.totals().withholding_jpy(), 142'940);
  EXPECT_EQ(inv.totals().amount_due_jpy(), 1'177'060);
  EXPECT_EQ(inv.due_date().month(), 12);
  EXPECT_EQ(inv.due_date().day(), 31);
  // The outbox drained, and nothing more arrives.
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(Invoices(e.name()).size(), 1u);
  bv1::ListBillingEventsRequest evs;
  evs.set_parent("tenants/t1");
  bv1::ListBillingEventsResponse events;
  ASSERT_TRUE(Call(bill, &BStub::ListBillingEvents, kAdmin, evs, &events).ok());
  ASSERT_EQ(events.billing_events_size(), 1);
  EXPECT_EQ(events.billing_events(0).state(), bv1::BILLING_EVENT_STATE_INVOICED);
  EXPECT_EQ(events.billing_events(0).invoice(), inv.name());
  // The fee is never billed by hand (office staff could bill an engagement
  // that never passed, or bill it again), nor twice from another event id.
  bv1::RecordBillingEventRequest by_hand;
  by_hand.set_parent("tenants/t1");
  by_hand.set_request_id("5e1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  by_hand.mutable_billing_event()->set_kind(bv1::BILLING_EVENT_KIND_STAGE1_PASSED);
  by_hand.mutable_billing_event()->set_engagement(e.name());
  *by_hand.mutable_billing_event()->mutable_occurred_date() = Day(2026, 11, 25);
  bv1::BillingEvent again;
  for (const Principal& staff : {kAdmin, kConsultant}) {
    EXPECT_EQ(ErrorReason(Call(bill, &BStub::RecordBillingEvent, staff, by_hand, &again)),
              "STAGE1_FROM_ENGAGEMENTS");
  }
  EXPECT_EQ(Call(bill, &BStub::RecordBillingEvent,
                 MakePrincipal(Principal::ROLE_SERVICE, "engagements-relay"), by_hand, &again)
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Invoices(e.name()).size(), 1u);

  // Access: the client company and the engagement's partner see it; others do not.
  std::string cid = c.name().substr(c.name().rfind('/') + 1);
  bv1::GetInvoiceRequest get;
  get.set_name(inv.name());
  bv1::Invoice seen;
  EXPECT_TRUE(
      Call(bill, &BStub::GetInvoice, MakePrincipal(Principal::ROLE_CLIENT, "y", cid), get, &seen)
          .ok());
  EXPECT_TRUE(
      Call(bill, &BStub::GetInvoice, MakePrincipal(Principal::ROLE_PARTNER, "p", "p1"), get, &seen)
          .ok());
  EXPECT_EQ(
      Call(bill, &BStub::GetInvoice, MakePrincipal(Principal::ROLE_PARTNER, "p", "p2"), get, &seen)
          .code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(Call(bill, &BStub::GetInvoice, MakePrincipal(Principal::ROLE_CLIENT, "z", "other"), get,
                 &seen)
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Call(bill, &BStub::GetInvoice,
                 MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "e", "", "t2"), get, &seen)
                .code(),
            absl::StatusCode::kNotFound);
  bv1::VoidInvoiceRequest vr;
  vr.set_name(inv.name());
  vr.set_reason("x");
  EXPECT_EQ(Call(bill, &BStub::VoidInvoice, kConsultant, vr, &seen).code(),
            absl::StatusCode::kPermissionDenied);
}

// An admin override went past stage 1 before its result was recorded: the
// pass recorded late still bills the fee, once.
TEST_F(BillingTest, AStage1PassRecordedAfterAnOverridePastItIsStillBilled) {
  SetUpIssuer(/*withholding=*/false);
  v1::Engagement e = NewEngagement();
  AcceptedQuote(e.name(), 900'000);
  for (int i = 0; i < 4; ++i) {  // to operation 2, stage 1 passed over
    v1::AdvancePhaseRequest adv;
    adv.set_name(e.name());
    adv.set_override_reason("審査結果は後日入力");
    ASSERT_TRUE(Call(eng, &EStub::AdvancePhase, kAdmin, adv, &e).ok());
  }
  ASSERT_EQ(e.phase(), v1::PHASE_OPERATION_2);
  EXPECT_TRUE(Invoices(e.name()).empty());
  v1::Engagement after;
  ASSERT_TRUE(
      Call(eng, &EStub::RecordAuditResult, kConsultant, Stage1Passed(e.name()), &after).ok());
  EXPECT_EQ(after.phase(), v1::PHASE_OPERATION_2);
  auto invoices = WaitInvoices(e.name(), 1);
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0].totals().subtotal_jpy(), 900'000);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(Invoices(e.name()).size(), 1u);
}

TEST_F(BillingTest, WithoutAnAcceptedQuoteTheEventWaitsThenIsInvoicedOnAcceptance) {
  SetUpIssuer(false);
  v1::Engagement e = NewEngagement();
  PassStage1(e.name());
  bv1::ListBillingEventsRequest evs;
  evs.set_parent("tenants/t1");
  evs.set_needs_quote_only(true);
  bv1::ListBillingEventsResponse waiting;
  for (int i = 0; i < 100 && waiting.billing_events_size() == 0; ++i) {
    waiting.Clear();
    ASSERT_TRUE(Call(bill, &BStub::ListBillingEvents, kAdmin, evs, &waiting).ok());
    if (waiting.billing_events_size() == 0) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(waiting.billing_events_size(), 1);
  EXPECT_EQ(waiting.billing_events(0).state(), bv1::BILLING_EVENT_STATE_NEEDS_QUOTE);
  EXPECT_TRUE(Invoices(e.name()).empty());
  AcceptedQuote(e.name(), 800'000);
  auto invoices = Invoices(e.name());
  ASSERT_EQ(invoices.size(), 1u);  // in the same step as the acceptance
  EXPECT_EQ(invoices[0].number(), "INV-0001");
  EXPECT_EQ(invoices[0].totals().total_jpy(), 880'000);
  EXPECT_EQ(invoices[0].totals().withholding_jpy(), 0);
  waiting.Clear();
  ASSERT_TRUE(Call(bill, &BStub::ListBillingEvents, kAdmin, evs, &waiting).ok());
  EXPECT_EQ(waiting.billing_events_size(), 0);
  // A second acceptance for the same engagement is refused.
  bv1::CreateQuoteRequest again;
  again.set_parent("tenants/t1");
  again.mutable_quote()->set_engagement(e.name());
  again.mutable_quote()->set_recipient_name("株式会社デモ");
  *again.mutable_quote()->mutable_valid_until() = Day(2026, 12, 31);
  auto* l = again.mutable_quote()->add_lines();
  l->set_kind(bv1::LINE_KIND_CONSULTING_FEE);
  l->set_description("追加");
  l->set_quantity(1);
  l->set_unit_price_jpy(1);
  bv1::Quote q2;
  ASSERT_TRUE(Call(bill, &BStub::CreateQuote, kAdmin, again, &q2).ok());
  bv1::QuoteActionRequest act;
  act.set_name(q2.name());
  ASSERT_TRUE(Call(bill, &BStub::SendQuote, kAdmin, act, &q2).ok());
  EXPECT_EQ(ErrorReason(Call(bill, &BStub::AcceptQuote, kAdmin, act, &q2)),
            "QUOTE_ALREADY_ACCEPTED");
}

TEST_F(BillingTest, RecordBillingEventIsIdempotentAndValidated) {
  SetUpIssuer(false);
  v1::Engagement e = NewEngagement();
  bv1::RecordBillingEventRequest req;
  req.set_parent("tenants/t1");
  req.set_request_id("7a1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  auto* be = req.mutable_billing_event();
  be->set_kind(bv1::BILLING_EVENT_KIND_OPTION_DELIVERED);
  be->set_engagement(e.name());
  be->set_recipient_name("株式会社デモ");
  *be->mutable_occurred_date() = Day(2026, 11, 25);
  auto* l = be->add_lines();
  l->set_kind(bv1::LINE_KIND_GUIDANCE);
  l->set_description("内部監査へのオブザーブ（半日）");
  l->set_quantity(1);
  l->set_unit("半日");
  l->set_unit_price_jpy(30'000);
  bv1::BillingEvent first, again;
  ASSERT_TRUE(Call(bill, &BStub::RecordBillingEvent, kConsultant, req, &first).ok());
  ASSERT_TRUE(Call(bill, &BStub::RecordBillingEvent, kConsultant, req, &again).ok());
  EXPECT_EQ(first.invoice(), again.invoice());
  EXPECT_EQ(Invoices(e.name()).size(), 1u);
  EXPECT_EQ(Invoices(e.name())[0].state(), bv1::INVOICE_STATE_DRAFT);  // options: drafts

  bv1::RecordBillingEventRequest other = req;
  other.mutable_billing_event()->mutable_lines(0)->set_unit_price_jpy(50'000);
  EXPECT_EQ(ViolatedFields(Call(bill, &BStub::RecordBillingEvent, kConsultant, other, &again)),
            std::vector<std::string>{"request_id"});
  struct Case {
    const char* what;
    std::function<void(bv1::RecordBillingEventRequest&)> edit;
    const char* field;
  };
  const Case cases[] = {
      {"negative price",
       [](auto& r) { r.mutable_billing_event()->mutable_lines(0)->set_unit_price_jpy(-5); },
       "billing_event.lines[0].unit_price_jpy"},
      {"absurd quantity",
       [](auto& r) { r.mutable_billing_event()->mutable_lines(0)->set_quantity(1'000'000); },
       "billing_event.lines[0].quantity"},
      {"no lines", [](auto& r) { r.mutable_billing_event()->clear_lines(); },
       "billing_event.lines"},
      {"no request id", [](auto& r) { r.clear_request_id(); }, "request_id"},
      {"no kind", [](auto& r) { r.mutable_billing_event()->clear_kind(); }, "billing_event.kind"},
      {"occurred tomorrow (the clock reads 2026-11-26)",
       [](auto& r) { *r.mutable_billing_event()->mutable_occurred_date() = Day(2026, 11, 27); },
       "billing_event.occurred_date"},
  };
  for (const auto& c : cases) {
    bv1::RecordBillingEventRequest bad = req;
    bad.set_request_id("8b1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
    c.edit(bad);
    auto fields = ViolatedFields(Call(bill, &BStub::RecordBillingEvent, kConsultant, bad, &again));
    EXPECT_TRUE(std::find(fields.begin(), fields.end(), c.field) != fields.end()) << c.what;
  }
  bv1::RecordBillingEventRequest foreign = req;
  foreign.set_request_id("9c1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  foreign.mutable_billing_event()->set_engagement("tenants/t2/engagements/x");
  EXPECT_EQ(Call(bill, &BStub::RecordBillingEvent, kConsultant, foreign, &again).code(),
            absl::StatusCode::kNotFound);
  bv1::RecordBillingEventRequest unknown = req;
  unknown.set_request_id("9d1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  unknown.mutable_billing_event()->set_engagement("tenants/t1/engagements/nope");
  EXPECT_EQ(Call(bill, &BStub::RecordBillingEvent, kConsultant, unknown, &again).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Call(bill, &BStub::RecordBillingEvent,
                 MakePrincipal(Principal::ROLE_PARTNER, "p", "p1"), req, &again)
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Invoices().size(), 1u);  // nothing else written
}

TEST_F(BillingTest, InvoicesAreNumberedIssuedPaidVoidedAndExported) {
  bv1::UpdateBillingSettingsRequest bad;
  bad.mutable_settings()->set_name("tenants/t1/billingSettings");
  bad.mutable_settings()->set_registration_number("T12345");
  bad.mutable_update_mask()->add_paths("registration_number");
  bv1::BillingSettings settings;
  EXPECT_EQ(ViolatedFields(Call(bill, &BStub::UpdateBillingSettings, kAdmin, bad, &settings)),
            std::vector<std::string>{"settings.registration_number"});
  EXPECT_EQ(Call(bill, &BStub::UpdateBillingSettings, kConsultant, bad, &settings).code(),
            absl::StatusCode::kPermissionDenied);
  v1::Engagement e = NewEngagement();
  // Drafts from two option events; issuing before the issuer is set is refused.
  std::vector<std::string> drafts;
  for (int i = 0; i < 3; ++i) {
    auto req = ReviewEvent(e.name(), absl::StrCat("0000000", i, "-7b4d-4e8a-9c61-0a2b3c4d5e6f"));
    bv1::BillingEvent out;
    ASSERT_TRUE(Call(bill, &BStub::RecordBillingEvent, kAdmin, req, &out).ok());
    drafts.push_back(out.invoice());
  }
  bv1::IssueInvoiceRequest issue;
  issue.set_name(drafts[0]);
  bv1::Invoice inv;
  EXPECT_EQ(ErrorReason(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &inv)),
            "ISSUER_INCOMPLETE");
  SetUpIssuer(false);
  for (int i = 0; i < 3; ++i) {
    issue.set_name(drafts[i]);
    ASSERT_TRUE(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &inv).ok());
    EXPECT_EQ(inv.number(), absl::StrCat("INV-000", i + 1));
    EXPECT_EQ(inv.totals().total_jpy(), 44'000);
  }
  EXPECT_EQ(ErrorReason(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &inv)), "INVOICE_STATE");
  // Payments: above the balance refused; partial; full → paid; a paid invoice is not voided.
  bv1::RecordPaymentRequest pay;
  pay.set_name(drafts[0]);
  *pay.mutable_paid_date() = Day(2026, 11, 26);
  pay.set_amount_jpy(44'001);
  EXPECT_EQ(Call(bill, &BStub::RecordPayment, kAdmin, pay, &inv).code(),
            absl::StatusCode::kInvalidArgument);
  pay.set_amount_jpy(4'000);
  ASSERT_TRUE(Call(bill, &BStub::RecordPayment, kAdmin, pay, &inv).ok());
  EXPECT_EQ(inv.balance_jpy(), 40'000);
  pay.set_amount_jpy(40'000);
  pay.set_request_id("a1b2c3d4-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  ASSERT_TRUE(Call(bill, &BStub::RecordPayment, kAdmin, pay, &inv).ok());
  ASSERT_TRUE(Call(bill, &BStub::RecordPayment, kAdmin, pay, &inv).ok());  // retry: replayed
  EXPECT_EQ(inv.state(), bv1::INVOICE_STATE_PAID);
  EXPECT_EQ(inv.payments_size(), 2);
  bv1::VoidInvoiceRequest vr;
  vr.set_name(drafts[0]);
  vr.set_reason("誤請求");
  EXPECT_EQ(ErrorReason(Call(bill, &BStub::VoidInvoice, kAdmin, vr, &inv)), "INVOICE_STATE");
  // Void an issued invoice with a replacement; the number is not reused.
  vr.set_name(drafts[1]);
  vr.set_create_replacement(true);
  ASSERT_TRUE(Call(bill, &BStub::VoidInvoice, kAdmin, vr, &inv).ok());
  EXPECT_EQ(inv.state(), bv1::INVOICE_STATE_VOID);
  EXPECT_EQ(inv.number(), "INV-0002");
  std::string replacement;
  for (const auto& i : Invoices()) {
    if (i.replaces() == drafts[1]) replacement = i.name();
  }
  ASSERT_FALSE(replacement.empty());
  issue.set_name(replacement);
  ASSERT_TRUE(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &inv).ok());
  EXPECT_EQ(inv.number(), "INV-0004");
  // Overdue once the clock passes the due date.
  clock.Set(absl::FromCivil(absl::CivilSecond(2027, 1, 5, 9, 0, 0), TokyoZone()));
  bv1::ListInvoicesRequest lr;
  lr.set_parent("tenants/t1");
  lr.set_overdue_only(true);
  bv1::ListInvoicesResponse overdue;
  ASSERT_TRUE(Call(bill, &BStub::ListInvoices, kAdmin, lr, &overdue).ok());
  std::set<std::string> late;
  for (const auto& i : overdue.invoices()) {
    late.insert(i.number());
    EXPECT_TRUE(i.overdue());
  }
  EXPECT_EQ(late, (std::set<std::string>{"INV-0003", "INV-0004"}));
  {  // The figures behind the outstanding / overdue gauges.
    RedisOptions ro;
    ro.unix_socket = redis.socket();
    RedisPool pool(ro);
    RecordStore records(pool);
    billing::BillingStore store(records, kDefaultIdempotencyTtlSeconds);
    auto stats = store.Stats("t1", TokyoDay(clock.Now()));
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->outstanding_jpy, 88'000);
    EXPECT_EQ(stats->overdue_count, 2);
    EXPECT_EQ(stats->overdue_jpy, 88'000);
    EXPECT_EQ(stats->needs_quote, 0);
    auto before_due = store.Stats("t1", absl::CivilDay(2026, 12, 1));
    ASSERT_TRUE(before_due.ok());
    EXPECT_EQ(before_due->overdue_count, 0);
  }
  // Export: the issued and paid invoices, freee 取引 columns, UTF-8.
  bv1::ExportInvoicesRequest ex;
  ex.set_parent("tenants/t1");
  *ex.mutable_from() = Day(2026, 11, 1);
  *ex.mutable_to() = Day(2026, 11, 30);
  google::api::HttpBody csv;
  ASSERT_TRUE(Call(bill, &BStub::ExportInvoices, kAdmin, ex, &csv).ok());
  EXPECT_EQ(csv.content_type(), "text/csv; charset=utf-8");
  // INV-0001 (paid), 0003, 0004; 0002 is void.
  std::vector<absl::string_view> rows = absl::StrSplit(csv.data(), "\r\n収入,");
  EXPECT_EQ(rows.size(), 1u + 3u) << csv.data();
  EXPECT_TRUE(absl::StartsWith(
      csv.data(), "収支区分,管理番号,発生日,決済期日,取引先,勘定科目,税区分,金額,税額,備考\r\n"));
  EXPECT_TRUE(absl::StrContains(
      csv.data(),
      "収入,INV-0001,2026/11/26,2026/12/"
      "31,株式会社デモ,売上高,課税売上10%,44000,4000,請求書 INV-0001 入金 44000円\r\n"))
      << csv.data();
  EXPECT_FALSE(absl::StrContains(csv.data(), "INV-0002"));
  *ex.mutable_to() = Day(2026, 10, 1);
  EXPECT_EQ(Call(bill, &BStub::ExportInvoices, kAdmin, ex, &csv).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BillingTest, WrongPaymentsAreReversedAndRefundsRecordedNeverDeleted) {
  SetUpIssuer(false);
  v1::Engagement e = NewEngagement();
  auto req = ReviewEvent(e.name(), "5a1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  bv1::BillingEvent ev;
  ASSERT_TRUE(Call(bill, &BStub::RecordBillingEvent, kAdmin, req, &ev).ok());
  bv1::IssueInvoiceRequest issue;
  issue.set_name(ev.invoice());
  bv1::Invoice inv;
  ASSERT_TRUE(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &inv).ok());
  bv1::RecordPaymentRequest pay;
  pay.set_name(inv.name());
  pay.set_amount_jpy(44'000);
  *pay.mutable_paid_date() = Day(2026, 11, 26);
  ASSERT_TRUE(Call(bill, &BStub::RecordPayment, kConsultant, pay, &inv).ok());
  ASSERT_EQ(inv.state(), bv1::INVOICE_STATE_PAID);

  // The payment was another customer's: reversed (admin only), kept, marked.
  bv1::ReversePaymentRequest rev;
  rev.set_name(inv.name());
  rev.set_payment_id(inv.payments(0).id());
  rev.set_reason("他社の入金を誤って記録");
  rev.set_request_id("6b1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  EXPECT_EQ(Call(bill, &BStub::ReversePayment, kConsultant, rev, &inv).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Call(bill, &BStub::ReversePayment, kAdmin, rev, &inv).ok());
  EXPECT_EQ(inv.state(), bv1::INVOICE_STATE_ISSUED);
  EXPECT_EQ(inv.balance_jpy(), 44'000);
  ASSERT_EQ(inv.payments_size(), 1);
  EXPECT_TRUE(inv.payments(0).reversed());
  EXPECT_EQ(inv.payments(0).reversed_by(), kAdmin.subject());
  bv1::Invoice again;
  ASSERT_TRUE(Call(bill, &BStub::ReversePayment, kAdmin, rev, &again).ok());  // retry: replayed
  EXPECT_EQ(again.etag(), inv.etag());
  rev.clear_request_id();
  EXPECT_EQ(ErrorReason(Call(bill, &BStub::ReversePayment, kAdmin, rev, &again)),
            "PAYMENT_REVERSED");

  // Paid for real, then paid back: the refund opens the way to voiding it.
  ASSERT_TRUE(Call(bill, &BStub::RecordPayment, kAdmin, pay, &inv).ok());
  bv1::VoidInvoiceRequest vr;
  vr.set_name(inv.name());
  vr.set_reason("誤請求");
  EXPECT_EQ(ErrorReason(Call(bill, &BStub::VoidInvoice, kAdmin, vr, &inv)), "INVOICE_STATE");
  bv1::RecordRefundRequest rf;
  rf.set_name(inv.name());
  rf.set_amount_jpy(44'001);
  *rf.mutable_refund_date() = Day(2026, 11, 26);
  rf.set_reason("誤請求のため返金");
  rf.set_request_id("7c1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  EXPECT_EQ(Call(bill, &BStub::RecordRefund, kAdmin, rf, &inv).code(),
            absl::StatusCode::kInvalidArgument);
  rf.set_amount_jpy(44'000);
  ASSERT_TRUE(Call(bill, &BStub::RecordRefund, kAdmin, rf, &inv).ok());
  ASSERT_TRUE(Call(bill, &BStub::RecordRefund, kAdmin, rf, &inv).ok());  // retry: replayed
  EXPECT_EQ(inv.refunds_size(), 1);
  EXPECT_EQ(inv.refunded_jpy(), 44'000);
  EXPECT_EQ(inv.paid_jpy(), 0);
  EXPECT_EQ(inv.payments_size(), 2);

  // The export shows what happened to the money.
  bv1::ExportInvoicesRequest ex;
  ex.set_parent("tenants/t1");
  *ex.mutable_from() = Day(2026, 11, 1);
  *ex.mutable_to() = Day(2026, 11, 30);
  google::api::HttpBody csv;
  ASSERT_TRUE(Call(bill, &BStub::ExportInvoices, kAdmin, ex, &csv).ok());
  EXPECT_TRUE(absl::StrContains(csv.data(), "入金 44000円 入金取消 44000円 返金 44000円"))
      << csv.data();
  EXPECT_TRUE(absl::StrContains(
      csv.data(), "支出," + inv.number() +
                      "-R1,2026/11/26,,株式会社デモ,売上高,対象外,44000,0,返金 請求書 " +
                      inv.number() + " 誤請求のため返金\r\n"))
      << csv.data();
  ASSERT_TRUE(Call(bill, &BStub::VoidInvoice, kAdmin, vr, &inv).ok());
  EXPECT_EQ(inv.state(), bv1::INVOICE_STATE_VOID);
}

TEST_F(BillingTest, BillingEventsAreListedPerEngagement) {
  v1::Engagement a = NewEngagement();
  v1::Engagement b = NewEngagement();
  for (int i = 0; i < 3; ++i) {
    auto req = ReviewEvent(i == 1 ? b.name() : a.name(),
                           absl::StrCat("0000000", i, "-1b4d-4e8a-9c61-0a2b3c4d5e6f"), 30'000);
    bv1::BillingEvent out;
    ASSERT_TRUE(Call(bill, &BStub::RecordBillingEvent, kAdmin, req, &out).ok());
  }
  bv1::ListBillingEventsRequest list;
  list.set_parent("tenants/t1");
  list.set_engagement(a.name());
  bv1::ListBillingEventsResponse resp;
  ASSERT_TRUE(Call(bill, &BStub::ListBillingEvents, kAdmin, list, &resp).ok());
  ASSERT_EQ(resp.billing_events_size(), 2);
  for (const auto& ev : resp.billing_events()) EXPECT_EQ(ev.engagement(), a.name());
  list.set_engagement(b.name());
  ASSERT_TRUE(Call(bill, &BStub::ListBillingEvents, kAdmin, list, &resp).ok());
  EXPECT_EQ(resp.billing_events_size(), 1);
  list.set_engagement("tenants/t2/engagements/x");
  EXPECT_EQ(Call(bill, &BStub::ListBillingEvents, kAdmin, list, &resp).code(),
            absl::StatusCode::kNotFound);
  list.set_engagement("nonsense");
  EXPECT_EQ(Call(bill, &BStub::ListBillingEvents, kAdmin, list, &resp).code(),
            absl::StatusCode::kInvalidArgument);
}

// Replay: the owner's request_id sent by everyone else gets each caller what a
// first call of theirs would get — never the stored response.
TEST_F(BillingTest, AReplayedRequestIdGivesNobodyElseTheStoredResponse) {
  SetUpIssuer(false);
  v1::Engagement e = NewEngagement();  // partner organization p1
  const std::vector<Caller> callers = Callers(e);
  // An issued, partly paid invoice for the payment corrections.
  bv1::BillingEvent ev;
  ASSERT_TRUE(Call(bill, &BStub::RecordBillingEvent, kAdmin,
                   ReviewEvent(e.name(), "9f1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f"), &ev)
                  .ok());
  std::string invoice = ev.invoice();
  using Run = std::function<absl::Status(const Principal&, const std::string& rid, std::string*)>;
  struct Case {
    const char* rpc;
    const char* want;
    Run run;
  };
  std::vector<Case> cases = {
      {"CreateQuote", "AADDDDN",
       [&](const Principal& p, const std::string& rid, std::string* out) {
         return Do(&BStub::CreateQuote, p, QuoteRequest(e.name(), rid), out);
       }},
      {"RecordBillingEvent", "AADDDDN",
       [&](const Principal& p, const std::string& rid, std::string* out) {
         return Do(&BStub::RecordBillingEvent, p, ReviewEvent(e.name(), rid), out);
       }},
      {"IssueInvoice", "ADDNDNN",
       [&](const Principal& p, const std::string& rid, std::string* out) {
         bv1::IssueInvoiceRequest req;
         req.set_name(invoice);
         req.set_request_id(rid);
         return Do(&BStub::IssueInvoice, p, req, out);
       }},
      {"RecordPayment", "AADNDNN",
       [&](const Principal& p, const std::string& rid, std::string* out) {
         return Do(&BStub::RecordPayment, p, PaymentRequest(invoice, 10'000, rid), out);
       }},
      {"ReversePayment", "ADDNDNN",
       [&](const Principal& p, const std::string& rid, std::string* out) {
         return Do(&BStub::ReversePayment, p, ReversalRequest(invoice, rid), out);
       }},
      {"RecordRefund", "ADDNDNN",
       [&](const Principal& p, const std::string& rid, std::string* out) {
         return Do(&BStub::RecordRefund, p, RefundRequest(invoice, 5'000, rid), out);
       }},
  };
  int n = 0;
  for (const Case& c : cases) {
    std::string rid = absl::StrFormat("%08x-8b4d-4e8a-9c61-0a2b3c4d5e6f", ++n);
    std::string first;
    absl::Status s = c.run(kAdmin, rid, &first);
    ASSERT_TRUE(s.ok()) << c.rpc << ": " << s;
    for (size_t i = 1; i < callers.size(); ++i) {
      std::string resp;
      absl::Status got = c.run(callers[i].p, rid, &resp);
      EXPECT_EQ(Classify(got), c.want[i])
          << c.rpc << " replayed by " << callers[i].name << ": " << got;
      if (got.ok()) {
        EXPECT_NE(resp, first) << c.rpc << ": " << callers[i].name;
      }
    }
    std::string again;
    ASSERT_TRUE(c.run(kAdmin, rid, &again).ok()) << c.rpc;
    EXPECT_EQ(again, first) << c.rpc << ": the owner's retry was not a replay";
  }
}

// The access matrix of billing, its expected cells derived from the policy
// table (domain/policy.cc) and who sees what: office staff everything of the
// tenant, the partner on the engagement and its client the engagement's quotes
// and invoices, nobody else anything.
TEST_F(BillingTest, EveryRpcEveryPrincipalAsThePolicyTableSays) {
  const auto& policy = billing::domain::BillingPolicy();
  std::vector<std::string> methods;
  const auto* svc = bv1::Quote::descriptor()->file()->FindServiceByName("BillingService");
  for (int i = 0; i < svc->method_count(); ++i) methods.push_back(svc->method(i)->name());
  EXPECT_EQ(policy.Uncovered(methods), std::vector<std::string>{});
  SetUpIssuer(false);
  struct Objects {
    v1::Engagement engagement;
    std::string quote, invoice;
  };
  using Rpc = std::function<absl::Status(const Principal&, const Objects&)>;
  auto engagement_filtered = [](const std::string& m) {
    return m == "ListQuotes" || m == "ListInvoices";
  };
  std::map<std::string, Rpc> rpcs;
  std::set<std::string> audited;
  rpcs["GetBillingSettings"] = [&](const Principal& p, const Objects&) {
    bv1::GetBillingSettingsRequest req;
    req.set_name("tenants/t1/billingSettings");
    return Do(&BStub::GetBillingSettings, p, req);
  };
  rpcs["UpdateBillingSettings"] = [&](const Principal& p, const Objects&) {
    bv1::UpdateBillingSettingsRequest req;
    req.mutable_settings()->set_name("tenants/t1/billingSettings");
    req.mutable_settings()->set_payment_days(30);
    req.mutable_update_mask()->add_paths("payment_days");
    return Do(&BStub::UpdateBillingSettings, p, req);
  };
  rpcs["CreateQuote"] = [&](const Principal& p, const Objects& o) {
    return Do(&BStub::CreateQuote, p, QuoteRequest(o.engagement.name()));
  };
  rpcs["ListQuotes"] = [&](const Principal& p, const Objects& o) {
    bv1::ListQuotesRequest req;
    req.set_parent("tenants/t1");
    req.set_engagement(o.engagement.name());
    return Do(&BStub::ListQuotes, p, req);
  };
  rpcs["GetQuote"] = [&](const Principal& p, const Objects& o) {
    bv1::GetQuoteRequest req;
    req.set_name(o.quote);
    return Do(&BStub::GetQuote, p, req);
  };
  rpcs["UpdateQuote"] = [&](const Principal& p, const Objects& o) {
    bv1::UpdateQuoteRequest req;
    req.mutable_quote()->set_name(o.quote);
    req.mutable_quote()->set_recipient_name("株式会社デモ 御中");
    req.mutable_update_mask()->add_paths("recipient_name");
    return Do(&BStub::UpdateQuote, p, req);
  };
  using QuoteAction =
      grpc::Status (BStub::*)(grpc::ClientContext*, const bv1::QuoteActionRequest&, bv1::Quote*);
  const std::pair<const char*, QuoteAction> actions[] = {{"SendQuote", &BStub::SendQuote},
                                                         {"AcceptQuote", &BStub::AcceptQuote},
                                                         {"RejectQuote", &BStub::RejectQuote}};
  for (const auto& [name, method] : actions) {
    rpcs[name] = [&, method = method](const Principal& p, const Objects& o) {
      bv1::QuoteActionRequest req;
      req.set_name(o.quote);
      return Do(method, p, req);
    };
  }
  int rid = 0;
  rpcs["RecordBillingEvent"] = [&](const Principal& p, const Objects& o) {
    auto req = ReviewEvent(o.engagement.name(),
                           absl::StrFormat("%08x-3b4d-4e8a-9c61-0a2b3c4d5e6f", ++rid));
    req.set_parent("tenants/t1");
    return Do(&BStub::RecordBillingEvent, p, req);
  };
  rpcs["ListBillingEvents"] = [&](const Principal& p, const Objects&) {
    bv1::ListBillingEventsRequest req;
    req.set_parent("tenants/t1");
    return Do(&BStub::ListBillingEvents, p, req);
  };
  rpcs["GetInvoice"] = [&](const Principal& p, const Objects& o) {
    bv1::GetInvoiceRequest req;
    req.set_name(o.invoice);
    return Do(&BStub::GetInvoice, p, req);
  };
  rpcs["ListInvoices"] = [&](const Principal& p, const Objects& o) {
    bv1::ListInvoicesRequest req;
    req.set_parent("tenants/t1");
    req.set_engagement(o.engagement.name());
    return Do(&BStub::ListInvoices, p, req);
  };
  rpcs["UpdateInvoice"] = [&](const Principal& p, const Objects& o) {
    bv1::UpdateInvoiceRequest req;
    req.mutable_invoice()->set_name(o.invoice);
    req.mutable_invoice()->set_recipient_name("株式会社デモ 御中");
    req.mutable_update_mask()->add_paths("recipient_name");
    return Do(&BStub::UpdateInvoice, p, req);
  };
  rpcs["IssueInvoice"] = [&](const Principal& p, const Objects& o) {
    bv1::IssueInvoiceRequest req;
    req.set_name(o.invoice);
    return Do(&BStub::IssueInvoice, p, req);
  };
  rpcs["VoidInvoice"] = [&](const Principal& p, const Objects& o) {
    bv1::VoidInvoiceRequest req;
    req.set_name(o.invoice);
    req.set_reason("誤請求");
    return Do(&BStub::VoidInvoice, p, req);
  };
  rpcs["RecordPayment"] = [&](const Principal& p, const Objects& o) {
    return Do(&BStub::RecordPayment, p, PaymentRequest(o.invoice, 1'000));
  };
  rpcs["ReversePayment"] = [&](const Principal& p, const Objects& o) {
    return Do(&BStub::ReversePayment, p, ReversalRequest(o.invoice));
  };
  rpcs["RecordRefund"] = [&](const Principal& p, const Objects& o) {
    return Do(&BStub::RecordRefund, p, RefundRequest(o.invoice, 1'000));
  };
  rpcs["ExportInvoices"] = [&](const Principal& p, const Objects&) {
    bv1::ExportInvoicesRequest req;
    req.set_parent("tenants/t1");
    *req.mutable_from() = Day(2026, 11, 1);
    *req.mutable_to() = Day(2026, 11, 30);
    return Do(&BStub::ExportInvoices, p, req);
  };
  rpcs["ListAuditEntries"] = [&](const Principal& p, const Objects&) {
    cv1::ListAuditEntriesRequest req;
    req.set_parent("tenants/t1/services/billing");
    return Do(&BStub::ListAuditEntries, p, req);
  };
  rpcs["VerifyAuditTrail"] = [&](const Principal& p, const Objects&) {
    cv1::VerifyAuditTrailRequest req;
    req.set_parent("tenants/t1/services/billing");
    return Do(&BStub::VerifyAuditTrail, p, req);
  };
  EXPECT_EQ(rpcs.size(), methods.size()) << "an RPC is missing from the matrix";

  for (const auto& [method, rpc] : rpcs) {
    Objects o;
    o.engagement = NewEngagement();  // partner organization p1
    ASSERT_TRUE(rpcs["CreateQuote"](kAdmin, o).ok());
    bv1::ListQuotesRequest lq;
    lq.set_parent("tenants/t1");
    lq.set_engagement(o.engagement.name());
    bv1::ListQuotesResponse quotes;
    ASSERT_TRUE(Call(bill, &BStub::ListQuotes, kAdmin, lq, &quotes).ok());
    o.quote = quotes.quotes(0).name();
    bv1::BillingEvent ev;
    ASSERT_TRUE(Call(bill, &BStub::RecordBillingEvent, kAdmin,
                     ReviewEvent(o.engagement.name(),
                                 absl::StrFormat("%08x-4b4d-4e8a-9c61-0a2b3c4d5e6f", ++rid)),
                     &ev)
                    .ok());
    o.invoice = ev.invoice();
    const std::vector<Caller> callers = Callers(o.engagement);
    const RpcRule& rule = policy.Rule(method);
    // Invoice RPCs run on an issued invoice (what clients and partners see),
    // but those of drafts: a draft is the office's, unseen by them.
    bool on_draft = method == "UpdateInvoice" || method == "IssueInvoice";
    // GetQuote reads a sent quote; the other quote RPCs act on the draft (the office's).
    bool draft_quote = std::string(rule.what) == "quote" && method != "GetQuote";
    if (method == "GetQuote") {
      bv1::QuoteActionRequest send;
      send.set_name(o.quote);
      bv1::Quote sent;
      ASSERT_TRUE(Call(bill, &BStub::SendQuote, kAdmin, send, &sent).ok());
    }
    if (rule.scope == Scope::kObject && std::string(rule.what) == "invoice" && !on_draft) {
      bv1::IssueInvoiceRequest issue;
      issue.set_name(o.invoice);
      bv1::Invoice issued;
      ASSERT_TRUE(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &issued).ok());
      if (method == "ReversePayment" || method == "RecordRefund") {  // a payment to correct
        ASSERT_TRUE(
            Call(bill, &BStub::RecordPayment, kAdmin, PaymentRequest(o.invoice, 1'000), &issued)
                .ok());
      }
    }
    auto expect = [&](const Caller& c) {
      bool same_tenant = c.p.tenant() == "t1";
      if (!same_tenant) return 'N';
      bool object = rule.scope == Scope::kObject;
      // Object scope (and lists narrowed to an engagement): who does not see it, N;
      // tenant scope: the role is checked first.
      if (object && !c.sees_engagement) return 'N';
      bool external = c.p.role() == Principal::ROLE_CLIENT || c.p.role() == Principal::ROLE_PARTNER;
      if (object && external && (on_draft || draft_quote)) return 'N';
      if (!policy.May(c.p, method)) return 'D';
      if (engagement_filtered(method) && !c.sees_engagement) return 'N';
      return 'A';
    };
    // Hidden and denied first, so an allowed change comes last. Each successful
    // write leaves exactly one audit entry; anything else none.
    bool write = !absl::StartsWith(method, "Get") && !absl::StartsWith(method, "List") &&
                 method != "ExportInvoices" && method != "VerifyAuditTrail";
    for (int pass = 0; pass < 2; ++pass) {
      for (const Caller& c : callers) {
        char want = expect(c);
        if ((want == 'A') != (pass == 1)) continue;
        int64_t before = AuditEntries();
        absl::Status got = rpc(c.p, o);
        EXPECT_EQ(Classify(got), want) << method << " by " << c.name << ": " << got;
        EXPECT_EQ(AuditEntries(), before + (write && got.ok() ? 1 : 0))
            << method << " by " << c.name << ": " << got;
        if (write && got.ok()) audited.insert(method);
      }
    }
  }
  // The writes the matrix's objects refuse for business reasons (a draft quote
  // is not accepted, a draft invoice takes no payment), on objects that allow them.
  auto one_entry = [&](const char* method, const std::function<absl::Status()>& call) {
    int64_t before = AuditEntries();
    absl::Status got = call();
    EXPECT_TRUE(got.ok()) << method << ": " << got;
    EXPECT_EQ(AuditEntries(), before + 1) << method;
    audited.insert(method);
  };
  v1::Engagement flow = NewEngagement();
  bv1::Quote q;
  ASSERT_TRUE(Call(bill, &BStub::CreateQuote, kAdmin, QuoteRequest(flow.name()), &q).ok());
  bv1::QuoteActionRequest act;
  act.set_name(q.name());
  ASSERT_TRUE(Call(bill, &BStub::SendQuote, kAdmin, act, &q).ok());
  one_entry("AcceptQuote", [&] { return Call(bill, &BStub::AcceptQuote, kAdmin, act, &q); });
  bv1::BillingEvent ev;
  ASSERT_TRUE(Call(bill, &BStub::RecordBillingEvent, kAdmin,
                   ReviewEvent(flow.name(), "5a1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f"), &ev)
                  .ok());
  bv1::IssueInvoiceRequest issue;
  issue.set_name(ev.invoice());
  bv1::Invoice inv;
  ASSERT_TRUE(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &inv).ok());
  one_entry("RecordPayment", [&] {
    return Call(bill, &BStub::RecordPayment, kAdmin, PaymentRequest(ev.invoice(), 1'000), &inv);
  });
  one_entry("ReversePayment", [&] {
    return Call(bill, &BStub::ReversePayment, kAdmin, ReversalRequest(ev.invoice()), &inv);
  });
  ASSERT_TRUE(
      Call(bill, &BStub::RecordPayment, kAdmin, PaymentRequest(ev.invoice(), 2'000), &inv).ok());
  one_entry("RecordRefund", [&] {
    return Call(bill, &BStub::RecordRefund, kAdmin, RefundRequest(ev.invoice(), 500), &inv);
  });
  for (const auto& m : methods) {
    bool write = !absl::StartsWith(m, "Get") && !absl::StartsWith(m, "List") &&
                 m != "ExportInvoices" && m != "VerifyAuditTrail";
    if (write) {
      EXPECT_TRUE(audited.count(m)) << m << ": no successful call, so no audit entry checked";
    }
  }
  cv1::VerifyAuditTrailRequest vr;
  vr.set_parent("tenants/t1/services/billing");
  cv1::VerifyAuditTrailResponse verified;
  ASSERT_TRUE(Call(bill, &BStub::VerifyAuditTrail, kAdmin, vr, &verified).ok());
  EXPECT_TRUE(verified.intact()) << verified.first_break().detail();
  EXPECT_EQ(verified.entries_checked(), AuditEntries());
}

}  // namespace
}  // namespace certpath::testing
