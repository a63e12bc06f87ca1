// services/common: crypto, principal tokens, page tokens, validation, status.

#include <gtest/gtest.h>

#include "services/common/client_retry.h"

#include "services/common/crypto.h"
#include "services/common/grpc_util.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/principal.h"
#include "services/common/retry.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "tests/support/test_env.h"

namespace certpath {
namespace {

const std::string kKey(40, 'k');
const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);

TEST(Base64Url, RoundTripsEveryLength) {
  std::string data;
  for (int n = 0; n < 40; ++n) {
    auto decoded = Base64UrlDecode(Base64UrlEncode(data));
    ASSERT_TRUE(decoded.has_value()) << n;
    EXPECT_EQ(*decoded, data);
    data.push_back(static_cast<char>(n * 37));
  }
}

TEST(Base64Url, RejectsBadInput) {
  EXPECT_FALSE(Base64UrlDecode("a").has_value());
  EXPECT_FALSE(Base64UrlDecode("ab+c").has_value());
  EXPECT_FALSE(Base64UrlDecode("ab=c").has_value());
  EXPECT_FALSE(Base64UrlDecode("AB").has_value());  // non-canonical trailing bits
}

TEST(Hmac, KnownVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

Principal Admin() {
  Principal p;
  p.set_tenant("t1");
  p.set_subject("alice@office");
  p.set_role(Principal::ROLE_OFFICE_ADMIN);
  return p;
}

TEST(PrincipalToken, SignsAndVerifies) {
  PrincipalSigner signer(kKey);
  std::string token = signer.Sign(Admin(), kNow, absl::Minutes(5));
  auto p = signer.Verify(token, kNow + absl::Minutes(4));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tenant(), "t1");
  EXPECT_EQ(p->subject(), "alice@office");
  EXPECT_EQ(p->role(), Principal::ROLE_OFFICE_ADMIN);
}

TEST(PrincipalToken, RefusesExpiredForgedAndMalformed) {
  PrincipalSigner signer(kKey);
  std::string token = signer.Sign(Admin(), kNow, absl::Minutes(5));
  EXPECT_EQ(signer.Verify(token, kNow + absl::Minutes(5)).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(PrincipalSigner(std::string(40, 'x')).Verify(token, kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
  // Change the role inside the payload, keep the signature.
  Principal client = Admin();
  client.set_role(Principal::ROLE_CLIENT);
  std::string other = signer.Sign(client, kNow, absl::Minutes(5));
  std::string spliced = other.substr(0, other.rfind('.')) + token.substr(token.rfind('.'));
  EXPECT_FALSE(signer.Verify(spliced, kNow).ok());
  for (const char* bad : {"", "v1.", "v1..", "v2.abc.def", "garbage"}) {
    EXPECT_FALSE(signer.Verify(bad, kNow).ok()) << bad;
  }
}

TEST(PrincipalToken, ShortKeysAreRefused) {
  EXPECT_FALSE(LoadSigningKey("short", "").ok());
  EXPECT_TRUE(LoadSigningKey(kKey, "").ok());
}

TEST(PageToken, RoundTripsAndDetectsTampering) {
  PageTokenCodec codec(kKey);
  uint64_t fp = QueryFingerprint({"engagements", "tenants/t1", "phase=2"});
  std::string token = codec.Encode(12345, fp);
  auto after = codec.Decode(token, fp);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, 12345);
  // Another query's token is refused.
  EXPECT_EQ(codec.Decode(token, QueryFingerprint({"engagements", "tenants/t1", "phase=3"}))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // Flip each character: never accepted.
  for (size_t i = 0; i < token.size(); ++i) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    auto r = codec.Decode(t, fp);
    EXPECT_FALSE(r.ok() && *r != 12345) << i;
    if (!r.ok()) {
      EXPECT_EQ(ViolatedFields(r.status()), std::vector<std::string>{"page_token"});
    }
  }
  EXPECT_FALSE(PageTokenCodec(std::string(40, 'z')).Decode(token, fp).ok());
}

TEST(PageSize, DefaultsClampsAndRejectsNegative) {
  EXPECT_EQ(*ResolvePageSize(0, 50, 500), 50);
  EXPECT_EQ(*ResolvePageSize(7, 50, 500), 7);
  EXPECT_EQ(*ResolvePageSize(100000, 50, 500), 500);
  EXPECT_EQ(ResolvePageSize(-1, 50, 500).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Utf8, ValidatesAndCounts) {
  EXPECT_TRUE(IsValidUtf8("株式会社デモ"));
  EXPECT_EQ(CodePoints("株式会社デモ"), 6u);
  EXPECT_EQ(ClipText("株式会社デモ", 4), "株式会社");
  EXPECT_EQ(ClipText("株式会社デモ", 10), "株式会社デモ");
  EXPECT_EQ(ClipText("a𠮷b", 2), "a𠮷");
  EXPECT_TRUE(IsValidUtf8("𠮷野家"));  // 4-byte sequence
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe6\xa0"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(CheckText, ReportsEveryProblemByField) {
  FieldViolations v;
  CheckText(v, "a", "", 10, /*required=*/true);
  CheckText(v, "b", "\xff", 10);
  CheckText(v, "c", "あいうえおかきくけこさ", 10);
  CheckText(v, "d", "line\nbreak", 10);
  CheckText(v, "e", "line\nbreak", 10, false, /*multiline=*/true);
  CheckText(v, "f", "あいうえおかきくけこ", 10);
  absl::Status s = v.ToStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedFields(s), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(ErrorReason(s), "INVALID_ARGUMENT");
}

TEST(CheckText, RefusesC0AndC1ControlsButKeepsNewlineAndTabInLongText) {
  FieldViolations v;
  CheckText(v, "c1", "株式会社\u0097デモ", 50);                // C1: END OF GUARDED AREA
  CheckText(v, "nel", "一行目\u0085二行目", 50, false, true);  // C1 NEXT LINE, even multi-line
  CheckText(v, "del", "a\x7f", 50);
  CheckText(v, "bell", "a\x07", 50, false, true);
  CheckText(v, "ok1", "一行目\n\t二行目", 50, false, true);
  CheckText(v, "ok2", "株式会社デモ\u00a0本社", 50);  // U+00A0 is not a control
  EXPECT_EQ(ViolatedFields(v.ToStatus()), (std::vector<std::string>{"c1", "nel", "del", "bell"}));
}

TEST(ApplyUpdateMask, CopiesOnlyMaskedFieldsAndNamesRefusedPaths) {
  using certpath::common::v1::Principal;
  Principal to, from;
  to.set_tenant("t1");
  to.set_subject("old");
  to.set_organization("org");
  from.set_subject("new");  // tenant and organization unset in `from`
  google::protobuf::FieldMask mask;
  mask.add_paths("subject");
  mask.add_paths("organization");
  FieldViolations v;
  ApplyUpdateMask(v, mask, {"subject", "organization"}, from, &to);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(to.subject(), "new");
  EXPECT_EQ(to.organization(), "");  // masked and unset: cleared
  EXPECT_EQ(to.tenant(), "t1");      // outside the mask: untouched
  Principal before = to;
  mask.add_paths("tenant");
  mask.add_paths("nonsense");
  ApplyUpdateMask(v, mask, {"subject", "organization"}, from, &to);
  EXPECT_EQ(ViolatedFields(v.ToStatus()), (std::vector<std::string>{"update_mask", "update_mask"}));
  EXPECT_EQ(to.SerializeAsString(), before.SerializeAsString());  // nothing copied
  FieldViolations empty;
  ApplyUpdateMask(empty, google::protobuf::FieldMask(), {"subject"}, from, &to);
  EXPECT_FALSE(empty.empty());
}

TEST(CallWithRetry, RetriesOnlyTransientFailuresWithGrowingBackoff) {
  RetryPolicy policy;
  policy.max_attempts = 4;
  std::vector<absl::Duration> waits;
  bool keep_waiting = true;
  int calls = 0;
  // Runs CallWithRetry on an attempt that fails with `fail` until the
  // `succeed_on`-th call (0 = never); returns the final status.
  auto run = [&](absl::Status fail, int succeed_on = 0) {
    calls = 0;
    waits.clear();
    return CallWithRetry(
        policy,
        [&](std::chrono::system_clock::time_point) {
          return ++calls == succeed_on ? absl::OkStatus() : fail;
        },
        [&](absl::Duration d) {
          waits.push_back(d);
          return keep_waiting;
        });
  };
  EXPECT_TRUE(run(absl::UnavailableError("down"), 3).ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(waits, (std::vector<absl::Duration>{absl::Milliseconds(50), absl::Milliseconds(100)}));
  EXPECT_EQ(run(absl::InvalidArgumentError("bad")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 1);  // a refusal is final
  EXPECT_EQ(run(absl::DeadlineExceededError("slow")).code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(calls, 4);                     // attempts ran out
  policy.retry_deadline_exceeded = false;  // inside a request: a slow callee is not retried
  EXPECT_EQ(run(absl::DeadlineExceededError("slow")).code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(calls, 1);
  keep_waiting = false;  // shutting down
  EXPECT_EQ(run(absl::ResourceExhaustedError("busy")).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(calls, 1);
}

TEST(Names, ParsesAndRejects) {
  auto ids = ParseName("name", "tenants/t1/engagements/e-1", {"tenants", "engagements"});
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ((*ids)[1], "e-1");
  for (const char* bad :
       {"", "tenants/t1", "tenants/t1/engagements/", "tenants/T1/engagements/e",
        "tenants/t1/clients/e", "tenants/t1/engagements/e/x", "tenants/t1/engagements/-e"}) {
    EXPECT_FALSE(ParseName("name", bad, {"tenants", "engagements"}).ok()) << bad;
  }
}

TEST(RequestId, MustBeUuid) {
  FieldViolations ok;
  CheckRequestId(ok, "");
  CheckRequestId(ok, "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_TRUE(ok.empty());
  FieldViolations bad;
  CheckRequestId(bad, "123e4567e89b12d3a456426614174000");
  EXPECT_FALSE(bad.empty());
}

TEST(Dates, RejectImpossibleDays) {
  google::type::Date d;
  d.set_year(2027);
  d.set_month(2);
  d.set_day(29);
  EXPECT_FALSE(ToCivilDay(d).has_value());
  d.set_year(2028);
  EXPECT_TRUE(ToCivilDay(d).has_value());
  FieldViolations v;
  CheckDate(v, "x", google::type::Date(), /*required=*/true);
  EXPECT_FALSE(v.empty());
}

TEST(GrpcStatus, CarriesErrorInfoAndBadRequest) {
  absl::Status s = InvalidArgument("engagement.client", "required");
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  absl::Status back = FromGrpcStatus(g);
  EXPECT_EQ(ErrorReason(back), "INVALID_ARGUMENT");
  EXPECT_EQ(ViolatedFields(back), std::vector<std::string>{"engagement.client"});
  // A plain status still gets an ErrorInfo; internal details are not leaked.
  grpc::Status internal = ToGrpcStatus(absl::InternalError("redis key eng:{t:x} broke"));
  EXPECT_EQ(internal.error_message(), "internal error");
  EXPECT_EQ(ErrorReason(FromGrpcStatus(internal)), "INTERNAL");
}

TEST(Fingerprint, DependsOnTypeAndContent) {
  Principal a = Admin();
  Principal b = Admin();
  EXPECT_EQ(Fingerprint(a), Fingerprint(b));
  b.set_subject("bob");
  EXPECT_NE(Fingerprint(a), Fingerprint(b));
  certpath::common::v1::PageCursor c;
  EXPECT_NE(Fingerprint(c), Fingerprint(Principal()));
}

TEST(UpdateMask, RequiredAndLimitedToUpdatablePaths) {
  google::protobuf::FieldMask mask;
  FieldViolations empty;
  CheckUpdateMask(empty, mask, {"a", "b"});
  EXPECT_EQ(ViolatedFields(empty.ToStatus()), std::vector<std::string>{"update_mask"});
  mask.add_paths("b");
  FieldViolations ok;
  CheckUpdateMask(ok, mask, {"a", "b"});
  EXPECT_TRUE(ok.empty());
  mask.add_paths("etag");
  FieldViolations bad;
  CheckUpdateMask(bad, mask, {"a", "b"});
  EXPECT_NE(bad.ToStatus().message().find("cannot update etag"), absl::string_view::npos);
}

TEST(RetryOnConflict, RetriesOnlyConcurrentChangesAndOnlyAFewTimes) {
  int calls = 0;
  auto flaky = [&] { return ++calls < 3 ? EtagMismatch() : absl::OkStatus(); };
  EXPECT_TRUE(RetryOnConflict(false, flaky).ok());
  EXPECT_EQ(calls, 3);
  calls = 0;
  EXPECT_EQ(RetryOnConflict(/*caller_pinned_etag=*/true, flaky).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(calls, 1);
  calls = 0;
  auto always = [&] {
    ++calls;
    return EtagMismatch();
  };
  EXPECT_EQ(RetryOnConflict(false, always).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(calls, kMaxConflictAttempts);
  calls = 0;
  auto other = [&] {
    ++calls;
    return absl::NotFoundError("x");
  };
  EXPECT_EQ(RetryOnConflict(false, other).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(calls, 1);
}

// A refusal names who may: every combination of roles the tables use.
TEST(Policy, PermissionDeniedNamesWhoMay) {
  EXPECT_EQ(RolesText(kAdminRoles), "office admins");
  EXPECT_EQ(RolesText(kOfficeRoles), "office staff");
  EXPECT_EQ(RolesText(kOfficeRoles | kPartnerRole), "office staff and partners");
  EXPECT_EQ(RolesText(kAnyRole), "office staff, partners and clients");
  EXPECT_EQ(RolesText(kConsultantRole | kClientRole), "consultants and clients");
  EXPECT_EQ(RolesText(kServiceRole), "the office's own services");
  Policy policy("test", {{"ApproveThing", Scope::kObject, kOfficeRoles | kPartnerRole, "thing"}});
  absl::Status s =
      policy.Allow(testing::MakePrincipal(Principal::ROLE_CLIENT, "c@client"), "ApproveThing");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "ApproveThing on a thing is for office staff and partners");
}

}  // namespace
}  // namespace certpath
