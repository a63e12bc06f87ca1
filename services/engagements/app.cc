#include "services/engagements/app.h"

#include "absl/strings/str_join.h"
#include "services/common/log.h"
#include "services/common/record_store.h"
#include "services/engagements/business_metrics.h"
#include "services/engagements/grpc_service.h"

namespace certpath::engagements {

absl::StatusOr<AppOptions> AppOptions::FromConfig(const Config& c) {
  AppOptions o;
  o.server.listen = c.Get("listen", "127.0.0.1:7101");
  o.metrics_listen = c.Get("metrics-listen", "127.0.0.1:9101");
  o.redis.unix_socket = c.Get("redis-socket", "");
  o.redis.host = c.Get("redis-host", "127.0.0.1");
  auto port = c.GetInt("redis-port", 6379);
  auto workers = c.GetInt("workers", 8);
  auto drain = c.GetInt("drain-seconds", 10);
  auto metrics_every = c.GetInt("metrics-interval-seconds", 10);
  auto ttl = c.GetInt("idempotency-ttl-seconds", o.idempotency_ttl_seconds);
  for (const auto* s : {&port, &workers, &drain, &metrics_every, &ttl}) {
    if (!s->ok()) return s->status();
  }
  o.redis.port = static_cast<int>(*port);
  o.server.workers = static_cast<int>(*workers);
  // Each worker may hold one Redis context; a few spare for the guard.
  o.redis.pool_size = o.server.workers + 2;
  o.server.drain = absl::Seconds(*drain);
  o.metrics_interval = absl::Seconds(*metrics_every);
  o.idempotency_ttl_seconds = *ttl;
  o.redis_throwaway = c.GetBool("redis-throwaway", false);
  auto key = LoadSigningKey(c.Get("signing-key", ""), c.Get("signing-key-file", ""));
  if (!key.ok()) return key.status();
  o.signing_key = *key;
  return o;
}

struct App::Impl {
  explicit Impl(const AppOptions& o)
      : options(o),
        clock(o.clock ? o.clock : &system_clock),
        redis(o.redis),
        records(redis),
        store(records, o.idempotency_ttl_seconds),
        signer(o.signing_key),
        tokens(o.signing_key),
        executor(o.server.workers, o.server.max_queue),
        dispatcher(executor, signer, *clock),
        service(store, *clock, tokens, gate, metrics.registry()),
        grpc_service(service, dispatcher),
        business(metrics.registry(), store, *clock) {
    redis.set_round_trip_observer(
        [](void* c) { static_cast<prometheus::Counter*>(c)->Increment(); },
        &metrics.redis_round_trips());
  }

  // Keeps health and the write gate in step with Redis; refreshes gauges.
  void Guard() {
    bool was_ok = false;
    absl::Time next_metrics = absl::InfinitePast();
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      lock.unlock();
      auto weak = CheckDurability(redis);
      bool ok = weak.ok() && (weak->empty() || options.redis_throwaway);
      if (ok && !was_ok) ok = records.LoadScripts().ok();
      if (ok != was_ok) {
        if (ok) {
          log::Info("redis ready; serving");
        } else if (!weak.ok()) {
          log::Warn("redis unreachable; NOT_SERVING, writes refused",
                    {{"error", weak.status().message()}});
        } else {
          log::Warn("redis is not durable; NOT_SERVING, writes refused",
                    {{"weak", absl::StrJoin(*weak, ", ")}});
        }
        ok ? gate.Open() : gate.Close();
        server->SetServing(ok);
        was_ok = ok;
      }
      if (ok && absl::Now() >= next_metrics) {  // scheduling uses real time
        if (auto s = business.Refresh(); !s.ok()) {
          log::Warn("metrics refresh failed", {{"error", s.message()}});
        }
        next_metrics = absl::Now() + options.metrics_interval;
      }
      lock.lock();
      cv.wait_for(lock, absl::ToChronoMilliseconds(options.guard_interval),
                  [&] { return stopping; });
    }
  }

  AppOptions options;
  SystemClock system_clock;
  const Clock* clock;
  RedisPool redis;
  RecordStore records;
  EngagementStore store;
  PrincipalSigner signer;
  PageTokenCodec tokens;
  Metrics metrics;
  WriteGate gate;
  Executor executor;
  Dispatcher dispatcher;
  EngagementService service;
  GrpcEngagementService grpc_service;
  BusinessMetrics business;
  std::unique_ptr<Server> server;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread guard;
};

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<App>> App::Start(const AppOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (!options.metrics_listen.empty()) {
    if (auto s = impl->metrics.Serve(options.metrics_listen); !s.ok()) return s;
  }
  auto server = Server::Start(options.server, {&impl->grpc_service}, impl->metrics);
  if (!server.ok()) return server.status();
  impl->server = *std::move(server);
  impl->server->SetServing(false);  // until the guard has seen a durable Redis
  Impl* raw = impl.get();
  impl->guard = std::thread([raw] { raw->Guard(); });
  return std::unique_ptr<App>(new App(std::move(impl)));
}

App::~App() { Shutdown(absl::ZeroDuration()); }

int App::port() const { return impl_->server->port(); }
int App::metrics_port() const { return impl_->metrics.port(); }
bool App::writable() const { return impl_->gate.open(); }

void App::Shutdown(absl::Duration drain) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->guard.join();
  impl_->server->Shutdown(drain);
}

}  // namespace certpath::engagements
