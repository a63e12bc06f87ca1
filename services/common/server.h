#pragma once
// Server bootstrap every service shares: callback API, grpc.health.v1,
// reflection, the metrics interceptor, a worker pool for handlers, and a
// graceful stop (SIGTERM → NOT_SERVING → Shutdown(deadline) → exit 0).

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/common/grpc_util.h"
#include "services/common/metrics.h"
#include "services/common/principal.h"

namespace certpath {

struct ServerOptions {
  std::string listen = "127.0.0.1:0";
  int workers = 8;
  size_t max_queue = 1024;
  absl::Duration drain = absl::Seconds(10);
  // Largest request accepted (bytes).
  int max_receive_bytes = 1 << 20;
};

class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       const std::vector<grpc::Service*>& services,
                                                       Metrics& metrics);
  ~Server();

  int port() const { return port_; }
  // Health of "" and of every registered service.
  void SetServing(bool serving);
  // NOT_SERVING, then drains in-flight calls up to the deadline, then stops.
  void Shutdown(absl::Duration drain);

 private:
  Server() = default;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

// Call first in main(), before any thread starts: later threads inherit the mask
// so only WaitForTerminationSignal() sees SIGTERM/SIGINT.
void BlockTerminationSignals();
// Blocks until SIGTERM or SIGINT; returns the signal number.
int WaitForTerminationSignal();

// Runs unary handlers on the executor, after verifying the caller's principal.
// The handler returns absl::Status; the reactor finishes with its gRPC form.
class Dispatcher {
 public:
  Dispatcher(Executor& executor, const PrincipalSigner& signer, const Clock& clock)
      : executor_(executor), signer_(signer), clock_(clock) {}

  using Handler = std::function<absl::Status(const Principal&)>;
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, Handler handler);

 private:
  Executor& executor_;
  const PrincipalSigner& signer_;
  const Clock& clock_;
};

// One unary RPC of a generated CallbackService, run through `dispatcher_`
// into `svc_.Method(principal, request, response)`. For use inside the class.
#define CERTPATH_UNARY_RPC(Method, Req, Resp)                                                    \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const Req* req, Resp* resp) \
      override {                                                                                 \
    return dispatcher_.Run(ctx, [this, req, resp](const ::certpath::Principal& p) {              \
      return svc_.Method(p, *req, resp);                                                         \
    });                                                                                          \
  }

}  // namespace certpath
