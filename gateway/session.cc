#include <sys/socket.h>

#include <cerrno>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "gateway/http_fields.h"
#include "gateway/server_impl.h"

namespace certpath::gateway {

namespace {

absl::string_view View(beast::string_view v) { return absl::string_view(v.data(), v.size()); }

using Response = http::response<http::string_body>;

// This thread runs an upstream call's completion (not the connection's strand).
thread_local bool t_on_grpc_thread = false;

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `address`: the client's, already counted by OpenFrom.
  Session(tcp::socket socket, Gateway::Impl& gw, std::string address)
      : stream_(std::move(socket)), gw_(gw), address_(std::move(address)) {
    gw_.connections.fetch_add(1);
  }
  ~Session() {
    if (upload_held_ > 0) gw_.files->Release(upload_held_);
    if (answer_held_ > 0) gw_.files->Release(answer_held_);
    gw_.connections.fetch_sub(1);
    gw_.ClosedFrom(address_);
  }

  void Run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(gw_.options.header_limit));
    // Beast checks a Content-Length against the limit while it parses the
    // header: the largest any route allows here, the route's own below.
    body_limit_ = std::max(gw_.options.body_limit, gw_.options.upload_limit);
    parser_->body_limit(body_limit_);
    // The first request must come within the read timeout; later ones within the idle one.
    stream_.expires_after(absl::ToChronoMilliseconds(served_ == 0 ? gw_.options.read_timeout
                                                                  : gw_.options.idle_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  // The header is in: the body may be as large as its route allows (uploads
  // more than JSON), refused as soon as its Content-Length says it is larger.
  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec && ec != http::error::body_limit) return OnRead(ec, 0);
    const auto& h = parser_->get();  // also on body_limit: the header is complete
    std::string target(View(h.target()));
    auto split = SplitPath(target.substr(0, target.find('?')));
    const Route* upload = nullptr;
    if (split.ok()) {
      auto found = gw_.routes.Find(View(h.method_string()), *split);
      if (found.route != nullptr && IsHttpBody(BodyType(*found.route))) upload = found.route;
    }
    body_limit_ = upload ? gw_.options.upload_limit : gw_.options.body_limit;
    auto length = parser_->content_length();
    if (ec == http::error::body_limit || (length && *length > body_limit_)) {
      return OnRead(http::error::body_limit, 0);  // refused before its body is read
    }
    size_t size = length ? static_cast<size_t>(*length) : (parser_->chunked() ? body_limit_ : 0);
    if (upload != nullptr && size > 0) return AdmitUpload(*upload, size);
    ReadBody();
  }

