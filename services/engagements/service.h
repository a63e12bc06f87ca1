#pragma once
// The engagements service's operations, free of gRPC: validate the request,
// authorize the principal against the policy table (domain/policy.h), run the
// domain rules, and make one atomic store step. One file per resource:
// clients.cc, engagements.cc, findings.cc, inquiries.cc; what they share is
// service.cc. grpc_service.h adapts these to the generated callback service.

#include <functional>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "absl/status/status.h"
#include "certpath/common/v1/common.pb.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "google/protobuf/any.pb.h"
#include "services/common/clock.h"
#include "services/common/page_token.h"
#include "services/common/principal.h"
#include "services/common/service_host.h"
#include "services/engagements/store.h"

namespace certpath::engagements {

class EngagementsApi {
 public:
  EngagementsApi(EngagementStore& store, const Clock& clock, const PageTokenCodec& tokens,
                 const WriteGate& gate, prometheus::Registry& registry);

  // Called after an outbox event was committed (wakes the relay).
  void set_event_hook(std::function<void()> hook) { on_event_ = std::move(hook); }

  // clients.cc
  absl::Status CreateClient(const Principal& p, const v1::CreateClientRequest& req,
                            v1::Client* out);
  absl::Status GetClient(const Principal& p, const v1::GetClientRequest& req, v1::Client* out);
  absl::Status ListClients(const Principal& p, const v1::ListClientsRequest& req,
                           v1::ListClientsResponse* out);
  absl::Status UpdateClient(const Principal& p, const v1::UpdateClientRequest& req,
                            v1::Client* out);
  absl::Status DeleteClient(const Principal& p, const v1::DeleteClientRequest& req,
                            v1::Client* out);
  absl::Status EraseClientPersonalData(const Principal& p,
                                       const v1::EraseClientPersonalDataRequest& req,
                                       v1::Client* out);

  // engagements.cc
  absl::Status CreateEngagement(const Principal& p, const v1::CreateEngagementRequest& req,
                                v1::Engagement* out);
  absl::Status GetEngagement(const Principal& p, const v1::GetEngagementRequest& req,
                             v1::Engagement* out);
  absl::Status ListEngagements(const Principal& p, const v1::ListEngagementsRequest& req,
                               v1::ListEngagementsResponse* out);
  absl::Status UpdateEngagement(const Principal& p, const v1::UpdateEngagementRequest& req,
                                v1::Engagement* out);
  absl::Status AdvancePhase(const Principal& p, const v1::AdvancePhaseRequest& req,
                            v1::Engagement* out);
  absl::Status TerminateEngagement(const Principal& p, const v1::TerminateEngagementRequest& req,
                                   v1::Engagement* out);
  absl::Status ListTasks(const Principal& p, const v1::ListTasksRequest& req,
                         v1::ListTasksResponse* out);
  absl::Status UpdateTask(const Principal& p, const v1::UpdateTaskRequest& req, v1::Task* out);
  absl::Status RecordAuditResult(const Principal& p, const v1::RecordAuditResultRequest& req,
                                 v1::Engagement* out);
  absl::Status RecordManagementReview(const Principal& p,
                                      const v1::RecordManagementReviewRequest& req,
                                      v1::Engagement* out);
  absl::Status RecordRegistration(const Principal& p, const v1::RecordRegistrationRequest& req,
                                  v1::Engagement* out);

  // findings.cc
  absl::Status CreateFinding(const Principal& p, const v1::CreateFindingRequest& req,
                             v1::Finding* out);
  absl::Status UpdateFinding(const Principal& p, const v1::UpdateFindingRequest& req,
                             v1::Finding* out);
  absl::Status ListFindings(const Principal& p, const v1::ListFindingsRequest& req,
                            v1::ListFindingsResponse* out);

  // events.cc: consumed events (services/common/subscriptions.cc), applied
  // exactly once — the event id is the request_id, its record kept for good.
  absl::Status ApplyDocumentApproved(const Principal& p,
                                     const certpath::common::v1::OutboxEvent& event);
  // An archived document whose task's other documents are all in force.
  absl::Status ApplyDocumentArchived(const Principal& p,
                                     const certpath::common::v1::OutboxEvent& event);
  // The templates handed over (documents) complete the office's task.
  absl::Status ApplyTemplatesProvided(const Principal& p,
                                      const certpath::common::v1::OutboxEvent& event);
  // An included visit done (scheduling) completes its checklist task.
  absl::Status ApplyVisitCompleted(const Principal& p,
                                   const certpath::common::v1::OutboxEvent& event);

  // inquiries.cc
  absl::Status CreateInquiry(const Principal& p, const v1::CreateInquiryRequest& req,
                             v1::Inquiry* out);
  absl::Status AnswerInquiry(const Principal& p, const v1::AnswerInquiryRequest& req,
                             v1::Inquiry* out);
  absl::Status ListInquiries(const Principal& p, const v1::ListInquiriesRequest& req,
                             v1::ListInquiriesResponse* out);

