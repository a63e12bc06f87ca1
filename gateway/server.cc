#include "gateway/server.h"

#include "gateway/server_impl.h"

namespace certpath::gateway {

absl::StatusOr<GatewayOptions> GatewayOptions::FromConfig(const Config& c) {
  GatewayOptions o;
  o.listen = c.Get("http-listen", o.listen);
  auto key = LoadSigningKey(c.Get("signing-key", ""), c.Get("signing-key-file", ""));
  if (!key.ok()) return key.status();
  o.signing_key = *key;
  auto threads = c.GetInt("threads", o.threads);
  auto conns = c.GetInt("max-connections", o.max_connections);
  auto per_address = c.GetInt("max-connections-per-address", o.max_connections_per_address);
  if (!per_address.ok() || *per_address < 1) {
    return absl::InvalidArgumentError("max-connections-per-address: a positive number");
  }
  o.max_connections_per_address = static_cast<int>(*per_address);
  auto body = c.GetInt("body-limit-bytes", static_cast<int64_t>(o.body_limit));
  auto upload = c.GetInt("upload-limit-bytes", static_cast<int64_t>(o.upload_limit));
  auto max_timeout = c.GetInt("max-request-timeout-seconds", absl::ToInt64Seconds(o.max_deadline));
  if (!threads.ok() || *threads < 1 || !conns.ok() || *conns < 1 || !body.ok() || *body < 1 ||
      !upload.ok() || *upload < 1 || !max_timeout.ok() || *max_timeout < 1) {
    return absl::InvalidArgumentError(
        "threads, max-connections, body-limit-bytes, upload-limit-bytes, "
        "max-request-timeout-seconds: positive numbers");
  }
  if (*upload > (int64_t{1} << 30)) {
    return absl::InvalidArgumentError("upload-limit-bytes: at most 1 GiB");
  }
  o.upload_limit = static_cast<size_t>(*upload);
  auto budget = c.GetInt("file-budget-bytes", std::max<int64_t>(*upload, o.file_budget));
  if (!budget.ok() || *budget < *upload) {
    return absl::InvalidArgumentError(
        "file-budget-bytes: at least upload-limit-bytes (one file of the largest size)");
  }
  o.file_budget = static_cast<size_t>(*budget);
  o.max_deadline = absl::Seconds(*max_timeout);
  o.threads = static_cast<int>(*threads);
  for (absl::string_view origin :
       absl::StrSplit(c.Get("cors-origins", ""), ',', absl::SkipEmpty())) {
    o.cors_origins.insert(std::string(origin));
  }
  for (auto [name, limit] : {std::pair<const char*, RateLimit*>{"key", &o.per_key},
                             std::pair<const char*, RateLimit*>{"ip", &o.per_ip}}) {
    auto rate = c.GetInt(absl::StrCat("rate-per-", name), static_cast<int64_t>(limit->per_second));
    auto burst = c.GetInt(absl::StrCat("burst-per-", name), limit->burst);
    if (!rate.ok() || *rate < 1 || !burst.ok() || *burst < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("rate-per-", name, ", burst-per-", name, ": positive numbers"));
    }
    limit->per_second = static_cast<double>(*rate);
    limit->burst = *burst;
  }
  o.max_connections = static_cast<int>(*conns);
  o.body_limit = static_cast<size_t>(*body);
  for (const std::string& svc : RouteTable::CompiledServices()) {
    // certpath.<name>.v1.<Service> → --<name>-target
    std::vector<std::string> parts = absl::StrSplit(svc, '.');
    if (parts.size() < 3 || parts[1] == "gateway") continue;  // served in this process
    std::string target = c.Get(parts[1] + "-target", "");
    if (target.empty()) {
      return absl::InvalidArgumentError("--" + parts[1] + "-target: where " + svc + " listens");
    }
    o.upstreams[svc] = target;
  }
  return o;
}

void Gateway::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      // Out of descriptors (or the like): wait a little instead of spinning.
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code e) {
        if (!e) Accept();
      });
      return;
    } else {
      beast::error_code peer_ec;
      std::string address = socket.remote_endpoint(peer_ec).address().to_string();
      if (peer_ec || connections.load() >= options.max_connections || !OpenFrom(address)) {
        beast::error_code ignored;
        socket.close(ignored);  // over a cap: refused at once, the others unaffected
      } else {
        StartSession(std::move(socket), *this, std::move(address));
      }
    }
    Accept();
  });
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const GatewayOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  impl->auth =
      std::make_unique<EdgeAuth>(impl->signer, *impl->clock, options.api_keys, options.limiter);
  impl->admit = std::make_unique<Executor>(4, 4096);
  if (options.files == nullptr) {
    impl->own_files = std::make_unique<FileBudget>(options.file_budget, options.registry);
  }
  impl->files = options.files != nullptr ? options.files : impl->own_files.get();
  if (options.registry != nullptr) {
    impl->requests = &prometheus::BuildCounter()
                          .Name("certpath_gateway_requests_total")
                          .Help(
                              "HTTP requests by route template, method and status "
                              "(401 auth failed, 429 rate-limited, 5xx upstream errors)")
                          .Register(*options.registry);
    impl->latency = &prometheus::BuildHistogram()
                         .Name("certpath_gateway_request_seconds")
                         .Help("HTTP request latency by route template")
                         .Register(*options.registry);
  }
  auto routes = RouteTable::FromServices(options.services.empty() ? RouteTable::CompiledServices()
                                                                  : options.services);
  if (!routes.ok()) return routes.status();
  if (routes->routes().empty()) return absl::FailedPreconditionError("no routes compiled in");
  impl->routes = *std::move(routes);
  auto openapi = OpenApiJson(impl->routes);
  if (!openapi.ok()) return openapi.status();
  impl->openapi = *std::move(openapi);
  for (const auto& [svc, target] : options.upstreams) {
    Impl::Upstream u;
    // Downloads (google.api.HttpBody answers) may be as large as uploads.
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(static_cast<int>(options.upload_limit) + (1 << 20));
    u.channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    u.stub = std::make_unique<grpc::GenericStub>(u.channel);
    impl->upstreams[svc] = std::move(u);
  }
  size_t colon = options.listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError("listen: host:port");
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(options.listen.substr(0, colon), ec);
  if (ec) return absl::InvalidArgumentError("listen: bad address");
  tcp::endpoint ep(address, static_cast<unsigned short>(port));
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError("cannot listen on " + options.listen + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  for (int i = 0; i < options.threads; ++i) {
    impl->threads.emplace_back([io = &impl->ioc] { io->run(); });
  }
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

int Gateway::port() const { return impl_->port; }

void Gateway::Shutdown() {
  if (impl_->threads.empty()) return;
  // 1. No new connections (closed on the I/O threads, waited for here).
  std::promise<void> closed;
  asio::post(impl_->ioc, [this, &closed] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->accept_retry.cancel();
    closed.set_value();
  });
  closed.get_future().wait_for(std::chrono::seconds(2));
  // 2. No new upstream calls; those under way end (cancelled) and their
  //    completions are done with the gateway before anything is torn down.
  {
    std::unique_lock<std::mutex> lock(impl_->inflight_mu);
    impl_->stopping = true;
    for (grpc::ClientContext* ctx : impl_->inflight) ctx->TryCancel();
    impl_->inflight_cv.wait(lock, [this] { return impl_->inflight.empty(); });
  }
  // 3. The I/O threads stop (what is queued for them is dropped with the io_context).
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // 4. Admission finishes what it took (its answers go to the stopped io_context).
  impl_->admit.reset();
}

Gateway::~Gateway() { Shutdown(); }

}  // namespace certpath::gateway
