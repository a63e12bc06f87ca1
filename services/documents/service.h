#pragma once
// The documents service's operations, free of gRPC: validate, authorize
// against the policy table (domain/policy.h), the domain rules, the file in
// the BlobStore, then one atomic store step. templates.cc (the catalogue,
// template versions, providing them), documents.cc (documents and their
// versions), reviews.cc (submit, paid acceptance, comments, decisions);
// what they share is service.cc.

#include <functional>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "certpath/billing/v1/billing.pb.h"
#include "certpath/documents/v1/documents.pb.h"
#include "certpath/documents/v1/events.pb.h"
#include "google/api/httpbody.pb.h"
#include "services/common/clock.h"
#include "services/common/engagements_client.h"
#include "services/common/page_token.h"
#include "services/common/principal.h"
#include "services/common/service_host.h"
#include "services/documents/blob_store.h"
#include "services/documents/domain/catalog.h"
#include "services/documents/store.h"

namespace certpath::documents {

// The office's billing settings, read as `p`: its name (printed in the
// support specification) and its price list (the manual-review range, the
// options' fees). FAILED_PRECONDITION when the office has set none.
class OfficeSettings {
 public:
  virtual ~OfficeSettings() = default;
  virtual absl::StatusOr<billing::v1::BillingSettings> Settings(const Principal& p) = 0;
  // Whether the engagement has an accepted quote: billing invoices a paid
  // review to its recipient.
  virtual absl::StatusOr<bool> HasAcceptedQuote(const Principal& p,
                                                const std::string& engagement) = 0;
};

class DocumentsApi {
 public:
  DocumentsApi(DocumentStore& store, BlobStore& blobs, EngagementsClient& engagements,
               OfficeSettings& office, const Clock& clock, const PageTokenCodec& tokens,
               const WriteGate& gate, prometheus::Registry& registry);
  void set_event_hook(std::function<void()> hook) { on_event_ = std::move(hook); }

  // templates.cc
  absl::Status ListTemplates(const Principal& p, const v1::ListTemplatesRequest& req,
                             v1::ListTemplatesResponse* out);
  absl::Status CreateTemplateVersion(const Principal& p,
                                     const v1::CreateTemplateVersionRequest& req,
                                     v1::TemplateVersion* out);
  absl::Status DownloadTemplate(const Principal& p, const v1::DownloadTemplateRequest& req,
                                google::api::HttpBody* out);
  absl::Status ProvideTemplates(const Principal& p, const v1::ProvideTemplatesRequest& req,
                                v1::ProvideTemplatesResponse* out);
  // documents.cc
  absl::Status CreateDocument(const Principal& p, const v1::CreateDocumentRequest& req,
                              v1::Document* out);
  absl::Status GetDocument(const Principal& p, const v1::GetDocumentRequest& req,
                           v1::Document* out);
  absl::Status ListDocuments(const Principal& p, const v1::ListDocumentsRequest& req,
                             v1::ListDocumentsResponse* out);
  absl::Status ArchiveDocument(const Principal& p, const v1::ArchiveDocumentRequest& req,
                               v1::Document* out);
  absl::Status CreateDocumentVersion(const Principal& p,
                                     const v1::CreateDocumentVersionRequest& req,
                                     v1::DocumentVersion* out);
  absl::Status GetDocumentVersion(const Principal& p, const v1::GetDocumentVersionRequest& req,
                                  v1::DocumentVersion* out);
  absl::Status ListDocumentVersions(const Principal& p, const v1::ListDocumentVersionsRequest& req,
                                    v1::ListDocumentVersionsResponse* out);
  absl::Status DownloadDocumentVersion(const Principal& p,
                                       const v1::DownloadDocumentVersionRequest& req,
                                       google::api::HttpBody* out);
  // reviews.cc
  absl::Status SubmitForReview(const Principal& p, const v1::SubmitForReviewRequest& req,
                               v1::DocumentVersion* out);
  absl::Status AcceptPaidReview(const Principal& p, const v1::AcceptPaidReviewRequest& req,
                                v1::DocumentVersion* out);
  absl::Status CreateReviewComment(const Principal& p, const v1::CreateReviewCommentRequest& req,
                                   v1::ReviewComment* out);
  absl::Status ListReviewComments(const Principal& p, const v1::ListReviewCommentsRequest& req,
                                  v1::ListReviewCommentsResponse* out);
  absl::Status DecideReview(const Principal& p, const v1::DecideReviewRequest& req,
                            v1::DocumentVersion* out);
  // statements.cc: existing forms and their conformity report, the SoA
  absl::Status CreateExistingForm(const Principal& p, const v1::CreateExistingFormRequest& req,
                                  v1::ExistingForm* out);
  absl::Status ListExistingForms(const Principal& p, const v1::ListExistingFormsRequest& req,
                                 v1::ListExistingFormsResponse* out);
  absl::Status DownloadExistingForm(const Principal& p, const v1::DownloadExistingFormRequest& req,
                                    google::api::HttpBody* out);
  absl::Status MapExistingForm(const Principal& p, const v1::MapExistingFormRequest& req,
                               v1::ExistingForm* out);
  absl::Status GetConformityReport(const Principal& p, const v1::GetConformityReportRequest& req,
                                   v1::ConformityReport* out);
  absl::Status ExportConformityReport(const Principal& p, const v1::GetConformityReportRequest& req,
                                      google::api::HttpBody* out);
  absl::Status GetStatementOfApplicability(const Principal& p,
                                           const v1::GetStatementOfApplicabilityRequest& req,
                                           v1::StatementOfApplicability* out);
  absl::Status UpdateStatementOfApplicability(const Principal& p,
                                              const v1::UpdateStatementOfApplicabilityRequest& req,
                                              v1::StatementOfApplicability* out);
  absl::Status ExportStatementOfApplicability(const Principal& p,
                                              const v1::ExportStatementOfApplicabilityRequest& req,
                                              google::api::HttpBody* out);
  absl::Status ApproveStatementOfApplicability(
      const Principal& p, const v1::ApproveStatementOfApplicabilityRequest& req,
      v1::StatementOfApplicability* out);
  // render.cc
  absl::Status RenderSupportSpecification(const Principal& p,
                                          const v1::RenderSupportSpecificationRequest& req,
                                          google::api::HttpBody* out);

