#pragma once
// Japanese qualified-invoice arithmetic, in whole yen (int64, never floating
// point): consumption tax computed and rounded once per invoice per rate,
// income-tax withholding (源泉徴収) for sole proprietors, due dates.

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "certpath/billing/v1/billing.pb.h"

namespace certpath::billing::domain {

namespace v1 = certpath::billing::v1;

inline constexpr int64_t kMaxUnitPriceJpy = 100'000'000;
inline constexpr int64_t kMaxQuantity = 1000;

// numerator / denominator (both ≥ 0, denominator > 0) rounded per `mode`
// (UNSPECIFIED rounds down, the common choice).
int64_t DivideRounded(int64_t numerator, int64_t denominator, v1::RoundingMode mode);

// 10.21% of the tax-exclusive amount, 20.42% on the part above 1,000,000 yen;
// fractions of a yen are dropped (国税庁: 1円未満切捨て).
int64_t Withholding(int64_t taxable_jpy);

// Fills each line's amount and tax rate, and the totals: per rate, the tax is
// rounded once over the rate's sum (never the sum of per-line rounded taxes).
v1::Totals ComputeTotals(std::vector<v1::Line*> lines, const v1::BillingSettings& settings);

// "T" followed by 13 digits.
bool IsRegistrationNumber(absl::string_view s);

absl::CivilDay DueDate(absl::CivilDay issue, const v1::BillingSettings& settings);

// The settings a new tenant starts with: 10%, round down, end of next month,
// the price list of the support specification.
v1::BillingSettings DefaultSettings();

}  // namespace certpath::billing::domain
