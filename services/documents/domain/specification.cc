#include "services/documents/domain/specification.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/export_text.h"
#include "services/common/validate.h"
#include "services/documents/domain/catalog.h"
#include "services/engagements/domain/catalog.h"

namespace certpath::documents::domain {
namespace {

namespace ev1 = certpath::engagements::v1;
namespace ed = certpath::engagements::domain;

std::string JaDate(const google::type::Date& d) {
  if (d.year() == 0) return "—";
  return absl::StrFormat("%d年%d月%d日", d.year(), d.month(), d.day());
}

std::string Yen(int64_t yen) {
  std::string digits = std::to_string(yen), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out + "円";
}

// 50000 → "5万円"; other amounts in full.
std::string Man(int64_t yen) {
  return yen > 0 && yen % 10000 == 0 ? absl::StrCat(yen / 10000, "万円") : Yen(yen);
}

}  // namespace

std::string SupportSpecificationHtml(const SpecificationInput& in) {
  const ev1::Engagement& e = in.engagement;
  const ed::Standard* standard = ed::FindStandard(e.standard());
  std::string std_name = standard != nullptr ? standard->title_ja : e.standard();
  std::string system = standard != nullptr ? standard->system : "MS";
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
      "<title>マネジメントシステム構築支援仕様書</title><style>"
      "@page{size:A4;margin:18mm 16mm}"
      "body{font-family:\"Noto Sans CJK JP\",\"Noto Serif CJK JP\",\"IPAexGothic\",\"Hiragino "
      "Sans\","
      "\"Yu Gothic\",sans-serif;font-size:10.5pt;line-height:1.6;color:#000}"
      "h1{font-size:18pt;text-align:center;margin:24mm 0 8mm}h2{font-size:12pt;margin:6mm 0 2mm}"
      ".header td{padding:1mm 3mm}.std{text-align:center}.ref{text-align:right}"
      "table.roles{border-collapse:collapse;width:100%}table.roles th,table.roles td{"
      "border:1px solid #000;padding:1.5mm;vertical-align:top}table.roles th{background:#eee}"
      "table.roles tr{page-break-inside:avoid}ul{margin:0;padding-left:1.2em}"
      ".page{page-break-before:always}.office{text-align:right;margin-top:8mm}"
      "</style></head><body>\n",
      "<table class=\"header\"><tr><td>作成日</td><td>",
      HtmlEscape(
          absl::StrFormat("%d年%d月%d日", in.created.year(), in.created.month(), in.created.day())),
      "</td></tr><tr><td>会 社 名</td><td>", HtmlEscape(in.client.display_name()),
      "</td></tr><tr><td>部 門 名</td><td>", HtmlEscape(e.department()),
      "</td></tr><tr><td>ご担当者</td><td>", HtmlEscape(e.contact()), "</td></tr></table>\n",
      "<p class=\"std\">(", HtmlEscape(std_name), ")</p>\n",
      "<h1>マネジメントシステム構築支援仕様書</h1>\n", "<p class=\"ref\">整理番号 ",
      HtmlEscape(e.reference_number()), "</p>\n",
      "<ul><li>本仕様書の内容で不明の点はお問い合わせください。</li>"
      "<li>追加をご希望する事項がありましたらお知らせください、検討いたします。</li>"
      "<li>本仕様書は貴社内での検討のみにご使用いただき、管理をお願いいたします。</li></ul>\n",
      "<p class=\"office\">", HtmlEscape(in.office_name), "</p>\n");
  absl::StrAppend(
      &out, "<h2 class=\"page\">1. 本書の作成目的</h2>\n<p>", HtmlEscape(in.office_name),
      "（以下「当オフィス」と略します）が貴社に提供するマネジメントシステム構築支援の内容を明確に示"
      "し、"
      "業務を円滑に進めるために作成しました。</p>\n",
      "<h2>2. 支援の概要</h2>\n<p>", HtmlEscape(std_name), "に基づく", HtmlEscape(system),
      "の構築支援の方法は、貴社の管理責任者及び事務局（又は委員会、PJグループ）と共同して認証を目指"
      "す"
      "方法となります。</p>\n<p>支援期間中に3回の訪問と電子メールによる問合せ（回数制限なし）、"
      "作成した文書の文書審査（回数制限なし）を行います。</p>\n",
      "<h2>3. 支援手順（役割の分担）</h2>\n<table class=\"roles\"><thead><tr><th>段階</th>"
      "<th>貴社</th><th>当オフィス</th></tr></thead><tbody>\n");
  for (const auto& phase : ed::Phases()) {
    std::string client_tasks, office_tasks;
    for (const auto& t : ed::TaskTemplates()) {
      if (t.phase != phase.phase) continue;
      std::string title =
          standard != nullptr ? ed::TaskTitleJa(t, *standard) : std::string(t.title_ja);
      absl::StrAppend(t.side == ev1::SIDE_CLIENT ? &client_tasks : &office_tasks, "<li>",
                      HtmlEscape(title), "</li>");
    }
    absl::StrAppend(&out, "<tr><td>", HtmlEscape(phase.title_ja), "</td><td><ul>", client_tasks,
                    "</ul></td><td><ul>", office_tasks, "</ul></td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody></table>\n");
  const auto& p = in.prices;
  absl::StrAppend(
      &out,
      "<h2>4. 支援期間</h2>\n<p>支援開始から認証登録まで、または支援開始から18ヶ月の内どちらかが"
      "先に到来した時点で支援終了となります。</p>\n<p>支援開始日：",
      JaDate(e.support_start()), "　支援終了日（予定）：", JaDate(e.support_end()), "</p>\n",
      "<h2>5. "
      "支援オプション</h2>\n<p>構築支援中は3回の訪問と無料で文書審査と電子メールの問い合わせに"
      "対応いたしますが、ご要望に応じ有料で以下のオプションが提供可能です。</"
      "p>\n<p>料金は指導料（1日",
      Man(p.day_rate_jpy()), "、半日", Man(p.half_day_rate_jpy()),
      "）、必要に応じて作成資料代、調査料、交通費となります。</p>\n<ul><li>a) 内部監査員教育</li>"
      "<li>b) 内部監査へのオブザーブ</li><li>c) 審査へのオブザーブ</li>"
      "<li>d) ISMS構築に関連する打合せ、会議への参加</li><li>e) 調査、分析</li></ul>\n",
      "<h2>6. "
      "支援契約終了後のオプション</h2>\n<p>支援契約終了後はご要望があれば以下のオプションを提供"
      "可能です。</p>\n<ul><li>a) "
      "技術顧問契約を結んでいただければメールによる問い合わせに対応いたします。（",
      Man(p.advisory_retainer_annual_jpy()), "/年）</li><li>b) マニュアル改訂に伴う文書審査（",
      Man(p.manual_review_min_jpy()), "～", Man(p.manual_review_max_jpy()),
      "）</li><li>c) "
      "貴社を訪問した上で各種指導、相談対応　テーマごとの個別契約です、指導内容に応じて1日",
      Man(p.day_rate_jpy()), "、または半日", Man(p.half_day_rate_jpy()),
      "、必要に応じて作成資料代、調査料+交通費</li></ul>\n<p class=\"office\">以上</p>\n");
  absl::StrAppend(&out, "<h2 class=\"page\">【別紙1 提供する定型の", HtmlEscape(system),
                  "マニュアル等の文書類、帳票類、書式】</h2>\n<ol>");
  for (const auto& t : Templates()) absl::StrAppend(&out, "<li>", HtmlEscape(t.title_ja), "</li>");
  absl::StrAppend(&out, "</ol>\n<p class=\"office\">以上</p>\n</body></html>\n");
  return out;
}

}  // namespace certpath::documents::domain