 private:
  struct DocRef {
    std::string engagement;  // tenants/T/engagements/E
    std::string did;
    Stored<v1::Document> document;  // as read by the load (the step checks its version)
  };
  struct VersionRef {
    DocRef doc;
    int n = 0;
  };
  absl::Status CheckParent(const Principal& p, const std::string& parent,
                           absl::string_view method) const;
  absl::Status CheckWritable(const Principal& p) { return writable_.Check(p.tenant()); }
  // tenants/T/engagements/E of the caller's tenant, seen by the caller
  // (office staff see every one; others asked of the engagements service).
  // `catalog`: for templates, the SoA and the conformity report — the
  // engagement is asked of engagements whoever calls (one call), and must be
  // one the catalogue serves (domain::CheckCatalogServes). `adds_to_it`: the
  // call adds documents to the engagement — asked of engagements whoever
  // calls (NOT_FOUND when there is none), and refused once it is terminated
  // (the contract ended: ENGAGEMENT_NOT_ACTIVE).
  absl::StatusOr<std::string> SeenEngagement(const Principal& p, absl::string_view field,
                                             const std::string& name, absl::string_view method,
                                             bool catalog = false, bool adds_to_it = false);
  // NOT_FOUND when office staff name an engagement that does not exist
  // (SeenEngagement asks engagements only for other callers): before a
  // write, and when a list or report has nothing to show, where an empty
  // answer would hide the wrong name.
  absl::Status ConfirmEngagement(const Principal& p, const std::string& engagement);
  absl::StatusOr<Stored<v1::Document>> LoadDocument(const Principal& p, const std::string& name,
                                                    absl::string_view method, DocRef* ref);
  // The SoA of `name` (…/statementOfApplicability), stored or the default (version 0).
  absl::StatusOr<Stored<v1::StatementOfApplicability>> LoadStatement(const Principal& p,
                                                                     const std::string& name,
                                                                     absl::string_view method,
                                                                     std::string* engagement);
  absl::StatusOr<std::vector<v1::ExistingForm>> AllForms(const std::string& tenant,
                                                         const std::string& eid);
  // NOT_FOUND unless `doc` is the document `name` and the caller sees its engagement;
  // then `method` allowed to the caller's role.
  absl::Status CheckDocumentSeen(const Principal& p, const std::string& name,
                                 const absl::optional<Stored<v1::Document>>& doc,
                                 absl::string_view method);
  // The version effective on `doc` (unless it is version `n`), marked
  // superseded from `effective` (its successor's effective date).
  absl::StatusOr<absl::optional<Superseded>> SupersedeEffective(const std::string& tenant,
                                                                const v1::Document& doc, int n,
                                                                absl::CivilDay effective,
                                                                absl::Time now);
  absl::StatusOr<Stored<v1::DocumentVersion>> LoadVersion(const Principal& p,
                                                          const std::string& name,
                                                          absl::string_view method,
                                                          VersionRef* ref);
  // The version of a stored file: the document's next number, one step.
  // `loaded`, when set, is the document as read before the file was stored:
  // used (and cleared) by the first attempt.
  absl::Status AddUploadedVersion(const Principal& p, const v1::CreateDocumentVersionRequest& req,
                                  const v1::FileInfo& file, const Idem& idem,
                                  absl::optional<Stored<v1::Document>>& loaded,
                                  v1::DocumentVersion* out);
  // The idempotency of an upload with a request_id: its file's hash stands
  // for its bytes in the fingerprint (none without a request_id).
  template <typename Req>
  Idem UploadIdem(const Principal& p, const Req& req, const v1::FileInfo& file) {
    if (req.request_id().empty()) return Idem{};
    Req fingerprinted = req;
    fingerprinted.mutable_file()->set_data(file.sha256());
    return store_.MakeIdem(p.tenant(), p, req.request_id(), fingerprinted);
  }
  // The file checked and stored durably: the version's FileInfo.
  absl::StatusOr<v1::FileInfo> StoreFile(const Principal& p, const std::string& file_name,
                                         const google::api::HttpBody& file);
  // The stored file `file` as a download: its bytes (hash verified), media
  // type, Content-Disposition with its name and its SHA-256 as metadata.
  absl::Status ServeFile(const Principal& p, const v1::FileInfo& file, google::api::HttpBody* out);
  // The template `name` (tenants/T/templates/CODE) of the caller's tenant,
  // `method` allowed to the caller's role.
  absl::StatusOr<const domain::TemplateInfo*> FindTemplate(const Principal& p,
                                                           absl::string_view field,
                                                           const std::string& name,
                                                           absl::string_view method) const;
  // The existing form `name`, NOT_FOUND unless the caller sees its engagement.
  absl::StatusOr<Stored<v1::ExistingForm>> LoadForm(const Principal& p, const std::string& name,
                                                    absl::string_view method);
  // A service principal of `tenant`: what the office itself may read (the
  // client's name and the price list in the documents it renders).
  Principal OfficePrincipal(const std::string& tenant) const;
  // "会社名 整理番号 2026-0001" of an engagement the caller sees (its name otherwise).
  std::string EngagementHeading(const Principal& p, const std::string& engagement);
  cv1::OutboxEvent Envelope(const std::string& tenant, const std::string& subject,
                            const google::protobuf::Message& payload) const;
  // The engagement's active documents serving the same checklist task as
  // `doc` (other templates), stored (with versions) and as values.
  absl::Status SharingTask(const Principal& p, const std::string& engagement,
                           const v1::Document& doc, std::vector<Stored<v1::Document>>* stored,
                           std::vector<v1::Document>* values);
  // DocumentApproved for version `v` of `doc` (as it is once approved), with
  // the checklist task the approval completes (domain::TaskCompletedBy). The
  // engagement's other documents serving that task, which decided it, go to
  // `*decided_on`: the step keeps them unchanged, so two approved at once
  // cannot both leave the task open.
  absl::StatusOr<certpath::documents::v1::DocumentApproved> Approval(
      const Principal& p, const std::string& engagement, const v1::Document& doc,
      const v1::DocumentVersion& v, absl::Time now, std::vector<Stored<v1::Document>>* decided_on);
  void Published(size_t events);

  DocumentStore& store_;
  BlobStore& blobs_;
  EngagementsClient& engagements_;
  OfficeSettings& office_;
  const Clock& clock_;
  const PageTokenCodec& tokens_;
  WritableTenants writable_;
  std::function<void()> on_event_;
  prometheus::Family<prometheus::Counter>& versions_total_;
  prometheus::Family<prometheus::Counter>& reviews_total_;
  prometheus::Counter& bytes_uploaded_;
};

}  // namespace certpath::documents
