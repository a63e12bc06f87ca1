// certpath-scheduling: flags (or CERTPATH_* environment variables):
//   --listen=127.0.0.1:7103 --metrics-listen=127.0.0.1:9103
//   --redis-socket=PATH | --redis-host=H --redis-port=P
//   --signing-key-file=F | --signing-key=K   (shared with every service)
//   --engagements-target=127.0.0.1:7101 --billing-target=127.0.0.1:7104
//                                            (where its events are delivered)
//   --redis-throwaway --workers=8 --drain-seconds=10 --relay-poll-ms=500

#include "services/common/service_main.h"
#include "services/scheduling/app.h"

int main(int argc, char** argv) {
  using namespace certpath::scheduling;  // NOLINT
  return certpath::RunService<App, AppOptions>("scheduling", argc, argv);
}
