#pragma once
// The bytes of uploads in flight at once (GatewayOptions::upload_budget): an
// upload is admitted while it fits and held until it is answered, so a burst
// of large files waits its turn (503 with Retry-After) instead of taking the
// gateway and documents past their memory.

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cstddef>

namespace certpath::gateway {

class UploadBudget {
 public:
  // `registry`: where certpath_gateway_upload_bytes_in_flight goes (null: nowhere).
  explicit UploadBudget(size_t bytes, prometheus::Registry* registry = nullptr);
  UploadBudget(const UploadBudget&) = delete;
  UploadBudget& operator=(const UploadBudget&) = delete;

  // `n` bytes fit (counted, true) or not (false).
  bool Reserve(size_t n);
  void Release(size_t n);
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> held_{0};
  prometheus::Gauge* gauge_ = nullptr;
};

}  // namespace certpath::gateway
