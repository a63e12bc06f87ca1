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

template <typename Req, typename Resp>
absl::Status EngagementsClient::Call(
    const Principal& p,
    grpc::Status (engagements::v1::EngagementService::Stub::*method)(grpc::ClientContext*,
                                                                     const Req&, Resp*),
    const Req& req, Resp* resp, absl::string_view what) {
  absl::Status s =
      CallWithRetry(RetryPolicy{}, [&](std::chrono::system_clock::time_point deadline) {
        grpc::ClientContext ctx;
        ctx.set_deadline(deadline);
        ctx.AddMetadata(kPrincipalMetadataKey, signer_.Sign(p, clock_.Now(), absl::Minutes(1)));
        return FromGrpcStatus(((*stub_).*method)(&ctx, req, resp));
      });
  if (s.ok()) return s;
  // Not there, not a name, or not this caller's: to the caller, it does not exist.
  if (s.code() == absl::StatusCode::kNotFound || s.code() == absl::StatusCode::kInvalidArgument ||
      s.code() == absl::StatusCode::kPermissionDenied) {
    return NotFound(what);
  }
  return Unavailable("engagements service: " + std::string(s.message()));
}

absl::StatusOr<engagements::v1::Engagement> EngagementsClient::Get(const Principal& p,
                                                                   const std::string& name) {
  engagements::v1::GetEngagementRequest req;
  req.set_name(name);
  engagements::v1::Engagement e;
  if (auto s =
          Call(p, &engagements::v1::EngagementService::Stub::GetEngagement, req, &e, "engagement");
      !s.ok())
    return s;
  return e;
}

absl::StatusOr<engagements::v1::Client> EngagementsClient::GetClient(const Principal& p,
                                                                     const std::string& name) {
  engagements::v1::GetClientRequest req;
  req.set_name(name);
  engagements::v1::Client c;
  if (auto s = Call(p, &engagements::v1::EngagementService::Stub::GetClient, req, &c, "client");
      !s.ok())
    return s;
  return c;
}

}  // namespace certpath
