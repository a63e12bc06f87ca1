#pragma once
// The billing service with the engagements service, both in process over real
// gRPC on one real redis-server (the fixture of billing_test.cc and
// invoice_edit_test.cc).

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "certpath/billing/v1/billing.grpc.pb.h"
#include "services/billing/app.h"
#include "tests/support/billing_setup.h"
#include "tests/support/fixtures.h"

namespace certpath::testing {

namespace bv1 = certpath::billing::v1;
namespace cv1 = certpath::common::v1;
using BStub = bv1::BillingService::Stub;
using EStub = v1::EngagementService::Stub;

class BillingTest : public ::testing::Test {
 protected:
  // Both services on one Redis and one clock; each knows where the other listens.
  BillingTest()
      : clock(DefaultNow()),
        billing_port(FreePort()),
        eng_svc(redis, clock,
                [this](engagements::AppOptions& o) {
                  o.consumer_targets["billing"] = "127.0.0.1:" + std::to_string(billing_port);
                  o.relay_poll_interval = absl::Milliseconds(100);
                }),
        bill_svc(redis, clock, [this](billing::AppOptions& o) {
          o.host.server.listen = "127.0.0.1:" + std::to_string(billing_port);
          o.engagements_target = eng_svc.target();
        }) {
    eng_svc.Start();
    bill_svc.Start();
    // Ready = both report SERVING (their guards saw a durable Redis).
    EXPECT_TRUE(eng_svc.ready() && bill_svc.ready());
  }
  template <typename Stub, typename Req, typename Resp>
  absl::Status Call(std::unique_ptr<Stub>& stub,
                    grpc::Status (Stub::*m)(grpc::ClientContext*, const Req&, Resp*),
                    const Principal& p, const Req& req, Resp* resp) {
    return CallAs(*stub, m, p, req, resp, clock.Now());
  }

  // Entries in billing's audit trail of tenant t1.
  int64_t AuditEntries() {
    RedisOptions o;
    o.unix_socket = redis.socket();
    RedisPool pool(o);
    auto r = pool.Command({"HLEN", "bill:{t:t1}:audit:e"});
    return r.ok() ? r->integer : -1;
  }

  void SetUpIssuer(bool withholding) {
    ASSERT_TRUE(testing::SetUpIssuer(*bill, kAdmin, withholding).ok());
  }

