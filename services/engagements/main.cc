// certpath-engagements: flags (or CERTPATH_* environment variables):
//   --listen=127.0.0.1:7101 --metrics-listen=127.0.0.1:9101
//   --redis-socket=PATH | --redis-host=H --redis-port=P
//   --signing-key-file=F | --signing-key=K   (shared with every service)
//   --billing-target=127.0.0.1:7104   deliver outbox events to billing (relay)
//   --redis-throwaway   accept a non-durable Redis (tests only)
//   --workers=8 --drain-seconds=10 --metrics-interval-seconds=10

#include "services/common/service_main.h"
#include "services/engagements/app.h"

int main(int argc, char** argv) {
  using namespace certpath::engagements;  // NOLINT
  return certpath::RunService<App, AppOptions>("engagements", argc, argv);
}
