// The gateway binary in front of the real service binaries (SystemStack),
// called over HTTP as partners, clients and the office's tools call it:
// every annotated RPC is routed to its service (walked from the compiled-in
// descriptors, so a new service's routes are walked without a test change),
// the access matrix as it looks from outside, downloads, deadlines, and the
// OpenAPI document. Files up to the upload limit: gateway_files_test.cc.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "certpath/documents/v1/documents.grpc.pb.h"
#include "certpath/engagements/v1/engagements.grpc.pb.h"
#include "gateway/routes.h"
#include "google/api/httpbody.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/common/validate.h"
#include "tests/support/fixtures.h"
#include "tests/support/gateway_fixture.h"
#include "tests/support/http_client.h"
#include "tests/support/system_stack.h"
#include "tests/support/test_env.h"

namespace certpath::testing {
namespace {

// A path for the template: the tenant's id where a tenant goes, a made-up id elsewhere.
std::string Fill(const gateway::PathTemplate& t) {
  std::string out;
  for (size_t i = 0; i < t.segments.size(); ++i) {
    const auto& s = t.segments[i];
    std::string seg = s.literal;
    if (s.kind != gateway::PathTemplate::Segment::kLiteral) {
      seg = i > 0 && t.segments[i - 1].literal == "tenants" ? "t1" : "nothing-here";
    }
    absl::StrAppend(&out, "/", seg);
  }
  if (!t.verb.empty()) absl::StrAppend(&out, ":", t.verb);
  return out;
}

TEST_F(GatewaySystemTest, EveryAnnotatedRpcIsRoutedToItsServiceWithAnAdminKey) {
  std::string key = MakeKey(
      R"({"displayName":"route walk","role":"ROLE_OFFICE_ADMIN","subject":"walker@office"})");
  ASSERT_TRUE(absl::StartsWith(key, "cpk_"));
  auto table = gateway::RouteTable::FromServices(gateway::RouteTable::CompiledServices());
  ASSERT_TRUE(table.ok()) << table.status();
  std::set<std::string> services;
  std::map<int, int> by_status;
  for (const gateway::Route& r : table->routes()) {
    const std::string svc = r.method->service()->full_name();
    services.insert(svc);
    std::string path = Fill(r.path);
    Reply got = Http(port(), r.http_method, path, Key(key), r.body.empty() ? "" : "{}");
    ++by_status[got.status];
    SCOPED_TRACE(absl::StrCat(r.method->full_name(), ": ", r.http_method, " ", path, " → ",
                              got.status, " ", got.body));
    ASSERT_NE(got.status, 0);
    // Routed: never the gateway's own 404, a 405 or a 501.
    EXPECT_NE(got.status, 405);
    EXPECT_NE(got.status, 501);
    EXPECT_FALSE(absl::StrContains(got.body, "NO_ROUTE"));
    // Admitted, and answered by the service that owns the RPC: an office admin
    // may call every RPC, but keys never manage keys.
    if (svc == "certpath.gateway.v1.ApiKeyService") {
      EXPECT_EQ(got.status, 403);
    } else {
      EXPECT_NE(got.status, 401);
      EXPECT_NE(got.status, 403);
      EXPECT_NE(got.status, 503);  // the upstream is there
    }
    EXPECT_FALSE(got.headers["X-Request-Id"].empty());
  }
  EXPECT_EQ(services.size(), gateway::RouteTable::CompiledServices().size());
  std::string summary;
  for (auto [status, n] : by_status) absl::StrAppend(&summary, " ", status, "×", n);
  std::printf("walked %zu routes of %zu services:%s\n", table->routes().size(), services.size(),
              summary.c_str());
}

TEST_F(GatewaySystemTest, TheAccessMatrixSeenThroughTheGateway) {
  std::string theirs = MakeEngagementVia(As(kAdmin), {"p1"});
  std::string other = MakeEngagementVia(As(kAdmin), {"p2"});
  ASSERT_FALSE(theirs.empty());
  ASSERT_FALSE(other.empty());
  std::map<std::string, Headers> callers;
  callers["admin key"] =
      Key(MakeKey(R"({"displayName":"ops","role":"ROLE_OFFICE_ADMIN","subject":"ops@office"})"));
  callers["consultant key"] =
      Key(MakeKey(R"({"displayName":"tool","role":"ROLE_CONSULTANT","subject":"kenji@office"})"));
  callers["partner p1 key"] = Key(MakeKey(
      R"({"displayName":"p1 sync","role":"ROLE_PARTNER","organization":"p1","subject":"sync@p1"})"));
  callers["other tenant's admin key"] =
      Key(MakeKey(R"({"displayName":"t2","role":"ROLE_OFFICE_ADMIN","subject":"ops@t2"})", "t2"));
  std::string revoked_key = MakeKey(
      R"({"displayName":"gone","role":"ROLE_PARTNER","organization":"p1","subject":"old@p1"})");
  callers["revoked key"] = Key(revoked_key);
  callers["expired key"] = Key(MakeKey(absl::StrCat(
      R"({"displayName":"brief","role":"ROLE_PARTNER","organization":"p1","subject":"brief@p1",)",
      R"("expireTime":")",
      absl::FormatTime(absl::RFC3339_full, absl::Now() + absl::Seconds(4), absl::UTCTimeZone()),
      R"("})")));
  callers["no key"] = {};
  callers["forged key"] = Key("cpk_" + std::string(43, 'Q'));
  // Both work at first (and are in the gateway's key cache); then one is
  // revoked (refused on every replica within 5 s) and the other expires.
  for (const char* k : {"revoked key", "expired key"}) {
    EXPECT_EQ(Http(port(), "GET", "/v1/" + theirs, callers[k]).status, 200) << k;
  }
  Reply list = Http(port(), "GET", "/v1/tenants/t1/apiKeys?pageSize=100", As(kAdmin));
  ASSERT_EQ(list.status, 200);
  std::string revoked_name;
  {
    // The key's resource name: the entry whose displayName is "gone".
    size_t at = list.body.find("\"displayName\":\"gone\"");
    ASSERT_NE(at, std::string::npos) << list.body;
    size_t start = list.body.rfind("{", at);
    revoked_name = JsonField(list.body.substr(start), "name");
  }
  ASSERT_EQ(
      Http(port(), "POST", "/v1/" + revoked_name + ":revoke", As(kAdmin), R"({"reason":"rotated"})")
          .status,
      200);
  absl::SleepFor(absl::Milliseconds(5500));

  struct Cell {
    std::string method, path, body;
  };
  std::map<std::string, Cell> rpcs = {
      {"GetEngagement theirs", {"GET", "/v1/" + theirs, ""}},
      {"GetEngagement other", {"GET", "/v1/" + other, ""}},
      {"ListEngagements", {"GET", "/v1/tenants/t1/engagements?pageSize=50", ""}},
      {"ListInvoices", {"GET", "/v1/tenants/t1/invoices", ""}},
      {"ListInvoices theirs", {"GET", "/v1/tenants/t1/invoices?engagement=" + theirs, ""}},
      {"CreateClient",
       {"POST", "/v1/tenants/t1/clients", R"({"displayName":"株式会社マトリクス"})"}},
      {"ExportInvoices",
       {"GET",
        "/v1/tenants/t1/"
        "invoices:export?from.year=2026&from.month=11&from.day=1&to.year=2026&to.month=11&to.day="
        "30",
        ""}},
      {"ListVisits theirs", {"GET", "/v1/tenants/t1/visits?engagement=" + theirs, ""}},
      {"ListVisits other", {"GET", "/v1/tenants/t1/visits?engagement=" + other, ""}},
      {"ListConsultants", {"GET", "/v1/tenants/t1/consultants", ""}},
  };
  // caller → rpc → HTTP status.
  std::map<std::string, std::map<std::string, int>> want = {
      {"admin key",
       {{"GetEngagement theirs", 200},
        {"GetEngagement other", 200},
        {"ListEngagements", 200},
        {"ListInvoices", 200},
        {"ListInvoices theirs", 200},
        {"CreateClient", 200},
        {"ExportInvoices", 200},
        {"ListVisits theirs", 200},
        {"ListVisits other", 200},
        {"ListConsultants", 200}}},
      {"consultant key",
       {{"GetEngagement theirs", 200},
        {"GetEngagement other", 200},
        {"ListEngagements", 200},
        {"ListInvoices", 200},
        {"ListInvoices theirs", 200},
        {"CreateClient", 200},
        {"ExportInvoices", 403},
        {"ListVisits theirs", 200},
        {"ListVisits other", 200},
        {"ListConsultants", 200}}},
      {"partner p1 key",
       {{"GetEngagement theirs", 200},
        {"GetEngagement other", 404},
        {"ListEngagements", 200},
        {"ListInvoices", 400},  // a partner lists the invoices of one engagement at a time
        {"ListInvoices theirs", 200},
        {"CreateClient", 403},
        {"ExportInvoices", 403},
        {"ListVisits theirs", 200},
        {"ListVisits other", 404},
        {"ListConsultants", 403}}},
      // Another tenant's key: nothing of this tenant exists for it.
      {"other tenant's admin key",
       {{"GetEngagement theirs", 404},
        {"GetEngagement other", 404},
        {"ListEngagements", 404},
        {"ListInvoices", 404},
        {"ListInvoices theirs", 404},
        {"CreateClient", 404},
        {"ExportInvoices", 404},
        {"ListVisits theirs", 404},
        {"ListVisits other", 404},
        {"ListConsultants", 404}}},
  };
  for (const char* refused : {"revoked key", "expired key", "no key", "forged key"}) {
    for (const auto& [rpc, unused] : rpcs) want[refused][rpc] = 401;
  }
  std::string table;
  std::map<std::string, std::string> unauthenticated_bodies;
  for (const auto& [caller, headers] : callers) {
    for (const auto& [rpc, cell] : rpcs) {
      Reply got = Http(port(), cell.method, cell.path, headers, cell.body);
      absl::StrAppend(&table, caller, " × ", rpc, " = ", got.status, "\n");
      EXPECT_EQ(got.status, want[caller][rpc])
          << caller << " × " << rpc << ": " << got.body.substr(0, 400);
      if (got.status == 401) {
        // Nothing tells an unknown, revoked or expired key from no key.
        EXPECT_EQ(got.headers["WWW-Authenticate"], "Bearer");
        unauthenticated_bodies[got.body] = caller;
      }
      if (caller == "partner p1 key" && rpc == "ListEngagements") {
        EXPECT_TRUE(absl::StrContains(got.body, theirs));
        EXPECT_FALSE(absl::StrContains(got.body, other));
      }
    }
  }
  EXPECT_EQ(unauthenticated_bodies.size(), 1u) << "401 bodies differ by credential";
  std::printf("%s", table.c_str());
}

TEST_F(GatewaySystemTest, DownloadsDeadlinesAndTheOpenApiDocument) {
  // The accounting CSV: raw bytes (UTF-8 Japanese header), its media type and file name.
  Reply csv = Http(port(), "GET",
                   "/v1/tenants/t1/invoices:export?from.year=2026&from.month=11&from.day=1&"
                   "to.year=2026&to.month=11&to.day=30",
                   As(kAdmin));
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.headers["Content-Type"], "text/csv; charset=utf-8");
  EXPECT_TRUE(absl::StartsWith(csv.body, "収支区分,管理番号,発生日")) << csv.body;
  EXPECT_TRUE(absl::StartsWith(csv.headers["Content-Disposition"], "attachment; filename=\""))
      << csv.headers["Content-Disposition"];
  EXPECT_EQ(csv.headers["x-certpath-invoice-count"], "0");
  EXPECT_EQ(csv.headers.count("x-certpath-principal"), 0u);

