// The office's billing settings: issuer (適格請求書発行事業者), tax, rounding,
// withholding, payment terms, price list.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/billing/domain/policy.h"
#include "services/billing/domain/rules.h"
#include "services/billing/service.h"
#include "services/common/act.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::billing {
namespace {

namespace d = domain;

constexpr const char* kSettingsPaths[] = {
    "issuer_name", "issuer_address", "registration_number", "tax_rate_percent",      "rounding",
    "withholding", "payment_terms",  "payment_days",        "issue_stage1_invoices", "prices"};

// tenants/{tenant}/billingSettings of the caller's tenant; another tenant's
// does not exist; anything else is not a name.
absl::Status CheckSettingsName(const Principal& p, absl::string_view field,
                               const std::string& name) {
  if (name == absl::StrCat("tenants/", p.tenant(), "/billingSettings")) return absl::OkStatus();
  return absl::StartsWith(name, "tenants/") && absl::EndsWith(name, "/billingSettings")
             ? NotFound("billing settings")
             : InvalidArgument(std::string(field),
                               "must look like tenants/{tenant}/billingSettings");
}

}  // namespace

absl::Status BillingApi::GetBillingSettings(const Principal& p,
                                            const v1::GetBillingSettingsRequest& req,
                                            v1::BillingSettings* out) {
  if (auto s = CheckSettingsName(p, "name", req.name()); !s.ok()) return s;
  if (auto s = d::BillingPolicy().Allow(p, "GetBillingSettings"); !s.ok()) return s;
  auto s = store_.GetSettings(p.tenant());
  if (!s.ok()) return s.status();
  *out = s->value;
  return absl::OkStatus();
}

absl::Status BillingApi::UpdateBillingSettings(const Principal& p,
                                               const v1::UpdateBillingSettingsRequest& req,
                                               v1::BillingSettings* out) {
  if (auto s = CheckSettingsName(p, "settings.name", req.settings().name()); !s.ok()) return s;
  if (auto s = d::BillingPolicy().Allow(p, "UpdateBillingSettings"); !s.ok()) return s;
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kSettingsPaths);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::BillingSettings>(
      store_, Idem{}, req.settings().etag(), [&] { return store_.GetSettings(p.tenant()); },
      [&](const Stored<v1::BillingSettings>& before) -> absl::Status {
        v1::BillingSettings next = before.value;
        FieldViolations mv;
        ApplyUpdateMask(mv, req.update_mask(), kSettingsPaths, req.settings(), &next);
        d::CheckSettings(mv, next);
        if (auto s = mv.ToStatus(); !s.ok()) return s;
        *next.mutable_update_time() = ToTimestamp(clock_.Now());
        auto saved = store_.SaveSettings(p.tenant(), before, next);
        if (!saved.ok()) return saved.status();
        *out = *std::move(saved);
        return absl::OkStatus();
      },
      out);
}

}  // namespace certpath::billing
