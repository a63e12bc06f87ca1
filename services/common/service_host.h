#pragma once
// What every certpath server process is made of, wired once: Redis pool and
// record store, principal signer, page tokens, metrics, worker pool and
// dispatcher, the gRPC server, and a guard thread that keeps health and the
// write gate in step with Redis (reachable and durable) and runs periodic
// work (business gauges) while healthy.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/executor.h"
#include "services/common/metrics.h"
#include "services/common/page_token.h"
#include "services/common/principal.h"
#include "services/common/record_store.h"
#include "services/common/redis.h"
#include "services/common/server.h"

namespace certpath {

// Writes are refused (UNAVAILABLE) while Redis is not durable or not
// reachable; reads go on.
class WriteGate {
 public:
  void Open() { open_.store(true); }
  void Close() { open_.store(false); }
  bool open() const { return open_.load(); }

 private:
  std::atomic<bool> open_{false};
};

// Checks a write may go ahead (the gate is open) and remembers each tenant
// the first time it writes, in the service's tenant set (for metrics).
class WritableTenants {
 public:
  using Register = std::function<absl::Status(const std::string& tenant)>;
  WritableTenants(const WriteGate& gate, Register register_tenant)
      : gate_(gate), register_(std::move(register_tenant)) {}
  // UNAVAILABLE while the gate is closed.
  absl::Status Check(const std::string& tenant);

 private:
  const WriteGate& gate_;
  Register register_;
  std::mutex mu_;
  std::set<std::string> known_;
};

struct HostOptions {
  ServerOptions server;
  RedisOptions redis;
  std::string signing_key;
  std::string metrics_listen = "127.0.0.1:0";  // empty = no /metrics listener
  // A throwaway Redis (tests) may be non-durable without refusing writes.
  bool redis_throwaway = false;
  absl::Duration guard_interval = absl::Seconds(2);
  absl::Duration metrics_interval = absl::Seconds(10);
  const Clock* clock = nullptr;  // null = system clock
  // How long a request_id's first response is kept for retries.
  int64_t idempotency_ttl_seconds = 7 * 24 * 3600;
  // Log one in N successful reads at info (0 = reads at debug only).
  int log_read_sample_every = 0;
  // Off only to measure what the audit trail costs (bench_engagements).
  bool audit_trail = true;

  // Flags: listen, metrics-listen, redis-socket|redis-host+redis-port,
  // signing-key-file|signing-key, workers, drain-seconds,
  // metrics-interval-seconds, redis-throwaway, log-level (debug|info|warn|error;
  // applied at once), log-read-sample (N), idempotency-ttl-seconds,
  // audit-trail (on|off; off for benchmarks only).
  static absl::StatusOr<HostOptions> FromConfig(const Config& config,
                                                const std::string& default_listen,
                                                const std::string& default_metrics);
};

class ServiceHost {
 public:
  explicit ServiceHost(const HostOptions& options);
  ~ServiceHost();

  RedisPool& redis() { return redis_; }
  RecordStore& records() { return records_; }
  const Clock& clock() const { return *clock_; }
  const PrincipalSigner& signer() const { return signer_; }
  const PageTokenCodec& tokens() const { return tokens_; }
  Metrics& metrics() { return metrics_; }
  const WriteGate& gate() const { return gate_; }
  Dispatcher& dispatcher() { return dispatcher_; }
  const HostOptions& options() const { return options_; }

  // Runs every metrics interval on the guard thread while Redis is healthy.
  void AddPeriodic(std::function<absl::Status()> fn) { periodic_.push_back(std::move(fn)); }
  absl::Status Start(const std::vector<grpc::Service*>& services,
                     grpc::CallbackGenericService* generic = nullptr);
  // NOT_SERVING, drain in-flight calls up to `drain`, stop the guard.
  void Shutdown(absl::Duration drain);

  int port() const { return server_ ? server_->port() : 0; }
  int metrics_port() const { return metrics_.port(); }
  bool writable() const { return gate_.open(); }
  bool stopping();

 private:
  void Guard();

  HostOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  RedisPool redis_;
  RecordStore records_;
  PrincipalSigner signer_;
  PageTokenCodec tokens_;
  Metrics metrics_;
  WriteGate gate_;
  Executor executor_;
  Dispatcher dispatcher_;
  std::vector<std::function<absl::Status()>> periodic_;
  std::unique_ptr<Server> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread guard_;
};

}  // namespace certpath
