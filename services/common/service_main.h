#pragma once
// main() of every service: flags → options → App::Start → wait for SIGTERM or
// SIGINT → NOT_SERVING and drain → exit 0. App has Start(Options), port(),
// metrics_port(), Shutdown(drain); Options has FromConfig(Config) and host.

#include <sys/resource.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/common/config.h"
#include "services/common/log.h"
#include "services/common/server.h"

namespace certpath {

template <typename App, typename Options>
int RunService(const char* service, int argc, char** argv) {
  BlockTerminationSignals();  // before any thread starts
  KeepLargeBuffersInHeap();
  // absl::Mutex (gRPC's too) keeps a lock graph for deadlock reports when
  // Debian's absl was built without NDEBUG: a cost on every lock, no use here.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  log::SetService(service);
  auto config = Config::FromArgs(argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  auto options = Options::FromConfig(*config);
  if (!options.ok()) {
    log::Error("bad configuration", {{"error", options.status().message()}});
    return 2;
  }
  // gRPC 1.51 stops accepting for good after one EMFILE: take all the file
  // descriptors the hard limit allows.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) log::Warn("cannot raise the open-file limit");
  }
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    log::Info("open-file limit", {{"nofile", absl::StrCat(files.rlim_cur)}});
  }
  auto app = App::Start(*options);
  if (!app.ok()) {
    log::Error("cannot start", {{"error", app.status().message()}});
    return 1;
  }
  log::Info("listening", {{"grpc_port", absl::StrCat((*app)->port())},
                          {"metrics_port", absl::StrCat((*app)->metrics_port())}});
  int sig = WaitForTerminationSignal();
  log::Info("stopping", {{"signal", absl::StrCat(sig)}});
  (*app)->Shutdown(options->host.server.drain);
  log::Info("stopped");
  return 0;
}

}  // namespace certpath