  bv1::Quote AcceptedQuote(const std::string& engagement, int64_t fee) {
    bv1::CreateQuoteRequest req;
    req.set_parent("tenants/t1");
    auto* q = req.mutable_quote();
    q->set_engagement(engagement);
    q->set_recipient_name("株式会社デモ");
    *q->mutable_valid_until() = Day(2026, 12, 31);
    auto* l = q->add_lines();
    l->set_kind(bv1::LINE_KIND_CONSULTING_FEE);
    l->set_description("ISMS構築支援 コンサルタント費用");
    l->set_quantity(1);
    l->set_unit("式");
    l->set_unit_price_jpy(fee);
    auto* o = q->add_lines();
    o->set_kind(bv1::LINE_KIND_GUIDANCE);
    o->set_description("内部監査員教育（1日）");
    o->set_quantity(1);
    o->set_unit("日");
    o->set_unit_price_jpy(50'000);
    bv1::Quote quote;
    EXPECT_TRUE(Call(bill, &BStub::CreateQuote, kConsultant, req, &quote).ok());
    bv1::QuoteActionRequest act;
    act.set_name(quote.name());
    EXPECT_TRUE(Call(bill, &BStub::SendQuote, kConsultant, act, &quote).ok());
    EXPECT_TRUE(Call(bill, &BStub::AcceptQuote, kConsultant, act, &quote).ok());
    return quote;
  }

  // Walks the engagement to stage 1 (admin overrides), then records "may proceed".
  void PassStage1(const std::string& engagement) {
    for (int i = 0; i < 3; ++i) {
      v1::AdvancePhaseRequest adv;
      adv.set_name(engagement);
      adv.set_override_reason("テスト");
      v1::Engagement e;
      ASSERT_TRUE(Call(eng, &EStub::AdvancePhase, kAdmin, adv, &e).ok());
    }
    v1::RecordAuditResultRequest audit = Stage1Passed(engagement);
    v1::Engagement e;
    ASSERT_TRUE(Call(eng, &EStub::RecordAuditResult, kConsultant, audit, &e).ok());
  }

  std::vector<bv1::Invoice> Invoices(const std::string& engagement = "") {
    bv1::ListInvoicesRequest req;
    req.set_parent("tenants/t1");
    req.set_engagement(engagement);
    req.set_page_size(500);
    bv1::ListInvoicesResponse resp;
    EXPECT_TRUE(Call(bill, &BStub::ListInvoices, kAdmin, req, &resp).ok());
    return {resp.invoices().begin(), resp.invoices().end()};
  }
  std::vector<bv1::Invoice> WaitInvoices(const std::string& engagement, size_t n) {
    std::vector<bv1::Invoice> got;
    for (int i = 0; i < 100 && got.size() < n; ++i) {
      got = Invoices(engagement);
      if (got.size() < n) absl::SleepFor(absl::Milliseconds(50));
    }
    return got;
  }

  v1::Engagement NewEngagement() {
    v1::CreateClientRequest req;
    req.set_parent("tenants/t1");
    req.mutable_client()->set_display_name("株式会社デモ");
    v1::Client c;
    EXPECT_TRUE(Call(eng, &EStub::CreateClient, kAdmin, req, &c).ok());
    v1::Engagement e;
    EXPECT_TRUE(
        Call(eng, &EStub::CreateEngagement, kAdmin, EngagementRequest(c.name(), {"p1"}), &e).ok());
    return e;
  }

  // A paid document review (post-contract) of `engagement`: one 40,000-yen line.
  static bv1::RecordBillingEventRequest ReviewEvent(const std::string& engagement,
                                                    const std::string& request_id,
                                                    int64_t price = 40'000) {
    bv1::RecordBillingEventRequest req;
    req.set_parent("tenants/t1");
    req.set_request_id(request_id);
    auto* be = req.mutable_billing_event();
    be->set_kind(bv1::BILLING_EVENT_KIND_POST_CONTRACT_DOCUMENT_REVIEW);
    be->set_engagement(engagement);
    be->set_recipient_name("株式会社デモ");
    *be->mutable_occurred_date() = Day(2026, 11, 25);
    auto* l = be->add_lines();
    l->set_kind(bv1::LINE_KIND_DOCUMENT_REVIEW);
    l->set_description("マニュアル改訂に伴う文書審査");
    l->set_quantity(1);
    l->set_unit_price_jpy(price);
    return req;
  }

  // Request builders shared by the access tests.
  static bv1::CreateQuoteRequest QuoteRequest(const std::string& engagement,
                                              const std::string& request_id = "") {
    bv1::CreateQuoteRequest req;
    req.set_parent("tenants/t1");
    req.set_request_id(request_id);
    req.mutable_quote()->set_engagement(engagement);
    req.mutable_quote()->set_recipient_name("株式会社デモ");
    *req.mutable_quote()->mutable_valid_until() = Day(2026, 12, 31);
    auto* l = req.mutable_quote()->add_lines();
    l->set_kind(bv1::LINE_KIND_CONSULTING_FEE);
    l->set_description("構築支援");
    l->set_quantity(1);
    l->set_unit_price_jpy(900'000);
    return req;
  }
  static bv1::RecordPaymentRequest PaymentRequest(const std::string& invoice, int64_t yen,
                                                  const std::string& request_id = "") {
    bv1::RecordPaymentRequest req;
    req.set_name(invoice);
    req.set_amount_jpy(yen);
    *req.mutable_paid_date() = Day(2026, 11, 26);
    req.set_request_id(request_id);
    return req;
  }
  static bv1::ReversePaymentRequest ReversalRequest(const std::string& invoice,
                                                    const std::string& request_id = "") {
    bv1::ReversePaymentRequest req;
    req.set_name(invoice);
    req.set_payment_id("1");
    req.set_reason("誤記録");
    req.set_request_id(request_id);
    return req;
  }
  static bv1::RecordRefundRequest RefundRequest(const std::string& invoice, int64_t yen,
                                                const std::string& request_id = "") {
    bv1::RecordRefundRequest req;
    req.set_name(invoice);
    req.set_amount_jpy(yen);
    *req.mutable_refund_date() = Day(2026, 11, 26);
    req.set_reason("返金");
    req.set_request_id(request_id);
    return req;
  }
  // Calls `m` on billing as `p`; the response's bytes go to *bytes when asked.
  template <typename Req, typename Resp>
  absl::Status Do(grpc::Status (BStub::*m)(grpc::ClientContext*, const Req&, Resp*),
                  const Principal& p, const Req& req, std::string* bytes = nullptr) {
    Resp resp;
    absl::Status s = Call(bill, m, p, req, &resp);
    if (bytes != nullptr) *bytes = resp.SerializeAsString();
    return s;
  }
  // N = NOT_FOUND, D = PERMISSION_DENIED, A = any other answer.
  static char Classify(const absl::Status& s) {
    return s.code() == absl::StatusCode::kNotFound           ? 'N'
           : s.code() == absl::StatusCode::kPermissionDenied ? 'D'
                                                             : 'A';
  }
  // Every kind of caller of the access tests, and whether it sees `e`'s records.
  struct Caller {
    const char* name;
    Principal p;
    bool sees_engagement;
  };
  static std::vector<Caller> Callers(const v1::Engagement& e) {
    std::string cid = e.client().substr(e.client().rfind('/') + 1);
    return {
        {"admin", kAdmin, true},
        {"consultant", kConsultant, true},
        {"partner of it", MakePrincipal(Principal::ROLE_PARTNER, "pat@p1", "p1"), true},
        {"other partner", MakePrincipal(Principal::ROLE_PARTNER, "pb@p2", "p2"), false},
        {"its client", MakePrincipal(Principal::ROLE_CLIENT, "yamada", cid), true},
        {"other client", MakePrincipal(Principal::ROLE_CLIENT, "suzuki", "otherco"), false},
        {"other tenant", MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "eve", "", "t2"), false},
    };
  }

  RedisServer redis;
  FakeClock clock;
  int billing_port;
  TestService<engagements::App, v1::EngagementService> eng_svc;
  TestService<billing::App, bv1::BillingService> bill_svc;
  std::unique_ptr<EStub>& eng = eng_svc.stub;
  std::unique_ptr<BStub>& bill = bill_svc.stub;
};

}  // namespace certpath::testing
