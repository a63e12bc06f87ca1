#pragma once
// The twelve template documents of 別紙1 (the seed specification): reference
// data, the same for every tenant. Each names the clauses / Annex A controls
// it serves and the engagements checklist task its approval completes (task
// ids from services/engagements/domain/catalog.cc — one source; a unit test
// checks every id exists there).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "certpath/documents/v1/documents.pb.h"

namespace certpath::documents::domain {

namespace v1 = certpath::documents::v1;

struct TemplateInfo {
  const char* code;
  const char* title_ja;
  const char* title_en;
  v1::TemplateKind kind;
  std::vector<const char*> serves;
  int phase;  // certpath.engagements.v1.Phase
  const char* task_id;
};

const std::vector<TemplateInfo>& Templates();
// Whether the catalogue (別紙1's twelve templates), the Statement of
// Applicability (Annex A), the conformity report (clauses 4–10, Annex A) and
// the support specification serve an engagement for `standard` (engagements'
// ids): ISO/IEC 27001:2022 only; FAILED_PRECONDITION STANDARD_NOT_SUPPORTED
// for others, which need their own data first.
absl::Status CheckCatalogServes(const std::string& standard);
// nullptr when `code` is not one of them.
const TemplateInfo* FindTemplate(const std::string& code);
// The codes of the templates serving the same checklist task as `code`,
// `code` excluded (empty when it serves none or is not a template).
std::vector<std::string> CodesSharingTask(const std::string& code);
// The checklist task that approving a document of template `code` completes:
// the template's task once every other document of the engagement serving
// that task (among `others`: its active documents; other codes ignored) has a
// version in force. "" while one has none, or when `code` serves no task.
// ISMSマニュアル is two documents, (本文編) and (管理策編): one approved is
// not the manual done.
std::string TaskCompletedBy(const std::string& code, const std::vector<v1::Document>& others);
// The checklist task that archiving a document of template `code` completes:
// its task when the other documents serving it (among `others`) are all in
// force and there is at least one. "" otherwise.
std::string TaskCompletedByArchiving(const std::string& code,
                                     const std::vector<v1::Document>& others);
// The reference fields of `t` on a Template resource of `tenant`.
v1::Template TemplateResource(const std::string& tenant, const TemplateInfo& t);
// The task the office completes by handing the templates over (別紙1).
inline constexpr char kProvideTask[] = "cons-o-forms";

}  // namespace certpath::documents::domain
