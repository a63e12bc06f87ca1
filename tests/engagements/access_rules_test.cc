// Who may see and do what (BOLA): tenant, partner organization, client company, role.

#include <gtest/gtest.h>

#include "services/engagements/domain/rules.h"

namespace certpath::engagements::domain {
namespace {

Principal P(Principal::Role role, std::string org = "", std::string tenant = "t1") {
  Principal p;
  p.set_tenant(std::move(tenant));
  p.set_subject("s");
  p.set_role(role);
  p.set_organization(std::move(org));
  return p;
}

v1::Engagement E() {
  v1::Engagement e;
  e.set_client("tenants/t1/clients/c1");
  e.add_partner_organizations("p1");
  return e;
}

using Code = absl::StatusCode;
struct Row {
  const char* who;
  Principal p;
  Code read, manage, admin, finding, ask, answer;
};

TEST(Authorize, Matrix) {
  const Code OK = Code::kOk, NF = Code::kNotFound, PD = Code::kPermissionDenied;
  const Row rows[] = {
      {"admin", P(Principal::ROLE_OFFICE_ADMIN), OK, OK, OK, OK, OK, OK},
      {"consultant", P(Principal::ROLE_CONSULTANT), OK, OK, PD, OK, OK, OK},
      {"service", P(Principal::ROLE_SERVICE), OK, OK, PD, OK, OK, OK},
      {"partner of it", P(Principal::ROLE_PARTNER, "p1"), OK, PD, PD, OK, OK, OK},
      {"other partner", P(Principal::ROLE_PARTNER, "p2"), NF, NF, NF, NF, NF, NF},
      {"partner without org", P(Principal::ROLE_PARTNER, ""), NF, NF, NF, NF, NF, NF},
      {"its client", P(Principal::ROLE_CLIENT, "c1"), OK, PD, PD, OK, OK, PD},
      {"other client", P(Principal::ROLE_CLIENT, "c2"), NF, NF, NF, NF, NF, NF},
      {"other tenant admin", P(Principal::ROLE_OFFICE_ADMIN, "", "t2"), NF, NF, NF, NF, NF, NF},
  };
  // What each column stands for, by the RPC whose policy row it checks.
  const char* methods[] = {"GetEngagement", "UpdateEngagement", "TerminateEngagement",
                           "CreateFinding", "CreateInquiry",    "AnswerInquiry"};
  for (const Row& r : rows) {
    const Code want[] = {r.read, r.manage, r.admin, r.finding, r.ask, r.answer};
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(Authorize(r.p, "t1", E(), methods[i]).code(), want[i])
          << r.who << " " << methods[i];
    }
  }
}

TEST(CanSeeClient, OfficeAllClientOwnOnly) {
  EXPECT_TRUE(CanSeeClient(P(Principal::ROLE_CONSULTANT), "t1", "c1"));
  EXPECT_TRUE(CanSeeClient(P(Principal::ROLE_CLIENT, "c1"), "t1", "c1"));
  EXPECT_FALSE(CanSeeClient(P(Principal::ROLE_CLIENT, "c2"), "t1", "c1"));
  EXPECT_FALSE(CanSeeClient(P(Principal::ROLE_PARTNER, "p1"), "t1", "c1"));
  EXPECT_FALSE(CanSeeClient(P(Principal::ROLE_OFFICE_ADMIN, "", "t2"), "t1", "c1"));
}

}  // namespace
}  // namespace certpath::engagements::domain
