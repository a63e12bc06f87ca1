#pragma once
// The documents service's Redis keys and atomic steps (services/common/repository.h).
// File contents are in the BlobStore; a version's record is written only
// after its file is durable, in one step with its document, indexes, the
// file's reference and any event.
//
//   doc:{t:T}:tpl:<code>                 the current TemplateVersion (record version = count)
//   doc:{t:T}:tplv:<code>:<n>            template versions
//   doc:{t:T}:doc:<did>                  documents (name carries the engagement)
//   doc:{t:T}:ver:<did>:<n>              document versions
//   doc:{t:T}:cmt:<did>:<n>:<id>         review comments
//   doc:{t:T}:provided:<eid>:<code>      the template was provided to the engagement (once)
//   doc:{t:T}:form:<fid>                 existing forms (name carries the engagement)
//   doc:{t:T}:soa:<eid>                  the engagement's Statement of Applicability
//   doc:{t:T}:blobs                      zset sha256 → first use (unix s): files referenced
//   doc:{t:T}:waiting                    zset submit time (unix s) → <did>:<n>, reviews waiting
//   doc:{t:T}:stats                      hash: documents by state (metrics)
//   doc:{t:T}:idx:docs:eng:<eid>[:active]  zset ordinal → did
//   doc:{t:T}:idx:vers:<did>             zset ordinal → n
//   doc:{t:T}:idx:cmts:<did>:<n>         zset ordinal → comment id
//   doc:{t:T}:idx:forms:eng:<eid>        zset ordinal → form id
//   doc:{t:T}:out:…                      outbox (services/common/outbox.h)

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "certpath/documents/v1/documents.pb.h"
#include "services/common/outbox.h"
#include "services/common/repository.h"

namespace certpath::documents {

namespace v1 = certpath::documents::v1;
namespace cv1 = certpath::common::v1;

// The approved version an approval replaces: version `n`, SUPERSEDED in `after`.
struct Superseded {
  int n = 0;
  Stored<v1::DocumentVersion> before;
  v1::DocumentVersion after;
};

struct DocumentStats {
  int64_t active = 0, archived = 0;
  int64_t reviews_waiting = 0;
  int64_t oldest_waiting_unix = 0;  // 0: none
};

class DocumentStore : public Repository {
 public:
  DocumentStore(RecordStore& records, int64_t idempotency_ttl_seconds)
      : Repository(records, "doc", "documents", idempotency_ttl_seconds),
        outbox_(*this, "documents") {}
  Outbox& outbox() { return outbox_; }

  // ---- reads
  // The current version of each code (absent: none uploaded), in the order given.
  absl::StatusOr<std::vector<absl::optional<Stored<v1::TemplateVersion>>>> CurrentTemplates(
      const std::string& tenant, const std::vector<std::string>& codes);
  absl::StatusOr<absl::optional<Stored<v1::Document>>> GetDocument(const std::string& tenant,
                                                                   const std::string& did);
  // A document and one of its versions, in one round trip.
  absl::StatusOr<
      std::pair<absl::optional<Stored<v1::Document>>, absl::optional<Stored<v1::DocumentVersion>>>>
  GetDocumentAndVersion(const std::string& tenant, const std::string& did, int n);
  absl::StatusOr<absl::optional<Stored<v1::DocumentVersion>>> GetVersion(const std::string& tenant,
                                                                         const std::string& did,
                                                                         int n);
  // Which of `codes` the engagement was given already.
  absl::StatusOr<std::set<std::string>> ProvidedCodes(const std::string& tenant,
                                                      const std::string& eid,
                                                      const std::vector<std::string>& codes);
  absl::StatusOr<absl::optional<Stored<v1::ExistingForm>>> GetForm(const std::string& tenant,
                                                                   const std::string& fid);
  absl::StatusOr<absl::optional<Stored<v1::StatementOfApplicability>>> GetStatement(
      const std::string& tenant, const std::string& eid);
  // The engagement's active documents of templates `codes` (at most one per
  // code: ProvideTemplates gives each once), in creation order.
  absl::StatusOr<std::vector<Stored<v1::Document>>> TemplateDocuments(
      const std::string& tenant, const std::string& eid, const std::vector<std::string>& codes);
  absl::StatusOr<bool> Referenced(const std::string& tenant, const std::string& sha256);
  // The document's versions waiting for a review (in review, or a paid
  // review awaiting acceptance), by number.
  absl::StatusOr<std::map<int, Stored<v1::DocumentVersion>>> WaitingVersions(
      const std::string& tenant, const std::string& did);
  absl::StatusOr<DocumentStats> Stats(const std::string& tenant);

