#include "services/documents/domain/policy.h"

namespace certpath::documents::domain {

const Policy& DocumentsPolicy() {
  constexpr Scope T = Scope::kTenant, O = Scope::kObject;
  // Partners and clients act on the documents of engagements they see.
  constexpr uint8_t kReviewers = kOfficeRoles | kPartnerRole;
  static const Policy kPolicy(
      "documents", {
                       {"ListTemplates", T, kAnyRole, "template"},
                       {"CreateTemplateVersion", T, kOfficeRoles, "template"},
                       {"DownloadTemplate", T, kOfficeRoles, "template"},
                       {"ProvideTemplates", O, kOfficeRoles, "engagement"},
                       {"CreateDocument", O, kAnyRole, "engagement"},
                       {"GetDocument", O, kAnyRole, "document"},
                       {"ListDocuments", O, kAnyRole, "engagement"},
                       {"ArchiveDocument", O, kOfficeRoles, "document"},
                       // Clients upload and submit; they never approve.
                       {"CreateDocumentVersion", O, kAnyRole, "document"},
                       {"GetDocumentVersion", O, kAnyRole, "document version"},
                       {"ListDocumentVersions", O, kAnyRole, "document"},
                       {"DownloadDocumentVersion", O, kAnyRole, "document version"},
                       {"SubmitForReview", O, kAnyRole, "document version"},
                       {"AcceptPaidReview", O, kOfficeRoles, "document version"},
                       {"CreateReviewComment", O, kAnyRole, "document version"},
                       {"ListReviewComments", O, kAnyRole, "document version"},
                       {"DecideReview", O, kReviewers, "document version"},
                       // Existing forms: the client uploads, the office maps them.
                       {"CreateExistingForm", O, kAnyRole, "engagement"},
                       {"ListExistingForms", O, kAnyRole, "engagement"},
                       {"DownloadExistingForm", O, kAnyRole, "existing form"},
                       {"MapExistingForm", O, kOfficeRoles, "existing form"},
                       {"GetConformityReport", O, kAnyRole, "engagement"},
                       {"ExportConformityReport", O, kAnyRole, "engagement"},
                       // The SoA: prepared by the client and the office, approved by reviewers.
                       {"GetStatementOfApplicability", O, kAnyRole, "engagement"},
                       {"UpdateStatementOfApplicability", O, kAnyRole, "engagement"},
                       {"ExportStatementOfApplicability", O, kAnyRole, "engagement"},
                       {"ApproveStatementOfApplicability", O, kReviewers, "engagement"},
                       {"RenderSupportSpecification", O, kAnyRole, "engagement"},
                       {"ListDeadLetters", T, kAdminRole, "dead letter"},
                       {"GetDeadLetter", T, kAdminRole, "dead letter"},
                       {"ReplayDeadLetter", T, kAdminRole, "dead letter"},
                       {"DiscardDeadLetter", T, kAdminRole, "dead letter"},
                       {"ListAuditEntries", T, kAdminRole, "audit trail"},
                       {"VerifyAuditTrail", T, kAdminRole, "audit trail"},
                   });
  return kPolicy;
}

}  // namespace certpath::documents::domain
