// certpath-admin: operator's tool.
//   certpath-admin new-key
//       prints a fresh random signing key (256 bits, hex).
//   certpath-admin token --tenant=T --role=office_admin --subject=S
//                        [--organization=O] [--ttl-minutes=720]
//                        [--signing-key=K | --signing-key-file=F]
//       prints a principal token signed with the services' key.
//   certpath-admin audit verify|list --target=HOST:PORT --service=S --tenant=T
//                        [--resource=R] [--subject=U] [--page-size=N]
//       verifies a service's audit trail (exit 0 intact, 1 broken) or lists
//       its entries, as an office admin of the tenant.
//   certpath-admin dead-letters list --target=HOST:PORT --producer=S --tenant=T
//                        [--consumer=C]
//   certpath-admin dead-letters replay|discard --target=HOST:PORT --producer=S
//                        --name=tenants/T/producers/S/deadLetters/ID --operator=YOU
//                        [--reason=WHY] [--request-id=UUID]
//       the dead letters of an event producer (services/common/outbox.h).
//   certpath-admin api-keys create --target=GATEWAY_GRPC --tenant=T --operator=YOU
//                        --display-name=N --role=partner|client|consultant|office_admin
//                        --subject=S [--organization=O] [--expire-days=D]
//   certpath-admin api-keys list|revoke --target=GATEWAY_GRPC --tenant=T --operator=YOU
//                        [--name=tenants/T/apiKeys/ID]
//       API keys (gateway/api_keys.h); a created key is printed once. A
//       replay or discard is recorded in the audit trail as --operator's; it
//       prints its request id: give it again (--request-id) to retry safely.
// Services: engagements, billing, scheduling, documents. Output is JSON (proto3 mapping).
// Flags fall back to CERTPATH_* environment variables (CERTPATH_SIGNING_KEY, ...).

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "certpath/billing/v1/billing.pb.h"
#include "certpath/common/v1/common.pb.h"
#include "certpath/documents/v1/events.pb.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "certpath/gateway/v1/api_keys.pb.h"
#include "certpath/scheduling/v1/scheduling.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/crypto.h"
#include "services/common/principal.h"
#include "services/common/validate.h"

