#include "services/common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/call_context.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace certpath {

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                      const std::vector<grpc::Service*>& services,
                                                      Metrics& metrics,
                                                      grpc::CallbackGenericService* generic) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<Server> s(new Server());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &s->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  for (grpc::Service* svc : services) builder.RegisterService(svc);
  if (generic != nullptr) builder.RegisterCallbackGenericService(generic);
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
  if (!server_ || shut_down_) return;
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(serving);
  // Liveness says only that the process answers: never tied to Redis, so a
  // Redis outage takes pods out of rotation (readiness) without restarting them.
  health->SetServingStatus(kLivenessService, true);
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

void KeepLargeBuffersInHeap() {
  // 32 MiB is the largest threshold glibc accepts, above the 17 MiB of the
  // largest message; setting both also stops glibc's own adjustment of them.
  constexpr int kLarge = 32 << 20;
  if (mallopt(M_MMAP_THRESHOLD, kLarge) != 1 || mallopt(M_TRIM_THRESHOLD, kLarge) != 1) {
    log::Warn("cannot set the allocator's thresholds; large messages will be slower");
  }
}

void ReturnFreeMemory() {
  constexpr size_t kWorthIt = 32 << 20;
  struct mallinfo2 info = mallinfo2();
  if (info.fordblks > kWorthIt) malloc_trim(0);
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

log::Level FailureLogLevel(absl::StatusCode code) {
  bool server_fault = code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
                      code == absl::StatusCode::kDataLoss;
  return server_fault ? log::Level::kError : log::Level::kWarn;
}

bool IsRead(absl::string_view method) {
  return absl::StartsWith(method, "Get") || absl::StartsWith(method, "List");
}

namespace {

// The request's `name`, else its `parent` (the resource a call is about).
std::string TargetOf(const google::protobuf::Message& m) {
  for (const char* field : {"name", "parent"}) {
    const auto* f = m.GetDescriptor()->FindFieldByName(field);
    if (f != nullptr && f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
        !f->is_repeated()) {
      std::string v = m.GetReflection()->GetString(m, f);
      if (!v.empty() && v.size() <= 512) return v;
    }
  }
  return "";
}

std::string RequestIdOf(const google::protobuf::Message& m) {
  const auto* f = m.GetDescriptor()->FindFieldByName("request_id");
  if (f == nullptr || f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
      f->is_repeated()) {
    return "";
  }
  std::string id = m.GetReflection()->GetString(m, f);
  return id.size() <= 64 ? id : "";
}

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}
}  // namespace

std::string TraceIdFromContext(const grpc::ServerContextBase& ctx) {
  const auto& md = ctx.client_metadata();
  auto it = md.find("traceparent");
  if (it != md.end()) {
    // version "-" trace-id (32 hex) "-" parent-id "-" flags
    absl::string_view v(it->second.data(), it->second.size());
    if (v.size() >= 55 && v[2] == '-' && v[35] == '-' && IsHex(v.substr(3, 32))) {
      return std::string(v.substr(3, 32));
    }
  }
  it = md.find("x-request-id");
  if (it != md.end() && it->second.size() <= 64) {
    absl::string_view v(it->second.data(), it->second.size());
    bool safe = std::all_of(v.begin(), v.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
    if (safe) return std::string(v);
  }
  return "";
}

void Dispatcher::LogCall(const char* method, const absl::Status& status, const Principal* p,
                         const std::string& request_id, const std::string& trace_id,
                         absl::Duration latency) {
  log::Level level = log::Level::kInfo;
  if (!status.ok()) {
    level = FailureLogLevel(status.code());
  } else if (IsRead(method)) {
    bool sampled = read_sample_every_ > 0 && reads_.fetch_add(1, std::memory_order_relaxed) %
                                                     static_cast<uint64_t>(read_sample_every_) ==
                                                 0;
    level = sampled ? log::Level::kInfo : log::Level::kDebug;
  }
  if (!log::Enabled(level)) return;
  std::string code = GrpcCodeName(static_cast<int>(status.code()));
  std::string latency_ms = absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(latency));
  std::string reason = ErrorReason(status);
  log::Write(level, status.ok() ? "call" : "call failed",
             {{"method", method},
              {"code", code},
              {"reason", reason},
              {"tenant", p ? absl::string_view(p->tenant()) : absl::string_view()},
              {"subject", p ? absl::string_view(p->subject()) : absl::string_view()},
              {"request_id", request_id},
              {"trace_id", trace_id},
              {"latency_ms", latency_ms}});
}

grpc::ServerUnaryReactor* Dispatcher::Run(grpc::CallbackServerContext* ctx, const char* method,
                                          const google::protobuf::Message& request,
                                          Handler handler) {
  return Dispatch(ctx, method, request, std::move(handler), /*anonymous_ok=*/false);
}

grpc::ServerUnaryReactor* Dispatcher::RunPublic(grpc::CallbackServerContext* ctx,
                                                const char* method,
                                                const google::protobuf::Message& request,
                                                Handler handler) {
  return Dispatch(ctx, method, request, std::move(handler), /*anonymous_ok=*/true);
}

grpc::ServerUnaryReactor* Dispatcher::Dispatch(grpc::CallbackServerContext* ctx, const char* method,
                                               const google::protobuf::Message& request,
                                               Handler handler, bool anonymous_ok) {
  absl::Time start = absl::Now();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::string trace_id = TraceIdFromContext(*ctx);
  std::string request_id = RequestIdOf(request);
  auto principal = PrincipalFromContext(*ctx, signer_, clock_);
  if (!principal.ok() && anonymous_ok &&
      ctx->client_metadata().find(kPrincipalMetadataKey) == ctx->client_metadata().end()) {
    principal = Principal();  // anonymous: the request's own credential decides
  }
  if (!principal.ok()) {
    LogCall(method, principal.status(), nullptr, request_id, trace_id, absl::Now() - start);
    reactor->Finish(ToGrpcStatus(principal.status()));
    return reactor;
  }
  auto deadline = ctx->deadline();
  std::string target = TargetOf(request);
  bool queued = executor_.Submit(
      [this, ctx, reactor, method, start, deadline, trace_id = std::move(trace_id), request_id,
       target = std::move(target), handler = std::move(handler), p = *principal]() {
        absl::Status status;
        if (ctx->IsCancelled()) {
          status = absl::CancelledError("the caller went away while the call was queued");
        } else if (std::chrono::system_clock::now() >= deadline) {
          status = absl::DeadlineExceededError("the deadline passed while the call was queued");
        } else {
          CallContext call{method, &p, request_id, trace_id, clock_.Now(), target, {}};
          ScopedCall scope(call);
          status = handler(p);
          if (status.ok()) {
            for (auto& [key, value] : call.response_metadata) ctx->AddInitialMetadata(key, value);
          }
        }
        LogCall(method, status, &p, request_id, trace_id, absl::Now() - start);
        reactor->Finish(ToGrpcStatus(status));
      });
  if (!queued) {
    absl::Status busy =
        Error(absl::StatusCode::kResourceExhausted, "OVERLOADED", "server busy; retry later");
    LogCall(method, busy, &*principal, request_id, trace_id, absl::Now() - start);
    reactor->Finish(ToGrpcStatus(busy));
  }
  return reactor;
}

}  // namespace certpath
