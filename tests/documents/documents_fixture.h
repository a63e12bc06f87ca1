#pragma once
// The documents service with engagements and billing, all in process over
// real gRPC on one real redis-server and a real file directory (the fixture
// of documents_test.cc and documents_lifecycle_test.cc).

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "certpath/billing/v1/billing.grpc.pb.h"
#include "certpath/documents/v1/documents.grpc.pb.h"
#include "services/billing/app.h"
#include "services/common/validate.h"
#include "services/documents/app.h"
#include "tests/support/billing_setup.h"
#include "tests/support/fixtures.h"
#include "tests/support/zip_files.h"

namespace certpath::testing {

namespace bv1 = certpath::billing::v1;
namespace dv1 = certpath::documents::v1;
using EStub = v1::EngagementService::Stub;
using BStub = bv1::BillingService::Stub;
using DStub = dv1::DocumentService::Stub;

inline const std::string kPdf = "%PDF-1.7\n% ISMSマニュアル 本文編\ntrailer\n%%EOF\n";
inline const std::string kDocx = testing::DocxFile("ISMSマニュアル 第2版");
inline const Principal kPartner = MakePrincipal(Principal::ROLE_PARTNER, "sato@partner", "p1");
inline const Principal kOtherPartner = MakePrincipal(Principal::ROLE_PARTNER, "ito@other", "p2");

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

  v1::Engagement NewEngagement(google::type::Date support_start = Day(2026, 4, 1),
                               const std::string& standard = "") {
    client = MakeClientVia();
    v1::CreateEngagementRequest req = EngagementRequest(client.name(), {"p1"});
    if (!standard.empty()) req.mutable_engagement()->set_standard(standard);
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
  // A new document of the client's on `e`, its first version (kPdf) uploaded
  // and submitted.
  dv1::DocumentVersion SubmittedVersion(const v1::Engagement& e, const std::string& title,
                                        dv1::Document* doc) {
    dv1::CreateDocumentRequest cd;
    cd.set_parent(e.name());
    cd.mutable_document()->set_title(title);
    EXPECT_TRUE(docs.Call(&DStub::CreateDocument, ClientOf(), cd, doc).ok());
    dv1::DocumentVersion v;
    EXPECT_TRUE(Upload(ClientOf(), doc->name(), "policy.pdf", "application/pdf", kPdf, &v).ok());
    return Act(ClientOf(), v.name(), "submit");
  }
  // The engagement's billing events, once there is at least one (up to 5 s).
  bv1::ListBillingEventsResponse WaitBillingEvents(const std::string& engagement) {
    bv1::ListBillingEventsRequest req;
    req.set_parent("tenants/t1");
    req.set_engagement(engagement);
    bv1::ListBillingEventsResponse events;
    for (int i = 0; i < 200 && events.billing_events_size() == 0; ++i) {
      absl::SleepFor(absl::Milliseconds(25));
      EXPECT_TRUE(bill.Call(&BStub::ListBillingEvents, kAdmin, req, &events).ok());
    }
    return events;
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

}  // namespace certpath::testing
