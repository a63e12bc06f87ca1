// The gateway's pure parts: path templates, the route table from the
// compiled-in annotations, matching, and JSON/query/body mapping.

#include <gtest/gtest.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "certpath/billing/v1/billing.pb.h"
#include "certpath/common/v1/common.pb.h"
#include "certpath/documents/v1/events.pb.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "gateway/openapi.h"
#include "gateway/routes.h"
#include "gateway/transcode.h"
#include "google/api/httpbody.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::gateway {
namespace {

namespace ev1 = certpath::engagements::v1;
namespace bv1 = certpath::billing::v1;
namespace cv1 = certpath::common::v1;

const RouteTable& Table() {
  static const RouteTable* t = [] {
    auto r = RouteTable::FromServices(RouteTable::CompiledServices());
    EXPECT_TRUE(r.ok()) << r.status();
    return new RouteTable(*std::move(r));
  }();
  return *t;
}

RouteTable::Lookup Find(const std::string& method, const std::string& path) {
  auto p = SplitPath(path);
  EXPECT_TRUE(p.ok()) << path;
  return Table().Find(method, *p);
}

TEST(PathTemplate, ParsesVariablesMultiSegmentAndVerbs) {
  auto t = ParseTemplate("/v1/{name=tenants/*/engagements/*}:advancePhase");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->verb, "advancePhase");
  ASSERT_EQ(t->segments.size(), 5u);
  EXPECT_EQ(t->segments[0].literal, "v1");
  EXPECT_EQ(t->segments[2].kind, PathTemplate::Segment::kAny);
  ASSERT_EQ(t->variables.size(), 1u);
  EXPECT_EQ(t->variables[0].field_path, "name");
  EXPECT_EQ(t->variables[0].first, 1u);
  EXPECT_EQ(t->variables[0].end, 5u);
  auto simple = ParseTemplate("/v1/things/{id}");
  ASSERT_TRUE(simple.ok());
  EXPECT_EQ(simple->variables[0].end - simple->variables[0].first, 1u);
  auto tail = ParseTemplate("/v1/{path=files/**}");
  ASSERT_TRUE(tail.ok());
  for (const char* bad : {"v1/x", "/v1/{name", "/v1/{=x}", "/v1/**/x", "/v1/{a={b}}", "/v1/x:"}) {
    EXPECT_FALSE(ParseTemplate(bad).ok()) << bad;
  }
}

TEST(PathTemplate, AnEncodedSlashNeverSeparatesSegments) {
  // Refused outright: decoded, it would be a separator inside a multi-segment name.
  EXPECT_FALSE(SplitPath("/v1/tenants/t1/engagements/a%2Fb").ok());
  EXPECT_FALSE(SplitPath("/v1/tenants/t1/engagements/a%2fb").ok());
  auto plain = SplitPath("/v1/tenants/t1/engagements/a%20b");
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->segments.size(), 5u);
  EXPECT_EQ(plain->segments[4], "a b");
  // An encoded ':' stays in the id; a real one starts the verb.
  auto colon = SplitPath("/v1/tenants/t1/engagements/e1%3AadvancePhase");
  ASSERT_TRUE(colon.ok());
  EXPECT_EQ(colon->verb, "");
  EXPECT_FALSE(SplitPath("/v1/bad%zz").ok());
  EXPECT_FALSE(SplitPath("/v1/bad%2").ok());
}

TEST(RouteTable, EveryAnnotatedRpcHasExactlyOneRouteAndItsOwnPath) {
  std::set<std::string> rpcs;
  int annotated = 0;
  for (const auto& name : RouteTable::CompiledServices()) {
    const auto* svc = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(svc, nullptr);
    annotated += svc->method_count();  // every certpath RPC is annotated
  }
  EXPECT_GE(RouteTable::CompiledServices().size(), 2u);
  EXPECT_EQ(static_cast<int>(Table().routes().size()), annotated);
  for (const Route& r : Table().routes()) {
    EXPECT_TRUE(rpcs.insert(r.method->full_name()).second) << r.method->full_name();
    // A concrete path of the template reaches this route and no other.
    std::vector<std::string> segs;
    for (const auto& s : r.path.segments) {
      segs.push_back(s.kind == PathTemplate::Segment::kLiteral ? s.literal : "x1");
    }
    std::string path =
        "/" + absl::StrJoin(segs, "/") + (r.path.verb.empty() ? "" : ":" + r.path.verb);
    auto got = Find(r.http_method, path);
    ASSERT_NE(got.route, nullptr) << path;
    EXPECT_EQ(got.route, &r) << path << " reaches " << got.route->method->full_name();
  }
}

