// The audit trail (services/common/audit.h) on the engagements service:
// every successful write RPC leaves exactly one entry, written in its own
// step; replays, refusals and reads leave none; two replicas writing at once
// keep one gap-free chain; verification finds an edited, deleted, inserted or
// swapped entry at its sequence number. And the consumed DocumentApproved
// event marks its task done exactly once.

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "certpath/documents/v1/events.pb.h"
#include "services/common/audit.h"
#include "services/common/redis.h"
#include "services/common/validate.h"
#include "services/engagements/store.h"
#include "tests/support/fixtures.h"

namespace certpath::testing {
namespace {

namespace cv1 = certpath::common::v1;
using Stub = v1::EngagementService::Stub;

class AuditTrailTest : public ::testing::Test {
 protected:
  AuditTrailTest() : env(redis) {
    RedisOptions o;
    o.unix_socket = redis.socket();
    pool = std::make_unique<RedisPool>(o);
  }

  int64_t Count() {
    auto r = pool->Command({"HLEN", "eng:{t:t1}:audit:e"});
    return r.ok() ? r->integer : -1;
  }
  std::vector<cv1::AuditEntry> Entries(cv1::ListAuditEntriesRequest req = {}) {
    req.set_parent("tenants/t1/services/engagements");
    req.set_page_size(500);
    std::vector<cv1::AuditEntry> out;
    for (;;) {
      cv1::ListAuditEntriesResponse resp;
      absl::Status s = env.Call(&Stub::ListAuditEntries, kAdmin, req, &resp);
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok()) return out;
      out.insert(out.end(), resp.entries().begin(), resp.entries().end());
      if (resp.next_page_token().empty()) return out;
      req.set_page_token(resp.next_page_token());
    }
  }
  cv1::VerifyAuditTrailResponse Verify() {
    cv1::VerifyAuditTrailRequest req;
    req.set_parent("tenants/t1/services/engagements");
    cv1::VerifyAuditTrailResponse resp;
    absl::Status s = env.Call(&Stub::VerifyAuditTrail, kAdmin, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp;
  }
  // Runs `write`; expects it to succeed and to leave exactly one entry, for `method`.
  cv1::AuditEntry ExpectOneEntry(const std::string& method,
                                 const std::function<absl::Status()>& write) {
    int64_t before = Count();
    absl::Status s = write();
    EXPECT_TRUE(s.ok()) << method << ": " << s;
    EXPECT_EQ(Count(), before + 1) << method << " must leave exactly one audit entry";
    auto all = Entries();
    if (all.empty()) return {};
    EXPECT_EQ(all.back().method(), method);
    EXPECT_EQ(all.back().sequence(), before + 1);
    seen.insert(method);
    return all.back();
  }

  RedisServer redis;
  ServiceEnv env;
  std::unique_ptr<RedisPool> pool;
  std::set<std::string> seen;
};

std::string Rid(int n) { return absl::StrFormat("%08x-1111-4222-8333-444455556666", n); }

TEST_F(AuditTrailTest, EveryWriteRpcLeavesExactlyOneEntryAndNothingElseDoes) {
  v1::Client client, gone, erased;
  auto e1 = ExpectOneEntry("CreateClient", [&] {
    v1::CreateClientRequest req;
    req.set_parent("tenants/t1");
    req.mutable_client()->set_display_name("株式会社デモ");
    req.set_request_id(Rid(1));
    return env.Call(&Stub::CreateClient, kAdmin, req, &client);
  });
  EXPECT_EQ(e1.resource(), client.name());
  EXPECT_EQ(e1.subject(), "admin@office");
  EXPECT_EQ(e1.role(), Principal::ROLE_OFFICE_ADMIN);
  EXPECT_EQ(e1.tenant(), "t1");
  EXPECT_EQ(e1.request_id(), Rid(1));
  EXPECT_EQ(e1.service(), "engagements");
  // A replay of the same request, a refused call and a read leave nothing.
  {
    int64_t before = Count();
    v1::CreateClientRequest req;
    req.set_parent("tenants/t1");
    req.mutable_client()->set_display_name("株式会社デモ");
    req.set_request_id(Rid(1));
    v1::Client again;
    ASSERT_TRUE(env.Call(&Stub::CreateClient, kAdmin, req, &again).ok());
    EXPECT_EQ(again.name(), client.name());
    v1::DeleteClientRequest del;
    del.set_name(client.name());
    del.set_reason("x");
    EXPECT_EQ(env.Call(&Stub::DeleteClient, kConsultant, del, &again).code(),
              absl::StatusCode::kPermissionDenied);
    v1::GetClientRequest get;
    get.set_name(client.name());
    ASSERT_TRUE(env.Call(&Stub::GetClient, kAdmin, get, &again).ok());
    EXPECT_EQ(Count(), before);
  }
  auto e2 = ExpectOneEntry("UpdateClient", [&] {
    v1::UpdateClientRequest req;
    req.mutable_client()->set_name(client.name());
    req.mutable_client()->set_display_name("株式会社デモ改");
    req.mutable_update_mask()->add_paths("display_name");
    return env.Call(&Stub::UpdateClient, kAdmin, req, &client);
  });
  // Field names, never values (the display name is not in the entry).
  EXPECT_NE(std::find(e2.changed_paths().begin(), e2.changed_paths().end(), "display_name"),
            e2.changed_paths().end());
  EXPECT_EQ(e2.SerializeAsString().find("株式会社デモ改"), std::string::npos);

  v1::Engagement eng, other;
  ExpectOneEntry("CreateEngagement", [&] {
    return env.Call(&Stub::CreateEngagement, kAdmin, EngagementRequest(client.name()), &eng);
  });
  ASSERT_TRUE(
      env.Call(&Stub::CreateEngagement, kAdmin, EngagementRequest(client.name()), &other).ok());
  auto e3 = ExpectOneEntry("UpdateEngagement", [&] {
    v1::UpdateEngagementRequest req;
    req.mutable_engagement()->set_name(eng.name());
    req.mutable_engagement()->set_lead_consultant("sato@office");
    req.mutable_update_mask()->add_paths("lead_consultant");
    return env.Call(&Stub::UpdateEngagement, kAdmin, req, &eng);
  });
  EXPECT_EQ(e3.resource(), eng.name());
  EXPECT_NE(std::find(e3.changed_paths().begin(), e3.changed_paths().end(), "lead_consultant"),
            e3.changed_paths().end());
  ExpectOneEntry("UpdateTask", [&] {
    v1::UpdateTaskRequest req;
    req.set_name(eng.name() + "/tasks/prep-o-quote");
    req.set_status(v1::TASK_STATUS_DONE);
    v1::Task t;
    return env.Call(&Stub::UpdateTask, kConsultant, req, &t);
  });
  v1::Finding finding;
  ExpectOneEntry("CreateFinding", [&] {
    v1::CreateFindingRequest req;
    req.set_parent(eng.name());
    req.mutable_finding()->set_source(v1::FINDING_SOURCE_INTERNAL_AUDIT);
    req.mutable_finding()->set_grade(v1::FINDING_GRADE_MINOR_NC);
    req.mutable_finding()->set_description("手順の不備");
    return env.Call(&Stub::CreateFinding, kAdmin, req, &finding);
  });
  ExpectOneEntry("UpdateFinding", [&] {
    v1::UpdateFindingRequest req;
    req.mutable_finding()->set_name(finding.name());
    req.mutable_finding()->set_advice("手順書を改訂する");
    req.mutable_update_mask()->add_paths("advice");
    return env.Call(&Stub::UpdateFinding, kAdmin, req, &finding);
  });
  v1::Inquiry inquiry;
  ExpectOneEntry("CreateInquiry", [&] {
    v1::CreateInquiryRequest req;
    req.set_parent(eng.name());
    req.mutable_inquiry()->set_subject("質問");
    req.mutable_inquiry()->set_body("本文");
    return env.Call(&Stub::CreateInquiry, kAdmin, req, &inquiry);
  });
  ExpectOneEntry("AnswerInquiry", [&] {
    v1::AnswerInquiryRequest req;
    req.set_name(inquiry.name());
    req.set_answer("回答");
    return env.Call(&Stub::AnswerInquiry, kAdmin, req, &inquiry);
  });
  auto advance = [&](v1::Phase to) {
    while (eng.phase() < to) {
      ExpectOneEntry("AdvancePhase", [&] {
        v1::AdvancePhaseRequest req;
        req.set_name(eng.name());
        req.set_override_reason("test");
        return env.Call(&Stub::AdvancePhase, kAdmin, req, &eng);
      });
    }
  };
  advance(v1::PHASE_STAGE1_AUDIT);
  ExpectOneEntry("RecordAuditResult", [&] {
    v1::RecordAuditResultRequest req;
    req.set_name(eng.name());
    req.set_stage(v1::AUDIT_STAGE_1);
    req.set_outcome(v1::AUDIT_OUTCOME_MAY_PROCEED);
    *req.mutable_audit_date() = Day(2026, 11, 20);
    return env.Call(&Stub::RecordAuditResult, kAdmin, req, &eng);
  });
  ExpectOneEntry("RecordManagementReview", [&] {
    v1::RecordManagementReviewRequest req;
    req.set_name(eng.name());
    *req.mutable_review_date() = Day(2026, 11, 21);
    req.set_top_management_approved(true);
    return env.Call(&Stub::RecordManagementReview, kAdmin, req, &eng);
  });
  advance(v1::PHASE_OPERATION_3);
  ExpectOneEntry("RecordRegistration", [&] {
    v1::RecordRegistrationRequest req;
    req.set_name(eng.name());
    *req.mutable_registration_date() = Day(2026, 11, 25);
    req.set_certificate_number("JQA-IM0001");
    req.set_override_reason("test");
    return env.Call(&Stub::RecordRegistration, kAdmin, req, &eng);
  });
  ExpectOneEntry("TerminateEngagement", [&] {
    v1::TerminateEngagementRequest req;
    req.set_name(other.name());
    req.set_reason("解約");
    return env.Call(&Stub::TerminateEngagement, kAdmin, req, &other);
  });
  auto e4 = ExpectOneEntry("EraseClientPersonalData", [&] {
    v1::EraseClientPersonalDataRequest req;
    req.set_name(client.name());
    req.set_reason("本人からの削除請求");
    req.set_request_id(Rid(2));
    return env.Call(&Stub::EraseClientPersonalData, kAdmin, req, &erased);
  });
  EXPECT_EQ(e4.other_resources_size(), 2) << "its engagements changed in the same step";
  gone = MakeClient(env, "削除予定");
  ExpectOneEntry("DeleteClient", [&] {
    v1::DeleteClientRequest req;
    req.set_name(gone.name());
    req.set_reason("誤って登録");
    req.set_request_id(Rid(3));
    return env.Call(&Stub::DeleteClient, kAdmin, req, &gone);
  });

  // Dead letters: one of the queued events refused for good, then replayed;
  // another refused, then discarded.
  RecordStore records(*pool);
  engagements::EngagementStore store(records, 3600);
  auto refuse = [&] {
    auto q = store.outbox().Queue("t1", "scheduling", 0, 1);
    EXPECT_TRUE(q.ok() && !q->empty());
    auto dl = (*q)[0];
    EXPECT_TRUE(
        store.outbox()
            .Refuse("t1", "scheduling", dl, absl::FailedPreconditionError("test"), 1, absl::Now())
            .ok());
    return absl::StrCat("tenants/t1/producers/engagements/deadLetters/scheduling-", dl.id);
  };
  std::string dl1 = refuse();
  auto e5 = ExpectOneEntry("ReplayDeadLetter", [&] {
    cv1::ReplayDeadLetterRequest req;
    req.set_name(dl1);
    cv1::DeadLetter out;
    return env.Call(&Stub::ReplayDeadLetter, kAdmin, req, &out);
  });
  EXPECT_EQ(e5.resource(), dl1);
  std::string dl2 = refuse();
  ExpectOneEntry("DiscardDeadLetter", [&] {
    cv1::DiscardDeadLetterRequest req;
    req.set_name(dl2);
    req.set_reason("test");
    cv1::DeadLetter out;
    return env.Call(&Stub::DiscardDeadLetter, kAdmin, req, &out);
  });

  // Every write RPC of the service was audited above.
  const auto* svc = v1::Engagement::descriptor()->file()->FindServiceByName("EngagementService");
  for (int i = 0; i < svc->method_count(); ++i) {
    std::string m = svc->method(i)->name();
    bool read =
        absl::StartsWith(m, "Get") || absl::StartsWith(m, "List") || m == "VerifyAuditTrail";
    if (!read) {
      EXPECT_TRUE(seen.count(m)) << m << " has no audit test";
    }
  }
  auto v = Verify();
  EXPECT_TRUE(v.intact()) << v.first_break().detail();
  EXPECT_EQ(v.entries_checked(), Count());
  EXPECT_EQ(v.head_sequence(), Count());
}

TEST_F(AuditTrailTest, ListFiltersPagesAndIsForOfficeAdminsOnly) {
  v1::Client client = MakeClient(env);
  v1::Engagement a = MakeEngagement(env, client.name());
  v1::Engagement b = MakeEngagement(env, client.name());
  for (int i = 0; i < 3; ++i) {
    v1::UpdateEngagementRequest req;
    req.mutable_engagement()->set_name(a.name());
    req.mutable_engagement()->set_department(absl::StrCat("部", i));
    req.mutable_update_mask()->add_paths("department");
    ASSERT_TRUE(env.Call(&Stub::UpdateEngagement, kConsultant, req, &a).ok());
  }
  ASSERT_TRUE(Verify().intact());  // sealed
  auto all = Entries();
  ASSERT_EQ(all.size(), 6u);
  // Anyone holding the list can recompute the chain: hash = SHA-256(prev ‖ canonical entry).
  std::string prev;
  for (const auto& e : all) {
    EXPECT_EQ(e.prev_hash(), prev.empty() ? std::string(64, '0') : prev);
    EXPECT_EQ(e.hash(), ChainHash(prev, e)) << e.sequence();
    prev = e.hash();
  }
  cv1::ListAuditEntriesRequest by_resource;
  by_resource.set_resource(a.name());
  EXPECT_EQ(Entries(by_resource).size(), 4u);
  cv1::ListAuditEntriesRequest by_subject;
  by_subject.set_subject("kenji@office");
  EXPECT_EQ(Entries(by_subject).size(), 3u);
  cv1::ListAuditEntriesRequest by_time;
  *by_time.mutable_end_time() = ToTimestamp(DefaultNow() - absl::Hours(1));
  EXPECT_EQ(Entries(by_time).size(), 0u);
  // Pages of two, each with the entry's hash once sealed.
  cv1::ListAuditEntriesRequest paged;
  paged.set_parent("tenants/t1/services/engagements");
  paged.set_page_size(2);
  cv1::ListAuditEntriesResponse page;
  ASSERT_TRUE(env.Call(&Stub::ListAuditEntries, kAdmin, paged, &page).ok());
  EXPECT_EQ(page.entries_size(), 2);
  EXPECT_FALSE(page.next_page_token().empty());
  (void)b;
  // Office admins of the tenant only; the parent names this service.
  EXPECT_EQ(env.Call(&Stub::ListAuditEntries, kConsultant, paged, &page).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(env.Call(&Stub::ListAuditEntries,
                     MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "eve", "", "t2"), paged, &page)
                .code(),
            absl::StatusCode::kNotFound);
  paged.set_parent("tenants/t1/services/billing");
  EXPECT_EQ(env.Call(&Stub::ListAuditEntries, kAdmin, paged, &page).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AuditTrailTest, TwoReplicasWritingAtOnceKeepOneGapFreeChain) {
  TestService<engagements::App, v1::EngagementService> second(redis, env.clock);
  second.Start();
  v1::Client client = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, client.name());
  constexpr int kThreads = 4, kWrites = 40;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        v1::CreateInquiryRequest req;
        req.set_parent(e.name());
        req.mutable_inquiry()->set_subject(absl::StrCat("質問 ", t, "-", i));
        req.mutable_inquiry()->set_body("本文");
        v1::Inquiry out;
        grpc::ClientContext ctx;
        ctx.AddMetadata(kPrincipalMetadataKey, SignedToken(kAdmin, env.clock.Now()));
        auto& stub = t % 2 ? *second.stub : *env.stub;
        if (stub.CreateInquiry(&ctx, req, &out).ok()) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kWrites);
  auto all = Entries();
  ASSERT_EQ(static_cast<int>(all.size()), 2 + kThreads * kWrites);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].sequence(), static_cast<int64_t>(i + 1));
  auto v = Verify();
  EXPECT_TRUE(v.intact()) << v.first_break().detail();
  EXPECT_EQ(v.entries_checked(), static_cast<int64_t>(all.size()));
}

