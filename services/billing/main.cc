// certpath-billing: flags (or CERTPATH_* environment variables):
//   --listen=127.0.0.1:7104 --metrics-listen=127.0.0.1:9104
//   --redis-socket=PATH | --redis-host=H --redis-port=P
//   --signing-key-file=F | --signing-key=K   (shared with every service)
//   --engagements-target=127.0.0.1:7101      (partner/client visibility)
//   --redis-throwaway --workers=8 --drain-seconds=10 --metrics-interval-seconds=10

#include "services/billing/app.h"
#include "services/common/service_main.h"

int main(int argc, char** argv) {
  using namespace certpath::billing;  // NOLINT
  return certpath::RunService<App, AppOptions>("billing", argc, argv);
}
