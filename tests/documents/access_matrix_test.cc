// BOLA for documents: every RPC of certpath.documents.v1.DocumentService
// called by every kind of principal, with engagements, billing and documents
// in process on one real redis-server and a real file directory; documents
// asks engagements over gRPC whether a partner or client sees an engagement.
// A = allowed (any answer but NOT_FOUND / PERMISSION_DENIED / UNAUTHENTICATED),
// N = NOT_FOUND (existence not leaked), D = PERMISSION_DENIED, U = UNAUTHENTICATED.
// The expected cells come from the policy table (services/documents/domain/
// policy.cc) given who sees what, plus the one finer rule of the domain
// (who decides a review or approves the SoA: domain::MayDecide); the
// hand-written matrix below is a second opinion that must agree with it, and
// the service's answers with both.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "certpath/billing/v1/billing.grpc.pb.h"
#include "certpath/documents/v1/documents.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "services/billing/app.h"
#include "services/common/crypto.h"
#include "services/common/policy.h"
#include "services/common/validate.h"
#include "services/documents/app.h"
#include "services/documents/domain/policy.h"
#include "tests/support/access_matrix.h"
#include "tests/support/billing_setup.h"
#include "tests/support/fixtures.h"
#include "tests/support/zip_files.h"

namespace certpath::testing {
namespace {

namespace bv1 = certpath::billing::v1;
namespace dv1 = certpath::documents::v1;
namespace cv1 = certpath::common::v1;
using EStub = v1::EngagementService::Stub;
using DStub = dv1::DocumentService::Stub;
using Docs = TestService<documents::App, dv1::DocumentService>;

const std::string kPdf = "%PDF-1.7\n% ISMSマニュアル 本文編\ntrailer\n%%EOF\n";
const std::string kXlsx = testing::XlsxFile("入退室管理台帳");

// What the calls work on, made by the office admin before the matrix. Every
// object lives on an engagement with partner p1 and the same client company,
// so who sees it is who sees engagement A.
struct Objects {
  std::string engagement;        // A: partner p1, support from 2026-04-01
  std::string document;          // the client's own document on A
  std::string version;           // its version 1 (a PDF draft), read and commented on
  std::string provided_version;  // isms-manual-main's 1.0 provided to A (the template's file)
  std::string form;              // an existing form of A
  std::string soa;               // A's statement of applicability, saved once
  dv1::StatementOfApplicability soa_saved;
  // A new object per call, so every allowed caller finds one in the right state:
  std::function<std::string()> fresh_engagement;  // templates not provided yet
  std::function<std::string()> fresh_document;    // active (ArchiveDocument)
  std::function<std::string()> fresh_draft;       // a DRAFT version (SubmitForReview)
  std::function<std::string()> fresh_in_review;   // an IN_REVIEW version (DecideReview)
  // AWAITING_ACCEPTANCE: on engagement P, whose support ended (AcceptPaidReview).
  std::function<std::string()> fresh_awaiting;
  // Real dead letters of documents' outbox, one per RPC that names one.
  std::string dead_to_get, dead_to_replay, dead_to_discard;
  int next_price = 0;
};

using Caller = access::Caller;

using Call = std::function<absl::Status(Docs&, const Caller&, Objects&)>;

template <typename Req, typename Resp>
absl::Status Do(Docs& s, const Caller& c, Docs::Method<Req, Resp> m, const Req& req) {
  Resp resp;
  return s.Call(m, c.p, req, &resp, c.raw_token);
}

std::map<std::string, Call> Rows() {
  std::map<std::string, Call> r;
  // ---- templates
  r["ListTemplates"] = [](Docs& s, const Caller& c, Objects&) {
    dv1::ListTemplatesRequest req;
    req.set_parent("tenants/t1");
    return Do(s, c, &DStub::ListTemplates, req);
  };
  r["DownloadTemplate"] = [](Docs& s, const Caller& c, Objects&) {
    dv1::DownloadTemplateRequest req;
    req.set_name("tenants/t1/templates/isms-manual-main");
    return Do(s, c, &DStub::DownloadTemplate, req);
  };
  r["CreateTemplateVersion"] = [](Docs& s, const Caller& c, Objects&) {
    dv1::CreateTemplateVersionRequest req;
    req.set_parent("tenants/t1/templates/isms-manual-main");
    req.mutable_file()->set_content_type("application/pdf");
    req.mutable_file()->set_data(kPdf);
    req.set_file_name("ISMSマニュアル(本文編).pdf");
    req.set_change_note("2026年版");
    return Do(s, c, &DStub::CreateTemplateVersion, req);
  };
  r["ProvideTemplates"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::ProvideTemplatesRequest req;
    req.set_engagement(o.fresh_engagement());
    return Do(s, c, &DStub::ProvideTemplates, req);
  };
  // ---- documents
  r["CreateDocument"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::CreateDocumentRequest req;
    req.set_parent(o.engagement);
    req.mutable_document()->set_title("情報資産台帳（自社様式）");
    req.mutable_document()->set_kind(dv1::TEMPLATE_KIND_RECORD_FORM);
    return Do(s, c, &DStub::CreateDocument, req);
  };
  r["GetDocument"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::GetDocumentRequest req;
    req.set_name(o.document);
    return Do(s, c, &DStub::GetDocument, req);
  };
  r["ListDocuments"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::ListDocumentsRequest req;
    req.set_parent(o.engagement);
    return Do(s, c, &DStub::ListDocuments, req);
  };
  r["ArchiveDocument"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::ArchiveDocumentRequest req;
    req.set_name(o.fresh_document());
    req.set_reason("様式を統合したため");
    return Do(s, c, &DStub::ArchiveDocument, req);
  };
  // ---- versions
  r["CreateDocumentVersion"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::CreateDocumentVersionRequest req;
    req.set_parent(o.document);
    req.mutable_file()->set_content_type("application/pdf");
    req.mutable_file()->set_data(kPdf + "改訂");
    req.set_file_name("台帳.pdf");
    req.set_change_note("自社の業務に合わせて修正");
    return Do(s, c, &DStub::CreateDocumentVersion, req);
  };
  r["GetDocumentVersion"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::GetDocumentVersionRequest req;
    req.set_name(o.version);
    return Do(s, c, &DStub::GetDocumentVersion, req);
  };
  r["ListDocumentVersions"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::ListDocumentVersionsRequest req;
    req.set_parent(o.document);
    return Do(s, c, &DStub::ListDocumentVersions, req);
  };
  r["DownloadDocumentVersion"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::DownloadDocumentVersionRequest req;
    req.set_name(o.version);
    return Do(s, c, &DStub::DownloadDocumentVersion, req);
  };
  r["DownloadDocumentVersion.provided"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::DownloadDocumentVersionRequest req;
    req.set_name(o.provided_version);
    return Do(s, c, &DStub::DownloadDocumentVersion, req);
  };
  // ---- reviews
  r["SubmitForReview"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::SubmitForReviewRequest req;
    req.set_name(o.fresh_draft());
    return Do(s, c, &DStub::SubmitForReview, req);
  };
  r["AcceptPaidReview"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::AcceptPaidReviewRequest req;
    req.set_name(o.fresh_awaiting());
    req.set_price_jpy(40'000 + 1'000 * o.next_price++);  // within 30000 … 50000
    req.set_request_id(RandomUuid());
    return Do(s, c, &DStub::AcceptPaidReview, req);
  };
  r["CreateReviewComment"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::CreateReviewCommentRequest req;
    req.set_parent(o.version);
    req.mutable_comment()->set_body("4.3 適用範囲に拠点名を明記してください。");
    req.mutable_comment()->set_section("4.3");
    req.mutable_comment()->set_page(5);
    return Do(s, c, &DStub::CreateReviewComment, req);
  };
  r["ListReviewComments"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::ListReviewCommentsRequest req;
    req.set_parent(o.version);
    return Do(s, c, &DStub::ListReviewComments, req);
  };
  r["DecideReview"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::DecideReviewRequest req;
    req.set_name(o.fresh_in_review());
    req.set_decision(dv1::REVIEW_DECISION_APPROVE);
    return Do(s, c, &DStub::DecideReview, req);
  };
  r["DecideReview.changes"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::DecideReviewRequest req;
    req.set_name(o.fresh_in_review());
    req.set_decision(dv1::REVIEW_DECISION_REQUEST_CHANGES);
    return Do(s, c, &DStub::DecideReview, req);
  };
  // ---- existing forms, conformity
  r["CreateExistingForm"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::CreateExistingFormRequest req;
    req.set_parent(o.engagement);
    req.set_title("入退室管理台帳");
    req.set_file_name("入退室管理台帳.xlsx");
    req.mutable_file()->set_data(kXlsx);
    return Do(s, c, &DStub::CreateExistingForm, req);
  };
  r["ListExistingForms"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::ListExistingFormsRequest req;
    req.set_parent(o.engagement);
    return Do(s, c, &DStub::ListExistingForms, req);
  };
  r["DownloadExistingForm"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::DownloadExistingFormRequest req;
    req.set_name(o.form);
    return Do(s, c, &DStub::DownloadExistingForm, req);
  };
  r["MapExistingForm"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::MapExistingFormRequest req;
    req.set_name(o.form);
    auto* m = req.add_mappings();
    m->set_requirement("A.7.2");
    m->set_verdict(dv1::VERDICT_CONFORMS);
    return Do(s, c, &DStub::MapExistingForm, req);
  };
  r["GetConformityReport"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::GetConformityReportRequest req;
    req.set_engagement(o.engagement);
    return Do(s, c, &DStub::GetConformityReport, req);
  };
  r["ExportConformityReport"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::GetConformityReportRequest req;
    req.set_engagement(o.engagement);
    return Do(s, c, &DStub::ExportConformityReport, req);
  };
  // ---- the statement of applicability
  r["GetStatementOfApplicability"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::GetStatementOfApplicabilityRequest req;
    req.set_name(o.soa);
    return Do(s, c, &DStub::GetStatementOfApplicability, req);
  };
  r["UpdateStatementOfApplicability"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::UpdateStatementOfApplicabilityRequest req;
    *req.mutable_statement() = o.soa_saved;
    req.mutable_statement()->clear_etag();  // no etag: the latest, whoever saved it
    req.mutable_statement()->mutable_controls(0)->set_reason_text(
        absl::StrCat("方針は", c.name, "が確認"));
    return Do(s, c, &DStub::UpdateStatementOfApplicability, req);
  };
  r["ExportStatementOfApplicability"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::ExportStatementOfApplicabilityRequest req;
    req.set_name(o.soa);
    return Do(s, c, &DStub::ExportStatementOfApplicability, req);
  };
  r["ExportStatementOfApplicability.html"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::ExportStatementOfApplicabilityRequest req;
    req.set_name(o.soa);
    req.set_format("html");
    return Do(s, c, &DStub::ExportStatementOfApplicability, req);
  };
  r["ApproveStatementOfApplicability"] = [](Docs& s, const Caller& c, Objects& o) {
    // A change first (an unchanged statement is not approved twice).
    dv1::GetStatementOfApplicabilityRequest get;
    get.set_name(o.soa);
    dv1::StatementOfApplicability soa;
    EXPECT_TRUE(s.Call(&DStub::GetStatementOfApplicability, kAdmin, get, &soa).ok());
    dv1::UpdateStatementOfApplicabilityRequest up;
    *up.mutable_statement() = soa;
    up.mutable_statement()->mutable_controls(0)->set_reason_text(std::string("見直し ") + c.name);
    EXPECT_TRUE(s.Call(&DStub::UpdateStatementOfApplicability, kAdmin, up, &soa).ok());
    dv1::ApproveStatementOfApplicabilityRequest req;
    req.set_name(o.soa);
    return Do(s, c, &DStub::ApproveStatementOfApplicability, req);
  };
  r["RenderSupportSpecification"] = [](Docs& s, const Caller& c, Objects& o) {
    dv1::RenderSupportSpecificationRequest req;
    req.set_engagement(o.engagement);
    return Do(s, c, &DStub::RenderSupportSpecification, req);
  };
  // ---- dead letters, audit trail
  r["ListDeadLetters"] = [](Docs& s, const Caller& c, Objects&) {
    cv1::ListDeadLettersRequest req;
    req.set_parent("tenants/t1/producers/documents");
    return Do(s, c, &DStub::ListDeadLetters, req);
  };
  r["GetDeadLetter"] = [](Docs& s, const Caller& c, Objects& o) {
    cv1::GetDeadLetterRequest req;
    req.set_name(o.dead_to_get);
    return Do(s, c, &DStub::GetDeadLetter, req);
  };
  r["ReplayDeadLetter"] = [](Docs& s, const Caller& c, Objects& o) {
    cv1::ReplayDeadLetterRequest req;
    req.set_name(o.dead_to_replay);
    return Do(s, c, &DStub::ReplayDeadLetter, req);
  };
  r["DiscardDeadLetter"] = [](Docs& s, const Caller& c, Objects& o) {
    cv1::DiscardDeadLetterRequest req;
    req.set_name(o.dead_to_discard);
    req.set_reason("テストのため破棄");
    return Do(s, c, &DStub::DiscardDeadLetter, req);
  };
  r["ListAuditEntries"] = [](Docs& s, const Caller& c, Objects&) {
    cv1::ListAuditEntriesRequest req;
    req.set_parent("tenants/t1/services/documents");
    return Do(s, c, &DStub::ListAuditEntries, req);
  };
  r["VerifyAuditTrail"] = [](Docs& s, const Caller& c, Objects&) {
    cv1::VerifyAuditTrailRequest req;
    req.set_parent("tenants/t1/services/documents");
    return Do(s, c, &DStub::VerifyAuditTrail, req);
  };
  return r;
}

// The RPCs with a finer rule in the domain than the policy table's roles:
// a review is decided, and the SoA approved, only by an office admin (or a
// service), a consultant of the engagement (lead or listed) or a listed
// partner (domain::MayDecide, checked after the object was found visible and
// the role allowed). The client of the engagement sees it but gets
// PERMISSION_DENIED — here the table already refuses ROLE_CLIENT, so the two
// agree for the client; the finer rule is what would refuse a consultant
// not on the engagement.
bool DecidedByTheEngagement(const std::string& method) {
  return method == "DecideReview" || method == "ApproveStatementOfApplicability";
}

// The cell the policy table gives. `sees`: the caller sees engagement A and
// everything on it (office staff of t1, partner p1, A's client); `decides`:
// MayDecide on A for the caller.
char FromPolicy(const std::string& row, const Principal& p, bool sees, bool decides) {
  std::string method = row.substr(0, row.find('.'));
  const RpcRule& rule = documents::domain::DocumentsPolicy().Rule(method);
  if (p.tenant() != "t1") return 'N';  // another tenant: nothing of t1 exists
  bool may = (rule.may & RoleBit(p)) != 0;
  if (rule.scope == Scope::kTenant) return may ? 'A' : 'D';
  // Object scope: a caller who cannot see the object gets NOT_FOUND before any role check.
  if (!sees) return 'N';
  if (!may) return 'D';
  if (DecidedByTheEngagement(method) && !decides) return 'D';
  return 'A';
}

// The matrix by hand. Columns: admin consultant partner-of-it other-partner
// its-client other-client other-tenant no-token forged-token.
const std::map<std::string, std::string>& Want() {
  static const std::map<std::string, std::string> kWant = {
      {"ListTemplates", "AAAAAANUU"},
      {"CreateTemplateVersion", "AADDDDNUU"},
      {"DownloadTemplate", "AADDDDNUU"},
      {"ProvideTemplates", "AADNDNNUU"},
      {"CreateDocument", "AAANANNUU"},
      {"GetDocument", "AAANANNUU"},
      {"ListDocuments", "AAANANNUU"},
      {"ArchiveDocument", "AADNDNNUU"},
      {"CreateDocumentVersion", "AAANANNUU"},
      {"GetDocumentVersion", "AAANANNUU"},
      {"ListDocumentVersions", "AAANANNUU"},
      {"DownloadDocumentVersion", "AAANANNUU"},
      {"DownloadDocumentVersion.provided", "AAANANNUU"},
      {"SubmitForReview", "AAANANNUU"},
      {"AcceptPaidReview", "AADNDNNUU"},
      {"CreateReviewComment", "AAANANNUU"},
      {"ListReviewComments", "AAANANNUU"},
      // Its client sees the version but never decides (D): table and MayDecide.
      {"DecideReview", "AAANDNNUU"},
      {"DecideReview.changes", "AAANDNNUU"},
      {"CreateExistingForm", "AAANANNUU"},
      {"ListExistingForms", "AAANANNUU"},
      {"DownloadExistingForm", "AAANANNUU"},
      {"MapExistingForm", "AADNDNNUU"},
      {"GetConformityReport", "AAANANNUU"},
      {"ExportConformityReport", "AAANANNUU"},
      {"GetStatementOfApplicability", "AAANANNUU"},
      {"UpdateStatementOfApplicability", "AAANANNUU"},
      {"ExportStatementOfApplicability", "AAANANNUU"},
      {"ExportStatementOfApplicability.html", "AAANANNUU"},
      // Its client sees the statement but never approves it (D): table and MayDecide.
      {"ApproveStatementOfApplicability", "AAANDNNUU"},
      {"RenderSupportSpecification", "AAANANNUU"},
      {"ListDeadLetters", "ADDDDDNUU"},
      {"GetDeadLetter", "ADDDDDNUU"},
      {"ReplayDeadLetter", "ADDDDDNUU"},
      {"DiscardDeadLetter", "ADDDDDNUU"},
      {"ListAuditEntries", "ADDDDDNUU"},
      {"VerifyAuditTrail", "ADDDDDNUU"},
  };
  return kWant;
}

TEST(DocumentsAccessMatrix, EveryRpcIsInTheMatrix) {
  const auto* svc = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      dv1::DocumentService::service_full_name());
  ASSERT_NE(svc, nullptr);
  std::vector<std::string> methods;
  for (int i = 0; i < svc->method_count(); ++i) methods.push_back(svc->method(i)->name());
  // Every RPC has a policy row, and the table has no other (documents consumes no events).
  EXPECT_EQ(documents::domain::DocumentsPolicy().Uncovered(methods), std::vector<std::string>{});
  EXPECT_EQ(documents::domain::DocumentsPolicy().rules().size(), methods.size());
  // Every RPC is called below (none is public).
  std::vector<std::string> rows, wanted;
  for (const auto& [row, unused] : Rows()) rows.push_back(row);
  for (const auto& [row, unused] : Want()) wanted.push_back(row);
  access::CheckCoverage(methods, rows, wanted, {});
}

class DocumentsAccess : public ::testing::Test {
 protected:
  // Documents' events for engagements (TemplatesProvided, DocumentApproved)
  // are delivered to billing instead, whose consumer does not handle them and
  // refuses them: real dead letters for the dead-letter RPCs (engagements'
  // checklist is not what this test is about; documents itself serves no
  // EventConsumer, so an event sent to it would wait, not be refused).
  DocumentsAccess()
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
          o.data_dir = data_dir;
          o.engagements_target = eng.target();
          o.billing_target = Local(billing_port);
          o.consumer_targets["engagements"] = Local(billing_port);
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

