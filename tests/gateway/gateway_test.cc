// The gateway in front of the real services (in process, real gRPC, real
// redis-server), called over HTTP as a partner's program would.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "certpath/gateway/v1/api_keys.grpc.pb.h"
#include "certpath/testdata/v1/feed_test.grpc.pb.h"
#include "gateway/app.h"
#include "gateway/openapi.h"
#include "gateway/rate_limit.h"
#include "gateway/server.h"
#include "google/api/httpbody.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "services/common/call_context.h"
#include "services/common/executor.h"
#include "services/common/metrics.h"
#include "services/common/redis.h"
#include "services/common/server.h"
#include "services/common/status.h"
#include "tests/support/fixtures.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest() : env(redis) {
    gateway::GatewayOptions o;
    o.listen = "127.0.0.1:0";
    o.signing_key = kTestSigningKey;
    o.clock = &env.clock;
    o.upstreams["certpath.engagements.v1.EngagementService"] = env.target();
    o.upstreams["certpath.billing.v1.BillingService"] = "127.0.0.1:1";  // not needed here
    o.cors_origins = {"https://app.example.jp"};
    auto gw = gateway::Gateway::Start(o);
    EXPECT_TRUE(gw.ok()) << gw.status();
    gw_ = *std::move(gw);
  }
  std::map<std::string, std::string> As(const Principal& p) {
    return {{"Authorization", "Bearer " + SignedToken(p, env.clock.Now())}};
  }
  int port() const { return gw_->port(); }

  RedisServer redis;
  ServiceEnv env;
  std::unique_ptr<gateway::Gateway> gw_;
};

TEST_F(GatewayTest, RestCallsReachTheServiceAsTheCaller) {
  v1::Client client = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, client.name(), {"p1"});
  Reply get = Http(port(), "GET", "/v1/" + e.name(), As(kAdmin));
  EXPECT_EQ(get.status, 200) << get.body;
  EXPECT_TRUE(absl::StrContains(get.body, "\"referenceNumber\":\"2026-0001\"")) << get.body;
  EXPECT_FALSE(get.headers["X-Request-Id"].empty());
  // Create with a JSON body; Japanese text round-trips.
  Reply created = Http(port(), "POST", "/v1/tenants/t1/clients", As(kAdmin),
                       R"({"displayName":"株式会社ゲートウェイ"})");
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_TRUE(absl::StrContains(created.body, "株式会社ゲートウェイ")) << created.body;
  // PATCH with the body rule and an update mask in the query.
  Reply patched = Http(port(), "PATCH", "/v1/" + e.name() + "?updateMask=department", As(kAdmin),
                       R"({"department":"総務部"})");
  EXPECT_EQ(patched.status, 200) << patched.body;
  EXPECT_TRUE(absl::StrContains(patched.body, "総務部"));
  // A list with query filters.
  Reply list = Http(port(), "GET", "/v1/tenants/t1/engagements?pageSize=1&partnerOrganization=p1",
                    As(kAdmin));
  EXPECT_EQ(list.status, 200) << list.body;
  // The request id the caller sent comes back.
  auto h = As(kAdmin);
  h["X-Request-Id"] = "req-123";
  EXPECT_EQ(Http(port(), "GET", "/v1/" + e.name(), h).headers["X-Request-Id"], "req-123");
}

