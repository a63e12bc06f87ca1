#pragma once
// The gateway's system tests' fixture: the run command's stack as separate
// processes (SystemStack, with the real scheduling service), called over HTTP
// as partners, clients and the office's tools call it. Outside an anonymous
// namespace: the gateway's system tests in several files share it.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "certpath/engagements/v1/engagements.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/http_client.h"
#include "tests/support/system_stack.h"

namespace certpath::testing {

using Headers = std::map<std::string, std::string>;

class GatewaySystemTest : public ::testing::Test {
 protected:
  GatewaySystemTest() : stack(1, /*real_scheduling=*/true) { stack.StartAll(); }

  int port() const { return stack.gateway_http_port; }
  Headers As(const Principal& p) {
    return {{"Authorization", "Bearer " + SignedToken(p, absl::Now())}};
  }
  static Headers Key(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

  // An API key made by an office admin of `tenant` through the gateway.
  std::string MakeKey(const std::string& spec, const std::string& tenant = "t1") {
    Principal admin =
        tenant == "t1" ? kAdmin
                       : MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "admin@" + tenant, "", tenant);
    Reply r = Http(port(), "POST", "/v1/tenants/" + tenant + "/apiKeys", As(admin), spec);
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonField(r.body, "key");
  }

  template <typename M>
  static std::string Json(const M& m) {
    std::string out;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &out).ok());
    return out;
  }

  // A client and an engagement (partners `partners`), created through the gateway.
  std::string MakeEngagementVia(const Headers& as, const std::vector<std::string>& partners) {
    v1::Client c;
    c.set_display_name("株式会社ゲート");
    Reply client = Http(port(), "POST", "/v1/tenants/t1/clients", as, Json(c));
    EXPECT_EQ(client.status, 200) << client.body;
    v1::CreateEngagementRequest req = EngagementRequest(JsonField(client.body, "name"), partners);
    Reply e = Http(port(), "POST", "/v1/tenants/t1/engagements", as, Json(req.engagement()));
    EXPECT_EQ(e.status, 200) << e.body;
    return JsonField(e.body, "name");
  }

  SystemStack stack;
};

}  // namespace certpath::testing