  void ReadBody() {
    parser_->body_limit(body_limit_);  // chunked bodies: counted as they come
    // A client waiting for "100 Continue" (curl, for bodies over 1 MiB) gets
    // it now that the request is admitted; else it waited a second.
    const auto& h = parser_->get();
    auto expect = h.find(http::field::expect);
    if (h.version() == 11 && expect != h.end() &&
        absl::EqualsIgnoreCase(View(expect->value()), "100-continue")) {
      auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      return http::async_write(
          stream_, *go_on, [self = shared_from_this(), go_on](beast::error_code ec, std::size_t) {
            if (ec) return self->Close();
            http::async_read(self->stream_, self->buffer_, *self->parser_,
                             beast::bind_front_handler(&Session::OnRead, self));
          });
    }
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  // An upload is admitted before its body is read: the caller first (its
  // credentials and rate limit, as any call), then room in the budget of
  // uploads at once (`size`: its Content-Length, a chunked one the limit),
  // held until it is answered. So no one can hold the budget without
  // credentials, and a refused upload costs its header only.
  void AdmitUpload(const Route& route, size_t size) {
    const auto& h = parser_->get();
    auto auth = h.find(http::field::authorization);
    std::string authorization(auth == h.end() ? absl::string_view() : View(auth->value()));
    if (!route.credential_in_request) {
      if (auto admitted = gw_.auth->AdmitLocally(authorization)) {  // no I/O: right here
        return OnUploadAdmitted(route, size, *std::move(admitted));
      }
    }
    beast::error_code peer_ec;
    std::string peer = stream_.socket().remote_endpoint(peer_ec).address().to_string();
    auto self = shared_from_this();
    bool queued = gw_.admit->Submit([self, &route, size, authorization, peer] {
      Admission admitted = route.credential_in_request ? self->gw_.auth->AdmitAnonymous(peer)
                                                       : self->gw_.auth->Admit(authorization, peer);
      self->Post([self, &route, size, admitted]() mutable {
        self->OnUploadAdmitted(route, size, std::move(admitted));
      });
    });
    if (!queued) {
      Admission busy;
      busy.principal = Error(absl::StatusCode::kUnavailable, "OVERLOADED", "busy; retry later");
      OnUploadAdmitted(route, size, std::move(busy));
    }
  }

  void OnUploadAdmitted(const Route& route, size_t size, Admission admitted) {
    absl::Status refused = admitted.principal.status();
    if (refused.ok() && !gw_.files->Reserve(size)) {
      headers_.emplace_back("Retry-After", "1");
      refused = Error(absl::StatusCode::kUnavailable, "UPLOADS_BUSY",
                      "too many uploads at once; retry in a moment");
    }
    if (!refused.ok()) {
      // Answered from the header, the body unread: the connection closes.
      const auto& h = parser_->get();
      start_ = absl::Now();
      version_ = h.version() == 10 ? 10 : 11;
      method_ = std::string(View(h.method_string()));
      head_ = false;
      TakeContext(h);
      route_text_ = route.path.text;
      for (auto& h : AdmissionHeaders(admitted)) headers_.push_back(std::move(h));
      return Fail(HttpStatus(refused.code()), refused, /*close=*/true);
    }
    upload_held_ = size;
    admitted_early_ = std::move(admitted);
    // The admission (maybe a Redis read away) does not eat into the body's time.
    stream_.expires_after(absl::ToChronoMilliseconds(served_ == 0 ? gw_.options.read_timeout
                                                                  : gw_.options.idle_timeout));
    ReadBody();
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      bool body = ec == http::error::body_limit;
      return FailUnread(
          body ? 413 : 431,
          Error(absl::StatusCode::kInvalidArgument, body ? "BODY_TOO_LARGE" : "HEADERS_TOO_LARGE",
                body ? absl::StrCat("the body is limited to ", body_limit_, " bytes")
                     : absl::StrCat("the headers are limited to ", gw_.options.header_limit,
                                    " bytes")));
    }
    if (ec) {
      // Not HTTP as RFC 9112 frames it (bad framing, version, header syntax): say so, then close.
      if (ec.category() == http::make_error_code(http::error::bad_version).category() &&
          ec != http::error::partial_message) {
        bool version = ec == http::error::bad_version;
        return FailUnread(
            version ? 505 : 400,
            Error(absl::StatusCode::kInvalidArgument, version ? "HTTP_VERSION" : "BAD_HTTP",
                  version ? "HTTP/1.0 and HTTP/1.1 only" : "malformed request: " + ec.message()));
      }
      return Close();
    }
    ++served_;
    stream_.expires_never();  // the upstream call has its own deadline
    Handle(parser_->release());
  }

  // The request's ids for the answer and the log (the caller's X-Request-Id
  // and traceparent when sane), and the CORS headers when its origin is
  // allowed (true).
  bool TakeContext(const http::request<http::string_body>& req) {
    auto rid = req.find("x-request-id");
    request_id_ = rid != req.end() && SafeRequestId(View(rid->value()))
                      ? std::string(View(rid->value()))
                      : RandomUuid();
    auto tp = req.find("traceparent");
    traceparent_ = tp != req.end() && ValidTraceParent(View(tp->value()))
                       ? std::string(View(tp->value()))
                       : TraceParent();
    // tracestate goes with the caller's own traceparent only (W3C), if sane.
    auto ts = req.find("tracestate");
    tracestate_.clear();
    if (tp != req.end() && ts != req.end() && ValidTraceState(View(ts->value()))) {
      tracestate_ = std::string(View(ts->value()));
    }
    // CORS: only origins on the allow-list get the headers a browser needs.
    auto origin = req.find(http::field::origin);
    bool cors = origin != req.end() &&
                gw_.options.cors_origins.count(std::string(View(origin->value()))) > 0;
    if (cors) {
      headers_.emplace_back("Access-Control-Allow-Origin", std::string(View(origin->value())));
      headers_.emplace_back("Vary", "Origin");
      headers_.emplace_back("Access-Control-Expose-Headers",
                            "X-Request-Id, RateLimit, RateLimit-Policy, Retry-After");
    }
    return cors;
  }

