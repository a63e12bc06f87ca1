#pragma once
// The gRPC edge of the documents service.

#include "certpath/documents/v1/documents.grpc.pb.h"
#include "services/common/audit.h"
#include "services/common/outbox.h"
#include "services/common/server.h"
#include "services/documents/service.h"

namespace certpath::documents {

class DocumentsGrpc final : public v1::DocumentService::CallbackService {
 public:
  DocumentsGrpc(DocumentsApi& svc, DeadLetterApi& dead, AuditApi& audit, Dispatcher& dispatcher)
      : svc_(svc), dead_(dead), audit_(audit), dispatcher_(dispatcher) {}

  CERTPATH_UNARY_RPC(ListTemplates, v1::ListTemplatesRequest, v1::ListTemplatesResponse)
  CERTPATH_UNARY_RPC(CreateTemplateVersion, v1::CreateTemplateVersionRequest, v1::TemplateVersion)
  CERTPATH_UNARY_RPC(DownloadTemplate, v1::DownloadTemplateRequest, google::api::HttpBody)
  CERTPATH_UNARY_RPC(ProvideTemplates, v1::ProvideTemplatesRequest, v1::ProvideTemplatesResponse)
  CERTPATH_UNARY_RPC(CreateDocument, v1::CreateDocumentRequest, v1::Document)
  CERTPATH_UNARY_RPC(GetDocument, v1::GetDocumentRequest, v1::Document)
  CERTPATH_UNARY_RPC(ListDocuments, v1::ListDocumentsRequest, v1::ListDocumentsResponse)
  CERTPATH_UNARY_RPC(ArchiveDocument, v1::ArchiveDocumentRequest, v1::Document)
  CERTPATH_UNARY_RPC(CreateDocumentVersion, v1::CreateDocumentVersionRequest, v1::DocumentVersion)
  CERTPATH_UNARY_RPC(GetDocumentVersion, v1::GetDocumentVersionRequest, v1::DocumentVersion)
  CERTPATH_UNARY_RPC(ListDocumentVersions, v1::ListDocumentVersionsRequest,
                     v1::ListDocumentVersionsResponse)
  CERTPATH_UNARY_RPC(DownloadDocumentVersion, v1::DownloadDocumentVersionRequest,
                     google::api::HttpBody)
  CERTPATH_UNARY_RPC(SubmitForReview, v1::SubmitForReviewRequest, v1::DocumentVersion)
  CERTPATH_UNARY_RPC(AcceptPaidReview, v1::AcceptPaidReviewRequest, v1::DocumentVersion)
  CERTPATH_UNARY_RPC(CreateReviewComment, v1::CreateReviewCommentRequest, v1::ReviewComment)
  CERTPATH_UNARY_RPC(ListReviewComments, v1::ListReviewCommentsRequest,
                     v1::ListReviewCommentsResponse)
  CERTPATH_UNARY_RPC(DecideReview, v1::DecideReviewRequest, v1::DocumentVersion)
  CERTPATH_UNARY_RPC(CreateExistingForm, v1::CreateExistingFormRequest, v1::ExistingForm)
  CERTPATH_UNARY_RPC(ListExistingForms, v1::ListExistingFormsRequest, v1::ListExistingFormsResponse)
  CERTPATH_UNARY_RPC(DownloadExistingForm, v1::DownloadExistingFormRequest, google::api::HttpBody)
  CERTPATH_UNARY_RPC(MapExistingForm, v1::MapExistingFormRequest, v1::ExistingForm)
  CERTPATH_UNARY_RPC(GetConformityReport, v1::GetConformityReportRequest, v1::ConformityReport)
  CERTPATH_UNARY_RPC(ExportConformityReport, v1::GetConformityReportRequest, google::api::HttpBody)
  CERTPATH_UNARY_RPC(GetStatementOfApplicability, v1::GetStatementOfApplicabilityRequest,
                     v1::StatementOfApplicability)
  CERTPATH_UNARY_RPC(UpdateStatementOfApplicability, v1::UpdateStatementOfApplicabilityRequest,
                     v1::StatementOfApplicability)
  CERTPATH_UNARY_RPC(ExportStatementOfApplicability, v1::ExportStatementOfApplicabilityRequest,
                     google::api::HttpBody)
  CERTPATH_UNARY_RPC(ApproveStatementOfApplicability, v1::ApproveStatementOfApplicabilityRequest,
                     v1::StatementOfApplicability)
  CERTPATH_UNARY_RPC(RenderSupportSpecification, v1::RenderSupportSpecificationRequest,
                     google::api::HttpBody)

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
  DocumentsApi& svc_;
  DeadLetterApi& dead_;
  AuditApi& audit_;
  Dispatcher& dispatcher_;
};

}  // namespace certpath::documents
