#pragma once
// The accounting export: issued and paid invoices as a UTF-8 CSV for freee
// 取引インポート (収入), one row per invoice and tax rate, then one 支出 row per
// refund dated in the period. Columns and rows: README, "Billing in one paragraph". Pure.

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "certpath/billing/v1/billing.pb.h"

namespace certpath::billing::domain {

struct FreeeExport {
  std::string filename;
  std::string csv;
  int invoice_count = 0;  // issued or paid invoices written
};

// `issued`: invoices issued within [from, to]; `refunded`: invoices with a
// refund dated within it, in any state (a refund is exported in the period it
// was paid back, even when the invoice was issued earlier or voided since).
FreeeExport ExportFreee(const std::vector<v1::Invoice>& issued,
                        const std::vector<v1::Invoice>& refunded, absl::CivilDay from,
                        absl::CivilDay to);

}  // namespace certpath::billing::domain
