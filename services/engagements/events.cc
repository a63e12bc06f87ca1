// Events the engagements service consumes (subscriptions.cc): each applied
// exactly once — the event id is the request_id of an ordinary change, its
// idempotency record kept for good and written in the change's own step.
#include "services/engagements/domain/events.h"
#include "absl/strings/str_cat.h"
#include "certpath/documents/v1/events.pb.h"
#include "certpath/scheduling/v1/scheduling.pb.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/service.h"

namespace certpath::engagements {

namespace d = domain;

absl::Status EngagementsApi::CompleteTaskFromEvent(const Principal& p,
                                                   const certpath::common::v1::OutboxEvent& event,
                                                   const std::string& engagement,
                                                   const std::string& task_id,
                                                   const std::string& by, const std::string& note) {
  FieldViolations v;
  CheckText(v, "event.payload.task_id", task_id, 64);
  CheckText(v, "event.payload.note", note, 600);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto ref = ParseEngagement(p, "event.payload.engagement", engagement);
  if (!ref.ok()) return ref.status();
  if (task_id.empty()) return absl::OkStatus();  // not a checklist task's
  v1::Engagement response;
  return Mutate<v1::Engagement>(
      p, *ref, /*etag=*/"", event.id(), event, "DeliverEvent",
      [&](v1::Engagement& e, v1::Engagement& resp,
          const std::string& etag) -> absl::StatusOr<EngagementEffects> {
        auto changed = d::CompleteTaskFromEvent(e, task_id, by, note, clock_.Now());
        if (!changed.ok()) return changed.status();
        EngagementEffects fx;
        fx.engagement_changed = *changed;
        resp = Respond(e, *changed ? etag : e.etag());
        return fx;
      },
      &response, /*keep_for_good=*/true);
}

absl::Status EngagementsApi::ApplyDocumentApproved(const Principal& p,
                                                   const certpath::common::v1::OutboxEvent& event) {
  certpath::documents::v1::DocumentApproved a;
  if (!event.payload().UnpackTo(&a)) {
    return InvalidArgument("event.payload", "not a certpath.documents.v1.DocumentApproved");
  }
  FieldViolations v;
  CheckText(v, "event.payload.document", a.document(), 512);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return CompleteTaskFromEvent(p, event, a.engagement(), a.task_id(), a.approved_by(),
                               "approved: " + a.document());
}

absl::Status EngagementsApi::ApplyDocumentArchived(const Principal& p,
                                                   const certpath::common::v1::OutboxEvent& event) {
  certpath::documents::v1::DocumentArchived a;
  if (!event.payload().UnpackTo(&a)) {
    return InvalidArgument("event.payload", "not a certpath.documents.v1.DocumentArchived");
  }
  FieldViolations v;
  CheckText(v, "event.payload.document", a.document(), 512);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return CompleteTaskFromEvent(p, event, a.engagement(), a.task_id(), a.archived_by(),
                               "archived, the others in force: " + a.document());
}

absl::Status EngagementsApi::ApplyTemplatesProvided(
    const Principal& p, const certpath::common::v1::OutboxEvent& event) {
  certpath::documents::v1::TemplatesProvided t;
  if (!event.payload().UnpackTo(&t)) {
    return InvalidArgument("event.payload", "not a certpath.documents.v1.TemplatesProvided");
  }
  return CompleteTaskFromEvent(p, event, t.engagement(), t.task_id(), t.provided_by(),
                               absl::StrCat("templates provided: ", t.documents(), " documents"));
}

absl::Status EngagementsApi::ApplyVisitCompleted(const Principal& p,
                                                 const certpath::common::v1::OutboxEvent& event) {
  certpath::scheduling::v1::VisitCompleted c;
  if (!event.payload().UnpackTo(&c)) {
    return InvalidArgument("event.payload", "not a certpath.scheduling.v1.VisitCompleted");
  }
  FieldViolations v;
  CheckText(v, "event.payload.visit", c.visit(), 512);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return CompleteTaskFromEvent(p, event, c.engagement(), c.task_id(), c.completed_by(),
                               "visit done: " + c.visit());
}

}  // namespace certpath::engagements
