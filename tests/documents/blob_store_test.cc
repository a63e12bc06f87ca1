// The file store on a real directory: durable, de-duplicated, verified and
// swept; the temporary files it makes ahead and the helper that hashes an
// upload while it is written.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/crypto.h"
#include "services/documents/blob_store.h"
#include "services/documents/staging.h"
#include "tests/support/zip_files.h"

namespace certpath::documents {
namespace {

const std::string kPdf = "%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n";

struct Listing {
  int files = 0;
  int64_t bytes = 0;
  std::vector<std::string> names;
};

Listing List(const std::string& dir) {
  Listing out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st {};
    ::stat((dir + "/" + n).c_str(), &st);
    ++out.files;
    out.bytes += st.st_size;
    out.names.push_back(n);
  }
  ::closedir(d);
  return out;
}

// Waits (up to 10 s) until `dir` holds `n` entries.
bool WaitForFiles(const std::string& dir, int n) {
  for (int i = 0; i < 1000 && List(dir).files != n; ++i) absl::SleepFor(absl::Milliseconds(10));
  return List(dir).files == n;
}

class FileBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/certpath-blobs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/files";
  }
  void TearDown() override { std::system(("rm -rf " + root_).c_str()); }
  std::string root_, dir_;
};

TEST_F(FileBlobStoreTest, DurableDeduplicatedVerifiedAndSwept) {
  FileBlobStore blobs(dir_);
  ASSERT_TRUE(blobs.Open().ok());
  auto a = blobs.Put("t1", kPdf);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, HexEncode(Sha256(kPdf)));
  EXPECT_EQ(*blobs.Put("t1", kPdf), *a);  // stored once
  // A tenant that is not an id never makes a path.
  EXPECT_EQ(blobs.Put("../t1", kPdf).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(blobs.BytesStored(), static_cast<int64_t>(kPdf.size()));
  // Nothing left behind: each upload's temporary file was renamed, or removed
  // when the content was there already. What is there is made ahead, empty.
  Listing tmp = List(dir_ + "/tmp");
  EXPECT_LE(tmp.files, 4);
  EXPECT_EQ(tmp.bytes, 0);
  EXPECT_EQ(*blobs.Get("t1", *a), kPdf);
  EXPECT_EQ(blobs.Get("t2", *a).status().code(), absl::StatusCode::kNotFound);
  // A file changed on disk is never served.
  std::string path = dir_ + "/t1/" + a->substr(0, 2) + "/" + *a;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "%PDF-tampered";
  EXPECT_EQ(blobs.Get("t1", *a).status().code(), absl::StatusCode::kDataLoss);
  // The sweep: old temporary files and old unreferenced files go, referenced ones stay.
  auto b = blobs.Put("t1", testing::DocxFile("情報セキュリティマニュアル"));
  ASSERT_TRUE(b.ok());
  std::ofstream(dir_ + "/tmp/abandoned") << "half an upload";
  struct timeval old[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
  for (const std::string& p :
       {dir_ + "/tmp/abandoned", path, dir_ + "/t1/" + b->substr(0, 2) + "/" + *b}) {
    ASSERT_EQ(::utimes(p.c_str(), old), 0) << p;
  }
  auto swept = blobs.Sweep(absl::Hours(1), [&](const std::string&, const std::string& sha) {
    return absl::StatusOr<bool>(sha == *b);
  });
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 2);  // the temporary file and the unreferenced one
  EXPECT_TRUE(blobs.Get("t1", *b).ok());
  EXPECT_EQ(blobs.Get("t1", *a).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FileBlobStoreTest, AnUploadReusingAFileTheSweepFoundUnreferencedKeepsIt) {
  FileBlobStore blobs(dir_);
  ASSERT_TRUE(blobs.Open().ok());
  auto a = blobs.Put("t1", kPdf);
  ASSERT_TRUE(a.ok()) << a.status();
  std::string path = dir_ + "/t1/" + a->substr(0, 2) + "/" + *a;
  struct timeval old[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
  ASSERT_EQ(::utimes(path.c_str(), old), 0);
  // The same bytes uploaded between the sweep's look at the references and
  // its removal: the version on its way names the file, which must stay.
  int asked = 0;
  auto swept = blobs.Sweep(absl::Hours(1), [&](const std::string&, const std::string&) {
    ++asked;
    auto again = blobs.Put("t1", kPdf);
    EXPECT_TRUE(again.ok() && *again == *a);
    return absl::StatusOr<bool>(false);
  });
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(*swept, 0);
  auto kept = blobs.Get("t1", *a);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(*kept, kPdf);
}

TEST_F(FileBlobStoreTest, AStoredCopyDamagedOnDiskIsReplacedByTheSameUploadAgain) {
  FileBlobStore blobs(dir_);
  ASSERT_TRUE(blobs.Open().ok());
  auto a = blobs.Put("t1", kPdf);
  ASSERT_TRUE(a.ok()) << a.status();
  std::string damaged = kPdf;
  damaged[10] ^= 0x20;  // same size, other bytes: a flipped bit on disk
  std::ofstream(dir_ + "/t1/" + a->substr(0, 2) + "/" + *a, std::ios::binary | std::ios::trunc)
      << damaged;
  EXPECT_EQ(blobs.Get("t1", *a).status().code(), absl::StatusCode::kDataLoss);
  // Uploading the file again repairs it (for every version naming it).
  auto again = blobs.Put("t1", kPdf);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *a);
  auto repaired = blobs.Get("t1", *a);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_EQ(*repaired, kPdf);
}

TEST_F(FileBlobStoreTest, FilesMadeAheadAreTakenRefilledNeverSweptAndRemovedAtTheEnd) {
  std::string tmp = dir_ + "/tmp";
  {
    FileBlobStore blobs(dir_);
    ASSERT_TRUE(blobs.Open().ok());
    ASSERT_TRUE(WaitForFiles(tmp, 4));
    // However long they wait (an idle service), the sweep leaves them.
    struct timeval old[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
    Listing spares = List(tmp);
    for (const auto& n : spares.names) ASSERT_EQ(::utimes((tmp + "/" + n).c_str(), old), 0);
    auto swept = blobs.Sweep(absl::Hours(1), [](const std::string&, const std::string&) {
      return absl::StatusOr<bool>(false);
    });
    ASSERT_TRUE(swept.ok());
    EXPECT_EQ(*swept, 0);
    // An upload takes one (renamed away under its hash) and another is made.
    auto a = blobs.Put("t1", kPdf);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(*blobs.Get("t1", *a), kPdf);
    ASSERT_TRUE(WaitForFiles(tmp, 4));
    Listing after = List(tmp);
    int kept = 0;
    for (const auto& n : spares.names) {
      kept += std::count(after.names.begin(), after.names.end(), n);
    }
    EXPECT_EQ(kept, 3);
    EXPECT_EQ(after.bytes, 0);
    // Spares removed behind its back (by hand, or another process's sweep)
    // are passed over: the upload makes its own.
    for (const auto& n : after.names) ASSERT_EQ(::unlink((tmp + "/" + n).c_str()), 0);
    auto b = blobs.Put("t1", kPdf + "again");
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(*blobs.Get("t1", *b), kPdf + "again");
  }
  EXPECT_EQ(List(tmp).files, 0);  // a store that stops leaves none behind
}

TEST_F(FileBlobStoreTest, SparesWaitingAreTouchedSoThatNoSweepTakesThem) {
  TempFiles temps(root_, 2, absl::Milliseconds(50));
  temps.Start();
  ASSERT_TRUE(WaitForFiles(root_, 2));
  struct timeval old[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
  Listing spares = List(root_);
  for (const auto& n : spares.names) ASSERT_EQ(::utimes((root_ + "/" + n).c_str(), old), 0);
  absl::SleepFor(absl::Milliseconds(300));
  for (const auto& n : spares.names) {
    struct stat st {};
    ASSERT_EQ(::stat((root_ + "/" + n).c_str(), &st), 0);
    EXPECT_GT(st.st_mtime, 1'000'000'000 + 3600) << n;
  }
}

TEST_F(FileBlobStoreTest, ConcurrentUploadsAreEachStoredWholeUnderTheirOwnHash) {
  // More uploads at once than spare files and hash helpers: some make their
  // own temporary file, some hash on their own thread.
  FileBlobStore blobs(dir_);
  ASSERT_TRUE(blobs.Open().ok());
  constexpr int kThreads = 6, kEach = 8;
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string data = absl::StrCat("%PDF-1.7\n% ", t, "/", i, "\n");
        data.resize(256 << 10, static_cast<char>('a' + (t * kEach + i) % 26));
        auto sha = blobs.Put("t1", data);
        if (!sha.ok() || *sha != HexEncode(Sha256(data))) {
          errors[t] = absl::StrCat("put ", i, ": ", sha.ok() ? *sha : sha.status().ToString());
          return;
        }
        auto back = blobs.Get("t1", *sha);
        if (!back.ok() || *back != data) errors[t] = absl::StrCat("get ", i);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(blobs.BytesStored(), int64_t{kThreads} * kEach * (256 << 10));
  EXPECT_EQ(List(dir_ + "/tmp").bytes, 0);
  // The same new bytes from every thread at once: stored once, counted once
  // (the first link wins; the others find it there).
  std::string same(512 << 10, 'z');
  same.replace(0, 9, "%PDF-1.7\n");
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto sha = blobs.Put("t1", same);
      if (!sha.ok() || *sha != HexEncode(Sha256(same))) errors[t] = "same bytes";
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(blobs.BytesStored(), int64_t{kThreads} * kEach * (256 << 10) + (512 << 10));
  EXPECT_EQ(List(dir_ + "/tmp").bytes, 0);
  // A second store on the same directory (a replica) counts the same bytes.
  FileBlobStore replica(dir_);
  ASSERT_TRUE(replica.Open().ok());
  EXPECT_EQ(replica.BytesStored(), blobs.BytesStored());
}

TEST(HashHelper, HashesOneUploadAtATime) {
  HashHelper helper;
  std::string a(1 << 20, 'a'), b = "another file";
  ASSERT_TRUE(helper.TryStart(a));
  EXPECT_FALSE(helper.TryStart(b));  // busy: the caller hashes its own
  EXPECT_EQ(helper.Finish(), HexEncode(Sha256(a)));
  ASSERT_TRUE(helper.TryStart(b));
  EXPECT_EQ(helper.Finish(), HexEncode(Sha256(b)));
}

}  // namespace
}  // namespace certpath::documents
