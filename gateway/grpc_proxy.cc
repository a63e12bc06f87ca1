#include "gateway/grpc_proxy.h"

#include "gateway/http_fields.h"
#include "gateway/transcode.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "certpath/common/v1/common.pb.h"
#include "services/common/crypto.h"
#include "services/common/grpc_util.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/server.h"
#include "services/common/status.h"

namespace certpath::gateway {

GrpcProxy::GrpcProxy(const std::map<std::string, std::string>& upstreams,
                     const PrincipalSigner& signer, const Clock& clock, EdgeAuth& auth,
                     absl::Duration deadline, int max_answer_bytes, FileBudget* files,
                     size_t max_file)
    : signer_(signer),
      clock_(clock),
      auth_(auth),
      deadline_(deadline),
      files_(files),
      max_file_(max_file) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_answer_bytes);
  for (const auto& [svc, target] : upstreams) {
    stubs_[svc] = std::make_unique<grpc::GenericStub>(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
}

GrpcProxy::~GrpcProxy() = default;

grpc::GenericStub* GrpcProxy::StubFor(const std::string& service) {
  auto it = stubs_.find(service);
  return it == stubs_.end() ? nullptr : it->second.get();
}

namespace {

std::string Metadata(const grpc::GenericCallbackServerContext& ctx, const char* key) {
  auto it = ctx.client_metadata().find(key);
  return it == ctx.client_metadata().end() ? "" : std::string(it->second.data(), it->second.size());
}

// Whether "package.Service/Method" answers a stored file
// (certpath.common.v1.file_download).
bool IsDownload(const std::string& full_method) {
  std::string name = full_method;
  std::replace(name.begin(), name.end(), '/', '.');
  const auto* m = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
  return m != nullptr && m->options().GetExtension(certpath::common::v1::file_download);
}

// The peer's address without the port ("ipv4:127.0.0.1:5000" → "127.0.0.1").
std::string PeerAddress(const std::string& peer) {
  std::string p = peer.substr(peer.find(':') + 1);
  return p.substr(0, p.rfind(':'));
}

class ProxyCall final : public grpc::ServerGenericBidiReactor {
 public:
  ProxyCall(GrpcProxy& proxy, grpc::GenericCallbackServerContext* ctx)
      : proxy_(proxy), ctx_(ctx), start_(absl::Now()) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return Done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
    if (!proxy_.pool().Submit([this] { Forward(); })) {
      Done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "busy; retry later"));
    }
  }

  void OnCancel() override { upstream_.TryCancel(); }
  void OnDone() override {
    if (held_ > 0) proxy_.files()->Release(held_);  // sent, or never will be
    delete this;
  }

 private:
  // On the proxy's pool: admission (may read Redis), then the upstream call.
  void Forward() {
    const std::string& method = ctx_->method();  // "/certpath.x.v1.Service/Method"
    std::string rid = Metadata(*ctx_, "x-request-id");
    request_id_ = SafeRequestId(rid) ? rid : RandomUuid();  // as HTTP takes it
    size_t slash = method.rfind('/');
    std::string service =
        slash == std::string::npos || slash == 0 ? "" : method.substr(1, slash - 1);
    grpc::GenericStub* stub = proxy_.StubFor(service);
    if (stub == nullptr) {
      return Done(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no such method: " + method));
    }
    Admission a = proxy_.auth().Admit(Metadata(*ctx_, "authorization"), PeerAddress(ctx_->peer()));
    if (!a.principal.ok()) return Done(ToGrpcStatus(a.principal.status()));
    tenant_ = a.principal->tenant();
    subject_ = a.principal->subject();
    auto deadline = std::min(ctx_->deadline(), std::chrono::system_clock::now() +
                                                   absl::ToChronoMilliseconds(proxy_.deadline()));
    upstream_.set_deadline(deadline);
    upstream_.AddMetadata(
        kPrincipalMetadataKey,
        proxy_.signer().Sign(*a.principal, proxy_.clock().Now(), absl::Minutes(5)));
    upstream_.AddMetadata("x-request-id", request_id_);
    std::string tp = Metadata(*ctx_, "traceparent");
    if (!tp.empty() && tp.size() == 55) {
      upstream_.AddMetadata("traceparent", tp);
      std::string state = Metadata(*ctx_, "tracestate");
      if (!state.empty() && state.size() <= 512) upstream_.AddMetadata("tracestate", state);
    }
    method_ = method;
    if (proxy_.files() != nullptr && IsDownload(method.substr(1))) {
      if (auto s = proxy_.files()->ReserveDownload(proxy_.max_file(), &held_); !s.ok()) {
        return Done(ToGrpcStatus(s));
      }
    }
    stub->UnaryCall(
        &upstream_, method, grpc::StubOptions(), &request_, &response_, [this](grpc::Status s) {
          if (held_ > 0) held_ = proxy_.files()->Keep(held_, s.ok() ? response_.Length() : 0);
          if (s.ok()) {
            Log(s);
            for (const auto& [key, value] : upstream_.GetServerInitialMetadata()) {
              absl::string_view k(key.data(), key.size());
              if (ForwardedAnswerMetadata(k)) {
                ctx_->AddInitialMetadata(std::string(k), std::string(value.data(), value.size()));
              }
            }
            StartWriteAndFinish(&response_, grpc::WriteOptions(), s);
          } else {
            Done(s);
          }
        });
  }

  void Done(const grpc::Status& s) {
    Log(s);
    Finish(s);
  }
  // One JSON line per failed call and per write (reads at debug), as the services log.
  void Log(const grpc::Status& s) {
    const std::string& method = method_.empty() ? ctx_->method() : method_;
    log::Level level = log::Level::kInfo;
    if (!s.ok()) {
      level = FailureLogLevel(static_cast<absl::StatusCode>(s.error_code()));
    } else if (IsRead(method.substr(method.rfind('/') + 1))) {
      level = log::Level::kDebug;
    }
    if (!log::Enabled(level)) return;
    log::Write(level, "grpc proxy",
               {{"method", method},
                {"code", GrpcCodeName(static_cast<int>(s.error_code()))},
                {"tenant", tenant_},
                {"subject", subject_},
                {"request_id", request_id_},
                {"trace_id", TraceIdFromContext(*ctx_)},
                {"latency_ms",
                 absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(absl::Now() - start_))}});
  }

  GrpcProxy& proxy_;
  grpc::GenericCallbackServerContext* ctx_;
  grpc::ClientContext upstream_;
  grpc::ByteBuffer request_, response_;
  std::string method_, tenant_, subject_, request_id_;
  absl::Time start_;
  size_t held_ = 0;  // of the budget of files in flight: a download's
};

}  // namespace

grpc::ServerGenericBidiReactor* GrpcProxy::CreateReactor(grpc::GenericCallbackServerContext* ctx) {
  return new ProxyCall(*this, ctx);
}

}  // namespace certpath::gateway
