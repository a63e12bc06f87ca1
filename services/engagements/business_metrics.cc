#include "services/engagements/business_metrics.h"

namespace certpath::engagements {
namespace {
prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& r, const char* name,
                                             const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
}  // namespace

BusinessMetrics::BusinessMetrics(prometheus::Registry& registry, EngagementStore& store,
                                 const Clock& clock)
    : store_(store),
      clock_(clock),
      by_phase_(Gauge(registry, "certpath_engagements_by_phase", "Engagements in each phase")),
      by_state_(Gauge(registry, "certpath_engagements_by_state",
                      "Engagements in each state (EXPIRED derived from the support end)")),
      ending_(Gauge(registry, "certpath_support_periods_ending",
                    "Active engagements whose support ends within the window (days)")),
      open_findings_(Gauge(registry, "certpath_open_findings", "Open findings by grade")) {}

absl::Status BusinessMetrics::Refresh() {
  auto tenants = store_.Tenants();
  if (!tenants.ok()) return tenants.status();
  absl::Time now = clock_.Now();
  TenantStats sum;
  sum.by_phase.assign(9, 0);
  sum.by_state.assign(5, 0);
  sum.open_findings_by_grade.assign(5, 0);
  for (const auto& t : *tenants) {
    auto s = store_.Stats(t, TokyoDay(now));
    if (!s.ok()) return s.status();
    for (size_t i = 0; i < sum.by_phase.size(); ++i) sum.by_phase[i] += s->by_phase[i];
    for (size_t i = 0; i < sum.by_state.size(); ++i) sum.by_state[i] += s->by_state[i];
    for (size_t i = 0; i < sum.open_findings_by_grade.size(); ++i) {
      sum.open_findings_by_grade[i] += s->open_findings_by_grade[i];
    }
    sum.ending_30 += s->ending_30;
    sum.ending_60 += s->ending_60;
    sum.ending_90 += s->ending_90;
  }
  for (int p = 1; p <= 8; ++p) {
    by_phase_.Add({{"phase", v1::Phase_Name(static_cast<v1::Phase>(p))}}).Set(sum.by_phase[p]);
  }
  for (int s = 1; s <= 4; ++s) {
    by_state_.Add({{"state", v1::EngagementState_Name(static_cast<v1::EngagementState>(s))}})
        .Set(sum.by_state[s]);
  }
  for (int g = 1; g <= 4; ++g) {
    open_findings_.Add({{"grade", v1::FindingGrade_Name(static_cast<v1::FindingGrade>(g))}})
        .Set(sum.open_findings_by_grade[g]);
  }
  ending_.Add({{"within_days", "30"}}).Set(sum.ending_30);
  ending_.Add({{"within_days", "60"}}).Set(sum.ending_60);
  ending_.Add({{"within_days", "90"}}).Set(sum.ending_90);
  return absl::OkStatus();
}

}  // namespace certpath::engagements