TEST(RouteTable, UnknownPathsAndWrongMethods) {
  auto get = Find("GET", "/v1/tenants/t1/engagements/e1");
  ASSERT_NE(get.route, nullptr);
  EXPECT_EQ(get.route->method->name(), "GetEngagement");
  ASSERT_EQ(get.bindings.size(), 1u);
  EXPECT_EQ(get.bindings[0].first, "name");
  EXPECT_EQ(get.bindings[0].second, "tenants/t1/engagements/e1");
  auto verb = Find("POST", "/v1/tenants/t1/engagements/e1:advancePhase");
  ASSERT_NE(verb.route, nullptr);
  EXPECT_EQ(verb.route->method->name(), "AdvancePhase");
  auto wrong = Find("DELETE", "/v1/tenants/t1/engagements/e1");
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_EQ(std::set<std::string>(wrong.allowed.begin(), wrong.allowed.end()),
            (std::set<std::string>{"GET", "PATCH"}));
  auto none = Find("GET", "/v1/tenants/t1/nothing/e1");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_TRUE(none.allowed.empty());
  EXPECT_EQ(Find("GET", "/v1/tenants//engagements/e1").route, nullptr);  // empty segment
}

TEST(Transcode, QueryMapsScalarsEnumsNestedRepeatedAndRefusesUnknownNames) {
  auto list = Find("GET", "/v1/tenants/t1/engagements");
  ASSERT_NE(list.route, nullptr);
  ev1::ListEngagementsRequest req;
  ASSERT_TRUE(BuildRequest(*list.route, list.bindings,
                           "pageSize=20&phase=PHASE_STAGE1_AUDIT&consultant=kenji%40office", "",
                           &req)
                  .ok());
  EXPECT_EQ(req.parent(), "tenants/t1");
  EXPECT_EQ(req.page_size(), 20);
  EXPECT_EQ(req.phase(), ev1::PHASE_STAGE1_AUDIT);
  EXPECT_EQ(req.consultant(), "kenji@office");
  ASSERT_TRUE(BuildRequest(*list.route, list.bindings, "state=4&page_size=1", "", &req).ok());
  EXPECT_EQ(req.state(), ev1::ENGAGEMENT_STATE_TERMINATED);  // enum by number, proto name too
  // Not UTF-8, or a single-valued field given twice: refused, named.
  for (const char* bad : {"consultant=%FF%FE", "pageSize=1&pageSize=3", "colour=red", "phase=NOPE",
                          "pageSize=ten", "parent=tenants/t2"}) {
    absl::Status s = BuildRequest(*list.route, list.bindings, bad, "", &req);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    std::string name(absl::string_view(bad).substr(0, absl::string_view(bad).find('=')));
    EXPECT_TRUE(absl::StrContains(ErrorJson(s), name)) << ErrorJson(s);
  }
  // A body field, or one the path gives, is not taken from the query under
  // either spelling.
  {
    auto record = Find("POST", "/v1/tenants/t1/billingEvents");
    ASSERT_NE(record.route, nullptr);
    certpath::billing::v1::RecordBillingEventRequest rr;
    for (const char* q : {"billing_event.amount_jpy=1", "billingEvent.amountJpy=1"}) {
      absl::Status s = BuildRequest(*record.route, record.bindings, q, "{}", &rr);
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << q;
      EXPECT_TRUE(absl::StrContains(ErrorJson(s), "given in the body")) << q << ErrorJson(s);
    }
  }
  // Under its other spelling too.
  absl::Status twice = BuildRequest(*list.route, list.bindings, "pageSize=1&page_size=3", "", &req);
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(ErrorJson(twice), "page_size")) << ErrorJson(twice);
  // A bad byte in a path segment is the caller's error, not the server's.
  {
    auto get = Find("GET", "/v1/tenants/t1/engagements/%FF%FE");
    ASSERT_NE(get.route, nullptr);
    ev1::GetEngagementRequest gr;
    EXPECT_EQ(BuildRequest(*get.route, get.bindings, "", "", &gr).code(),
              absl::StatusCode::kInvalidArgument);
  }
  // A field mask in the query takes the JSON mapping's lowerCamelCase paths.
  {
    auto patch = Find("PATCH", "/v1/tenants/t1/engagements/e1");
    ASSERT_NE(patch.route, nullptr);
    ev1::UpdateEngagementRequest ur;
    ASSERT_TRUE(BuildRequest(*patch.route, patch.bindings,
                             "updateMask=certificationBody,supportEnd,department",
                             R"({"certificationBody":"JQA"})", &ur)
                    .ok());
    EXPECT_EQ(absl::StrJoin(ur.update_mask().paths(), ","),
              "certification_body,support_end,department");
  }
  // Nested messages by dotted names (a calendar date), Timestamps in RFC 3339.
  auto exp = Find("GET", "/v1/tenants/t1/invoices:export");
  ASSERT_NE(exp.route, nullptr);
  {
    bv1::ExportInvoicesRequest er;
    ASSERT_TRUE(
        BuildRequest(*exp.route, exp.bindings,
                     "from.year=2026&from.month=11&from.day=1&to.year=2026&to.month=11&to.day=30",
                     "", &er)
            .ok());
    EXPECT_EQ(er.from().month(), 11);
    EXPECT_EQ(er.to().day(), 30);
  }
  auto audit = Find("GET", "/v1/tenants/t1/services/billing/auditEntries");
  ASSERT_NE(audit.route, nullptr);
  cv1::ListAuditEntriesRequest ar;
  ASSERT_TRUE(
      BuildRequest(*audit.route, audit.bindings, "startTime=2026-11-01T00%3A00%3A00Z", "", &ar)
          .ok());
  EXPECT_EQ(ar.parent(), "tenants/t1/services/billing");
  EXPECT_EQ(ar.start_time().seconds(), 1793491200);
}

