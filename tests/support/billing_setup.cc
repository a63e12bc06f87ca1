#include "tests/support/billing_setup.h"

#include "tests/support/test_env.h"

namespace certpath::testing {

namespace bv1 = certpath::billing::v1;
using BStub = bv1::BillingService::Stub;
using EStub = v1::EngagementService::Stub;

absl::Status SetUpIssuer(BStub& billing, const Principal& admin, bool withholding) {
  bv1::UpdateBillingSettingsRequest req;
  auto* s = req.mutable_settings();
  s->set_name("tenants/" + admin.tenant() + "/billingSettings");
  s->set_issuer_name("本間マネジメントオフィス");
  s->set_registration_number("T1234567890123");
  s->set_withholding(withholding);
  s->set_issue_stage1_invoices(true);
  for (const char* p :
       {"issuer_name", "registration_number", "withholding", "issue_stage1_invoices"}) {
    req.mutable_update_mask()->add_paths(p);
  }
  bv1::BillingSettings out;
  return CallAs(billing, &BStub::UpdateBillingSettings, admin, req, &out);
}

absl::StatusOr<std::string> Stage1ReadyEngagement(EStub& engagements, BStub& billing,
                                                  const Principal& admin, const std::string& client,
                                                  int64_t fee_jpy) {
  v1::CreateEngagementRequest req;
  req.set_parent("tenants/" + admin.tenant());
  req.mutable_engagement()->set_client(client);
  req.mutable_engagement()->set_standard("ISO_IEC_27001_2022");
  *req.mutable_engagement()->mutable_support_start() = Day(2026, 4, 1);
  v1::Engagement e;
  if (auto s = CallAs(engagements, &EStub::CreateEngagement, admin, req, &e); !s.ok()) return s;
  for (int k = 0; k < 3; ++k) {
    v1::AdvancePhaseRequest adv;
    adv.set_name(e.name());
    adv.set_override_reason("setup");
    if (auto s = CallAs(engagements, &EStub::AdvancePhase, admin, adv, &e); !s.ok()) return s;
  }
  if (auto s = AcceptQuoteFor(billing, admin, e.name(), fee_jpy); !s.ok()) return s;
  return e.name();
}

absl::Status AcceptQuoteFor(bv1::BillingService::Stub& billing, const Principal& admin,
                            const std::string& engagement, int64_t fee_jpy) {
  bv1::CreateQuoteRequest q;
  q.set_parent("tenants/" + admin.tenant());
  q.mutable_quote()->set_engagement(engagement);
  q.mutable_quote()->set_recipient_name("株式会社デモ");
  *q.mutable_quote()->mutable_valid_until() = Day(2026, 12, 31);
  auto* l = q.mutable_quote()->add_lines();
  l->set_kind(bv1::LINE_KIND_CONSULTING_FEE);
  l->set_description("構築支援");
  l->set_quantity(1);
  l->set_unit_price_jpy(fee_jpy);
  bv1::Quote quote;
  if (auto s = CallAs(billing, &BStub::CreateQuote, admin, q, &quote); !s.ok()) return s;
  bv1::QuoteActionRequest act;
  act.set_name(quote.name());
  if (auto s = CallAs(billing, &BStub::SendQuote, admin, act, &quote); !s.ok()) return s;
  return CallAs(billing, &BStub::AcceptQuote, admin, act, &quote);
}

v1::RecordAuditResultRequest Stage1Passed(const std::string& engagement) {
  v1::RecordAuditResultRequest audit;
  audit.set_name(engagement);
  audit.set_stage(v1::AUDIT_STAGE_1);
  audit.set_outcome(v1::AUDIT_OUTCOME_MAY_PROCEED);
  *audit.mutable_audit_date() = Day(2026, 11, 20);
  return audit;
}

}  // namespace certpath::testing