  // The upstream deadline from X-Request-Timeout: a stalled service answers
  // 504 when it runs out, not when the default would; nonsense is 400.
  std::string engagement = MakeEngagementVia(As(kAdmin), {});
  Headers h = As(kAdmin);
  h["X-Request-Timeout"] = "0.5";
  ASSERT_EQ(::kill(stack.engagements[0]->pid(), SIGSTOP), 0);
  absl::Time start = absl::Now();
  Reply late = Http(port(), "GET", "/v1/" + engagement, h);
  absl::Duration took = absl::Now() - start;
  ::kill(stack.engagements[0]->pid(), SIGCONT);
  EXPECT_EQ(late.status, 504) << late.body;
  EXPECT_GE(took, absl::Milliseconds(450));
  EXPECT_LT(took, absl::Seconds(5)) << "the default (10 s), not the caller's timeout";
  h["X-Request-Timeout"] = "soon";
  EXPECT_EQ(Http(port(), "GET", "/v1/" + engagement, h).status, 400);
  h["X-Request-Timeout"] = "5";
  EXPECT_EQ(Http(port(), "GET", "/v1/" + engagement, h).status, 200);

  // The API's description, public, generated from the same routes.
  Reply doc = Http(port(), "GET", "/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_TRUE(absl::StrContains(doc.body, "\"openapi\": \"3.0.3\"")) << doc.body.substr(0, 200);
  EXPECT_TRUE(absl::StrContains(doc.body, "/v1/tenants/{tenant}/engagements/{engagement}"));
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

// Scheduling from outside: a consultant and a visit booked over HTTP, done,
// its checklist task completed in engagements by the event, and the
// consultant's calendar feed read without credentials as a calendar app
// would, parsed by python3-icalendar.
TEST_F(GatewaySystemTest, SchedulingVisitsAndCalendarFeedsOverHttp) {
  std::string engagement = MakeEngagementVia(As(kAdmin), {"p1"});
  Reply consultant = Http(port(), "POST", "/v1/tenants/t1/consultants", As(kAdmin),
                          R"({"subject":"kenji@office","displayNameJa":"佐藤 健二"})");
  ASSERT_EQ(consultant.status, 200) << consultant.body;
  std::string cname = JsonField(consultant.body, "name");
  // A past weekday inside the support period (from 2026-04-01): 2026-11-27 (Fri).
  std::string visit_json =
      absl::StrCat(R"({"engagement":")", engagement, R"(","kind":"VISIT_KIND_INCLUDED_1",)",
                   R"("startTime":"2026-11-27T01:00:00Z","endTime":"2026-11-27T03:00:00Z",)",
                   R"("location":"大阪市北区 本社会議室","consultants":[")", cname, R"("]})");
  Reply booked;
  for (int i = 0; i < 100; ++i) {  // until scheduling has the engagement's event
    booked = Http(port(), "POST", "/v1/tenants/t1/visits", As(kConsultant), visit_json);
    if (booked.status != 404) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(booked.status, 200) << booked.body;
  std::string visit = JsonField(booked.body, "name");
  // The same slot again: 409 (ALREADY_EXISTS) for the included visit.
  EXPECT_EQ(Http(port(), "POST", "/v1/tenants/t1/visits", As(kConsultant), visit_json).status, 409);
  Reply done = Http(port(), "POST", "/v1/" + visit + ":complete", As(kConsultant),
                    R"({"minutes":"支援方針を確認した。"})");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(JsonField(done.body, "state"), "VISIT_STATE_DONE");
  bool task_done = false;
  for (int i = 0; i < 100 && !task_done; ++i) {
    Reply tasks = Http(port(), "GET", "/v1/" + engagement + "/tasks", As(kAdmin));
    size_t at = tasks.body.find("\"taskId\":\"cons-o-visit-1\"");
    task_done = at != std::string::npos &&
                tasks.body.substr(at, 400).find("TASK_STATUS_DONE") != std::string::npos;
    if (!task_done) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(task_done) << "cons-o-visit-1 not done by the VisitCompleted event";
  // The feed: a secret URL, read with no Authorization at all.
  Reply feed = Http(port(), "POST", "/v1/tenants/t1/calendarFeeds", As(kConsultant),
                    absl::StrCat(R"({"consultant":")", cname, R"("})"));
  ASSERT_EQ(feed.status, 200) << feed.body;
  std::string path = JsonField(feed.body, "feedPath");
  ASSERT_TRUE(absl::StartsWith(path, "/v1/feeds/")) << feed.body;
  Reply ics = Http(port(), "GET", path, {});
  ASSERT_EQ(ics.status, 200) << ics.body;
  EXPECT_EQ(ics.headers["Content-Type"], "text/calendar; charset=utf-8");
  std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/gw.ics", std::ios::binary) << ics.body;
  std::ofstream(dir + "/gw.json") << absl::StrCat(
      R"({"events": [{"uid": "visit-)", LastSegment(visit),
      R"(@t1.certpath", "location": "大阪市北区 本社会議室",)",
      R"( "start": "2026-11-27T10:00:00+09:00", "end": "2026-11-27T12:00:00+09:00", "sequence": 1},)",
      // The consultant leads the engagement: its support end is in the feed too.
      R"({"uid": "deadline-)", LastSegment(engagement),
      R"(-support-end@t1.certpath", "all_day": true}]})");
  EXPECT_EQ(
      std::system(absl::StrCat("/usr/bin/python3 ", CERTPATH_SOURCE_DIR,
                               "/tests/scheduling/check_ics.py ", dir, "/gw.ics ", dir, "/gw.json")
                      .c_str()),
      0)
      << ics.body;
  // A made-up token is a plain 404, like a revoked one.
  EXPECT_EQ(Http(port(), "GET", "/v1/feeds/" + std::string(64, '0') + ".ics", {}).status, 404);
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

