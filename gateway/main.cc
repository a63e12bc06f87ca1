// certpath-gateway: the HTTP/JSON front door (gateway/server.h).
//   --listen=127.0.0.1:8080 --engagements-target=127.0.0.1:7101
//   --billing-target=127.0.0.1:7104 --signing-key-file=F [--threads=2]
//   [--max-connections=1024] [--body-limit-bytes=1048576]

#include <sys/resource.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "gateway/server.h"
#include "services/common/log.h"
#include "services/common/server.h"

int main(int argc, char** argv) {
  certpath::BlockTerminationSignals();
  certpath::log::SetService("gateway");
  auto config = certpath::Config::FromArgs(argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  auto options = certpath::gateway::GatewayOptions::FromConfig(*config);
  if (!options.ok()) {
    certpath::log::Error("bad configuration", {{"error", options.status().message()}});
    return 2;
  }
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &files);
  }
  auto gw = certpath::gateway::Gateway::Start(*options);
  if (!gw.ok()) {
    certpath::log::Error("cannot start", {{"error", gw.status().message()}});
    return 1;
  }
  certpath::log::Info("listening", {{"http_port", absl::StrCat((*gw)->port())}});
  int sig = certpath::WaitForTerminationSignal();
  certpath::log::Info("stopping", {{"signal", absl::StrCat(sig)}});
  (*gw)->Shutdown();
  certpath::log::Info("stopped");
  return 0;
}
