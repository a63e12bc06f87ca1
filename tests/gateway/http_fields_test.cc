// The gateway's pieces without a server: what it takes from callers' headers,
// the level of its log lines, and the budget of files in flight.
#include "gateway/http_fields.h"

#include <gtest/gtest.h>

#include "gateway/file_budget.h"
#include "services/common/status.h"

namespace certpath::gateway {
namespace {

TEST(HttpFields, CallersIdsAreKeptOnlyWhenSane) {
  EXPECT_TRUE(SafeRequestId("req-42_a"));
  EXPECT_FALSE(SafeRequestId(""));
  EXPECT_FALSE(SafeRequestId(std::string(65, 'a')));
  EXPECT_FALSE(SafeRequestId("a\"b"));
  EXPECT_FALSE(SafeRequestId("line\nbreak"));
  EXPECT_TRUE(ValidTraceParent(TraceParent()));
  EXPECT_TRUE(ValidTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ValidTraceParent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ValidTraceParent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ValidTraceParent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
}

TEST(HttpFields, LoadShedAndCallersMistakesAreWarningsTheServersFaultsErrors) {
  EXPECT_EQ(AnswerLogLevel(200, absl::OkStatus()), log::Level::kInfo);
  EXPECT_EQ(AnswerLogLevel(404, absl::NotFoundError("x")), log::Level::kWarn);
  EXPECT_EQ(AnswerLogLevel(503, Error(absl::StatusCode::kUnavailable, "DOWNLOADS_BUSY", "busy")),
            log::Level::kWarn);
  EXPECT_EQ(AnswerLogLevel(504, absl::DeadlineExceededError("late")), log::Level::kWarn);
  EXPECT_EQ(AnswerLogLevel(502, absl::InternalError("bad upstream answer")), log::Level::kError);
  EXPECT_EQ(AnswerLogLevel(500, absl::DataLossError("corrupt")), log::Level::kError);
  EXPECT_EQ(AnswerLogLevel(500, absl::OkStatus()), log::Level::kError);
}

TEST(FileBudget, ReservesWhatFitsAndKeepsWhatADownloadTurnedOutToBe) {
  FileBudget budget(64);
  EXPECT_TRUE(budget.Reserve(16));
  EXPECT_TRUE(budget.Reserve(48));
  EXPECT_FALSE(budget.Reserve(1));    // full
  size_t held = budget.Keep(48, 10);  // a download of 10 where 48 was held
  EXPECT_EQ(held, 10u);
  EXPECT_TRUE(budget.Reserve(38));
  EXPECT_FALSE(budget.Reserve(1));
  EXPECT_EQ(budget.Keep(16, 20), 16u);  // never more than was held
  budget.Release(16);
  budget.Release(10);
  budget.Release(38);
  EXPECT_TRUE(budget.Reserve(64));
}

}  // namespace
}  // namespace certpath::gateway
