#include "gateway/app.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "certpath/gateway/v1/api_keys.grpc.pb.h"
#include "gateway/api_keys.h"
#include "gateway/edge_auth.h"
#include "gateway/grpc_proxy.h"
#include "gateway/reflection.h"
#include "services/common/audit.h"
#include "services/common/server.h"

namespace certpath::gateway {

absl::StatusOr<AppOptions> AppOptions::FromConfig(const Config& c) {
  AppOptions o;
  auto host = HostOptions::FromConfig(c, "127.0.0.1:7100", "127.0.0.1:9100");
  if (!host.ok()) return host.status();
  o.host = *std::move(host);
  auto http = GatewayOptions::FromConfig(c);
  if (!http.ok()) return http.status();
  o.http = *std::move(http);
  o.http.log_read_sample_every = o.host.log_read_sample_every;
  return o;
}

namespace {
// The services behind the gateway, its own, health and reflection.
std::vector<std::string> ReachableServices(const std::map<std::string, std::string>& upstreams) {
  std::vector<std::string> out;
  for (const auto& [svc, target] : upstreams) out.push_back(svc);
  for (const char* own :
       {"certpath.gateway.v1.ApiKeyService", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}) {
    if (std::find(out.begin(), out.end(), own) == out.end()) out.push_back(own);
  }
  return out;
}

class ApiKeysGrpc final : public gv1::ApiKeyService::CallbackService {
 public:
  ApiKeysGrpc(ApiKeyApi& svc, Dispatcher& dispatcher) : svc_(svc), dispatcher_(dispatcher) {}
  CERTPATH_UNARY_RPC(CreateApiKey, gv1::CreateApiKeyRequest, gv1::CreateApiKeyResponse)
  CERTPATH_UNARY_RPC(ListApiKeys, gv1::ListApiKeysRequest, gv1::ListApiKeysResponse)
  CERTPATH_UNARY_RPC(RevokeApiKey, gv1::RevokeApiKeyRequest, gv1::ApiKey)

 private:
  ApiKeyApi& svc_;
  Dispatcher& dispatcher_;
};
}  // namespace

struct App::Impl {
  explicit Impl(const AppOptions& o)
      : host(o.host),
        store(host.records(), o.host.idempotency_ttl_seconds),
        api(store, host.clock(), host.tokens(), host.gate()),
        grpc_service(api, host.dispatcher()),
        resolver(store, host.clock()),
        limiter(host.redis(), o.http.per_key, o.http.per_ip),
        signer(o.host.signing_key),
        edge(signer, host.clock(), &resolver, &limiter),
        files(o.http.file_budget, &host.metrics().registry()),
        proxy(o.http.upstreams, signer, host.clock(), edge, absl::Seconds(30),
              static_cast<int>(o.http.upload_limit) + (1 << 20), &files, o.http.upload_limit),
        reflection(ReachableServices(o.http.upstreams)),
        sealer(store.audit(), [this] { return store.Tenants(); }) {}

  ServiceHost host;
  ApiKeyStore store;
  ApiKeyApi api;
  ApiKeysGrpc grpc_service;
  ApiKeyResolver resolver;
  RateLimiter limiter;
  PrincipalSigner signer;
  EdgeAuth edge;
  FileBudget files;       // uploads and downloads in flight, HTTP and gRPC
  GrpcProxy proxy;        // gRPC pass-through on the host's port
  Reflection reflection;  // grpc.reflection.v1: every service reachable here
  AuditSealer sealer;
  std::unique_ptr<Gateway> http;
};

App::App(std::unique_ptr<Impl> impl) : ServiceApp(impl->host), impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<App>> App::Start(const AppOptions& options) {
  if (auto s = GatewayPolicy().CheckCovers("certpath.gateway.v1.ApiKeyService"); !s.ok()) return s;
  auto impl = std::make_unique<Impl>(options);
  // A test's fake clock moves on its own: buckets refill by it, not by Redis'.
  if (options.host.clock != nullptr) impl->limiter.use_caller_clock();
  if (auto s = impl->host.Start({&impl->grpc_service, &impl->reflection}, &impl->proxy); !s.ok()) {
    return s;
  }
  impl->sealer.Start();
  GatewayOptions http = options.http;
  http.api_keys = &impl->resolver;
  http.limiter = &impl->limiter;
  http.files = &impl->files;
  http.registry = &impl->host.metrics().registry();
  if (http.clock == nullptr) http.clock = &impl->host.clock();
  http.upstreams["certpath.gateway.v1.ApiKeyService"] =
      absl::StrCat("127.0.0.1:", impl->host.port());
  auto gw = Gateway::Start(http);
  if (!gw.ok()) return gw.status();
  impl->http = *std::move(gw);
  return std::unique_ptr<App>(new App(std::move(impl)));
}

int App::http_port() const { return impl_->http ? impl_->http->port() : 0; }

void App::Shutdown(absl::Duration drain) {
  if (impl_->http) impl_->http->Shutdown();
  impl_->host.Shutdown(drain);
  impl_->sealer.Stop();
}

App::~App() { Shutdown(absl::ZeroDuration()); }

}  // namespace certpath::gateway
