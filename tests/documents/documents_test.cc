// The documents service with engagements and billing, all in process over
// real gRPC on one real redis-server and a real file directory: templates
// uploaded and provided, versions uploaded, reviewed, approved (the checklist
// tasks done by events), downloads verified, bad files refused, access, and
// the paid review after the support period billed once.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "certpath/billing/v1/billing.grpc.pb.h"
#include "certpath/documents/v1/documents.grpc.pb.h"
#include "services/billing/app.h"
#include "services/common/crypto.h"
#include "services/common/validate.h"
#include "services/documents/app.h"
#include "tests/support/billing_setup.h"
#include "tests/support/fixtures.h"
#include "tests/support/zip_files.h"

namespace certpath::testing {
namespace {

namespace bv1 = certpath::billing::v1;
namespace dv1 = certpath::documents::v1;
using EStub = v1::EngagementService::Stub;
using BStub = bv1::BillingService::Stub;
using DStub = dv1::DocumentService::Stub;

const std::string kPdf = "%PDF-1.7\n% ISMSマニュアル 本文編\ntrailer\n%%EOF\n";
const std::string kDocx = testing::DocxFile("ISMSマニュアル 第2版");
const Principal kPartner = MakePrincipal(Principal::ROLE_PARTNER, "sato@partner", "p1");
const Principal kOtherPartner = MakePrincipal(Principal::ROLE_PARTNER, "ito@other", "p2");

class DocumentsTest : public ::testing::Test {
 protected:
  DocumentsTest()
      : clock(DefaultNow()),
        billing_port(FreePort()),
        documents_port(FreePort()),
        data_dir(redis.dir() + "/files"),
        eng(redis, clock,
            [this](engagements::AppOptions& o) {
              o.consumer_targets["billing"] = Local(billing_port);
              o.relay_poll_interval = absl::Milliseconds(100);
            }),
        bill(redis, clock,
             [this](billing::AppOptions& o) {
               o.host.server.listen = Local(billing_port);
               o.engagements_target = eng.target();
             }),
        docs(redis, clock, [this](documents::AppOptions& o) {
          o.host.server.listen = Local(documents_port);
          o.host.metrics_listen = "127.0.0.1:0";
          o.data_dir = data_dir;
          o.engagements_target = eng.target();
          o.billing_target = Local(billing_port);
          o.consumer_targets["engagements"] = eng.target();
          o.consumer_targets["billing"] = Local(billing_port);
          o.relay_poll_interval = absl::Milliseconds(100);
        }) {
    eng.Start();
    bill.Start();
    docs.Start();
    EXPECT_TRUE(eng.ready() && bill.ready() && docs.ready());
    EXPECT_TRUE(SetUpIssuer(*bill.stub, kAdmin, false).ok());
  }
  static std::string Local(int port) { return absl::StrCat("127.0.0.1:", port); }

