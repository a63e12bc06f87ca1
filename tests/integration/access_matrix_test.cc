// BOLA: every RPC that names an object, called by every kind of principal.
// A = allowed (any answer but NOT_FOUND / PERMISSION_DENIED / UNAUTHENTICATED),
// N = NOT_FOUND (existence not leaked), D = PERMISSION_DENIED, U = UNAUTHENTICATED.

#include <gtest/gtest.h>

#include <map>

#include "services/common/status.h"
#include "tests/integration/fixtures.h"

namespace certpath::testing {
namespace {

using Stub = v1::EngagementService::Stub;

struct Objects {
  v1::Client client;
  v1::Engagement engagement;
  v1::Finding finding;
  v1::Inquiry inquiry;
};

struct Caller {
  const char* name;
  Principal p;
  const char* raw_token;  // non-null: send this instead of p's token
};

using Rpc = std::function<absl::Status(ServiceEnv&, const Caller&, const Objects&)>;

template <typename Req, typename Resp>
absl::Status Do(ServiceEnv& env, const Caller& c, ServiceEnv::Method<Req, Resp> m, const Req& req) {
  Resp resp;
  return env.Call(m, c.p, req, &resp, c.raw_token);
}

std::map<std::string, Rpc> Rpcs() {
  std::map<std::string, Rpc> r;
  r["GetClient"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::GetClientRequest req;
    req.set_name(o.client.name());
    return Do(env, c, &Stub::GetClient, req);
  };
  r["UpdateClient"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::UpdateClientRequest req;
    req.mutable_client()->set_name(o.client.name());
    req.mutable_client()->set_display_name("改名");
    req.mutable_update_mask()->add_paths("display_name");
    return Do(env, c, &Stub::UpdateClient, req);
  };
  r["GetEngagement"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::GetEngagementRequest req;
    req.set_name(o.engagement.name());
    return Do(env, c, &Stub::GetEngagement, req);
  };
  r["UpdateEngagement"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::UpdateEngagementRequest req;
    req.mutable_engagement()->set_name(o.engagement.name());
    req.mutable_engagement()->set_department("品質保証部");
    req.mutable_update_mask()->add_paths("department");
    return Do(env, c, &Stub::UpdateEngagement, req);
  };
  r["AdvancePhase"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::AdvancePhaseRequest req;
    req.set_name(o.engagement.name());
    return Do(env, c, &Stub::AdvancePhase, req);
  };
  r["TerminateEngagement"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::TerminateEngagementRequest req;
    req.set_name(o.engagement.name());
    req.set_reason("解約");
    return Do(env, c, &Stub::TerminateEngagement, req);
  };
  r["ListTasks"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::ListTasksRequest req;
    req.set_parent(o.engagement.name());
    return Do(env, c, &Stub::ListTasks, req);
  };
  r["UpdateTask"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::UpdateTaskRequest req;
    bool client = c.p.role() == Principal::ROLE_CLIENT;
    req.set_name(o.engagement.name() +
                 (client ? "/tasks/prep-c-review-offer" : "/tasks/prep-o-quote"));
    req.set_status(v1::TASK_STATUS_DONE);
    return Do(env, c, &Stub::UpdateTask, req);
  };
  r["RecordAuditResult"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::RecordAuditResultRequest req;
    req.set_name(o.engagement.name());
    req.set_stage(v1::AUDIT_STAGE_1);
    req.set_outcome(v1::AUDIT_OUTCOME_NOT_READY);
    *req.mutable_audit_date() = Day(2026, 11, 1);
    return Do(env, c, &Stub::RecordAuditResult, req);
  };
  r["RecordManagementReview"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::RecordManagementReviewRequest req;
    req.set_name(o.engagement.name());
    *req.mutable_review_date() = Day(2026, 11, 1);
    return Do(env, c, &Stub::RecordManagementReview, req);
  };
  r["RecordRegistration"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::RecordRegistrationRequest req;
    req.set_name(o.engagement.name());
    *req.mutable_registration_date() = Day(2026, 11, 1);
    return Do(env, c, &Stub::RecordRegistration, req);
  };
  r["CreateFinding"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::CreateFindingRequest req;
    req.set_parent(o.engagement.name());
    req.mutable_finding()->set_source(v1::FINDING_SOURCE_INTERNAL_AUDIT);
    req.mutable_finding()->set_grade(v1::FINDING_GRADE_OBSERVATION);
    req.mutable_finding()->set_description("記録の保管場所が不明確");
    return Do(env, c, &Stub::CreateFinding, req);
  };
  r["UpdateFinding"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::UpdateFindingRequest req;
    req.mutable_finding()->set_name(o.finding.name());
    req.mutable_finding()->set_advice("保管規程を定める");
    req.mutable_update_mask()->add_paths("advice");
    return Do(env, c, &Stub::UpdateFinding, req);
  };
  r["ListFindings"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::ListFindingsRequest req;
    req.set_parent(o.engagement.name());
    return Do(env, c, &Stub::ListFindings, req);
  };
  r["CreateInquiry"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::CreateInquiryRequest req;
    req.set_parent(o.engagement.name());
    req.mutable_inquiry()->set_subject("質問");
    req.mutable_inquiry()->set_body("本文");
    return Do(env, c, &Stub::CreateInquiry, req);
  };
  r["AnswerInquiry"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::AnswerInquiryRequest req;
    req.set_name(o.inquiry.name());
    req.set_answer("回答");
    return Do(env, c, &Stub::AnswerInquiry, req);
  };
  r["ListInquiries"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::ListInquiriesRequest req;
    req.set_parent(o.engagement.name());
    return Do(env, c, &Stub::ListInquiries, req);
  };
  return r;
}

char Classify(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return 'N';
    case absl::StatusCode::kPermissionDenied:
      return 'D';
    case absl::StatusCode::kUnauthenticated:
      return 'U';
    default:
      return 'A';
  }
}

TEST(AccessMatrix, EveryRpcEveryPrincipal) {
  RedisServer redis;
  ServiceEnv env(redis);
  static const std::string forged =
      PrincipalSigner(std::string(48, 'f')).Sign(kAdmin, env.clock.Now(), absl::Hours(1));
  // Columns: admin consultant partner-of-it other-partner its-client other-client
  //          other-tenant no-token forged-token
  const std::map<std::string, std::string> want = {
      {"GetClient", "AANNANNUU"},          {"UpdateClient", "AANNDNNUU"},
      {"GetEngagement", "AAANANNUU"},      {"UpdateEngagement", "AADNDNNUU"},
      {"AdvancePhase", "AADNDNNUU"},       {"TerminateEngagement", "ADDNDNNUU"},
      {"ListTasks", "AAANANNUU"},          {"UpdateTask", "AAANANNUU"},
      {"RecordAuditResult", "AADNDNNUU"},  {"RecordManagementReview", "AADNDNNUU"},
      {"RecordRegistration", "AADNDNNUU"}, {"CreateFinding", "AAANANNUU"},
      {"UpdateFinding", "AAANANNUU"},      {"ListFindings", "AAANANNUU"},
      {"CreateInquiry", "AAANANNUU"},      {"AnswerInquiry", "AAANDNNUU"},
      {"ListInquiries", "AAANANNUU"},
  };
  auto rpcs = Rpcs();
  ASSERT_EQ(rpcs.size(), want.size());
  for (const auto& [rpc_name, rpc] : rpcs) {
    // Fresh objects per RPC so one caller's allowed change cannot hide another's answer.
    Objects o;
    o.client = MakeClient(env);
    o.engagement = MakeEngagement(env, o.client.name(), {"p1"});
    std::string cid = o.client.name().substr(o.client.name().rfind('/') + 1);
    const Caller callers[] = {
        {"admin", kAdmin, nullptr},
        {"consultant", kConsultant, nullptr},
        {"partner of it", MakePrincipal(Principal::ROLE_PARTNER, "pat@p1", "p1"), nullptr},
        {"other partner", MakePrincipal(Principal::ROLE_PARTNER, "pat@p2", "p2"), nullptr},
        {"its client", MakePrincipal(Principal::ROLE_CLIENT, "yamada", cid), nullptr},
        {"other client", MakePrincipal(Principal::ROLE_CLIENT, "suzuki", "otherco"), nullptr},
        {"other tenant", MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "eve", "", "t2"), nullptr},
        {"no token", kAdmin, ""},
        {"forged token", kAdmin, forged.c_str()},
    };
    v1::CreateFindingRequest fr;
    fr.set_parent(o.engagement.name());
    fr.mutable_finding()->set_source(v1::FINDING_SOURCE_INTERNAL_AUDIT);
    fr.mutable_finding()->set_grade(v1::FINDING_GRADE_MINOR_NC);
    fr.mutable_finding()->set_description("手順の不備");
    ASSERT_TRUE(env.Call(&Stub::CreateFinding, kAdmin, fr, &o.finding).ok());
    v1::CreateInquiryRequest qr;
    qr.set_parent(o.engagement.name());
    qr.mutable_inquiry()->set_subject("質問");
    qr.mutable_inquiry()->set_body("本文");
    ASSERT_TRUE(env.Call(&Stub::CreateInquiry, kAdmin, qr, &o.inquiry).ok());

    const std::string& expected = want.at(rpc_name);
    // Denied and hidden callers first, so an allowed change (e.g. terminate) comes last.
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t i = 0; i < std::size(callers); ++i) {
        bool allowed = expected[i] == 'A';
        if (allowed != (pass == 1)) continue;
        absl::Status s = rpc(env, callers[i], o);
        EXPECT_EQ(Classify(s), expected[i]) << rpc_name << " by " << callers[i].name << ": " << s;
      }
    }
  }
}

