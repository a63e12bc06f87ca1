#include "services/billing/domain/freee_export.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "services/common/export_text.h"
#include "services/common/validate.h"

namespace certpath::billing::domain {
namespace {

// A text cell (services/common/export_text.h).
std::string Csv(const std::string& text) { return CsvCell(text); }

std::string Slashed(const google::type::Date& d) {
  return d.year() == 0 ? "" : absl::StrFormat("%04d/%02d/%02d", d.year(), d.month(), d.day());
}

// What happened to the money of an invoice, for the 備考: received, reversed
// (recorded by mistake) and refunded yen; empty when nothing was paid.
std::string PaymentSummary(const v1::Invoice& inv) {
  int64_t received = 0, reversed = 0;
  for (const auto& p : inv.payments()) (p.reversed() ? reversed : received) += p.amount_jpy();
  if (received == 0 && reversed == 0) return "";
  std::string out = absl::StrCat(" 入金 ", received, "円");
  if (reversed > 0) absl::StrAppend(&out, " 入金取消 ", reversed, "円");
  if (inv.refunded_jpy() > 0) absl::StrAppend(&out, " 返金 ", inv.refunded_jpy(), "円");
  return out;
}

}  // namespace

FreeeExport ExportFreee(const std::vector<v1::Invoice>& issued,
                        const std::vector<v1::Invoice>& refunded, absl::CivilDay from,
                        absl::CivilDay to) {
  FreeeExport out;
  std::string& csv = out.csv;
  int& count = out.invoice_count;
  // freee 取引インポート (収入): one row per invoice and tax rate, UTF-8.
  csv = "収支区分,管理番号,発生日,決済期日,取引先,勘定科目,税区分,金額,税額,備考\r\n";
  for (const v1::Invoice& inv : issued) {
    if (inv.state() != v1::INVOICE_STATE_ISSUED && inv.state() != v1::INVOICE_STATE_PAID) continue;
    ++count;
    for (const auto& rate : inv.totals().by_rate()) {
      std::string tax_class = rate.rate_percent() == 0
                                  ? "非課売上"
                                  : absl::StrCat("課税売上", rate.rate_percent(), "%");
      std::string note = absl::StrCat("請求書 ", inv.number());
      if (inv.totals().withholding_jpy() > 0) {
        absl::StrAppend(&note, " 源泉徴収税額 ", inv.totals().withholding_jpy(), "円 差引請求額 ",
                        inv.totals().amount_due_jpy(), "円");
      }
      absl::StrAppend(&note, PaymentSummary(inv));
      absl::StrAppend(&csv, "収入,", Csv(inv.number()), ",", Slashed(inv.issue_date()), ",",
                      Slashed(inv.due_date()), ",", Csv(inv.recipient_name()), ",売上高,",
                      tax_class, ",", rate.taxable_jpy() + rate.tax_jpy(), ",", rate.tax_jpy(), ",",
                      Csv(note), "\r\n");
    }
  }
  // Money paid back: one 支出 row per refund dated in the period, on its date.
  for (const v1::Invoice& inv : refunded) {
    for (const auto& rf : inv.refunds()) {
      auto day = ToCivilDay(rf.refund_date());
      if (!day || *day < from || *day > to) continue;
      absl::StrAppend(&csv, "支出,", Csv(absl::StrCat(inv.number(), "-R", rf.id())), ",",
                      Slashed(rf.refund_date()), ",,", Csv(inv.recipient_name()), ",売上高,対象外,",
                      rf.amount_jpy(), ",0,",
                      Csv(absl::StrCat("返金 請求書 ", inv.number(), " ", rf.reason())), "\r\n");
    }
  }
  out.filename = absl::StrFormat("invoices-%04d%02d%02d-%04d%02d%02d-freee.csv", from.year(),
                                 from.month(), from.day(), to.year(), to.month(), to.day());
  return out;
}

}  // namespace certpath::billing::domain