  // An engagement of `client` with partner p1, support from `support_start`.
  std::string NewEngagement(const std::string& client, google::type::Date support_start) {
    v1::CreateEngagementRequest req = EngagementRequest(client, {"p1"});
    *req.mutable_engagement()->mutable_contract_date() = support_start;
    *req.mutable_engagement()->mutable_support_start() = support_start;
    v1::Engagement e;
    absl::Status s = eng.Call(&EStub::CreateEngagement, kAdmin, req, &e);
    EXPECT_TRUE(s.ok()) << s;
    return e.name();
  }
  std::string NewDocument(const std::string& engagement, const std::string& title) {
    dv1::CreateDocumentRequest req;
    req.set_parent(engagement);
    req.mutable_document()->set_title(title);
    req.mutable_document()->set_kind(dv1::TEMPLATE_KIND_REGULATION);
    dv1::Document d;
    absl::Status s = docs.Call(&DStub::CreateDocument, kAdmin, req, &d);
    EXPECT_TRUE(s.ok()) << s;
    return d.name();
  }
  // A new version of `document` (a PDF), as the admin; submitted when asked.
  std::string NewVersion(const std::string& document, bool submit,
                         dv1::VersionState want = dv1::VERSION_STATE_DRAFT) {
    dv1::CreateDocumentVersionRequest req;
    req.set_parent(document);
    req.mutable_file()->set_content_type("application/pdf");
    req.mutable_file()->set_data(kPdf + RandomHex(4));
    req.set_file_name("規程.pdf");
    req.set_change_note("第2版");
    dv1::DocumentVersion v;
    absl::Status s = docs.Call(&DStub::CreateDocumentVersion, kAdmin, req, &v);
    EXPECT_TRUE(s.ok()) << s;
    if (submit) {
      dv1::SubmitForReviewRequest sub;
      sub.set_name(v.name());
      s = docs.Call(&DStub::SubmitForReview, kAdmin, sub, &v);
      EXPECT_TRUE(s.ok()) << s;
    }
    EXPECT_EQ(v.state(), want) << v.name();
    return v.name();
  }

