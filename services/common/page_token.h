#pragma once
// Opaque, tamper-proof page tokens and page-size rules (AIP-158).

#include <cstdint>
#include <initializer_list>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace certpath {

class PageTokenCodec {
 public:
  // `key` is the service's signing key; tokens use a key derived for this purpose only.
  explicit PageTokenCodec(absl::string_view key);

  std::string Encode(int64_t after, uint64_t query_fingerprint) const;
  // INVALID_ARGUMENT (field page_token) when forged, malformed or for another query.
  absl::StatusOr<int64_t> Decode(absl::string_view token, uint64_t query_fingerprint) const;
  // As Decode, but an empty token is the start of the list (cursor 0).
  absl::StatusOr<int64_t> DecodeOrStart(absl::string_view token, uint64_t query_fingerprint) const {
    if (token.empty()) return 0;
    return Decode(token, query_fingerprint);
  }

 private:
  std::string key_;
};

// Fingerprint of the parts of a list request that a token must not outlive.
uint64_t QueryFingerprint(std::initializer_list<absl::string_view> parts);

// 0 → default, above max → max, negative → INVALID_ARGUMENT (field page_size).
absl::StatusOr<int> ResolvePageSize(int32_t requested, int default_size, int max_size);

}  // namespace certpath
