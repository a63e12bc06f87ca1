#include "services/documents/staging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/crypto.h"

namespace certpath::documents {

TempFiles::~TempFiles() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (filler_.joinable()) filler_.join();
  absl::MutexLock lock(&mu_);
  for (File& f : ready_) {
    ::close(f.fd);
    ::unlink(f.path.c_str());
  }
}

void TempFiles::Start() {
  if (spares_ > 0 && !filler_.joinable()) filler_ = std::thread([this] { Fill(); });
}

absl::StatusOr<TempFiles::File> TempFiles::Make() {
  std::string name = RandomHex(12);
  File f{-1, absl::StrCat(dir_, "/", name)};
  f.fd = ::open(f.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (f.fd < 0) {
    return absl::InternalError(absl::StrCat("create ", f.path, ": ", std::strerror(errno)));
  }
  absl::MutexLock lock(&mu_);
  in_use_.insert(std::move(name));
  return f;
}

absl::StatusOr<TempFiles::File> TempFiles::Take() {
  for (;;) {
    File f;
    {
      absl::MutexLock lock(&mu_);
      if (ready_.empty()) break;
      f = std::move(ready_.back());
      ready_.pop_back();
    }
    // Still there (not removed by hand, nor by another process's sweep).
    struct stat st {};
    if (::fstat(f.fd, &st) == 0 && st.st_nlink > 0) return f;
    Release(f);
  }
  return Make();
}

void TempFiles::Release(File& f) {
  if (f.fd >= 0) ::close(f.fd);
  f.fd = -1;
  absl::MutexLock lock(&mu_);
  in_use_.erase(f.path.substr(f.path.rfind('/') + 1));
}

bool TempFiles::InUse(const std::string& name) {
  absl::MutexLock lock(&mu_);
  return in_use_.contains(name);
}

void TempFiles::Touch() {
  for (const File& f : ready_) ::futimens(f.fd, nullptr);
}

void TempFiles::Fill() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto wanted = absl::Condition(
          +[](TempFiles* t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t->mu_) {
            return t->stopping_ || static_cast<int>(t->ready_.size()) < t->spares_;
          },
          this);
      // Idle, the spares are touched: their age never nears the sweep's.
      while (!mu_.AwaitWithTimeout(wanted, touch_every_)) Touch();
      if (stopping_) return;
    }
    // Made and fsynced here, so that the upload's own fsync has no new
    // directory entry to write as well.
    auto f = Make();
    if (f.ok() && ::fsync(f->fd) == 0) {
      absl::MutexLock lock(&mu_);
      ready_.push_back(*std::move(f));
      continue;
    }
    if (f.ok()) {
      ::unlink(f->path.c_str());
      Release(*f);
    }
    // A full or failing disk: uploads make their own (and report why) until it is back.
    absl::SleepFor(absl::Seconds(1));
  }
}

HashHelper::HashHelper() : thread_([this] { Run(); }) {}

HashHelper::~HashHelper() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

bool HashHelper::TryStart(absl::string_view data) {
  absl::MutexLock lock(&mu_);
  if (busy_ || stopping_) return false;
  busy_ = queued_ = true;
  done_ = false;
  job_ = data;
  return true;
}

std::string HashHelper::Finish() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&done_));
  busy_ = done_ = false;
  return std::move(result_);
}

void HashHelper::Run() {
  for (;;) {
    absl::string_view job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](HashHelper* h)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(h->mu_) { return h->queued_ || h->stopping_; },
          this));
      if (!queued_) return;
      queued_ = false;
      job = job_;
    }
    std::string sha = HexEncode(Sha256(job));
    absl::MutexLock lock(&mu_);
    result_ = std::move(sha);
    done_ = true;
  }
}

}  // namespace certpath::documents