  v1::Engagement NewEngagement(google::type::Date support_start = Day(2026, 4, 1)) {
    client = MakeClientVia();
    v1::CreateEngagementRequest req = EngagementRequest(client.name(), {"p1"});
    *req.mutable_engagement()->mutable_contract_date() = support_start;
    *req.mutable_engagement()->mutable_support_start() = support_start;
    v1::Engagement e;
    EXPECT_TRUE(eng.Call(&EStub::CreateEngagement, kAdmin, req, &e).ok());
    return e;
  }
  v1::Client MakeClientVia() {
    v1::CreateClientRequest req;
    req.set_parent("tenants/t1");
    req.mutable_client()->set_display_name("株式会社デモ");
    v1::Client c;
    EXPECT_TRUE(eng.Call(&EStub::CreateClient, kAdmin, req, &c).ok());
    return c;
  }
  Principal ClientOf() const {
    return MakePrincipal(Principal::ROLE_CLIENT, "yamada@client",
                         std::string(LastSegment(client.name())));
  }
  absl::Status Upload(const Principal& p, const std::string& document, const std::string& name,
                      const std::string& type, const std::string& data, dv1::DocumentVersion* out,
                      bool major = false) {
    dv1::CreateDocumentVersionRequest req;
    req.set_parent(document);
    req.mutable_file()->set_content_type(type);
    req.mutable_file()->set_data(data);
    req.set_file_name(name);
    req.set_change_note("自社の業務に合わせて修正");
    req.set_major(major);
    return docs.Call(&DStub::CreateDocumentVersion, p, req, out);
  }
  dv1::DocumentVersion Act(const Principal& p, const std::string& version, const char* what,
                           dv1::ReviewDecision decision = dv1::REVIEW_DECISION_UNSPECIFIED) {
    dv1::DocumentVersion out;
    absl::Status s;
    if (std::string(what) == "submit") {
      dv1::SubmitForReviewRequest req;
      req.set_name(version);
      s = docs.Call(&DStub::SubmitForReview, p, req, &out);
    } else {
      dv1::DecideReviewRequest req;
      req.set_name(version);
      req.set_decision(decision);
      s = docs.Call(&DStub::DecideReview, p, req, &out);
    }
    EXPECT_TRUE(s.ok()) << what << ": " << s;
    return out;
  }
  bool TaskDone(const std::string& engagement, const std::string& task_id) {
    v1::ListTasksRequest req;
    req.set_parent(engagement);
    v1::ListTasksResponse resp;
    EXPECT_TRUE(eng.Call(&EStub::ListTasks, kAdmin, req, &resp).ok());
    for (const auto& t : resp.tasks()) {
      if (t.task_id() == task_id && t.status() == v1::TASK_STATUS_DONE) return true;
    }
    return false;
  }
  bool WaitTask(const std::string& engagement, const std::string& task_id) {
    for (int i = 0; i < 200; ++i) {
      if (TaskDone(engagement, task_id)) return true;
      absl::SleepFor(absl::Milliseconds(25));
    }
    return false;
  }

