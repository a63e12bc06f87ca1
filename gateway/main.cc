// certpath-gateway: the HTTP/JSON front door (gateway/server.h) and the
// ApiKeyService (gateway/api_keys.h).
//   --http-listen=127.0.0.1:8080 --listen=127.0.0.1:7100 --metrics-listen=127.0.0.1:9100
//   --engagements-target=127.0.0.1:7101 --billing-target=127.0.0.1:7104
//   --redis-socket=PATH --signing-key-file=F [--threads=2] [--max-connections=1024]
//   [--body-limit-bytes=1048576] [--upload-limit-bytes=16777216]
//   [--file-budget-bytes=67108864]
//   [--max-request-timeout-seconds=120]
// certpath-gateway --print-openapi: the OpenAPI document it serves at /openapi.json, then exits.

#include <cstdio>
#include <cstring>

#include "gateway/app.h"
#include "gateway/openapi.h"
#include "services/common/service_main.h"

int main(int argc, char** argv) {
  using namespace certpath::gateway;  // NOLINT
  if (argc == 2 && std::strcmp(argv[1], "--print-openapi") == 0) {
    auto routes = RouteTable::FromServices(RouteTable::CompiledServices());
    auto doc = routes.ok() ? OpenApiJson(*routes) : routes.status();
    if (!doc.ok()) {
      std::fprintf(stderr, "%s\n", doc.status().ToString().c_str());
      return 1;
    }
    std::fwrite(doc->data(), 1, doc->size(), stdout);
    return 0;
  }
  return certpath::RunService<App, AppOptions>("gateway", argc, argv);
}
