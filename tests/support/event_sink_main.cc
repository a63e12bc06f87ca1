// certpath-test-consumer: a real event consumer for the system tests — a
// gRPC server on the shared consumer side (EventConsumerService) and a real
// Redis store. It stands in for a consumer that is not built yet (by default
// "scheduling", which subscribes to every engagements event) and records each
// event it applies, exactly once, in the same atomic step as its
// idempotency record:
//   sink:{t:T}:applied:<event id>   the event (created once: a second
//                                   application would fail ALREADY_EXISTS)
//   sink:{t:T}:idx:order            zset application ordinal → event id
// Flags: the service flags, --consumer=NAME, --refuse-subject=S, --refuse-subject-2=S (events
// about S are refused for good: a poisoned event for the dead-letter tests).

#include "certpath/common/v1/common.pb.h"
#include "services/common/outbox.h"
#include "services/common/repository.h"
#include "services/common/service_app.h"
#include "services/common/service_main.h"
#include "services/common/status.h"
#include "services/common/subscriptions.h"

namespace certpath::testing {
namespace {

namespace cv1 = certpath::common::v1;

class SinkStore : public Repository {
 public:
  SinkStore(RecordStore& records, const std::string& consumer)
      : Repository(records, "sink", consumer, 0) {}

  absl::Status Apply(const Principal& p, const cv1::OutboxEvent& e) {
    Idem idem = MakeIdem(e.tenant(), p, e.id(), e, /*keep_for_good=*/true);
    Batch b;
    AddIdem(b, idem);
    int64_t ord = PutStored<cv1::OutboxEvent>(b, keys_.Key(e.tenant(), "applied", e.id()), nullptr,
                                              e, keys_.Ordinals(e.tenant()), "applied event");
    b.ZAdd(keys_.Index(e.tenant(), "order"), ord, e.id());
    b.Response("");
    return Commit(b).status();
  }
};

struct SinkOptions {
  HostOptions host;
  std::string consumer = "scheduling";
  std::vector<std::string> refuse_subjects;
  static absl::StatusOr<SinkOptions> FromConfig(const Config& c) {
    SinkOptions o;
    auto host = HostOptions::FromConfig(c, "127.0.0.1:0", "127.0.0.1:0");
    if (!host.ok()) return host.status();
    o.host = *std::move(host);
    o.consumer = c.Get("consumer", "scheduling");
    for (const char* flag : {"refuse-subject", "refuse-subject-2"}) {
      std::string s = c.Get(flag, "");
      if (!s.empty()) o.refuse_subjects.push_back(s);
    }
    return o;
  }
};

class SinkApp final : public ServiceApp {
 public:
  static absl::StatusOr<std::unique_ptr<SinkApp>> Start(const SinkOptions& o) {
    std::unique_ptr<SinkApp> app(new SinkApp(o));
    if (auto s = app->host_.Start({&app->consumer_}); !s.ok()) return s;
    return app;
  }

 private:
  explicit SinkApp(const SinkOptions& o)
      : ServiceApp(host_),
        host_(o.host),
        store_(host_.records(), o.consumer),
        writable_(host_.gate(), [this](const std::string& t) { return store_.RegisterTenant(t); }),
        consumer_(o.consumer, host_.dispatcher(), host_.metrics().registry()) {
    for (const auto& s : Subscriptions()) {
      for (const auto& c : s.consumers) {
        if (c != o.consumer) continue;
        consumer_.Handle(s.event_type, [this, refuse = o.refuse_subjects](
                                           const Principal& p, const cv1::OutboxEvent& e) {
          for (const auto& r : refuse) {
            if (e.subject() == r) return FailedPrecondition("POISONED", "refused: " + r);
          }
          if (auto s = writable_.Check(e.tenant()); !s.ok()) return s;
          return store_.Apply(p, e);
        });
      }
    }
  }

  ServiceHost host_;
  SinkStore store_;
  WritableTenants writable_;
  EventConsumerService consumer_;
};

}  // namespace
}  // namespace certpath::testing

int main(int argc, char** argv) {
  using certpath::testing::SinkApp;
  using certpath::testing::SinkOptions;
  return certpath::RunService<SinkApp, SinkOptions>("test-consumer", argc, argv);
}
