#pragma once
// The run command's stack as separate processes, for the system tests: a
// real redis-server, billing, scheduling, documents, engagements replicas relaying to
// billing and to "scheduling" — the real service, or (for the delivery tests)
// a stand-in consumer that records what it applies (certpath-test-consumer) —
// and the gateway in front (HTTP and gRPC, generous rate limits), each a real
// binary that can be SIGKILLed and started again.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/common/redis.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace certpath::testing {

class SystemStack {
 public:
  // `sink_args`: extra flags of the test consumer (e.g. --refuse-subject).
  // `real_scheduling`: engagements deliver to the scheduling service itself
  // (else to the stand-in consumer, whose applied events the tests read).
  explicit SystemStack(int engagement_replicas = 2, bool real_scheduling = false);
  ~SystemStack();

  // Starts every process and waits until each serves.
  void StartAll();
  // (Re)creates the consumer's process with extra flags (not started).
  void ResetSink(std::vector<std::string> extra);
  // (Re)creates the gateway's process with extra flags (not started).
  void ResetGateway(std::vector<std::string> extra);
  void WaitServing(const std::string& target);

  RedisServer redis;
  std::string billing_target, sink_target, scheduling_target, documents_target, gateway_target;
  int gateway_http_port = 0;
  int gateway_metrics_port = 0;  // its /metrics
  std::vector<std::string> engagement_targets;
  std::unique_ptr<Process> billing, sink, scheduling, documents, gateway;
  std::vector<std::unique_ptr<Process>> engagements;

  RedisPool& pool() { return *pool_; }
  const std::string& key_file() const { return key_file_; }
  // Runs certpath-admin with `args` (and the signing key); its exit code and stdout.
  int Admin(const std::string& args, std::string* out);
  int64_t Int(const std::vector<std::string>& cmd);
  // Polls until `cmd` answers `want` (up to `timeout`); the last answer.
  int64_t WaitInt(const std::vector<std::string>& cmd, int64_t want,
                  absl::Duration timeout = absl::Seconds(60));

 private:
  std::vector<std::string> Common(const std::string& listen) const;
  std::string key_file_;
  std::vector<std::string> gateway_extra_;
  std::unique_ptr<RedisPool> pool_;
};

}  // namespace certpath::testing
