#pragma once
// The gRPC edge of the scheduling service.

#include "certpath/scheduling/v1/scheduling.grpc.pb.h"
#include "services/common/audit.h"
#include "services/common/outbox.h"
#include "services/common/server.h"
#include "services/scheduling/service.h"

namespace certpath::scheduling {

class SchedulingGrpc final : public v1::SchedulingService::CallbackService {
 public:
  SchedulingGrpc(SchedulingApi& svc, DeadLetterApi& dead, AuditApi& audit, Dispatcher& dispatcher)
      : svc_(svc), dead_(dead), audit_(audit), dispatcher_(dispatcher) {}

  CERTPATH_UNARY_RPC(CreateConsultant, v1::CreateConsultantRequest, v1::Consultant)
  CERTPATH_UNARY_RPC(GetConsultant, v1::GetConsultantRequest, v1::Consultant)
  CERTPATH_UNARY_RPC(ListConsultants, v1::ListConsultantsRequest, v1::ListConsultantsResponse)
  CERTPATH_UNARY_RPC(UpdateConsultant, v1::UpdateConsultantRequest, v1::Consultant)
  CERTPATH_UNARY_RPC(CreateOfficeClosure, v1::CreateOfficeClosureRequest, v1::OfficeClosure)
  CERTPATH_UNARY_RPC(ListOfficeClosures, v1::ListOfficeClosuresRequest,
                     v1::ListOfficeClosuresResponse)
  CERTPATH_UNARY_RPC(ListBusinessDays, v1::ListBusinessDaysRequest, v1::ListBusinessDaysResponse)
  CERTPATH_UNARY_RPC(AddBusinessDays, v1::AddBusinessDaysRequest, v1::AddBusinessDaysResponse)
  CERTPATH_UNARY_RPC(BookVisit, v1::BookVisitRequest, v1::Visit)
  CERTPATH_UNARY_RPC(GetVisit, v1::GetVisitRequest, v1::Visit)
  CERTPATH_UNARY_RPC(ListVisits, v1::ListVisitsRequest, v1::ListVisitsResponse)
  CERTPATH_UNARY_RPC(UpdateVisit, v1::UpdateVisitRequest, v1::Visit)
  CERTPATH_UNARY_RPC(ConfirmVisit, v1::VisitActionRequest, v1::Visit)
  CERTPATH_UNARY_RPC(CompleteVisit, v1::CompleteVisitRequest, v1::Visit)
  CERTPATH_UNARY_RPC(CancelVisit, v1::CancelVisitRequest, v1::Visit)
  CERTPATH_UNARY_RPC(GetConsultantWorkload, v1::GetConsultantWorkloadRequest,
                     v1::ConsultantWorkload)
  CERTPATH_UNARY_RPC(PlanAudit, v1::PlanAuditRequest, v1::Audit)
  CERTPATH_UNARY_RPC(ListAudits, v1::ListAuditsRequest, v1::ListAuditsResponse)
  CERTPATH_UNARY_RPC(GetAudit, v1::GetAuditRequest, v1::Audit)
  CERTPATH_UNARY_RPC(UpdateAudit, v1::UpdateAuditRequest, v1::Audit)
  CERTPATH_UNARY_RPC(CancelAudit, v1::CancelAuditRequest, v1::Audit)
  CERTPATH_UNARY_RPC(ListDeadlines, v1::ListDeadlinesRequest, v1::ListDeadlinesResponse)
  CERTPATH_UNARY_RPC(CreateCalendarFeed, v1::CreateCalendarFeedRequest, v1::CalendarFeed)
  CERTPATH_UNARY_RPC(RevokeCalendarFeed, v1::RevokeCalendarFeedRequest, v1::CalendarFeed)
  CERTPATH_PUBLIC_RPC(GetCalendarFeed, v1::GetCalendarFeedRequest, google::api::HttpBody)

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
  SchedulingApi& svc_;
  DeadLetterApi& dead_;
  AuditApi& audit_;
  Dispatcher& dispatcher_;
};

}  // namespace certpath::scheduling
