// What the billing handlers share: names, tenant and write-gate checks, who
// sees which engagement's records, loading with authorization.
#include "services/billing/service.h"

#include "absl/strings/str_cat.h"
#include "services/billing/domain/policy.h"
#include "services/billing/domain/rules.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::billing {

namespace d = domain;

BillingApi::BillingApi(BillingStore& store, const Clock& clock, const PageTokenCodec& tokens,
                       const WriteGate& gate, EngagementVisibility* visibility,
                       prometheus::Registry& registry)
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

absl::StatusOr<BillingApi::Ref> BillingApi::Parse(const Principal& p, absl::string_view field,
                                                  const std::string& name,
                                                  absl::string_view kind) const {
  auto ids = ParseName(field, name, {"tenants", kind});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound(std::string(kind));
  return Ref{(*ids)[0], (*ids)[1]};
}

absl::Status BillingApi::CheckParent(const Principal& p, const std::string& parent,
                                     absl::string_view method) const {
  auto ids = ParseName("parent", parent, {"tenants"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("tenant");
  return d::BillingPolicy().Allow(p, method);
}

absl::Status BillingApi::CheckWritable(const Principal& p) { return writable_.Check(p.tenant()); }

absl::Status BillingApi::CheckSees(const Principal& p, const std::string& engagement) {
  if (IsOfficeStaff(p)) return absl::OkStatus();
  if (visibility_ == nullptr) return NotFound("engagement");
  return visibility_->CheckVisible(p, engagement);
}

absl::Status BillingApi::CheckExists(const Principal& p, const std::string& engagement) {
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

absl::StatusOr<std::string> BillingApi::ListScope(const Principal& p,
                                                  const std::string& engagement) {
  std::string eid;
  if (!engagement.empty()) {
    auto e = Parse(p, "engagement", engagement, "engagements");
    if (!e.ok()) return e.status();
    eid = e->id;
  }
  if (!IsOfficeStaff(p)) {
    if (eid.empty()) return InvalidArgument("engagement", "required for partners and clients");
    if (auto s = CheckSees(p, engagement); !s.ok()) return s;
  }
  return eid;
}

absl::StatusOr<Stored<v1::Quote>> BillingApi::LoadQuote(const Principal& p, const std::string& name,
                                                        absl::string_view method) {
  auto ref = Parse(p, "name", name, "quotes");
  if (!ref.ok()) return ref.status();
  auto q = store_.GetQuote(ref->tenant, ref->id);
  if (!q.ok()) return q.status();
  if (!q->has_value()) return NotFound("quote");
  // Not theirs reads exactly as not there.
  if (auto s = CheckSees(p, (*q)->value.engagement()); !s.ok()) {
    return s.code() == absl::StatusCode::kNotFound ? NotFound("quote") : s;
  }
  // A draft is the office's until it is sent.
  if ((*q)->value.state() == v1::QUOTE_STATE_DRAFT && !SeesDrafts(p)) return NotFound("quote");
  if (auto s = d::BillingPolicy().Allow(p, method); !s.ok()) return s;
  return **std::move(q);
}

absl::StatusOr<Stored<v1::Invoice>> BillingApi::LoadInvoice(const Principal& p,
                                                            const std::string& name,
                                                            absl::string_view method) {
  auto ref = Parse(p, "name", name, "invoices");
  if (!ref.ok()) return ref.status();
  auto inv = store_.GetInvoice(ref->tenant, ref->id);
  if (!inv.ok()) return inv.status();
  if (!inv->has_value()) return NotFound("invoice");
  if (auto s = CheckSees(p, (*inv)->value.engagement()); !s.ok()) {
    return s.code() == absl::StatusCode::kNotFound ? NotFound("invoice") : s;
  }
  // A draft (never numbered) is the office's work in progress.
  if ((*inv)->value.number().empty() && !SeesDrafts(p)) return NotFound("invoice");
  if (auto s = d::BillingPolicy().Allow(p, method); !s.ok()) return s;
  return **std::move(inv);
}

bool BillingApi::SeesDrafts(const Principal& p) {
  return p.role() != Principal::ROLE_CLIENT && p.role() != Principal::ROLE_PARTNER;
}

void BillingApi::Present(v1::Quote& q) const {
  q.set_state(d::EffectiveQuoteState(q, TokyoDay(clock_.Now())));
}

void BillingApi::Present(v1::Invoice& inv) const {
  inv.set_overdue(d::IsOverdue(inv, TokyoDay(clock_.Now())));
}

void BillingApi::CountIssued(const v1::Invoice& inv) {
  invoices_issued_.Increment();
  invoices_issued_yen_.Increment(static_cast<double>(inv.totals().total_jpy()));
}

}  // namespace certpath::billing