 private:
  // Marks `task_id` of the engagement done as `event` says, once per event id.
  absl::Status CompleteTaskFromEvent(const Principal& p,
                                     const certpath::common::v1::OutboxEvent& event,
                                     const std::string& engagement, const std::string& task_id,
                                     const std::string& by, const std::string& note);
  struct EngagementRef {
    std::string tenant, id;
    std::string name() const { return "tenants/" + tenant + "/engagements/" + id; }
  };
  // Parses tenants/{t}/engagements/{e}[/…] (`kinds` after "engagements");
  // another tenant's name is NOT_FOUND.
  absl::StatusOr<EngagementRef> ParseEngagement(const Principal& p, absl::string_view field,
                                                const std::string& name) const;
  // The principal's tenant named as `parent`, and `method` allowed to its role.
  absl::Status CheckTenantParent(const Principal& p, const std::string& parent,
                                 absl::string_view method) const;
  absl::Status CheckWritable(const Principal& p);
  // Reads the engagement and authorizes `method` on it.
  absl::StatusOr<Stored<v1::Engagement>> Load(const Principal& p, const EngagementRef& ref,
                                              absl::string_view method);
  // NOT_FOUND unless the principal may see the client (partners: the client
  // of an engagement they are on); then `method` authorized.
  absl::Status SeeClient(const Principal& p, const std::string& tenant, const std::string& id,
                         absl::string_view method);
  // Reads the client if the principal may see it (partners: the client of an
  // engagement they are on), else NOT_FOUND; then authorizes `method`.
  absl::StatusOr<Stored<v1::Client>> LoadClient(const Principal& p, absl::string_view field,
                                                const std::string& name, absl::string_view method);
  // Presents a stored engagement: effective state (EXPIRED derived).
  void Present(v1::Engagement& e) const;

  // A change to an engagement: given the engagement (changed in place), the
  // response to fill and the engagement's next etag, the effects its step writes.
  template <typename Resp>
  using Change = std::function<absl::StatusOr<EngagementEffects>(v1::Engagement& e, Resp& response,
                                                                 const std::string& next_etag)>;
  // Read → authorize `method` → replay (same principal, same request) →
  // `change` → one compare-and-set step, retried on a concurrent change
  // unless the caller pinned `etag`.
  template <typename Resp>
  absl::Status Mutate(const Principal& p, const EngagementRef& ref, const std::string& etag,
                      const std::string& request_id, const google::protobuf::Message& request,
                      absl::string_view method, const Change<Resp>& change, Resp* out,
                      bool keep_for_good = false) {
    return MutateMessage(
        p, ref, etag, request_id, request, method,
        [&](v1::Engagement& e, google::protobuf::Message& msg, const std::string& next_etag) {
          return change(e, static_cast<Resp&>(msg), next_etag);
        },
        out, keep_for_good);
  }
  using MessageChange = std::function<absl::StatusOr<EngagementEffects>(
      v1::Engagement& e, google::protobuf::Message& response, const std::string& next_etag)>;
  // `keep_for_good`: the idempotency record never expires (consumed events).
  absl::Status MutateMessage(const Principal& p, const EngagementRef& ref, const std::string& etag,
                             const std::string& request_id,
                             const google::protobuf::Message& request, absl::string_view method,
                             const MessageChange& change, google::protobuf::Message* out,
                             bool keep_for_good = false);
  // A change of the engagement by one domain rule, answered with the engagement.
  using Rule = std::function<absl::Status(v1::Engagement& e)>;
  absl::Status Transition(const Principal& p, const std::string& name, const std::string& etag,
                          const std::string& request_id, const google::protobuf::Message& req,
                          absl::string_view method, const Rule& rule, v1::Engagement* out);
  // The common checks of DeleteClient and EraseClientPersonalData (visible,
  // office admin, reason, request_id, writable): the name's {tenant, id}.
  absl::StatusOr<std::vector<std::string>> AdminClientAction(const Principal& p,
                                                             absl::string_view method,
                                                             const std::string& name,
                                                             const std::string& reason,
                                                             const std::string& request_id);
  // The outbox events of `payloads` about `subject` at its `version`.
  std::vector<certpath::common::v1::OutboxEvent> Envelopes(
      const std::string& tenant, const std::string& subject, int64_t version,
      const std::vector<google::protobuf::Any>& payloads) const;
  // Counts committed events and wakes the relay.
  void Published(const std::vector<certpath::common::v1::OutboxEvent>& events);
  // The engagement as the response of a change: etag and effective state.
  v1::Engagement Respond(const v1::Engagement& e, const std::string& etag) const;

  EngagementStore& store_;
  const Clock& clock_;
  const PageTokenCodec& tokens_;
  WritableTenants writable_;
  prometheus::Family<prometheus::Counter>& transitions_;
  std::function<void()> on_event_;
};

}  // namespace certpath::engagements
