#pragma once
// The gRPC edge: absl::Status → grpc::Status with google.rpc.Status details,
// and the principal taken from call metadata.

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/principal.h"

namespace certpath {

// INTERNAL and UNKNOWN messages are replaced by a generic text (logged instead).
grpc::Status ToGrpcStatus(const absl::Status& status);
// The inverse, for callers of other services and for tests.
absl::Status FromGrpcStatus(const grpc::Status& status);

absl::StatusOr<Principal> PrincipalFromContext(const grpc::ServerContextBase& ctx,
                                               const PrincipalSigner& signer, const Clock& clock);

}  // namespace certpath
