#pragma once
// Who is calling, at the edge, the same for HTTP and gRPC: the
// Authorization value ("Bearer <principal token>" or "Bearer cpk_…") checked,
// and the rate limit of the caller taken (per API key; per address when the
// credentials do not check out). Failures never tell whether a key exists.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/rate_limit.h"
#include "services/common/clock.h"
#include "services/common/principal.h"

namespace certpath::gateway {

class ApiKeyResolver;

struct Admission {
  // The caller, or UNAUTHENTICATED, RESOURCE_EXHAUSTED (rate-limited) or UNAVAILABLE.
  absl::StatusOr<Principal> principal;
  bool metered = false;  // a bucket was taken from: `take` and `limit` are set
  Take take;
  RateLimit limit;
};

class EdgeAuth {
 public:
  EdgeAuth(const PrincipalSigner& signer, const Clock& clock, ApiKeyResolver* keys,
           RateLimiter* limiter)
      : signer_(signer), clock_(clock), keys_(keys), limiter_(limiter) {}
  Admission Admit(absl::string_view authorization, const std::string& peer_address);
  // The same answer when it needs no I/O — a principal token, or a cached API
  // key, with a token of this replica's lease — else nullopt (call Admit, off
  // the I/O threads). Failures always go through Admit (metered per address).
  std::optional<Admission> AdmitLocally(absl::string_view authorization);
  // A route whose request carries its own credential: an anonymous principal,
  // the caller's address metered (RESOURCE_EXHAUSTED when its bucket is empty).
  Admission AdmitAnonymous(const std::string& peer_address);

 private:
  struct Credential {
    bool bearer = false, is_key = false;
    absl::string_view value;
  };
  static Credential Parse(absl::string_view authorization);
  // The bucket a caller's calls are counted in.
  static std::string BucketOf(const Credential& c, const Principal& p);
  // False when the bucket is empty (the answer is then RESOURCE_EXHAUSTED).
  bool Meter(const std::string& bucket, bool is_ip, Admission& a);

  const PrincipalSigner& signer_;
  const Clock& clock_;
  ApiKeyResolver* keys_;
  RateLimiter* limiter_;
};

}  // namespace certpath::gateway
