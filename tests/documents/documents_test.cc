// The documents service with engagements and billing, all in process over
// real gRPC on one real redis-server and a real file directory
// (documents_fixture.h): templates uploaded and provided, versions uploaded,
// reviewed, approved (the checklist tasks done by events), downloads verified,
// bad files refused, access, the SoA, existing forms, the support specification.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/validate.h"
#include "tests/documents/documents_fixture.h"

namespace certpath::testing {
namespace {

TEST_F(DocumentsTest, TemplatesProvidedReviewedAndApproved) {
  v1::Engagement e = NewEngagement();
  // Nothing to provide before the office has uploaded its templates.
  dv1::ProvideTemplatesRequest early;
  early.set_engagement(e.name());
  dv1::ProvideTemplatesResponse none;
  EXPECT_EQ(docs.Call(&DStub::ProvideTemplates, kConsultant, early, &none).code(),
            absl::StatusCode::kFailedPrecondition);
  // The office's own content for the main manual.
  dv1::CreateTemplateVersionRequest tv;
  tv.set_parent("tenants/t1/templates/isms-manual-main");
  tv.mutable_file()->set_content_type("application/pdf");
  tv.mutable_file()->set_data(kPdf);
  tv.set_file_name("ISMSマニュアル(本文編).pdf");
  tv.set_change_note("2026年版");
  dv1::TemplateVersion version;
  ASSERT_TRUE(docs.Call(&DStub::CreateTemplateVersion, kConsultant, tv, &version).ok());
  EXPECT_EQ(version.number(), 1);
  EXPECT_EQ(version.file().sha256(), HexEncode(Sha256(kPdf)));
  EXPECT_EQ(docs.Call(&DStub::CreateTemplateVersion, kPartner, tv, &version).code(),
            absl::StatusCode::kPermissionDenied);
  dv1::ListTemplatesRequest lt;
  lt.set_parent("tenants/t1");
  dv1::ListTemplatesResponse templates;
  ASSERT_TRUE(docs.Call(&DStub::ListTemplates, kAdmin, lt, &templates).ok());
  ASSERT_EQ(templates.templates_size(), 12);
  EXPECT_EQ(templates.templates(0).current_version().number(), 1);
  EXPECT_FALSE(templates.templates(1).has_current_version());
  // The office opens its current content; a template without any is NOT_FOUND.
  dv1::DownloadTemplateRequest dt;
  dt.set_name("tenants/t1/templates/isms-manual-main");
  google::api::HttpBody template_file;
  ASSERT_TRUE(docs.Call(&DStub::DownloadTemplate, kConsultant, dt, &template_file).ok());
  EXPECT_EQ(template_file.data(), kPdf);
  EXPECT_EQ(template_file.content_type(), "application/pdf");
  dt.set_name(templates.templates(1).name());
  EXPECT_EQ(docs.Call(&DStub::DownloadTemplate, kAdmin, dt, &template_file).code(),
            absl::StatusCode::kNotFound);

  // Provided to the engagement: a document per template with content, each once.
  dv1::ProvideTemplatesRequest pt;
  pt.set_engagement(e.name());
  dv1::ProvideTemplatesResponse provided;
  ASSERT_TRUE(docs.Call(&DStub::ProvideTemplates, kConsultant, pt, &provided).ok());
  ASSERT_EQ(provided.documents_size(), 1);  // only the main manual has content yet
  for (int i = 1; i < templates.templates_size(); ++i) {
    dv1::CreateTemplateVersionRequest more = tv;
    more.set_parent(templates.templates(i).name());
    ASSERT_TRUE(docs.Call(&DStub::CreateTemplateVersion, kAdmin, more, &version).ok());
  }
  ASSERT_TRUE(docs.Call(&DStub::ProvideTemplates, kConsultant, pt, &provided).ok());
  ASSERT_EQ(provided.documents_size(), 11);  // the rest, later
  EXPECT_EQ(docs.Call(&DStub::ProvideTemplates, kConsultant, pt, &provided).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(WaitTask(e.name(), "cons-o-forms"));
  dv1::ListDocumentsRequest ld;
  ld.set_parent(e.name());
  dv1::ListDocumentsResponse listed;
  ASSERT_TRUE(docs.Call(&DStub::ListDocuments, ClientOf(), ld, &listed).ok());
  ASSERT_EQ(listed.documents_size(), 12);
  const dv1::Document manual = listed.documents(0);
  EXPECT_EQ(manual.template_code(), "isms-manual-main");
  EXPECT_EQ(manual.latest_version_number(), "1.0");

  // The client customizes it: 1.1, submitted, changes requested, 1.2, approved.
  dv1::DocumentVersion v11, v12;
  ASSERT_TRUE(
      Upload(ClientOf(), manual.name(), "ISMSマニュアル_自社版.docx", "", kDocx, &v11).ok());
  EXPECT_EQ(v11.number(), "1.1");
  EXPECT_EQ(v11.state(), dv1::VERSION_STATE_DRAFT);
  EXPECT_EQ(Act(ClientOf(), v11.name(), "submit").state(), dv1::VERSION_STATE_IN_REVIEW);
  dv1::CreateReviewCommentRequest cr;
  cr.set_parent(v11.name());
  cr.mutable_comment()->set_body("4.3 適用範囲に拠点名を明記してください。");
  cr.mutable_comment()->set_section("4.3");
  cr.mutable_comment()->set_page(5);
  dv1::ReviewComment comment;
  ASSERT_TRUE(docs.Call(&DStub::CreateReviewComment, kConsultant, cr, &comment).ok());
  EXPECT_EQ(comment.author(), "kenji@office");
  // The client never approves; a consultant of the engagement does.
  dv1::DecideReviewRequest dr;
  dr.set_name(v11.name());
  dr.set_decision(dv1::REVIEW_DECISION_APPROVE);
  dv1::DocumentVersion ignored;
  EXPECT_EQ(docs.Call(&DStub::DecideReview, ClientOf(), dr, &ignored).code(),
            absl::StatusCode::kPermissionDenied);
  Principal outsider = MakePrincipal(Principal::ROLE_CONSULTANT, "aya@office");
  EXPECT_EQ(docs.Call(&DStub::DecideReview, outsider, dr, &ignored).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Act(kConsultant, v11.name(), "decide", dv1::REVIEW_DECISION_REQUEST_CHANGES).state(),
            dv1::VERSION_STATE_CHANGES_REQUESTED);
  ASSERT_TRUE(Upload(ClientOf(), manual.name(), "ISMSマニュアル_自社版.pdf", "application/pdf",
                     kPdf + "第3版", &v12)
                  .ok());
  EXPECT_EQ(v12.number(), "1.2");
  Act(ClientOf(), v12.name(), "submit");
  dv1::DocumentVersion approved =
      Act(kConsultant, v12.name(), "decide", dv1::REVIEW_DECISION_APPROVE);
  EXPECT_EQ(approved.state(), dv1::VERSION_STATE_APPROVED);
  ASSERT_EQ(approved.reviews_size(), 1);
  EXPECT_FALSE(approved.reviews(0).billable());  // during support
  dv1::GetDocumentRequest gd;
  gd.set_name(manual.name());
  dv1::Document after;
  ASSERT_TRUE(docs.Call(&DStub::GetDocument, kPartner, gd, &after).ok());
  EXPECT_EQ(after.effective_version(), v12.name());
  EXPECT_EQ(after.effective_version_number(), "1.2");
  // Approval completes a document's checklist task (DocumentApproved); the
  // ISMS manual is two documents, so (本文編) alone leaves its task open.
  auto template_doc = [&](const std::string& code) {
    for (const auto& d : listed.documents()) {
      if (d.template_code() == code) return d;
    }
    ADD_FAILURE() << code;
    return dv1::Document();
  };
  auto approve_upload = [&](const dv1::Document& d) {
    dv1::DocumentVersion v;
    EXPECT_TRUE(
        Upload(ClientOf(), d.name(), "自社版.pdf", "application/pdf", kPdf + d.name(), &v).ok());
    Act(ClientOf(), v.name(), "submit");
    return Act(kConsultant, v.name(), "decide", dv1::REVIEW_DECISION_APPROVE);
  };
  // Events reach engagements in order: once the auditor list's task is done,
  // the manual's event before it has been applied too.
  approve_upload(template_doc("internal-auditor-list"));
  EXPECT_TRUE(WaitTask(e.name(), "cons-c-auditor-training"));
  EXPECT_FALSE(TaskDone(e.name(), "cons-c-manual"));
  // The forms task is served by two documents too: one approved …
  approve_upload(template_doc("corrective-action-report"));
  EXPECT_EQ(approve_upload(template_doc("isms-manual-controls")).state(),
            dv1::VERSION_STATE_APPROVED);
  EXPECT_TRUE(WaitTask(e.name(), "cons-c-manual"));
  EXPECT_FALSE(TaskDone(e.name(), "cons-c-forms"));
  // … and the other archived (the client does without it): done.
  dv1::ArchiveDocumentRequest drop;
  drop.set_name(template_doc("security-self-checklist").name());
  drop.set_reason("自己チェックは内部監査チェック項目票に統合");
  dv1::Document dropped;
  ASSERT_TRUE(docs.Call(&DStub::ArchiveDocument, kConsultant, drop, &dropped).ok());
  EXPECT_TRUE(WaitTask(e.name(), "cons-c-forms"));
  // A later approval supersedes it (改訂).
  dv1::DocumentVersion v20;
  ASSERT_TRUE(Upload(ClientOf(), manual.name(), "改訂版.pdf", "application/pdf", kPdf + "第4版",
                     &v20, /*major=*/true)
                  .ok());
  EXPECT_EQ(v20.number(), "2.0");
  Act(ClientOf(), v20.name(), "submit");
  Act(kPartner, v20.name(), "decide", dv1::REVIEW_DECISION_APPROVE);  // a listed partner
  dv1::GetDocumentVersionRequest gv;
  gv.set_name(v12.name());
  dv1::DocumentVersion old;
  ASSERT_TRUE(docs.Call(&DStub::GetDocumentVersion, kAdmin, gv, &old).ok());
  EXPECT_EQ(old.state(), dv1::VERSION_STATE_SUPERSEDED);
  // 2.1 and 2.2 in review; 2.2 approved: 2.1 can no longer take effect (no rollback).
  dv1::DocumentVersion v21, v22;
  ASSERT_TRUE(Upload(ClientOf(), manual.name(), "a.pdf", "application/pdf", kPdf + "5", &v21).ok());
  ASSERT_TRUE(Upload(ClientOf(), manual.name(), "b.pdf", "application/pdf", kPdf + "6", &v22).ok());
  Act(ClientOf(), v21.name(), "submit");
  Act(ClientOf(), v22.name(), "submit");
  dv1::DecideReviewRequest backdated;
  backdated.set_name(v22.name());
  backdated.set_decision(dv1::REVIEW_DECISION_APPROVE);
  *backdated.mutable_effective_date() = Day(1999, 1, 1);
  EXPECT_EQ(docs.Call(&DStub::DecideReview, kConsultant, backdated, &ignored).code(),
            absl::StatusCode::kInvalidArgument);
  // At most a year ahead (the clock's day is 2026-11-26), and only for an approval.
  *backdated.mutable_effective_date() = Day(2027, 11, 27);
  EXPECT_EQ(docs.Call(&DStub::DecideReview, kConsultant, backdated, &ignored).code(),
            absl::StatusCode::kInvalidArgument);
  backdated.set_decision(dv1::REVIEW_DECISION_REQUEST_CHANGES);
  *backdated.mutable_effective_date() = Day(2026, 12, 1);
  absl::Status dated = docs.Call(&DStub::DecideReview, kConsultant, backdated, &ignored);
  EXPECT_EQ(dated.code(), absl::StatusCode::kInvalidArgument) << dated;
  EXPECT_TRUE(absl::StrContains(dated.message(), "effective_date")) << dated;
  Act(kConsultant, v22.name(), "decide", dv1::REVIEW_DECISION_APPROVE);
  dr.set_name(v21.name());
  absl::Status older = docs.Call(&DStub::DecideReview, kConsultant, dr, &ignored);
  EXPECT_EQ(older.code(), absl::StatusCode::kFailedPrecondition) << older;
  EXPECT_TRUE(absl::StrContains(older.message(), "older than the effective version")) << older;
  // It is sent back instead, and never waits for a review again.
  Act(kConsultant, v21.name(), "decide", dv1::REVIEW_DECISION_REQUEST_CHANGES);
  dv1::SubmitForReviewRequest again;
  again.set_name(v21.name());
  EXPECT_EQ(ErrorReason(docs.Call(&DStub::SubmitForReview, ClientOf(), again, &ignored)),
            "OLDER_THAN_EFFECTIVE");
  ASSERT_TRUE(docs.Call(&DStub::GetDocument, kAdmin, gd, &after).ok());
  EXPECT_EQ(after.effective_version_number(), "2.2");
  // Which version applied on a day stays answerable: 2.0 until 2.2 took
  // effect; 2.3 approved now to take effect on 2027-04-01 leaves 2.2 in force
  // until then; a later approval cannot take effect before that.
  gv.set_name(v20.name());
  ASSERT_TRUE(docs.Call(&DStub::GetDocumentVersion, kAdmin, gv, &old).ok());
  EXPECT_EQ(old.state(), dv1::VERSION_STATE_SUPERSEDED);
  EXPECT_EQ(old.superseded_date().year(), 2026);
  EXPECT_EQ(old.superseded_date().day(), 26);
  dv1::DocumentVersion v23, v24;
  ASSERT_TRUE(Upload(ClientOf(), manual.name(), "c.pdf", "application/pdf", kPdf + "7", &v23).ok());
  ASSERT_TRUE(Upload(ClientOf(), manual.name(), "d.pdf", "application/pdf", kPdf + "8", &v24).ok());
  Act(ClientOf(), v23.name(), "submit");
  Act(ClientOf(), v24.name(), "submit");
  dv1::DecideReviewRequest dated_approval;
  dated_approval.set_name(v23.name());
  dated_approval.set_decision(dv1::REVIEW_DECISION_APPROVE);
  *dated_approval.mutable_effective_date() = Day(2027, 4, 1);
  ASSERT_TRUE(docs.Call(&DStub::DecideReview, kConsultant, dated_approval, &ignored).ok());
  gv.set_name(v22.name());
  ASSERT_TRUE(docs.Call(&DStub::GetDocumentVersion, kAdmin, gv, &old).ok());
  EXPECT_EQ(old.superseded_date().month(), 4);
  dated_approval.set_name(v24.name());
  *dated_approval.mutable_effective_date() = Day(2027, 1, 1);
  absl::Status backwards = docs.Call(&DStub::DecideReview, kConsultant, dated_approval, &ignored);
  EXPECT_EQ(backwards.code(), absl::StatusCode::kInvalidArgument) << backwards;
  EXPECT_TRUE(absl::StrContains(backwards.message(), "not before 2027-04-01")) << backwards;
  Act(kConsultant, v24.name(), "decide", dv1::REVIEW_DECISION_REQUEST_CHANGES);
  // Uploads at the same moment each get their own number.
  std::vector<std::thread> uploads;
  std::atomic<int> uploaded{0};
  for (int i = 0; i < 6; ++i) {
    uploads.emplace_back([&, i] {
      dv1::DocumentVersion v;
      if (Upload(ClientOf(), manual.name(), "p.txt", "text/plain", absl::StrCat("版 ", i), &v)
              .ok()) {
        ++uploaded;
      }
    });
  }
  for (auto& t : uploads) t.join();
  EXPECT_EQ(uploaded.load(), 6);
  ASSERT_TRUE(docs.Call(&DStub::GetDocument, kAdmin, gd, &after).ok());
  EXPECT_EQ(after.latest_version_number(), "2.10");

  // Downloads are the bytes uploaded, with their type and name.
  dv1::DownloadDocumentVersionRequest dl;
  dl.set_name(v11.name());
  google::api::HttpBody body;
  ASSERT_TRUE(docs.Call(&DStub::DownloadDocumentVersion, ClientOf(), dl, &body).ok());
  EXPECT_EQ(body.data(), kDocx);
  EXPECT_EQ(body.content_type(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  dl.set_name(manual.name() + "/versions/1");  // the provided template
  ASSERT_TRUE(docs.Call(&DStub::DownloadDocumentVersion, kPartner, dl, &body).ok());
  EXPECT_EQ(body.data(), kPdf);
}

TEST_F(DocumentsTest, BadFilesAndStrangersAreRefused) {
  v1::Engagement e = NewEngagement();
  const Principal mine = ClientOf();
  dv1::CreateDocumentRequest cd;
  cd.set_parent(e.name());
  cd.mutable_document()->set_title("情報資産台帳（自社様式）");
  cd.mutable_document()->set_kind(dv1::TEMPLATE_KIND_RECORD_FORM);
  dv1::Document own;
  ASSERT_TRUE(docs.Call(&DStub::CreateDocument, mine, cd, &own).ok());
  EXPECT_TRUE(own.template_code().empty());
  dv1::DocumentVersion v;
  auto field = [&](const absl::Status& s) { return std::string(s.message()); };
  // Everything wrong at once is named at once.
  absl::Status s = Upload(mine, own.name(), "", "", "", &v);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(field(s), "file_name: required; file: empty")) << s;
  s = Upload(mine, own.name(), "台帳.exe", "", "MZ\x90", &v);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(field(s), "file_name")) << s;
  s = Upload(mine, own.name(), "台帳.pdf", "application/pdf", kDocx, &v);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(field(s), "not a .pdf")) << s;
  s = Upload(mine, own.name(), "台帳.csv", "image/png", "a,b\n", &v);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(field(s), "file.content_type")) << s;
  ASSERT_TRUE(Upload(mine, own.name(), "台帳.csv", "text/csv", "番号,資産\n1,PC\n", &v).ok());
  // Nothing of it for those who do not see the engagement.
  dv1::GetDocumentRequest gd;
  gd.set_name(own.name());
  dv1::Document d;
  Principal other_client = MakePrincipal(Principal::ROLE_CLIENT, "x@other", "someone-else");
  Principal other_tenant = MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "eve", "", "t2");
  for (const Principal& p : {other_client, kOtherPartner, other_tenant}) {
    EXPECT_EQ(docs.Call(&DStub::GetDocument, p, gd, &d).code(), absl::StatusCode::kNotFound)
        << p.subject();
    dv1::DownloadDocumentVersionRequest dl;
    dl.set_name(v.name());
    google::api::HttpBody body;
    EXPECT_EQ(docs.Call(&DStub::DownloadDocumentVersion, p, dl, &body).code(),
              absl::StatusCode::kNotFound)
        << p.subject();
  }
  // A document name under another engagement is not this document.
  v1::Engagement other = NewEngagement();
  gd.set_name(other.name() + "/documents/" + LastSegment(own.name()));
  EXPECT_EQ(docs.Call(&DStub::GetDocument, kAdmin, gd, &d).code(), absl::StatusCode::kNotFound);
  // Archived: no new versions, reviews or comments; listed only when asked.
  const std::string draft = v.name();
  dv1::ArchiveDocumentRequest ar;
  ar.set_name(own.name());
  ar.set_reason("様式を統合したため");
  EXPECT_EQ(docs.Call(&DStub::ArchiveDocument, mine, ar, &d).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(docs.Call(&DStub::ArchiveDocument, kConsultant, ar, &d).ok());
  EXPECT_EQ(Upload(mine, own.name(), "台帳.csv", "text/csv", "x\n", &v).code(),
            absl::StatusCode::kFailedPrecondition);
  dv1::SubmitForReviewRequest submit;
  submit.set_name(draft);
  absl::Status archived = docs.Call(&DStub::SubmitForReview, mine, submit, &v);
  EXPECT_EQ(archived.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(field(archived), "archived")) << archived;
  dv1::CreateReviewCommentRequest comment;
  comment.set_parent(draft);
  comment.mutable_comment()->set_body("列を追加してください");
  dv1::ReviewComment c;
  EXPECT_EQ(docs.Call(&DStub::CreateReviewComment, kConsultant, comment, &c).code(),
            absl::StatusCode::kFailedPrecondition);
  dv1::ListDocumentsRequest ld;
  ld.set_parent(e.name());
  dv1::ListDocumentsResponse listed;
  ASSERT_TRUE(docs.Call(&DStub::ListDocuments, kAdmin, ld, &listed).ok());
  EXPECT_EQ(listed.documents_size(), 0);
  ld.set_include_archived(true);
  ASSERT_TRUE(docs.Call(&DStub::ListDocuments, kAdmin, ld, &listed).ok());
  EXPECT_EQ(listed.documents_size(), 1);
  // An engagement that does not exist has no empty lists, even for the office.
  const std::string missing = "tenants/t1/engagements/nosuch";
  ld.set_parent(missing);
  EXPECT_EQ(docs.Call(&DStub::ListDocuments, kAdmin, ld, &listed).code(),
            absl::StatusCode::kNotFound);
  dv1::ListExistingFormsRequest lf;
  lf.set_parent(missing);
  dv1::ListExistingFormsResponse forms;
  EXPECT_EQ(docs.Call(&DStub::ListExistingForms, kConsultant, lf, &forms).code(),
            absl::StatusCode::kNotFound);
  dv1::GetConformityReportRequest cr;
  cr.set_engagement(missing);
  dv1::ConformityReport report;
  EXPECT_EQ(docs.Call(&DStub::GetConformityReport, kAdmin, cr, &report).code(),
            absl::StatusCode::kNotFound);
  google::api::HttpBody csv;
  EXPECT_EQ(docs.Call(&DStub::ExportConformityReport, kAdmin, cr, &csv).code(),
            absl::StatusCode::kNotFound);
  // One that exists with nothing in it: empty answers.
  lf.set_parent(other.name());
  ASSERT_TRUE(docs.Call(&DStub::ListExistingForms, kAdmin, lf, &forms).ok());
  EXPECT_EQ(forms.forms_size(), 0);
}

TEST_F(DocumentsTest, StatementOfApplicabilityPreparedExportedAndApproved) {
  v1::Engagement e = NewEngagement();
  const std::string name = e.name() + "/statementOfApplicability";
  dv1::GetStatementOfApplicabilityRequest get;
  get.set_name(name);
  dv1::StatementOfApplicability soa;
  ASSERT_TRUE(docs.Call(&DStub::GetStatementOfApplicability, ClientOf(), get, &soa).ok());
  ASSERT_EQ(soa.controls_size(), 93);
  EXPECT_EQ(soa.etag(), "0");
  // The client prepares it: A.7.x physical controls partly excluded, with reasons.
  dv1::UpdateStatementOfApplicabilityRequest up;
  *up.mutable_statement() = soa;
  for (auto& c : *up.mutable_statement()->mutable_controls()) {
    c.add_reasons(dv1::INCLUSION_REASON_RISK_TREATMENT);
    c.set_status(dv1::IMPLEMENTATION_STATUS_IMPLEMENTED);
  }
  auto* excluded = up.mutable_statement()->mutable_controls(56);  // A.7.12
  excluded->set_applicable(false);
  excluded->clear_reasons();  // no reasons for inclusion when excluded
  dv1::StatementOfApplicability saved;
  absl::Status s = docs.Call(&DStub::UpdateStatementOfApplicability, ClientOf(), up, &saved);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "controls[56].exclusion_justification")) << s;
  excluded->set_exclusion_justification("自社で配線を管理する施設がないため（賃貸オフィス）");
  up.mutable_statement()->mutable_controls(0)->add_documents(e.name() + "/documents/nothere");
  s = docs.Call(&DStub::UpdateStatementOfApplicability, ClientOf(), up, &saved);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "no such document")) << s;
  up.mutable_statement()->mutable_controls(0)->clear_documents();
  ASSERT_TRUE(docs.Call(&DStub::UpdateStatementOfApplicability, ClientOf(), up, &saved).ok());
  EXPECT_EQ(saved.etag(), "1");
  EXPECT_EQ(saved.controls(56).control_id(), "A.7.12");
  // A stale etag is refused; another tenant or partner sees nothing.
  up.mutable_statement()->set_etag("0");
  EXPECT_EQ(docs.Call(&DStub::UpdateStatementOfApplicability, kConsultant, up, &saved).code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(docs.Call(&DStub::GetStatementOfApplicability, kOtherPartner, get, &soa).code(),
            absl::StatusCode::kNotFound);
  // Exports.
  dv1::ExportStatementOfApplicabilityRequest ex;
  ex.set_name(name);
  google::api::HttpBody body;
  ASSERT_TRUE(docs.Call(&DStub::ExportStatementOfApplicability, kPartner, ex, &body).ok());
  EXPECT_EQ(body.content_type(), "text/csv; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(body.data(), "A.7.12,物理的管理策,ケーブル配線のセキュリティ"));
  ex.set_format("html");
  ASSERT_TRUE(docs.Call(&DStub::ExportStatementOfApplicability, kPartner, ex, &body).ok());
  EXPECT_TRUE(absl::StrContains(body.data(), "賃貸オフィス"));
  EXPECT_TRUE(absl::StrContains(body.data(), "株式会社デモ 整理番号 " + e.reference_number()));
  // Approval freezes it as a version of the 適用宣言書 document; clients never approve.
  dv1::ApproveStatementOfApplicabilityRequest ap;
  ap.set_name(name);
  EXPECT_EQ(docs.Call(&DStub::ApproveStatementOfApplicability, ClientOf(), ap, &saved).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(docs.Call(&DStub::ApproveStatementOfApplicability, kConsultant, ap, &saved).ok());
  EXPECT_EQ(saved.approved_count(), 1);
  ASSERT_FALSE(saved.approved_document_version().empty());
  dv1::GetDocumentVersionRequest gv;
  gv.set_name(saved.approved_document_version());
  dv1::DocumentVersion frozen;
  ASSERT_TRUE(docs.Call(&DStub::GetDocumentVersion, ClientOf(), gv, &frozen).ok());
  EXPECT_EQ(frozen.state(), dv1::VERSION_STATE_APPROVED);
  EXPECT_EQ(frozen.number(), "1.0");
  dv1::DownloadDocumentVersionRequest dl;
  dl.set_name(frozen.name());
  ASSERT_TRUE(docs.Call(&DStub::DownloadDocumentVersion, ClientOf(), dl, &body).ok());
  EXPECT_TRUE(absl::StrContains(body.data(), "第1版 承認"));
  EXPECT_TRUE(WaitTask(e.name(), "cons-c-customize"));
  // Unchanged, it is not approved again; changed, the second approval is 2.0
  // and supersedes the first.
  EXPECT_EQ(docs.Call(&DStub::ApproveStatementOfApplicability, kAdmin, ap, &saved).code(),
            absl::StatusCode::kFailedPrecondition);
  *up.mutable_statement() = saved;
  up.mutable_statement()->mutable_controls(0)->set_reason_text("方針は取締役会で承認");
  ASSERT_TRUE(docs.Call(&DStub::UpdateStatementOfApplicability, kConsultant, up, &saved).ok());
  ASSERT_TRUE(docs.Call(&DStub::ApproveStatementOfApplicability, kAdmin, ap, &saved).ok());
  EXPECT_EQ(saved.approved_count(), 2);
  ASSERT_TRUE(docs.Call(&DStub::GetDocumentVersion, kAdmin, gv, &frozen).ok());
  EXPECT_EQ(frozen.state(), dv1::VERSION_STATE_SUPERSEDED);
  // Templates handed over afterwards add no second 適用宣言書.
  for (const char* code : {"statement-of-applicability", "isms-manual-main"}) {
    dv1::CreateTemplateVersionRequest tv;
    tv.set_parent(absl::StrCat("tenants/t1/templates/", code));
    tv.mutable_file()->set_content_type("application/pdf");
    tv.mutable_file()->set_data(kPdf);
    tv.set_file_name("雛形.pdf");
    tv.set_change_note("2026年版");
    dv1::TemplateVersion version;
    ASSERT_TRUE(docs.Call(&DStub::CreateTemplateVersion, kConsultant, tv, &version).ok());
  }
  dv1::ProvideTemplatesRequest pt;
  pt.set_engagement(e.name());
  dv1::ProvideTemplatesResponse provided;
  ASSERT_TRUE(docs.Call(&DStub::ProvideTemplates, kConsultant, pt, &provided).ok());
  dv1::ListDocumentsRequest ld;
  ld.set_parent(e.name());
  dv1::ListDocumentsResponse listed;
  ASSERT_TRUE(docs.Call(&DStub::ListDocuments, kAdmin, ld, &listed).ok());
  int statements = 0, manuals = 0;
  for (const auto& d : listed.documents()) {
    statements += d.template_code() == "statement-of-applicability";
    manuals += d.template_code() == "isms-manual-main";
  }
  EXPECT_EQ(statements, 1);
  EXPECT_EQ(manuals, 1);
  // Its document archived, the next approval starts a new one.
  for (const auto& d : listed.documents()) {
    if (d.template_code() != "statement-of-applicability") continue;
    dv1::ArchiveDocumentRequest ar;
    ar.set_name(d.name());
    ar.set_reason("様式を改めたため");
    dv1::Document archived;
    ASSERT_TRUE(docs.Call(&DStub::ArchiveDocument, kAdmin, ar, &archived).ok());
  }
  *up.mutable_statement() = saved;
  up.mutable_statement()->mutable_controls(0)->set_reason_text("方針は取締役会で再承認");
  ASSERT_TRUE(docs.Call(&DStub::UpdateStatementOfApplicability, kConsultant, up, &saved).ok());
  absl::Status again = docs.Call(&DStub::ApproveStatementOfApplicability, kAdmin, ap, &saved);
  ASSERT_TRUE(again.ok()) << again;
  EXPECT_EQ(saved.approved_count(), 3);
  gv.set_name(saved.approved_document_version());
  ASSERT_TRUE(docs.Call(&DStub::GetDocumentVersion, kAdmin, gv, &frozen).ok());
  EXPECT_EQ(frozen.number(), "1.0");  // a new document's first version
}

TEST_F(DocumentsTest, ExistingFormsAgainstTheStandard) {
  v1::Engagement e = NewEngagement();
  dv1::CreateExistingFormRequest cf;
  cf.set_parent(e.name());
  cf.set_title("入退室管理台帳");
  cf.set_file_name("入退室管理台帳.xlsx");
  cf.mutable_file()->set_data(testing::XlsxFile("入退室管理台帳"));
  dv1::ExistingForm form;
  ASSERT_TRUE(docs.Call(&DStub::CreateExistingForm, ClientOf(), cf, &form).ok());
  // The office opens the form it is to check: the bytes the client uploaded.
  dv1::DownloadExistingFormRequest df;
  df.set_name(form.name());
  google::api::HttpBody form_file;
  ASSERT_TRUE(docs.Call(&DStub::DownloadExistingForm, kConsultant, df, &form_file).ok());
  EXPECT_EQ(form_file.data(), cf.file().data());
  EXPECT_EQ(form_file.content_type(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  dv1::MapExistingFormRequest map;
  map.set_name(form.name());
  auto* m = map.add_mappings();
  m->set_requirement("A.7.2");
  m->set_verdict(dv1::VERDICT_CONFORMS);
  m = map.add_mappings();
  m->set_requirement("7.5");
  m->set_verdict(dv1::VERDICT_PARTIAL);
  m->set_remarks("承認欄がない");
  EXPECT_EQ(docs.Call(&DStub::MapExistingForm, ClientOf(), map, &form).code(),
            absl::StatusCode::kPermissionDenied);
  map.add_mappings()->set_requirement("A.9.9");
  absl::Status s = docs.Call(&DStub::MapExistingForm, kConsultant, map, &form);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "mappings[2].requirement")) << s;
  map.mutable_mappings()->RemoveLast();
  ASSERT_TRUE(docs.Call(&DStub::MapExistingForm, kConsultant, map, &form).ok());
  EXPECT_EQ(form.mapped_by(), "kenji@office");
  dv1::GetConformityReportRequest rr;
  rr.set_engagement(e.name());
  dv1::ConformityReport report;
  ASSERT_TRUE(docs.Call(&DStub::GetConformityReport, ClientOf(), rr, &report).ok());
  EXPECT_EQ(report.rows_size(), 116);
  EXPECT_EQ(report.covered(), 1);
  EXPECT_EQ(report.partial(), 1);
  EXPECT_EQ(report.not_covered(), 114);
  google::api::HttpBody csv;
  ASSERT_TRUE(docs.Call(&DStub::ExportConformityReport, kPartner, rr, &csv).ok());
  EXPECT_EQ(csv.data().substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_TRUE(absl::StrContains(csv.data(), "入退室管理台帳:承認欄がない"));
  EXPECT_EQ(docs.Call(&DStub::GetConformityReport, kOtherPartner, rr, &report).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(DocumentsTest, TheSupportSpecificationOfOneEngagement) {
  v1::Engagement e = NewEngagement();
  dv1::RenderSupportSpecificationRequest req;
  req.set_engagement(e.name());
  google::api::HttpBody html;
  // The office named is this tenant's (its billing settings), never the seed's.
  bv1::UpdateBillingSettingsRequest name;
  name.mutable_settings()->set_name("tenants/" + kAdmin.tenant() + "/billingSettings");
  name.mutable_settings()->set_issuer_name("鈴木ISOコンサルティング");
  name.mutable_update_mask()->add_paths("issuer_name");
  bv1::BillingSettings settings;
  ASSERT_TRUE(bill.Call(&BStub::UpdateBillingSettings, kAdmin, name, &settings).ok());
  // A partner of the engagement reads it too (company name and prices with the office's rights).
  ASSERT_TRUE(docs.Call(&DStub::RenderSupportSpecification, kPartner, req, &html).ok());
  EXPECT_EQ(html.content_type(), "text/html; charset=utf-8");
  EXPECT_EQ(html.data().find("本間"), std::string::npos);
  for (const std::string& want :
       {std::string("鈴木ISOコンサルティング（以下"), std::string("株式会社デモ"),
        e.reference_number(), std::string("情報システム部"), std::string("2026年4月1日"),
        std::string("1日5万円、半日3万円"), std::string("【別紙1")}) {
    EXPECT_TRUE(absl::StrContains(html.data(), want)) << want;
  }
  EXPECT_EQ(docs.Call(&DStub::RenderSupportSpecification, kOtherPartner, req, &html).code(),
            absl::StatusCode::kNotFound);
}

// The catalogue, the SoA, the conformity report and the support
// specification are ISO/IEC 27001's: a QMS engagement is refused them, not
// given ISMS documents.
TEST_F(DocumentsTest, OtherStandardsAreNotGivenTheIsmsCatalogue) {
  v1::Engagement e = NewEngagement(Day(2026, 4, 1), "ISO_9001_2015");
  ASSERT_EQ(e.standard(), "ISO_9001_2015");
  dv1::ProvideTemplatesRequest provide;
  provide.set_engagement(e.name());
  dv1::ProvideTemplatesResponse provided;
  EXPECT_EQ(ErrorReason(docs.Call(&DStub::ProvideTemplates, kConsultant, provide, &provided)),
            "STANDARD_NOT_SUPPORTED");
  dv1::GetStatementOfApplicabilityRequest soa;
  soa.set_name(e.name() + "/statementOfApplicability");
  dv1::StatementOfApplicability statement;
  EXPECT_EQ(
      ErrorReason(docs.Call(&DStub::GetStatementOfApplicability, ClientOf(), soa, &statement)),
      "STANDARD_NOT_SUPPORTED");
  dv1::GetConformityReportRequest report;
  report.set_engagement(e.name());
  dv1::ConformityReport conformity;
  EXPECT_EQ(ErrorReason(docs.Call(&DStub::GetConformityReport, kConsultant, report, &conformity)),
            "STANDARD_NOT_SUPPORTED");
  dv1::RenderSupportSpecificationRequest spec;
  spec.set_engagement(e.name());
  google::api::HttpBody html;
  EXPECT_EQ(ErrorReason(docs.Call(&DStub::RenderSupportSpecification, kConsultant, spec, &html)),
            "STANDARD_NOT_SUPPORTED");
  // Its own documents are kept as for any engagement.
  dv1::Document doc;
  dv1::DocumentVersion v = SubmittedVersion(e, "品質マニュアル", &doc);
  EXPECT_EQ(v.state(), dv1::VERSION_STATE_IN_REVIEW);
}

}  // namespace
}  // namespace certpath::testing
