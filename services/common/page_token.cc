#include "services/common/page_token.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "certpath/common/v1/common.pb.h"
#include "services/common/crypto.h"
#include "services/common/status.h"

namespace certpath {
namespace {
constexpr size_t kMacBytes = 16;  // truncated HMAC-SHA-256: 128-bit forgery resistance
}

PageTokenCodec::PageTokenCodec(absl::string_view key)
    : key_(HmacSha256(key, "certpath/page-token")) {}

std::string PageTokenCodec::Encode(int64_t after, uint64_t query_fingerprint) const {
  certpath::common::v1::PageCursor cursor;
  cursor.set_after(after);
  cursor.set_query_fingerprint(query_fingerprint);
  std::string body = cursor.SerializeAsString();
  return Base64UrlEncode(body + HmacSha256(key_, body).substr(0, kMacBytes));
}

absl::StatusOr<int64_t> PageTokenCodec::Decode(absl::string_view token,
                                               uint64_t query_fingerprint) const {
  auto raw = Base64UrlDecode(token);
  if (!raw || raw->size() <= kMacBytes) return InvalidArgument("page_token", "malformed");
  absl::string_view body(raw->data(), raw->size() - kMacBytes);
  absl::string_view mac(raw->data() + body.size(), kMacBytes);
  if (!SecureEquals(mac, HmacSha256(key_, body).substr(0, kMacBytes))) {
    return InvalidArgument("page_token", "not issued by this service");
  }
  certpath::common::v1::PageCursor cursor;
  if (!cursor.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return InvalidArgument("page_token", "malformed");
  }
  if (cursor.query_fingerprint() != query_fingerprint) {
    return InvalidArgument("page_token", "belongs to a different query; keep the same filters");
  }
  return cursor.after();
}

uint64_t QueryFingerprint(std::initializer_list<absl::string_view> parts) {
  std::string joined;
  for (auto p : parts) absl::StrAppend(&joined, p.size(), ":", p, ";");
  std::string digest = Sha256(joined);
  uint64_t v = 0;
  std::memcpy(&v, digest.data(), sizeof v);
  return v;
}

absl::StatusOr<int> ResolvePageSize(int32_t requested, int default_size, int max_size) {
  if (requested < 0) return InvalidArgument("page_size", "must not be negative");
  if (requested == 0) return default_size;
  return requested > max_size ? max_size : static_cast<int>(requested);
}

}  // namespace certpath
