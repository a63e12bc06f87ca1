#pragma once
// The gRPC edge of the engagements service: each RPC verifies the principal
// and runs the matching EngagementsApi operation on the worker pool.

#include "certpath/engagements/v1/engagements.grpc.pb.h"
#include "services/common/audit.h"
#include "services/common/outbox.h"
#include "services/common/server.h"
#include "services/engagements/service.h"

namespace certpath::engagements {

class EngagementsGrpc final : public v1::EngagementService::CallbackService {
 public:
  EngagementsGrpc(EngagementsApi& svc, DeadLetterApi& dead, AuditApi& audit, Dispatcher& dispatcher)
      : svc_(svc), dead_(dead), audit_(audit), dispatcher_(dispatcher) {}

  CERTPATH_UNARY_RPC(CreateClient, v1::CreateClientRequest, v1::Client)
  CERTPATH_UNARY_RPC(GetClient, v1::GetClientRequest, v1::Client)
  CERTPATH_UNARY_RPC(ListClients, v1::ListClientsRequest, v1::ListClientsResponse)
  CERTPATH_UNARY_RPC(UpdateClient, v1::UpdateClientRequest, v1::Client)
  CERTPATH_UNARY_RPC(DeleteClient, v1::DeleteClientRequest, v1::Client)
  CERTPATH_UNARY_RPC(EraseClientPersonalData, v1::EraseClientPersonalDataRequest, v1::Client)
  CERTPATH_UNARY_RPC(CreateEngagement, v1::CreateEngagementRequest, v1::Engagement)
  CERTPATH_UNARY_RPC(GetEngagement, v1::GetEngagementRequest, v1::Engagement)
  CERTPATH_UNARY_RPC(ListEngagements, v1::ListEngagementsRequest, v1::ListEngagementsResponse)
  CERTPATH_UNARY_RPC(UpdateEngagement, v1::UpdateEngagementRequest, v1::Engagement)
  CERTPATH_UNARY_RPC(AdvancePhase, v1::AdvancePhaseRequest, v1::Engagement)
  CERTPATH_UNARY_RPC(TerminateEngagement, v1::TerminateEngagementRequest, v1::Engagement)
  CERTPATH_UNARY_RPC(ListTasks, v1::ListTasksRequest, v1::ListTasksResponse)
  CERTPATH_UNARY_RPC(UpdateTask, v1::UpdateTaskRequest, v1::Task)
  CERTPATH_UNARY_RPC(RecordAuditResult, v1::RecordAuditResultRequest, v1::Engagement)
  CERTPATH_UNARY_RPC(RecordManagementReview, v1::RecordManagementReviewRequest, v1::Engagement)
  CERTPATH_UNARY_RPC(RecordRegistration, v1::RecordRegistrationRequest, v1::Engagement)
  CERTPATH_UNARY_RPC(CreateFinding, v1::CreateFindingRequest, v1::Finding)
  CERTPATH_UNARY_RPC(UpdateFinding, v1::UpdateFindingRequest, v1::Finding)
  CERTPATH_UNARY_RPC(ListFindings, v1::ListFindingsRequest, v1::ListFindingsResponse)
  CERTPATH_UNARY_RPC(CreateInquiry, v1::CreateInquiryRequest, v1::Inquiry)
  CERTPATH_UNARY_RPC(AnswerInquiry, v1::AnswerInquiryRequest, v1::Inquiry)
  CERTPATH_UNARY_RPC(ListInquiries, v1::ListInquiriesRequest, v1::ListInquiriesResponse)
  CERTPATH_UNARY_RPC_TO(dead_, ListDeadLetters, cv1::ListDeadLettersRequest,
                        cv1::ListDeadLettersResponse)
  CERTPATH_UNARY_RPC_TO(dead_, GetDeadLetter, cv1::GetDeadLetterRequest, cv1::DeadLetter)
  CERTPATH_UNARY_RPC_TO(dead_, ReplayDeadLetter, cv1::ReplayDeadLetterRequest, cv1::DeadLetter)
  CERTPATH_UNARY_RPC_TO(dead_, DiscardDeadLetter, cv1::DiscardDeadLetterRequest, cv1::DeadLetter)
  CERTPATH_UNARY_RPC_TO(audit_, ListAuditEntries, cv1::ListAuditEntriesRequest,
                        cv1::ListAuditEntriesResponse)
  CERTPATH_UNARY_RPC_TO(audit_, VerifyAuditTrail, cv1::VerifyAuditTrailRequest,
                        cv1::VerifyAuditTrailResponse)

 private:
  EngagementsApi& svc_;
  DeadLetterApi& dead_;
  AuditApi& audit_;
  Dispatcher& dispatcher_;
};

}  // namespace certpath::engagements
