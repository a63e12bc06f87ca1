// Correcting invoices: a draft a billing event made, and the replacement of a
// voided invoice, get their recipient and lines corrected before they are
// issued; an issued invoice never changes; issue dates follow the numbers.

#include <gtest/gtest.h>

#include "services/billing/store.h"
#include "services/common/record_store.h"
#include "services/common/redis.h"
#include "services/common/status.h"
#include "tests/billing/billing_fixture.h"

namespace certpath::testing {
namespace {

bv1::Line FeeLine(const std::string& description, int64_t quantity, int64_t unit_price) {
  bv1::Line l;
  l.set_kind(bv1::LINE_KIND_DOCUMENT_REVIEW);
  l.set_description(description);
  l.set_quantity(quantity);
  l.set_unit("式");
  l.set_unit_price_jpy(unit_price);
  return l;
}

class InvoiceEditTest : public BillingTest {
 protected:
  // A draft invoice made by a 40,000-yen billing event.
  bv1::Invoice Draft() {
    bv1::BillingEvent ev;
    EXPECT_TRUE(Call(bill, &BStub::RecordBillingEvent, kAdmin,
                     ReviewEvent(NewEngagement().name(), "5d1c2b3a-7b4d-4e8a-9c61-0a2b3c4d5e6f"),
                     &ev)
                    .ok());
    bv1::GetInvoiceRequest req;
    req.set_name(ev.invoice());
    bv1::Invoice inv;
    EXPECT_TRUE(Call(bill, &BStub::GetInvoice, kAdmin, req, &inv).ok());
    return inv;
  }
  absl::Status Update(const bv1::Invoice& changed, std::initializer_list<const char*> paths,
                      bv1::Invoice* out, const Principal& p = kAdmin) {
    bv1::UpdateInvoiceRequest req;
    *req.mutable_invoice() = changed;
    for (const char* path : paths) req.mutable_update_mask()->add_paths(path);
    return Call(bill, &BStub::UpdateInvoice, p, req, out);
  }
};

TEST_F(InvoiceEditTest, ADraftsLinesAndRecipientAreCorrectedAndItsTotalsFollow) {
  SetUpIssuer(false);
  bv1::Invoice draft = Draft();
  EXPECT_EQ(draft.totals().total_jpy(), 44'000);
  const int64_t audited = AuditEntries();

  bv1::Invoice change;
  change.set_name(draft.name());
  change.set_etag(draft.etag());
  *change.add_lines() = FeeLine("マニュアル改訂に伴う文書審査（第3版）", 1, 50'000);
  *change.add_lines() = FeeLine("様式類の追加審査", 2, 5'005);
  change.set_recipient_name("ignored: not in the mask");
  bv1::Invoice edited;
  ASSERT_TRUE(Update(change, {"lines"}, &edited).ok());
  EXPECT_EQ(edited.state(), bv1::INVOICE_STATE_DRAFT);
  EXPECT_EQ(edited.recipient_name(), "株式会社デモ");
  ASSERT_EQ(edited.lines_size(), 2);
  EXPECT_EQ(edited.lines(0).description(), "マニュアル改訂に伴う文書審査（第3版）");
  EXPECT_EQ(edited.lines(1).amount_jpy(), 10'010);
  EXPECT_EQ(edited.totals().subtotal_jpy(), 60'010);
  EXPECT_EQ(edited.totals().tax_jpy(), 6'001);  // 10 % of the invoice, rounded down once
  EXPECT_EQ(edited.totals().total_jpy(), 66'011);
  EXPECT_EQ(edited.balance_jpy(), 66'011);
  ASSERT_EQ(edited.billing_events_size(), 1);
  EXPECT_EQ(edited.billing_events(0), draft.billing_events(0));
  EXPECT_NE(edited.etag(), draft.etag());
  EXPECT_EQ(AuditEntries(), audited + 1);

  // The etag read before the edit is stale now.
  change.set_recipient_name("株式会社デモ 御中");
  EXPECT_EQ(Update(change, {"recipient_name"}, &edited).code(), absl::StatusCode::kAborted);
  change.set_etag("");
  ASSERT_TRUE(Update(change, {"recipient_name"}, &edited).ok());
  EXPECT_EQ(edited.recipient_name(), "株式会社デモ 御中");
  EXPECT_EQ(edited.totals().total_jpy(), 66'011);

  // What an edit may not do, each named.
  bv1::Invoice out;
  absl::Status s = Update(change, {"number"}, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("number"), std::string::npos) << s;
  EXPECT_EQ(Update(change, {}, &out).code(), absl::StatusCode::kInvalidArgument);
  bv1::Invoice bad = change;
  bad.clear_lines();
  s = Update(bad, {"lines"}, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("invoice.lines"), std::string::npos) << s;
  *bad.add_lines() = FeeLine("審査", 0, 5'000);
  EXPECT_EQ(Update(bad, {"lines"}, &out).code(), absl::StatusCode::kInvalidArgument);
  bad.set_recipient_name(" ");
  EXPECT_EQ(Update(bad, {"recipient_name"}, &out).code(), absl::StatusCode::kInvalidArgument);
  // Only the office admin edits what is billed.
  EXPECT_EQ(Update(change, {"recipient_name"}, &out, kConsultant).code(),
            absl::StatusCode::kPermissionDenied);

  // Issued at the edited figures, then never edited again.
  bv1::IssueInvoiceRequest issue;
  issue.set_name(draft.name());
  bv1::Invoice issued;
  ASSERT_TRUE(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &issued).ok());
  EXPECT_EQ(issued.totals().total_jpy(), 66'011);
  EXPECT_EQ(issued.recipient_name(), "株式会社デモ 御中");
  EXPECT_EQ(ErrorReason(Update(change, {"recipient_name"}, &out)), "INVOICE_STATE");
}

TEST_F(InvoiceEditTest, AVoidedInvoicesReplacementIsCorrectedThenIssuedUnderANewNumber) {
  SetUpIssuer(false);
  bv1::Invoice draft = Draft();
  bv1::IssueInvoiceRequest issue;
  issue.set_name(draft.name());
  bv1::Invoice wrong;
  ASSERT_TRUE(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &wrong).ok());
  EXPECT_EQ(wrong.number(), "INV-0001");

  // The price was wrong: voided, and its replacement carries the same lines…
  bv1::VoidInvoiceRequest vr;
  vr.set_name(wrong.name());
  vr.set_reason("単価の誤り");
  vr.set_create_replacement(true);
  bv1::Invoice voided;
  ASSERT_TRUE(Call(bill, &BStub::VoidInvoice, kAdmin, vr, &voided).ok());
  bv1::Invoice replacement;
  for (const auto& i : Invoices()) {
    if (i.replaces() == wrong.name()) replacement = i;
  }
  ASSERT_FALSE(replacement.name().empty());
  EXPECT_EQ(replacement.totals().total_jpy(), 44'000);
  // Its billing event is billed by the replacement now, not by the voided invoice.
  bv1::ListBillingEventsRequest lr;
  lr.set_parent("tenants/t1");
  lr.set_engagement(wrong.engagement());
  bv1::ListBillingEventsResponse events;
  ASSERT_TRUE(Call(bill, &BStub::ListBillingEvents, kAdmin, lr, &events).ok());
  ASSERT_EQ(events.billing_events_size(), 1);
  EXPECT_EQ(events.billing_events(0).invoice(), replacement.name());
  EXPECT_EQ(replacement.billing_events(0), events.billing_events(0).name());

  // … until corrected.
  bv1::Invoice change;
  change.set_name(replacement.name());
  *change.add_lines() = FeeLine("マニュアル改訂に伴う文書審査", 1, 30'000);
  bv1::Invoice corrected;
  ASSERT_TRUE(Update(change, {"lines"}, &corrected).ok());
  EXPECT_EQ(corrected.totals().total_jpy(), 33'000);
  EXPECT_EQ(corrected.replaces(), wrong.name());
  issue.set_name(replacement.name());
  bv1::Invoice reissued;
  ASSERT_TRUE(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &reissued).ok());
  EXPECT_EQ(reissued.number(), "INV-0002");
  EXPECT_EQ(reissued.totals().total_jpy(), 33'000);

  // The voided invoice keeps what it said, and is not edited either.
  bv1::GetInvoiceRequest get;
  get.set_name(wrong.name());
  bv1::Invoice still;
  ASSERT_TRUE(Call(bill, &BStub::GetInvoice, kAdmin, get, &still).ok());
  EXPECT_EQ(still.state(), bv1::INVOICE_STATE_VOID);
  EXPECT_EQ(still.totals().total_jpy(), 44'000);
  change.set_name(wrong.name());
  EXPECT_EQ(ErrorReason(Update(change, {"lines"}, &corrected)), "INVOICE_STATE");
}

TEST_F(InvoiceEditTest, IssueDatesFollowTheNumbersAndAreNeverInTheFuture) {
  SetUpIssuer(false);
  auto issue = [&](const std::string& name, google::type::Date date, bv1::Invoice* out) {
    bv1::IssueInvoiceRequest req;
    req.set_name(name);
    *req.mutable_issue_date() = date;
    return Call(bill, &BStub::IssueInvoice, kAdmin, req, out);
  };
  std::vector<std::string> drafts;
  for (int i = 0; i < 3; ++i) {
    bv1::BillingEvent ev;
    ASSERT_TRUE(Call(bill, &BStub::RecordBillingEvent, kAdmin,
                     ReviewEvent(NewEngagement().name(),
                                 absl::StrCat("6e1c2b3", i, "-7b4d-4e8a-9c61-0a2b3c4d5e6f")),
                     &ev)
                    .ok());
    drafts.push_back(ev.invoice());
  }
  bv1::Invoice inv;
  // Back-dated to the month's closing day is fine (the clock reads 2026-11-26).
  ASSERT_TRUE(issue(drafts[0], Day(2026, 11, 20), &inv).ok());
  EXPECT_EQ(inv.number(), "INV-0001");
  // Before the last numbered invoice's date, or after today: refused, named.
  for (const auto& bad : {Day(2026, 11, 19), Day(2026, 11, 27), Day(2031, 3, 1)}) {
    absl::Status s = issue(drafts[1], bad, &inv);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad.DebugString();
    EXPECT_NE(std::string(s.message()).find("issue_date"), std::string::npos) << s;
  }
  ASSERT_TRUE(issue(drafts[1], Day(2026, 11, 20), &inv).ok());
  EXPECT_EQ(inv.number(), "INV-0002");  // no number lost to the refusals
  ASSERT_TRUE(issue(drafts[2], Day(2026, 11, 26), &inv).ok());
  EXPECT_EQ(inv.number(), "INV-0003");
  // A voided invoice's date still counts: its number stays taken.
  bv1::VoidInvoiceRequest vr;
  vr.set_name(drafts[2]);
  vr.set_reason("宛名誤り");
  vr.set_create_replacement(true);
  ASSERT_TRUE(Call(bill, &BStub::VoidInvoice, kAdmin, vr, &inv).ok());
  std::string replacement;
  for (const auto& i : Invoices()) {
    if (i.replaces() == drafts[2]) replacement = i.name();
  }
  EXPECT_EQ(issue(replacement, Day(2026, 11, 25), &inv).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(issue(replacement, Day(2026, 11, 26), &inv).ok());
  EXPECT_EQ(inv.number(), "INV-0004");
  // An invoice dated in the future before this rule (a typo for 2027): it
  // does not hold every later invoice back until then.
  RedisOptions ro;
  ro.unix_socket = redis.socket();
  RedisPool pool(ro);
  ASSERT_TRUE(pool.Command({"ZADD", "bill:{t:t1}:idx:invoices:numbered", "20270401", "typo"}).ok());
  bv1::BillingEvent ev;
  ASSERT_TRUE(Call(bill, &BStub::RecordBillingEvent, kAdmin,
                   ReviewEvent(NewEngagement().name(), "6e1c2b39-7b4d-4e8a-9c61-0a2b3c4d5e6f"), &ev)
                  .ok());
  EXPECT_EQ(issue(ev.invoice(), Day(2026, 11, 25), &inv).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(issue(ev.invoice(), Day(2026, 11, 26), &inv).ok());
  EXPECT_EQ(inv.number(), "INV-0005");
}

// The stage-1 fee cannot be billed again by anyone: voiding its invoice
// without a replacement would lose it for good.
TEST_F(InvoiceEditTest, TheConsultingFeesInvoiceIsVoidedOnlyWithAReplacement) {
  SetUpIssuer(false);
  v1::Engagement e = NewEngagement();
  AcceptedQuote(e.name(), 900'000);
  PassStage1(e.name());
  auto invoices = WaitInvoices(e.name(), 1);
  ASSERT_EQ(invoices.size(), 1u);
  bv1::Invoice fee = invoices[0];
  ASSERT_EQ(fee.state(), bv1::INVOICE_STATE_ISSUED);
  bv1::VoidInvoiceRequest vr;
  vr.set_name(fee.name());
  vr.set_reason("金額誤り");
  bv1::Invoice out;
  EXPECT_EQ(ErrorReason(Call(bill, &BStub::VoidInvoice, kAdmin, vr, &out)),
            "FEE_NEEDS_REPLACEMENT");
  vr.set_create_replacement(true);
  ASSERT_TRUE(Call(bill, &BStub::VoidInvoice, kAdmin, vr, &out).ok());
  // The replacement bills the fee now; as a draft it may be voided alone (waived).
  std::string replacement;
  for (const auto& i : Invoices(e.name())) {
    if (i.replaces() == fee.name()) replacement = i.name();
  }
  ASSERT_FALSE(replacement.empty());
  vr.set_name(replacement);
  vr.set_create_replacement(false);
  vr.set_reason("請求免除");
  ASSERT_TRUE(Call(bill, &BStub::VoidInvoice, kAdmin, vr, &out).ok());
  EXPECT_EQ(out.state(), bv1::INVOICE_STATE_VOID);
  EXPECT_EQ(ErrorReason(Call(bill, &BStub::VoidInvoice, kAdmin, vr, &out)), "INVOICE_STATE");
}

// A draft is the office's work in progress (its amounts not yet checked):
// the client and the partner see an invoice once it is issued, voided ones
// included, also those issued before the index of numbered invoices existed.
TEST_F(InvoiceEditTest, ClientsAndPartnersSeeIssuedInvoicesNotDrafts) {
  SetUpIssuer(false);
  v1::Engagement e = NewEngagement();
  std::vector<std::string> invoices;
  for (int i = 0; i < 2; ++i) {
    bv1::BillingEvent ev;
    ASSERT_TRUE(
        Call(bill, &BStub::RecordBillingEvent, kAdmin,
             ReviewEvent(e.name(), absl::StrCat("7f1c2b3", i, "-7b4d-4e8a-9c61-0a2b3c4d5e6f")), &ev)
            .ok());
    invoices.push_back(ev.invoice());
  }
  bv1::IssueInvoiceRequest issue;
  issue.set_name(invoices[0]);
  bv1::Invoice issued;
  ASSERT_TRUE(Call(bill, &BStub::IssueInvoice, kAdmin, issue, &issued).ok());
  auto seen_by = [&](const Principal& p) {
    bv1::ListInvoicesRequest req;
    req.set_parent("tenants/t1");
    req.set_engagement(e.name());
    bv1::ListInvoicesResponse resp;
    EXPECT_TRUE(Call(bill, &BStub::ListInvoices, p, req, &resp).ok());
    std::vector<std::string> names;
    for (const auto& i : resp.invoices()) names.push_back(i.name());
    return names;
  };
  EXPECT_EQ(seen_by(kAdmin).size(), 2u);
  EXPECT_EQ(seen_by(kConsultant).size(), 2u);
  for (const Caller& c : Callers(e)) {
    if (c.p.role() != Principal::ROLE_CLIENT && c.p.role() != Principal::ROLE_PARTNER) continue;
    if (!c.sees_engagement) continue;
    EXPECT_EQ(seen_by(c.p), std::vector<std::string>{issued.name()}) << c.name;
    bv1::GetInvoiceRequest get;
    get.set_name(invoices[1]);
    bv1::Invoice out;
    EXPECT_EQ(Call(bill, &BStub::GetInvoice, c.p, get, &out).code(), absl::StatusCode::kNotFound)
        << c.name;
    get.set_name(invoices[0]);
    EXPECT_TRUE(Call(bill, &BStub::GetInvoice, c.p, get, &out).ok()) << c.name;
  }
  // Issued before the index existed: put in it once at start (here by hand).
  RedisOptions ro;
  ro.unix_socket = redis.socket();
  RedisPool pool(ro);
  ASSERT_TRUE(pool.Command({"DEL", "bill:{t:t1}:idx:invoices:numbered"}).ok());
  const Principal client = Callers(e)[4].p;
  ASSERT_EQ(client.role(), Principal::ROLE_CLIENT);
  EXPECT_TRUE(seen_by(client).empty());
  RecordStore records(pool);
  billing::BillingStore store(records, kDefaultIdempotencyTtlSeconds);
  ASSERT_TRUE(store.BackfillNumbered("t1").ok());
  ASSERT_TRUE(store.BackfillNumbered("t1").ok());  // twice changes nothing
  EXPECT_EQ(seen_by(client), std::vector<std::string>{issued.name()});
  auto complete = store.NumberedIndexComplete("t1");
  ASSERT_TRUE(complete.ok());
  EXPECT_TRUE(*complete);
  auto latest = store.LatestNumberedDay("t1", TokyoDay(clock.Now()));
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, TokyoDay(clock.Now()));
}

// The same for quotes: the client and the partner see one once it is sent.
TEST_F(InvoiceEditTest, ClientsAndPartnersSeeQuotesOnceSent) {
  v1::Engagement e = NewEngagement();
  bv1::Quote draft, sent;
  ASSERT_TRUE(Call(bill, &BStub::CreateQuote, kAdmin, QuoteRequest(e.name()), &draft).ok());
  ASSERT_TRUE(Call(bill, &BStub::CreateQuote, kAdmin, QuoteRequest(e.name()), &sent).ok());
  bv1::QuoteActionRequest send;
  send.set_name(sent.name());
  ASSERT_TRUE(Call(bill, &BStub::SendQuote, kAdmin, send, &sent).ok());
  auto seen_by = [&](const Principal& p) {
    bv1::ListQuotesRequest req;
    req.set_parent("tenants/t1");
    req.set_engagement(e.name());
    bv1::ListQuotesResponse resp;
    EXPECT_TRUE(Call(bill, &BStub::ListQuotes, p, req, &resp).ok());
    std::vector<std::string> names;
    for (const auto& q : resp.quotes()) names.push_back(q.name());
    return names;
  };
  EXPECT_EQ(seen_by(kConsultant).size(), 2u);
  const Principal client = Callers(e)[4].p, partner = Callers(e)[2].p;
  ASSERT_EQ(client.role(), Principal::ROLE_CLIENT);
  ASSERT_EQ(partner.role(), Principal::ROLE_PARTNER);
  for (const Principal& p : {client, partner}) {
    EXPECT_EQ(seen_by(p), std::vector<std::string>{sent.name()}) << p.subject();
    bv1::GetQuoteRequest get;
    get.set_name(draft.name());
    bv1::Quote out;
    EXPECT_EQ(Call(bill, &BStub::GetQuote, p, get, &out).code(), absl::StatusCode::kNotFound);
    get.set_name(sent.name());
    EXPECT_TRUE(Call(bill, &BStub::GetQuote, p, get, &out).ok());
  }
  // Quotes made before the by-state index: put in it (here by hand).
  RedisOptions ro;
  ro.unix_socket = redis.socket();
  RedisPool pool(ro);
  ASSERT_TRUE(pool.Command({"DEL", "bill:{t:t1}:idx:quotes:state"}).ok());
  EXPECT_TRUE(seen_by(client).empty());
  RecordStore records(pool);
  billing::BillingStore store(records, kDefaultIdempotencyTtlSeconds);
  ASSERT_TRUE(store.CompleteQuoteStates("t1").ok());
  EXPECT_EQ(seen_by(client), std::vector<std::string>{sent.name()});
}

}  // namespace
}  // namespace certpath::testing
