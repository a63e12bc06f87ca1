#pragma once
// Who receives which events: the one subscription table of every producer and
// consumer (services/common/subscriptions.cc). An event type is the full name
// of its payload message; its producer is the service of that package.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace certpath {

struct Subscription {
  std::string event_type;  // e.g. "certpath.engagements.v1.Stage1Passed"
  std::string producer;    // e.g. "engagements"
  std::vector<std::string> consumers;
};

const std::vector<Subscription>& Subscriptions();
// The consumers of `event_type` (empty: nobody subscribes).
const std::vector<std::string>& ConsumersOf(absl::string_view event_type);
// The producer of `event_type` ("" when no subscription names it).
std::string ProducerOf(absl::string_view event_type);
// Every consumer of any event `producer` publishes, sorted, once each.
std::vector<std::string> ConsumersOfProducer(absl::string_view producer);
// The event types `consumer` receives from `producer`.
std::vector<std::string> TypesFor(absl::string_view producer, absl::string_view consumer);

}  // namespace certpath
