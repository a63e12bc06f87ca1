#include "services/documents/blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/validate.h"

namespace certpath::documents {
namespace {

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status FsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open " + path);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : Errno("fsync " + path);
}

// mkdir that succeeds when it exists; the parent fsynced when it was made.
absl::Status MakeDir(const std::string& path, const std::string& parent) {
  if (::mkdir(path.c_str(), 0700) == 0) return FsyncPath(parent);
  return errno == EEXIST ? absl::OkStatus() : Errno("mkdir " + path);
}

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  return out;
}

bool OlderThan(const std::string& path, absl::Duration age) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && absl::Now() - absl::FromUnixSeconds(st.st_mtime) > age;
}

// An advisory lock on a file of the store's directory, through an open file
// description of its own (so threads and processes sharing the directory
// each hold theirs): shared while an upload takes or replaces a stored file,
// exclusive while the sweep removes one.
class DirLock {
 public:
  DirLock(const std::string& path, int op)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    while (fd_ >= 0 && ::flock(fd_, op) != 0) {
      if (errno != EINTR) {
        ::close(fd_);
        fd_ = -1;
      }
    }
  }
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

// Whether the file at `path` holds exactly `data` (a stored copy damaged on
// disk is not taken for it).
bool HoldsExactly(const std::string& path, absl::string_view data) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool same = ::fstat(fd, &st) == 0 && st.st_size == static_cast<off_t>(data.size());
  char buf[1 << 16];
  for (size_t at = 0; same && at < data.size();) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    same = n > 0 && static_cast<size_t>(n) <= data.size() - at &&
           std::memcmp(buf, data.data() + at, static_cast<size_t>(n)) == 0;
    at += n > 0 ? static_cast<size_t>(n) : 0;
  }
  ::close(fd);
  return same;
}

}  // namespace

absl::Status FileBlobStore::Open() {
  if (auto s = MakeDir(dir_, dir_ + "/.."); !s.ok()) return s;
  if (auto s = MakeDir(dir_ + "/tmp", dir_); !s.ok()) return s;
  int64_t total = 0;
  ForEachStored(
      [&](const std::string&, const std::string&, const std::string&, const struct stat& st) {
        total += st.st_size;
        return true;
      });
  bytes_.store(total);
  temps_.Start();
  return absl::OkStatus();
}

std::string FileBlobStore::PathOf(const std::string& tenant, const std::string& sha256) const {
  return absl::StrCat(dir_, "/", tenant, "/", sha256.substr(0, 2), "/", sha256);
}

