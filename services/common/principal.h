#pragma once
// Principal tokens: "v1.<base64url(Principal proto)>.<base64url(HMAC-SHA-256)>",
// signed with the key every service shares. The gateway mints them from API
// keys; certpath-admin, tests and the local runner mint them with the same code.

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "certpath/common/v1/common.pb.h"

namespace certpath {

using Principal = certpath::common::v1::Principal;

inline constexpr char kPrincipalMetadataKey[] = "x-certpath-principal";
// Keys shorter than this are refused: HMAC-SHA-256 wants ≥ 256 bits.
inline constexpr size_t kMinSigningKeyBytes = 32;

class PrincipalSigner {
 public:
  explicit PrincipalSigner(std::string key) : key_(std::move(key)) {}

  // Sets expire_unix = now + ttl and signs.
  std::string Sign(Principal principal, absl::Time now, absl::Duration ttl) const;
  // UNAUTHENTICATED when malformed, forged or expired.
  absl::StatusOr<Principal> Verify(absl::string_view token, absl::Time now) const;

 private:
  std::string key_;
};

// Loads the signing key: `key` itself, or the contents of `file` when set.
absl::StatusOr<std::string> LoadSigningKey(const std::string& key, const std::string& file);

}  // namespace certpath
