#pragma once
// What the file store does off an upload's path, measured on this project's
// ext4 (no journal): creating a file cost 0.3 ms of inode search, and hashing
// 1 MiB (0.6 ms) took as long as writing it.
//  - TempFiles: empty temporary files, created and fsynced ahead by a thread of
//    their own, taken by uploads; none is swept while it is spare or in use,
//    by this process (InUse) or another sharing the directory (spares are
//    touched every few minutes, far inside the sweep's hour).
//  - HashHelper: one thread that hashes an upload while the caller writes it.

#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace certpath::documents {

class TempFiles {
 public:
  struct File {
    int fd = -1;
    std::string path;
  };
  // Files under `dir` (which must exist); `spares` kept ready once Start()ed,
  // touched every `touch_every` while they wait.
  TempFiles(std::string dir, int spares, absl::Duration touch_every = absl::Minutes(5))
      : dir_(std::move(dir)), spares_(spares), touch_every_(touch_every) {}
  ~TempFiles();
  TempFiles(const TempFiles&) = delete;
  TempFiles& operator=(const TempFiles&) = delete;
  void Start();
  // A new empty file open for writing: a spare, or made now when none is left.
  absl::StatusOr<File> Take();
  // `f` was renamed or removed by its taker: closes it, and the sweep may
  // take a file by its name again.
  void Release(File& f);
  // Whether a file in the directory is spare or taken (never to be swept).
  bool InUse(const std::string& name);

 private:
  absl::StatusOr<File> Make();
  void Fill();
  void Touch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const std::string dir_;
  const int spares_;
  const absl::Duration touch_every_;
  absl::Mutex mu_;
  std::vector<File> ready_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> in_use_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread filler_;
};

class HashHelper {
 public:
  HashHelper();
  ~HashHelper();
  HashHelper(const HashHelper&) = delete;
  HashHelper& operator=(const HashHelper&) = delete;
  // Starts hashing `data` (which must outlive Finish) when the helper is free;
  // false when it is busy with another upload's.
  bool TryStart(absl::string_view data);
  // The hex SHA-256 of the data TryStart took; the helper is free again.
  std::string Finish();

 private:
  void Run();
  absl::Mutex mu_;
  absl::string_view job_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool queued_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::string result_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace certpath::documents
