// certpath-engagements: flags (or CERTPATH_* environment variables):
//   --listen=127.0.0.1:7101 --metrics-listen=127.0.0.1:9101
//   --redis-socket=PATH | --redis-host=H --redis-port=P
//   --signing-key-file=F | --signing-key=K   (shared with every service)
//   --billing-target=127.0.0.1:7104   deliver outbox events to billing (relay)
//   --redis-throwaway   accept a non-durable Redis (tests only)
//   --workers=8 --drain-seconds=10 --metrics-interval-seconds=10

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/engagements/app.h"

int main(int argc, char** argv) {
  certpath::BlockTerminationSignals();  // before any thread starts
  certpath::log::SetService("engagements");
  auto config = certpath::Config::FromArgs(argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  auto options = certpath::engagements::AppOptions::FromConfig(*config);
  if (!options.ok()) {
    certpath::log::Error("bad configuration", {{"error", options.status().message()}});
    return 2;
  }
  auto app = certpath::engagements::App::Start(*options);
  if (!app.ok()) {
    certpath::log::Error("cannot start", {{"error", app.status().message()}});
    return 1;
  }
  certpath::log::Info("listening", {{"grpc_port", absl::StrCat((*app)->port())},
                                    {"metrics_port", absl::StrCat((*app)->metrics_port())}});
  int sig = certpath::WaitForTerminationSignal();
  certpath::log::Info("stopping", {{"signal", absl::StrCat(sig)}});
  (*app)->Shutdown(options->host.server.drain);
  certpath::log::Info("stopped");
  return 0;
}
