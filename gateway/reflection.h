#pragma once
// gRPC server reflection (grpc.reflection.v1) for the gateway's gRPC port:
// the services behind the gateway are not registered on its server (the
// pass-through serves them), so the stock reflection (v1alpha, from
// libgrpc++_reflection) lists only the gateway's own. This one lists every
// service a caller can reach here and describes them from the compiled-in
// descriptors — the same ones the gateway routes and transcodes with.

#include <memory>
#include <string>
#include <vector>

#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace certpath::gateway {

class Reflection final : public grpc::reflection::v1::ServerReflection::CallbackService {
 public:
  // `services`: full names, listed in this order.
  explicit Reflection(std::vector<std::string> services) : services_(std::move(services)) {}

  grpc::ServerBidiReactor<grpc::reflection::v1::ServerReflectionRequest,
                          grpc::reflection::v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* ctx) override;

  // One answer (pure; unit-tested).
  grpc::reflection::v1::ServerReflectionResponse Answer(
      const grpc::reflection::v1::ServerReflectionRequest& req) const;

 private:
  std::vector<std::string> services_;
};

}  // namespace certpath::gateway
