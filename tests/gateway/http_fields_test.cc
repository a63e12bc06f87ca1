// The gateway's pieces without a server: what it takes from callers' headers,
// the level of its log lines, and the budget of files in flight.
#include "gateway/http_fields.h"

#include <gtest/gtest.h>

#include "gateway/file_budget.h"
#include "gateway/transcode.h"
#include "google/api/httpbody.pb.h"
#include "google/rpc/error_details.pb.h"
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

TEST(Transcode, AServicesFieldErrorsAreSpelledAsHttpCallersWriteThem) {
  EXPECT_EQ(JsonFieldPath("visit.end_time"), "visit.endTime");
  EXPECT_EQ(JsonFieldPath("settings.prices.manual_review_min_jpy"),
            "settings.prices.manualReviewMinJpy");
  EXPECT_EQ(JsonFieldPath("rows[3].exclusion_justification"), "rows[3].exclusionJustification");
  EXPECT_EQ(JsonFieldPath("X-Request-Timeout"), "X-Request-Timeout");
  EXPECT_EQ(JsonFieldPath("_private__x_"), "_private__x_");
  EXPECT_EQ(JsonFieldPath("line_1"), "line1");
  EXPECT_EQ(JsonFieldPath("PHASE_STAGE1_AUDIT"), "PHASE_STAGE1_AUDIT");
  FieldViolations v;
  v.Add("change_note", "at most 500 characters");
  v.Add("file.content_type", "not allowed");
  absl::Status s = InJsonSpelling(v.ToStatus());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "invalid request: changeNote: at most 500 characters; file.contentType: not allowed");
  google::rpc::BadRequest bad;
  ASSERT_TRUE(bad.ParseFromString(std::string(*s.GetPayload(kBadRequestUrl))));
  ASSERT_EQ(bad.field_violations_size(), 2);
  EXPECT_EQ(bad.field_violations(1).field(), "file.contentType");
  EXPECT_EQ(ErrorReason(s), "INVALID_ARGUMENT");  // the other details stay
  // A message of the service's own wording stays as it was.
  absl::Status own = InvalidArgument("page_token", "expired");
  own = absl::Status(own.code(), "the page_token has expired");
  own.SetPayload(kBadRequestUrl, *v.ToStatus().GetPayload(kBadRequestUrl));
  EXPECT_EQ(InJsonSpelling(own).message(), "the page_token has expired");
  EXPECT_EQ(InJsonSpelling(absl::NotFoundError("x")), absl::NotFoundError("x"));
}

TEST(HttpFields, TheTimeoutACallerAsksForIsPositiveSecondsUpToTheMaximum) {
  EXPECT_EQ(*RequestTimeout("2.5", absl::Seconds(120)), absl::Milliseconds(2500));
  EXPECT_EQ(*RequestTimeout("600", absl::Seconds(120)), absl::Seconds(120));
  for (const char* bad : {"", "0", "-1", "1e3", "ten", "1.2.3"}) {
    auto t = RequestTimeout(bad, absl::Seconds(120));
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// An upstream answer as gRPC hands it over.
grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

TEST(HttpFields, AnAnswerIsAFileAsItIsOrJson) {
  google::api::HttpBody file;
  file.set_content_type("application/pdf");
  file.set_data(std::string(3 << 20, 'p'));
  grpc::ByteBuffer buffer = Buffer(file.SerializeAsString());
  auto answer = AnswerBody(buffer, google::api::HttpBody::descriptor());
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->media, "application/pdf");
  EXPECT_TRUE(answer->body == file.data());
  EXPECT_EQ(buffer.Length(), 0u);  // the answer's own copy is gone
  google::rpc::BadRequest bad;
  bad.add_field_violations()->set_field("x");
  grpc::ByteBuffer json_buffer = Buffer(bad.SerializeAsString());
  auto json = AnswerBody(json_buffer, google::rpc::BadRequest::descriptor());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->media, "application/json; charset=utf-8");
  EXPECT_EQ(json->body, R"({"fieldViolations":[{"field":"x"}]})");
  grpc::ByteBuffer junk_buffer = Buffer("\xff\xff\xff");
  EXPECT_EQ(AnswerBody(junk_buffer, google::api::HttpBody::descriptor()).status().code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace certpath::gateway