namespace {

namespace cv1 = certpath::common::v1;

int Usage() {
  std::fprintf(stderr,
               "usage: certpath-admin new-key\n"
               "       certpath-admin token --tenant=T --role=ROLE --subject=S "
               "[--organization=O] [--ttl-minutes=N] [--signing-key=K|--signing-key-file=F]\n"
               "       certpath-admin audit verify|list --target=HOST:PORT --service=S --tenant=T "
               "[--resource=R] [--subject=U] [--page-size=N]\n"
               "       certpath-admin dead-letters list --target=HOST:PORT --producer=S "
               "--tenant=T [--consumer=C]\n"
               "       certpath-admin dead-letters replay|discard --target=HOST:PORT "
               "--producer=S --name=N --operator=YOU [--reason=WHY] [--request-id=UUID]\n"
               "       certpath-admin api-keys create|list|revoke --target=HOST:PORT --tenant=T "
               "--operator=YOU [--display-name=N --role=R --subject=S --organization=O "
               "--expire-days=D] [--name=N]\n"
               "roles: office_admin consultant partner client service\n"
               "services: engagements billing scheduling documents\n");
  return 2;
}

// The gRPC service that serves a certpath service's audit and dead-letter RPCs.
std::string GrpcService(const std::string& service) {
  static const std::map<std::string, std::string> kServices = {
      {"engagements", "certpath.engagements.v1.EngagementService"},
      {"billing", "certpath.billing.v1.BillingService"},
      {"scheduling", "certpath.scheduling.v1.SchedulingService"},
      {"documents", "certpath.documents.v1.DocumentService"},
      {"gateway", "certpath.gateway.v1.ApiKeyService"},
  };
  auto it = kServices.find(service);
  return it == kServices.end() ? "" : it->second;
}

void Print(const google::protobuf::Message& m) {
  // Event payloads are Any: their types must be known to print them.
  (void)certpath::engagements::v1::EngagementChanged::descriptor();
  (void)certpath::billing::v1::BillingEvent::descriptor();
  (void)certpath::documents::v1::DocumentApproved::descriptor();
  (void)certpath::documents::v1::PaidReviewAccepted::descriptor();
  (void)certpath::scheduling::v1::VisitCompleted::descriptor();
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.preserve_proto_field_names = false;
  auto s = google::protobuf::util::MessageToJsonString(m, &json, o);
  if (!s.ok()) {
    std::fprintf(stderr, "certpath-admin: cannot print the answer: %s\n", s.ToString().c_str());
    return;
  }
  std::printf("%s", json.c_str());
}

// One RPC of `service` at `target`, as an office admin of `tenant`.
template <typename Req, typename Resp>
int Call(const certpath::Config& config, const std::string& service, const std::string& tenant,
         const char* method, const Req& req, Resp* resp) {
  std::string grpc_service = GrpcService(service);
  std::string target = config.Get("target", "");
  if (grpc_service.empty() || target.empty() || tenant.empty()) return Usage();
  auto key =
      certpath::LoadSigningKey(config.Get("signing-key", ""), config.Get("signing-key-file", ""));
  if (!key.ok()) {
    std::fprintf(stderr, "certpath-admin: %s\n", std::string(key.status().message()).c_str());
    return 1;
  }
  certpath::Principal p;
  p.set_tenant(tenant);
  p.set_subject(config.Get("operator", "certpath-admin"));
  p.set_role(certpath::Principal::ROLE_OFFICE_ADMIN);
  certpath::PrincipalSigner signer(*key);
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  std::string path = absl::StrCat("/", grpc_service, "/", method);
  grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC, channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  ctx.AddMetadata(certpath::kPrincipalMetadataKey,
                  signer.Sign(p, certpath::SystemClock().Now(), absl::Minutes(5)));
  grpc::Status s =
      grpc::internal::BlockingUnaryCall<Req, Resp>(channel.get(), rpc, &ctx, req, resp);
  if (!s.ok()) {
    std::fprintf(stderr, "certpath-admin: %s: %s\n", method, s.error_message().c_str());
    return 1;
  }
  return 0;
}

std::string TenantOf(const std::string& name) {
  auto slash = name.find('/');
  if (name.rfind("tenants/", 0) != 0 || slash == std::string::npos) return "";
  return name.substr(8, name.find('/', 8) - 8);
}

int Audit(const std::string& verb, const certpath::Config& config) {
  std::string service = config.Get("service", "");
  std::string tenant = config.Get("tenant", "");
  std::string parent = absl::StrCat("tenants/", tenant, "/services/", service);
  if (verb == "verify") {
    cv1::VerifyAuditTrailRequest req;
    req.set_parent(parent);
    cv1::VerifyAuditTrailResponse resp;
    if (int rc = Call(config, service, tenant, "VerifyAuditTrail", req, &resp); rc != 0) return rc;
    Print(resp);
    return resp.intact() ? 0 : 1;
  }
  if (verb != "list") return Usage();
  cv1::ListAuditEntriesRequest req;
  req.set_parent(parent);
  req.set_resource(config.Get("resource", ""));
  req.set_subject(config.Get("subject", ""));
  auto size = config.GetInt("page-size", 100);
  if (!size.ok()) return Usage();
  req.set_page_size(static_cast<int32_t>(*size));
  cv1::ListAuditEntriesResponse resp;
  if (int rc = Call(config, service, tenant, "ListAuditEntries", req, &resp); rc != 0) return rc;
  Print(resp);
  return 0;
}

int DeadLetters(const std::string& verb, const certpath::Config& config) {
  std::string producer = config.Get("producer", "");
  if (verb == "list") {
    std::string tenant = config.Get("tenant", "");
    cv1::ListDeadLettersRequest req;
    req.set_parent(absl::StrCat("tenants/", tenant, "/producers/", producer));
    req.set_consumer(config.Get("consumer", ""));
    req.set_page_size(500);
    cv1::ListDeadLettersResponse resp;
    if (int rc = Call(config, producer, tenant, "ListDeadLetters", req, &resp); rc != 0) return rc;
    Print(resp);
    return 0;
  }
  std::string name = config.Get("name", "");
  if (config.Get("operator", "").empty()) {
    std::fprintf(stderr, "certpath-admin: --operator=<your subject> (the audit trail names you)\n");
    return 2;
  }
  std::string request_id = config.Get("request-id", "");
  if (request_id.empty()) request_id = certpath::RandomUuid();
  std::fprintf(stderr, "request id %s (--request-id=%s retries this request safely)\n",
               request_id.c_str(), request_id.c_str());
  cv1::DeadLetter resp;
  int rc;
  if (verb == "replay") {
    cv1::ReplayDeadLetterRequest req;
    req.set_name(name);
    req.set_request_id(request_id);
    rc = Call(config, producer, TenantOf(name), "ReplayDeadLetter", req, &resp);
  } else if (verb == "discard") {
    cv1::DiscardDeadLetterRequest req;
    req.set_name(name);
    req.set_reason(config.Get("reason", ""));
    req.set_request_id(request_id);
    rc = Call(config, producer, TenantOf(name), "DiscardDeadLetter", req, &resp);
  } else {
    return Usage();
  }
  if (rc == 0) Print(resp);
  return rc;
}

int Token(const certpath::Config& config) {
  using certpath::Principal;
  auto key =
      certpath::LoadSigningKey(config.Get("signing-key", ""), config.Get("signing-key-file", ""));
  if (!key.ok()) {
    std::fprintf(stderr, "certpath-admin: %s\n", std::string(key.status().message()).c_str());
    return 1;
  }
  Principal p;
  p.set_tenant(config.Get("tenant", ""));
  p.set_subject(config.Get("subject", ""));
  p.set_organization(config.Get("organization", ""));
  Principal::Role role;
  std::string role_name = "ROLE_" + absl::AsciiStrToUpper(config.Get("role", ""));
  if (!Principal::Role_Parse(role_name, &role) || role == Principal::ROLE_UNSPECIFIED) {
    std::fprintf(stderr, "certpath-admin: unknown role\n");
    return Usage();
  }
  p.set_role(role);
  if (p.tenant().empty() || p.subject().empty()) return Usage();
  auto ttl = config.GetInt("ttl-minutes", 12 * 60);
  if (!ttl.ok() || *ttl <= 0) return Usage();
  certpath::PrincipalSigner signer(*key);
  std::printf("%s\n", signer.Sign(p, certpath::SystemClock().Now(), absl::Minutes(*ttl)).c_str());
  return 0;
}

}  // namespace

