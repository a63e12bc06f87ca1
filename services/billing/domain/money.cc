#include "services/billing/domain/money.h"

#include <map>

namespace certpath::billing::domain {

int64_t DivideRounded(int64_t numerator, int64_t denominator, v1::RoundingMode mode) {
  int64_t q = numerator / denominator;
  int64_t r = numerator % denominator;
  switch (mode) {
    case v1::ROUNDING_MODE_UP:
      return r > 0 ? q + 1 : q;
    case v1::ROUNDING_MODE_HALF_UP:
      return 2 * r >= denominator ? q + 1 : q;
    default:
      return q;
  }
}

int64_t Withholding(int64_t taxable) {
  if (taxable <= 0) return 0;
  constexpr int64_t kStep = 1'000'000;
  if (taxable <= kStep) return taxable * 1021 / 10000;
  return kStep * 1021 / 10000 + (taxable - kStep) * 2042 / 10000;
}

v1::Totals ComputeTotals(std::vector<v1::Line*> lines, const v1::BillingSettings& settings) {
  std::map<int32_t, int64_t> taxable_by_rate;
  v1::Totals t;
  for (v1::Line* line : lines) {
    line->set_amount_jpy(line->quantity() * line->unit_price_jpy());
    line->set_tax_rate_percent(settings.tax_rate_percent());
    taxable_by_rate[line->tax_rate_percent()] += line->amount_jpy();
    t.set_subtotal_jpy(t.subtotal_jpy() + line->amount_jpy());
  }
  for (const auto& [rate, taxable] : taxable_by_rate) {
    v1::TaxBreakdown* b = t.add_by_rate();
    b->set_rate_percent(rate);
    b->set_taxable_jpy(taxable);
    b->set_tax_jpy(DivideRounded(taxable * rate, 100, settings.rounding()));
    t.set_tax_jpy(t.tax_jpy() + b->tax_jpy());
  }
  t.set_total_jpy(t.subtotal_jpy() + t.tax_jpy());
  if (settings.withholding()) t.set_withholding_jpy(Withholding(t.subtotal_jpy()));
  t.set_amount_due_jpy(t.total_jpy() - t.withholding_jpy());
  return t;
}

bool IsRegistrationNumber(absl::string_view s) {
  if (s.size() != 14 || s[0] != 'T') return false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

absl::CivilDay DueDate(absl::CivilDay issue, const v1::BillingSettings& settings) {
  if (settings.payment_terms() == v1::PAYMENT_TERMS_NET_DAYS) {
    return issue + settings.payment_days();
  }
  absl::CivilMonth next = absl::CivilMonth(issue) + 1;
  return absl::CivilDay(next + 1) - 1;  // last day of next month
}

v1::BillingSettings DefaultSettings() {
  v1::BillingSettings s;
  s.set_tax_rate_percent(10);
  s.set_rounding(v1::ROUNDING_MODE_DOWN);
  s.set_payment_terms(v1::PAYMENT_TERMS_END_OF_NEXT_MONTH);
  s.set_payment_days(30);
  v1::PriceList* p = s.mutable_prices();
  p->set_day_rate_jpy(50'000);
  p->set_half_day_rate_jpy(30'000);
  p->set_advisory_retainer_annual_jpy(50'000);
  p->set_manual_review_min_jpy(30'000);
  p->set_manual_review_max_jpy(50'000);
  return s;
}

}  // namespace certpath::billing::domain
