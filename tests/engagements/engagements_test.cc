// The engagements service over real gRPC on a real redis-server.

#include <gtest/gtest.h>

#include <thread>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "services/common/record_store.h"
#include "services/common/redis.h"
#include "services/common/status.h"
#include "services/engagements/service.h"
#include "tests/support/fixtures.h"

namespace certpath::testing {
namespace {

using Stub = v1::EngagementService::Stub;
const Principal kClientC1 = MakePrincipal(Principal::ROLE_CLIENT, "yamada@c1", "");

class EngagementsTestBase : public ::testing::Test {
 protected:
  explicit EngagementsTestBase(bool with_metrics) : env(redis, false, with_metrics) {}
  RedisServer redis;
  ServiceEnv env;

  Principal ClientOf(const v1::Client& c) {
    return MakePrincipal(Principal::ROLE_CLIENT, "yamada",
                         c.name().substr(c.name().rfind('/') + 1));
  }
  int64_t RedisInt(std::vector<std::string> args) {
    RedisOptions o;
    o.unix_socket = redis.socket();
    RedisPool pool(o);
    RedisPool::Args a(args.begin(), args.end());
    auto r = pool.Command(a);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->integer : -1;
  }
  int CountEngagements(const Principal& p = kAdmin) {
    v1::ListEngagementsRequest req;
    req.set_parent("tenants/t1");
    req.set_page_size(500);
    int n = 0;
    for (;;) {
      v1::ListEngagementsResponse resp;
      EXPECT_TRUE(env.Call(&Stub::ListEngagements, p, req, &resp).ok());
      n += resp.engagements_size();
      if (resp.next_page_token().empty()) return n;
      req.set_page_token(resp.next_page_token());
    }
  }
  v1::Engagement Get(const std::string& name, const Principal& p = kAdmin) {
    v1::GetEngagementRequest req;
    req.set_name(name);
    v1::Engagement e;
    EXPECT_TRUE(env.Call(&Stub::GetEngagement, p, req, &e).ok());
    return e;
  }
  absl::Status Task(const std::string& eng, const std::string& id, const Principal& p) {
    v1::UpdateTaskRequest req;
    req.set_name(eng + "/tasks/" + id);
    req.set_status(v1::TASK_STATUS_DONE);
    v1::Task t;
    return env.Call(&Stub::UpdateTask, p, req, &t);
  }
  absl::Status FinishPhase(const v1::Engagement& e, const Principal& client) {
    v1::ListTasksRequest req;
    req.set_parent(e.name());
    req.set_phase(Get(e.name()).phase());
    v1::ListTasksResponse resp;
    if (auto s = env.Call(&Stub::ListTasks, kAdmin, req, &resp); !s.ok()) return s;
    for (const auto& t : resp.tasks()) {
      if (!t.required()) continue;
      auto s = Task(e.name(), t.task_id(), t.side() == v1::SIDE_CLIENT ? client : kConsultant);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  absl::Status Advance(const std::string& name) {
    v1::AdvancePhaseRequest req;
    req.set_name(name);
    v1::Engagement e;
    return env.Call(&Stub::AdvancePhase, kConsultant, req, &e);
  }
};

class EngagementsTest : public EngagementsTestBase {
 protected:
  EngagementsTest() : EngagementsTestBase(false) {}
};

// With a /metrics listener (slower to stop).
class EngagementsMetricsTest : public EngagementsTestBase {
 protected:
  EngagementsMetricsTest() : EngagementsTestBase(true) {}
};

TEST_F(EngagementsTest, ClientsRoundTripJapaneseAndUseEtags) {
  v1::Client c = MakeClient(env, "株式会社サンプル 𠮷田支店");
  EXPECT_TRUE(absl::StartsWith(c.name(), "tenants/t1/clients/"));
  EXPECT_EQ(c.etag(), "1");
  v1::GetClientRequest get;
  get.set_name(c.name());
  v1::Client got;
  ASSERT_TRUE(env.Call(&Stub::GetClient, kAdmin, get, &got).ok());
  EXPECT_EQ(got.display_name(), "株式会社サンプル 𠮷田支店");
  EXPECT_EQ(got.departments(0), "情報システム部");
  EXPECT_EQ(got.contacts(0).display_name(), "山田 太郎");

  v1::UpdateClientRequest upd;
  *upd.mutable_client() = got;
  upd.mutable_client()->set_display_name("株式会社サンプル");
  upd.mutable_update_mask()->add_paths("display_name");
  v1::Client updated;
  ASSERT_TRUE(env.Call(&Stub::UpdateClient, kAdmin, upd, &updated).ok());
  EXPECT_EQ(updated.etag(), "2");
  // The same stale etag again: ABORTED, nothing written.
  absl::Status stale = env.Call(&Stub::UpdateClient, kAdmin, upd, &updated);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorReason(stale), "ETAG_MISMATCH");

  v1::ListClientsRequest list;
  list.set_parent("tenants/t1");
  v1::ListClientsResponse resp;
  ASSERT_TRUE(env.Call(&Stub::ListClients, kAdmin, list, &resp).ok());
  ASSERT_EQ(resp.clients_size(), 1);
  EXPECT_EQ(resp.clients(0).display_name(), "株式会社サンプル");
}

TEST_F(EngagementsTest, CreateAssignsReferenceChecklistAndSupportEnd) {
  v1::Client c = MakeClient(env);
  v1::CreateEngagementRequest req = EngagementRequest(c.name());
  // Server-owned fields in the request are ignored.
  req.mutable_engagement()->set_reference_number("9999-9999");
  req.mutable_engagement()->set_phase(v1::PHASE_CERTIFICATION);
  req.mutable_engagement()->set_state(v1::ENGAGEMENT_STATE_TERMINATED);
  req.mutable_engagement()->set_name("tenants/t1/engagements/mine");
  req.mutable_engagement()->set_open_major_findings(7);
  v1::Engagement e1, e2;
  ASSERT_TRUE(env.Call(&Stub::CreateEngagement, kAdmin, req, &e1).ok());
  ASSERT_TRUE(env.Call(&Stub::CreateEngagement, kAdmin, req, &e2).ok());
  EXPECT_EQ(e1.reference_number(), "2026-0001");
  EXPECT_EQ(e2.reference_number(), "2026-0002");
  EXPECT_NE(e1.name(), "tenants/t1/engagements/mine");
  EXPECT_EQ(e1.phase(), v1::PHASE_PREPARATION);
  EXPECT_EQ(e1.state(), v1::ENGAGEMENT_STATE_ACTIVE);
  EXPECT_EQ(e1.open_major_findings(), 0);
  EXPECT_EQ(e1.support_end().year(), 2027);
  EXPECT_EQ(e1.support_end().month(), 10);
  EXPECT_EQ(e1.support_end().day(), 1);
  EXPECT_EQ(e1.etag(), "1");
  v1::Engagement got = Get(e1.name());
  EXPECT_EQ(got.reference_number(), "2026-0001");
  EXPECT_EQ(got.certification_body(), "一般財団法人 日本品質保証機構");

  v1::ListTasksRequest tasks;
  tasks.set_parent(e1.name());
  v1::ListTasksResponse resp;
  ASSERT_TRUE(env.Call(&Stub::ListTasks, kAdmin, tasks, &resp).ok());
  EXPECT_GE(resp.tasks_size(), 40);
  int visits = 0;
  for (const auto& t : resp.tasks()) {
    if (absl::StartsWith(t.task_id(), "cons-o-visit-")) {
      ++visits;
      EXPECT_EQ(t.side(), v1::SIDE_OFFICE);
      EXPECT_EQ(t.phase(), v1::PHASE_CONSTRUCTION);
    }
    EXPECT_FALSE(t.title_ja().empty());
    EXPECT_FALSE(t.title_en().empty());
  }
  EXPECT_EQ(visits, 3);
}

TEST_F(EngagementsTest, BadInputGetsFieldViolationsAndWritesNothing) {
  v1::Client c = MakeClient(env);
  struct Case {
    const char* what;
    std::function<void(v1::CreateEngagementRequest&)> edit;
    const char* field;
  };
  const Case cases[] = {
      {"no client", [](auto& r) { r.mutable_engagement()->clear_client(); }, "engagement.client"},
      {"bad client name", [](auto& r) { r.mutable_engagement()->set_client("clients/x"); },
       "engagement.client"},
      {"unknown standard", [](auto& r) { r.mutable_engagement()->set_standard("ISO_0000"); },
       "engagement.standard"},
      {"oversized", [](auto& r) { r.mutable_engagement()->set_contact(std::string(201, 'x')); },
       "engagement.contact"},
      {"no start", [](auto& r) { r.mutable_engagement()->clear_support_start(); },
       "engagement.support_start"},
      {"impossible date",
       [](auto& r) { *r.mutable_engagement()->mutable_support_start() = Day(2027, 2, 29); },
       "engagement.support_start"},
      {"bad partner", [](auto& r) { r.mutable_engagement()->add_partner_organizations("Bad Org"); },
       "engagement.partner_organizations[0]"},
      {"bad request id", [](auto& r) { r.set_request_id("not-a-uuid"); }, "request_id"},
  };
  for (const auto& c2 : cases) {
    v1::CreateEngagementRequest req = EngagementRequest(c.name());
    c2.edit(req);
    v1::Engagement out;
    absl::Status s = env.Call(&Stub::CreateEngagement, kAdmin, req, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c2.what;
    auto fields = ViolatedFields(s);
    EXPECT_TRUE(std::find(fields.begin(), fields.end(), c2.field) != fields.end())
        << c2.what << ": " << s;
  }
  // Non-UTF-8 text never reaches a handler over gRPC: protobuf refuses to parse
  // it (the service-level check is in ServiceLayer.RejectsNonUtf8Text).
  {
    v1::CreateEngagementRequest req = EngagementRequest(c.name());
    req.mutable_engagement()->set_department("\xff\xfe");
    v1::Engagement out;
    EXPECT_FALSE(env.Call(&Stub::CreateEngagement, kAdmin, req, &out).ok());
  }
  // A client of another tenant does not exist; a missing client neither.
  v1::Engagement out;
  EXPECT_EQ(
      env.Call(&Stub::CreateEngagement, kAdmin, EngagementRequest("tenants/t2/clients/abc"), &out)
          .code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(
      env.Call(&Stub::CreateEngagement, kAdmin, EngagementRequest("tenants/t1/clients/nope"), &out)
          .code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(CountEngagements(), 0);
  EXPECT_EQ(RedisInt({"EXISTS", "eng:{t:t1}:ref:2026"}), 0);  // no number consumed
  // Unknown enum values (proto3 keeps them) are refused by name.
  v1::ListEngagementsRequest list;
  list.set_parent("tenants/t1");
  list.set_phase(static_cast<v1::Phase>(42));
  v1::ListEngagementsResponse resp;
  EXPECT_EQ(ViolatedFields(env.Call(&Stub::ListEngagements, kAdmin, list, &resp)),
            std::vector<std::string>{"phase"});
  v1::UpdateTaskRequest task;
  task.set_name("tenants/t1/engagements/abc/tasks/prep-o-quote");
  task.set_status(static_cast<v1::TaskStatus>(7));
  v1::Task t;
  EXPECT_EQ(ViolatedFields(env.Call(&Stub::UpdateTask, kAdmin, task, &t)),
            std::vector<std::string>{"status"});
}

TEST_F(EngagementsTest, UpdateClientReadsOnlyTheMaskedFields) {
  v1::Client c = MakeClient(env);
  v1::UpdateClientRequest req;
  req.mutable_client()->set_name(c.name());
  req.mutable_client()->add_departments("総務部");
  req.mutable_client()->add_departments("情報システム部");
  req.mutable_update_mask()->add_paths("departments");  // display_name left empty: ignored
  v1::Client out;
  absl::Status s = env.Call(&Stub::UpdateClient, kAdmin, req, &out);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(out.display_name(), c.display_name());
  ASSERT_EQ(out.departments_size(), 2);
  EXPECT_EQ(out.departments(0), "総務部");
  EXPECT_EQ(out.contacts_size(), 1);
  // A masked field is checked; an output-only one is refused by name.
  req.mutable_update_mask()->add_paths("display_name");
  EXPECT_EQ(ViolatedFields(env.Call(&Stub::UpdateClient, kAdmin, req, &out)),
            std::vector<std::string>{"client.display_name"});
  req.mutable_update_mask()->Clear();
  req.mutable_update_mask()->add_paths("create_time");
  EXPECT_EQ(ViolatedFields(env.Call(&Stub::UpdateClient, kAdmin, req, &out)),
            std::vector<std::string>{"update_mask"});
  req.mutable_client()->set_display_name("株式会社\u0097デモ");  // a C1 control
  req.mutable_update_mask()->Clear();
  req.mutable_update_mask()->add_paths("display_name");
  EXPECT_EQ(ViolatedFields(env.Call(&Stub::UpdateClient, kAdmin, req, &out)),
            std::vector<std::string>{"client.display_name"});
}

TEST_F(EngagementsTest, ACertifiedEngagementsChecklistCanBeCompleted) {
  v1::Client c = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, c.name());
  while (e.phase() < v1::PHASE_OPERATION_3) {
    v1::AdvancePhaseRequest adv;
    adv.set_name(e.name());
    adv.set_override_reason("テストのため");
    ASSERT_TRUE(env.Call(&Stub::AdvancePhase, kAdmin, adv, &e).ok());
  }
  v1::RecordRegistrationRequest reg;
  reg.set_name(e.name());
  *reg.mutable_registration_date() = Day(2026, 11, 20);
  reg.set_certificate_number("JQA-IM0002");
  reg.set_override_reason("審査機関の確認済み");
  ASSERT_TRUE(env.Call(&Stub::RecordRegistration, kAdmin, reg, &e).ok());
  ASSERT_EQ(e.state(), v1::ENGAGEMENT_STATE_CERTIFIED);
  // Recording the registration is the receipt of the certificate.
  v1::ListTasksRequest lt;
  lt.set_parent(e.name());
  lt.set_phase(v1::PHASE_CERTIFICATION);
  v1::ListTasksResponse tasks;
  ASSERT_TRUE(env.Call(&Stub::ListTasks, kAdmin, lt, &tasks).ok());
  auto status_of = [&](const std::string& id) {
    for (const auto& t : tasks.tasks()) {
      if (t.task_id() == id) return t.status();
    }
    return v1::TASK_STATUS_UNSPECIFIED;
  };
  EXPECT_EQ(status_of("cert-c-certificate"), v1::TASK_STATUS_DONE);
  EXPECT_EQ(status_of("cert-o-close"), v1::TASK_STATUS_OPEN);
  // The closing tasks stay open to the certified engagement …
  ASSERT_TRUE(Task(e.name(), "cert-o-close", kConsultant).ok());
  ASSERT_TRUE(Task(e.name(), "cert-c-publicize", ClientOf(c)).ok());
  ASSERT_TRUE(env.Call(&Stub::ListTasks, kAdmin, lt, &tasks).ok());
  for (const auto& t : tasks.tasks()) {
    if (t.required()) {
      EXPECT_EQ(t.status(), v1::TASK_STATUS_DONE) << t.task_id();
    }
  }
  // … but nothing else of it: earlier phases' tasks are closed with it.
  EXPECT_EQ(ErrorReason(Task(e.name(), "op3-o-review", kConsultant)), "ENGAGEMENT_NOT_ACTIVE");
}

TEST_F(EngagementsTest, ClientsWithoutEngagementsAreDeletedAndPersonalDataErased) {
  v1::Client bare = MakeClient(env, "誤登録株式会社");
  v1::Client c = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, c.name());
  v1::DeleteClientRequest del;
  del.set_name(c.name());
  del.set_reason("誤って登録");
  v1::Client out;
  EXPECT_EQ(ErrorReason(env.Call(&Stub::DeleteClient, kAdmin, del, &out)),
            "CLIENT_HAS_ENGAGEMENTS");
  EXPECT_EQ(ViolatedFields(env.Call(&Stub::DeleteClient, kAdmin, v1::DeleteClientRequest(), &out)),
            std::vector<std::string>{"name"});
  del.set_name(bare.name());
  del.set_request_id("1d1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  ASSERT_TRUE(env.Call(&Stub::DeleteClient, kAdmin, del, &out).ok());
  EXPECT_EQ(out.deleted_by(), kAdmin.subject());
  EXPECT_EQ(out.delete_reason(), "誤って登録");
  EXPECT_EQ(out.contacts_size(), 0);  // the tombstone keeps no personal data
  v1::Client again;
  ASSERT_TRUE(env.Call(&Stub::DeleteClient, kAdmin, del, &again).ok());  // retry: replayed
  EXPECT_EQ(again.SerializeAsString(), out.SerializeAsString());
  del.clear_request_id();
  EXPECT_EQ(env.Call(&Stub::DeleteClient, kAdmin, del, &again).code(), absl::StatusCode::kNotFound);
  v1::GetClientRequest get;
  get.set_name(bare.name());
  EXPECT_EQ(env.Call(&Stub::GetClient, kAdmin, get, &again).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env.Call(&Stub::CreateEngagement, kAdmin, EngagementRequest(bare.name()), &e).code(),
            absl::StatusCode::kNotFound);
  v1::ListClientsRequest lc;
  lc.set_parent("tenants/t1");
  v1::ListClientsResponse clients;
  ASSERT_TRUE(env.Call(&Stub::ListClients, kAdmin, lc, &clients).ok());
  ASSERT_EQ(clients.clients_size(), 1);
  EXPECT_EQ(clients.clients(0).name(), c.name());

  // Erasure: the contacts' names and e-mail addresses go, the business records stay.
  v1::EraseClientPersonalDataRequest er;
  er.set_name(c.name());
  er.set_reason("本人からの削除請求 (2026-11-20 受付)");
  ASSERT_TRUE(env.Call(&Stub::EraseClientPersonalData, kAdmin, er, &out).ok());
  ASSERT_EQ(out.contacts_size(), 1);
  EXPECT_EQ(out.contacts(0).display_name(), "（消去済み）");
  EXPECT_EQ(out.contacts(0).email(), "");
  EXPECT_EQ(out.display_name(), c.display_name());
  EXPECT_EQ(out.erased_by(), kAdmin.subject());
  EXPECT_TRUE(out.has_erase_time());
  v1::Engagement after = Get(e.name());
  EXPECT_EQ(after.contact(), "（消去済み）");
  EXPECT_EQ(after.reference_number(), e.reference_number());
  EXPECT_EQ(after.client(), c.name());
  // Nothing of the erased person is left in Redis.
  EXPECT_EQ(RedisInt({"EVAL",
                      "local n = 0 for _, k in ipairs(redis.call('KEYS', '*')) do "
                      "if redis.call('TYPE', k).ok == 'hash' then "
                      "for _, v in ipairs(redis.call('HVALS', k)) do "
                      "if string.find(v, 'yamada@example', 1, true) or "
                      "string.find(v, '山田', 1, true) then n = n + 1 end end end end return n",
                      "0"}),
            0);
}

TEST_F(EngagementsTest, ConcurrentRetriesOfOneRequestGetOneAnswer) {
  v1::Client c = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, c.name());
  Principal client = ClientOf(c);
  constexpr int kPairs = 30;
  for (int i = 0; i < kPairs; ++i) {
    v1::CreateInquiryRequest req;
    req.set_parent(e.name());
    req.set_request_id(absl::StrFormat("%08x-9b4d-4e8a-9c61-0a2b3c4d5e6f", i));
    req.mutable_inquiry()->set_subject("同時の再送");
    req.mutable_inquiry()->set_body("本文");
    v1::Inquiry a, b;
    absl::Status sa, sb;
    // The client's retry races its first attempt: both must name the one inquiry stored.
    std::thread first([&] { sa = env.Call(&Stub::CreateInquiry, client, req, &a); });
    sb = env.Call(&Stub::CreateInquiry, client, req, &b);
    first.join();
    ASSERT_TRUE(sa.ok() && sb.ok()) << sa << " / " << sb;
    EXPECT_EQ(a.name(), b.name()) << "a retry answered with an inquiry that was never stored";
  }
  v1::ListInquiriesRequest list;
  list.set_parent(e.name());
  list.set_page_size(100);
  v1::ListInquiriesResponse all;
  ASSERT_TRUE(env.Call(&Stub::ListInquiries, kAdmin, list, &all).ok());
  EXPECT_EQ(all.inquiries_size(), kPairs);
}

TEST_F(EngagementsTest, CreateIsIdempotentByRequestId) {
  v1::Client c = MakeClient(env);
  v1::CreateEngagementRequest req = EngagementRequest(c.name());
  req.set_request_id("3f1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  v1::Engagement first, again;
  ASSERT_TRUE(env.Call(&Stub::CreateEngagement, kAdmin, req, &first).ok());
  ASSERT_TRUE(env.Call(&Stub::CreateEngagement, kAdmin, req, &again).ok());
  EXPECT_EQ(first.name(), again.name());
  EXPECT_EQ(again.reference_number(), "2026-0001");
  req.mutable_engagement()->set_department("別の部門");
  absl::Status s = env.Call(&Stub::CreateEngagement, kAdmin, req, &again);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedFields(s), std::vector<std::string>{"request_id"});
  EXPECT_EQ(CountEngagements(), 1);
}

TEST_F(EngagementsTest, UpdateUsesMaskAndEtag) {
  v1::Client c = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, c.name());
  v1::UpdateEngagementRequest req;
  req.mutable_engagement()->set_name(e.name());
  req.mutable_engagement()->set_etag(e.etag());
  req.mutable_engagement()->set_certification_body("BSIグループジャパン");
  req.mutable_engagement()->set_department("ignored: not in mask");
  *req.mutable_engagement()->mutable_support_start() = Day(2026, 8, 31);
  req.mutable_update_mask()->add_paths("certification_body");
  req.mutable_update_mask()->add_paths("support_start");
  v1::Engagement out;
  ASSERT_TRUE(env.Call(&Stub::UpdateEngagement, kAdmin, req, &out).ok());
  EXPECT_EQ(out.certification_body(), "BSIグループジャパン");
  EXPECT_EQ(out.department(), "情報システム部");
  EXPECT_EQ(out.support_end().year(), 2028);  // 2026-08-31 + 18 months = 2028-02-29
  EXPECT_EQ(out.support_end().month(), 2);
  EXPECT_EQ(out.support_end().day(), 29);
  EXPECT_EQ(out.etag(), "2");
  EXPECT_EQ(Get(e.name()).etag(), "2");
  EXPECT_EQ(env.Call(&Stub::UpdateEngagement, kAdmin, req, &out).code(),
            absl::StatusCode::kAborted);
  req.mutable_engagement()->clear_etag();
  req.mutable_update_mask()->add_paths("phase");
  EXPECT_EQ(env.Call(&Stub::UpdateEngagement, kAdmin, req, &out).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(EngagementsMetricsTest, WholeLifecycleWritesStage1EventAtomically) {
  v1::Client c = MakeClient(env);
  Principal client = ClientOf(c);
  v1::Engagement e = MakeEngagement(env, c.name());
  // Wrong order: stage 1 result in preparation.
  v1::RecordAuditResultRequest audit;
  audit.set_name(e.name());
  audit.set_stage(v1::AUDIT_STAGE_1);
  audit.set_outcome(v1::AUDIT_OUTCOME_MAY_PROCEED);
  *audit.mutable_audit_date() = Day(2026, 11, 20);
  v1::Engagement out;
  EXPECT_EQ(ErrorReason(env.Call(&Stub::RecordAuditResult, kConsultant, audit, &out)),
            "WRONG_PHASE");
  EXPECT_EQ(ErrorReason(Advance(e.name())), "PHASE_GATE_NOT_MET");

  for (int phase = 1; phase < 4; ++phase) {
    ASSERT_TRUE(FinishPhase(e, client).ok());
    ASSERT_TRUE(Advance(e.name()).ok()) << phase;
  }
  EXPECT_EQ(Get(e.name()).phase(), v1::PHASE_STAGE1_AUDIT);
  ASSERT_TRUE(FinishPhase(e, client).ok());
  EXPECT_EQ(RedisInt({"ZCARD", "eng:{t:t1}:out:q:billing"}), 0);
  audit.set_request_id("0f1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f");
  ASSERT_TRUE(env.Call(&Stub::RecordAuditResult, kConsultant, audit, &out).ok());
  // A retry of the same request replays; it writes no second event.
  ASSERT_TRUE(env.Call(&Stub::RecordAuditResult, kConsultant, audit, &out).ok());
  // Queued for billing (its only Stage1Passed) and for scheduling (with the other events).
  EXPECT_EQ(RedisInt({"ZCARD", "eng:{t:t1}:out:q:billing"}), 1);
  {
    RedisOptions o;
    o.unix_socket = redis.socket();
    RedisPool pool(o);
    auto ids = pool.Command({"ZRANGE", "eng:{t:t1}:out:q:billing", "0", "-1"});
    ASSERT_TRUE(ids.ok());
    auto rec = pool.Command({"HGET", "eng:{t:t1}:out:event:" + ids->elements[0].str, "d"});
    ASSERT_TRUE(rec.ok() && !rec->is_nil());
    certpath::common::v1::OutboxEvent ev;
    ASSERT_TRUE(ev.ParseFromString(rec->str));
    EXPECT_EQ(ev.type(), "certpath.engagements.v1.Stage1Passed");
    EXPECT_EQ(ev.producer(), "engagements");
    EXPECT_EQ(ev.subject(), e.name());
    auto sched = pool.Command({"ZSCORE", "eng:{t:t1}:out:q:scheduling", ids->elements[0].str});
    ASSERT_TRUE(sched.ok());
    EXPECT_FALSE(sched->is_nil()) << "Stage1Passed goes to scheduling too";
    v1::Stage1Passed payload;
    ASSERT_TRUE(ev.payload().UnpackTo(&payload));
    EXPECT_EQ(payload.engagement(), e.name());
    EXPECT_EQ(payload.reference_number(), "2026-0001");
    EXPECT_EQ(payload.audit_date().day(), 20);
  }
  // The metric shows the backlog once the guard refreshed it.
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    seen =
        absl::StrContains(env.ScrapeMetrics(),
                          "certpath_outbox_backlog{consumer=\"billing\",delivering=\"false\"} 1");
    if (!seen) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(seen);

  // Stage 1 concerns and the management review.
  v1::CreateFindingRequest fr;
  fr.set_parent(e.name());
  fr.mutable_finding()->set_source(v1::FINDING_SOURCE_STAGE1);
  fr.mutable_finding()->set_grade(v1::FINDING_GRADE_CONCERN);
  fr.mutable_finding()->set_clause("A.5.15");
  fr.mutable_finding()->set_description("アクセス制御方針が未承認");
  v1::Finding concern;
  // Stage-1 findings are the certification body's verdict: the office records them.
  EXPECT_EQ(env.Call(&Stub::CreateFinding, client, fr, &concern).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(env.Call(&Stub::CreateFinding, kConsultant, fr, &concern).ok());
  EXPECT_EQ(concern.state(), v1::FINDING_STATE_OPEN);
  EXPECT_EQ(Get(e.name()).open_findings(), 1);
  v1::RecordManagementReviewRequest mr;
  mr.set_name(e.name());
  *mr.mutable_review_date() = Day(2026, 11, 24);
  mr.set_top_management_approved(true);
  mr.set_instructions("目標の見直し");
  ASSERT_TRUE(env.Call(&Stub::RecordManagementReview, kConsultant, mr, &out).ok());
  EXPECT_EQ(out.management_reviews_size(), 1);
  ASSERT_TRUE(Advance(e.name()).ok());
  ASSERT_TRUE(FinishPhase(e, client).ok());
  ASSERT_TRUE(Advance(e.name()).ok());
  ASSERT_TRUE(FinishPhase(e, client).ok());
  EXPECT_EQ(ErrorReason(Advance(e.name())), "PHASE_GATE_NOT_MET");  // no stage 2 result
  audit.clear_request_id();
  audit.set_stage(v1::AUDIT_STAGE_2);
  audit.set_outcome(v1::AUDIT_OUTCOME_RECOMMENDED);
  *audit.mutable_audit_date() = Day(2026, 11, 25);
  ASSERT_TRUE(env.Call(&Stub::RecordAuditResult, kConsultant, audit, &out).ok());
  // A major nonconformity from stage 2 blocks registration until closed.
  fr.mutable_finding()->set_source(v1::FINDING_SOURCE_STAGE2);
  fr.mutable_finding()->set_grade(v1::FINDING_GRADE_MAJOR_NC);
  fr.mutable_finding()->set_clause("6.1.2");
  v1::Finding major;
  ASSERT_TRUE(env.Call(&Stub::CreateFinding, kConsultant, fr, &major).ok());
  ASSERT_TRUE(Advance(e.name()).ok());
  ASSERT_TRUE(FinishPhase(e, client).ok());
  v1::RecordRegistrationRequest reg;
  reg.set_name(e.name());
  *reg.mutable_registration_date() = Day(2026, 11, 26);
  reg.set_certificate_number("JQA-IM0001");
  EXPECT_EQ(ErrorReason(env.Call(&Stub::RecordRegistration, kConsultant, reg, &out)),
            "PHASE_GATE_NOT_MET");
  // The client proposes its corrective action and evidence; closing is the office's act.
  v1::UpdateFindingRequest uf;
  uf.mutable_finding()->set_name(major.name());
  uf.mutable_finding()->set_corrective_action("リスク評価手順を改訂");
  uf.mutable_finding()->set_evidence("改訂版手順書 v2.0 と教育記録");
  uf.mutable_update_mask()->add_paths("corrective_action");
  uf.mutable_update_mask()->add_paths("evidence");
  v1::Finding proposed;
  ASSERT_TRUE(env.Call(&Stub::UpdateFinding, client, uf, &proposed).ok());
  EXPECT_EQ(proposed.state(), v1::FINDING_STATE_OPEN);
  EXPECT_EQ(proposed.evidence(), "改訂版手順書 v2.0 と教育記録");
  v1::UpdateFindingRequest close;
  close.mutable_finding()->set_name(major.name());
  close.mutable_finding()->set_state(v1::FINDING_STATE_CLOSED);
  close.mutable_update_mask()->add_paths("state");
  v1::Finding closed;
  EXPECT_EQ(env.Call(&Stub::UpdateFinding, client, close, &closed).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Get(e.name()).open_major_findings(), 1);
  ASSERT_TRUE(env.Call(&Stub::UpdateFinding, kConsultant, close, &closed).ok());
  EXPECT_EQ(closed.state(), v1::FINDING_STATE_CLOSED);
  EXPECT_EQ(closed.closed_by(), kConsultant.subject());
  EXPECT_TRUE(closed.has_close_time());
  EXPECT_EQ(closed.corrective_action(), "リスク評価手順を改訂");
  EXPECT_EQ(closed.etag(), "3");
  EXPECT_EQ(closed.description(), "アクセス制御方針が未承認");
  EXPECT_EQ(Get(e.name()).open_major_findings(), 0);
  v1::ListFindingsRequest lf;
  lf.set_parent(e.name());
  lf.set_open_only(true);
  v1::ListFindingsResponse findings;
  ASSERT_TRUE(env.Call(&Stub::ListFindings, kAdmin, lf, &findings).ok());
  ASSERT_EQ(findings.findings_size(), 1);
  EXPECT_EQ(findings.findings(0).name(), concern.name());

  ASSERT_TRUE(env.Call(&Stub::RecordRegistration, kConsultant, reg, &out).ok());
  EXPECT_EQ(out.phase(), v1::PHASE_CERTIFICATION);
  EXPECT_EQ(out.state(), v1::ENGAGEMENT_STATE_CERTIFIED);
  EXPECT_EQ(out.support_end().day(), 26);
  EXPECT_EQ(out.transitions_size(), 7);
}

TEST_F(EngagementsTest, InquiriesRecordWhichArrangementCoveredThem) {
  v1::Client c = MakeClient(env);
  Principal client = ClientOf(c);
  v1::Engagement e = MakeEngagement(env, c.name());
  v1::CreateInquiryRequest req;
  req.set_parent(e.name());
  req.mutable_inquiry()->set_subject("リスク分析表の書き方");
  req.mutable_inquiry()->set_body("資産台帳との関係を教えてください。\nよろしくお願いします。");
  v1::Inquiry q;
  ASSERT_TRUE(env.Call(&Stub::CreateInquiry, client, req, &q).ok());
  EXPECT_EQ(q.coverage(), v1::INQUIRY_COVERAGE_SUPPORT_INCLUDED);
  EXPECT_EQ(q.asked_by(), "yamada");

  v1::AnswerInquiryRequest ans;
  ans.set_name(q.name());
  ans.set_answer("資産ごとにリスクを評価します。");
  v1::Inquiry answered;
  EXPECT_EQ(env.Call(&Stub::AnswerInquiry, client, ans, &answered).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(env.Call(&Stub::AnswerInquiry, kConsultant, ans, &answered).ok());
  EXPECT_EQ(answered.answer(), "資産ごとにリスクを評価します。");
  EXPECT_EQ(answered.answered_by(), "kenji@office");
  // A second answer does not silently replace the first: only with its etag.
  ans.set_answer("上書き");
  v1::Inquiry again;
  EXPECT_EQ(ErrorReason(env.Call(&Stub::AnswerInquiry, kAdmin, ans, &again)), "ALREADY_ANSWERED");
  ans.set_etag(answered.etag());
  ASSERT_TRUE(env.Call(&Stub::AnswerInquiry, kAdmin, ans, &again).ok());
  EXPECT_EQ(again.answer(), "上書き");
  EXPECT_EQ(again.answered_by(), "admin@office");

  // After the 18 months: refused without a retainer, covered with one.
  env.clock.Set(absl::FromCivil(absl::CivilSecond(2027, 10, 2, 9, 0, 0), TokyoZone()));
  EXPECT_EQ(Get(e.name()).state(), v1::ENGAGEMENT_STATE_EXPIRED);
  absl::Status s = env.Call(&Stub::CreateInquiry, client, req, &q);
  EXPECT_EQ(ErrorReason(s), "ADVISORY_RETAINER_REQUIRED");
  v1::UpdateEngagementRequest upd;
  upd.mutable_engagement()->set_name(e.name());
  *upd.mutable_engagement()->mutable_advisory_retainer_end() = Day(2028, 9, 30);
  upd.mutable_update_mask()->add_paths("advisory_retainer_end");
  v1::Engagement updated;
  ASSERT_TRUE(env.Call(&Stub::UpdateEngagement, kAdmin, upd, &updated).ok());
  ASSERT_TRUE(env.Call(&Stub::CreateInquiry, client, req, &q).ok());
  EXPECT_EQ(q.coverage(), v1::INQUIRY_COVERAGE_ADVISORY_RETAINER);

  v1::ListInquiriesRequest list;
  list.set_parent(e.name());
  v1::ListInquiriesResponse resp;
  ASSERT_TRUE(env.Call(&Stub::ListInquiries, client, list, &resp).ok());
  ASSERT_EQ(resp.inquiries_size(), 2);
  EXPECT_EQ(resp.inquiries(0).coverage(), v1::INQUIRY_COVERAGE_SUPPORT_INCLUDED);
  EXPECT_EQ(resp.inquiries(1).coverage(), v1::INQUIRY_COVERAGE_ADVISORY_RETAINER);
}

TEST_F(EngagementsTest, PaginatesOverThousandsWithSignedTokens) {
  v1::Client c1 = MakeClient(env, "A社");
  v1::Client c2 = MakeClient(env, "B社");
  const int kTotal = 1050;
  for (int i = 0; i < kTotal; ++i) {
    MakeEngagement(env, i % 3 == 0 ? c2.name() : c1.name(),
                   i % 5 == 0 ? std::vector<std::string>{"p1"} : std::vector<std::string>{});
  }
  v1::ListEngagementsRequest req;
  req.set_parent("tenants/t1");
  req.set_page_size(100);
  std::set<std::string> names;
  int pages = 0;
  std::string first_token;
  for (;;) {
    v1::ListEngagementsResponse resp;
    ASSERT_TRUE(env.Call(&Stub::ListEngagements, kAdmin, req, &resp).ok());
    ++pages;
    EXPECT_LE(resp.engagements_size(), 100);
    for (const auto& e : resp.engagements()) names.insert(e.name());
    if (first_token.empty()) first_token = resp.next_page_token();
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(pages, 11);
  EXPECT_EQ(names.size(), static_cast<size_t>(kTotal));

  auto page_of = [&](int size) {
    v1::ListEngagementsRequest r;
    r.set_parent("tenants/t1");
    r.set_page_size(size);
    v1::ListEngagementsResponse resp;
    absl::Status s = env.Call(&Stub::ListEngagements, kAdmin, r, &resp);
    return s.ok() ? resp.engagements_size() : -static_cast<int>(s.code());
  };
  EXPECT_EQ(page_of(0), 50);
  EXPECT_EQ(page_of(100000), 500);
  EXPECT_EQ(page_of(-1), -static_cast<int>(absl::StatusCode::kInvalidArgument));

  // Tampered token, and a token carried over to another filter.
  v1::ListEngagementsRequest bad;
  bad.set_parent("tenants/t1");
  bad.set_page_token(first_token.substr(0, first_token.size() - 2) + "xx");
  v1::ListEngagementsResponse resp;
  EXPECT_EQ(ViolatedFields(env.Call(&Stub::ListEngagements, kAdmin, bad, &resp)),
            std::vector<std::string>{"page_token"});
  bad.set_page_token(first_token);
  bad.set_page_size(100);
  bad.set_client(c1.name());
  EXPECT_EQ(env.Call(&Stub::ListEngagements, kAdmin, bad, &resp).code(),
            absl::StatusCode::kInvalidArgument);

  // Filters: client, partner scope, phase, state.
  v1::ListEngagementsRequest f;
  f.set_parent("tenants/t1");
  f.set_page_size(500);
  f.set_client(c2.name());
  int n = 0;
  for (;;) {
    v1::ListEngagementsResponse r;
    ASSERT_TRUE(env.Call(&Stub::ListEngagements, kAdmin, f, &r).ok());
    for (const auto& e : r.engagements()) {
      EXPECT_EQ(e.client(), c2.name());
      ++n;
    }
    if (r.next_page_token().empty()) break;
    f.set_page_token(r.next_page_token());
  }
  EXPECT_EQ(n, 350);
  EXPECT_EQ(CountEngagements(MakePrincipal(Principal::ROLE_PARTNER, "pat", "p1")), 210);
  EXPECT_EQ(CountEngagements(MakePrincipal(Principal::ROLE_PARTNER, "pat", "p9")), 0);
  EXPECT_EQ(CountEngagements(ClientOf(c2)), 350);
  v1::ListEngagementsRequest ph;
  ph.set_parent("tenants/t1");
  ph.set_phase(v1::PHASE_CONSTRUCTION);
  v1::ListEngagementsResponse none;
  ASSERT_TRUE(env.Call(&Stub::ListEngagements, kAdmin, ph, &none).ok());
  EXPECT_EQ(none.engagements_size(), 0);
  EXPECT_TRUE(none.next_page_token().empty());
  env.clock.Set(absl::FromCivil(absl::CivilSecond(2027, 10, 2, 9, 0, 0), TokyoZone()));
  v1::ListEngagementsRequest st;
  st.set_parent("tenants/t1");
  st.set_state(v1::ENGAGEMENT_STATE_EXPIRED);
  st.set_page_size(5);
  v1::ListEngagementsResponse expired;
  ASSERT_TRUE(env.Call(&Stub::ListEngagements, kAdmin, st, &expired).ok());
  ASSERT_EQ(expired.engagements_size(), 5);
  EXPECT_EQ(expired.engagements(0).state(), v1::ENGAGEMENT_STATE_EXPIRED);
  st.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
  ASSERT_TRUE(env.Call(&Stub::ListEngagements, kAdmin, st, &expired).ok());
  EXPECT_EQ(expired.engagements_size(), 0);
}

TEST_F(EngagementsTest, StatsBehindTheGaugesCountPhasesStatesAndEndingSupport) {
  v1::Client c = MakeClient(env);
  // Today is 2026-11-26: support ends 12-10 (≤30 days), 2027-01-20 (≤60), 02-20 (≤90),
  // 2027-10-01 (later) and 2026-11-01 (already: expired).
  for (auto start :
       {Day(2025, 6, 10), Day(2025, 7, 20), Day(2025, 8, 20), Day(2026, 4, 1), Day(2025, 5, 1)}) {
    v1::CreateEngagementRequest req = EngagementRequest(c.name());
    *req.mutable_engagement()->mutable_support_start() = start;
    v1::Engagement e;
    ASSERT_TRUE(env.Call(&Stub::CreateEngagement, kAdmin, req, &e).ok());
  }
  v1::Engagement last = MakeEngagement(env, c.name());
  v1::TerminateEngagementRequest term;
  term.set_name(last.name());
  term.set_reason("解約");
  ASSERT_TRUE(env.Call(&Stub::TerminateEngagement, kAdmin, term, &last).ok());
  RedisOptions o;
  o.unix_socket = redis.socket();
  RedisPool pool(o);
  RecordStore records(pool);
  engagements::EngagementStore store(records, 3600);
  auto s = store.Stats("t1", absl::CivilDay(2026, 11, 26));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->by_phase[v1::PHASE_PREPARATION], 6);
  EXPECT_EQ(s->by_state[v1::ENGAGEMENT_STATE_ACTIVE], 4);
  EXPECT_EQ(s->by_state[v1::ENGAGEMENT_STATE_EXPIRED], 1);
  EXPECT_EQ(s->by_state[v1::ENGAGEMENT_STATE_TERMINATED], 1);
  EXPECT_EQ(s->ending_30, 1);
  EXPECT_EQ(s->ending_60, 2);
  EXPECT_EQ(s->ending_90, 3);
}

TEST_F(EngagementsTest, TokensAreRequiredAndVerified) {
  v1::Client c = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, c.name());
  v1::GetEngagementRequest req;
  req.set_name(e.name());
  v1::Engagement out;
  EXPECT_EQ(env.Call(&Stub::GetEngagement, kAdmin, req, &out, "").code(),
            absl::StatusCode::kUnauthenticated);
  std::string forged =
      PrincipalSigner(std::string(48, 'f')).Sign(kAdmin, env.clock.Now(), absl::Hours(1));
  EXPECT_EQ(env.Call(&Stub::GetEngagement, kAdmin, req, &out, forged.c_str()).code(),
            absl::StatusCode::kUnauthenticated);
  std::string expired = SignedToken(kAdmin, env.clock.Now() - absl::Hours(2), absl::Hours(1));
  EXPECT_EQ(env.Call(&Stub::GetEngagement, kAdmin, req, &out, expired.c_str()).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(EngagementsTest, NothingAcknowledgedIsLostAcrossRestarts) {
  v1::Client c = MakeClient(env);
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) names.push_back(MakeEngagement(env, c.name()).name());
  env.Restart();
  for (const auto& n : names) EXPECT_EQ(Get(n).name(), n);
  // Redis killed without warning: appendfsync always kept every acknowledged write.
  redis.Kill();
  EXPECT_TRUE(env.WaitHealth(false));
  v1::Engagement out;
  EXPECT_EQ(env.Call(&Stub::CreateEngagement, kAdmin, EngagementRequest(c.name()), &out).code(),
            absl::StatusCode::kUnavailable);
  redis.Start();
  EXPECT_TRUE(env.WaitHealth(true));
  EXPECT_EQ(CountEngagements(), 50);
  for (const auto& n : names) EXPECT_EQ(Get(n).name(), n);
  v1::Engagement next = MakeEngagement(env, c.name());
  EXPECT_EQ(next.reference_number(), "2026-0051");
}

// The service layer itself, below gRPC: text checks name the field.
TEST(ServiceLayer, RejectsNonUtf8Text) {
  RedisServer redis;
  RedisOptions o;
  o.unix_socket = redis.socket();
  RedisPool pool(o);
  RecordStore records(pool);
  engagements::EngagementStore store(records, 3600);
  FakeClock clock(DefaultNow());
  PageTokenCodec tokens(kTestSigningKey);
  WriteGate gate;
  gate.Open();
  prometheus::Registry registry;
  engagements::EngagementsApi svc(store, clock, tokens, gate, registry);
  v1::CreateClientRequest req;
  req.set_parent("tenants/t1");
  req.mutable_client()->set_display_name("\xe6\xa0");
  v1::Client out;
  absl::Status s = svc.CreateClient(kAdmin, req, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedFields(s), std::vector<std::string>{"client.display_name"});
  auto keys = pool.Command({"DBSIZE"});
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->integer, 0);  // nothing written
}

}  // namespace
}  // namespace certpath::testing
