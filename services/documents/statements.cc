// Existing forms against the standard (seed §3) and the Statement of
// Applicability (適用宣言書): structured rows, exports, and approval that
// freezes it as a version of the engagement's 適用宣言書 document.
#include "services/documents/domain/statements.h"
#include <set>
#include "services/documents/domain/files.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/act.h"
#include "services/common/call_context.h"
#include "services/common/clock.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/retry.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/documents/domain/catalog.h"
#include "services/documents/domain/rules.h"
#include "services/documents/service.h"

namespace certpath::documents {

namespace d = domain;

namespace {
// Forms of an engagement read for one report, a page at a time, at most
// kMaxReportForms (far above any client's record forms) — never cut silently.
constexpr int kFormsPage = 500, kMaxReportForms = 5000;
constexpr char kSoaCode[] = "statement-of-applicability";
}  // namespace

absl::StatusOr<std::vector<v1::ExistingForm>> DocumentsApi::AllForms(const std::string& tenant,
                                                                     const std::string& eid) {
  std::vector<v1::ExistingForm> out;
  for (int64_t after = 0;;) {
    auto page = store_.ListForms(tenant, eid, after, kFormsPage);
    if (!page.ok()) return page.status();
    for (const Record& r : page->records) {
      v1::ExistingForm f;
      if (auto s = DecodeRecord(r, &f); !s.ok()) return s;
      out.push_back(std::move(f));
    }
    if (!page->more || page->records.empty()) return out;
    if (out.size() >= static_cast<size_t>(kMaxReportForms)) {
      return FailedPrecondition("TOO_MANY_FORMS",
                                absl::StrCat("more than ", kMaxReportForms,
                                             " existing forms on one engagement: more than one "
                                             "report reads"));
    }
    after = page->last;
  }
}

absl::Status DocumentsApi::CreateExistingForm(const Principal& p,
                                              const v1::CreateExistingFormRequest& req,
                                              v1::ExistingForm* out) {
  FieldViolations v;
  CheckText(v, "title", req.title(), 200, true);
  CheckRequestId(v, req.request_id());
  d::CheckUploadFields(v, req.file_name(), req.file().data());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto engagement = SeenEngagement(p, "parent", req.parent(), "CreateExistingForm");
  if (!engagement.ok()) return engagement.status();
  if (auto s = ConfirmEngagement(p, *engagement); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  auto file = StoreFile(p, req.file_name(), req.file());
  if (!file.ok()) return file.status();
  Idem idem = UploadIdem(p, req, *file);
  if (auto answered = store_.AnswerReplay(idem, out)) return *answered;
  absl::Time now = clock_.Now();
  v1::ExistingForm f;
  f.set_name(absl::StrCat(*engagement, "/existingForms/", RandomHex(8)));
  f.set_title(req.title());
  *f.mutable_file() = *file;
  f.set_created_by(p.subject());
  *f.mutable_create_time() = ToTimestamp(now);
  *f.mutable_update_time() = ToTimestamp(now);
  auto saved = store_.SaveForm(p.tenant(), nullptr, f, idem);
  if (!saved.ok()) return saved.status();
  *out = *std::move(saved);
  return absl::OkStatus();
}

absl::Status DocumentsApi::ListExistingForms(const Principal& p,
                                             const v1::ListExistingFormsRequest& req,
                                             v1::ListExistingFormsResponse* out) {
  auto engagement = SeenEngagement(p, "parent", req.parent(), "ListExistingForms");
  if (!engagement.ok()) return engagement.status();
  auto s = ListPaged<v1::ListExistingFormsResponse, v1::ExistingForm>(
      tokens_, req.page_size(), req.page_token(), {"forms", req.parent()},
      [&](int64_t after, int limit) {
        return store_.ListForms(p.tenant(), LastSegment(*engagement), after, limit);
      },
      out, &v1::ListExistingFormsResponse::add_forms, DecodeWithEtag<v1::ExistingForm>);
  if (s.ok() && out->forms().empty() && req.page_token().empty()) {
    return ConfirmEngagement(p, *engagement);
  }
  return s;
}

absl::Status DocumentsApi::DownloadExistingForm(const Principal& p,
                                                const v1::DownloadExistingFormRequest& req,
                                                google::api::HttpBody* out) {
  auto form = LoadForm(p, req.name(), "DownloadExistingForm");
  if (!form.ok()) return form.status();
  return ServeFile(p, form->value.file(), out);
}

absl::Status DocumentsApi::MapExistingForm(const Principal& p,
                                           const v1::MapExistingFormRequest& req,
                                           v1::ExistingForm* out) {
  FieldViolations v;
  d::CheckMappings(v, req.mappings());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::ExistingForm>(
      store_, Idem{}, req.etag(), [&] { return LoadForm(p, req.name(), "MapExistingForm"); },
      [&](const Stored<v1::ExistingForm>& before) -> absl::Status {
        v1::ExistingForm f = before.value;
        *f.mutable_mappings() = req.mappings();
        f.set_mapped_by(p.subject());
        *f.mutable_update_time() = ToTimestamp(clock_.Now());
        auto saved = store_.SaveForm(p.tenant(), &before, f);
        if (!saved.ok()) return saved.status();
        *out = *std::move(saved);
        return absl::OkStatus();
      },
      out);
}

absl::Status DocumentsApi::GetConformityReport(const Principal& p,
                                               const v1::GetConformityReportRequest& req,
                                               v1::ConformityReport* out) {
  auto engagement =
      SeenEngagement(p, "engagement", req.engagement(), "GetConformityReport", /*catalog=*/true);
  if (!engagement.ok()) return engagement.status();
  auto forms = AllForms(p.tenant(), LastSegment(*engagement));
  if (!forms.ok()) return forms.status();
  *out = d::BuildConformityReport(*engagement, *forms);
  return absl::OkStatus();
}

absl::Status DocumentsApi::ExportConformityReport(const Principal& p,
                                                  const v1::GetConformityReportRequest& req,
                                                  google::api::HttpBody* out) {
  auto engagement =
      SeenEngagement(p, "engagement", req.engagement(), "ExportConformityReport", /*catalog=*/true);
  if (!engagement.ok()) return engagement.status();
  auto forms = AllForms(p.tenant(), LastSegment(*engagement));
  if (!forms.ok()) return forms.status();
  out->set_content_type("text/csv; charset=utf-8");
  out->set_data(d::ConformityCsv(d::BuildConformityReport(*engagement, *forms)));
  AddResponseMetadata("content-disposition", absl::StrCat("attachment; filename=\"conformity-",
                                                          LastSegment(*engagement), ".csv\""));
  return absl::OkStatus();
}

absl::StatusOr<Stored<v1::StatementOfApplicability>> DocumentsApi::LoadStatement(
    const Principal& p, const std::string& name, absl::string_view method,
    std::string* engagement) {
  auto ids = ParseName("name", absl::StripSuffix(name, "/statementOfApplicability"),
                       {"tenants", "engagements"});
  if (!ids.ok() || !absl::EndsWith(name, "/statementOfApplicability")) {
    return InvalidArgument("name",
                           "tenants/{tenant}/engagements/{engagement}/statementOfApplicability");
  }
  std::string eng = absl::StrCat("tenants/", (*ids)[0], "/engagements/", (*ids)[1]);
  auto seen = SeenEngagement(p, "name", eng, method, /*catalog=*/true);
  if (!seen.ok()) return seen.status();
  auto stored = store_.GetStatement(p.tenant(), (*ids)[1]);
  if (!stored.ok()) return stored.status();
  Stored<v1::StatementOfApplicability> out;
  if (stored->has_value()) {
    out = **stored;
    d::Normalize(out.value);
  } else {
    // Never saved: the default rows, version 0 (the engagement exists:
    // its standard was checked above).
    out.value = d::DefaultStatement(name);
    out.value.set_etag("0");
  }
  if (engagement != nullptr) *engagement = eng;
  return out;
}

absl::Status DocumentsApi::GetStatementOfApplicability(
    const Principal& p, const v1::GetStatementOfApplicabilityRequest& req,
    v1::StatementOfApplicability* out) {
  auto s = LoadStatement(p, req.name(), "GetStatementOfApplicability", nullptr);
  if (!s.ok()) return s.status();
  *out = s->value;
  return absl::OkStatus();
}

absl::Status DocumentsApi::UpdateStatementOfApplicability(
    const Principal& p, const v1::UpdateStatementOfApplicabilityRequest& req,
    v1::StatementOfApplicability* out) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  std::string engagement;
  return Act<v1::StatementOfApplicability>(
      store_, Idem{}, req.statement().etag(),
      [&] {
        return LoadStatement(p, req.statement().name(), "UpdateStatementOfApplicability",
                             &engagement);
      },
      [&](const Stored<v1::StatementOfApplicability>& before) -> absl::Status {
        FieldViolations v;
        d::CheckStatement(v, req.statement(), engagement);
        if (auto s = v.ToStatus(); !s.ok()) return s;
        // Linked documents must exist (checked once each).
        std::set<std::string> linked;
        for (const auto& c : req.statement().controls())
          linked.insert(c.documents().begin(), c.documents().end());
        for (const auto& name : linked) {
          auto doc = store_.GetDocument(p.tenant(), LastSegment(name));
          if (!doc.ok()) return doc.status();
          if (!doc->has_value() || (*doc)->value.name() != name) {
            return InvalidArgument("statement.controls.documents", "no such document: " + name);
          }
        }
        v1::StatementOfApplicability after = before.value;
        *after.mutable_controls() = req.statement().controls();
        d::Normalize(after);
        after.set_updated_by(p.subject());
        *after.mutable_update_time() = ToTimestamp(clock_.Now());
        after.clear_etag();
        auto saved = store_.SaveStatement(p.tenant(), LastSegment(engagement), before, after);
        if (!saved.ok()) return saved.status();
        *out = *std::move(saved);
        return absl::OkStatus();
      },
      out);
}

absl::Status DocumentsApi::ExportStatementOfApplicability(
    const Principal& p, const v1::ExportStatementOfApplicabilityRequest& req,
    google::api::HttpBody* out) {
  if (!req.format().empty() && req.format() != "csv" && req.format() != "html") {
    return InvalidArgument("format", "csv or html");
  }
  std::string engagement;
  auto s = LoadStatement(p, req.name(), "ExportStatementOfApplicability", &engagement);
  if (!s.ok()) return s.status();
  std::string eid = LastSegment(engagement);
  if (req.format() == "html") {
    out->set_content_type("text/html; charset=utf-8");
    out->set_data(d::StatementHtml(s->value, EngagementHeading(p, engagement)));
    AddResponseMetadata("content-disposition",
                        absl::StrCat("inline; filename=\"soa-", eid, ".html\""));
  } else {
    out->set_content_type("text/csv; charset=utf-8");
    out->set_data(d::StatementCsv(s->value));
    AddResponseMetadata("content-disposition",
                        absl::StrCat("attachment; filename=\"soa-", eid, ".csv\""));
  }
  return absl::OkStatus();
}

absl::Status DocumentsApi::ApproveStatementOfApplicability(
    const Principal& p, const v1::ApproveStatementOfApplicabilityRequest& req,
    v1::StatementOfApplicability* out) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  std::string engagement;
  return Act<v1::StatementOfApplicability>(
      store_, Idem{}, req.etag(),
      [&] { return LoadStatement(p, req.name(), "ApproveStatementOfApplicability", &engagement); },
      [&](const Stored<v1::StatementOfApplicability>& before) -> absl::Status {
        auto e = engagements_.Get(p, engagement);
        if (!e.ok()) return e.status();
        if (!d::MayDecide(p, *e)) {
          return PermissionDenied(
              "the statement is approved by the engagement's consultants, an office admin or a "
              "listed partner");
        }
        if (before.version == 0) {
          return FailedPrecondition("STATEMENT_NOT_PREPARED",
                                    "save the statement (UpdateStatementOfApplicability) first");
        }
        if (before.value.approved_count() > 0 &&
            before.version == before.value.approved_revision()) {
          return FailedPrecondition("NOTHING_CHANGED",
                                    "the statement has not changed since its last approval");
        }
        std::string eid = LastSegment(engagement);
        absl::Time now = clock_.Now();
        absl::CivilDay today = TokyoDay(now);
        // The frozen edition: the rendered table, stored like any file.
        v1::StatementOfApplicability after = before.value;
        after.set_approved_count(before.value.approved_count() + 1);
        after.set_approved_by(p.subject());
        *after.mutable_approve_time() = ToTimestamp(now);
        after.set_approved_revision(before.version + 1);  // this step's revision
        after.clear_etag();
        std::string html = d::StatementHtml(
            after, absl::StrCat(EngagementHeading(p, engagement), " 第", after.approved_count(),
                                "版 承認 ", absl::FormatCivilTime(today), " ", p.subject()));
        // HTML is not an upload type: stored directly (the service wrote it).
        auto sha = blobs_.Put(p.tenant(), html);
        if (!sha.ok()) return Unavailable("file store: " + std::string(sha.status().message()));
        auto doc = store_.TemplateDocuments(p.tenant(), eid, {kSoaCode});
        if (!doc.ok()) return doc.status();
        DocumentStore::FrozenVersion frozen;
        if (!doc->empty()) {
          frozen.doc_before = &doc->front();
          frozen.doc_after = doc->front().value;
        } else {
          // None (or only an archived one): a new document, marked provided
          // unless the template was handed over before.
          auto given = store_.ProvidedCodes(p.tenant(), eid, {kSoaCode});
          if (!given.ok()) return given.status();
          frozen.mark_provided = given->empty();
          v1::Document& nd = frozen.doc_after;
          nd.set_name(absl::StrCat(engagement, "/documents/", RandomHex(8)));
          nd.set_title("適用宣言書");
          nd.set_template_code(kSoaCode);
          nd.set_kind(v1::TEMPLATE_KIND_LIST);
          nd.set_state(v1::DOCUMENT_STATE_ACTIVE);
          nd.set_created_by(p.subject());
          *nd.mutable_create_time() = ToTimestamp(now);
        }
        v1::Document& da = frozen.doc_after;
        auto number =
            d::NextVersionNumber(da.latest_version_number(), !da.latest_version_number().empty());
        if (!number.ok()) return number.status();
        frozen.n = da.version_count() + 1;
        v1::DocumentVersion& ver = frozen.version;
        ver.set_name(absl::StrCat(da.name(), "/versions/", frozen.n));
        ver.set_number(*number);
        ver.set_state(v1::VERSION_STATE_APPROVED);
        ver.mutable_file()->set_sha256(*sha);
        ver.mutable_file()->set_size_bytes(static_cast<int64_t>(html.size()));
        ver.mutable_file()->set_media_type("text/html");
        ver.mutable_file()->set_file_name(
            absl::StrCat("適用宣言書_第", after.approved_count(), "版.html"));
        ver.set_author(p.subject());
        ver.set_change_note("適用宣言書の承認により確定");
        ver.set_approved_by(p.subject());
        *ver.mutable_approve_time() = ToTimestamp(now);
        // Effective dates never go backwards: after a version approved to
        // take effect later, the frozen edition takes effect with it.
        absl::CivilDay from = today;
        if (auto f = ToCivilDay(da.effective_date()); f && *f > from) from = *f;
        *ver.mutable_effective_date() = ToDate(from);
        *ver.mutable_create_time() = ToTimestamp(now);
        *ver.mutable_update_time() = ToTimestamp(now);
        auto superseded = SupersedeEffective(p.tenant(), da, frozen.n, from, now);
        if (!superseded.ok()) return superseded.status();
        frozen.superseded = *std::move(superseded);
        da.set_effective_version(ver.name());
        da.set_effective_version_number(ver.number());
        *da.mutable_effective_date() = ToDate(from);
        da.set_latest_version_number(ver.number());
        da.set_version_count(frozen.n);
        *da.mutable_update_time() = ToTimestamp(now);
        after.set_approved_document_version(ver.name());
        std::vector<Stored<v1::Document>> decided_on;
        auto approved = Approval(p, engagement, da, ver, now, &decided_on);
        if (!approved.ok()) return approved.status();
        auto r = store_.ApproveStatement(p.tenant(), eid, before, after, frozen,
                                         Envelope(p.tenant(), engagement, *approved), decided_on);
        if (!r.ok()) return r.status();
        if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
        d::Normalize(*out);
        Published(1);
        return absl::OkStatus();
      },
      out);
}

}  // namespace certpath::documents