absl::StatusOr<std::string> FileBlobStore::Put(const std::string& tenant, absl::string_view data) {
  if (!IsValidId(tenant)) return absl::InvalidArgumentError("tenant");
  auto tmp = temps_.Take();
  if (!tmp.ok()) return tmp.status();
  // Hashed on the helper while written here, when the helper is free.
  bool hashing = hasher_.TryStart(data);
  auto drop = [&] {
    if (hashing) hasher_.Finish();  // it reads `data` until then
    ::unlink(tmp->path.c_str());
    temps_.Release(*tmp);
  };
  auto fail = [&](absl::Status s) {
    drop();
    return s;
  };
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(tmp->fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(Errno("write " + tmp->path));
    done += static_cast<size_t>(n);
  }
  // The disk writes the file while the hash is finished; fsync then waits
  // for what is left.
  ::sync_file_range(tmp->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  std::string sha = hashing ? hasher_.Finish() : HexEncode(Sha256(data));
  hashing = false;
  std::string final_path = PathOf(tenant, sha);
  std::string tenant_dir = absl::StrCat(dir_, "/", tenant);
  std::string shard = absl::StrCat(tenant_dir, "/", sha.substr(0, 2));
  // Stored before (the same file uploaded again: its write above was the
  // price of not knowing the hash sooner), when the stored copy holds these
  // very bytes. Touched under the directory's shared lock: the sweep removes
  // a file only under the exclusive one, after looking at its age again, so
  // it never takes a file this upload names (another process sharing the
  // directory included).
  struct stat existing {};
  bool existed = ::stat(final_path.c_str(), &existing) == 0;
  if (existed && HoldsExactly(final_path, data)) {
    DirLock lock(dir_ + "/.lock", LOCK_SH);
    if (!lock.held()) return fail(Errno("lock " + dir_));
    if (::utimes(final_path.c_str(), nullptr) == 0) {
      drop();
      if (auto s = DurableShard(tenant_dir, shard); !s.ok()) return s;
      return sha;
    }
    existed = false;  // swept meanwhile: stored again below
  }
  if (::fsync(tmp->fd) != 0) return fail(Errno("fsync " + tmp->path));
  // Into its shard: linked when new (EEXIST: an upload of the same bytes got
  // there first, its file durable before it was linked), or renamed over a
  // damaged copy under the shared lock; the shard (and the tenant's
  // directory) made the first time.
  auto place = [&]() -> int {
    if (!existed) return ::link(tmp->path.c_str(), final_path.c_str());
    DirLock lock(dir_ + "/.lock", LOCK_SH);
    return lock.held() ? ::rename(tmp->path.c_str(), final_path.c_str()) : -1;
  };
  int rc = place();
  if (rc != 0 && errno == ENOENT) {
    for (const std::string* d : {&tenant_dir, &shard}) {
      if (::mkdir(d->c_str(), 0700) != 0 && errno != EEXIST) return fail(Errno("mkdir " + *d));
    }
    rc = place();
  }
  if (rc != 0 && (existed || errno != EEXIST)) return fail(Errno("store " + final_path));
  ::unlink(tmp->path.c_str());  // its link (a rename took it already)
  temps_.Release(*tmp);
  if (rc == 0) bytes_ += static_cast<int64_t>(data.size()) - (existed ? existing.st_size : 0);
  if (auto s = DurableShard(tenant_dir, shard); !s.ok()) return s;
  return sha;
}

absl::Status FileBlobStore::DurableShard(const std::string& tenant_dir, const std::string& shard) {
  // Its parents once a process: another upload may have made the shard and
  // not fsynced them yet (or died first), and this upload's record must not
  // name a file whose directory could vanish.
  bool known;
  {
    absl::MutexLock lock(&shards_mu_);
    known = durable_shards_.contains(shard);
  }
  if (!known) {
    if (auto s = FsyncPath(dir_); !s.ok()) return s;
    if (auto s = FsyncPath(tenant_dir); !s.ok()) return s;
  }
  if (auto s = FsyncPath(shard); !s.ok()) return s;
  if (!known) {
    absl::MutexLock lock(&shards_mu_);
    durable_shards_.insert(shard);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FileBlobStore::Get(const std::string& tenant,
                                               const std::string& sha256) {
  if (!IsValidId(tenant) || !IsHex64(sha256)) return absl::InvalidArgumentError("file");
  std::string path = PathOf(tenant, sha256);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError("file " + sha256);
    return Errno("open " + path);
  }
  // Sized once (growing a string of megabytes by doubling costs copies).
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = Errno("read " + path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (HexEncode(Sha256(out)) != sha256) {
    return absl::DataLossError("stored file " + sha256 + " does not match its hash");
  }
  return out;
}

void FileBlobStore::ForEachStored(
    const std::function<bool(const std::string& tenant, const std::string& sha256,
                             const std::string& path, const struct stat& st)>& visit) {
  for (const auto& tenant : Entries(dir_)) {
    if (tenant == "tmp" || !IsValidId(tenant)) continue;
    for (const auto& shard : Entries(dir_ + "/" + tenant)) {
      std::string shard_dir = absl::StrCat(dir_, "/", tenant, "/", shard);
      for (const auto& sha : Entries(shard_dir)) {
        std::string path = shard_dir + "/" + sha;
        struct stat st {};
        if (IsHex64(sha) && ::stat(path.c_str(), &st) == 0 && !visit(tenant, sha, path, st)) {
          return;
        }
      }
    }
  }
}

absl::StatusOr<int> FileBlobStore::Sweep(absl::Duration age, const Referenced& referenced) {
  int removed = 0;
  for (const auto& name : Entries(dir_ + "/tmp")) {
    std::string path = dir_ + "/tmp/" + name;
    if (!temps_.InUse(name) && OlderThan(path, age) && ::unlink(path.c_str()) == 0) ++removed;
  }
  absl::Status failed;
  absl::Time now = absl::Now();
  ForEachStored([&](const std::string& tenant, const std::string& sha, const std::string& path,
                    const struct stat& st) {
    if (now - absl::FromUnixSeconds(st.st_mtime) <= age) return true;
    auto used = referenced(tenant, sha);
    if (!used.ok()) {
      failed = used.status();
      return false;
    }
    if (*used) return true;
    // Looked at again under the exclusive lock (an upload reusing the file
    // touches it under the shared one): touched since, it is named by a
    // version on its way.
    DirLock lock(dir_ + "/.lock", LOCK_EX);
    if (lock.held() && OlderThan(path, age) && ::unlink(path.c_str()) == 0) {
      ++removed;
      bytes_ -= st.st_size;
    }
    return true;
  });
  if (!failed.ok()) return failed;
  return removed;
}

int64_t FileBlobStore::BytesStored() { return bytes_.load(); }

}  // namespace certpath::documents
