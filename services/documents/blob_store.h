#pragma once
// Where document files live. One implementation now: content-addressed files
// (SHA-256) under a data directory. A file is written to a temporary file,
// fsynced, renamed into place and its directory fsynced — durable before the
// version that names it is committed to Redis, so a crash never leaves a
// visible version without its file, nor a half file under a hash. The same
// content is stored once per tenant. Reads verify the hash.
//
//   <dir>/tmp/<random>                      uploads being written, and empty
//                                           files made ahead for the next ones
//   <dir>/<tenant>/<sha[0:2]>/<sha256>      stored files

#include <sys/stat.h>

#include <atomic>
#include <functional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/documents/staging.h"

namespace certpath::documents {

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Stores `data` durably; its SHA-256, hex.
  virtual absl::StatusOr<std::string> Put(const std::string& tenant, absl::string_view data) = 0;
  // The content stored under `sha256`; DATA_LOSS when the file does not
  // match its hash, NOT_FOUND when there is none.
  virtual absl::StatusOr<std::string> Get(const std::string& tenant, const std::string& sha256) = 0;
  // Whether `sha256` of `tenant` is named by a committed record.
  using Referenced =
      std::function<absl::StatusOr<bool>(const std::string& tenant, const std::string& sha256)>;
  // Removes what uploads left behind: temporary files older than `age`, and
  // stored files older than `age` that no record references (a crash between
  // the file and its record). A referenced file is never removed. How many.
  virtual absl::StatusOr<int> Sweep(absl::Duration age, const Referenced& referenced) = 0;
  // Bytes in stored files (a gauge): counted when opened, then kept up to
  // date by this store's uploads and sweeps.
  virtual int64_t BytesStored() = 0;
};

class FileBlobStore final : public BlobStore {
 public:
  explicit FileBlobStore(std::string dir) : dir_(std::move(dir)), temps_(dir_ + "/tmp", 4) {}
  // Creates the directories (and checks they are writable); temporary files
  // are made ahead from then on.
  absl::Status Open();
  absl::StatusOr<std::string> Put(const std::string& tenant, absl::string_view data) override;
  absl::StatusOr<std::string> Get(const std::string& tenant, const std::string& sha256) override;
  absl::StatusOr<int> Sweep(absl::Duration age, const Referenced& referenced) override;
  int64_t BytesStored() override;

 private:
  std::string PathOf(const std::string& tenant, const std::string& sha256) const;
  // Fsyncs `shard`, and its parents the first time this process uses it.
  absl::Status DurableShard(const std::string& tenant_dir, const std::string& shard);
  // Calls `visit` for each stored file, while it answers true.
  void ForEachStored(
      const std::function<bool(const std::string& tenant, const std::string& sha256,
                               const std::string& path, const struct stat& st)>& visit);
  std::string dir_;
  TempFiles temps_;
  HashHelper hasher_;
  absl::Mutex shards_mu_;
  absl::flat_hash_set<std::string> durable_shards_ ABSL_GUARDED_BY(shards_mu_);
  std::atomic<int64_t> bytes_{0};
};

}  // namespace certpath::documents
