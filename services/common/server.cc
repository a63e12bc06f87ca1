#include "services/common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace certpath {

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      const std::vector<grpc::Service*>& services,
                                                      Metrics& metrics) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<Server> s(new Server());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &s->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  for (grpc::Service* svc : services) builder.RegisterService(svc);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(metrics.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return absl::UnavailableError("cannot listen on " + options.listen);
  }
  return s;
}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

void Server::SetServing(bool serving) {
  if (server_ && !shut_down_) server_->GetHealthCheckService()->SetServingStatus(serving);
}

void Server::Shutdown(absl::Duration drain) {
  if (!server_ || shut_down_) return;
  SetServing(false);
  shut_down_ = true;
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(drain));
  server_->Wait();
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

grpc::ServerUnaryReactor* Dispatcher::Run(grpc::CallbackServerContext* ctx, Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto principal = PrincipalFromContext(*ctx, signer_, clock_);
  if (!principal.ok()) {
    reactor->Finish(ToGrpcStatus(principal.status()));
    return reactor;
  }
  bool queued =
      executor_.Submit([reactor, handler = std::move(handler), p = *std::move(principal)]() {
        reactor->Finish(ToGrpcStatus(handler(p)));
      });
  if (!queued) {
    reactor->Finish(ToGrpcStatus(
        Error(absl::StatusCode::kResourceExhausted, "OVERLOADED", "server busy; retry later")));
  }
  return reactor;
}

}  // namespace certpath