  RedisServer redis;
  FakeClock clock;
  int billing_port, documents_port;
  std::string data_dir;
  TestService<engagements::App, v1::EngagementService> eng;
  TestService<billing::App, bv1::BillingService> bill;
  Docs docs;
};

TEST_F(DocumentsAccess, EveryRpcEveryPrincipal) {
  // The client and engagement A (partner p1), as the admin.
  v1::CreateClientRequest creq;
  creq.set_parent("tenants/t1");
  creq.mutable_client()->set_display_name("株式会社デモ");
  creq.mutable_client()->add_departments("情報システム部");
  v1::Client client;
  ASSERT_TRUE(eng.Call(&EStub::CreateClient, kAdmin, creq, &client).ok());
  Objects o;
  o.engagement = NewEngagement(client.name(), Day(2026, 4, 1));
  ASSERT_FALSE(o.engagement.empty());
  std::string cid;
  {
    v1::GetEngagementRequest req;
    req.set_name(o.engagement);
    v1::Engagement e;
    ASSERT_TRUE(eng.Call(&EStub::GetEngagement, kAdmin, req, &e).ok());
    cid = std::string(LastSegment(e.client()));
    ASSERT_EQ(cid, LastSegment(client.name()));
    ASSERT_EQ(e.lead_consultant(), kConsultant.subject());
  }
  // Engagement P: support from 2025-01-06, ended 2026-07-06 (the clock is
  // 2026-11-26), so a submitted version awaits a paid review's acceptance.
  const std::string past = NewEngagement(client.name(), Day(2025, 1, 6));
  ASSERT_TRUE(
      AcceptQuoteFor(*bill.stub, kAdmin, past, 900'000).ok());  // the paid review's recipient

  // The office's own content for the main manual, then provided to A: its
  // document's version 1.0 is the template's file.
  {
    dv1::CreateTemplateVersionRequest req;
    req.set_parent("tenants/t1/templates/isms-manual-main");
    req.mutable_file()->set_content_type("application/pdf");
    req.mutable_file()->set_data(kPdf);
    req.set_file_name("ISMSマニュアル(本文編).pdf");
    req.set_change_note("2026年版");
    dv1::TemplateVersion tv;
    absl::Status s = docs.Call(&DStub::CreateTemplateVersion, kAdmin, req, &tv);
    ASSERT_TRUE(s.ok()) << s;
  }
  auto provide = [&](const std::string& engagement) {
    dv1::ProvideTemplatesRequest req;
    req.set_engagement(engagement);
    dv1::ProvideTemplatesResponse resp;
    absl::Status s = docs.Call(&DStub::ProvideTemplates, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp;
  };
  {
    dv1::ProvideTemplatesResponse provided = provide(o.engagement);
    ASSERT_EQ(provided.documents_size(), 1);  // the templates with content
    ASSERT_EQ(provided.documents(0).template_code(), "isms-manual-main");
    o.provided_version = provided.documents(0).name() + "/versions/1";
  }
  // The client's own document with a draft, one for reviews, one on P.
  o.document = NewDocument(o.engagement, "情報資産台帳（自社様式）");
  o.version = NewVersion(o.document, false);
  const std::string for_reviews = NewDocument(o.engagement, "アクセス制御規程");
  const std::string paid = NewDocument(past, "ISMSマニュアル(本文編) 改訂");
  o.fresh_engagement = [&] { return NewEngagement(client.name(), Day(2026, 4, 1)); };
  o.fresh_document = [&] { return NewDocument(o.engagement, "旧様式"); };
  o.fresh_draft = [&] { return NewVersion(for_reviews, false); };
  o.fresh_in_review = [&] { return NewVersion(for_reviews, true, dv1::VERSION_STATE_IN_REVIEW); };
  o.fresh_awaiting = [&] { return NewVersion(paid, true, dv1::VERSION_STATE_AWAITING_ACCEPTANCE); };
  {
    dv1::CreateExistingFormRequest req;
    req.set_parent(o.engagement);
    req.set_title("入退室管理台帳");
    req.set_file_name("入退室管理台帳.xlsx");
    req.mutable_file()->set_data(kXlsx);
    dv1::ExistingForm f;
    absl::Status s = docs.Call(&DStub::CreateExistingForm, kAdmin, req, &f);
    ASSERT_TRUE(s.ok()) << s;
    o.form = f.name();
  }
  // The statement saved once with its 93 default rows (approval refuses an unsaved one).
  o.soa = o.engagement + "/statementOfApplicability";
  {
    dv1::GetStatementOfApplicabilityRequest get;
    get.set_name(o.soa);
    dv1::StatementOfApplicability soa;
    ASSERT_TRUE(docs.Call(&DStub::GetStatementOfApplicability, kAdmin, get, &soa).ok());
    ASSERT_EQ(soa.controls_size(), 93);
    dv1::UpdateStatementOfApplicabilityRequest up;
    *up.mutable_statement() = soa;
    absl::Status s = docs.Call(&DStub::UpdateStatementOfApplicability, kAdmin, up, &o.soa_saved);
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(o.soa_saved.etag(), "1");
  }
  // Dead letters: the templates provided to two more engagements; each
  // TemplatesProvided refused (one dead letter per subject; A's is the third).
  provide(NewEngagement(client.name(), Day(2026, 4, 1)));
  provide(NewEngagement(client.name(), Day(2026, 4, 1)));
  {
    cv1::ListDeadLettersRequest req;
    req.set_parent("tenants/t1/producers/documents");
    cv1::ListDeadLettersResponse resp;
    for (int i = 0; i < 400; ++i) {
      resp.Clear();
      ASSERT_TRUE(docs.Call(&DStub::ListDeadLetters, kAdmin, req, &resp).ok());
      if (resp.dead_letters_size() >= 3) break;
      absl::SleepFor(absl::Milliseconds(25));
    }
    ASSERT_GE(resp.dead_letters_size(), 3);
    o.dead_to_get = resp.dead_letters(0).name();
    o.dead_to_replay = resp.dead_letters(1).name();
    o.dead_to_discard = resp.dead_letters(2).name();
  }

  const std::vector<Caller> callers = access::NineCallers(cid, clock);
  // Who sees engagement A and what is on it: office staff, the partner on it, its client.
  const bool sees[] = {true, true, true, false, true, false, false, false, false};
  // MayDecide on A: an office admin, its lead consultant (kenji@office), partner p1.
  const bool decides[] = {true, true, true, false, false, false, false, false, false};

  auto rows = Rows();
  ASSERT_EQ(rows.size(), Want().size());
  std::map<std::string, std::string> got_matrix;
  for (auto& [row, call] : rows) {
    std::string expected;
    for (size_t i = 0; i < std::size(callers); ++i) {
      expected += callers[i].raw_token ? 'U' : FromPolicy(row, callers[i].p, sees[i], decides[i]);
    }
    ASSERT_TRUE(Want().count(row)) << row;
    EXPECT_EQ(expected, Want().at(row))
        << row << ": the policy table and the hand-written matrix disagree";
    got_matrix[row] =
        access::RunRow(row, callers, expected, [&](const Caller& c) { return call(docs, c, o); });
  }
  access::PrintMatrix(got_matrix, Want());
}

}  // namespace
}  // namespace certpath::testing