  RedisServer redis;
  FakeClock clock;
  int billing_port, documents_port;
  std::string data_dir;
  v1::Client client;
  TestService<engagements::App, v1::EngagementService> eng;
  TestService<billing::App, bv1::BillingService> bill;
  TestService<documents::App, dv1::DocumentService> docs;
};

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

TEST_F(DocumentsTest, AnUploadRetriedWithItsRequestIdMakesOneVersion) {
  v1::Engagement e = NewEngagement();
  dv1::CreateDocumentRequest cd;
  cd.set_parent(e.name());
  cd.mutable_document()->set_title("資産台帳");
  dv1::Document doc;
  ASSERT_TRUE(docs.Call(&DStub::CreateDocument, ClientOf(), cd, &doc).ok());
  dv1::CreateDocumentVersionRequest req;
  req.set_parent(doc.name());
  req.mutable_file()->set_content_type("text/csv");
  req.mutable_file()->set_data("番号,資産名\n1,サーバ\n");
  req.set_file_name("資産台帳.csv");
  req.set_request_id("5d0c3a1e-7c2d-4e5f-9a8b-1c2d3e4f5a6b");
  dv1::DocumentVersion first, again, other;
  ASSERT_TRUE(docs.Call(&DStub::CreateDocumentVersion, ClientOf(), req, &first).ok());
  ASSERT_TRUE(docs.Call(&DStub::CreateDocumentVersion, ClientOf(), req, &again).ok());
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(first.file().sha256(), HexEncode(Sha256(req.file().data())));
  // The same request_id with other bytes (or another file name) is another request.
  req.mutable_file()->set_data("番号,資産名\n1,ルータ\n");
  absl::Status reused = docs.Call(&DStub::CreateDocumentVersion, ClientOf(), req, &other);
  EXPECT_EQ(reused.code(), absl::StatusCode::kInvalidArgument) << reused;
  req.mutable_file()->set_data("番号,資産名\n1,サーバ\n");
  req.set_file_name("別名.csv");
  EXPECT_EQ(docs.Call(&DStub::CreateDocumentVersion, ClientOf(), req, &other).code(),
            absl::StatusCode::kInvalidArgument);
  dv1::GetDocumentRequest gd;
  gd.set_name(doc.name());
  ASSERT_TRUE(docs.Call(&DStub::GetDocument, ClientOf(), gd, &doc).ok());
  EXPECT_EQ(doc.version_count(), 1);
  dv1::DownloadDocumentVersionRequest dl;
  dl.set_name(first.name());
  google::api::HttpBody body;
  ASSERT_TRUE(docs.Call(&DStub::DownloadDocumentVersion, ClientOf(), dl, &body).ok());
  EXPECT_EQ(body.data(), "番号,資産名\n1,サーバ\n");
  // Damaged on disk (same size), then gone: never served, each said as it is;
  // the same file uploaded again puts it back for the version naming it.
  std::string sha = first.file().sha256();
  std::string stored =
      absl::StrCat(data_dir, "/", kAdmin.tenant(), "/", sha.substr(0, 2), "/", sha);
  std::string damaged = body.data();
  damaged[0] = 'X';
  std::ofstream(stored, std::ios::binary | std::ios::trunc) << damaged;
  absl::Status corrupt = docs.Call(&DStub::DownloadDocumentVersion, ClientOf(), dl, &body);
  EXPECT_EQ(corrupt.code(), absl::StatusCode::kDataLoss) << corrupt;
  EXPECT_TRUE(absl::StrContains(corrupt.message(), "does not match")) << corrupt;
  ASSERT_EQ(::unlink(stored.c_str()), 0);
  absl::Status missing = docs.Call(&DStub::DownloadDocumentVersion, ClientOf(), dl, &body);
  EXPECT_EQ(missing.code(), absl::StatusCode::kDataLoss) << missing;
  EXPECT_TRUE(absl::StrContains(missing.message(), "missing")) << missing;
  req.set_request_id("");
  ASSERT_TRUE(docs.Call(&DStub::CreateDocumentVersion, ClientOf(), req, &other).ok());
  ASSERT_TRUE(docs.Call(&DStub::DownloadDocumentVersion, ClientOf(), dl, &body).ok());
  EXPECT_EQ(body.data(), "番号,資産名\n1,サーバ\n");
}

// The other creates a client or the office may retry: an existing form, a
// template version, a review comment — each made once per request_id.
TEST_F(DocumentsTest, FormsTemplateVersionsAndCommentsRetriedWithTheirRequestIdAreMadeOnce) {
  v1::Engagement e = NewEngagement();
  dv1::CreateExistingFormRequest cf;
  cf.set_parent(e.name());
  cf.set_title("入退室管理簿");
  cf.mutable_file()->set_content_type("text/csv");
  cf.mutable_file()->set_data("日付,氏名\n");
  cf.set_file_name("入退室管理簿.csv");
  cf.set_request_id("6a1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  dv1::ExistingForm form, form_again;
  ASSERT_TRUE(docs.Call(&DStub::CreateExistingForm, ClientOf(), cf, &form).ok());
  ASSERT_TRUE(docs.Call(&DStub::CreateExistingForm, ClientOf(), cf, &form_again).ok());
  EXPECT_EQ(form_again.name(), form.name());
  dv1::ListExistingFormsRequest lf;
  lf.set_parent(e.name());
  dv1::ListExistingFormsResponse forms;
  ASSERT_TRUE(docs.Call(&DStub::ListExistingForms, ClientOf(), lf, &forms).ok());
  EXPECT_EQ(forms.forms_size(), 1);
  cf.mutable_file()->set_data("日付,氏名,会社\n");  // other bytes: another request
  EXPECT_EQ(docs.Call(&DStub::CreateExistingForm, ClientOf(), cf, &form_again).code(),
            absl::StatusCode::kInvalidArgument);

  dv1::CreateTemplateVersionRequest tv;
  tv.set_parent("tenants/t1/templates/annual-plan");
  tv.mutable_file()->set_content_type("application/pdf");
  tv.mutable_file()->set_data(kPdf);
  tv.set_file_name("年間計画.pdf");
  tv.set_change_note("2027年度");
  tv.set_request_id("7a1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  dv1::TemplateVersion t1, t2;
  ASSERT_TRUE(docs.Call(&DStub::CreateTemplateVersion, kConsultant, tv, &t1).ok());
  ASSERT_TRUE(docs.Call(&DStub::CreateTemplateVersion, kConsultant, tv, &t2).ok());
  EXPECT_EQ(t2.name(), t1.name());
  EXPECT_EQ(t2.number(), 1);  // not a second version

  dv1::CreateDocumentRequest cd;
  cd.set_parent(e.name());
  cd.mutable_document()->set_title("情報セキュリティ基本方針");
  dv1::Document doc;
  ASSERT_TRUE(docs.Call(&DStub::CreateDocument, ClientOf(), cd, &doc).ok());
  dv1::DocumentVersion v;
  ASSERT_TRUE(Upload(ClientOf(), doc.name(), "policy.pdf", "application/pdf", kPdf, &v).ok());
  Act(ClientOf(), v.name(), "submit");
  dv1::CreateReviewCommentRequest cr;
  cr.set_parent(v.name());
  cr.mutable_comment()->set_body("第2条の適用範囲を見直してください。");
  cr.set_request_id("8a1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  dv1::ReviewComment c1, c2;
  ASSERT_TRUE(docs.Call(&DStub::CreateReviewComment, kConsultant, cr, &c1).ok());
  ASSERT_TRUE(docs.Call(&DStub::CreateReviewComment, kConsultant, cr, &c2).ok());
  EXPECT_EQ(c2.name(), c1.name());
  dv1::ListReviewCommentsRequest lc;
  lc.set_parent(v.name());
  dv1::ListReviewCommentsResponse comments;
  ASSERT_TRUE(docs.Call(&DStub::ListReviewComments, kConsultant, lc, &comments).ok());
  EXPECT_EQ(comments.comments_size(), 1);
  cr.set_request_id("not-a-uuid");
  EXPECT_EQ(docs.Call(&DStub::CreateReviewComment, kConsultant, cr, &c2).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DocumentsTest, AfterSupportAReviewIsPaidAndBilledOnce) {
  // Support from 2025-01-06: it ended on 2026-07-06 (the clock is 2026-11-26).
  v1::Engagement e = NewEngagement(Day(2025, 1, 6));
  // The invoice's recipient: the engagement's accepted quote.
  bv1::CreateQuoteRequest q;
  q.set_parent("tenants/t1");
  q.mutable_quote()->set_engagement(e.name());
  q.mutable_quote()->set_recipient_name("株式会社デモ");
  *q.mutable_quote()->mutable_valid_until() = Day(2026, 12, 31);
  auto* line = q.mutable_quote()->add_lines();
  line->set_kind(bv1::LINE_KIND_CONSULTING_FEE);
  line->set_description("構築支援");
  line->set_quantity(1);
  line->set_unit_price_jpy(900'000);
  bv1::Quote quote;
  ASSERT_TRUE(bill.Call(&BStub::CreateQuote, kAdmin, q, &quote).ok());
  bv1::QuoteActionRequest act;
  act.set_name(quote.name());
  ASSERT_TRUE(bill.Call(&BStub::SendQuote, kAdmin, act, &quote).ok());
  ASSERT_TRUE(bill.Call(&BStub::AcceptQuote, kAdmin, act, &quote).ok());
  dv1::CreateDocumentRequest cd;
  cd.set_parent(e.name());
  cd.mutable_document()->set_title("ISMSマニュアル(本文編) 改訂");
  dv1::Document doc;
  ASSERT_TRUE(docs.Call(&DStub::CreateDocument, ClientOf(), cd, &doc).ok());
  dv1::DocumentVersion v;
  ASSERT_TRUE(Upload(ClientOf(), doc.name(), "manual.pdf", "application/pdf", kPdf, &v).ok());
  EXPECT_EQ(Act(ClientOf(), v.name(), "submit").state(), dv1::VERSION_STATE_AWAITING_ACCEPTANCE);
  // Not reviewable until the office accepts it at a price in the price list's range.
  dv1::DecideReviewRequest dr;
  dr.set_name(v.name());
  dr.set_decision(dv1::REVIEW_DECISION_APPROVE);
  dv1::DocumentVersion out;
  EXPECT_EQ(docs.Call(&DStub::DecideReview, kConsultant, dr, &out).code(),
            absl::StatusCode::kFailedPrecondition);
  dv1::AcceptPaidReviewRequest accept;
  accept.set_name(v.name());
  accept.set_price_jpy(80'000);
  accept.set_request_id("0b3f6a1e-7c2d-4e5f-9a8b-1c2d3e4f5a6b");
  absl::Status s = docs.Call(&DStub::AcceptPaidReview, kConsultant, accept, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "30000 … 50000")) << s;
  EXPECT_EQ(docs.Call(&DStub::AcceptPaidReview, ClientOf(), accept, &out).code(),
            absl::StatusCode::kPermissionDenied);
  accept.set_price_jpy(40'000);
  accept.set_request_id("1b3f6a1e-7c2d-4e5f-9a8b-1c2d3e4f5a6b");
  ASSERT_TRUE(docs.Call(&DStub::AcceptPaidReview, kConsultant, accept, &out).ok());
  EXPECT_EQ(out.state(), dv1::VERSION_STATE_IN_REVIEW);
  EXPECT_TRUE(out.billable_review());
  // A retry of the same acceptance is the same answer, not a second charge.
  ASSERT_TRUE(docs.Call(&DStub::AcceptPaidReview, kConsultant, accept, &out).ok());
  dv1::DocumentVersion decided = Act(kConsultant, v.name(), "decide", dv1::REVIEW_DECISION_APPROVE);
  ASSERT_EQ(decided.reviews_size(), 1);
  EXPECT_TRUE(decided.reviews(0).billable());
  EXPECT_EQ(decided.reviews(0).price_jpy(), 40'000);
  // Billing: exactly one POST_CONTRACT_DOCUMENT_REVIEW event at that price.
  bv1::ListBillingEventsRequest lreq;
  lreq.set_parent("tenants/t1");
  lreq.set_engagement(e.name());
  bv1::ListBillingEventsResponse events;
  for (int i = 0; i < 200 && events.billing_events_size() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(25));
    ASSERT_TRUE(bill.Call(&BStub::ListBillingEvents, kAdmin, lreq, &events).ok());
  }
  absl::SleepFor(absl::Milliseconds(400));
  events.Clear();
  ASSERT_TRUE(bill.Call(&BStub::ListBillingEvents, kAdmin, lreq, &events).ok());
  ASSERT_EQ(events.billing_events_size(), 1);
  EXPECT_EQ(events.billing_events(0).kind(), bv1::BILLING_EVENT_KIND_POST_CONTRACT_DOCUMENT_REVIEW);
  ASSERT_EQ(events.billing_events(0).lines_size(), 1);
  EXPECT_EQ(events.billing_events(0).lines(0).unit_price_jpy(), 40'000);
  EXPECT_EQ(events.billing_events(0).recipient_name(), "株式会社デモ");

  // The office may decline a paid review request: back to a draft, nothing billed.
  dv1::DocumentVersion v2;
  ASSERT_TRUE(
      Upload(ClientOf(), doc.name(), "manual-2.pdf", "application/pdf", kPdf + "%2", &v2).ok());
  EXPECT_EQ(Act(ClientOf(), v2.name(), "submit").state(), dv1::VERSION_STATE_AWAITING_ACCEPTANCE);
  dr.set_name(v2.name());
  dr.set_decision(dv1::REVIEW_DECISION_DECLINE);
  EXPECT_EQ(docs.Call(&DStub::DecideReview, ClientOf(), dr, &out).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(docs.Call(&DStub::DecideReview, kConsultant, dr, &out).ok());
  EXPECT_EQ(out.state(), dv1::VERSION_STATE_DRAFT);
  ASSERT_EQ(out.reviews_size(), 1);
  EXPECT_EQ(out.reviews(0).decision(), dv1::REVIEW_DECISION_DECLINE);
  EXPECT_FALSE(out.reviews(0).billable());
  // Submitted again, then its document archived: the request goes with it
  // (it would wait, and alert, for ever).
  EXPECT_EQ(Act(ClientOf(), v2.name(), "submit").state(), dv1::VERSION_STATE_AWAITING_ACCEPTANCE);
  dv1::ArchiveDocumentRequest ar;
  ar.set_name(doc.name());
  ar.set_reason("改訂を取りやめ");
  ASSERT_TRUE(docs.Call(&DStub::ArchiveDocument, kConsultant, ar, &doc).ok());
  dv1::GetDocumentVersionRequest gv;
  gv.set_name(v2.name());
  ASSERT_TRUE(docs.Call(&DStub::GetDocumentVersion, kConsultant, gv, &out).ok());
  EXPECT_EQ(out.state(), dv1::VERSION_STATE_DRAFT);
  absl::SleepFor(absl::Milliseconds(300));
  events.Clear();
  ASSERT_TRUE(bill.Call(&BStub::ListBillingEvents, kAdmin, lreq, &events).ok());
  EXPECT_EQ(events.billing_events_size(), 1);
  // Every producer counts what it publishes (documents did not).
  std::string metrics = HttpGet(docs.metrics_port(), "/metrics");
  EXPECT_TRUE(absl::StrContains(
      metrics,
      "certpath_events_published_total{type=\"certpath.documents.v1.PaidReviewAccepted\"} 1"))
      << metrics;
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

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

// The gauges the five-day review alert watches, scraped from /metrics of a
// second replica on the same Redis and file directory.
TEST_F(DocumentsTest, GaugesCountDocumentsWaitingReviewsAndBytes) {
  v1::Engagement e = NewEngagement();
  dv1::CreateDocumentRequest cd;
  cd.set_parent(e.name());
  cd.mutable_document()->set_title("情報セキュリティ基本方針");
  dv1::Document doc;
  ASSERT_TRUE(docs.Call(&DStub::CreateDocument, ClientOf(), cd, &doc).ok());
  dv1::DocumentVersion v;
  ASSERT_TRUE(Upload(ClientOf(), doc.name(), "policy.pdf", "application/pdf", kPdf, &v).ok());
  Act(ClientOf(), v.name(), "submit");
  clock.Advance(absl::Hours(24 * 6));  // six days waiting
  TestService<documents::App, dv1::DocumentService> replica(
      redis, clock, [this](documents::AppOptions& o) {
        o.host.metrics_listen = "127.0.0.1:0";
        o.data_dir = data_dir;
        o.engagements_target = eng.target();
        o.billing_target = Local(billing_port);
      });
  replica.Start();
  ASSERT_TRUE(replica.ready());
  std::string body;
  auto has = [&](const std::string& line) { return absl::StrContains(body, line); };
  const std::vector<std::string> want = {
      "certpath_documents{state=\"ACTIVE\"} 1", "certpath_document_reviews_waiting 1",
      "certpath_document_review_oldest_wait_seconds 518400",
      absl::StrCat("certpath_document_bytes_stored ", kPdf.size())};
  for (int i = 0; i < 100; ++i) {
    body = HttpGet(replica.metrics_port(), "/metrics");
    if (std::all_of(want.begin(), want.end(), has)) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  for (const auto& w : want) EXPECT_TRUE(has(w)) << w << "\n" << body;
  // An upload counts at the next refresh (the gauge stayed at its start-up
  // count until the ten-minute sweep).
  const std::string second = "第二版の方針\n";
  dv1::CreateDocumentVersionRequest up;
  up.set_parent(doc.name());
  up.mutable_file()->set_content_type("text/plain");
  up.mutable_file()->set_data(second);
  up.set_file_name("policy.txt");
  ASSERT_TRUE(replica.Call(&DStub::CreateDocumentVersion, ClientOf(), up, &v).ok());
  std::string bytes = absl::StrCat("certpath_document_bytes_stored ", kPdf.size() + second.size());
  for (int i = 0; i < 100 && !absl::StrContains(body, bytes); ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    body = HttpGet(replica.metrics_port(), "/metrics");
  }
  EXPECT_TRUE(absl::StrContains(body, bytes)) << bytes << "\n" << body;
  replica.Stop();
}

}  // namespace
}  // namespace certpath::testing
