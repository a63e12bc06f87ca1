#pragma once
// The gRPC edge of the engagements service: each RPC verifies the principal
// and runs the matching EngagementService operation on the worker pool.

#include "certpath/engagements/v1/engagements.grpc.pb.h"
#include "services/common/server.h"
#include "services/engagements/service.h"

namespace certpath::engagements {

class GrpcEngagementService final : public v1::EngagementService::CallbackService {
 public:
  GrpcEngagementService(EngagementService& svc, Dispatcher& dispatcher)
      : svc_(svc), dispatcher_(dispatcher) {}

#define CERTPATH_RPC(Method, Req, Resp)                                                     \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const v1::Req* req,    \
                                   v1::Resp* resp) override {                               \
    return dispatcher_.Run(                                                                 \
        ctx, [this, req, resp](const Principal& p) { return svc_.Method(p, *req, resp); }); \
  }
  CERTPATH_RPC(CreateClient, CreateClientRequest, Client)
  CERTPATH_RPC(GetClient, GetClientRequest, Client)
  CERTPATH_RPC(ListClients, ListClientsRequest, ListClientsResponse)
  CERTPATH_RPC(UpdateClient, UpdateClientRequest, Client)
  CERTPATH_RPC(CreateEngagement, CreateEngagementRequest, Engagement)
  CERTPATH_RPC(GetEngagement, GetEngagementRequest, Engagement)
  CERTPATH_RPC(ListEngagements, ListEngagementsRequest, ListEngagementsResponse)
  CERTPATH_RPC(UpdateEngagement, UpdateEngagementRequest, Engagement)
  CERTPATH_RPC(AdvancePhase, AdvancePhaseRequest, Engagement)
  CERTPATH_RPC(TerminateEngagement, TerminateEngagementRequest, Engagement)
  CERTPATH_RPC(ListTasks, ListTasksRequest, ListTasksResponse)
  CERTPATH_RPC(UpdateTask, UpdateTaskRequest, Task)
  CERTPATH_RPC(RecordAuditResult, RecordAuditResultRequest, Engagement)
  CERTPATH_RPC(RecordManagementReview, RecordManagementReviewRequest, Engagement)
  CERTPATH_RPC(RecordRegistration, RecordRegistrationRequest, Engagement)
  CERTPATH_RPC(CreateFinding, CreateFindingRequest, Finding)
  CERTPATH_RPC(UpdateFinding, UpdateFindingRequest, Finding)
  CERTPATH_RPC(ListFindings, ListFindingsRequest, ListFindingsResponse)
  CERTPATH_RPC(CreateInquiry, CreateInquiryRequest, Inquiry)
  CERTPATH_RPC(AnswerInquiry, AnswerInquiryRequest, Inquiry)
  CERTPATH_RPC(ListInquiries, ListInquiriesRequest, ListInquiriesResponse)
#undef CERTPATH_RPC

 private:
  EngagementService& svc_;
  Dispatcher& dispatcher_;
};

}  // namespace certpath::engagements
