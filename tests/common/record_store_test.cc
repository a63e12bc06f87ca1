// RecordStore on a real redis-server: the atomic commit and the paged list.

#include <gtest/gtest.h>

#include <set>

#include "services/common/record_store.h"
#include "services/common/status.h"
#include "tests/support/redis_server.h"

namespace certpath::testing {
namespace {

class RecordStoreTest : public ::testing::Test {
 protected:
  RecordStoreTest() : pool(Options()), records(pool) { EXPECT_TRUE(records.LoadScripts().ok()); }
  RedisOptions Options() {
    RedisOptions o;
    o.unix_socket = redis.socket();
    return o;
  }
  RedisServer redis;
  RedisPool pool;
  RecordStore records;
};

// The checks a step makes on an index: empty (a client without engagements),
// a member count (what a decision was taken on); a failed check writes nothing.
TEST_F(RecordStoreTest, IndexChecksRefuseTheWholeStep) {
  Batch seed;
  seed.ZAdd("idx:children", 1, "a");
  seed.Put("parent", 1, "p", 0);
  ASSERT_TRUE(records.Commit(seed).ok());

  Batch remove;
  remove.ExpectEmpty("idx:children", "the parent has children");
  remove.Delete("parent");
  absl::Status s = records.Commit(remove).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "HAS_DEPENDENTS");
  EXPECT_TRUE(records.Read("parent")->found());

  Batch stale;
  stale.ExpectCount("idx:children", 0, "children");  // one was added since it was read
  stale.Put("parent", 2, "p2", 0);
  EXPECT_EQ(records.Commit(stale).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(records.Read("parent")->data, "p");

  Batch fresh;
  fresh.ExpectCount("idx:children", 1, "children");
  fresh.Put("parent", 2, "p2", 0);
  ASSERT_TRUE(records.Commit(fresh).ok());
  EXPECT_EQ(records.Read("parent")->data, "p2");

  // No member scored within a range (a date after this one's, up to today).
  Batch later;
  later.ExpectNoneScored("idx:children", 0, 5, "children");  // "a" scores 1
  later.Put("parent", 3, "p3", 0);
  EXPECT_EQ(records.Commit(later).status().code(), absl::StatusCode::kAborted);
  Batch outside;
  outside.ExpectNoneScored("idx:children", 2, 5, "children");
  outside.Put("parent", 3, "p3", 0);
  ASSERT_TRUE(records.Commit(outside).ok());
  EXPECT_EQ(records.Read("parent")->data, "p3");

  Batch emptied;
  emptied.ZRem("idx:children", "a");
  ASSERT_TRUE(records.Commit(emptied).ok());
  ASSERT_TRUE(records.Commit(remove).ok());
  EXPECT_FALSE(records.Read("parent")->found());
}

TEST_F(RecordStoreTest, FilteredPagesNeverSkipItems) {
  // 10 items; 7 of them in the filter set; pages of 5.
  for (int i = 1; i <= 10; ++i) {
    Batch b;
    b.Put("r:" + std::to_string(i), 1, "item" + std::to_string(i), i);
    b.ZAdd("idx:all", i, std::to_string(i));
    if (i != 2 && i != 5 && i != 9) b.ZAdd("idx:some", i, std::to_string(i));
    ASSERT_TRUE(records.Commit(b).ok());
  }
  for (int limit : {1, 2, 3, 5, 7, 50}) {
    ListQuery q;
    q.index = "idx:all";
    q.members = {"idx:some"};
    q.record_prefix = "r:";
    q.limit = limit;
    std::vector<std::string> seen;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = records.List(q);
      ASSERT_TRUE(page.ok());
      EXPECT_LE(static_cast<int>(page->records.size()), limit);
      for (const auto& r : page->records) seen.push_back(r.data);
      if (!page->more) break;
      q.after = page->last;
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"item1", "item3", "item4", "item6", "item7", "item8",
                                              "item10"}))
        << "limit " << limit;
  }
}

TEST_F(RecordStoreTest, CommitChecksEverythingBeforeWritingAnything) {
  Batch first;
  first.Put("a", 1, "A1", 1);
  ASSERT_TRUE(records.Commit(first).ok());
  Batch conflicting;
  conflicting.Put("b", 1, "B1", 2);        // would be written…
  conflicting.ExpectVersion("a", 7, "a");  // …but this check fails
  EXPECT_EQ(records.Commit(conflicting).status().code(), absl::StatusCode::kAborted);
  auto b = records.Read("b");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->found());
  Batch missing;
  missing.ExpectVersion("nope", -1, "thing");
  EXPECT_EQ(records.Commit(missing).status().code(), absl::StatusCode::kNotFound);
  Batch exists;
  exists.ExpectVersion("a", 0, "a");
  EXPECT_EQ(records.Commit(exists).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(RecordStoreTest, ReferencesAreAppendedAsAProtobufFieldAndIdempotencyReplays) {
  Batch b;
  b.Idempotency("idem:1", "fp", 60);
  b.AllocateReference("ref", "2026-", 2);
  b.Put("rec", 1, "", 0, /*append_reference=*/true);
  b.Response("", /*append_reference=*/true);
  auto r = records.Commit(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reference, "2026-0001");
  // Field 2, wire type 2 (0x12), length 9, the text.
  EXPECT_EQ(r->response, std::string("\x12\x09") + "2026-0001");
  auto again = records.Commit(b);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->response, r->response);
  auto counter = pool.Command({"GET", "ref"});
  ASSERT_TRUE(counter.ok());
  EXPECT_EQ(counter->str, "1");  // the replay allocated nothing
  Batch other;
  other.Idempotency("idem:1", "another", 60);
  EXPECT_EQ(ViolatedFields(records.Commit(other).status()), std::vector<std::string>{"request_id"});
}

}  // namespace
}  // namespace certpath::testing
