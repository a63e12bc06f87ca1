#include "services/documents/domain/statements.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/export_text.h"
#include "services/common/validate.h"
#include "services/documents/domain/standard.h"

namespace certpath::documents::domain {
namespace {

const char* ReasonJa(v1::InclusionReason r) {
  switch (r) {
    case v1::INCLUSION_REASON_RISK_TREATMENT:
      return "リスク対応";
    case v1::INCLUSION_REASON_LEGAL_REGULATORY:
      return "法令・規制";
    case v1::INCLUSION_REASON_CONTRACTUAL:
      return "契約";
    case v1::INCLUSION_REASON_BUSINESS:
      return "事業上の要求";
    case v1::INCLUSION_REASON_BEST_PRACTICE:
      return "ベストプラクティス";
    default:
      return "";
  }
}

const char* StatusJa(v1::ImplementationStatus s) {
  switch (s) {
    case v1::IMPLEMENTATION_STATUS_NOT_IMPLEMENTED:
      return "未実施";
    case v1::IMPLEMENTATION_STATUS_PLANNED:
      return "計画中";
    case v1::IMPLEMENTATION_STATUS_PARTIALLY_IMPLEMENTED:
      return "一部実施";
    case v1::IMPLEMENTATION_STATUS_IMPLEMENTED:
      return "実施済";
    default:
      return "";
  }
}

const char* VerdictJa(v1::Verdict v) {
  switch (v) {
    case v1::VERDICT_CONFORMS:
      return "適合";
    case v1::VERDICT_PARTIAL:
      return "一部適合";
    case v1::VERDICT_GAP:
      return "不足";
    case v1::VERDICT_NOT_RELEVANT:
      return "該当せず";
    default:
      return "";
  }
}

const char* CoverageJa(v1::Coverage c) {
  switch (c) {
    case v1::COVERAGE_COVERED:
      return "適合";
    case v1::COVERAGE_PARTIAL:
      return "一部適合";
    case v1::COVERAGE_GAP:
      return "不足";
    case v1::COVERAGE_NOT_COVERED:
      return "帳票なし";
    case v1::COVERAGE_NOT_RELEVANT:
      return "該当せず";
    default:
      return "";
  }
}

std::string Reasons(const v1::ControlEntry& c) {
  std::vector<std::string> out;
  for (int r : c.reasons()) out.push_back(ReasonJa(static_cast<v1::InclusionReason>(r)));
  return absl::StrJoin(out, "・");
}

}  // namespace

v1::StatementOfApplicability DefaultStatement(const std::string& name) {
  v1::StatementOfApplicability s;
  s.set_name(name);
  for (const auto& c : Controls()) {
    v1::ControlEntry* e = s.add_controls();
    e->set_control_id(c.id);
    e->set_applicable(true);
    e->set_status(v1::IMPLEMENTATION_STATUS_NOT_IMPLEMENTED);
  }
  Normalize(s);
  return s;
}

void CheckStatement(FieldViolations& v, const v1::StatementOfApplicability& s,
                    const std::string& engagement) {
  if (s.controls_size() != static_cast<int>(Controls().size())) {
    v.Add("statement.controls",
          absl::StrCat("all ", Controls().size(), " Annex A controls, one row each (got ",
                       s.controls_size(), ")"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < s.controls_size(); ++i) {
    const v1::ControlEntry& c = s.controls(i);
    std::string f = absl::StrCat("statement.controls[", i, "]");
    if (!IsControl(c.control_id()) || FindRequirement(c.control_id()) == nullptr) {
      v.Add(f + ".control_id", "not an Annex A:2022 control: \"" + c.control_id() + "\"");
    } else if (!seen.insert(c.control_id()).second) {
      v.Add(f + ".control_id", c.control_id() + " twice");
    }
    std::set<int> reasons;
    for (int r : c.reasons()) {
      if (!v1::InclusionReason_IsValid(r) || r == v1::INCLUSION_REASON_UNSPECIFIED) {
        v.Add(f + ".reasons", "unknown reason");
      } else if (!reasons.insert(r).second) {
        v.Add(f + ".reasons", "a reason given twice");
      }
    }
    if (!c.applicable() && !c.reasons().empty()) {
      v.Add(f + ".reasons", "an excluded control has no reasons for inclusion");
    }
    if (!v1::ImplementationStatus_IsValid(c.status())) v.Add(f + ".status", "unknown value");
    CheckText(v, f + ".reason_text", c.reason_text(), 1000, false, true);
    CheckText(v, f + ".exclusion_justification", c.exclusion_justification(), 1000, !c.applicable(),
              true);
    if (c.documents_size() > 20) v.Add(f + ".documents", "at most 20");
    for (const auto& d : c.documents()) {
      if (!absl::StartsWith(d, engagement + "/documents/")) {
        v.Add(f + ".documents", "a document of this engagement: " + d);
      }
    }
  }
}

void Normalize(v1::StatementOfApplicability& s) {
  std::map<std::string, v1::ControlEntry> by_id;
  for (auto& c : *s.mutable_controls()) by_id[c.control_id()] = c;
  s.clear_controls();
  for (const auto& ref : Controls()) {
    auto it = by_id.find(ref.id);
    v1::ControlEntry* e = s.add_controls();
    if (it != by_id.end()) *e = it->second;
    e->set_control_id(ref.id);
    e->set_theme(ThemeOf(ref.id));
    e->set_title_ja(ref.title_ja);
    e->set_title_en(ref.title_en);
  }
}

std::string StatementCsv(const v1::StatementOfApplicability& s) {
  std::string out = kUtf8Bom;
  absl::StrAppend(&out,
                  "管理策番号,分類,管理策,Control,適用,採用理由,理由の説明,除外の正当化,実施状況,"
                  "関連文書\r\n");
  for (const auto& c : s.controls()) {
    absl::StrAppend(&out, CsvCell(c.control_id()), ",", CsvCell(ThemeTitleJa(c.theme())), ",",
                    CsvCell(c.title_ja()), ",", CsvCell(c.title_en()), ",",
                    c.applicable() ? "適用" : "除外", ",", CsvCell(Reasons(c)), ",",
                    CsvCell(c.reason_text()), ",", CsvCell(c.exclusion_justification()), ",",
                    StatusJa(c.status()), ",", CsvCell(absl::StrJoin(c.documents(), " ")), "\r\n");
  }
  return out;
}

std::string StatementHtml(const v1::StatementOfApplicability& s, const std::string& heading) {
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>適用宣言書</title>"
      "<style>@page{size:A4 landscape;margin:12mm}body{font-family:\"Noto Sans CJK JP\","
      "\"IPAexGothic\",sans-serif;font-size:9pt}table{border-collapse:collapse;width:100%}"
      "th,td{border:1px solid #444;padding:2px 4px;vertical-align:top}th{background:#eee}"
      "tr{page-break-inside:avoid}h2{font-size:11pt;margin:8px 0 4px}</style></head><body>\n"
      "<h1>適用宣言書</h1>\n<p>",
      HtmlEscape(heading), "</p>\n");
  std::string theme;
  for (const auto& c : s.controls()) {
    if (c.theme() != theme) {
      if (!theme.empty()) absl::StrAppend(&out, "</tbody></table>\n");
      theme = c.theme();
      absl::StrAppend(&out, "<h2>", theme, " ", HtmlEscape(ThemeTitleJa(theme)),
                      "</h2>\n<table><thead><tr><th>番号</th><th>管理策</th><th>適用</th>"
                      "<th>採用理由</th><th>説明・除外の正当化</th><th>実施状況</th></tr></thead>"
                      "<tbody>\n");
    }
    absl::StrAppend(&out, "<tr><td>", HtmlEscape(c.control_id()), "</td><td>",
                    HtmlEscape(c.title_ja()), "</td><td>", c.applicable() ? "適用" : "除外",
                    "</td><td>", HtmlEscape(Reasons(c)), "</td><td>",
                    HtmlEscape(c.applicable() ? c.reason_text() : c.exclusion_justification()),
                    "</td><td>", StatusJa(c.status()), "</td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody></table>\n</body></html>\n");
  return out;
}

v1::ConformityReport BuildConformityReport(const std::string& engagement,
                                           const std::vector<v1::ExistingForm>& forms) {
  v1::ConformityReport r;
  r.set_engagement(engagement);
  r.set_forms(static_cast<int32_t>(forms.size()));
  std::map<std::string, std::vector<v1::FormVerdict>> by_requirement;
  for (const auto& f : forms) {
    for (const auto& m : f.mappings()) {
      // A sub-clause counts under its clause, named in the remarks.
      std::string under = ReportedUnder(m.requirement());
      v1::FormVerdict& fv = by_requirement[under].emplace_back();
      fv.set_form(f.name());
      fv.set_form_title(f.title());
      fv.set_verdict(m.verdict());
      fv.set_remarks(under == m.requirement()
                         ? m.remarks()
                         : absl::StrCat("(", m.requirement(), ") ", m.remarks()));
    }
  }
  for (const auto* list : {&Clauses(), &Controls()}) {
    for (const auto& req : *list) {
      v1::ConformityRow* row = r.add_rows();
      row->set_requirement(req.id);
      row->set_title_ja(req.title_ja);
      row->set_title_en(req.title_en);
      bool conforms = false, partial = false, gap = false, relevant = false;
      for (const auto& fv : by_requirement[req.id]) {
        *row->add_forms() = fv;
        conforms |= fv.verdict() == v1::VERDICT_CONFORMS;
        partial |= fv.verdict() == v1::VERDICT_PARTIAL;
        gap |= fv.verdict() == v1::VERDICT_GAP;
        relevant |= fv.verdict() != v1::VERDICT_NOT_RELEVANT;
      }
      v1::Coverage c = conforms               ? v1::COVERAGE_COVERED
                       : partial              ? v1::COVERAGE_PARTIAL
                       : gap                  ? v1::COVERAGE_GAP
                       : row->forms().empty() ? v1::COVERAGE_NOT_COVERED
                       : relevant             ? v1::COVERAGE_GAP
                                              : v1::COVERAGE_NOT_RELEVANT;
      row->set_coverage(c);
      switch (c) {
        case v1::COVERAGE_COVERED:
          r.set_covered(r.covered() + 1);
          break;
        case v1::COVERAGE_PARTIAL:
          r.set_partial(r.partial() + 1);
          break;
        case v1::COVERAGE_GAP:
          r.set_gaps(r.gaps() + 1);
          break;
        case v1::COVERAGE_NOT_COVERED:
          r.set_not_covered(r.not_covered() + 1);
          break;
        default:
          r.set_not_relevant(r.not_relevant() + 1);
          break;
      }
    }
  }
  return r;
}

std::string ConformityCsv(const v1::ConformityReport& r) {
  std::string out = kUtf8Bom;
  absl::StrAppend(&out, "要求事項,名称,Requirement,判定,帳票,帳票ごとの判定,所見\r\n");
  for (const auto& row : r.rows()) {
    std::vector<std::string> titles, verdicts, remarks;
    for (const auto& f : row.forms()) {
      titles.push_back(f.form_title());
      verdicts.push_back(absl::StrCat(f.form_title(), ":", VerdictJa(f.verdict())));
      if (!f.remarks().empty()) remarks.push_back(f.form_title() + ":" + f.remarks());
    }
    absl::StrAppend(&out, CsvCell(row.requirement()), ",", CsvCell(row.title_ja()), ",",
                    CsvCell(row.title_en()), ",", CoverageJa(row.coverage()), ",",
                    CsvCell(absl::StrJoin(titles, " / ")), ",",
                    CsvCell(absl::StrJoin(verdicts, " / ")), ",",
                    CsvCell(absl::StrJoin(remarks, " / ")), "\r\n");
  }
  absl::StrAppend(&out, "合計,,,適合 ", r.covered(), " / 一部適合 ", r.partial(), " / 不足 ",
                  r.gaps(), " / 帳票なし ", r.not_covered(), " / 該当せず ", r.not_relevant(),
                  ",,,\r\n");
  return out;
}

void CheckMappings(FieldViolations& v,
                   const google::protobuf::RepeatedPtrField<v1::FormMapping>& mappings) {
  if (mappings.size() > 200) v.Add("mappings", "at most 200");
  std::set<std::string> seen;
  for (int i = 0; i < mappings.size() && i < 200; ++i) {
    const auto& m = mappings[i];
    std::string f = absl::StrCat("mappings[", i, "]");
    if (ReportedUnder(m.requirement()).empty()) {
      v.Add(f + ".requirement",
            "a clause 4.1 … 10.2 (or a sub-clause such as 6.1.2) or an Annex A control A.5.1 … "
            "A.8.34: \"" +
                m.requirement() + "\"");
    } else if (!seen.insert(m.requirement()).second) {
      v.Add(f + ".requirement", m.requirement() + " twice");
    }
    if (!v1::Verdict_IsValid(m.verdict()) || m.verdict() == v1::VERDICT_UNSPECIFIED) {
      v.Add(f + ".verdict", "CONFORMS, PARTIAL, GAP or NOT_RELEVANT");
    }
    CheckText(v, f + ".remarks", m.remarks(), 1000, false, true);
  }
}

}  // namespace certpath::documents::domain
