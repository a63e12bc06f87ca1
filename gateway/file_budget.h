#pragma once
// The bytes of files in flight through the gateway at once
// (GatewayOptions::file_budget), uploads and downloads together, HTTP and the
// gRPC pass-through: each is held about three times over while it passes, so
// this bounds the memory files take here (and in documents, behind). A burst
// beyond it waits its turn (503 with Retry-After) instead of taking the
// gateway past its memory limit.
//  - An upload is counted by its Content-Length from its header, before its
//    body is read, until it is answered.
//  - A file download (certpath.common.v1.file_download) is counted by the
//    largest file (the upload limit) while its call is under way, then by its
//    own size until it is written out.

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <cstddef>

#include "absl/status/status.h"

namespace certpath::gateway {

class FileBudget {
 public:
  // `registry`: where certpath_gateway_file_bytes_in_flight goes (null: nowhere).
  explicit FileBudget(size_t bytes, prometheus::Registry* registry = nullptr);
  FileBudget(const FileBudget&) = delete;
  FileBudget& operator=(const FileBudget&) = delete;

  // `n` bytes fit (counted, true) or not (false).
  bool Reserve(size_t n);
  void Release(size_t n);
  // Of `held` bytes, keeps `need` (what a download turned out to be) and
  // gives back the rest; what is held now.
  size_t Keep(size_t held, size_t need) {
    if (need < held) Release(held - need);
    return std::min(held, need);
  }
  // Room for a file download of up to `max_file` bytes, HTTP's or gRPC's:
  // held (`*held` = max_file), or UNAVAILABLE DOWNLOADS_BUSY.
  absl::Status ReserveDownload(size_t max_file, size_t* held);
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> held_{0};
  prometheus::Gauge* gauge_ = nullptr;
};

}  // namespace certpath::gateway