TEST_F(AuditTrailTest, VerificationFindsEachKindOfTamperingAtItsSequence) {
  v1::Client client = MakeClient(env);
  for (int i = 0; i < 9; ++i) MakeEngagement(env, client.name());
  ASSERT_TRUE(Verify().intact());
  ASSERT_EQ(Count(), 10);
  const std::string key = "eng:{t:t1}:audit:e";
  auto get = [&](int seq) {
    auto r = pool->Command({"HGET", key, std::to_string(seq)});
    return r.ok() && !r->is_nil() ? r->str : std::string();
  };
  std::map<int, std::string> original, hashes;
  for (int k = 1; k <= 10; ++k) {
    original[k] = get(k);
    auto h = pool->Command({"HGET", "eng:{t:t1}:audit:h", std::to_string(k)});
    ASSERT_TRUE(h.ok() && !h->is_nil());
    hashes[k] = h->str;
  }
  auto restore = [&] {
    for (const auto& [k, v] : original) {
      ASSERT_TRUE(pool->Command({"HSET", key, std::to_string(k), v}).ok());
      ASSERT_TRUE(pool->Command({"HSET", "eng:{t:t1}:audit:h", std::to_string(k), hashes[k]}).ok());
    }
    ASSERT_TRUE(pool->Command({"HSET", "eng:{t:t1}:audit:head", "s", "10", "h", hashes[10]}).ok());
    ASSERT_TRUE(Verify().intact());
  };
  auto set = [&](int seq, const std::string& v) {
    ASSERT_TRUE(pool->Command({"HSET", key, std::to_string(seq), v}).ok());
  };
  auto expect_break = [&](const char* what, int64_t seq, cv1::AuditBreak::Kind kind) {
    auto v = Verify();
    EXPECT_FALSE(v.intact()) << what;
    EXPECT_EQ(v.first_break().sequence(), seq) << what << ": " << v.first_break().detail();
    EXPECT_EQ(cv1::AuditBreak::Kind_Name(v.first_break().kind()), cv1::AuditBreak::Kind_Name(kind))
        << what << ": " << v.first_break().detail();
  };

  // Edited: another resource written into entry 5.
  cv1::AuditEntry e5;
  ASSERT_TRUE(e5.ParseFromString(original[5]));
  e5.set_resource("tenants/t1/engagements/forged");
  set(5, e5.SerializeAsString());
  expect_break("edited", 5, cv1::AuditBreak::EDITED);
  restore();
  // Deleted: entry 5 removed …
  ASSERT_TRUE(pool->Command({"HDEL", key, "5"}).ok());
  expect_break("deleted", 5, cv1::AuditBreak::DELETED);
  restore();
  // … or removed with the later ones moved down to close the gap.
  for (int k = 5; k < 10; ++k) set(k, original[k + 1]);
  ASSERT_TRUE(pool->Command({"HDEL", key, "10"}).ok());
  expect_break("deleted and closed up", 5, cv1::AuditBreak::DELETED);
  restore();
  // Inserted: a forged entry at 5, the sealed ones moved up.
  for (int k = 10; k >= 5; --k) set(k + 1, original[k]);
  cv1::AuditEntry forged;
  ASSERT_TRUE(forged.ParseFromString(original[4]));
  forged.set_sequence(5);
  set(5, forged.SerializeAsString());
  expect_break("inserted", 5, cv1::AuditBreak::INSERTED);
  ASSERT_TRUE(pool->Command({"HDEL", key, "11"}).ok());
  restore();
  // Reordered: entries 5 and 6 swapped.
  set(5, original[6]);
  set(6, original[5]);
  expect_break("swapped", 5, cv1::AuditBreak::REORDERED);
  restore();
  // Truncated: the last entry cut off.
  ASSERT_TRUE(pool->Command({"HDEL", key, "10"}).ok());
  expect_break("truncated", 10, cv1::AuditBreak::TRUNCATED);
  restore();
  // An entry removed before it was sealed (here: the head set back to 5, as if
  // 6… were new): the sealer stops at it, verification names it.
  auto h5 = pool->Command({"HGET", "eng:{t:t1}:audit:h", "5"});
  ASSERT_TRUE(h5.ok());
  ASSERT_TRUE(pool->Command({"HSET", "eng:{t:t1}:audit:head", "s", "5", "h", h5->str}).ok());
  ASSERT_TRUE(pool->Command({"HDEL", key, "7"}).ok());
  expect_break("unsealed entry deleted", 7, cv1::AuditBreak::DELETED);
  // A damaged head hash (not hex) is a break, not a crash of the sealer.
  ASSERT_TRUE(pool->Command({"HSET", "eng:{t:t1}:audit:head", "s", "5", "h", "zz"}).ok());
  set(7, original[7]);
  EXPECT_FALSE(Verify().intact());
  restore();
}

