#include "gateway/edge_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gateway/api_keys.h"
#include "services/common/crypto.h"
#include "services/common/status.h"

namespace certpath::gateway {

bool EdgeAuth::Meter(const std::string& bucket, bool is_ip, Admission& a) {
  if (limiter_ == nullptr) return true;
  auto t = limiter_->TakeOne(bucket, is_ip, clock_.Now());
  if (!t.ok()) return true;  // limits protect; a Redis hiccup does not refuse calls
  a.metered = true;
  a.take = *t;
  a.limit = limiter_->limit(is_ip);
  return t->allowed;
}

EdgeAuth::Credential EdgeAuth::Parse(absl::string_view authorization) {
  Credential c;
  c.value = authorization;
  c.bearer = c.value.size() > 7 && absl::EqualsIgnoreCase(c.value.substr(0, 7), "bearer ");
  if (c.bearer) c.value.remove_prefix(7);
  c.is_key = c.bearer && absl::StartsWith(c.value, "cpk_");
  return c;
}

std::string EdgeAuth::BucketOf(const Credential& c, const Principal& p) {
  return c.is_key ? "key:" + HexEncode(Sha256(c.value)).substr(0, 32)
                  : "sub:" + p.tenant() + "/" + p.subject();
}

std::optional<Admission> EdgeAuth::AdmitLocally(absl::string_view authorization) {
  Credential c = Parse(authorization);
  if (!c.bearer || c.value.empty()) return std::nullopt;
  absl::StatusOr<Principal> p = Unauthenticated("");
  if (c.is_key) {
    if (keys_ == nullptr) return std::nullopt;
    auto cached = keys_->ResolveCached(std::string(c.value));
    if (!cached) return std::nullopt;
    p = *std::move(cached);
  } else {
    p = signer_.Verify(c.value, clock_.Now());
  }
  if (!p.ok() || p->role() == Principal::ROLE_SERVICE) return std::nullopt;
  Admission a;
  if (limiter_ != nullptr) {
    auto take = limiter_->TakeLeased(BucketOf(c, *p), clock_.Now());
    if (!take) return std::nullopt;
    a.metered = true;
    a.take = *take;
    a.limit = limiter_->limit(false);
  }
  a.principal = *std::move(p);
  return a;
}

Admission EdgeAuth::AdmitAnonymous(const std::string& peer_address) {
  Admission a;
  a.principal = Principal();
  if (!Meter("ip:" + peer_address, /*is_ip=*/true, a)) {
    a.principal = Error(absl::StatusCode::kResourceExhausted, "RATE_LIMITED",
                        "too many requests; retry after the Retry-After seconds");
  }
  return a;
}

Admission EdgeAuth::Admit(absl::string_view authorization, const std::string& peer_address) {
  Admission a;
  const absl::Status denied = Unauthenticated("missing or invalid credentials");
  const absl::Status limited = Error(absl::StatusCode::kResourceExhausted, "RATE_LIMITED",
                                     "too many requests; retry after the Retry-After seconds");
  Credential c = Parse(authorization);
  absl::StatusOr<Principal> p = denied;
  if (c.bearer && !c.value.empty()) {
    p = c.is_key ? (keys_ ? keys_->Resolve(std::string(c.value)) : denied)
                 : signer_.Verify(c.value, clock_.Now());
  }
  if (!p.ok()) {
    if (p.status().code() == absl::StatusCode::kUnavailable) {
      a.principal = p.status();
      return a;
    }
    // Guessing credentials costs the guesser's address its bucket.
    a.principal = Meter("ip:" + peer_address, /*is_ip=*/true, a) ? denied : limited;
    return a;
  }
  // Services talk to each other inside the cluster, never through the front door.
  if (p->role() == Principal::ROLE_SERVICE) {
    a.principal = denied;
    return a;
  }
  if (!Meter(BucketOf(c, *p), /*is_ip=*/false, a)) {
    a.principal = limited;
    return a;
  }
  a.principal = *std::move(p);
  return a;
}

}  // namespace certpath::gateway
