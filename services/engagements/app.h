#pragma once
// Wires one engagements server: Redis pool → store → service → gRPC server,
// metrics, and a guard that keeps health and the write gate in step with the
// durability of Redis. main.cc and the integration tests both start this.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "services/common/config.h"
#include "services/common/redis.h"
#include "services/common/server.h"

namespace certpath::engagements {

struct AppOptions {
  ServerOptions server;
  RedisOptions redis;
  std::string signing_key;
  std::string metrics_listen = "127.0.0.1:0";  // empty = no /metrics listener
  // A throwaway Redis (tests) may be non-durable without refusing writes.
  bool redis_throwaway = false;
  absl::Duration guard_interval = absl::Seconds(2);
  absl::Duration metrics_interval = absl::Seconds(10);
  int64_t idempotency_ttl_seconds = 7 * 24 * 3600;
  const Clock* clock = nullptr;  // null = system clock

  static absl::StatusOr<AppOptions> FromConfig(const Config& config);
};

class App {
 public:
  static absl::StatusOr<std::unique_ptr<App>> Start(const AppOptions& options);
  ~App();

  int port() const;
  int metrics_port() const;
  bool writable() const;
  // NOT_SERVING, drain in-flight calls up to `drain`, stop.
  void Shutdown(absl::Duration drain);

 private:
  struct Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace certpath::engagements
