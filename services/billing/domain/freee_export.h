#pragma once
// The accounting export: issued and paid invoices as a UTF-8 CSV for freee
// 取引インポート (収入), one row per invoice and tax rate, then one 支出 row per
// refund. Columns and rows: README, "Billing in one paragraph". Pure.

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

FreeeExport ExportFreee(const std::vector<v1::Invoice>& invoices, absl::CivilDay from,
                        absl::CivilDay to);

}  // namespace certpath::billing::domain