  void Handle(http::request<http::string_body> req) {
    // Admitted with its header (an upload), or below.
    std::optional<Admission> early = std::exchange(admitted_early_, std::nullopt);
    start_ = absl::Now();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    method_ = std::string(View(req.method_string()));
    // HEAD is GET without the body (RFC 9110 9.3.2): same route, same call,
    // same headers and Content-Length.
    head_ = method_ == "HEAD";
    const std::string verb = head_ ? "GET" : method_;
    if (version_ != 10 && version_ != 11) {
      version_ = 11;
      request_id_ = RandomUuid();
      traceparent_ = TraceParent();
      route_text_ = "unmatched";
      return Fail(
          505,
          Error(absl::StatusCode::kInvalidArgument, "HTTP_VERSION", "HTTP/1.0 and HTTP/1.1 only"),
          true);
    }
    if (version_ == 11 && req.find(http::field::host) == req.end()) {
      request_id_ = RandomUuid();
      traceparent_ = TraceParent();
      route_text_ = "unmatched";
      return Fail(400, InvalidArgument("Host", "HTTP/1.1 requires a Host header"), true);
    }
    std::string target(View(req.target()));
    size_t q = target.find('?');
    std::string path = target.substr(0, q);
    std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    const bool cors = TakeContext(req);
    route_text_ = "unmatched";

    auto split = SplitPath(path);
    if (!split.ok()) {
      return Fail(400, InvalidArgument("path", std::string(split.status().message())));
    }
    if (path == "/openapi.json") {
      route_text_ = path;  // public: the API's description, no credentials
      if (verb == "GET") {
        return Send(200, gw_.openapi, absl::OkStatus(), false, "application/json; charset=utf-8");
      }
      allow_ = "GET, HEAD";
      return Fail(405, Error(absl::StatusCode::kUnimplemented, "METHOD_NOT_ALLOWED",
                             method_ + " is not allowed here; allowed: " + allow_));
    }
    if (method_ == "OPTIONS") {
      // A preflight: the methods this path has, and the headers a caller may send.
      auto any = gw_.routes.Find("", *split);
      if (any.allowed.empty())
        return Fail(404, Error(absl::StatusCode::kNotFound, "NO_ROUTE", "no route " + path));
      allow_ = AllowHeader(any.allowed);  // RFC 9110 9.3.7: what this path has
      if (cors) {
        headers_.emplace_back("Access-Control-Allow-Methods", absl::StrJoin(any.allowed, ", "));
        headers_.emplace_back("Access-Control-Allow-Headers",
                              "Authorization, Content-Type, X-Request-Id, traceparent, tracestate");
        headers_.emplace_back("Access-Control-Max-Age", "600");
      }
      return Send(204, "", absl::OkStatus(), false);
    }
    auto found = gw_.routes.Find(verb, *split);
    if (found.route == nullptr) {
      if (found.allowed.empty())
        return Fail(404, Error(absl::StatusCode::kNotFound, "NO_ROUTE", "no route " + path));
      allow_ = AllowHeader(found.allowed);
      return Fail(405, Error(absl::StatusCode::kUnimplemented, "METHOD_NOT_ALLOWED",
                             method_ + " is not allowed here; allowed: " + allow_));
    }
    const Route& route = *found.route;
    route_text_ = route.path.text;
    // The upstream deadline: X-Request-Timeout (seconds) up to the maximum, else the route's
    // default.
    deadline_ = verb == "GET" ? gw_.options.read_deadline : gw_.options.write_deadline;
    if (auto t = req.find("x-request-timeout"); t != req.end()) {
      auto asked = RequestTimeout(View(t->value()), gw_.options.max_deadline);
      if (!asked.ok()) return Fail(400, asked.status());
      deadline_ = *asked;
    }
    auto content_type = req.find(http::field::content_type);
    std::string media(content_type == req.end() ? absl::string_view()
                                                : View(content_type->value()));

    // Credentials: the Authorization header only (client-sent internal headers are ignored).
    // Admission may read Redis (API keys, rate limits): off the I/O threads.
    auto auth = req.find(http::field::authorization);
    beast::error_code peer_ec;
    std::string authorization(auth == req.end() ? absl::string_view() : View(auth->value()));
    std::string peer = stream_.socket().remote_endpoint(peer_ec).address().to_string();
    if (early) return Proceed(route, *std::move(early), req.body(), found.bindings, query, media);
    if (!route.credential_in_request) {
      if (auto admitted = gw_.auth->AdmitLocally(authorization)) {  // no I/O: right here
        return Proceed(route, *std::move(admitted), req.body(), found.bindings, query, media);
      }
    }
    auto body = std::make_shared<std::string>(std::move(req.body()));
    auto bindings = found.bindings;
    auto self = shared_from_this();
    bool queued =
        gw_.admit->Submit([self, &route, authorization, peer, body, bindings, query, media] {
          // A route whose request carries its own credential (a feed's token):
          // anonymous, metered per address; Authorization plays no part.
          Admission admitted = route.credential_in_request
                                   ? self->gw_.auth->AdmitAnonymous(peer)
                                   : self->gw_.auth->Admit(authorization, peer);
          self->Post([self, &route, admitted, body, bindings, query, media]() mutable {
            self->Proceed(route, std::move(admitted), *body, bindings, query, media);
          });
        });
    if (!queued) {
      return Fail(503, Error(absl::StatusCode::kUnavailable, "OVERLOADED", "busy; retry later"));
    }
  }

