// Engagement documents and their versions: immutable files, numbered 1.0,
// 1.1 … 2.0; documents are archived, never deleted.
#include "absl/strings/str_cat.h"
#include "services/common/act.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/retry.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/documents/domain/files.h"
#include "services/documents/domain/rules.h"
#include "services/documents/service.h"

namespace certpath::documents {
namespace d = domain;

absl::Status DocumentsApi::CreateDocument(const Principal& p, const v1::CreateDocumentRequest& req,
                                          v1::Document* out) {
  FieldViolations v;
  CheckText(v, "document.title", req.document().title(), 200, true);
  if (!v1::TemplateKind_IsValid(req.document().kind())) v.Add("document.kind", "unknown value");
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto engagement = SeenEngagement(p, "parent", req.parent(), "CreateDocument",
                                   /*catalog=*/false, /*adds_to_it=*/true);
  if (!engagement.ok()) return engagement.status();
  if (auto s = CheckWritable(p); !s.ok()) return s;
  Idem idem = store_.MakeIdem(p.tenant(), p, req.request_id(), req);
  DocumentStore::NewDocument nd;
  nd.did = RandomHex(8);
  v1::Document& doc = nd.document;
  doc.set_name(absl::StrCat(*engagement, "/documents/", nd.did));
  doc.set_title(req.document().title());
  doc.set_kind(req.document().kind());
  doc.set_state(v1::DOCUMENT_STATE_ACTIVE);
  doc.set_created_by(p.subject());
  absl::Time now = clock_.Now();
  *doc.mutable_create_time() = ToTimestamp(now);
  *doc.mutable_update_time() = ToTimestamp(now);
  v1::Document response = doc;
  response.set_etag("1");
  auto r = store_.CreateDocuments(p.tenant(), LastSegment(*engagement), {nd}, {}, idem, nullptr,
                                  response.SerializeAsString());
  if (!r.ok()) return r.status();
  return out->ParseFromString(r->response) ? absl::OkStatus()
                                           : absl::InternalError("corrupt response");
}

absl::Status DocumentsApi::GetDocument(const Principal& p, const v1::GetDocumentRequest& req,
                                       v1::Document* out) {
  auto doc = LoadDocument(p, req.name(), "GetDocument", nullptr);
  if (!doc.ok()) return doc.status();
  *out = doc->value;
  return absl::OkStatus();
}

absl::Status DocumentsApi::ListDocuments(const Principal& p, const v1::ListDocumentsRequest& req,
                                         v1::ListDocumentsResponse* out) {
  auto engagement = SeenEngagement(p, "parent", req.parent(), "ListDocuments");
  if (!engagement.ok()) return engagement.status();
  auto s = ListPaged<v1::ListDocumentsResponse, v1::Document>(
      tokens_, req.page_size(), req.page_token(),
      {"documents", req.parent(), req.include_archived() ? "all" : "active"},
      [&](int64_t after, int limit) {
        return store_.ListDocuments(p.tenant(), LastSegment(*engagement), req.include_archived(),
                                    after, limit);
      },
      out, &v1::ListDocumentsResponse::add_documents, DecodeWithEtag<v1::Document>);
  if (s.ok() && out->documents().empty() && req.page_token().empty()) {
    return ConfirmEngagement(p, *engagement);
  }
  return s;
}

absl::Status DocumentsApi::ArchiveDocument(const Principal& p,
                                           const v1::ArchiveDocumentRequest& req,
                                           v1::Document* out) {
  FieldViolations v;
  CheckText(v, "reason", req.reason(), 500, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Document>(
      store_, Idem{}, req.etag(),
      [&] { return LoadDocument(p, req.name(), "ArchiveDocument", nullptr); },
      [&](const Stored<v1::Document>& before) -> absl::Status {
        if (before.value.state() == v1::DOCUMENT_STATE_ARCHIVED) {
          return FailedPrecondition("DOCUMENT_STATE", "the document is archived already");
        }
        v1::Document doc = before.value;
        doc.set_state(v1::DOCUMENT_STATE_ARCHIVED);
        doc.set_archived_by(p.subject());
        doc.set_archive_reason(req.reason());
        absl::Time now = clock_.Now();
        *doc.mutable_update_time() = ToTimestamp(now);
        // The last of a task's documents not in force, archived: the task
        // is done (engagements), decided on the others kept unchanged.
        std::string engagement = doc.name().substr(0, doc.name().find("/documents/"));
        std::vector<Stored<v1::Document>> others;
        std::vector<v1::Document> values;
        if (auto s = SharingTask(p, engagement, doc, &others, &values); !s.ok()) return s;
        // Its versions waiting for a review go back to drafts: an archived
        // document is never reviewed, and they would wait (and alert) for ever.
        auto waiting = store_.WaitingVersions(p.tenant(), LastSegment(doc.name()));
        if (!waiting.ok()) return waiting.status();
        std::vector<DocumentStore::ChangedVersion> withdrawn;
        for (const auto& [n, v] : *waiting) {
          DocumentStore::ChangedVersion c{n, v, v.value};
          if (auto s = d::Withdraw(c.after); !s.ok()) return s;
          *c.after.mutable_update_time() = ToTimestamp(now);
          withdrawn.push_back(std::move(c));
        }
        certpath::documents::v1::DocumentArchived archived;
        archived.set_engagement(engagement);
        archived.set_document(doc.name());
        archived.set_template_code(doc.template_code());
        archived.set_task_id(d::TaskCompletedByArchiving(doc.template_code(), values));
        archived.set_archived_by(p.subject());
        *archived.mutable_archive_time() = ToTimestamp(now);
        cv1::OutboxEvent event = Envelope(p.tenant(), engagement, archived);
        auto saved = store_.SaveDocument(p.tenant(), before, doc, &event, others, withdrawn);
        if (!saved.ok()) return saved.status();
        Published(1);
        *out = *std::move(saved);
        return absl::OkStatus();
      },
      out);
}

absl::Status DocumentsApi::CreateDocumentVersion(const Principal& p,
                                                 const v1::CreateDocumentVersionRequest& req,
                                                 v1::DocumentVersion* out) {
  FieldViolations v;
  CheckText(v, "change_note", req.change_note(), 500, false, true);
  CheckRequestId(v, req.request_id());
  d::CheckUploadFields(v, req.file_name(), req.file().data());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  DocRef ref;
  auto first = LoadDocument(p, req.parent(), "CreateDocumentVersion", &ref);
  if (!first.ok()) return first.status();
  if (auto s = CheckWritable(p); !s.ok()) return s;
  // The file first, hashed by the file store while it is written; with a
  // request_id its hash then stands for its bytes in the request's
  // fingerprint. A replay writes the same bytes again (found stored: nothing
  // new is kept) before it is known as one, the price of not hashing 1 MiB
  // on this thread ahead of every first call.
  auto file = StoreFile(p, req.file_name(), req.file());
  if (!file.ok()) return file.status();
  Idem idem = UploadIdem(p, req, *file);
  if (auto answered = store_.AnswerReplay(idem, out)) return *answered;
  // The file is stored: concurrent uploads to one document each take the next
  // number, however many arrive together (up to 4 × kMaxConflictAttempts).
  // The first attempt uses the document read above (the step checks it has
  // not changed since); later ones read it again.
  absl::optional<Stored<v1::Document>> loaded = *std::move(first);
  absl::Status s;
  for (int round = 0; round < 4; ++round) {
    s = AddUploadedVersion(p, req, *file, idem, loaded, out);
    if (s.code() != absl::StatusCode::kAborted) break;
  }
  return s;
}

absl::Status DocumentsApi::AddUploadedVersion(const Principal& p,
                                              const v1::CreateDocumentVersionRequest& req,
                                              const v1::FileInfo& file, const Idem& idem,
                                              absl::optional<Stored<v1::Document>>& loaded,
                                              v1::DocumentVersion* out) {
  return RetryOnConflict(false, [&]() -> absl::Status {
    absl::StatusOr<Stored<v1::Document>> doc =
        loaded ? *std::move(loaded)
               : LoadDocument(p, req.parent(), "CreateDocumentVersion", nullptr);
    loaded.reset();
    if (!doc.ok()) return doc.status();
    if (auto s = d::CheckActive(doc->value); !s.ok()) return s;
    auto number = d::NextVersionNumber(doc->value.latest_version_number(), req.major());
    if (!number.ok()) return number.status();
    int n = doc->value.version_count() + 1;
    absl::Time now = clock_.Now();
    v1::DocumentVersion ver;
    ver.set_name(absl::StrCat(req.parent(), "/versions/", n));
    ver.set_number(*number);
    ver.set_state(v1::VERSION_STATE_DRAFT);
    *ver.mutable_file() = file;
    ver.set_author(p.subject());
    ver.set_change_note(req.change_note());
    *ver.mutable_create_time() = ToTimestamp(now);
    *ver.mutable_update_time() = ToTimestamp(now);
    v1::Document after = doc->value;
    after.set_latest_version_number(*number);
    after.set_version_count(n);
    *after.mutable_update_time() = ToTimestamp(now);
    auto r = store_.AddVersion(p.tenant(), *doc, after, n, ver, idem);
    if (!r.ok()) return r.status();
    if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
    if (!r->replayed) versions_total_.Add({{"kind", "document"}}).Increment();
    return absl::OkStatus();
  });
}

absl::Status DocumentsApi::GetDocumentVersion(const Principal& p,
                                              const v1::GetDocumentVersionRequest& req,
                                              v1::DocumentVersion* out) {
  auto ver = LoadVersion(p, req.name(), "GetDocumentVersion", nullptr);
  if (!ver.ok()) return ver.status();
  *out = ver->value;
  return absl::OkStatus();
}

absl::Status DocumentsApi::ListDocumentVersions(const Principal& p,
                                                const v1::ListDocumentVersionsRequest& req,
                                                v1::ListDocumentVersionsResponse* out) {
  DocRef ref;
  auto doc = LoadDocument(p, req.parent(), "ListDocumentVersions", &ref);
  if (!doc.ok()) return doc.status();
  return ListPaged<v1::ListDocumentVersionsResponse, v1::DocumentVersion>(
      tokens_, req.page_size(), req.page_token(), {"versions", req.parent()},
      [&](int64_t after, int limit) {
        return store_.ListVersions(p.tenant(), ref.did, after, limit);
      },
      out, &v1::ListDocumentVersionsResponse::add_versions, DecodeWithEtag<v1::DocumentVersion>);
}

absl::Status DocumentsApi::DownloadDocumentVersion(const Principal& p,
                                                   const v1::DownloadDocumentVersionRequest& req,
                                                   google::api::HttpBody* out) {
  auto ver = LoadVersion(p, req.name(), "DownloadDocumentVersion", nullptr);
  if (!ver.ok()) return ver.status();
  return ServeFile(p, ver->value.file(), out);
}

}  // namespace certpath::documents
