// BOLA: every RPC that names an object, called by every kind of principal.
// A = allowed (any answer but NOT_FOUND / PERMISSION_DENIED / UNAUTHENTICATED),
// N = NOT_FOUND (existence not leaked), D = PERMISSION_DENIED, U = UNAUTHENTICATED.
// The expected cells come from the service's policy table (domain/policy.h)
// and the finer domain rules (finding fields), given who sees the objects; the
// hand-written matrix below is a second opinion that must agree with them.

#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_format.h"

#include "services/common/status.h"
#include "services/engagements/domain/policy.h"
#include "services/engagements/domain/rules.h"
#include "tests/support/access_matrix.h"
#include "tests/support/fixtures.h"

namespace certpath::testing {
namespace {

using Stub = v1::EngagementService::Stub;

struct Objects {
  v1::Client client;
  v1::Engagement engagement;
  v1::Finding finding;
  v1::Inquiry inquiry;
};

using Caller = access::Caller;

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
  r["UpdateFinding.corrective_action"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::UpdateFindingRequest req;
    req.mutable_finding()->set_name(o.finding.name());
    req.mutable_finding()->set_corrective_action("手順を改訂");
    req.mutable_finding()->set_evidence("改訂版手順書");
    req.mutable_update_mask()->add_paths("corrective_action");
    req.mutable_update_mask()->add_paths("evidence");
    return Do(env, c, &Stub::UpdateFinding, req);
  };
  r["UpdateFinding.grade"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::UpdateFindingRequest req;
    req.mutable_finding()->set_name(o.finding.name());
    req.mutable_finding()->set_grade(v1::FINDING_GRADE_OBSERVATION);
    req.mutable_update_mask()->add_paths("grade");
    return Do(env, c, &Stub::UpdateFinding, req);
  };
  r["UpdateFinding.close"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::UpdateFindingRequest req;
    req.mutable_finding()->set_name(o.finding.name());
    req.mutable_finding()->set_state(v1::FINDING_STATE_CLOSED);
    req.mutable_finding()->set_corrective_action("是正処置済み");
    req.mutable_update_mask()->add_paths("state");
    req.mutable_update_mask()->add_paths("corrective_action");
    return Do(env, c, &Stub::UpdateFinding, req);
  };
  r["CreateFinding.stage2"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::CreateFindingRequest req;
    req.set_parent(o.engagement.name());
    req.mutable_finding()->set_source(v1::FINDING_SOURCE_STAGE2);
    req.mutable_finding()->set_grade(v1::FINDING_GRADE_MAJOR_NC);
    req.mutable_finding()->set_description("リスク評価が未実施");
    return Do(env, c, &Stub::CreateFinding, req);
  };
  r["DeleteClient"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::DeleteClientRequest req;
    req.set_name(o.client.name());
    req.set_reason("誤って登録");
    return Do(env, c, &Stub::DeleteClient, req);
  };
  r["EraseClientPersonalData"] = [](ServiceEnv& env, const Caller& c, const Objects& o) {
    v1::EraseClientPersonalDataRequest req;
    req.set_name(o.client.name());
    req.set_reason("本人からの削除請求");
    return Do(env, c, &Stub::EraseClientPersonalData, req);
  };
  return r;
}

using access::Classify;

// The cell the policy table gives: N to who does not see the object, then the
// RPC's roles, then (for the "Rpc.case" rows) the finer domain rule.
char FromPolicy(const std::string& row, const Principal& p, bool sees) {
  if (!sees) return 'N';
  std::string method = row.substr(0, row.find('.'));
  if (!engagements::domain::EngagementsPolicy().May(p, method)) return 'D';
  namespace d = engagements::domain;
  google::protobuf::FieldMask mask;
  v1::Finding finding;
  absl::Status finer;
  if (row == "UpdateFinding") mask.add_paths("advice");
  if (row == "UpdateFinding.corrective_action") {
    mask.add_paths("corrective_action");
    mask.add_paths("evidence");
  }
  if (row == "UpdateFinding.grade") mask.add_paths("grade");
  if (row == "UpdateFinding.close") mask.add_paths("state");
  if (method == "UpdateFinding") finer = d::CheckFindingUpdate(p, mask);
  if (row == "CreateFinding.stage2") {
    finding.set_source(v1::FINDING_SOURCE_STAGE2);
    finer = d::CheckFindingCreate(p, finding);
  }
  return finer.ok() ? 'A' : 'D';
}

TEST(AccessMatrix, EveryRpcHasAPolicyRow) {
  std::vector<std::string> methods;
  const auto* svc = v1::Engagement::descriptor()->file()->FindServiceByName("EngagementService");
  for (int i = 0; i < svc->method_count(); ++i) methods.push_back(svc->method(i)->name());
  EXPECT_EQ(engagements::domain::EngagementsPolicy().Uncovered(methods),
            std::vector<std::string>{});
  // One more row: DeliverEvent, of the certpath.common.v1.EventConsumer service it also serves.
  EXPECT_EQ(engagements::domain::EngagementsPolicy().rules().size(), methods.size() + 1);
}

TEST(AccessMatrix, EveryRpcEveryPrincipal) {
  RedisServer redis;
  ServiceEnv env(redis);
  static const std::string forged =
      PrincipalSigner(std::string(48, 'f')).Sign(kAdmin, env.clock.Now(), absl::Hours(1));
  // Columns: admin consultant partner-of-it other-partner its-client other-client
  //          other-tenant no-token forged-token
  const std::map<std::string, std::string> want = {
      {"GetClient", "AAANANNUU"},
      {"UpdateClient", "AADNDNNUU"},
      {"DeleteClient", "ADDNDNNUU"},
      {"EraseClientPersonalData", "ADDNDNNUU"},
      {"GetEngagement", "AAANANNUU"},
      {"UpdateEngagement", "AADNDNNUU"},
      {"AdvancePhase", "AADNDNNUU"},
      {"TerminateEngagement", "ADDNDNNUU"},
      {"ListTasks", "AAANANNUU"},
      {"UpdateTask", "AAANANNUU"},
      {"RecordAuditResult", "AADNDNNUU"},
      {"RecordManagementReview", "AADNDNNUU"},
      {"RecordRegistration", "AADNDNNUU"},
      {"CreateFinding", "AAANANNUU"},
      {"UpdateFinding", "AADNDNNUU"},
      {"ListFindings", "AAANANNUU"},
      {"UpdateFinding.corrective_action", "AAANANNUU"},
      {"UpdateFinding.grade", "AADNDNNUU"},
      {"UpdateFinding.close", "AADNDNNUU"},
      {"CreateFinding.stage2", "AADNDNNUU"},
      {"CreateInquiry", "AAANANNUU"},
      {"AnswerInquiry", "AAANDNNUU"},
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

    // Who sees these objects: office staff, the partner on the engagement, its client.
    const bool sees[] = {true, true, true, false, true, false, false, false, false};
    std::string expected;
    for (size_t i = 0; i < std::size(callers); ++i) {
      expected += callers[i].raw_token ? 'U' : FromPolicy(rpc_name, callers[i].p, sees[i]);
    }
    EXPECT_EQ(expected, want.at(rpc_name))
        << rpc_name << ": the policy table and the documented matrix disagree";
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

// Replay: the owner's request_id sent by everyone else. Each caller must get
// exactly what a first call of theirs would get — never the owner's stored
// response — so the columns read as the matrix above.
struct ReplayCase {
  const char* rpc;
  const char* want;  // same columns as the matrix
  bool client_owns;  // the engagement's client made the first call (else the admin)
  v1::Phase phase;   // the engagement is advanced (by admin override) to this phase
  bool bare_client;  // the client has no engagement (DeleteClient)
  // Runs the RPC with request_id `rid`; the response's bytes go to *resp.
  std::function<absl::Status(ServiceEnv&, const Caller&, const Objects&, const std::string& rid,
                             std::string* resp)>
      call;
};

template <typename Req, typename Resp>
absl::Status DoBytes(ServiceEnv& env, const Caller& c, ServiceEnv::Method<Req, Resp> m,
                     const Req& req, std::string* bytes) {
  Resp resp;
  absl::Status s = env.Call(m, c.p, req, &resp, c.raw_token);
  *bytes = resp.SerializeAsString();
  return s;
}

std::vector<ReplayCase> ReplayCases() {
  std::vector<ReplayCase> r;
  r.push_back({"CreateClient", "AADDDDNUU", false, v1::PHASE_PREPARATION, false,
               [](ServiceEnv& env, const Caller& c, const Objects&, const std::string& rid,
                  std::string* out) {
                 v1::CreateClientRequest req;
                 req.set_parent("tenants/t1");
                 req.set_request_id(rid);
                 req.mutable_client()->set_display_name("株式会社リプレイ");
                 return DoBytes(env, c, &Stub::CreateClient, req, out);
               }});
  r.push_back({"CreateEngagement", "AADDDDNUU", false, v1::PHASE_PREPARATION, false,
               [](ServiceEnv& env, const Caller& c, const Objects& o, const std::string& rid,
                  std::string* out) {
                 v1::CreateEngagementRequest req = EngagementRequest(o.client.name());
                 req.set_request_id(rid);
                 return DoBytes(env, c, &Stub::CreateEngagement, req, out);
               }});
  r.push_back({"AdvancePhase", "ADDNDNNUU", false, v1::PHASE_PREPARATION, false,
               [](ServiceEnv& env, const Caller& c, const Objects& o, const std::string& rid,
                  std::string* out) {
                 v1::AdvancePhaseRequest req;
                 req.set_name(o.engagement.name());
                 req.set_override_reason("顧客都合により先行");
                 req.set_request_id(rid);
                 return DoBytes(env, c, &Stub::AdvancePhase, req, out);
               }});
  r.push_back({"TerminateEngagement", "ADDNDNNUU", false, v1::PHASE_PREPARATION, false,
               [](ServiceEnv& env, const Caller& c, const Objects& o, const std::string& rid,
                  std::string* out) {
                 v1::TerminateEngagementRequest req;
                 req.set_name(o.engagement.name());
                 req.set_reason("解約");
                 req.set_request_id(rid);
                 return DoBytes(env, c, &Stub::TerminateEngagement, req, out);
               }});
  r.push_back({"RecordAuditResult", "AADNDNNUU", false, v1::PHASE_STAGE1_AUDIT, false,
               [](ServiceEnv& env, const Caller& c, const Objects& o, const std::string& rid,
                  std::string* out) {
                 v1::RecordAuditResultRequest req;
                 req.set_name(o.engagement.name());
                 req.set_stage(v1::AUDIT_STAGE_1);
                 req.set_outcome(v1::AUDIT_OUTCOME_NOT_READY);
                 *req.mutable_audit_date() = Day(2026, 11, 1);
                 req.set_request_id(rid);
                 return DoBytes(env, c, &Stub::RecordAuditResult, req, out);
               }});
  r.push_back({"RecordManagementReview", "AADNDNNUU", false, v1::PHASE_OPERATION_1, false,
               [](ServiceEnv& env, const Caller& c, const Objects& o, const std::string& rid,
                  std::string* out) {
                 v1::RecordManagementReviewRequest req;
                 req.set_name(o.engagement.name());
                 *req.mutable_review_date() = Day(2026, 11, 1);
                 req.set_request_id(rid);
                 return DoBytes(env, c, &Stub::RecordManagementReview, req, out);
               }});
  // The consultant's first call finds the engagement certified already (not a D).
  r.push_back({"RecordRegistration", "AADNDNNUU", false, v1::PHASE_OPERATION_3, false,
               [](ServiceEnv& env, const Caller& c, const Objects& o, const std::string& rid,
                  std::string* out) {
                 v1::RecordRegistrationRequest req;
                 req.set_name(o.engagement.name());
                 *req.mutable_registration_date() = Day(2026, 11, 1);
                 req.set_override_reason("審査機関の確認済み");
                 req.set_request_id(rid);
                 return DoBytes(env, c, &Stub::RecordRegistration, req, out);
               }});
  r.push_back({"CreateFinding", "AAANANNUU", false, v1::PHASE_PREPARATION, false,
               [](ServiceEnv& env, const Caller& c, const Objects& o, const std::string& rid,
                  std::string* out) {
                 v1::CreateFindingRequest req;
                 req.set_parent(o.engagement.name());
                 req.mutable_finding()->set_source(v1::FINDING_SOURCE_INTERNAL_AUDIT);
                 req.mutable_finding()->set_grade(v1::FINDING_GRADE_MINOR_NC);
                 req.mutable_finding()->set_description("記録の保管場所が不明確");
                 req.set_request_id(rid);
                 return DoBytes(env, c, &Stub::CreateFinding, req, out);
               }});
  r.push_back({"CreateInquiry", "AAANANNUU", true, v1::PHASE_PREPARATION, false,
               [](ServiceEnv& env, const Caller& c, const Objects& o, const std::string& rid,
                  std::string* out) {
                 v1::CreateInquiryRequest req;
                 req.set_parent(o.engagement.name());
                 req.mutable_inquiry()->set_subject("文書管理について");
                 req.mutable_inquiry()->set_body("社内の機密情報の取扱いについて");
                 req.set_request_id(rid);
                 return DoBytes(env, c, &Stub::CreateInquiry, req, out);
               }});
  r.push_back({"DeleteClient", "ADNNDNNUU", false, v1::PHASE_PREPARATION, true,
               [](ServiceEnv& env, const Caller& c, const Objects& o, const std::string& rid,
                  std::string* out) {
                 v1::DeleteClientRequest req;
                 req.set_name(o.client.name());
                 req.set_reason("誤って登録");
                 req.set_request_id(rid);
                 return DoBytes(env, c, &Stub::DeleteClient, req, out);
               }});
  r.push_back({"EraseClientPersonalData", "ADDNDNNUU", false, v1::PHASE_PREPARATION, false,
               [](ServiceEnv& env, const Caller& c, const Objects& o, const std::string& rid,
                  std::string* out) {
                 v1::EraseClientPersonalDataRequest req;
                 req.set_name(o.client.name());
                 req.set_reason("本人からの削除請求");
                 req.set_request_id(rid);
                 return DoBytes(env, c, &Stub::EraseClientPersonalData, req, out);
               }});
  return r;
}

TEST(AccessMatrix, AReplayedRequestIdGivesNobodyElseTheStoredResponse) {
  RedisServer redis;
  ServiceEnv env(redis);
  static const std::string forged =
      PrincipalSigner(std::string(48, 'f')).Sign(kAdmin, env.clock.Now(), absl::Hours(1));
  int n = 0;
  for (const ReplayCase& rc : ReplayCases()) {
    Objects o;
    o.client = MakeClient(env);
    std::string cid = o.client.name().substr(o.client.name().rfind('/') + 1);
    if (!rc.bare_client) o.engagement = MakeEngagement(env, o.client.name(), {"p1"});
    for (int guard = 0; !rc.bare_client && o.engagement.phase() < rc.phase && guard < 8; ++guard) {
      v1::AdvancePhaseRequest adv;
      adv.set_name(o.engagement.name());
      adv.set_override_reason("テストのため");
      ASSERT_TRUE(env.Call(&Stub::AdvancePhase, kAdmin, adv, &o.engagement).ok());
    }
    const Caller callers[] = {
        {"admin", kAdmin, nullptr},
        {"consultant", kConsultant, nullptr},
        {"partner of it", MakePrincipal(Principal::ROLE_PARTNER, "pat@p1", "p1"), nullptr},
        {"other partner", MakePrincipal(Principal::ROLE_PARTNER, "pb@p2", "p2"), nullptr},
        {"its client", MakePrincipal(Principal::ROLE_CLIENT, "yamada", cid), nullptr},
        {"other client", MakePrincipal(Principal::ROLE_CLIENT, "suzuki", "otherco"), nullptr},
        {"other tenant", MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "eve", "", "t2"), nullptr},
        {"no token", kAdmin, ""},
        {"forged token", kAdmin, forged.c_str()},
    };
    size_t owner = rc.client_owns ? 4 : 0;
    std::string rid = absl::StrFormat("%08x-7b4d-4e8a-9c61-0a2b3c4d5e6f", ++n);
    std::string first;
    absl::Status s = rc.call(env, callers[owner], o, rid, &first);
    ASSERT_TRUE(s.ok()) << rc.rpc << ": " << s;
    // Strangers and the denied first, then the allowed (whose calls may change things).
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t i = 0; i < std::size(callers); ++i) {
        bool allowed = rc.want[i] == 'A';
        if (i == owner || allowed != (pass == 1)) continue;
        std::string resp;
        absl::Status got = rc.call(env, callers[i], o, rid, &resp);
        EXPECT_EQ(Classify(got), rc.want[i])
            << rc.rpc << " replayed by " << callers[i].name << ": " << got;
        if (got.ok()) {
          EXPECT_NE(resp, first) << rc.rpc << ": " << callers[i].name
                                 << " got the owner's stored response";
        }
      }
    }
    // The owner's own retry is still answered from the record.
    std::string again;
    ASSERT_TRUE(rc.call(env, callers[owner], o, rid, &again).ok()) << rc.rpc;
    EXPECT_EQ(again, first) << rc.rpc << ": the owner's retry was not a replay";
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
