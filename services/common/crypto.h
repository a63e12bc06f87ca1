#pragma once
// Small wrappers over OpenSSL: digests, HMAC, base64url, random ids.

#include <string>
#include "absl/strings/string_view.h"

#include "absl/types/optional.h"

namespace certpath {

std::string Sha256(absl::string_view data);
std::string HmacSha256(absl::string_view key, absl::string_view data);
// Constant-time comparison for secrets and signatures.
bool SecureEquals(absl::string_view a, absl::string_view b);

std::string Base64UrlEncode(absl::string_view data);  // no padding
absl::optional<std::string> Base64UrlDecode(absl::string_view text);

std::string HexEncode(absl::string_view data);
// `bytes` random bytes from the OS CSPRNG, hex encoded.
std::string RandomHex(int bytes);
// `bytes` random bytes from the OS's CSPRNG.
std::string RandomBytes(int bytes);
// A random (version 4) UUID, lower-case 8-4-4-4-12: what request_id fields take.
std::string RandomUuid();

}  // namespace certpath
