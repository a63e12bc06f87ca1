#pragma once
// What the engagements service publishes, derived from a change — the
// engagement (and a finding) before and after — so that no handler can forget
// an event: the payloads of docs/events.md, written in the change's own step.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "google/protobuf/any.pb.h"

namespace certpath::engagements::domain {

namespace v1 = certpath::engagements::v1;

// Payloads of an engagement's change (`before` null: created): Engagement-
// Changed when a field of its contract changed, AuditResultRecorded for each
// new result (and Stage1Passed for a stage-1 "may proceed"),
// RegistrationRecorded, EngagementTerminated.
std::vector<google::protobuf::Any> EngagementEvents(const v1::Engagement* before,
                                                    const v1::Engagement& after);
// FindingChanged when a finding is created or its grade, due date or state changed.
std::vector<google::protobuf::Any> FindingEvents(const v1::Finding* before,
                                                 const v1::Finding& after);

// A document was approved: its checklist task is done (whatever side the
// task is on and whatever phase the engagement is in). False when nothing
// changed (already done or not applicable, or the engagement is terminated);
// NOT_FOUND for a task the catalogue does not know.
absl::StatusOr<bool> CompleteTaskFromEvent(v1::Engagement& e, const std::string& task_id,
                                           const std::string& by, const std::string& note,
                                           absl::Time now);

}  // namespace certpath::engagements::domain
