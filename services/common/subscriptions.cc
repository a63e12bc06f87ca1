// The subscription table: event type → consumers, for every service. A new
// consumer adds itself here (and serves certpath.common.v1.EventConsumer);
// events written before a subscription existed are not delivered to it.
// docs/events.md explains the delivery and ordering guarantees.
#include "services/common/subscriptions.h"

#include <set>

namespace certpath {

const std::vector<Subscription>& Subscriptions() {
  static const std::vector<Subscription> kTable = {
      // The consulting fee is invoiced when stage 1 is passed (billing);
      // scheduling plans stage 2 and the deadlines after it.
      {"certpath.engagements.v1.Stage1Passed", "engagements", {"billing", "scheduling"}},
      // Scheduling keeps support periods, audits, registration and
      // corrective-action due dates as deadlines.
      {"certpath.engagements.v1.EngagementChanged", "engagements", {"scheduling"}},
      {"certpath.engagements.v1.AuditResultRecorded", "engagements", {"scheduling"}},
      {"certpath.engagements.v1.RegistrationRecorded", "engagements", {"scheduling"}},
      {"certpath.engagements.v1.FindingChanged", "engagements", {"scheduling"}},
      {"certpath.engagements.v1.EngagementTerminated", "engagements", {"scheduling"}},
      {"certpath.engagements.v1.ClientPersonalDataErased", "engagements", {"scheduling"}},
      // An approved document completes its checklist task.
      {"certpath.documents.v1.DocumentApproved", "documents", {"engagements"}},
      // An archived document may leave its task's other documents all in force.
      {"certpath.documents.v1.DocumentArchived", "documents", {"engagements"}},
      // The templates of 別紙1 handed over: the office's task (cons-o-forms) is done.
      {"certpath.documents.v1.TemplatesProvided", "documents", {"engagements"}},
      // A paid review accepted after support: billing records it at its price.
      {"certpath.documents.v1.PaidReviewAccepted", "documents", {"billing"}},
      // A done visit: an included one completes its checklist task
      // (engagements), a paid one is billed from the price list (billing).
      {"certpath.scheduling.v1.VisitCompleted", "scheduling", {"engagements", "billing"}},
  };
  return kTable;
}

const std::vector<std::string>& ConsumersOf(absl::string_view event_type) {
  static const std::vector<std::string> kNone;
  for (const auto& s : Subscriptions()) {
    if (s.event_type == event_type) return s.consumers;
  }
  return kNone;
}

std::string ProducerOf(absl::string_view event_type) {
  for (const auto& s : Subscriptions()) {
    if (s.event_type == event_type) return s.producer;
  }
  return "";
}

std::vector<std::string> ConsumersOfProducer(absl::string_view producer) {
  std::set<std::string> out;
  for (const auto& s : Subscriptions()) {
    if (s.producer == producer) out.insert(s.consumers.begin(), s.consumers.end());
  }
  return {out.begin(), out.end()};
}

std::vector<std::string> TypesFor(absl::string_view producer, absl::string_view consumer) {
  std::vector<std::string> out;
  for (const auto& s : Subscriptions()) {
    if (s.producer != producer) continue;
    for (const auto& c : s.consumers) {
      if (c == consumer) out.push_back(s.event_type);
    }
  }
  return out;
}

}  // namespace certpath
