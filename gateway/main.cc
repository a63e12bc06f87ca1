// certpath-gateway: the HTTP/JSON front door (gateway/server.h) and the
// ApiKeyService (gateway/api_keys.h).
//   --http-listen=127.0.0.1:8080 --listen=127.0.0.1:7100 --metrics-listen=127.0.0.1:9100
//   --engagements-target=127.0.0.1:7101 --billing-target=127.0.0.1:7104
//   --redis-socket=PATH --signing-key-file=F [--threads=2] [--max-connections=1024]
//   [--body-limit-bytes=1048576]

#include "gateway/app.h"
#include "services/common/service_main.h"

int main(int argc, char** argv) {
  using namespace certpath::gateway;  // NOLINT
  return certpath::RunService<App, AppOptions>("gateway", argc, argv);
}