// Documents' dead letters are read through the gateway by the office, and by
// nobody else. (A paid review without an accepted quote, which made one here,
// is now refused up front; the JSON of a documents payload in a dead letter
// is checked in routes_test.cc.)
TEST_F(GatewaySystemTest, DocumentsDeadLettersAreReadable) {
  const std::string path = "/v1/tenants/t1/producers/documents/deadLetters";
  Reply dead = Http(port(), "GET", path, As(kAdmin));
  ASSERT_EQ(dead.status, 200) << dead.body;
  EXPECT_EQ(dead.body.find("deadLetters\":[{"), std::string::npos) << dead.body;  // none
  Reply client =
      Http(port(), "GET", path, As(MakePrincipal(Principal::ROLE_CLIENT, "yamada@client", "c1")));
  EXPECT_EQ(client.status, 403) << client.body;
  Reply unknown =
      Http(port(), "GET", path + "/billing-00000000-0000-4000-8000-000000000000", As(kAdmin));
  EXPECT_EQ(unknown.status, 404) << unknown.body;
}

}  // namespace
}  // namespace certpath::testing

namespace certpath::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// The gRPC pass-through keeps a caller's x-request-id only when it is safe
// (SafeRequestId, as HTTP does): then it is in the gateway's log line and
// forwarded upstream; any other is replaced by a fresh one and reaches no log.
TEST_F(GatewaySystemTest, GrpcPassThroughKeepsOnlySafeRequestIds) {
  auto stub = v1::EngagementService::NewStub(
      grpc::CreateChannel(stack.gateway_target, grpc::InsecureChannelCredentials()));
  Headers h = As(kAdmin);
  auto call = [&](const std::string& request_id) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", h["Authorization"]);
    ctx.AddMetadata("x-request-id", request_id);
    v1::GetEngagementRequest req;
    req.set_name("tenants/t1/engagements/not-there");  // NOT_FOUND: logged on both sides
    v1::Engagement e;
    return stub->GetEngagement(&ctx, req, &e).error_code();
  };
  const std::string safe = "partner-req-7f3a", quoted = "inject \"level\":\"error\"",
                    long_one = std::string(65, 'r');
  EXPECT_EQ(call(quoted), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(call(long_one), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(call(safe), grpc::StatusCode::NOT_FOUND);
  const std::string gateway_log = stack.redis.dir() + "/gateway.log",
                    upstream_log =
                        stack.redis.dir() + "/engagements-" + stack.engagement_targets[0] + ".log";
  for (int i = 0; i < 100 && !absl::StrContains(ReadAll(upstream_log), safe); ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  // The gateway logs it as the request's id; the service, as its trace id
  // (there is no traceparent).
  for (const auto& [log, key] : {std::pair<std::string, std::string>{gateway_log, "request_id"},
                                 {upstream_log, "trace_id"}}) {
    std::string lines = ReadAll(log);
    EXPECT_TRUE(absl::StrContains(lines, absl::StrCat("\"", key, "\":\"", safe, "\"")))
        << log << "\n"
        << lines;
    EXPECT_FALSE(absl::StrContains(lines, "inject")) << log;
    EXPECT_FALSE(absl::StrContains(lines, long_one)) << log;
  }
}

// A client that hangs up while its call is under way cancels the call
// upstream, as a reverse proxy does: logged as 499 CANCELLED at once, where
// it waited for the call's deadline (10 s, then 504) before.
TEST_F(GatewaySystemTest, AClientThatHangsUpCancelsItsCall) {
  std::string engagement = MakeEngagementVia(As(kAdmin), {});
  std::string get =
      absl::StrCat("GET /v1/", engagement,
                   " HTTP/1.1\r\nHost: x\r\nAuthorization: ", As(kAdmin)["Authorization"],
                   "\r\nX-Request-Id: hang-up-1\r\n\r\n");
  const pid_t upstream = stack.engagements[0]->pid();
  ASSERT_EQ(::kill(upstream, SIGSTOP), 0);  // the call waits for an answer
  absl::Cleanup resume = [upstream] { ::kill(upstream, SIGCONT); };
  int fd = ConnectLoopback(port());
  ASSERT_GE(fd, 0);
  ssize_t sent = ::send(fd, get.data(), get.size(), MSG_NOSIGNAL);
  absl::SleepFor(absl::Milliseconds(300));  // the call is under way
  ::close(fd);
  ASSERT_EQ(sent, static_cast<ssize_t>(get.size()));
  std::string line;
  for (int i = 0; i < 150 && line.empty(); ++i) {
    for (absl::string_view l : absl::StrSplit(ReadAll(stack.redis.dir() + "/gateway.log"), '\n')) {
      if (absl::StrContains(l, "hang-up-1")) line = std::string(l);
    }
    if (line.empty()) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(absl::StrContains(line, R"("status":"499")")) << line;
  EXPECT_TRUE(absl::StrContains(line, R"("code":"CANCELLED")")) << line;
}

}  // namespace
}  // namespace certpath::testing
