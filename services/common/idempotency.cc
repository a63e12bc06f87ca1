#include "services/common/idempotency.h"

#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"

namespace certpath {

std::string IdempotencyKey(absl::string_view prefix, const Principal& p,
                           absl::string_view request_id) {
  std::string scope = "svc";
  if (p.role() != Principal::ROLE_SERVICE) {
    // A digest, not the subject itself: keys show up in Redis tooling.
    std::string who = absl::StrCat(static_cast<int>(p.role()), "\n", p.subject(), "\n",
                                   p.organization(), "\n", p.tenant());
    scope = HexEncode(Sha256(who).substr(0, 12));
  }
  return absl::StrCat(prefix, "idem:", scope, ":", request_id);
}

}  // namespace certpath
