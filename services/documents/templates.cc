// The template catalogue of 別紙1: the office's own content for each (file
// versions), and providing the set to an engagement.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/crypto.h"
#include "services/common/retry.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/documents/domain/catalog.h"
#include "services/documents/domain/files.h"
#include "services/documents/domain/policy.h"
#include "services/documents/service.h"

namespace certpath::documents {

namespace d = domain;

namespace {

std::vector<std::string> Codes() {
  std::vector<std::string> out;
  for (const auto& t : d::Templates()) out.push_back(t.code);
  return out;
}

}  // namespace

absl::StatusOr<const d::TemplateInfo*> DocumentsApi::FindTemplate(const Principal& p,
                                                                  absl::string_view field,
                                                                  const std::string& name,
                                                                  absl::string_view method) const {
  auto ids = ParseName(field, name, {"tenants", "templates"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("template");
  if (auto s = d::DocumentsPolicy().Allow(p, method); !s.ok()) return s;
  const d::TemplateInfo* info = d::FindTemplate((*ids)[1]);
  if (info == nullptr) return NotFound("template");
  return info;
}

absl::Status DocumentsApi::ListTemplates(const Principal& p, const v1::ListTemplatesRequest& req,
                                         v1::ListTemplatesResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "ListTemplates"); !s.ok()) return s;
  auto current = store_.CurrentTemplates(p.tenant(), Codes());
  if (!current.ok()) return current.status();
  for (size_t i = 0; i < d::Templates().size(); ++i) {
    v1::Template* t = out->add_templates();
    *t = d::TemplateResource(p.tenant(), d::Templates()[i]);
    if ((*current)[i]) *t->mutable_current_version() = (*current)[i]->value;
  }
  return absl::OkStatus();
}

absl::Status DocumentsApi::CreateTemplateVersion(const Principal& p,
                                                 const v1::CreateTemplateVersionRequest& req,
                                                 v1::TemplateVersion* out) {
  auto found = FindTemplate(p, "parent", req.parent(), "CreateTemplateVersion");
  if (!found.ok()) return found.status();
  const d::TemplateInfo* info = *found;
  FieldViolations v;
  CheckText(v, "change_note", req.change_note(), 500, true, true);
  CheckRequestId(v, req.request_id());
  d::CheckUploadFields(v, req.file_name(), req.file().data());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  auto file = StoreFile(p, req.file_name(), req.file());
  if (!file.ok()) return file.status();
  Idem idem = UploadIdem(p, req, *file);
  return RetryOnConflict(false, [&]() -> absl::Status {
    if (auto answered = store_.AnswerReplay(idem, out)) return *answered;
    auto current = store_.CurrentTemplates(p.tenant(), {info->code});
    if (!current.ok()) return current.status();
    const auto& before = (*current)[0];
    int number = before ? static_cast<int>(before->version) + 1 : 1;
    v1::TemplateVersion tv;
    tv.set_name(absl::StrCat(req.parent(), "/versions/", number));
    tv.set_number(number);
    *tv.mutable_file() = *file;
    tv.set_change_note(req.change_note());
    tv.set_created_by(p.subject());
    *tv.mutable_create_time() = ToTimestamp(clock_.Now());
    auto saved = store_.AddTemplateVersion(p.tenant(), info->code, before, tv, idem);
    if (!saved.ok()) return saved.status();
    *out = *std::move(saved);
    versions_total_.Add({{"kind", "template"}}).Increment();
    return absl::OkStatus();
  });
}

absl::Status DocumentsApi::DownloadTemplate(const Principal& p,
                                            const v1::DownloadTemplateRequest& req,
                                            google::api::HttpBody* out) {
  auto found = FindTemplate(p, "name", req.name(), "DownloadTemplate");
  if (!found.ok()) return found.status();
  const d::TemplateInfo* info = *found;
  auto current = store_.CurrentTemplates(p.tenant(), {info->code});
  if (!current.ok()) return current.status();
  if (!(*current)[0]) {
    return NotFound(absl::StrCat("template content: no version of ", info->code, " uploaded yet"));
  }
  return ServeFile(p, (*current)[0]->value.file(), out);
}

absl::Status DocumentsApi::ProvideTemplates(const Principal& p,
                                            const v1::ProvideTemplatesRequest& req,
                                            v1::ProvideTemplatesResponse* out) {
  FieldViolations v;
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto engagement =
      SeenEngagement(p, "engagement", req.engagement(), "ProvideTemplates", /*catalog=*/true,
                     /*adds_to_it=*/true);
  if (!engagement.ok()) return engagement.status();
  if (auto s = CheckWritable(p); !s.ok()) return s;
  std::string eid = LastSegment(*engagement);
  Idem idem = store_.MakeIdem(p.tenant(), p, req.request_id(), req);
  return RetryOnConflict(false, [&]() -> absl::Status {
    auto replay = store_.ReadReplay(idem);
    if (!replay.ok()) return replay.status();
    if (replay->has_value()) {
      return out->ParseFromString(**replay) ? absl::OkStatus()
                                            : absl::InternalError("corrupt replay");
    }
    auto current = store_.CurrentTemplates(p.tenant(), Codes());
    if (!current.ok()) return current.status();
    auto given = store_.ProvidedCodes(p.tenant(), eid, Codes());
    if (!given.ok()) return given.status();
    // A template whose document the engagement has already (the 適用宣言書
    // an approval of the SoA made, before that marked it provided) is not
    // handed over again.
    auto existing = store_.TemplateDocuments(p.tenant(), eid, Codes());
    if (!existing.ok()) return existing.status();
    for (const auto& d : *existing) given->insert(d.value.template_code());
    absl::Time now = clock_.Now();
    std::vector<DocumentStore::NewDocument> docs;
    std::vector<std::string> provided, without_content;
    v1::ProvideTemplatesResponse resp;
    for (size_t i = 0; i < d::Templates().size(); ++i) {
      const d::TemplateInfo& t = d::Templates()[i];
      const auto& tv = (*current)[i];
      if (!tv) {
        without_content.push_back(t.title_ja);
        continue;
      }
      if (given->count(t.code)) continue;  // handed over before
      provided.push_back(t.code);
      DocumentStore::NewDocument& nd = docs.emplace_back();
      nd.did = RandomHex(8);
      v1::Document& doc = nd.document;
      doc.set_name(absl::StrCat(*engagement, "/documents/", nd.did));
      doc.set_title(t.title_ja);
      doc.set_template_code(t.code);
      doc.set_kind(t.kind);
      doc.set_state(v1::DOCUMENT_STATE_ACTIVE);
      doc.set_created_by(p.subject());
      *doc.mutable_create_time() = ToTimestamp(now);
      *doc.mutable_update_time() = ToTimestamp(now);
      v1::DocumentVersion& first = nd.first.emplace();
      first.set_name(doc.name() + "/versions/1");
      first.set_number("1.0");
      first.set_state(v1::VERSION_STATE_PROVIDED);
      *first.mutable_file() = tv->value.file();
      first.set_author(p.subject());
      first.set_change_note(
          absl::StrCat("当オフィス提供の定型文書（テンプレート第", tv->value.number(), "版）"));
      *first.mutable_create_time() = ToTimestamp(now);
      *first.mutable_update_time() = ToTimestamp(now);
      doc.set_latest_version_number("1.0");
      doc.set_version_count(1);
      v1::Document* shown = resp.add_documents();
      *shown = doc;
      shown->set_etag("1");
    }
    std::string missing = absl::StrJoin(without_content, "、");
    if (docs.empty() && given->empty()) {
      return FailedPrecondition(
          "TEMPLATES_MISSING",
          "no template has the office's content yet (CreateTemplateVersion): " + missing);
    }
    if (docs.empty()) {
      return Error(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS",
                   "every template with content was provided to this engagement already" +
                       (missing.empty() ? "" : "; without content: " + missing));
    }
    certpath::documents::v1::TemplatesProvided payload;
    payload.set_engagement(*engagement);
    payload.set_task_id(d::kProvideTask);
    payload.set_documents(static_cast<int32_t>(docs.size()));
    payload.set_provided_by(p.subject());
    cv1::OutboxEvent event = Envelope(p.tenant(), *engagement, payload);
    auto r = store_.CreateDocuments(p.tenant(), eid, docs, provided, idem, &event,
                                    resp.SerializeAsString());
    if (!r.ok()) return r.status();
    if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
    if (!r->replayed) Published(1);
    return absl::OkStatus();
  });
}

}  // namespace certpath::documents
