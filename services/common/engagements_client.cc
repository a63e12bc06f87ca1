#include "services/common/engagements_client.h"

#include <grpcpp/grpcpp.h>

#include "services/common/client_retry.h"
#include "services/common/grpc_util.h"
#include "services/common/status.h"

namespace certpath {

EngagementsClient::EngagementsClient(const std::string& target, const PrincipalSigner& signer,
                                     const Clock& clock)
    : stub_(engagements::v1::EngagementService::NewStub(
          grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
      signer_(signer),
      clock_(clock) {}

absl::StatusOr<engagements::v1::Engagement> EngagementsClient::Get(const Principal& p,
                                                                   const std::string& name) {
  engagements::v1::GetEngagementRequest req;
  req.set_name(name);
  engagements::v1::Engagement e;
  absl::Status s =
      CallWithRetry(RetryPolicy{}, [&](std::chrono::system_clock::time_point deadline) {
        grpc::ClientContext ctx;
        ctx.set_deadline(deadline);
        ctx.AddMetadata(kPrincipalMetadataKey, signer_.Sign(p, clock_.Now(), absl::Minutes(1)));
        return FromGrpcStatus(stub_->GetEngagement(&ctx, req, &e));
      });
  if (s.ok()) return e;
  if (s.code() == absl::StatusCode::kNotFound || s.code() == absl::StatusCode::kInvalidArgument ||
      s.code() == absl::StatusCode::kPermissionDenied) {
    return NotFound("engagement");
  }
  return Unavailable("engagements service: " + std::string(s.message()));
}

}  // namespace certpath
