#pragma once
// certpath_* gauges read from Redis every interval, summed over tenants (no
// tenant or id labels: label values stay bounded).

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "absl/status/status.h"
#include "services/common/clock.h"
#include "services/engagements/store.h"

namespace certpath::engagements {

class BusinessMetrics {
 public:
  BusinessMetrics(prometheus::Registry& registry, EngagementStore& store, const Clock& clock);
  absl::Status Refresh();

 private:
  EngagementStore& store_;
  const Clock& clock_;
  prometheus::Family<prometheus::Gauge>& by_phase_;
  prometheus::Family<prometheus::Gauge>& by_state_;
  prometheus::Family<prometheus::Gauge>& ending_;
  prometheus::Family<prometheus::Gauge>& open_findings_;
};

}  // namespace certpath::engagements
