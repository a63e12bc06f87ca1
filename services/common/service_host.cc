#include "services/common/service_host.h"

#include "services/common/audit.h"

#include "absl/strings/str_join.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace certpath {

absl::Status WritableTenants::Check(const std::string& tenant) {
  if (!gate_.open()) {
    return Unavailable("storage is not durable or not reachable; writes refused");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (known_.count(tenant)) return absl::OkStatus();
  if (auto s = register_(tenant); !s.ok()) return s;
  known_.insert(tenant);
  return absl::OkStatus();
}

absl::StatusOr<HostOptions> HostOptions::FromConfig(const Config& c,
                                                    const std::string& default_listen,
                                                    const std::string& default_metrics) {
  HostOptions o;
  o.server.listen = c.Get("listen", default_listen);
  o.metrics_listen = c.Get("metrics-listen", default_metrics);
  o.redis.unix_socket = c.Get("redis-socket", "");
  o.redis.host = c.Get("redis-host", "127.0.0.1");
  auto port = c.GetInt("redis-port", 6379);
  auto workers = c.GetInt("workers", 8);
  auto drain = c.GetInt("drain-seconds", 10);
  auto metrics_every = c.GetInt("metrics-interval-seconds", 10);
  for (const auto* s : {&port, &workers, &drain, &metrics_every}) {
    if (!s->ok()) return s->status();
  }
  if (*workers < 1 || *workers > 256) return absl::InvalidArgumentError("workers: 1..256");
  o.redis.port = static_cast<int>(*port);
  o.server.workers = static_cast<int>(*workers);
  // Each worker may hold one Redis context; two spare for the guard and relays.
  o.redis.pool_size = o.server.workers + 2;
  o.server.drain = absl::Seconds(*drain);
  o.metrics_interval = absl::Seconds(*metrics_every);
  o.redis_throwaway = c.GetBool("redis-throwaway", false);
  auto ttl = c.GetInt("idempotency-ttl-seconds", o.idempotency_ttl_seconds);
  if (!ttl.ok()) return ttl.status();
  if (*ttl < 60) return absl::InvalidArgumentError("idempotency-ttl-seconds: at least 60");
  o.idempotency_ttl_seconds = *ttl;
  auto sample = c.GetInt("log-read-sample", 0);
  if (!sample.ok()) return sample.status();
  if (*sample < 0) return absl::InvalidArgumentError("log-read-sample: 0 or more");
  o.log_read_sample_every = static_cast<int>(*sample);
  std::string audit = c.Get("audit-trail", "on");
  if (audit != "on" && audit != "off") return absl::InvalidArgumentError("audit-trail: on or off");
  o.audit_trail = audit == "on";
  log::Level level;
  if (!log::ParseLevel(c.Get("log-level", "info"), &level)) {
    return absl::InvalidArgumentError("log-level: debug, info, warn or error");
  }
  log::SetMinLevel(level);
  auto key = LoadSigningKey(c.Get("signing-key", ""), c.Get("signing-key-file", ""));
  if (!key.ok()) return key.status();
  o.signing_key = *key;
  return o;
}

ServiceHost::ServiceHost(const HostOptions& o)
    : options_(o),
      clock_(o.clock ? o.clock : &system_clock_),
      redis_(o.redis),
      records_(redis_),
      signer_(o.signing_key),
      tokens_(o.signing_key),
      executor_(o.server.workers, o.server.max_queue),
      dispatcher_(executor_, signer_, *clock_, o.log_read_sample_every) {
  redis_.set_round_trip_observer([](void* c) { static_cast<prometheus::Counter*>(c)->Increment(); },
                                 &metrics_.redis_round_trips());
  records_.CountPublished(&prometheus::BuildCounter()
                               .Name("certpath_events_published_total")
                               .Help("Events written to the outbox, by type")
                               .Register(metrics_.registry()));
  if (!o.audit_trail) {
    AuditTrail::DisableForBenchmarks();
    log::Warn("audit trail OFF (--audit-trail=off): for benchmarks only, never in production");
  }
}

ServiceHost::~ServiceHost() { Shutdown(absl::ZeroDuration()); }

absl::Status ServiceHost::Start(const std::vector<grpc::Service*>& services,
                                grpc::CallbackGenericService* generic) {
  if (!options_.metrics_listen.empty()) {
    if (auto s = metrics_.Serve(options_.metrics_listen); !s.ok()) return s;
  }
  auto server = Server::Start(options_.server, services, metrics_, generic);
  if (!server.ok()) return server.status();
  server_ = *std::move(server);
  server_->SetServing(false);  // until the guard has seen a durable Redis
  guard_ = std::thread([this] { Guard(); });
  return absl::OkStatus();
}

bool ServiceHost::stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

void ServiceHost::Guard() {
  bool was_ok = false;
  std::string last_reason = "starting";  // logged on every change, the first one included
  absl::Time next_periodic = absl::InfinitePast();  // real time: scheduling, not business
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    auto weak = CheckDurability(redis_);
    bool durable = weak.ok() && (weak->empty() || options_.redis_throwaway);
    bool ok = durable;
    if (ok && !was_ok) ok = records_.LoadScripts().ok();
    std::string reason = ok           ? "serving"
                         : !weak.ok() ? "unreachable"
                         : durable    ? "scripts not loaded"
                                      : "not durable: " + absl::StrJoin(*weak, ", ");
    if (reason != last_reason) {
      if (ok) {
        log::Info("redis ready; serving");
      } else if (!weak.ok()) {
        log::Warn("redis unreachable; NOT_SERVING, writes refused",
                  {{"error", weak.status().message()}});
      } else if (durable) {
        log::Warn("redis scripts could not be loaded; NOT_SERVING, writes refused");
      } else {
        log::Warn("redis is not durable; NOT_SERVING, writes refused",
                  {{"weak", absl::StrJoin(*weak, ", ")}});
      }
      last_reason = reason;
    }
    if (ok != was_ok) {
      ok ? gate_.Open() : gate_.Close();
      server_->SetServing(ok);
      was_ok = ok;
    }
    if (ok && absl::Now() >= next_periodic) {
      for (auto& fn : periodic_) {
        if (auto s = fn(); !s.ok()) log::Warn("periodic task failed", {{"error", s.message()}});
      }
      next_periodic = absl::Now() + options_.metrics_interval;
    }
    ReturnFreeMemory();
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.guard_interval),
                 [&] { return stopping_; });
  }
}

void ServiceHost::Shutdown(absl::Duration drain) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (guard_.joinable()) guard_.join();
  if (server_) server_->Shutdown(drain);
}

}  // namespace certpath
