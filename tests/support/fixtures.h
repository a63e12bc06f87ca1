#pragma once
// Builders shared by the integration tests.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/test_env.h"

namespace certpath::testing {

inline const Principal kAdmin = MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "admin@office");
inline const Principal kConsultant = MakePrincipal(Principal::ROLE_CONSULTANT, "kenji@office");

inline v1::Client MakeClient(ServiceEnv& env, const std::string& name = "株式会社デモ") {
  v1::CreateClientRequest req;
  req.set_parent("tenants/t1");
  req.mutable_client()->set_display_name(name);
  req.mutable_client()->add_departments("情報システム部");
  auto* c = req.mutable_client()->add_contacts();
  c->set_display_name("山田 太郎");
  c->set_email("yamada@example.co.jp");
  c->set_role(v1::CONTACT_ROLE_MANAGEMENT_REPRESENTATIVE);
  v1::Client out;
  absl::Status s = env.Call(&v1::EngagementService::Stub::CreateClient, kAdmin, req, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

inline v1::CreateEngagementRequest EngagementRequest(const std::string& client,
                                                     std::vector<std::string> partners = {}) {
  v1::CreateEngagementRequest req;
  req.set_parent("tenants/t1");
  auto* e = req.mutable_engagement();
  e->set_client(client);
  e->set_department("情報システム部");
  e->set_contact("山田 太郎");
  e->set_standard("ISO_IEC_27001_2022");
  e->set_certification_body("一般財団法人 日本品質保証機構");
  e->set_lead_consultant("kenji@office");
  for (auto& p : partners) e->add_partner_organizations(p);
  *e->mutable_contract_date() = Day(2026, 3, 25);
  *e->mutable_support_start() = Day(2026, 4, 1);
  return req;
}

inline v1::Engagement MakeEngagement(ServiceEnv& env, const std::string& client,
                                     std::vector<std::string> partners = {}) {
  v1::Engagement out;
  absl::Status s = env.Call(&v1::EngagementService::Stub::CreateEngagement, kAdmin,
                            EngagementRequest(client, std::move(partners)), &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

}  // namespace certpath::testing
