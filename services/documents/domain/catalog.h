#pragma once
// The twelve template documents of 別紙1 (the seed specification): reference
// data, the same for every tenant. Each names the clauses / Annex A controls
// it serves and the engagements checklist task its approval completes (task
// ids from services/engagements/domain/catalog.cc — one source; a unit test
// checks every id exists there).

#include <string>
#include <vector>

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
// nullptr when `code` is not one of them.
const TemplateInfo* FindTemplate(const std::string& code);
// The reference fields of `t` on a Template resource of `tenant`.
v1::Template TemplateResource(const std::string& tenant, const TemplateInfo& t);
// The task the office completes by handing the templates over (別紙1).
inline constexpr char kProvideTask[] = "cons-o-forms";

}  // namespace certpath::documents::domain