TEST(AccessMatrix, ListsAreScopedToWhatOneMaySee) {
  RedisServer redis;
  ServiceEnv env(redis);
  v1::Client mine = MakeClient(env, "自社");
  v1::Client other = MakeClient(env, "他社");
  MakeEngagement(env, mine.name(), {"p1"});
  MakeEngagement(env, other.name());
  std::string cid = mine.name().substr(mine.name().rfind('/') + 1);
  v1::ListEngagementsRequest req;
  req.set_parent("tenants/t1");
  v1::ListEngagementsResponse resp;
  // A partner asking for another partner's engagements gets nothing.
  Principal partner = MakePrincipal(Principal::ROLE_PARTNER, "pat", "p1");
  req.set_partner_organization("p2");
  ASSERT_TRUE(env.Call(&Stub::ListEngagements, partner, req, &resp).ok());
  EXPECT_EQ(resp.engagements_size(), 0);
  req.clear_partner_organization();
  ASSERT_TRUE(env.Call(&Stub::ListEngagements, partner, req, &resp).ok());
  EXPECT_EQ(resp.engagements_size(), 1);
  // A client asking for another company's engagements gets nothing.
  Principal client = MakePrincipal(Principal::ROLE_CLIENT, "yamada", cid);
  req.set_client(other.name());
  resp.Clear();
  ASSERT_TRUE(env.Call(&Stub::ListEngagements, client, req, &resp).ok());
  EXPECT_EQ(resp.engagements_size(), 0);
  // Another tenant's list is not there; partners and clients do not list clients.
  req.Clear();
  req.set_parent("tenants/t2");
  EXPECT_EQ(env.Call(&Stub::ListEngagements, kAdmin, req, &resp).code(),
            absl::StatusCode::kNotFound);
  v1::ListClientsRequest lc;
  lc.set_parent("tenants/t1");
  v1::ListClientsResponse clients;
  EXPECT_EQ(env.Call(&Stub::ListClients, partner, lc, &clients).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace certpath::testing
