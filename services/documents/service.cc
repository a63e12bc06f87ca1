// What the documents handlers share: names, tenant and write-gate checks,
// who sees which engagement, loading with authorization, files, events.
#include "services/documents/service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/call_context.h"
#include "services/common/crypto.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/documents/domain/files.h"
#include "services/documents/domain/policy.h"
#include "services/documents/domain/rules.h"

namespace certpath::documents {

namespace d = domain;

namespace {

// Content-Disposition for a UTF-8 file name (RFC 6266 / 5987): an ASCII
// fallback and the exact name percent-encoded.
std::string Disposition(const std::string& name) {
  std::string ascii, encoded;
  for (unsigned char c : name) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
    ascii.push_back(plain ? static_cast<char>(c) : '_');
    if (plain) {
      encoded.push_back(static_cast<char>(c));
    } else {
      static const char* kHex = "0123456789ABCDEF";
      encoded += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return absl::StrCat("attachment; filename=\"", ascii, "\"; filename*=UTF-8''", encoded);
}

}  // namespace

DocumentsApi::DocumentsApi(DocumentStore& store, BlobStore& blobs, EngagementsClient& engagements,
                           OfficeSettings& office, const Clock& clock, const PageTokenCodec& tokens,
                           const WriteGate& gate, prometheus::Registry& registry)
    : store_(store),
      blobs_(blobs),
      engagements_(engagements),
      office_(office),
      clock_(clock),
      tokens_(tokens),
      writable_(gate, [this](const std::string& t) { return store_.RegisterTenant(t); }),
      versions_total_(prometheus::BuildCounter()
                          .Name("certpath_document_versions_total")
                          .Help("Document and template versions stored, by kind")
                          .Register(registry)),
      reviews_total_(prometheus::BuildCounter()
                         .Name("certpath_document_reviews_total")
                         .Help("Review decisions, by decision and whether billable")
                         .Register(registry)),
      bytes_uploaded_(prometheus::BuildCounter()
                          .Name("certpath_document_bytes_uploaded_total")
                          .Help("Bytes of files uploaded (before de-duplication)")
                          .Register(registry)
                          .Add({})) {}

absl::Status DocumentsApi::CheckParent(const Principal& p, const std::string& parent,
                                       absl::string_view method) const {
  auto ids = ParseName("parent", parent, {"tenants"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("tenant");
  return d::DocumentsPolicy().Allow(p, method);
}

absl::StatusOr<std::string> DocumentsApi::SeenEngagement(const Principal& p,
                                                         absl::string_view field,
                                                         const std::string& name,
                                                         absl::string_view method, bool catalog,
                                                         bool adds_to_it) {
  auto ids = ParseName(field, name, {"tenants", "engagements"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("engagement");
  if (!IsOfficeStaff(p) || catalog || adds_to_it) {
    auto e = engagements_.Get(p, name);
    if (!e.ok()) return e.status();
    if (catalog) {
      if (auto s = d::CheckCatalogServes(e->standard()); !s.ok()) return s;
    }
    if (adds_to_it && e->state() == engagements::v1::ENGAGEMENT_STATE_TERMINATED) {
      return FailedPrecondition("ENGAGEMENT_NOT_ACTIVE",
                                "the engagement was terminated: no documents are added to it");
    }
  }
  if (auto s = d::DocumentsPolicy().Allow(p, method); !s.ok()) return s;
  return name;
}

absl::Status DocumentsApi::ConfirmEngagement(const Principal& p, const std::string& engagement) {
  if (!IsOfficeStaff(p)) return absl::OkStatus();  // SeenEngagement asked already
  auto e = engagements_.Get(p, engagement);
  return e.ok() ? absl::OkStatus() : e.status();
}

absl::StatusOr<Stored<v1::Document>> DocumentsApi::LoadDocument(const Principal& p,
                                                                const std::string& name,
                                                                absl::string_view method,
                                                                DocRef* ref) {
  auto ids = ParseName("name", name, {"tenants", "engagements", "documents"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("document");
  auto doc = store_.GetDocument(p.tenant(), (*ids)[2]);
  if (!doc.ok()) return doc.status();
  if (auto s = CheckDocumentSeen(p, name, *doc, method); !s.ok()) return s;
  if (ref != nullptr) {
    *ref =
        DocRef{absl::StrCat("tenants/", (*ids)[0], "/engagements/", (*ids)[1]), (*ids)[2], **doc};
  }
  return **doc;
}

absl::Status DocumentsApi::CheckDocumentSeen(const Principal& p, const std::string& name,
                                             const absl::optional<Stored<v1::Document>>& doc,
                                             absl::string_view method) {
  // The id is the tenant's: the rest of the name must be the document's own.
  if (!doc || doc->value.name() != name) return NotFound("document");
  if (!IsOfficeStaff(p)) {
    auto e = engagements_.Get(p, name.substr(0, name.find("/documents/")));
    if (!e.ok())
      return e.status().code() == absl::StatusCode::kNotFound ? NotFound("document") : e.status();
  }
  return d::DocumentsPolicy().Allow(p, method);
}

absl::StatusOr<Stored<v1::DocumentVersion>> DocumentsApi::LoadVersion(const Principal& p,
                                                                      const std::string& name,
                                                                      absl::string_view method,
                                                                      VersionRef* ref) {
  auto ids = ParseName("name", name, {"tenants", "engagements", "documents", "versions"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("document version");
  int n = d::VersionIndex(name);
  if (n < 1) return NotFound("document version");
  // The document and the version in one round trip; the document decides who sees it.
  auto both = store_.GetDocumentAndVersion(p.tenant(), (*ids)[2], n);
  if (!both.ok()) return both.status();
  std::string doc_name = name.substr(0, name.find("/versions/"));
  if (auto s = CheckDocumentSeen(p, doc_name, both->first, method); !s.ok()) {
    return s.code() == absl::StatusCode::kNotFound ? NotFound("document version") : s;
  }
  if (!both->second) return NotFound("document version");
  if (ref != nullptr) {
    *ref = VersionRef{DocRef{absl::StrCat("tenants/", (*ids)[0], "/engagements/", (*ids)[1]),
                             (*ids)[2], *both->first},
                      n};
  }
  return *both->second;
}

absl::StatusOr<absl::optional<Superseded>> DocumentsApi::SupersedeEffective(
    const std::string& tenant, const v1::Document& doc, int n, absl::CivilDay effective,
    absl::Time now) {
  int current = d::VersionIndex(doc.effective_version());
  if (current < 1 || current == n) return absl::optional<Superseded>();
  auto old = store_.GetVersion(tenant, LastSegment(doc.name()), current);
  if (!old.ok()) return old.status();
  if (!old->has_value()) return absl::optional<Superseded>();
  Superseded out{current, **old, (*old)->value};
  out.after.set_state(v1::VERSION_STATE_SUPERSEDED);
  *out.after.mutable_superseded_date() = ToDate(effective);
  *out.after.mutable_update_time() = ToTimestamp(now);
  return absl::optional<Superseded>(std::move(out));
}

absl::StatusOr<v1::FileInfo> DocumentsApi::StoreFile(const Principal& p,
                                                     const std::string& file_name,
                                                     const google::api::HttpBody& file) {
  auto checked = d::CheckFile(file_name, file.content_type(), file.data());
  if (!checked.ok()) return checked.status();
  // Durable before any record names it.
  auto sha = blobs_.Put(p.tenant(), file.data());
  if (!sha.ok()) return Unavailable("file store: " + std::string(sha.status().message()));
  bytes_uploaded_.Increment(static_cast<double>(file.data().size()));
  v1::FileInfo info;
  info.set_sha256(*sha);
  info.set_size_bytes(static_cast<int64_t>(file.data().size()));
  info.set_media_type(checked->media_type);
  info.set_file_name(checked->file_name);
  return info;
}

absl::Status DocumentsApi::ServeFile(const Principal& p, const v1::FileInfo& file,
                                     google::api::HttpBody* out) {
  auto data = blobs_.Get(p.tenant(), file.sha256());
  if (!data.ok()) {
    switch (data.status().code()) {
      case absl::StatusCode::kDataLoss:         // never served
      case absl::StatusCode::kInvalidArgument:  // a record naming no hash: damaged too
        return Error(absl::StatusCode::kDataLoss, "FILE_CORRUPT",
                     "the stored file does not match its SHA-256; upload the same file again or "
                     "restore it from backup");
      case absl::StatusCode::kNotFound:
        return Error(absl::StatusCode::kDataLoss, "FILE_MISSING",
                     "the stored file is missing; upload the same file again or restore it from "
                     "backup");
      default:  // the volume failing for now (EIO, EMFILE…): worth a retry
        return Unavailable("file store: " + std::string(data.status().message()));
    }
  }
  out->set_content_type(file.media_type());
  out->set_data(*std::move(data));
  AddResponseMetadata("content-disposition", Disposition(file.file_name()));
  AddResponseMetadata("x-certpath-sha256", file.sha256());
  return absl::OkStatus();
}

absl::StatusOr<Stored<v1::ExistingForm>> DocumentsApi::LoadForm(const Principal& p,
                                                                const std::string& name,
                                                                absl::string_view method) {
  auto ids = ParseName("name", name, {"tenants", "engagements", "existingForms"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("existing form");
  auto f = store_.GetForm(p.tenant(), (*ids)[2]);
  if (!f.ok()) return f.status();
  if (!f->has_value() || (*f)->value.name() != name) return NotFound("existing form");
  auto seen = SeenEngagement(
      p, "name", absl::StrCat("tenants/", (*ids)[0], "/engagements/", (*ids)[1]), method);
  if (!seen.ok()) {
    return seen.status().code() == absl::StatusCode::kNotFound ? NotFound("existing form")
                                                               : seen.status();
  }
  return **f;
}

absl::StatusOr<certpath::documents::v1::DocumentApproved> DocumentsApi::Approval(
    const Principal& p, const std::string& engagement, const v1::Document& doc,
    const v1::DocumentVersion& v, absl::Time now, std::vector<Stored<v1::Document>>* decided_on) {
  std::vector<v1::Document> docs;
  if (auto s = SharingTask(p, engagement, doc, decided_on, &docs); !s.ok()) return s;
  certpath::documents::v1::DocumentApproved approved;
  approved.set_engagement(engagement);
  approved.set_document(doc.name());
  approved.set_template_code(doc.template_code());
  approved.set_task_id(d::TaskCompletedBy(doc.template_code(), docs));
  approved.set_version(v.number());
  approved.set_approved_by(p.subject());
  *approved.mutable_approve_time() = ToTimestamp(now);
  return approved;
}

absl::Status DocumentsApi::SharingTask(const Principal& p, const std::string& engagement,
                                       const v1::Document& doc,
                                       std::vector<Stored<v1::Document>>* stored,
                                       std::vector<v1::Document>* values) {
  auto others = store_.TemplateDocuments(p.tenant(), LastSegment(engagement),
                                         d::CodesSharingTask(doc.template_code()));
  if (!others.ok()) return others.status();
  values->clear();
  for (const auto& o : *others) values->push_back(o.value);
  *stored = *std::move(others);
  return absl::OkStatus();
}

cv1::OutboxEvent DocumentsApi::Envelope(const std::string& tenant, const std::string& subject,
                                        const google::protobuf::Message& payload) const {
  return NewEvent("documents", tenant, subject, 0, payload, clock_.Now());
}

void DocumentsApi::Published(size_t events) {
  if (events > 0 && on_event_) on_event_();
}

}  // namespace certpath::documents
