// certpath-documents: flags (or CERTPATH_* environment variables):
//   --listen=127.0.0.1:7102 --metrics-listen=127.0.0.1:9102 --data-dir=DIR (files)
//   --redis-socket=PATH | --redis-host=H --redis-port=P
//   --signing-key-file=F | --signing-key=K   (shared with every service)
//   --engagements-target=127.0.0.1:7101 --billing-target=127.0.0.1:7104
//                      (visibility and support period; the price list; where its events go)
//   --redis-throwaway --workers=8 --drain-seconds=10 --relay-poll-ms=500

#include "services/common/service_main.h"
#include "services/documents/app.h"

int main(int argc, char** argv) {
  using namespace certpath::documents;  // NOLINT
  return certpath::RunService<App, AppOptions>("documents", argc, argv);
}
