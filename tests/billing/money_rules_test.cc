// Qualified-invoice arithmetic: rounding once per rate, withholding, numbers, dates.

#include <gtest/gtest.h>

#include "services/billing/domain/freee_export.h"
#include "services/billing/domain/rules.h"
#include "services/common/clock.h"
#include "services/common/validate.h"

namespace certpath::billing::domain {
namespace {

TEST(DivideRounded, ModesAtTheBoundaries) {
  struct Case {
    int64_t n, d;
    v1::RoundingMode mode;
    int64_t want;
  };
  const Case cases[] = {
      {1049, 10, v1::ROUNDING_MODE_DOWN, 104},     {1049, 10, v1::ROUNDING_MODE_UP, 105},
      {1049, 10, v1::ROUNDING_MODE_HALF_UP, 105},  {1044, 10, v1::ROUNDING_MODE_HALF_UP, 104},
      {1045, 10, v1::ROUNDING_MODE_HALF_UP, 105},  {1040, 10, v1::ROUNDING_MODE_UP, 104},
      {0, 100, v1::ROUNDING_MODE_UP, 0},           {99, 100, v1::ROUNDING_MODE_DOWN, 0},
      {99, 100, v1::ROUNDING_MODE_UNSPECIFIED, 0}, {50, 100, v1::ROUNDING_MODE_HALF_UP, 1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DivideRounded(c.n, c.d, c.mode), c.want) << c.n << "/" << c.d << " " << c.mode;
  }
}

TEST(Withholding, TenPointTwoOneThenTwentyPointFourTwoAboveAMillion) {
  struct Case {
    int64_t base, want;
  };
  const Case cases[] = {
      {0, 0},
      {50'000, 5'105},  // 50,000 × 10.21%
      {30'000, 3'063},
      {99, 10},              // 10.1079 → 10 (fractions dropped)
      {1'000'000, 102'100},  // the step itself is still 10.21%
      {1'000'001, 102'100},  // 102,100 + 0.2042 → 102,100
      {1'000'005, 102'101},  // 102,100 + 1.021
      {1'500'000, 204'200},  // 102,100 + 500,000 × 20.42%
      {3'000'000, 510'500},
  };
  for (const auto& c : cases) EXPECT_EQ(Withholding(c.base), c.want) << c.base;
}

v1::Line L(int64_t qty, int64_t price, v1::LineKind kind = v1::LINE_KIND_GUIDANCE) {
  v1::Line l;
  l.set_kind(kind);
  l.set_description("指導料");
  l.set_quantity(qty);
  l.set_unit_price_jpy(price);
  return l;
}

TEST(ComputeTotals, TaxIsRoundedOncePerRateNotPerLine) {
  v1::BillingSettings s = DefaultSettings();
  // Three lines of 1,005 yen: per-line tax 100.5 → 100 each (300 in all);
  // once over 3,015 yen: 301.5 → 301.
  std::vector<v1::Line> lines = {L(1, 1005), L(1, 1005), L(1, 1005)};
  std::vector<v1::Line*> ptrs;
  for (auto& l : lines) ptrs.push_back(&l);
  v1::Totals t = ComputeTotals(ptrs, s);
  EXPECT_EQ(t.subtotal_jpy(), 3015);
  EXPECT_EQ(t.tax_jpy(), 301);
  ASSERT_EQ(t.by_rate_size(), 1);
  EXPECT_EQ(t.by_rate(0).rate_percent(), 10);
  EXPECT_EQ(t.total_jpy(), 3316);
  EXPECT_EQ(t.withholding_jpy(), 0);
  EXPECT_EQ(t.amount_due_jpy(), 3316);
  EXPECT_EQ(lines[0].amount_jpy(), 1005);
  s.set_rounding(v1::ROUNDING_MODE_UP);
  EXPECT_EQ(ComputeTotals(ptrs, s).tax_jpy(), 302);
}

TEST(ComputeTotals, SoleProprietorWithholdsOnTheTaxExclusiveAmount) {
  v1::BillingSettings s = DefaultSettings();
  s.set_withholding(true);
  std::vector<v1::Line> lines = {L(1, 1'200'000, v1::LINE_KIND_CONSULTING_FEE)};
  v1::Totals t = ComputeTotals({&lines[0]}, s);
  EXPECT_EQ(t.tax_jpy(), 120'000);
  EXPECT_EQ(t.total_jpy(), 1'320'000);
  EXPECT_EQ(t.withholding_jpy(), 102'100 + 40'840);  // 200,000 × 20.42%
  EXPECT_EQ(t.amount_due_jpy(), 1'320'000 - 142'940);
}

TEST(RegistrationNumber, TPlusThirteenDigits) {
  EXPECT_TRUE(IsRegistrationNumber("T1234567890123"));
  for (const char* bad : {"", "T123", "1234567890123", "T12345678901234", "t1234567890123",
                          "T123456789012X", "Ｔ1234567890123"}) {
    EXPECT_FALSE(IsRegistrationNumber(bad)) << bad;
  }
}

TEST(DueDate, EndOfNextMonthOrNetDays) {
  v1::BillingSettings s = DefaultSettings();
  EXPECT_EQ(DueDate(absl::CivilDay(2026, 1, 31), s), absl::CivilDay(2026, 2, 28));
  EXPECT_EQ(DueDate(absl::CivilDay(2027, 1, 5), s), absl::CivilDay(2027, 2, 28));
  EXPECT_EQ(DueDate(absl::CivilDay(2027, 12, 10), s), absl::CivilDay(2028, 1, 31));
  EXPECT_EQ(DueDate(absl::CivilDay(2028, 1, 10), s), absl::CivilDay(2028, 2, 29));
  s.set_payment_terms(v1::PAYMENT_TERMS_NET_DAYS);
  s.set_payment_days(30);
  EXPECT_EQ(DueDate(absl::CivilDay(2026, 11, 26), s), absl::CivilDay(2026, 12, 26));
}

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 11, 26, 10, 0, 0), TokyoZone());

v1::BillingSettings Issuer() {
  v1::BillingSettings s = DefaultSettings();
  s.set_issuer_name("本間マネジメントオフィス");
  s.set_registration_number("T1234567890123");
  return s;
}

TEST(Invoices, IssueVoidAndPay) {
  v1::Invoice inv = DraftInvoice("tenants/t/invoices/i", "tenants/t/engagements/e", "株式会社デモ",
                                 {L(1, 50'000)}, DefaultSettings(), {}, kNow);
  EXPECT_EQ(inv.state(), v1::INVOICE_STATE_DRAFT);
  EXPECT_EQ(ErrorReason(Issue(inv, absl::CivilDay(2026, 11, 26), DefaultSettings(), kNow)),
            "ISSUER_INCOMPLETE");
  ASSERT_TRUE(Issue(inv, absl::CivilDay(2026, 11, 26), Issuer(), kNow).ok());
  EXPECT_EQ(inv.registration_number(), "T1234567890123");
  EXPECT_EQ(ToCivilDay(inv.due_date()), absl::CivilDay(2026, 12, 31));
  EXPECT_EQ(inv.balance_jpy(), 55'000);
  EXPECT_FALSE(Issue(inv, absl::CivilDay(2026, 11, 26), Issuer(), kNow).ok());  // issuing twice
  EXPECT_EQ(RecordPayment(inv, 55'001, absl::CivilDay(2026, 11, 26), "a", kNow).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordPayment(inv, 0, absl::CivilDay(2026, 11, 26), "a", kNow).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(RecordPayment(inv, 5'000, absl::CivilDay(2026, 11, 26), "a", kNow).ok());
  EXPECT_EQ(inv.state(), v1::INVOICE_STATE_ISSUED);
  EXPECT_EQ(ErrorReason(Void(inv, "間違い", kNow)), "INVOICE_PAID");
  ASSERT_TRUE(RecordPayment(inv, 50'000, absl::CivilDay(2026, 11, 26), "a", kNow).ok());
  EXPECT_EQ(inv.state(), v1::INVOICE_STATE_PAID);
  EXPECT_EQ(inv.balance_jpy(), 0);
  EXPECT_FALSE(Void(inv, "x", kNow).ok());
  EXPECT_FALSE(IsOverdue(inv, absl::CivilDay(2027, 6, 1)));
}

TEST(Invoices, OnlyADraftIsRepricedAndItsTotalsFollowItsLines) {
  v1::Invoice inv = DraftInvoice("n", "e", "r", {L(1, 50'000)}, Issuer(), {}, kNow);
  EXPECT_EQ(inv.totals().total_jpy(), 55'000);
  inv.clear_lines();
  *inv.add_lines() = L(2, 30'000);
  *inv.add_lines() = L(1, 1'005);
  const absl::Time later = kNow + absl::Hours(1);
  ASSERT_TRUE(RepriceDraft(inv, Issuer(), later).ok());
  // 61,005 yen, tax 6,100 (6,100.5 rounded down once for the invoice).
  EXPECT_EQ(inv.totals().subtotal_jpy(), 61'005);
  EXPECT_EQ(inv.totals().tax_jpy(), 6'100);
  EXPECT_EQ(inv.balance_jpy(), 67'105);
  EXPECT_EQ(inv.lines(0).amount_jpy(), 60'000);
  EXPECT_EQ(inv.update_time().seconds(), absl::ToUnixSeconds(later));
  ASSERT_TRUE(Issue(inv, absl::CivilDay(2026, 11, 26), Issuer(), kNow).ok());
  EXPECT_EQ(ErrorReason(RepriceDraft(inv, Issuer(), later)), "INVOICE_STATE");
  EXPECT_EQ(inv.totals().total_jpy(), 67'105);
}

TEST(Invoices, AnIssueDateIsNeitherFutureNorBeforeAnEarlierNumber) {
  const absl::CivilDay today(2026, 11, 30);
  EXPECT_TRUE(CheckIssueDate(today, today, absl::nullopt).ok());
  EXPECT_TRUE(CheckIssueDate(absl::CivilDay(2026, 10, 31), today, absl::nullopt).ok());
  EXPECT_TRUE(
      CheckIssueDate(absl::CivilDay(2026, 11, 20), today, absl::CivilDay(2026, 11, 20)).ok());
  absl::Status future = CheckIssueDate(absl::CivilDay(2026, 12, 1), today, absl::nullopt);
  EXPECT_EQ(future.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(future.message()).find("future"), std::string::npos) << future;
  absl::Status earlier =
      CheckIssueDate(absl::CivilDay(2026, 11, 19), today, absl::CivilDay(2026, 11, 20));
  EXPECT_EQ(earlier.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(earlier.message()).find("2026-11-20"), std::string::npos) << earlier;
}

TEST(Invoices, TheStage1FeeIsVoidedOnlyWithAReplacement) {
  v1::Invoice inv = DraftInvoice("n", "e", "r", {L(1, 900'000)}, Issuer(), {"ev"}, kNow);
  v1::BillingEvent fee, option;
  fee.set_kind(v1::BILLING_EVENT_KIND_STAGE1_PASSED);
  option.set_kind(v1::BILLING_EVENT_KIND_OPTION_DELIVERED);
  EXPECT_TRUE(CheckFeeStaysBilled(inv, false, {fee}).ok());  // a draft: the fee waived
  ASSERT_TRUE(Issue(inv, absl::CivilDay(2026, 11, 26), Issuer(), kNow).ok());
  EXPECT_EQ(ErrorReason(CheckFeeStaysBilled(inv, false, {fee})), "FEE_NEEDS_REPLACEMENT");
  EXPECT_TRUE(CheckFeeStaysBilled(inv, true, {fee}).ok());
  EXPECT_TRUE(CheckFeeStaysBilled(inv, false, {option}).ok());  // recorded again by hand
}

TEST(Invoices, OverdueIsIssuedUnpaidPastDue) {
  v1::Invoice inv = DraftInvoice("n", "e", "r", {L(1, 1000)}, Issuer(), {}, kNow);
  ASSERT_TRUE(Issue(inv, absl::CivilDay(2026, 11, 26), Issuer(), kNow).ok());
  EXPECT_FALSE(IsOverdue(inv, absl::CivilDay(2026, 12, 31)));
  EXPECT_TRUE(IsOverdue(inv, absl::CivilDay(2027, 1, 1)));
}

TEST(Quotes, MoveThroughTheirStates) {
  v1::Quote q;
  q.set_state(v1::QUOTE_STATE_DRAFT);
  *q.mutable_valid_until() = ToDate(absl::CivilDay(2026, 12, 31));
  absl::CivilDay today(2026, 11, 26);
  EXPECT_TRUE(MoveQuote(q, v1::QUOTE_STATE_SENT, today).ok());
  EXPECT_FALSE(MoveQuote(q, v1::QUOTE_STATE_SENT, today).ok());
  EXPECT_EQ(EffectiveQuoteState(q, absl::CivilDay(2027, 1, 1)), v1::QUOTE_STATE_EXPIRED);
  EXPECT_FALSE(MoveQuote(q, v1::QUOTE_STATE_ACCEPTED, absl::CivilDay(2027, 1, 1)).ok());
  EXPECT_TRUE(MoveQuote(q, v1::QUOTE_STATE_ACCEPTED, today).ok());
  EXPECT_FALSE(MoveQuote(q, v1::QUOTE_STATE_REJECTED, today).ok());
}

TEST(Quotes, OnlyASentQuoteIsAccepted) {
  v1::Quote q;
  q.set_state(v1::QUOTE_STATE_DRAFT);
  *q.mutable_valid_until() = ToDate(absl::CivilDay(2026, 12, 31));
  absl::CivilDay today(2026, 11, 26);
  absl::Status s = MoveQuote(q, v1::QUOTE_STATE_ACCEPTED, today);
  EXPECT_EQ(ErrorReason(s), "QUOTE_STATE") << s;
  EXPECT_EQ(q.state(), v1::QUOTE_STATE_DRAFT);
  EXPECT_TRUE(MoveQuote(q, v1::QUOTE_STATE_REJECTED, today).ok());  // a draft is withdrawn
}

TEST(Payments, AReversedPaymentReopensTheInvoiceAndStaysRecorded) {
  v1::Invoice inv = DraftInvoice("n", "e", "r", {L(1, 100000)}, Issuer(), {}, kNow);
  ASSERT_TRUE(Issue(inv, absl::CivilDay(2026, 11, 26), Issuer(), kNow).ok());
  int64_t due = inv.balance_jpy();
  ASSERT_TRUE(RecordPayment(inv, due, absl::CivilDay(2026, 11, 26), "kenji", kNow).ok());
  ASSERT_EQ(inv.state(), v1::INVOICE_STATE_PAID);
  EXPECT_EQ(inv.payments(0).id(), "1");
  EXPECT_EQ(ErrorReason(ReversePayment(inv, "2", "x", "admin", kNow)), "NOT_FOUND");
  ASSERT_TRUE(ReversePayment(inv, "1", "別の取引先の入金を誤って記録", "admin", kNow).ok());
  EXPECT_EQ(inv.state(), v1::INVOICE_STATE_ISSUED);
  EXPECT_EQ(inv.paid_jpy(), 0);
  EXPECT_EQ(inv.balance_jpy(), due);
  ASSERT_EQ(inv.payments_size(), 1);  // never deleted
  EXPECT_TRUE(inv.payments(0).reversed());
  EXPECT_EQ(inv.payments(0).reversed_by(), "admin");
  EXPECT_EQ(ErrorReason(ReversePayment(inv, "1", "again", "admin", kNow)), "PAYMENT_REVERSED");
  // Nothing received any more: the invoice can be voided.
  EXPECT_TRUE(Void(inv, "誤請求", kNow).ok());
}

TEST(Payments, ARefundIsBoundedByWhatWasReceived) {
  v1::Invoice inv = DraftInvoice("n", "e", "r", {L(1, 100000)}, Issuer(), {}, kNow);
  ASSERT_TRUE(Issue(inv, absl::CivilDay(2026, 11, 26), Issuer(), kNow).ok());
  int64_t due = inv.balance_jpy();
  ASSERT_TRUE(RecordPayment(inv, due, absl::CivilDay(2026, 11, 26), "kenji", kNow).ok());
  EXPECT_EQ(ErrorReason(Void(inv, "誤請求", kNow)), "INVOICE_STATE");  // paid
  absl::CivilDay day(2026, 11, 26);
  EXPECT_FALSE(RecordRefund(inv, due + 1, day, "返金", "admin", kNow).ok());
  EXPECT_FALSE(RecordRefund(inv, 0, day, "返金", "admin", kNow).ok());
  EXPECT_FALSE(RecordRefund(inv, 1, absl::CivilDay(2027, 1, 1), "返金", "admin", kNow).ok());
  // Not paid back before it was received.
  absl::Status early = RecordRefund(inv, 1, absl::CivilDay(2026, 11, 25), "返金", "admin", kNow);
  EXPECT_EQ(ViolatedFields(early), std::vector<std::string>{"refund_date"});
  EXPECT_NE(std::string(early.message()).find("only 0 yen"), std::string::npos) << early;
  ASSERT_TRUE(RecordRefund(inv, 1000, day, "一部返金", "admin", kNow).ok());
  EXPECT_EQ(inv.state(), v1::INVOICE_STATE_ISSUED);
  EXPECT_EQ(inv.paid_jpy(), due - 1000);
  EXPECT_EQ(inv.refunded_jpy(), 1000);
  EXPECT_EQ(inv.balance_jpy(), 1000);
  // The payment was partly refunded: reversing it whole would pay back twice.
  EXPECT_EQ(ErrorReason(ReversePayment(inv, "1", "x", "admin", kNow)), "REFUNDED");
  ASSERT_TRUE(RecordRefund(inv, due - 1000, day, "全額返金", "admin", kNow).ok());
  EXPECT_EQ(inv.paid_jpy(), 0);
  EXPECT_EQ(inv.refunds_size(), 2);
  EXPECT_EQ(inv.refunds(1).id(), "2");
  EXPECT_TRUE(Void(inv, "誤請求", kNow).ok());
}

TEST(Payments, ARefundIsCoveredByWhatWasReceivedByItsDate) {
  v1::Invoice inv = DraftInvoice("n", "e", "r", {L(1, 100'000)}, Issuer(), {}, kNow);
  ASSERT_TRUE(Issue(inv, absl::CivilDay(2026, 11, 1), Issuer(), kNow).ok());
  ASSERT_TRUE(RecordPayment(inv, 10'000, absl::CivilDay(2026, 11, 1), "k", kNow).ok());
  ASSERT_TRUE(RecordPayment(inv, 100'000, absl::CivilDay(2026, 11, 20), "k", kNow).ok());
  // 10,000 yen by 11-05: 50,000 is more than had come in then.
  EXPECT_EQ(
      ViolatedFields(RecordRefund(inv, 50'000, absl::CivilDay(2026, 11, 5), "返金", "admin", kNow)),
      std::vector<std::string>{"refund_date"});
  ASSERT_TRUE(RecordRefund(inv, 6'000, absl::CivilDay(2026, 11, 5), "返金", "admin", kNow).ok());
  // 4,000 left of what came in by 11-10 (the first refund counted).
  EXPECT_FALSE(RecordRefund(inv, 5'000, absl::CivilDay(2026, 11, 10), "返金", "admin", kNow).ok());
  ASSERT_TRUE(RecordRefund(inv, 4'000, absl::CivilDay(2026, 11, 10), "返金", "admin", kNow).ok());
  ASSERT_TRUE(RecordRefund(inv, 50'000, absl::CivilDay(2026, 11, 21), "返金", "admin", kNow).ok());
}

TEST(Lines, BadAmountsAreNamed) {
  google::protobuf::RepeatedPtrField<v1::Line> lines;
  *lines.Add() = L(0, 50'000);
  *lines.Add() = L(1, -1);
  *lines.Add() = L(1, 100'000'001);
  v1::Line no_kind = L(1, 1);
  no_kind.clear_kind();
  *lines.Add() = no_kind;
  FieldViolations v;
  CheckLines(v, "lines", lines, true);
  EXPECT_EQ(ViolatedFields(v.ToStatus()),
            (std::vector<std::string>{"lines[0].quantity", "lines[1].unit_price_jpy",
                                      "lines[2].unit_price_jpy", "lines[3].kind"}));
  FieldViolations empty;
  CheckLines(empty, "lines", {}, true);
  EXPECT_FALSE(empty.empty());
}

TEST(Settings, RegistrationNumberValidated) {
  v1::BillingSettings s = DefaultSettings();
  s.set_registration_number("T123");
  FieldViolations v;
  CheckSettings(v, s);
  EXPECT_EQ(ViolatedFields(v.ToStatus()), std::vector<std::string>{"settings.registration_number"});
}

}  // namespace
TEST(FreeeExport, ARefundIsExportedInThePeriodItWasPaidBackEvenForAVoidedInvoice) {
  v1::Invoice inv = DraftInvoice("tenants/t1/invoices/i1", "e", "株式会社デモ", {L(1, 100000)},
                                 Issuer(), {}, kNow);
  ASSERT_TRUE(Issue(inv, absl::CivilDay(2026, 10, 30), Issuer(), kNow).ok());
  inv.set_number("INV-0007");
  int64_t due = inv.balance_jpy();
  ASSERT_TRUE(RecordPayment(inv, due, absl::CivilDay(2026, 11, 2), "kenji", kNow).ok());
  ASSERT_TRUE(RecordRefund(inv, due, absl::CivilDay(2026, 11, 20), "誤請求", "admin", kNow).ok());
  ASSERT_TRUE(Void(inv, "誤請求", kNow).ok());
  // November: the invoice was issued in October, so only its refund is November's.
  FreeeExport nov =
      ExportFreee({}, {inv}, absl::CivilDay(2026, 11, 1), absl::CivilDay(2026, 11, 30));
  EXPECT_EQ(nov.invoice_count, 0);
  EXPECT_NE(nov.csv.find("支出,INV-0007-R1,2026/11/20,,株式会社デモ,売上高,対象外,"),
            std::string::npos)
      << nov.csv;
  FreeeExport dec =
      ExportFreee({}, {inv}, absl::CivilDay(2026, 12, 1), absl::CivilDay(2026, 12, 31));
  EXPECT_EQ(dec.csv.find("支出"), std::string::npos) << dec.csv;
  EXPECT_EQ(nov.filename, "invoices-20261101-20261130-freee.csv");
}

TEST(FreeeExport, TextThatASpreadsheetWouldRunIsExportedAsText) {
  for (const std::string name : {"=1+1,\"株式会社\"", "+81 株式会社", "-株式会社", "@SUM(A1)"}) {
    v1::Invoice inv =
        DraftInvoice("tenants/t1/invoices/i1", "e", name, {L(1, 100000)}, Issuer(), {}, kNow);
    ASSERT_TRUE(Issue(inv, absl::CivilDay(2026, 11, 2), Issuer(), kNow).ok());
    inv.set_number("INV-0008");
    FreeeExport e =
        ExportFreee({inv}, {}, absl::CivilDay(2026, 11, 1), absl::CivilDay(2026, 11, 30));
    // The 取引先 cell starts with an apostrophe (inside its quotes when it has any).
    size_t at = e.csv.find("2026/12/");
    ASSERT_NE(at, std::string::npos) << e.csv;
    std::string rest = e.csv.substr(e.csv.find(',', at) + 1);
    EXPECT_TRUE(rest.rfind("'", 0) == 0 || rest.rfind("\"'", 0) == 0) << name << ": " << e.csv;
  }
}

}  // namespace certpath::billing::domain
