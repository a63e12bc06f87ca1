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

Admission EdgeAuth::Admit(absl::string_view authorization, const std::string& peer_address) {
  Admission a;
  const absl::Status denied = Unauthenticated("missing or invalid credentials");
  const absl::Status limited = Error(absl::StatusCode::kResourceExhausted, "RATE_LIMITED",
                                     "too many requests; retry after the Retry-After seconds");
  absl::string_view cred = authorization;
  bool bearer = cred.size() > 7 && absl::EqualsIgnoreCase(cred.substr(0, 7), "bearer ");
  if (bearer) cred.remove_prefix(7);
  bool is_key = bearer && absl::StartsWith(cred, "cpk_");
  absl::StatusOr<Principal> p = denied;
  if (bearer && !cred.empty()) {
    p = is_key ? (keys_ ? keys_->Resolve(std::string(cred)) : denied)
               : signer_.Verify(cred, clock_.Now());
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
  std::string bucket = is_key ? "key:" + HexEncode(Sha256(cred)).substr(0, 32)
                              : "sub:" + p->tenant() + "/" + p->subject();
  if (!Meter(bucket, /*is_ip=*/false, a)) {
    a.principal = limited;
    return a;
  }
  a.principal = *std::move(p);
  return a;
}

}  // namespace certpath::gateway
