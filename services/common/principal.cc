#include "services/common/principal.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/status.h"

namespace certpath {
namespace {
constexpr absl::string_view kVersion = "v1.";
}

std::string PrincipalSigner::Sign(Principal principal, absl::Time now, absl::Duration ttl) const {
  principal.set_expire_unix(absl::ToUnixSeconds(now + ttl));
  std::string body = absl::StrCat(kVersion, Base64UrlEncode(principal.SerializeAsString()));
  return absl::StrCat(body, ".", Base64UrlEncode(HmacSha256(key_, body)));
}

absl::StatusOr<Principal> PrincipalSigner::Verify(absl::string_view token, absl::Time now) const {
  if (token.substr(0, kVersion.size()) != kVersion) return Unauthenticated("malformed token");
  auto dot = token.rfind('.');
  if (dot <= kVersion.size()) return Unauthenticated("malformed token");
  absl::string_view body = token.substr(0, dot);
  auto sig = Base64UrlDecode(token.substr(dot + 1));
  if (!sig || !SecureEquals(*sig, HmacSha256(key_, body))) {
    return Unauthenticated("token signature does not verify");
  }
  auto payload = Base64UrlDecode(body.substr(kVersion.size()));
  Principal p;
  if (!payload || !p.ParseFromString(*payload)) return Unauthenticated("malformed token");
  if (absl::FromUnixSeconds(p.expire_unix()) <= now) return Unauthenticated("token expired");
  if (p.tenant().empty() || p.subject().empty() || p.role() == Principal::ROLE_UNSPECIFIED) {
    return Unauthenticated("token lacks tenant, subject or role");
  }
  return p;
}

absl::StatusOr<std::string> LoadSigningKey(const std::string& key, const std::string& file) {
  std::string value = key;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return absl::NotFoundError("cannot read signing key file " + file);
    std::stringstream ss;
    ss << in.rdbuf();
    value = std::string(absl::StripAsciiWhitespace(ss.str()));
  }
  if (value.size() < kMinSigningKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing key must be at least ", kMinSigningKeyBytes, " bytes"));
  }
  return value;
}

}  // namespace certpath
