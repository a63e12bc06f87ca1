#pragma once
// ISO/IEC 27001:2022 (JIS Q 27001:2023) as reference data: the clauses 4.1 …
// 10.2 and the 93 Annex A controls in four themes (5 organizational: 37,
// 6 people: 8, 7 physical: 14, 8 technological: 34), with ja / en titles.
// What existing forms are mapped to and the Statement of Applicability lists.

#include <string>
#include <vector>

namespace certpath::documents::domain {

struct Requirement {
  const char* id;  // "4.1" … "10.2", "A.5.1" … "A.8.34"
  const char* title_ja;
  const char* title_en;
};

const std::vector<Requirement>& Clauses();   // 4.1 … 10.2
const std::vector<Requirement>& Controls();  // A.5.1 … A.8.34 (93)
// Clause or control; nullptr when unknown.
const Requirement* FindRequirement(const std::string& id);
// The requirement a form's mapping to `id` counts under in the conformity
// report: itself, or for a sub-clause of ISO/IEC 27001:2022 (6.1.2, 7.5.3,
// 9.2.2 …, which templates serve) its clause; "" when neither.
std::string ReportedUnder(const std::string& id);
bool IsControl(const std::string& id);
// "5" organizational, "6" people, "7" physical, "8" technological.
std::string ThemeOf(const std::string& control_id);
std::string ThemeTitleJa(const std::string& theme);

}  // namespace certpath::documents::domain
