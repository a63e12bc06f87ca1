#pragma once
// The gateway's insides, shared by server.cc (listening, start, shutdown)
// and session.cc (one HTTP connection: read, route, admit, call, answer).
// Not for use outside gateway/.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include "gateway/server.h"

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <set>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gateway/api_keys.h"
#include "gateway/edge_auth.h"
#include "gateway/openapi.h"
#include "gateway/transcode.h"
#include "google/protobuf/message.h"
#include "services/common/crypto.h"
#include "services/common/executor.h"
#include "services/common/grpc_util.h"
#include "services/common/log.h"
#include "services/common/principal.h"
#include "services/common/status.h"

namespace certpath::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace pb = google::protobuf;
using tcp = asio::ip::tcp;

struct Gateway::Impl {
  explicit Impl(const GatewayOptions& o)
      : options(o),
        clock(o.clock ? o.clock : &system_clock),
        signer(o.signing_key),
        ioc(o.threads),
        acceptor(ioc) {}

  struct Upstream {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::GenericStub> stub;
  };

  // Declared before the io_context: its handlers (sessions) may outlive it otherwise.
  std::atomic<int> connections{0};
  std::unique_ptr<FileBudget> own_files;
  FileBudget* files = nullptr;  // bytes of files in flight (options.file_budget)
  // Open connections by client address (one client cannot take every slot).
  std::mutex by_address_mu;
  std::map<std::string, int> by_address;

  // A connection from `address` is admitted (true) or over its address's cap.
  bool OpenFrom(const std::string& address) {
    std::lock_guard<std::mutex> lock(by_address_mu);
    int& n = by_address[address];
    if (n >= options.max_connections_per_address) {
      if (n == 0) by_address.erase(address);
      return false;
    }
    ++n;
    return true;
  }
  void ClosedFrom(const std::string& address) {
    std::lock_guard<std::mutex> lock(by_address_mu);
    auto it = by_address.find(address);
    if (it != by_address.end() && --it->second <= 0) by_address.erase(it);
  }
  std::mutex inflight_mu;
  std::condition_variable inflight_cv;
  std::set<grpc::ClientContext*> inflight;  // upstream calls under way

  bool stopping = false;  // under inflight_mu: no new upstream calls

  // An upstream call starts (true; false when the gateway is stopping) or
  // its completion is done with the session and the gateway (false).
  bool Track(grpc::ClientContext* ctx, bool start) {
    std::lock_guard<std::mutex> lock(inflight_mu);
    if (start) {
      if (stopping) return false;
      inflight.insert(ctx);
    } else {
      inflight.erase(ctx);
      inflight_cv.notify_all();
    }
    return true;
  }

  GatewayOptions options;
  SystemClock system_clock;
  const Clock* clock;
  PrincipalSigner signer;
  std::unique_ptr<EdgeAuth> auth;
  RouteTable routes;
  std::string openapi;  // GET /openapi.json
  std::map<std::string, Upstream> upstreams;
  // Every routed type is compiled in: its generated class.
  pb::MessageFactory* factory = pb::MessageFactory::generated_factory();
  asio::io_context ioc;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::unique_ptr<Executor> admit;  // admission (Redis reads) off the I/O threads
  asio::steady_timer accept_retry{ioc};
  int port = 0;
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  prometheus::Family<prometheus::Histogram>* latency = nullptr;
  std::atomic<uint64_t> reads{0};  // successful GETs, for log sampling

  // One request in the metrics: by route template, method and status, and
  // its latency by route (the series looked up once, then kept).
  void Count(const std::string& route, const std::string& method, int code, absl::Duration took) {
    static const std::set<std::string> kMethods = {"GET", "POST",   "PATCH",
                                                   "PUT", "DELETE", "OPTIONS"};
    const std::string& m = kMethods.count(method) ? method : std::string("other");
    std::string id = absl::StrCat(route, " ", m, " ", code);
    prometheus::Counter* counter;
    prometheus::Histogram* histogram;
    {
      std::lock_guard<std::mutex> lock(series_mu);
      auto& c = counters[id];
      if (c == nullptr) {
        c = &requests->Add({{"route", route}, {"method", m}, {"status", std::to_string(code)}});
      }
      counter = c;
      auto& h = histograms[route];
      if (h == nullptr) {
        h = &latency->Add({{"route", route}},
                          prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                  0.05, 0.1, 0.25, 0.5, 1, 2.5});
      }
      histogram = h;
    }
    counter->Increment();
    histogram->Observe(absl::ToDoubleSeconds(took));
  }
  std::mutex series_mu;
  // Bounded: route templates (and "unmatched") × methods × statuses.
  std::map<std::string, prometheus::Counter*> counters;
  std::map<std::string, prometheus::Histogram*> histograms;

  void Accept();

  // The short-lived token the upstream call carries: signed afresh at most
  // once a minute per caller (valid five).
  std::string UpstreamToken(const Principal& p) {
    const absl::Time now = clock->Now();
    std::string id = p.SerializeAsString();
    std::lock_guard<std::mutex> lock(tokens_mu);
    auto it = tokens.find(id);
    if (it != tokens.end() && now - it->second.first < absl::Minutes(1) &&
        now >= it->second.first) {
      return it->second.second;
    }
    if (tokens.size() > 10000) tokens.clear();
    std::string token = signer.Sign(p, now, absl::Minutes(5));
    tokens[id] = {now, token};
    return token;
  }
  std::mutex tokens_mu;
  std::map<std::string, std::pair<absl::Time, std::string>> tokens;  // principal → (signed, token)
};

// Serves one accepted connection from `address` (already counted by OpenFrom).
void StartSession(boost::asio::ip::tcp::socket socket, Gateway::Impl& gw, std::string address);

}  // namespace certpath::gateway