TEST(Transcode, BodyRulesAndUnknownJsonFields) {
  auto upd = Find("PATCH", "/v1/tenants/t1/engagements/e1");
  ASSERT_NE(upd.route, nullptr);
  EXPECT_EQ(upd.route->body, "engagement");
  ev1::UpdateEngagementRequest req;
  ASSERT_TRUE(BuildRequest(*upd.route, upd.bindings, "updateMask=department,leadConsultant",
                           R"({"department":"情報システム部","leadConsultant":"sato@office"})",
                           &req)
                  .ok());
  EXPECT_EQ(req.engagement().name(), "tenants/t1/engagements/e1");  // from the path
  EXPECT_EQ(req.engagement().department(), "情報システム部");
  ASSERT_EQ(req.update_mask().paths_size(), 2);
  EXPECT_EQ(req.update_mask().paths(1), "lead_consultant");  // the proto path
  absl::Status unknown = BuildRequest(*upd.route, upd.bindings, "", R"({"departmnt":"x"})", &req);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(ErrorJson(unknown), "engagement.departmnt")) << ErrorJson(unknown);
  EXPECT_EQ(BuildRequest(*upd.route, upd.bindings, "", "{not json", &req).code(),
            absl::StatusCode::kInvalidArgument);
  // Named where they are, in JSON's spelling: deep inside the body, or a bad value.
  {
    auto record = Find("POST", "/v1/tenants/t1/billingEvents");
    ASSERT_NE(record.route, nullptr);
    certpath::billing::v1::RecordBillingEventRequest rr;
    struct Case {
      const char* body;
      const char* field;
    };
    for (const Case& c : {
             Case{R"({"lines":[{"kind":"LINE_KIND_GUIDANCE"},{"unitPrice":5}]})",
                  "billingEvent.lines[1].unitPrice"},
             Case{R"({"colour":"red"})", "billingEvent.colour"},
             Case{R"({"lines":[{"quantity":"many"}]})", "billingEvent.lines[0].quantity"},
             Case{R"({"occurredDate":{"year":"soon"}})", "billingEvent.occurredDate.year"},
         }) {
      absl::Status s = BuildRequest(*record.route, record.bindings, "", c.body, &rr);
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.body;
      EXPECT_TRUE(absl::StrContains(ErrorJson(s), absl::StrCat("\"field\":\"", c.field, "\"")))
          << c.body << " → " << ErrorJson(s);
    }
  }
  // body "*": everything from the body, nothing from the query.
  auto adv = Find("POST", "/v1/tenants/t1/engagements/e1:advancePhase");
  ASSERT_NE(adv.route, nullptr);
  ev1::AdvancePhaseRequest ar;
  ASSERT_TRUE(BuildRequest(
                  *adv.route, adv.bindings, "",
                  R"({"overrideReason":"理由","requestId":"0f1c2a9e-7b4d-4e8a-9c61-0a2b3c4d5e6f"})",
                  &ar)
                  .ok());
  EXPECT_EQ(ar.name(), "tenants/t1/engagements/e1");
  EXPECT_EQ(ar.override_reason(), "理由");
  EXPECT_EQ(BuildRequest(*adv.route, adv.bindings, "etag=1", "{}", &ar).code(),
            absl::StatusCode::kInvalidArgument);
  // A GET takes no body.
  auto get = Find("GET", "/v1/tenants/t1/engagements/e1");
  ev1::GetEngagementRequest gr;
  EXPECT_EQ(BuildRequest(*get.route, get.bindings, "", "{}", &gr).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Transcode, Int64AsStringsEnumsAsNamesAndTheStatusTable) {
  bv1::Invoice inv;
  inv.set_state(bv1::INVOICE_STATE_ISSUED);
  inv.mutable_totals()->set_total_jpy(660'000);
  auto json = ResponseJson(inv);
  ASSERT_TRUE(json.ok());
  EXPECT_TRUE(absl::StrContains(*json, R"("state":"INVOICE_STATE_ISSUED")")) << *json;
  EXPECT_TRUE(absl::StrContains(*json, R"("totalJpy":"660000")")) << *json;
  const std::pair<absl::StatusCode, int> table[] = {
      {absl::StatusCode::kOk, 200},
      {absl::StatusCode::kInvalidArgument, 400},
      {absl::StatusCode::kFailedPrecondition, 400},
      {absl::StatusCode::kOutOfRange, 400},
      {absl::StatusCode::kUnauthenticated, 401},
      {absl::StatusCode::kPermissionDenied, 403},
      {absl::StatusCode::kNotFound, 404},
      {absl::StatusCode::kAlreadyExists, 409},
      {absl::StatusCode::kAborted, 409},
      {absl::StatusCode::kResourceExhausted, 429},
      {absl::StatusCode::kCancelled, 499},
      {absl::StatusCode::kUnimplemented, 501},
      {absl::StatusCode::kUnavailable, 503},
      {absl::StatusCode::kDeadlineExceeded, 504},
      {absl::StatusCode::kInternal, 500},
      {absl::StatusCode::kDataLoss, 500},
      {absl::StatusCode::kUnknown, 500},
  };
  for (const auto& [code, http] : table) EXPECT_EQ(HttpStatus(code), http) << code;
  std::string err = ErrorJson(FailedPrecondition("WRONG_PHASE", "not yet"));
  EXPECT_TRUE(absl::StrContains(err, R"("@type":"type.googleapis.com/google.rpc.ErrorInfo")"))
      << err;
  EXPECT_TRUE(absl::StrContains(err, R"("reason":"WRONG_PHASE")")) << err;
  EXPECT_TRUE(absl::StrContains(err, R"("code":9)")) << err;
}

// A dead letter's event payload is an Any of the producer's types: the
// gateway prints a documents event (and any other it routes) as JSON.
TEST(Transcode, DeadLettersPrintTheirEventsPayload) {
  certpath::documents::v1::PaidReviewAccepted paid;
  paid.set_engagement("tenants/t1/engagements/e1");
  paid.set_document_title("ISMSマニュアル");
  paid.set_price_jpy(40'000);
  certpath::common::v1::DeadLetter dead;
  dead.set_name("tenants/t1/producers/documents/deadLetters/billing-x");
  dead.mutable_event()->mutable_payload()->PackFrom(paid);
  dead.set_error_code("FAILED_PRECONDITION");
  auto json = ResponseJson(dead);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_TRUE(absl::StrContains(*json, "certpath.documents.v1.PaidReviewAccepted")) << *json;
  EXPECT_TRUE(absl::StrContains(*json, "\"priceJpy\":\"40000\"")) << *json;
  EXPECT_TRUE(absl::StrContains(*json, "ISMSマニュアル")) << *json;
}

TEST(Transcode, HttpBodyUploadsAreRawBytesWithTheirMediaType) {
  // The body of a route whose request (or body field) is a google.api.HttpBody
  // is not JSON: the bytes as they came, with the Content-Type.
  Route r;
  r.http_method = "POST";
  r.body = "*";
  google::api::HttpBody upload;
  const std::string pdf("%PDF-1.7\n\x00\xff{not json", 21);
  ASSERT_TRUE(BuildRequest(r, {}, "", pdf, &upload, "application/pdf").ok());
  EXPECT_EQ(upload.content_type(), "application/pdf");
  EXPECT_EQ(upload.data(), pdf);
  // A media type of other bytes than printable ASCII is refused, naming the
  // header (it reached the service as invalid text: INTERNAL).
  absl::Status odd = BuildRequest(r, {}, "", pdf, &upload, "application/pdf\xff");
  EXPECT_EQ(odd.code(), absl::StatusCode::kInvalidArgument) << odd;
  EXPECT_TRUE(absl::StrContains(odd.message(), "Content-Type")) << odd;
  // JSON that is not UTF-8: the parser's quote of the body is left out of the
  // answer, whose text stays UTF-8.
  google::rpc::Status json;
  absl::Status bad = BuildRequest(r, {}, "", "{\"message\":\"\xff\xfe\"}", &json, "");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument) << bad;
  EXPECT_TRUE(IsValidUtf8(bad.message())) << bad;
  // Downloads: ExportInvoices answers with one.
  const auto* m = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      "certpath.billing.v1.BillingService.ExportInvoices");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(IsHttpBody(m->output_type()));
  EXPECT_FALSE(IsHttpBody(m->input_type()));
}