int ApiKeys(const std::string& verb, const certpath::Config& config) {
  namespace gv1 = certpath::gateway::v1;
  std::string tenant = config.Get("tenant", "");
  if (config.Get("operator", "").empty()) {
    std::fprintf(stderr, "certpath-admin: --operator=<your subject> (the audit trail names you)\n");
    return 2;
  }
  if (verb == "create") {
    gv1::CreateApiKeyRequest req;
    req.set_parent("tenants/" + tenant);
    req.set_request_id(certpath::RandomUuid());
    auto* k = req.mutable_api_key();
    k->set_display_name(config.Get("display-name", ""));
    k->set_subject(config.Get("subject", ""));
    k->set_organization(config.Get("organization", ""));
    certpath::Principal::Role role;
    if (!certpath::Principal::Role_Parse("ROLE_" + absl::AsciiStrToUpper(config.Get("role", "")),
                                         &role)) {
      return Usage();
    }
    k->set_role(role);
    auto days = config.GetInt("expire-days", 0);
    if (!days.ok() || *days < 0) return Usage();
    if (*days > 0) {
      k->mutable_expire_time()->set_seconds(
          absl::ToUnixSeconds(certpath::SystemClock().Now() + absl::Hours(24 * *days)));
    }
    gv1::CreateApiKeyResponse resp;
    if (int rc = Call(config, "gateway", tenant, "CreateApiKey", req, &resp); rc != 0) return rc;
    Print(resp);
    return 0;
  }
  if (verb == "list") {
    gv1::ListApiKeysRequest req;
    req.set_parent("tenants/" + tenant);
    req.set_page_size(500);
    gv1::ListApiKeysResponse resp;
    if (int rc = Call(config, "gateway", tenant, "ListApiKeys", req, &resp); rc != 0) return rc;
    Print(resp);
    return 0;
  }
  if (verb == "revoke") {
    gv1::RevokeApiKeyRequest req;
    req.set_name(config.Get("name", ""));
    req.set_reason(config.Get("reason", ""));
    gv1::ApiKey resp;
    if (int rc = Call(config, "gateway", TenantOf(req.name()), "RevokeApiKey", req, &resp);
        rc != 0) {
      return rc;
    }
    Print(resp);
    return 0;
  }
  return Usage();
}

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string cmd = argv[1];
  if ((cmd == "audit" || cmd == "dead-letters" || cmd == "api-keys") && argc >= 3) {
    auto config = certpath::Config::FromArgs(argc - 2, argv + 2);
    if (!config.ok()) return Usage();
    if (cmd == "api-keys") return ApiKeys(argv[2], *config);
    return cmd == "audit" ? Audit(argv[2], *config) : DeadLetters(argv[2], *config);
  }
  auto config = certpath::Config::FromArgs(argc - 1, argv + 1);
  if (!config.ok()) return Usage();
  if (cmd == "new-key") {
    std::printf("%s\n", certpath::RandomHex(32).c_str());
    return 0;
  }
  if (cmd == "token") return Token(*config);
  return Usage();
}
