#include "gateway/file_budget.h"

#include "services/common/status.h"

namespace certpath::gateway {

FileBudget::FileBudget(size_t bytes, prometheus::Registry* registry) : limit_(bytes) {
  if (registry == nullptr) return;
  gauge_ = &prometheus::BuildGauge()
                .Name("certpath_gateway_file_bytes_in_flight")
                .Help(
                    "Bytes of files in flight: uploads admitted and not yet answered, "
                    "downloads under way or being written out (--file-budget-bytes caps it)")
                .Register(*registry)
                .Add({});
}

bool FileBudget::Reserve(size_t n) {
  size_t held = held_.load();
  do {
    if (held + n > limit_) return false;
  } while (!held_.compare_exchange_weak(held, held + n));
  if (gauge_ != nullptr) gauge_->Increment(static_cast<double>(n));
  return true;
}

absl::Status FileBudget::ReserveDownload(size_t max_file, size_t* held) {
  if (!Reserve(max_file)) {
    return Error(absl::StatusCode::kUnavailable, "DOWNLOADS_BUSY",
                 "too many files in flight at once; retry in a moment");
  }
  *held = max_file;
  return absl::OkStatus();
}

void FileBudget::Release(size_t n) {
  held_.fetch_sub(n);
  if (gauge_ != nullptr) gauge_->Decrement(static_cast<double>(n));
}

}  // namespace certpath::gateway
