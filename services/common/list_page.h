#pragma once
// The List sequence every List RPC shares (AIP-158): page size (default 50,
// at most 500), a fingerprint of the query that binds the signed page token to
// its filters, the cursor from the token, the store's page, and the response
// with its next token.

#include <functional>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/page_token.h"
#include "services/common/record_store.h"

namespace certpath {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

// Parses a record's data into `out`.
template <typename T>
absl::Status DecodeRecord(const Record& r, T* out) {
  if (!out->ParseFromString(r.data)) return absl::InternalError("corrupt record");
  return absl::OkStatus();
}

// Parses a record's data and sets the resource's etag from the record's version.
template <typename T>
absl::Status DecodeWithEtag(const Record& r, T* out) {
  if (auto s = DecodeRecord(r, out); !s.ok()) return s;
  out->set_etag(std::to_string(r.version));
  return absl::OkStatus();
}

// One page of a list. `query` names the request's filters (the token is only
// good for the same ones); `fetch` reads the page after the cursor; each
// record is decoded into a new item of `out` by `decode`.
template <typename Resp, typename Item>
absl::Status ListPaged(
    const PageTokenCodec& tokens, int32_t page_size, const std::string& page_token,
    std::initializer_list<absl::string_view> query,
    const std::function<absl::StatusOr<ListPage>(int64_t after, int limit)>& fetch, Resp* out,
    Item* (Resp::*add)(), const std::function<absl::Status(const Record&, Item*)>& decode) {
  auto size = ResolvePageSize(page_size, kDefaultPageSize, kMaxPageSize);
  if (!size.ok()) return size.status();
  uint64_t fingerprint = QueryFingerprint(query);
  auto after = tokens.DecodeOrStart(page_token, fingerprint);
  if (!after.ok()) return after.status();
  auto page = fetch(*after, *size);
  if (!page.ok()) return page.status();
  for (const Record& r : page->records) {
    if (auto s = decode(r, (out->*add)()); !s.ok()) return s;
  }
  if (page->more) out->set_next_page_token(tokens.Encode(page->last, fingerprint));
  return absl::OkStatus();
}

}  // namespace certpath