TEST_F(GatewayTest, ErrorsAsStatusJsonWithTheUsualCodes) {
  v1::Client client = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, client.name(), {"p1"});
  // No credentials, a forged token, and an injected internal header are all 401.
  EXPECT_EQ(Http(port(), "GET", "/v1/" + e.name()).status, 401);
  EXPECT_EQ(Http(port(), "GET", "/v1/" + e.name(), {{"Authorization", "Bearer nope"}}).status, 401);
  Reply injected = Http(port(), "GET", "/v1/" + e.name(),
                        {{"x-certpath-principal", SignedToken(kAdmin, env.clock.Now())}});
  EXPECT_EQ(injected.status, 401) << "a client's internal header is never used";
  // Another tenant's admin: 404; a partner not on it: 404; a consultant terminating: 403.
  EXPECT_EQ(Http(port(), "GET", "/v1/" + e.name(),
                 As(MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "eve", "", "t2")))
                .status,
            404);
  EXPECT_EQ(Http(port(), "GET", "/v1/" + e.name(),
                 As(MakePrincipal(Principal::ROLE_PARTNER, "pat", "p2")))
                .status,
            404);
  Reply denied = Http(port(), "POST", "/v1/" + e.name() + ":terminate", As(kConsultant),
                      R"({"reason":"解約"})");
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_TRUE(absl::StrContains(denied.body, "\"code\":7")) << denied.body;
  // Unknown field (400 naming it), unknown query parameter, wrong phase (400 with ErrorInfo).
  Reply unknown = Http(port(), "POST", "/v1/tenants/t1/clients", As(kAdmin), R"({"nmae":"x"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(absl::StrContains(unknown.body, "nmae")) << unknown.body;
  Reply param = Http(port(), "GET", "/v1/tenants/t1/engagements?colour=red", As(kAdmin));
  EXPECT_EQ(param.status, 400);
  EXPECT_TRUE(absl::StrContains(param.body, "colour")) << param.body;
  Reply phase = Http(port(), "POST", "/v1/" + e.name() + ":recordAuditResult", As(kAdmin),
                     R"({"stage":"AUDIT_STAGE_1","outcome":"AUDIT_OUTCOME_MAY_PROCEED",)"
                     R"("auditDate":{"year":2026,"month":11,"day":20}})");
  EXPECT_EQ(phase.status, 400) << phase.body;
  EXPECT_TRUE(absl::StrContains(phase.body, "WRONG_PHASE")) << phase.body;
  EXPECT_TRUE(absl::StrContains(phase.body, "google.rpc.ErrorInfo")) << phase.body;
  // Routing: unknown path 404, wrong method 405 with Allow.
  EXPECT_EQ(Http(port(), "GET", "/v1/nothing/here", As(kAdmin)).status, 404);
  Reply wrong = Http(port(), "DELETE", "/v1/" + e.name(), As(kAdmin));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_TRUE(absl::StrContains(wrong.headers["Allow"], "GET")) << wrong.headers["Allow"];
  EXPECT_TRUE(absl::StrContains(wrong.headers["Allow"], "HEAD")) << wrong.headers["Allow"];
  // HEAD: the GET route's answer without its body.
  Reply got = Http(port(), "GET", "/v1/" + e.name(), As(kAdmin));
  Reply head = Http(port(), "HEAD", "/v1/" + e.name(), As(kAdmin));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["Content-Length"], std::to_string(got.body.size()));
  // …and nothing after the header, as a client that does not parse would see.
  std::string head_raw = RawHttp(port(), "HEAD /v1/" + e.name() + " HTTP/1.1\r\nHost: x\r\n" +
                                             "Authorization: " + As(kAdmin)["Authorization"] +
                                             "\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(head_raw, "HTTP/1.1 200")) << head_raw;
  EXPECT_TRUE(absl::StrContains(head_raw, "Content-Length: " + std::to_string(got.body.size())))
      << head_raw;
  EXPECT_TRUE(absl::EndsWith(head_raw, "\r\n\r\n")) << head_raw;
  EXPECT_EQ(Http(port(), "HEAD", "/v1/" + e.name() + ":recordAuditResult", As(kAdmin)).status, 405);
  // An encoded slash stays inside one segment: no other resource is reached.
  EXPECT_EQ(Http(port(), "GET", "/v1/tenants/t1/engagements/x%2F..%2Fy", As(kAdmin)).status, 400);
  // CORS: the allowed origin gets its headers and a preflight; another origin none.
  Reply pre =
      Http(port(), "OPTIONS", "/v1/" + e.name(),
           {{"Origin", "https://app.example.jp"}, {"Access-Control-Request-Method", "PATCH"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.headers["Access-Control-Allow-Origin"], "https://app.example.jp");
  EXPECT_TRUE(absl::StrContains(pre.headers["Access-Control-Allow-Methods"], "PATCH"));
  EXPECT_TRUE(absl::StrContains(pre.headers["Access-Control-Allow-Headers"], "Authorization"));
  auto from_app = As(kAdmin);
  from_app["Origin"] = "https://app.example.jp";
  EXPECT_EQ(Http(port(), "GET", "/v1/" + e.name(), from_app).headers["Access-Control-Allow-Origin"],
            "https://app.example.jp");
  Reply evil = Http(port(), "OPTIONS", "/v1/" + e.name(),
                    {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(evil.headers.count("Access-Control-Allow-Origin"), 0u);
  // OPTIONS says what the path has (Allow), for any caller; /openapi.json is GET only.
  EXPECT_EQ(evil.status, 204);
  EXPECT_TRUE(absl::StrContains(evil.headers["Allow"], "PATCH")) << evil.headers["Allow"];
  EXPECT_TRUE(absl::StrContains(evil.headers["Allow"], "HEAD")) << evil.headers["Allow"];
  Reply post_doc = Http(port(), "POST", "/openapi.json", {}, "{}");
  EXPECT_EQ(post_doc.status, 405) << post_doc.body;
  EXPECT_EQ(post_doc.headers["Allow"], "GET, HEAD");
  EXPECT_EQ(Http(port(), "HEAD", "/openapi.json").status, 200);
  // Not HTTP as RFC 9112 frames it: an answer, then the connection closed.
  auto raw = [&](const std::string& bytes) {
    int fd = ConnectLoopback(port());
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return out.substr(0, out.find("\r\n"));
  };
  EXPECT_EQ(raw("GARBAGE\r\n\r\n"), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(raw("GET /v1/tenants/t1/clients HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                "Content-Length: 2\r\n\r\nab"),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(raw("GET /v1/tenants/t1/clients HTTP/1.1\r\n\r\n"), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(raw("GET /v1/tenants/t1/clients HTTP/1.2\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 505 HTTP Version Not Supported");
  // An invalid traceparent (all-zero trace id) is replaced, a valid one echoed.
  auto traced = As(kAdmin);
  traced["traceparent"] = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
  std::string replaced = Http(port(), "GET", "/v1/" + e.name(), traced).headers["traceparent"];
  EXPECT_NE(replaced, traced["traceparent"]);
  EXPECT_EQ(replaced.size(), 55u);
  traced["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_EQ(Http(port(), "GET", "/v1/" + e.name(), traced).headers["traceparent"],
            traced["traceparent"]);
  // Too big a body: 413, refused by its Content-Length (above the JSON limit of 1 MiB,
  // below the 16 MiB of uploads), the answer read by the client (lingering close).
  for (size_t size : {size_t{2} << 20, (size_t{3} << 20) / 2}) {
    Reply big = Http(port(), "POST", "/v1/tenants/t1/clients", As(kAdmin),
                     "{\"displayName\":\"" + std::string(size, 'a') + "\"}");
    EXPECT_EQ(big.status, 413) << size;
    EXPECT_TRUE(absl::StrContains(big.body, "limited to 1048576 bytes")) << big.body;
  }
  // Just under the limit: read and parsed (and refused by the service's own rules).
  Reply near = Http(port(), "POST", "/v1/tenants/t1/clients", As(kAdmin),
                    "{\"displayName\":\"" + std::string((1 << 20) - 100, 'a') + "\"}");
  EXPECT_EQ(near.status, 400) << near.body.substr(0, 300);
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

namespace gv1 = certpath::gateway::v1;

// The gateway process as it runs: its own host (ApiKeyService on Redis) in
// front of the engagements service.
class GatewayAppTest : public ::testing::Test {
 protected:
  GatewayAppTest()
      : env(redis), gw(redis, env.clock, [this](gateway::AppOptions& o) {
          o.host.metrics_listen = "127.0.0.1:0";
          o.http.listen = "127.0.0.1:0";
          o.http.signing_key = kTestSigningKey;
          o.http.upstreams["certpath.engagements.v1.EngagementService"] = env.target();
        }) {
    gw.Start();
  }
  std::map<std::string, std::string> As(const Principal& p) {
    return {{"Authorization", "Bearer " + SignedToken(p, env.clock.Now())}};
  }
  int port() { return gw.app().http_port(); }

  RedisServer redis;
  ServiceEnv env;
  TestService<gateway::App, gv1::ApiKeyService> gw;
};

TEST_F(GatewayAppTest, ApiKeysActAsTheirPrincipalUntilRevokedOrExpired) {
  v1::Client client = MakeClient(env);
  v1::Engagement theirs = MakeEngagement(env, client.name(), {"p1"});
  v1::Engagement other = MakeEngagement(env, client.name(), {"p2"});
  // Office admins create keys; the key is shown once.
  const std::string spec =
      R"({"displayName":"partner sync","role":"ROLE_PARTNER","organization":"p1","subject":"sync@p1"})";
  EXPECT_EQ(Http(port(), "POST", "/v1/tenants/t1/apiKeys", As(kConsultant), spec).status, 403);
  Reply created = Http(port(), "POST", "/v1/tenants/t1/apiKeys", As(kAdmin), spec);
  ASSERT_EQ(created.status, 200) << created.body;
  std::string key = JsonField(created.body, "key");
  ASSERT_TRUE(absl::StartsWith(key, "cpk_")) << created.body;
  EXPECT_EQ(key.size(), 4u + 43u);  // 32 bytes, base64url without padding
  std::string name = JsonField(created.body, "name");
  std::map<std::string, std::string> with_key = {{"Authorization", "Bearer " + key}};
  // The key acts as the partner: its engagement yes, another partner's no.
  EXPECT_EQ(Http(port(), "GET", "/v1/" + theirs.name(), with_key).status, 200);
  EXPECT_EQ(Http(port(), "GET", "/v1/" + other.name(), with_key).status, 404);
  // Not stored in the clear anywhere in Redis.
  RedisOptions ro;
  ro.unix_socket = redis.socket();
  RedisPool pool(ro);
  auto keys = pool.Command({"KEYS", "*"});
  ASSERT_TRUE(keys.ok());
  for (const auto& k : keys->elements) {
    auto type = pool.Command({"TYPE", k.str});
    if (type.ok() && type->str == "hash") {
      auto all = pool.Command({"HGETALL", k.str});
      ASSERT_TRUE(all.ok());
      for (const auto& v : all->elements) {
        EXPECT_EQ(v.str.find(key.substr(4)), std::string::npos) << "the key is stored in " << k.str;
      }
    }
  }
  // Unknown and malformed keys: the same 401 as no key.
  Reply unknown = Http(port(), "GET", "/v1/" + theirs.name(),
                       {{"Authorization", "Bearer cpk_" + std::string(43, 'A')}});
  EXPECT_EQ(unknown.status, 401);
  Reply none = Http(port(), "GET", "/v1/" + theirs.name());
  EXPECT_EQ(unknown.body, none.body);
  // Listed with its last use; the list never shows the key.
  Reply list = Http(port(), "GET", "/v1/tenants/t1/apiKeys", As(kAdmin));
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(absl::StrContains(list.body, "lastUsedTime")) << list.body;
  EXPECT_FALSE(absl::StrContains(list.body, key));
  // Revoked: refused on this replica within 5 s (the cache's life).
  Reply revoked =
      Http(port(), "POST", "/v1/" + name + ":revoke", As(kAdmin), R"({"reason":"leak"})");
  EXPECT_EQ(revoked.status, 200) << revoked.body;
  env.clock.Advance(absl::Seconds(5));
  EXPECT_EQ(Http(port(), "GET", "/v1/" + theirs.name(), with_key).status, 401);
  // Expired keys are refused too.
  Reply soon = Http(port(), "POST", "/v1/tenants/t1/apiKeys", As(kAdmin),
                    R"({"displayName":"short","role":"ROLE_CONSULTANT","subject":"tmp@office",)"
                    R"("expireTime":")" +
                        absl::FormatTime(absl::RFC3339_full, env.clock.Now() + absl::Minutes(1),
                                         absl::UTCTimeZone()) +
                        R"("})");
  ASSERT_EQ(soon.status, 200) << soon.body;
  std::map<std::string, std::string> short_key = {
      {"Authorization", "Bearer " + JsonField(soon.body, "key")}};
  EXPECT_EQ(Http(port(), "GET", "/v1/" + theirs.name(), short_key).status, 200);
  env.clock.Advance(absl::Minutes(2));
  EXPECT_EQ(Http(port(), "GET", "/v1/" + theirs.name(), short_key).status, 401);
  // Requests are counted by route template, method and status.
  std::string metrics = HttpGet(gw.metrics_port(), "/metrics");
  EXPECT_TRUE(absl::StrContains(
      metrics,
      R"(certpath_gateway_requests_total{method="GET",route="/v1/{name=tenants/*/engagements/*}",status="200"})"))
      << "metrics (" << metrics.size() << " bytes): " << metrics.substr(0, 3000);
  EXPECT_TRUE(absl::StrContains(metrics, R"(status="401")"));
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

TEST(GatewayLimits, OneBucketPerKeyAcrossReplicasAndPerAddressForBadCredentials) {
  RedisServer redis;
  ServiceEnv env(redis);
  auto configure = [&](gateway::AppOptions& o) {
    o.http.listen = "127.0.0.1:0";
    o.http.signing_key = kTestSigningKey;
    o.http.upstreams["certpath.engagements.v1.EngagementService"] = env.target();
    o.http.per_key = {1, 5};
    o.http.per_ip = {1, 3};
  };
  TestService<gateway::App, certpath::gateway::v1::ApiKeyService> a(redis, env.clock, configure);
  TestService<gateway::App, certpath::gateway::v1::ApiKeyService> b(redis, env.clock, configure);
  a.Start();
  b.Start();
  v1::Client client = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, client.name());
  Reply created =
      Http(a.app().http_port(), "POST", "/v1/tenants/t1/apiKeys",
           {{"Authorization", "Bearer " + SignedToken(kAdmin, env.clock.Now())}},
           R"({"displayName":"sync","role":"ROLE_CONSULTANT","subject":"sync@office"})");
  ASSERT_EQ(created.status, 200) << created.body;
  std::string key = JsonField(created.body, "key");
  std::map<std::string, std::string> h = {{"Authorization", "Bearer " + key}};
  int ok = 0, limited = 0;
  Reply last;
  for (int i = 0; i < 10; ++i) {
    Reply r = Http((i % 2 ? b : a).app().http_port(), "GET", "/v1/" + e.name(), h);
    (r.status == 200 ? ok : limited) += 1;
    if (r.status == 429) last = r;
  }
  EXPECT_EQ(ok, 5) << "one bucket for both replicas";
  EXPECT_EQ(limited, 5);
  EXPECT_EQ(last.headers["Retry-After"], "1");
  EXPECT_TRUE(absl::StrContains(last.headers["RateLimit"], "remaining=0"))
      << last.headers["RateLimit"];
  EXPECT_TRUE(absl::StrContains(last.body, "RATE_LIMITED")) << last.body;
  env.clock.Advance(absl::Seconds(2));  // two tokens back
  EXPECT_EQ(Http(a.app().http_port(), "GET", "/v1/" + e.name(), h).status, 200);
  EXPECT_EQ(Http(b.app().http_port(), "GET", "/v1/" + e.name(), h).status, 200);
  EXPECT_EQ(Http(a.app().http_port(), "GET", "/v1/" + e.name(), h).status, 429);
  // Guessing keys: 401 until the address's bucket is empty, then 429.
  std::map<std::string, std::string> bad = {{"Authorization", "Bearer cpk_guess"}};
  std::vector<int> codes;
  for (int i = 0; i < 5; ++i)
    codes.push_back(Http(a.app().http_port(), "GET", "/v1/" + e.name(), bad).status);
  EXPECT_EQ(codes, (std::vector<int>{401, 401, 401, 429, 429}));
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

TEST_F(GatewayAppTest, GrpcPassThroughWithTheSameCredentialsAndLimits) {
  v1::Client client = MakeClient(env);
  v1::Engagement theirs = MakeEngagement(env, client.name(), {"p1"});
  Reply created =
      Http(port(), "POST", "/v1/tenants/t1/apiKeys", As(kAdmin),
           R"({"displayName":"grpc","role":"ROLE_PARTNER","organization":"p1","subject":"g@p1"})");
  ASSERT_EQ(created.status, 200) << created.body;
  std::string key = JsonField(created.body, "key");
  // A partner's program: one address (the gateway), one credential, gRPC.
  auto stub = v1::EngagementService::NewStub(
      grpc::CreateChannel(gw.target(), grpc::InsecureChannelCredentials()));
  auto get = [&](const std::string& auth, const std::string& injected = "") {
    grpc::ClientContext ctx;
    if (!auth.empty()) ctx.AddMetadata("authorization", auth);
    if (!injected.empty()) ctx.AddMetadata(kPrincipalMetadataKey, injected);
    v1::GetEngagementRequest req;
    req.set_name(theirs.name());
    v1::Engagement e;
    grpc::Status s = stub->GetEngagement(&ctx, req, &e);
    return std::make_pair(s.error_code(), e.reference_number());
  };
  auto ok = get("Bearer " + key);
  EXPECT_EQ(ok.first, grpc::StatusCode::OK);
  EXPECT_EQ(ok.second, theirs.reference_number());
  EXPECT_EQ(get("").first, grpc::StatusCode::UNAUTHENTICATED);
  // A client's own principal header is never forwarded: without credentials it is refused.
  EXPECT_EQ(get("", SignedToken(kAdmin, env.clock.Now())).first, grpc::StatusCode::UNAUTHENTICATED);
  // Upstream answers pass through with their codes (another engagement: not found to the partner).
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + key);
  v1::GetEngagementRequest req;
  req.set_name("tenants/t1/engagements/nope");
  v1::Engagement e;
  EXPECT_EQ(stub->GetEngagement(&ctx, req, &e).error_code(), grpc::StatusCode::NOT_FOUND);
  // Health answers on the gateway's port too.
  EXPECT_TRUE(gw.WaitHealth(true));
  // And reflection (v1): the services behind the gateway, described from its descriptors.
  auto reflection = grpc::reflection::v1::ServerReflection::NewStub(
      grpc::CreateChannel(gw.target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext rctx;
  auto stream = reflection->ServerReflectionInfo(&rctx);
  grpc::reflection::v1::ServerReflectionRequest rreq;
  grpc::reflection::v1::ServerReflectionResponse rresp;
  rreq.set_list_services("");
  ASSERT_TRUE(stream->Write(rreq));
  ASSERT_TRUE(stream->Read(&rresp));
  std::set<std::string> listed;
  for (const auto& svc : rresp.list_services_response().service()) listed.insert(svc.name());
  EXPECT_TRUE(listed.count("certpath.engagements.v1.EngagementService"));
  EXPECT_TRUE(listed.count("certpath.gateway.v1.ApiKeyService"));
  rreq.set_file_containing_symbol("certpath.engagements.v1.EngagementService.GetEngagement");
  ASSERT_TRUE(stream->Write(rreq));
  ASSERT_TRUE(stream->Read(&rresp));
  const auto& files = rresp.file_descriptor_response().file_descriptor_proto();
  ASSERT_FALSE(files.empty());
  google::protobuf::FileDescriptorProto last;
  ASSERT_TRUE(last.ParseFromString(files[files.size() - 1]));  // imports come first
  EXPECT_EQ(last.name(), "certpath/engagements/v1/engagements.proto");
  rreq.set_file_containing_symbol("certpath.nothing.Here");
  ASSERT_TRUE(stream->Write(rreq));
  ASSERT_TRUE(stream->Read(&rresp));
  EXPECT_EQ(rresp.error_response().error_code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

TEST_F(GatewayAppTest, KeysCannotManageKeysAndServicesCannotComeThroughTheFrontDoor) {
  Reply admin_key =
      Http(port(), "POST", "/v1/tenants/t1/apiKeys", As(kAdmin),
           R"({"displayName":"ops","role":"ROLE_OFFICE_ADMIN","subject":"ops@office"})");
  ASSERT_EQ(admin_key.status, 200) << admin_key.body;
  std::map<std::string, std::string> h = {
      {"Authorization", "Bearer " + JsonField(admin_key.body, "key")}};
  // Even an office admin's key cannot mint the next key (a leak would outlive its revocation).
  Reply minted = Http(port(), "POST", "/v1/tenants/t1/apiKeys", h,
                      R"({"displayName":"x","role":"ROLE_OFFICE_ADMIN","subject":"x@office"})");
  EXPECT_EQ(minted.status, 403) << minted.body;
  Reply revoke =
      Http(port(), "POST", "/v1/" + JsonField(admin_key.body, "name") + ":revoke", h, "{}");
  EXPECT_EQ(revoke.status, 403) << revoke.body;
  // A service principal's token is for inside the cluster only.
  Reply svc = Http(port(), "GET", "/v1/tenants/t1/engagements",
                   As(MakePrincipal(Principal::ROLE_SERVICE, "engagements-relay")));
  EXPECT_EQ(svc.status, 401);
  EXPECT_EQ(svc.headers["WWW-Authenticate"], "Bearer");
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

TEST_F(GatewayAppTest, OperatorsManageKeysWithCertpathAdmin) {
  v1::Client client = MakeClient(env);
  v1::Engagement e = MakeEngagement(env, client.name());
  std::string key_file = redis.dir() + "/signing.key";
  std::ofstream(key_file) << kTestSigningKey << "\n";
  std::string admin = BinaryPath("services/common/certpath-admin") + " api-keys ";
  std::string common = " --target=" + gw.target() + " --tenant=t1 --operator=admin@office" +
                       " --signing-key-file=" + key_file;
  int rc = -1;
  std::string created = RunCommand(
      admin + "create" + common +
          " --display-name=tool --role=consultant --subject=tool@office --expire-days=30",
      &rc);
  ASSERT_EQ(rc, 0) << created;
  std::string key = JsonField(created, "key");
  ASSERT_TRUE(absl::StartsWith(key, "cpk_")) << created;
  EXPECT_EQ(Http(port(), "GET", "/v1/" + e.name(), {{"Authorization", "Bearer " + key}}).status,
            200);
  std::string listed = RunCommand(admin + "list" + common, &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(absl::StrContains(listed, "tool@office")) << listed;
  EXPECT_FALSE(absl::StrContains(listed, key));
  std::string name = JsonField(created, "name");
  RunCommand(admin + "revoke" + common + " --name=" + name + " --reason=done", &rc);
  EXPECT_EQ(rc, 0);
  env.clock.Advance(absl::Seconds(6));
  EXPECT_EQ(Http(port(), "GET", "/v1/" + e.name(), {{"Authorization", "Bearer " + key}}).status,
            401);
  // Without --operator the tool refuses (the audit trail must name a person).
  RunCommand(admin + "list --target=" + gw.target() + " --tenant=t1 --signing-key-file=" + key_file,
             &rc);
  EXPECT_EQ(rc, 2);
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

namespace tv1 = certpath::testdata::v1;

// The stand-in feed (certpath.testdata.v1.FeedTestService): one secret token,
// the answer says who the service saw calling.
struct FeedImpl {
  absl::Status GetFeed(const Principal& p, const tv1::GetFeedRequest& req,
                       google::api::HttpBody* out) {
    if (req.token() != "s3cret.ics") return NotFound("feed");
    out->set_content_type("text/calendar; charset=utf-8");
    const CallContext* call = CurrentCall();
    out->set_data(absl::StrCat("BEGIN:VCALENDAR\r\nX-CALLER:",
                               p.role() == Principal::ROLE_UNSPECIFIED ? "anonymous" : p.subject(),
                               "\r\nX-TRACE:", call ? call->trace_id : "",
                               "\r\nSUMMARY:審査\r\nEND:VCALENDAR\r\n"));
    return absl::OkStatus();
  }
};
class FeedGrpc final : public tv1::FeedTestService::CallbackService {
 public:
  explicit FeedGrpc(Dispatcher& d) : dispatcher_(d) {}
  CERTPATH_PUBLIC_RPC(GetFeed, tv1::GetFeedRequest, google::api::HttpBody)

 private:
  Dispatcher& dispatcher_;
  FeedImpl svc_;
};

TEST(GatewayPublicRoutes, AFeedTokenIsTheOnlyCredentialAndCallersAreMeteredByAddress) {
  RedisServer redis;
  RedisOptions ro;
  ro.unix_socket = redis.socket();
  RedisPool pool(ro);
  Executor executor(2, 64);
  PrincipalSigner signer(kTestSigningKey);
  SystemClock clock;
  Dispatcher dispatcher(executor, signer, clock);
  FeedGrpc feed(dispatcher);
  Metrics metrics;
  auto server = Server::Start(ServerOptions{}, {&feed}, metrics, nullptr);
  ASSERT_TRUE(server.ok()) << server.status();
  gateway::RateLimiter limiter(pool, {20, 40}, {1, 4});
  gateway::GatewayOptions o;
  o.listen = "127.0.0.1:0";
  o.signing_key = kTestSigningKey;
  o.services = {"certpath.testdata.v1.FeedTestService"};
  o.upstreams["certpath.testdata.v1.FeedTestService"] =
      absl::StrCat("127.0.0.1:", (*server)->port());
  o.limiter = &limiter;
  o.per_ip = {1, 4};
  auto gw = gateway::Gateway::Start(o);
  ASSERT_TRUE(gw.ok()) << gw.status();
  const int port = (*gw)->port();

  // No credentials but the token in the URL: a calendar app subscribes like this.
  const std::string trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  Reply ics = Http(port, "GET", "/v1/feeds/s3cret.ics", {{"traceparent", trace}});
  ASSERT_EQ(ics.status, 200) << ics.body;
  EXPECT_EQ(ics.headers["Content-Type"], "text/calendar; charset=utf-8");
  EXPECT_TRUE(absl::StartsWith(ics.body, "BEGIN:VCALENDAR\r\n")) << ics.body;
  EXPECT_TRUE(absl::StrContains(ics.body, "X-CALLER:anonymous")) << ics.body;
  EXPECT_TRUE(absl::StrContains(ics.body, "X-TRACE:0af7651916cd43dd8448eb211c80319c")) << ics.body;
  EXPECT_TRUE(absl::StrContains(ics.body, "SUMMARY:審査")) << ics.body;
  // Authorization plays no part: the service still sees nobody.
  Reply with_token = Http(port, "GET", "/v1/feeds/s3cret.ics",
                          {{"Authorization", "Bearer " + SignedToken(kAdmin, clock.Now())}});
  EXPECT_TRUE(absl::StrContains(with_token.body, "X-CALLER:anonymous")) << with_token.body;
  // A wrong token is the service's NOT_FOUND.
  EXPECT_EQ(Http(port, "GET", "/v1/feeds/guess.ics").status, 404);
  // HEAD (calendar apps check a feed with it): GET's headers, no body. And
  // every call counts against the address: the fifth within the second is refused.
  Reply head = Http(port, "HEAD", "/v1/feeds/s3cret.ics");
  EXPECT_EQ(head.status, 200) << head.body;
  EXPECT_EQ(head.headers["Content-Type"], "text/calendar; charset=utf-8");
  EXPECT_EQ(head.headers["Content-Length"], std::to_string(ics.body.size()));
  EXPECT_EQ(head.body, "");
  Reply limited = Http(port, "GET", "/v1/feeds/s3cret.ics");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_FALSE(limited.headers["Retry-After"].empty());
  // A direct gRPC call with a forged principal token is refused by the service
  // (only a call with no principal at all is anonymous).
  auto stub = tv1::FeedTestService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*server)->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.AddMetadata(kPrincipalMetadataKey, "v1.forged.token");
  tv1::GetFeedRequest req;
  req.set_token("s3cret.ics");
  google::api::HttpBody body;
  EXPECT_EQ(stub->GetFeed(&ctx, req, &body).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // Described as such: no security requirement on its OpenAPI operation.
  auto table = gateway::RouteTable::FromServices(o.services);
  ASSERT_TRUE(table.ok());
  ASSERT_EQ(table->routes().size(), 1u);
  EXPECT_TRUE(table->routes()[0].credential_in_request);
  auto doc = gateway::OpenApiJson(*table);
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(absl::StrContains(*doc, "\"security\": []")) << *doc;
  (*gw)->Shutdown();
  (*server)->Shutdown(absl::ZeroDuration());
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

TEST(GatewayConnections, OneAddressCannotTakeEverySlot) {
  gateway::GatewayOptions o;
  o.listen = "127.0.0.1:0";
  o.signing_key = kTestSigningKey;
  o.upstreams["certpath.engagements.v1.EngagementService"] = "127.0.0.1:1";
  o.max_connections_per_address = 2;
  auto gw = gateway::Gateway::Start(o);
  ASSERT_TRUE(gw.ok()) << gw.status();
  const int port = (*gw)->port();
  // Two idle connections from 127.0.0.1 take its share …
  int a = ConnectLoopback(port), b = ConnectLoopback(port);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  absl::SleepFor(absl::Milliseconds(100));  // accepted and counted
  // … so a third is closed at once, without an answer.
  int c = ConnectLoopback(port);
  ASSERT_GE(c, 0);
  char byte;
  absl::Time asked = absl::Now();
  EXPECT_EQ(::read(c, &byte, 1), 0);
  EXPECT_LT(absl::Now() - asked, absl::Seconds(2)) << "closed by the read timeout, not the cap";
  ::close(c);
  // When one of them goes, the address may connect again.
  ::close(a);
  int status = 0;
  for (int i = 0; i < 50 && status == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    status = Http(port, "GET", "/nowhere").status;
  }
  EXPECT_EQ(status, 404);
  ::close(b);
  (*gw)->Shutdown();
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

absl::StatusOr<gateway::GatewayOptions> OptionsFrom(std::vector<std::string> args) {
  args.insert(args.begin(), {"certpath-gateway", "--signing-key=" + std::string(kTestSigningKey),
                             "--engagements-target=x:1", "--billing-target=x:2",
                             "--scheduling-target=x:3", "--documents-target=x:4"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  auto config = Config::FromArgs(static_cast<int>(argv.size()), argv.data());
  if (!config.ok()) return config.status();
  return gateway::GatewayOptions::FromConfig(*config);
}

// The budget of files in flight holds at least one file of the largest size.
TEST(GatewayOptions, TheFileBudgetHoldsTheLargestUpload) {
  auto defaults = OptionsFrom({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->file_budget, size_t{64} << 20);
  auto larger = OptionsFrom({"--upload-limit-bytes=104857600"});
  ASSERT_TRUE(larger.ok()) << larger.status();
  EXPECT_EQ(larger->file_budget, size_t{100} << 20);
  auto set = OptionsFrom({"--file-budget-bytes=33554432"});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->file_budget, size_t{32} << 20);
  EXPECT_FALSE(OptionsFrom({"--upload-limit-bytes=4294967296"}).ok());  // an int's worth, no more
  auto small = OptionsFrom({"--file-budget-bytes=1000"});
  EXPECT_EQ(small.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(small.status().message(), "file-budget-bytes"));
}

}  // namespace
}  // namespace certpath::testing
