#pragma once
// Reference data of the support specification: phases, the task checklist of
// the phase table (支援手順・役割の分担), and the standards an engagement targets.
// Other management-system standards fit through data here, not code.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "certpath/engagements/v1/engagements.pb.h"

namespace certpath::engagements::domain {

namespace v1 = certpath::engagements::v1;

struct PhaseInfo {
  v1::Phase phase;
  const char* title_ja;
  const char* title_en;
};
const std::vector<PhaseInfo>& Phases();
const PhaseInfo* FindPhase(v1::Phase phase);

struct Standard {
  const char* code;      // stored on the engagement
  const char* title_ja;  // e.g. "JIS Q 27001:2023 (ISO/IEC 27001:2022)"
  const char* title_en;
  const char* system;  // abbreviation substituted for {ms}: ISMS, QMS, ...
  const char* topic_ja;  // substituted for {topic} in Japanese titles: 情報セキュリティ, 品質, ...
  const char* topic_en;
};
const std::vector<Standard>& Standards();
const Standard* FindStandard(absl::string_view code);

// A checklist entry. Titles may contain {ms} and {topic}, filled per standard.
struct TaskTemplate {
  const char* id;
  v1::Phase phase;
  v1::Side side;
  bool required;  // required tasks gate AdvancePhase
  const char* title_ja;
  const char* title_en;
};
const std::vector<TaskTemplate>& TaskTemplates();
const TaskTemplate* FindTask(absl::string_view id);

// The titles with {ms} and {topic} filled for `standard`.
std::string TaskTitleJa(const TaskTemplate& t, const Standard& standard);
std::string TaskTitleEn(const TaskTemplate& t, const Standard& standard);

// Ids of the three visits (office tasks of construction).
inline constexpr const char* kVisitTaskIds[] = {"cons-o-visit-1", "cons-o-visit-2",
                                                "cons-o-visit-3"};

}  // namespace certpath::engagements::domain
