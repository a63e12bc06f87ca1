#pragma once
// The engagements service's operations, free of gRPC: validate the request,
// authorize the principal, run the domain rules, and make one atomic store
// step. grpc_service.h adapts these to the generated callback service.

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "absl/status/status.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "services/common/clock.h"
#include "services/common/page_token.h"
#include "services/common/principal.h"
#include "services/common/service_host.h"
#include "services/engagements/store.h"

namespace certpath::engagements {

class EngagementService {
 public:
  EngagementService(EngagementStore& store, const Clock& clock, const PageTokenCodec& tokens,
                    const WriteGate& gate, prometheus::Registry& registry);

  // Called after an outbox event was committed (wakes the relay).
  void set_event_hook(std::function<void()> hook) { on_event_ = std::move(hook); }

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

  absl::Status CreateFinding(const Principal& p, const v1::CreateFindingRequest& req,
                             v1::Finding* out);
  absl::Status UpdateFinding(const Principal& p, const v1::UpdateFindingRequest& req,
                             v1::Finding* out);
  absl::Status ListFindings(const Principal& p, const v1::ListFindingsRequest& req,
                            v1::ListFindingsResponse* out);

  absl::Status CreateInquiry(const Principal& p, const v1::CreateInquiryRequest& req,
                             v1::Inquiry* out);
  absl::Status AnswerInquiry(const Principal& p, const v1::AnswerInquiryRequest& req,
                             v1::Inquiry* out);
  absl::Status ListInquiries(const Principal& p, const v1::ListInquiriesRequest& req,
                             v1::ListInquiriesResponse* out);

 private:
  struct EngagementRef {
    std::string tenant, id;
  };
  // Parses tenants/{t}/engagements/{e}; another tenant's name is NOT_FOUND.
  absl::StatusOr<EngagementRef> ParseEngagement(const Principal& p, absl::string_view field,
                                                const std::string& name) const;
  absl::Status CheckWritable(const Principal& p);
  // Reads the client named `name` if the principal may see it (partners: the
  // client of an engagement they are on), else NOT_FOUND.
  // The common checks of DeleteClient and EraseClientPersonalData (visible,
  // office admin, reason, request_id, writable): the name's {tenant, id}.
  absl::StatusOr<std::vector<std::string>> AdminClientAction(const Principal& p,
                                                             const std::string& name,
                                                             const std::string& reason,
                                                             const std::string& request_id);
  absl::StatusOr<Stored<v1::Client>> LoadClient(const Principal& p, absl::string_view field,
                                                const std::string& name);
  // "tenants/{t}" naming the principal's own tenant; another tenant is NOT_FOUND.
  absl::Status CheckTenantParent(const Principal& p, const std::string& parent) const;
  // Reads, authorizes and returns the engagement as the principal may see it.
  absl::StatusOr<Stored<v1::Engagement>> Load(const Principal& p, const EngagementRef& ref,
                                              int action);
  // Presents a stored engagement: effective state (EXPIRED derived).
  void Present(v1::Engagement& e) const;

  // Read → authorize → `change` → compare-and-set, retried on a concurrent
  // change when the caller sent no etag; replays the first response of a
  // request_id. `change` fills the response given the new etag.
  using Change = std::function<absl::Status(v1::Engagement& e, const std::string& new_etag,
                                            certpath::common::v1::OutboxEvent* event,
                                            bool* emit_event, google::protobuf::Message* out)>;
  // Writes the result; the default saves the engagement (and its event).
  using Save = std::function<absl::Status(
      const std::string& tenant, const std::string& id, const Stored<v1::Engagement>& before,
      const v1::Engagement& after, const Idem& idem, const std::string& response)>;
  absl::Status MutateEngagement(const Principal& p, const std::string& name,
                                const std::string& etag, const std::string& request_id,
                                const google::protobuf::Message& request, int action,
                                const Change& change, google::protobuf::Message* out,
                                const Save& save = nullptr);

  Idem MakeIdem(const Principal& p, const std::string& tenant, const std::string& request_id,
                const google::protobuf::Message& request) const;

  EngagementStore& store_;
  const Clock& clock_;
  const PageTokenCodec& tokens_;
  WritableTenants writable_;
  prometheus::Family<prometheus::Counter>& transitions_;
  prometheus::Counter& stage1_events_;
  std::function<void()> on_event_;
};

}  // namespace certpath::engagements
