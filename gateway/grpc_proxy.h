#pragma once
// gRPC pass-through on the gateway's gRPC port: any certpath method that the
// gateway does not serve itself goes to the service that owns it, after the
// same authentication and rate limits as HTTP (metadata `authorization:
// Bearer <principal token | cpk_…>`), with a fresh principal token; a
// client's own x-certpath-principal is never forwarded. Unary methods (all of
// certpath's).

#include <map>
#include <memory>
#include <string>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>

#include "absl/time/time.h"
#include "gateway/edge_auth.h"
#include "gateway/file_budget.h"
#include "services/common/executor.h"
#include "services/common/principal.h"

namespace certpath::gateway {

class GrpcProxy final : public grpc::CallbackGenericService {
 public:
  // upstreams: full service name → target.
  // Answers up to `max_answer_bytes` come back (downloads as large as HTTP's).
  // Requests are as large as the host's gRPC limit (1 MiB): files go over
  // HTTP, where an upload is admitted before its body is read.
  // `files` (may be null): the gateway's budget of files in flight, which a
  // file download (certpath.common.v1.file_download) holds as HTTP's do:
  // `max_file` bytes while its call is under way, then its own size until it
  // is sent.
  GrpcProxy(const std::map<std::string, std::string>& upstreams, const PrincipalSigner& signer,
            const Clock& clock, EdgeAuth& auth, absl::Duration deadline = absl::Seconds(30),
            int max_answer_bytes = 4 << 20, FileBudget* files = nullptr, size_t max_file = 0);
  ~GrpcProxy();
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override;

  // Internal, for the call reactor.
  grpc::GenericStub* StubFor(const std::string& service);
  const PrincipalSigner& signer() const { return signer_; }
  const Clock& clock() const { return clock_; }
  EdgeAuth& auth() { return auth_; }
  absl::Duration deadline() const { return deadline_; }
  FileBudget* files() const { return files_; }
  size_t max_file() const { return max_file_; }
  // Admission reads Redis: never on gRPC's reaction threads.
  Executor& pool() { return pool_; }

 private:
  std::map<std::string, std::unique_ptr<grpc::GenericStub>> stubs_;
  const PrincipalSigner& signer_;
  const Clock& clock_;
  EdgeAuth& auth_;
  absl::Duration deadline_;
  FileBudget* const files_;
  const size_t max_file_;
  Executor pool_{2, 4096};
};

}  // namespace certpath::gateway
