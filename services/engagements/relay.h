#pragma once
// The outbox relay: delivers the engagements service's outbox events to
// billing (RecordBillingEvent, request_id = event id), with a deadline per
// call and retries on UNAVAILABLE with backoff; an event leaves the outbox
// only when billing acknowledged it. Billing applies each event id once, so
// any number of replicas may relay at the same time.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "certpath/billing/v1/billing.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/principal.h"
#include "services/engagements/store.h"

namespace certpath::engagements {

// Where the relay delivers an event: billing's RecordBillingEvent over gRPC in
// production; one attempt within `deadline`, as `as`.
class BillingEventsClient {
 public:
  virtual ~BillingEventsClient() = default;
  virtual absl::Status Record(const Principal& as,
                              const certpath::billing::v1::RecordBillingEventRequest& req,
                              std::chrono::system_clock::time_point deadline) = 0;
};
std::unique_ptr<BillingEventsClient> GrpcBillingEventsClient(const std::string& target,
                                                             const PrincipalSigner& signer,
                                                             const Clock& clock);

struct RelayOptions {
  std::string billing_target;  // empty = no relay
  absl::Duration poll_interval = absl::Milliseconds(500);
  absl::Duration call_deadline = absl::Seconds(5);
  int max_attempts = 5;
};

class OutboxRelay {
 public:
  // Delivers to the billing service at options.billing_target over gRPC.
  OutboxRelay(EngagementStore& store, const PrincipalSigner& signer, const Clock& clock,
              RelayOptions options, prometheus::Registry& registry);
  OutboxRelay(EngagementStore& store, std::unique_ptr<BillingEventsClient> billing,
              const Clock& clock, RelayOptions options, prometheus::Registry& registry);
  ~OutboxRelay();
  void Start();
  void Stop();
  // An event was just committed: deliver without waiting for the next poll.
  void Notify();
  // One pass over every tenant's outbox; returns events delivered.
  int RunOnce();

 private:
  enum class Outcome { kDelivered, kRefused, kUnavailable };
  Outcome Deliver(const EngagementStore::PendingEvent& ev);

  EngagementStore& store_;
  std::unique_ptr<BillingEventsClient> billing_;
  const Clock& clock_;
  RelayOptions options_;
  prometheus::Counter& attempts_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Counter& delivered_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool notified_ = false;
  std::thread thread_;
};

}  // namespace certpath::engagements