TEST(OpenApi, OneOperationPerRouteWithItsPathParametersAndResolvableRefs) {
  auto json = OpenApiJson(Table());
  ASSERT_TRUE(json.ok()) << json.status();
  google::protobuf::Struct doc;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &doc).ok());
  const auto& paths = doc.fields().at("paths").struct_value().fields();
  size_t ops = 0;
  std::set<std::string> ids;
  for (const Route& r : Table().routes()) {
    std::string path = OpenApiPath(r.path);
    ASSERT_TRUE(paths.count(path)) << path;
    std::string verb = absl::AsciiStrToLower(r.http_method);
    const auto& item = paths.at(path).struct_value().fields();
    ASSERT_TRUE(item.count(verb)) << verb << " " << path;
    const auto& op = item.at(verb).struct_value().fields();
    EXPECT_TRUE(ids.insert(op.at("operationId").string_value()).second);
    // Each {param} of the path is declared as a path parameter, and no other.
    std::set<std::string> declared, spelled;
    for (const auto& p : op.at("parameters").list_value().values()) {
      const auto& f = p.struct_value().fields();
      if (f.at("in").string_value() == "path") declared.insert(f.at("name").string_value());
    }
    for (size_t i = path.find('{'); i != std::string::npos; i = path.find('{', i + 1)) {
      spelled.insert(path.substr(i + 1, path.find('}', i) - i - 1));
    }
    EXPECT_EQ(declared, spelled) << path;
    ++ops;
  }
  size_t listed = 0;
  for (const auto& [path, item] : paths) listed += item.struct_value().fields_size();
  EXPECT_EQ(listed, ops);
  EXPECT_EQ(ops, Table().routes().size());
  // Spelled-out multi-segment variables, the verb kept.
  EXPECT_EQ(paths.count("/v1/tenants/{tenant}/engagements/{engagement}:advancePhase"), 1u);
  // Every $ref points at a component.
  const auto& schemas = doc.fields().at("components").struct_value().fields().at("schemas");
  for (size_t at = json->find("\"$ref\""); at != std::string::npos;
       at = json->find("\"$ref\"", at + 1)) {
    size_t start = json->find("#/components/", at) + 13;
    std::string ref = json->substr(start, json->find('"', start) - start);
    if (absl::StartsWith(ref, "schemas/")) {
      EXPECT_TRUE(schemas.struct_value().fields().count(ref.substr(8))) << ref;
    }
  }
  // Proto3 JSON shapes: int64 as strings, enums by name, timestamps as date-time.
  const auto& invoice = schemas.struct_value().fields().at("certpath.billing.v1.Invoice");
  const auto& props = invoice.struct_value().fields().at("properties").struct_value().fields();
  EXPECT_EQ(props.at("paidJpy").struct_value().fields().at("type").string_value(), "string");
  EXPECT_EQ(props.at("createTime").struct_value().fields().at("format").string_value(),
            "date-time");
  EXPECT_TRUE(props.at("state").struct_value().fields().count("$ref"));
  // A download is binary, not JSON.
  const auto& exp = paths.at("/v1/tenants/{tenant}/invoices:export").struct_value().fields();
  EXPECT_TRUE(exp.at("get")
                  .struct_value()
                  .fields()
                  .at("responses")
                  .struct_value()
                  .fields()
                  .at("200")
                  .struct_value()
                  .fields()
                  .at("content")
                  .struct_value()
                  .fields()
                  .count("*/*"));
}
}  // namespace
}  // namespace certpath::gateway
