#pragma once
// The engagements service as other services ask it: an engagement as the
// caller sees it (the caller's own principal, so its access rules apply).
// Used by billing (partner/client visibility) and documents (visibility,
// support period, the engagement's consultants).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "certpath/engagements/v1/engagements.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/principal.h"

namespace certpath {

class EngagementsClient {
 public:
  EngagementsClient(const std::string& target, const PrincipalSigner& signer, const Clock& clock);
  // NOT_FOUND when it does not exist or `p` may not see it (whatever
  // engagements answered: not there, not a name, not this caller's);
  // UNAVAILABLE when the engagements service cannot tell.
  absl::StatusOr<engagements::v1::Engagement> Get(const Principal& p, const std::string& name);
  // A client company (tenants/T/clients/C), on the same terms.
  absl::StatusOr<engagements::v1::Client> GetClient(const Principal& p, const std::string& name);

 private:
  template <typename Req, typename Resp>
  absl::Status Call(const Principal& p,
                    grpc::Status (engagements::v1::EngagementService::Stub::*method)(
                        grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp, absl::string_view what);
  std::unique_ptr<engagements::v1::EngagementService::Stub> stub_;
  const PrincipalSigner& signer_;
  const Clock& clock_;
};

}  // namespace certpath
