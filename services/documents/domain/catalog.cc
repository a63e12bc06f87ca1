#include "services/documents/domain/catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace certpath::documents::domain {
namespace {
constexpr int kConstruction = 2, kOperation1 = 3;  // certpath.engagements.v1.Phase
}  // namespace

absl::Status CheckCatalogServes(const std::string& standard) {
  if (standard == "ISO_IEC_27001_2022") return absl::OkStatus();
  return FailedPrecondition(
      "STANDARD_NOT_SUPPORTED",
      absl::StrCat("the templates of 別紙1, the Statement of Applicability, the conformity report "
                   "and the support specification are ISO/IEC 27001:2022's; this engagement is "
                   "for ",
                   standard));
}

const std::vector<TemplateInfo>& Templates() {
  using K = v1::TemplateKind;
  static const std::vector<TemplateInfo> kTemplates = {
      {"isms-manual-main",
       "ISMSマニュアル(本文編)",
       "ISMS manual (main part)",
       K::TEMPLATE_KIND_MANUAL,
       {"4.1", "4.2", "4.3", "4.4", "5.1", "5.2", "5.3", "6.1", "6.2", "6.3",  "7.1", "7.2",
        "7.3", "7.4", "7.5", "8.1", "8.2", "8.3", "9.1", "9.2", "9.3", "10.1", "10.2"},
       kConstruction,
       "cons-c-manual"},
      {"isms-manual-controls",
       "ISMSマニュアル(管理策編)",
       "ISMS manual (controls)",
       K::TEMPLATE_KIND_MANUAL,
       {"A.5", "A.6", "A.7", "A.8"},
       kConstruction,
       "cons-c-manual"},
      {"risk-assessment-rules",
       "リスクアセスメント規程",
       "Risk assessment rules",
       K::TEMPLATE_KIND_REGULATION,
       {"6.1.2", "8.2"},
       kConstruction,
       "cons-c-customize"},
      {"statement-of-applicability",
       "適用宣言書",
       "Statement of applicability",
       K::TEMPLATE_KIND_LIST,
       {"6.1.3"},
       kConstruction,
       "cons-c-customize"},
      {"risk-analysis-table",
       "リスク分析表",
       "Risk analysis table",
       K::TEMPLATE_KIND_RECORD_FORM,
       {"6.1.2", "8.2"},
       kConstruction,
       "cons-c-analysis"},
      {"internal-auditor-list",
       "内部監査員リスト",
       "List of internal auditors",
       K::TEMPLATE_KIND_LIST,
       {"7.2", "9.2"},
       kConstruction,
       "cons-c-auditor-training"},
      {"internal-audit-plan-report",
       "内部監査計画・報告書",
       "Internal audit plan and report",
       K::TEMPLATE_KIND_RECORD_FORM,
       {"9.2"},
       kOperation1,
       "op1-c-internal-audit"},
      {"corrective-action-report",
       "是正処置要求・報告書",
       "Corrective action request and report",
       K::TEMPLATE_KIND_RECORD_FORM,
       {"10.2"},
       kConstruction,
       "cons-c-forms"},
      {"annual-objectives",
       "情報セキュリティ年間目標",
       "Annual information security objectives",
       K::TEMPLATE_KIND_PLAN,
       {"6.2"},
       kConstruction,
       "cons-c-policy"},
      {"annual-plan",
       "情報セキュリティ年間計画",
       "Annual information security plan",
       K::TEMPLATE_KIND_PLAN,
       {"6.2", "9.1"},
       kOperation1,
       "op1-c-objectives"},
      {"security-self-checklist",
       "セキュリティ自己チェックリスト",
       "Security self-checklist",
       K::TEMPLATE_KIND_CHECKLIST,
       {"9.1", "A.5.36"},
       kConstruction,
       "cons-c-forms"},
      {"internal-audit-checklist",
       "内部監査チェック項目票",
       "Internal audit checklist",
       K::TEMPLATE_KIND_CHECKLIST,
       {"9.2"},
       kOperation1,
       "op1-c-internal-audit"},
  };
  return kTemplates;
}

const TemplateInfo* FindTemplate(const std::string& code) {
  for (const auto& t : Templates()) {
    if (code == t.code) return &t;
  }
  return nullptr;
}

std::vector<std::string> CodesSharingTask(const std::string& code) {
  std::vector<std::string> out;
  const TemplateInfo* t = FindTemplate(code);
  if (t == nullptr || *t->task_id == '\0') return out;
  for (const auto& other : Templates()) {
    if (code != other.code && std::string(t->task_id) == other.task_id) out.push_back(other.code);
  }
  return out;
}

std::string TaskCompletedBy(const std::string& code, const std::vector<v1::Document>& others) {
  const TemplateInfo* t = FindTemplate(code);
  if (t == nullptr) return "";
  std::vector<std::string> sharing = CodesSharingTask(code);
  for (const auto& d : others) {
    bool serves = std::find(sharing.begin(), sharing.end(), d.template_code()) != sharing.end();
    if (serves && d.state() == v1::DOCUMENT_STATE_ACTIVE && d.effective_version().empty()) {
      return "";
    }
  }
  return t->task_id;
}

std::string TaskCompletedByArchiving(const std::string& code,
                                     const std::vector<v1::Document>& others) {
  std::vector<std::string> sharing = CodesSharingTask(code);
  bool any = false;
  for (const auto& d : others) {
    any = any || (std::find(sharing.begin(), sharing.end(), d.template_code()) != sharing.end() &&
                  d.state() == v1::DOCUMENT_STATE_ACTIVE && !d.effective_version().empty());
  }
  return any ? TaskCompletedBy(code, others) : "";
}

v1::Template TemplateResource(const std::string& tenant, const TemplateInfo& t) {
  v1::Template out;
  out.set_name(absl::StrCat("tenants/", tenant, "/templates/", t.code));
  out.set_code(t.code);
  out.set_title_ja(t.title_ja);
  out.set_title_en(t.title_en);
  out.set_kind(t.kind);
  for (const char* s : t.serves) out.add_serves(s);
  out.set_phase(t.phase);
  out.set_task_id(t.task_id);
  return out;
}

}  // namespace certpath::documents::domain
