#pragma once
// Turning a ListPage of records into a List response: decode each record,
// then the signed next_page_token when more may follow.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "services/common/page_token.h"
#include "services/common/record_store.h"

namespace certpath {

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

template <typename Resp, typename Item>
absl::Status FillPage(const ListPage& page, const PageTokenCodec& tokens, uint64_t fingerprint,
                      Resp* out, Item* (Resp::*add)(),
                      const std::function<absl::Status(const Record&, Item*)>& decode) {
  for (const Record& r : page.records) {
    if (auto s = decode(r, (out->*add)()); !s.ok()) return s;
  }
  if (page.more) out->set_next_page_token(tokens.Encode(page.last, fingerprint));
  return absl::OkStatus();
}

}  // namespace certpath
