// Documents over their life, on the fixture of documents_fixture.h: uploads
// and other creates retried with their request_id, files damaged or gone on
// disk, the paid review after the support period (billed once, or declined),
// archiving with a review waiting, and the gauges the review alert watches.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/validate.h"
#include "tests/documents/documents_fixture.h"

namespace certpath::testing {
namespace {

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

  dv1::Document doc;
  dv1::DocumentVersion v = SubmittedVersion(e, "情報セキュリティ基本方針", &doc);
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
  ASSERT_TRUE(AcceptQuoteFor(*bill.stub, kAdmin, e.name(), 900'000).ok());
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
  bv1::ListBillingEventsResponse events = WaitBillingEvents(e.name());
  bv1::ListBillingEventsRequest lreq;
  lreq.set_parent("tenants/t1");
  lreq.set_engagement(e.name());
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

// The gauges the five-day review alert watches, scraped from /metrics of a
// second replica on the same Redis and file directory.
TEST_F(DocumentsTest, GaugesCountDocumentsWaitingReviewsAndBytes) {
  v1::Engagement e = NewEngagement();
  dv1::Document doc;
  dv1::DocumentVersion v = SubmittedVersion(e, "情報セキュリティ基本方針", &doc);
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

// A report counts every form, however many pages of them there are (it read
// the first 500 and said nothing of the rest).
TEST_F(DocumentsTest, AConformityReportCountsFormsBeyondOnePage) {
  v1::Engagement e = NewEngagement();
  dv1::CreateExistingFormRequest cf;
  cf.set_parent(e.name());
  cf.set_title("点検記録");
  cf.set_file_name("点検記録.csv");
  cf.mutable_file()->set_content_type("text/csv");
  dv1::ExistingForm form;
  for (int i = 0; i < 501; ++i) {
    cf.mutable_file()->set_data(absl::StrCat("番号,点検\n", i, ",済\n"));
    ASSERT_TRUE(docs.Call(&DStub::CreateExistingForm, ClientOf(), cf, &form).ok()) << i;
  }
  dv1::MapExistingFormRequest map;  // the last one, on the second page
  map.set_name(form.name());
  auto* m = map.add_mappings();
  m->set_requirement("A.7.2");
  m->set_verdict(dv1::VERDICT_CONFORMS);
  ASSERT_TRUE(docs.Call(&DStub::MapExistingForm, kConsultant, map, &form).ok());
  dv1::GetConformityReportRequest rr;
  rr.set_engagement(e.name());
  dv1::ConformityReport report;
  ASSERT_TRUE(docs.Call(&DStub::GetConformityReport, kConsultant, rr, &report).ok());
  EXPECT_EQ(report.forms(), 501);
  EXPECT_EQ(report.covered(), 1);
}

// A paid review is billed to the recipient of the engagement's accepted
// quote: without one it is not accepted (it was, and its billing event waited
// as a dead letter).
TEST_F(DocumentsTest, APaidReviewNeedsAnAcceptedQuote) {
  v1::Engagement e = NewEngagement(Day(2025, 1, 6));  // support ended 2026-07-06
  dv1::Document doc;
  // The longest title a document takes: billing's line names it within its own limit.
  std::string title = "ISMSマニュアル 改訂";
  while (CodePoints(title) < 200) title += "版";
  dv1::DocumentVersion v = SubmittedVersion(e, title, &doc);
  ASSERT_EQ(v.state(), dv1::VERSION_STATE_AWAITING_ACCEPTANCE);
  dv1::AcceptPaidReviewRequest accept;
  accept.set_name(v.name());
  accept.set_price_jpy(40'000);
  dv1::DocumentVersion out;
  EXPECT_EQ(ErrorReason(docs.Call(&DStub::AcceptPaidReview, kConsultant, accept, &out)),
            "NO_ACCEPTED_QUOTE");
  ASSERT_TRUE(AcceptQuoteFor(*bill.stub, kAdmin, e.name(), 900'000).ok());
  ASSERT_TRUE(docs.Call(&DStub::AcceptPaidReview, kConsultant, accept, &out).ok());
  bv1::ListBillingEventsResponse events = WaitBillingEvents(e.name());
  ASSERT_EQ(events.billing_events_size(), 1);  // billed, not a dead letter
  ASSERT_EQ(events.billing_events(0).lines_size(), 1);
  EXPECT_EQ(CodePoints(events.billing_events(0).lines(0).description()), 200u);
}

}  // namespace
// A terminated engagement (the contract ended) gets no new documents, from
// the office or the client.
TEST_F(DocumentsTest, ATerminatedEngagementGetsNoNewDocuments) {
  v1::Engagement e = NewEngagement();
  v1::TerminateEngagementRequest term;
  term.set_name(e.name());
  term.set_reason("クライアント都合による契約解除");
  ASSERT_TRUE(eng.Call(&EStub::TerminateEngagement, kAdmin, term, &e).ok());
  for (const Principal& p : {kAdmin, ClientOf()}) {
    dv1::CreateDocumentRequest cd;
    cd.set_parent(e.name());
    cd.mutable_document()->set_title("情報セキュリティ方針");
    dv1::Document doc;
    EXPECT_EQ(ErrorReason(docs.Call(&DStub::CreateDocument, p, cd, &doc)), "ENGAGEMENT_NOT_ACTIVE")
        << p.subject();
  }
  dv1::ProvideTemplatesRequest pt;
  pt.set_engagement(e.name());
  dv1::ProvideTemplatesResponse provided;
  EXPECT_EQ(ErrorReason(docs.Call(&DStub::ProvideTemplates, kAdmin, pt, &provided)),
            "ENGAGEMENT_NOT_ACTIVE");
  // An office caller naming an engagement that does not exist: NOT_FOUND still.
  dv1::CreateDocumentRequest none;
  none.set_parent("tenants/t1/engagements/nope");
  none.mutable_document()->set_title("x");
  dv1::Document doc;
  EXPECT_EQ(docs.Call(&DStub::CreateDocument, kAdmin, none, &doc).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace certpath::testing