  // On the connection's strand, once admitted: the request, the upstream call
  // (asynchronous; its answer comes back through the strand).
  void Proceed(const Route& route, Admission admitted, const std::string& body,
               const std::vector<std::pair<std::string, std::string>>& bindings,
               const std::string& query, const std::string& media) {
    for (auto& h : AdmissionHeaders(admitted)) headers_.push_back(std::move(h));
    if (!admitted.principal.ok()) {
      const absl::Status s = admitted.principal.status();
      return Fail(HttpStatus(s.code()), s);
    }
    const Principal principal = *admitted.principal;
    tenant_ = principal.tenant();
    subject_ = principal.subject();
    const pb::Message* proto = gw_.factory->GetPrototype(route.method->input_type());
    std::unique_ptr<pb::Message> request(proto->New());
    if (auto s = BuildRequest(route, bindings, query, body, request.get(), media); !s.ok()) {
      return Fail(HttpStatus(s.code()), s);
    }
    auto up = gw_.upstreams.find(route.method->service()->full_name());
    if (up == gw_.upstreams.end()) {
      return Fail(503, absl::UnavailableError("no upstream for this route"));
    }
    Call(up->second, route, principal, std::move(request));
  }

  // Runs `fn` on the connection's strand (keeping the session alive).
  void Post(std::function<void()> fn) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), fn = std::move(fn)] { fn(); });
  }

  void Call(Gateway::Impl::Upstream& up, const Route& route, const Principal& p,
            std::unique_ptr<pb::Message> request) {
    struct Pending {
      grpc::ClientContext ctx;
      grpc::ByteBuffer request, response;
    };
    auto pending = std::make_shared<Pending>();
    pending->ctx.set_deadline(std::chrono::system_clock::now() +
                              absl::ToChronoMilliseconds(deadline_));
    if (p.role() != Principal::ROLE_UNSPECIFIED) {  // anonymous: no principal at all
      pending->ctx.AddMetadata(kPrincipalMetadataKey, gw_.UpstreamToken(p));
    }
    pending->ctx.AddMetadata("x-request-id", request_id_);
    pending->ctx.AddMetadata("traceparent", traceparent_);
    if (!tracestate_.empty()) pending->ctx.AddMetadata("tracestate", tracestate_);
    std::string bytes = request->SerializeAsString();
    grpc::Slice slice(bytes);
    pending->request = grpc::ByteBuffer(&slice, 1);
    std::string method =
        absl::StrCat("/", route.method->service()->full_name(), "/", route.method->name());
    const pb::Descriptor* out_type = route.method->output_type();
    // A file download holds room for the largest file while its call is under
    // way (its size is known only once it is here), then its own size until
    // it is written out.
    if (route.file_download) {
      if (auto s = gw_.files->ReserveDownload(gw_.options.upload_limit, &answer_held_); !s.ok()) {
        headers_.emplace_back("Retry-After", "1");
        return Fail(503, s);
      }
    }
    if (!gw_.Track(&pending->ctx, true)) {
      ReleaseAnswer();
      return Fail(503, Error(absl::StatusCode::kUnavailable, "SHUTTING_DOWN", "retry elsewhere"),
                  /*close=*/true);
    }
    // Nothing is read from the client while its call is under way: one that
    // hangs up (end of stream or reset) cancels the call, as a reverse proxy
    // does, rather than leave the service at work nobody will read. Bytes of
    // a next request are left where they are. Cancelled in Write.
    std::weak_ptr<Pending> watched = pending;
    stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this(),
                                                         watched](beast::error_code ec) {
      if (ec) return;  // the answer came first
      char c;
      ssize_t n = ::recv(self->stream_.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
      bool gone = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
      if (auto p = watched.lock(); gone && p) p->ctx.TryCancel();
    });
    auto self = shared_from_this();
    up.stub->UnaryCall(&pending->ctx, method, grpc::StubOptions(), &pending->request,
                       &pending->response, [self, pending, out_type](grpc::Status status) mutable {
                         // On a gRPC thread: nothing else touches the session while its call is
                         // under way (one request at a time), so the answer is made here; Send
                         // hands the write to the connection's strand.
                         t_on_grpc_thread = true;
                         self->OnUpstream(status, pending->ctx, pending->response, out_type);
                         t_on_grpc_thread = false;
                         Gateway::Impl& gw = self->gw_;
                         self.reset();  // the session may end here, while the gateway surely lives
                         gw.Track(&pending->ctx, false);
                       });
  }

  void OnUpstream(const grpc::Status& status, const grpc::ClientContext& ctx,
                  grpc::ByteBuffer& buffer, const pb::Descriptor* type) {
    if (!status.ok()) {
      ReleaseAnswer();
      absl::Status s = InJsonSpelling(FromGrpcStatus(status));
      return Fail(HttpStatus(s.code()), s);
    }
    for (auto& h : AnswerHeaders(ctx)) headers_.push_back(std::move(h));
    auto answer = AnswerBody(buffer, type);
    if (!answer.ok()) {
      ReleaseAnswer();
      return Fail(502, answer.status());
    }
    // A file download now holds its own size, until written out.
    answer_held_ = gw_.files->Keep(answer_held_, answer->body.size());
    Send(200, std::move(answer->body), absl::OkStatus(), false, answer->media);
  }

  void ReleaseAnswer() {
    if (answer_held_ > 0) gw_.files->Release(std::exchange(answer_held_, 0));
  }

  void Fail(int code, const absl::Status& s, bool close = false) {
    Send(code, ErrorJson(s), s, close);
  }

  // A request refused before it was read whole (logged as route "unread"):
  // too large or malformed; the connection closes after the answer.
  void FailUnread(int code, const absl::Status& s) {
    start_ = absl::Now();
    request_id_ = RandomUuid();
    traceparent_ = TraceParent();
    route_text_ = "unread";
    method_ = "?";
    head_ = false;
    Fail(code, s, /*close=*/true);
  }

  void Send(int code, std::string body, const absl::Status& s, bool close,
            const std::string& media = "application/json; charset=utf-8") {
    // The upload's body and its upstream message are gone by now.
    if (upload_held_ > 0) gw_.files->Release(std::exchange(upload_held_, 0));
    auto res = std::make_shared<Response>(static_cast<http::status>(code), version_);
    if (code != 204) res->set(http::field::content_type, media);
    // Browsers take the declared type: an uploaded text file is never run as HTML.
    res->set("X-Content-Type-Options", "nosniff");
    res->set("X-Request-Id", request_id_);
    res->set("traceparent", traceparent_);
    if (!allow_.empty()) res->set(http::field::allow, allow_);
    for (const auto& [k, v] : headers_) res->set(k, v);
    headers_.clear();
    res->keep_alive(keep_alive_ && !close);
    res->body() = std::move(body);
    res->prepare_payload();
    if (head_) res->body().clear();  // Content-Length stays: what GET would send
    const absl::Duration took = absl::Now() - start_;
    log::Level level = AnswerLogLevel(code, s);
    if (code < 400 && (method_ == "GET" || head_ || method_ == "OPTIONS")) {
      // Reads succeed by the thousand: at debug, one in N at info (the services' rule).
      int every = gw_.options.log_read_sample_every;
      bool sampled =
          every > 0 &&
          gw_.reads.fetch_add(1, std::memory_order_relaxed) % static_cast<uint64_t>(every) == 0;
      level = sampled ? log::Level::kInfo : log::Level::kDebug;
    }
    if (log::Enabled(level)) {
      log::Write(level, "http",
                 {{"method", method_},
                  {"route", route_text_},
                  {"status", std::to_string(code)},
                  {"code", s.ok() ? "OK" : absl::StatusCodeToString(s.code())},
                  {"tenant", tenant_},
                  {"subject", subject_},
                  {"request_id", request_id_},
                  {"trace_id", traceparent_.size() >= 35 ? traceparent_.substr(3, 32) : ""},
                  {"latency_ms", absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(took))}});
    }
    if (gw_.requests != nullptr) gw_.Count(route_text_, method_, code, took);
    allow_.clear();
    tenant_.clear();
    subject_.clear();
    if (!t_on_grpc_thread) return Write(std::move(res));
    // From an upstream call's completion (a gRPC thread): the answer is
    // ready; only the write itself goes to the connection's strand.
    asio::post(stream_.get_executor(), [self = shared_from_this(), res = std::move(res)]() mutable {
      self->Write(std::move(res));
    });
  }

  void Write(std::shared_ptr<Response> res) {
    beast::error_code ignored;
    stream_.socket().cancel(ignored);  // the watch for a hang-up (Call), if any
    stream_.expires_after(absl::ToChronoMilliseconds(gw_.options.read_timeout));  // slow readers
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->ReleaseAnswer();  // written out (or never will be)
                        if (ec || !res->keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  // A lingering close: the answer is out (send side shut), and what the client
  // still sends is read and dropped for a moment, so that the kernel does not
  // reset the connection (losing our answer, e.g. a 413) while the client is
  // still writing its body.
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(std::chrono::seconds(2));
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (!ec) self->Drain();
                            });
  }

  beast::tcp_stream stream_;
  Gateway::Impl& gw_;
  const std::string address_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  int served_ = 0;
  std::array<char, 4096> drain_;
  size_t body_limit_ = 0;
  std::optional<Admission> admitted_early_;  // an upload's, from its header
  size_t answer_held_ = 0;                   // a download's, until written out
  size_t upload_held_ = 0;                   // an upload's, until answered
  absl::Duration deadline_;                  // of the upstream call
  bool keep_alive_ = false;
  unsigned version_ = 11;
  absl::Time start_;
  bool head_ = false;
  std::string method_, request_id_, traceparent_, tracestate_, route_text_, allow_, tenant_,
      subject_;
  std::vector<std::pair<std::string, std::string>> headers_;  // for the next response
};

}  // namespace

void StartSession(tcp::socket socket, Gateway::Impl& gw, std::string address) {
  std::make_shared<Session>(std::move(socket), gw, std::move(address))->Run();
}

}  // namespace certpath::gateway