TEST_F(AuditTrailTest, DocumentApprovedMarksItsTaskDoneExactlyOnce) {
  v1::Client client = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, client.name());
  certpath::documents::v1::DocumentApproved approved;
  approved.set_engagement(e.name());
  approved.set_document(e.name() + "/documents/manual");
  approved.set_template_code("ISMS_MANUAL");
  approved.set_task_id("cons-c-manual");
  approved.set_approved_by("kenji@office");
  cv1::DeliverEventRequest req;
  req.set_consumer("engagements");
  auto* ev = req.mutable_event();
  ev->set_id("6f1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  ev->set_type("certpath.documents.v1.DocumentApproved");
  ev->set_tenant("t1");
  ev->set_producer("documents");
  ev->set_subject(e.name());
  ev->mutable_payload()->PackFrom(approved);
  auto consumer = cv1::EventConsumer::NewStub(
      grpc::CreateChannel(env.target(), grpc::InsecureChannelCredentials()));
  auto deliver = [&](const Principal& p) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, SignedToken(p, env.clock.Now()));
    cv1::DeliverEventResponse resp;
    return FromGrpcStatus(consumer->DeliverEvent(&ctx, req, &resp));
  };
  Principal relay = MakePrincipal(Principal::ROLE_SERVICE, "documents-relay");
  req.set_request_id(ev->id());
  // Only the producer's relay delivers its events.
  EXPECT_EQ(deliver(kAdmin).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(deliver(MakePrincipal(Principal::ROLE_SERVICE, "billing-relay")).code(),
            absl::StatusCode::kPermissionDenied);
  ev->set_producer("billing");
  EXPECT_EQ(deliver(relay).code(), absl::StatusCode::kInvalidArgument);
  ev->set_producer("documents");
  int64_t before = Count();
  ASSERT_TRUE(deliver(relay).ok());
  ASSERT_TRUE(deliver(relay).ok());  // a redelivery: applied once
  EXPECT_EQ(Count(), before + 1);
  v1::ListTasksRequest lt;
  lt.set_parent(e.name());
  v1::ListTasksResponse tasks;
  ASSERT_TRUE(env.Call(&Stub::ListTasks, kAdmin, lt, &tasks).ok());
  for (const auto& t : tasks.tasks()) {
    if (t.task_id() == "cons-c-manual") {
      EXPECT_EQ(t.status(), v1::TASK_STATUS_DONE);
      EXPECT_EQ(t.updated_by(), "kenji@office");
    }
  }
  auto last = Entries().back();
  EXPECT_EQ(last.method(), "DeliverEvent");
  EXPECT_EQ(last.role(), Principal::ROLE_SERVICE);
  EXPECT_EQ(last.request_id(), ev->id());  // the event id names the call
  // An unknown task is refused for good (a dead letter at the producer).
  approved.set_task_id("no-such-task");
  ev->mutable_payload()->PackFrom(approved);
  ev->set_id("7f1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  req.set_request_id(ev->id());
  EXPECT_EQ(deliver(relay).code(), absl::StatusCode::kNotFound);
  // An event type engagements does not consume is refused too.
  ev->set_type("certpath.documents.v1.Unknown");
  EXPECT_EQ(deliver(relay).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

// Events an earlier release left in its one-consumer outbox are moved into the
// queues when the relay starts, so an upgrade loses none.
TEST_F(AuditTrailTest, AnEarlierReleasesOutboxIsAdoptedAtStart) {
  v1::Client client = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, client.name());
  v1::Stage1Passed payload;
  payload.set_engagement(e.name());
  cv1::OutboxEvent ev;
  ev.set_id("8a1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  ev.set_type("certpath.engagements.v1.Stage1Passed");
  ev.set_tenant("t1");
  ev.set_subject(e.name());
  ev.mutable_payload()->PackFrom(payload);
  ASSERT_TRUE(pool->Command({"HSET", "eng:{t:t1}:event:" + ev.id(), "d", ev.SerializeAsString(),
                             "v", "1", "o", "0"})
                  .ok());
  ASSERT_TRUE(pool->Command({"ZADD", "eng:{t:t1}:outbox", "1000", ev.id()}).ok());
  env.Restart();
  auto score = pool->Command({"ZSCORE", "eng:{t:t1}:out:q:billing", ev.id()});
  ASSERT_TRUE(score.ok());
  EXPECT_FALSE(score->is_nil()) << "queued for billing";
  auto legacy = pool->Command({"ZCARD", "eng:{t:t1}:outbox"});
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->integer, 0);
  auto gone = pool->Command({"EXISTS", "eng:{t:t1}:event:" + ev.id()});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->integer, 0);
  auto moved = pool->Command({"HGET", "eng:{t:t1}:out:event:" + ev.id(), "d"});
  ASSERT_TRUE(moved.ok() && !moved->is_nil());
  cv1::OutboxEvent back;
  ASSERT_TRUE(back.ParseFromString(moved->str));
  EXPECT_EQ(back.producer(), "engagements");
}

}  // namespace
}  // namespace certpath::testing
