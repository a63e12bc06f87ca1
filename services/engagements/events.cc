// Events the engagements service consumes (subscriptions.cc): each applied
// exactly once — the event id is the request_id of an ordinary change, its
// idempotency record kept for good and written in the change's own step.
#include "services/engagements/domain/events.h"
#include "certpath/documents/v1/events.pb.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/service.h"

namespace certpath::engagements {

namespace d = domain;

absl::Status EngagementsApi::ApplyDocumentApproved(const Principal& p,
                                                   const certpath::common::v1::OutboxEvent& event) {
  certpath::documents::v1::DocumentApproved a;
  if (!event.payload().UnpackTo(&a)) {
    return InvalidArgument("event.payload", "not a certpath.documents.v1.DocumentApproved");
  }
  FieldViolations v;
  CheckText(v, "event.payload.task_id", a.task_id(), 64);
  CheckText(v, "event.payload.document", a.document(), 512);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto ref = ParseEngagement(p, "event.payload.engagement", a.engagement());
  if (!ref.ok()) return ref.status();
  if (a.task_id().empty()) return absl::OkStatus();  // a document of no checklist task
  v1::Engagement response;
  return Mutate<v1::Engagement>(
      p, *ref, /*etag=*/"", event.id(), event, "DeliverEvent",
      [&](v1::Engagement& e, v1::Engagement& resp,
          const std::string& etag) -> absl::StatusOr<EngagementEffects> {
        auto changed = d::CompleteTaskFromEvent(e, a.task_id(), a.approved_by(),
                                                "approved: " + a.document(), clock_.Now());
        if (!changed.ok()) return changed.status();
        EngagementEffects fx;
        fx.engagement_changed = *changed;
        resp = Respond(e, *changed ? etag : e.etag());
        return fx;
      },
      &response, /*keep_for_good=*/true);
}

}  // namespace certpath::engagements