  // ---- steps
  // The steps below answer a retry with `idem` from the first call's record.
  absl::StatusOr<v1::TemplateVersion> AddTemplateVersion(
      const std::string& tenant, const std::string& code,
      const absl::optional<Stored<v1::TemplateVersion>>& before, const v1::TemplateVersion& v,
      const Idem& idem = {});
  // New documents, each with its first version (a provided template), the
  // templates `provided` marked given to the engagement (each once), and the event.
  struct NewDocument {
    std::string did;
    v1::Document document;
    absl::optional<v1::DocumentVersion> first;
  };
  absl::StatusOr<CommitResult> CreateDocuments(const std::string& tenant, const std::string& eid,
                                               const std::vector<NewDocument>& docs,
                                               const std::vector<std::string>& provided,
                                               const Idem& idem, const cv1::OutboxEvent* event,
                                               const std::string& response);
  // A new version of a document (the document's counters move with it).
  absl::StatusOr<CommitResult> AddVersion(const std::string& tenant,
                                          const Stored<v1::Document>& doc,
                                          const v1::Document& doc_after, int n,
                                          const v1::DocumentVersion& v, const Idem& idem);
  // A version's change (submit, accept, decide) with, on approval, the
  // previously approved version superseded and the document's effective
  // version moved; `events` published in the step, which is refused
  // (ABORTED) if a document of `unchanged`, which the events were decided on,
  // changed since it was read.
  absl::StatusOr<CommitResult> SaveVersion(
      const std::string& tenant, const Stored<v1::Document>* doc, const v1::Document* doc_after,
      const Stored<v1::DocumentVersion>& before, const v1::DocumentVersion& after,
      const absl::optional<Superseded>& superseded, const std::vector<cv1::OutboxEvent>& events,
      const Idem& idem, const std::vector<Stored<v1::Document>>& unchanged = {});
  // A document's change, with `event` published (when set), the documents
  // of `unchanged`, which the event was decided on, kept unchanged, and its
  // versions `changed` (before, after) saved.
  struct ChangedVersion {
    int n = 0;
    Stored<v1::DocumentVersion> before;
    v1::DocumentVersion after;
  };
  absl::StatusOr<v1::Document> SaveDocument(const std::string& tenant,
                                            const Stored<v1::Document>& before,
                                            const v1::Document& after,
                                            const cv1::OutboxEvent* event = nullptr,
                                            const std::vector<Stored<v1::Document>>& unchanged = {},
                                            const std::vector<ChangedVersion>& changed = {});
  absl::StatusOr<v1::ExistingForm> SaveForm(const std::string& tenant,
                                            const Stored<v1::ExistingForm>* before,
                                            const v1::ExistingForm& after, const Idem& idem = {});
  absl::StatusOr<v1::StatementOfApplicability> SaveStatement(
      const std::string& tenant, const std::string& eid,
      const Stored<v1::StatementOfApplicability>& before,
      const v1::StatementOfApplicability& after);
  // Approval of the SoA: its record, the 適用宣言書 document (new when
  // `doc_before` is null) with the frozen version, the version it
  // supersedes, and the event — one step.
  struct FrozenVersion {
    const Stored<v1::Document>* doc_before = nullptr;
    v1::Document doc_after;
    int n = 0;
    v1::DocumentVersion version;
    absl::optional<Superseded> superseded;
    // A new 適用宣言書 document when the template was never handed over:
    // marked provided, so ProvideTemplates adds no second one.
    bool mark_provided = false;
  };
  absl::StatusOr<CommitResult> ApproveStatement(const std::string& tenant, const std::string& eid,
                                                const Stored<v1::StatementOfApplicability>& before,
                                                const v1::StatementOfApplicability& after,
                                                const FrozenVersion& frozen,
                                                const cv1::OutboxEvent& event,
                                                const std::vector<Stored<v1::Document>>& unchanged);
  absl::StatusOr<v1::ReviewComment> AddComment(const std::string& tenant, const std::string& did,
                                               int n, const std::string& id,
                                               const v1::ReviewComment& c, const Idem& idem = {});

  // ---- lists
  absl::StatusOr<ListPage> ListDocuments(const std::string& tenant, const std::string& eid,
                                         bool include_archived, int64_t after, int limit);
  absl::StatusOr<ListPage> ListVersions(const std::string& tenant, const std::string& did,
                                        int64_t after, int limit);
  absl::StatusOr<ListPage> ListForms(const std::string& tenant, const std::string& eid,
                                     int64_t after, int limit);
  absl::StatusOr<ListPage> ListComments(const std::string& tenant, const std::string& did, int n,
                                        int64_t after, int limit);

 private:
  void ExpectUnchanged(Batch& b, const std::string& tenant,
                       const std::vector<Stored<v1::Document>>& docs);
  void PutDocument(Batch& b, const std::string& tenant, const Stored<v1::Document>* before,
                   const v1::Document& after);
  void PutVersion(Batch& b, const std::string& tenant, const std::string& did, int n,
                  const Stored<v1::DocumentVersion>* before, const v1::DocumentVersion& after);
  Outbox outbox_;
};

}  // namespace certpath::documents
