#pragma once
// Server bootstrap every service shares: callback API, grpc.health.v1,
// reflection, the metrics interceptor, a worker pool for handlers, and a
// graceful stop (SIGTERM → NOT_SERVING → Shutdown(deadline) → exit 0).

#include <grpcpp/generic/async_generic_service.h>
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
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/principal.h"

namespace certpath {

// The grpc.health.v1 service name of the liveness check (always SERVING while
// the process runs); "" and each API service report readiness (Redis
// reachable and durable).
inline constexpr char kLivenessService[] = "certpath.liveness";

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
  // `generic`: answers every method no service registers (the gateway's
  // pass-through), or null.
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      const ServerOptions& options, const std::vector<grpc::Service*>& services, Metrics& metrics,
      grpc::CallbackGenericService* generic = nullptr);
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

// Call first in main(): buffers of large messages (files up to 16 MiB) come
// from the heap and go back to it. glibc's default maps each buffer over
// 128 KiB-1 MiB afresh and unmaps it on free, so every page of every copy of a
// file page-faults: a 1 MiB request cost ~2.4 ms on loopback instead of
// ~0.9 ms (tests/bench/documents_bench.cc). Free memory at the top of each
// of glibc's heaps (arenas) beyond 32 MiB still goes back to the system;
// glibc's own adjustment reached about the same after a 16 MiB file anyway.
void KeepLargeBuffersInHeap();
// Gives the system back the heap's free memory when there is much of it (over
// 32 MiB): kept in the heap, the buffers of a burst of large messages stayed
// resident after it (documents: ~400 MB after 24 uploads of 16 MiB at once,
// however idle it was then). Cheap when there is little to give back; the
// service host calls it every couple of seconds.
void ReturnFreeMemory();

// Runs unary handlers on the executor, after verifying the caller's principal,
// and logs the call as one JSON line: every failed call (warn; error for
// INTERNAL, UNKNOWN, DATA_LOSS) and every write (info); reads at debug, or at
// info for one in `read_sample_every` successful reads (0 = none). The line
// holds method, code, reason, tenant, subject, request id, trace id and
// latency — never a token or the request's content. A call whose caller has
// gone (cancelled, or past its deadline) while it waited in the queue is
// dropped without running.
class Dispatcher {
 public:
  Dispatcher(Executor& executor, const PrincipalSigner& signer, const Clock& clock,
             int read_sample_every = 0)
      : executor_(executor),
        signer_(signer),
        clock_(clock),
        read_sample_every_(read_sample_every) {}

  using Handler = std::function<absl::Status(const Principal&)>;
  // `method` is the RPC's name ("GetEngagement"); names starting with Get or
  // List are reads, every other RPC a write.
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, const char* method,
                                const google::protobuf::Message& request, Handler handler);
  // The same for an RPC marked (certpath.common.v1.credential_in_request):
  // a call without a principal runs as an anonymous one (no role, no tenant)
  // and the handler checks the credential the request carries; a call with a
  // principal token is checked as usual.
  grpc::ServerUnaryReactor* RunPublic(grpc::CallbackServerContext* ctx, const char* method,
                                      const google::protobuf::Message& request, Handler handler);

 private:
  grpc::ServerUnaryReactor* Dispatch(grpc::CallbackServerContext* ctx, const char* method,
                                     const google::protobuf::Message& request, Handler handler,
                                     bool anonymous_ok);
  void LogCall(const char* method, const absl::Status& status, const Principal* p,
               const std::string& request_id, const std::string& trace_id, absl::Duration latency);

  Executor& executor_;
  const PrincipalSigner& signer_;
  const Clock& clock_;
  const int read_sample_every_;
  std::atomic<uint64_t> reads_{0};
};

// A failed call's log level: error for the server's own faults (INTERNAL,
// UNKNOWN, DATA_LOSS), warn for the rest.
log::Level FailureLogLevel(absl::StatusCode code);

// An RPC name ("GetEngagement") that only reads: Get… and List….
bool IsRead(absl::string_view method);

// W3C traceparent's trace id ("" when absent or malformed), else x-request-id.
std::string TraceIdFromContext(const grpc::ServerContextBase& ctx);

// One unary RPC of a generated CallbackService, run through `dispatcher_`
// into `svc_.Method(principal, request, response)`. For use inside the class.
#define CERTPATH_UNARY_RPC(Method, Req, Resp)                                                      \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const Req* req, Resp* resp)   \
      override {                                                                                   \
    return dispatcher_.Run(ctx, #Method, *req, [this, req, resp](const ::certpath::Principal& p) { \
      return svc_.Method(p, *req, resp);                                                           \
    });                                                                                            \
  }

// One RPC marked (certpath.common.v1.credential_in_request) = true: anonymous
// callers reach `svc_.Method` with an empty principal.
#define CERTPATH_PUBLIC_RPC(Method, Req, Resp)                                                     \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const Req* req, Resp* resp)   \
      override {                                                                                   \
    return dispatcher_.RunPublic(                                                                  \
        ctx, #Method, *req,                                                                        \
        [this, req, resp](const ::certpath::Principal& p) { return svc_.Method(p, *req, resp); }); \
  }

// The same, into `target.Method(principal, request, response)` (a shared API
// object such as AuditApi or DeadLetterApi).
#define CERTPATH_UNARY_RPC_TO(target, Method, Req, Resp)                                           \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const Req* req, Resp* resp)   \
      override {                                                                                   \
    return dispatcher_.Run(ctx, #Method, *req, [this, req, resp](const ::certpath::Principal& p) { \
      return (target).Method(p, *req, resp);                                                       \
    });                                                                                            \
  }

}  // namespace certpath
