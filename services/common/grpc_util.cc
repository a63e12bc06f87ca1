#include "services/common/grpc_util.h"

#include "google/rpc/status.pb.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/status.h"

namespace certpath {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(status.code()));
  std::string message(status.message());
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown) {
    log::Error("internal error", {{"error", message}});
    message = "internal error";
  }
  rpc.set_message(message);
  bool has_info = false;
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
    auto* any = rpc.add_details();
    any->set_type_url(std::string(url));
    any->set_value(std::string(value));
    has_info = has_info || url == kErrorInfoUrl;
  });
  if (!has_info) {
    absl::Status with_info =
        Error(status.code(), GrpcCodeName(static_cast<int>(status.code())), "");
    auto* any = rpc.add_details();
    any->set_type_url(kErrorInfoUrl);
    any->set_value(std::string(*with_info.GetPayload(kErrorInfoUrl)));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message,
                      rpc.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status rpc;
  if (!status.error_details().empty() && rpc.ParseFromString(status.error_details())) {
    for (const auto& any : rpc.details()) out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

absl::StatusOr<Principal> PrincipalFromContext(const grpc::ServerContextBase& ctx,
                                               const PrincipalSigner& signer, const Clock& clock) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(kPrincipalMetadataKey);
  if (it == md.end()) return Unauthenticated("missing " + std::string(kPrincipalMetadataKey));
  return signer.Verify(absl::string_view(it->second.data(), it->second.size()), clock.Now());
}

}  // namespace certpath
