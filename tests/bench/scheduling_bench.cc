// Scheduling benchmark. In one run, on a durable redis-server with the real
// binaries (scheduling, and engagements whose events tell it the engagements):
//  1. baseline: grpc.health.v1 Health/Check on the scheduling server;
//  2. BookVisit with its double-booking check (each worker books its own
//     consultants' free hours, so every call is a real booking);
//  3. ListVisits and ListDeadlines pages (50) with few visits, then again
//     after the tenant holds --visits visits (100k): the ratio shows O(page);
//  4. GetCalendarFeed of a consultant with 500 visits: render time.
// Not a test: it never fails on time.
//
//   ./build/tests/bench_scheduling [--seconds=3] [--threads=16] [--visits=100000]

#include <grpcpp/grpcpp.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "certpath/scheduling/v1/scheduling.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/validate.h"
#include "tests/bench/bench_util.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"

namespace certpath::testing {
namespace {

using namespace bench;  // NOLINT: the bench helpers
namespace sv1 = certpath::scheduling::v1;
using SStub = sv1::SchedulingService::Stub;
using EStub = v1::EngagementService::Stub;

constexpr int kConsultants = 64;
constexpr int kEngagements = 20;
constexpr int kHoursPerDay = 8;  // 9:00 … 17:00, one-hour visits

int Main(int argc, char** argv) {
  auto config = Config::FromArgs(argc, argv);
  if (!config.ok()) return 2;
  const double seconds = static_cast<double>(config->GetInt("seconds", 3).value_or(3));
  const int threads = static_cast<int>(config->GetInt("threads", 16).value_or(16));
  const int64_t visits_wanted = config->GetInt("visits", 100000).value_or(100000);

  RedisServer redis;
  std::string key_file = redis.dir() + "/signing.key";
  std::ofstream(key_file) << kTestSigningKey << "\n";
  std::string s = absl::StrCat("127.0.0.1:", FreePort()),
              e = absl::StrCat("127.0.0.1:", FreePort());
  auto args = [&](const std::string& listen) {
    return std::vector<std::string>{"--listen=" + listen,
                                    absl::StrCat("--metrics-listen=127.0.0.1:", FreePort()),
                                    "--redis-socket=" + redis.socket(),
                                    "--signing-key-file=" + key_file,
                                    "--metrics-interval-seconds=3600",
                                    "--relay-poll-ms=100"};
  };
  auto sargs = args(s);
  sargs.push_back("--engagements-target=" + e);
  auto eargs = args(e);
  eargs.push_back("--scheduling-target=" + s);
  Process scheduling(BinaryPath("services/scheduling/certpath-scheduling"), sargs, "/dev/null");
  Process engagements(BinaryPath("services/engagements/certpath-engagements"), eargs, "/dev/null");
  scheduling.Start();
  engagements.Start();
  if (!WaitServing(s) || !WaitServing(e)) {
    std::fprintf(stderr, "services did not start\n");
    return 1;
  }
  auto channel = grpc::CreateChannel(s, grpc::InsecureChannelCredentials());
  auto stub = sv1::SchedulingService::NewStub(channel);
  auto health = grpc::health::v1::Health::NewStub(channel);
  auto estub =
      v1::EngagementService::NewStub(grpc::CreateChannel(e, grpc::InsecureChannelCredentials()));
  const Principal admin = MakePrincipal(Principal::ROLE_OFFICE_ADMIN, "bench@office");
  // One token (valid an hour): the gateway, too, signs a caller's token once a minute.
  const std::string signed_token = SignedToken(admin, absl::Now());
  auto token = [&] { return signed_token; };

  // Engagements (support 2026-04-01 … 2027-09-30), known to scheduling by event.
  std::vector<std::string> engagement_names;
  {
    v1::CreateClientRequest creq;
    creq.set_parent("tenants/t1");
    creq.mutable_client()->set_display_name("株式会社ベンチ");
    v1::Client c;
    if (!CallAs(*estub, &EStub::CreateClient, admin, creq, &c).ok()) return 1;
    for (int i = 0; i < kEngagements; ++i) {
      v1::Engagement eng;
      if (!CallAs(*estub, &EStub::CreateEngagement, admin, EngagementRequest(c.name()), &eng)
               .ok()) {
        return 1;
      }
      engagement_names.push_back(eng.name());
    }
  }
  std::vector<std::string> consultants;
  for (int i = 0; i <= kConsultants; ++i) {  // the last one: the feed's
    sv1::CreateConsultantRequest req;
    req.set_parent("tenants/t1");
    req.mutable_consultant()->set_subject(absl::StrCat("c", i, "@office"));
    req.mutable_consultant()->set_display_name_ja(absl::StrCat("コンサルタント", i));
    req.mutable_consultant()->set_weekly_visit_capacity(50);
    sv1::Consultant c;
    if (!CallAs(*stub, &SStub::CreateConsultant, admin, req, &c).ok()) return 1;
    consultants.push_back(c.name());
  }
  // The support period's business days: every (consultant, day, hour) is one free slot.
  std::vector<absl::CivilDay> days;
  for (auto [from, to] : {std::pair{Day(2026, 4, 1), Day(2027, 3, 31)},
                          std::pair{Day(2027, 4, 1), Day(2027, 9, 30)}}) {
    sv1::ListBusinessDaysRequest req;
    req.set_parent("tenants/t1");
    *req.mutable_first_day() = from;
    *req.mutable_last_day() = to;
    sv1::ListBusinessDaysResponse resp;
    if (!CallAs(*stub, &SStub::ListBusinessDays, admin, req, &resp).ok()) return 1;
    for (const auto& d : resp.business_days()) days.push_back(*ToCivilDay(d));
  }
  for (int i = 0; i < 200; ++i) {  // the last engagement's event arrived
    sv1::ListDeadlinesRequest req;
    req.set_parent("tenants/t1");
    req.set_engagement(engagement_names.back());
    sv1::ListDeadlinesResponse resp;
    if (CallAs(*stub, &SStub::ListDeadlines, admin, req, &resp).ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  const int64_t capacity = int64_t{kConsultants} * static_cast<int64_t>(days.size()) * kHoursPerDay;
  // Slot n of worker t: its own consultants (t, t + threads, …), never another worker's.
  std::vector<std::atomic<int64_t>> next(threads);
  auto slot_request = [&](int consultant, int64_t n) {
    sv1::BookVisitRequest req;
    req.set_parent("tenants/t1");
    auto* v = req.mutable_visit();
    v->set_engagement(engagement_names[n % kEngagements]);
    v->set_kind(sv1::VISIT_KIND_OPTION_D);
    v->set_billable_length(sv1::BILLABLE_LENGTH_HALF_DAY);
    absl::CivilDay day = days[(n / kHoursPerDay) % days.size()];
    absl::CivilHour start = absl::CivilHour(day) + 9 + n % kHoursPerDay;
    *v->mutable_start_time() = ToTimestamp(absl::FromCivil(start, TokyoZone()));
    *v->mutable_end_time() = ToTimestamp(absl::FromCivil(start + 1, TokyoZone()));
    v->set_location("先方本社");
    v->add_consultants(consultants[consultant]);
    return req;
  };
  std::vector<std::string> worker_tokens(threads);
  std::atomic<int64_t> booked{0};
  auto book_op = [&](int t, int64_t) {
    int64_t n = next[t].fetch_add(1);
    int per_worker = (kConsultants + threads - 1) / threads;
    int consultant = t + threads * static_cast<int>(n % per_worker);
    if (consultant >= kConsultants) consultant = t;
    int64_t slot = n / per_worker;
    if (slot >= static_cast<int64_t>(days.size()) * kHoursPerDay) return false;  // full
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, token());
    sv1::Visit out;
    bool ok = stub->BookVisit(&ctx, slot_request(consultant, slot), &out).ok();
    if (ok) booked.fetch_add(1);
    return ok;
  };
  auto health_op = [&](int, int64_t) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    return health->Check(&ctx, req, &resp).ok();
  };
  auto list_visits_op = [&](int t, int64_t) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, token());
    sv1::ListVisitsRequest req;
    req.set_parent("tenants/t1");
    req.set_page_size(50);
    if (t % 2 == 1) req.set_consultant(consultants[t % kConsultants]);  // a membership filter
    sv1::ListVisitsResponse resp;
    return stub->ListVisits(&ctx, req, &resp).ok();
  };
  auto list_deadlines_op = [&](int t, int64_t) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, token());
    sv1::ListDeadlinesRequest req;
    req.set_parent("tenants/t1");
    req.set_page_size(50);
    if (t % 2 == 1) req.set_consultant("kenji@office");
    sv1::ListDeadlinesResponse resp;
    return stub->ListDeadlines(&ctx, req, &resp).ok();
  };

  std::printf("certpath scheduling benchmark: %d client threads, %.0f s per figure\n", threads,
              seconds);
  std::printf("(2-core machine: client, services and Redis share the cores; compare ratios)\n\n");
  Result base = Measure(threads, seconds, health_op);
  Print("Health/Check (baseline)", base, base, -1);
  Result book = Measure(threads, seconds, book_op);
  Print("BookVisit (with conflict check)", book, base, -1);
  Result lv_small = Measure(threads, seconds, list_visits_op);
  Print("ListVisits page 50, few visits", lv_small, base, -1);
  Result ld_small = Measure(threads, seconds, list_deadlines_op);
  Print("ListDeadlines page 50, few visits", ld_small, base, -1);
  int64_t before = booked.load();

  // Fill the tenant up to --visits (more workers than cores: the calls wait on Redis fsyncs).
  std::printf("\nbooking up to %lld visits (capacity %lld)…\n",
              static_cast<long long>(visits_wanted), static_cast<long long>(capacity));
  std::fflush(stdout);
  absl::Time fill_start = absl::Now();
  {
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        while (booked.load() < visits_wanted && book_op(t, 0)) {
        }
      });
    }
    for (auto& t : ts) t.join();
  }
  std::printf("%lld visits (%lld booked in %.0f s)\n\n", static_cast<long long>(booked.load()),
              static_cast<long long>(booked.load() - before),
              absl::ToDoubleSeconds(absl::Now() - fill_start));
  Result lv_big = Measure(threads, seconds, list_visits_op);
  Print("ListVisits page 50, all visits", lv_big, base, -1);
  Result ld_big = Measure(threads, seconds, list_deadlines_op);
  Print("ListDeadlines page 50, all visits", ld_big, base, -1);
  std::printf("O(page): ListVisits p50 %.2fx, ListDeadlines p50 %.2fx of the few-visits figure\n\n",
              lv_big.p50_ms / lv_small.p50_ms, ld_big.p50_ms / ld_small.p50_ms);

  // A consultant with 500 visits (2 a day on 250 days), then its feed.
  const std::string& feed_consultant = consultants.back();
  for (int64_t n = 0; n < 500; ++n) {
    sv1::BookVisitRequest req = slot_request(kConsultants, n * 4);
    grpc::ClientContext ctx;
    ctx.AddMetadata(kPrincipalMetadataKey, token());
    sv1::Visit out;
    if (!stub->BookVisit(&ctx, req, &out).ok()) {
      std::fprintf(stderr, "feed visit %lld not booked\n", static_cast<long long>(n));
      return 1;
    }
  }
  sv1::CreateCalendarFeedRequest freq;
  freq.set_parent("tenants/t1");
  freq.mutable_feed()->set_consultant(feed_consultant);
  sv1::CalendarFeed feed;
  if (!CallAs(*stub, &SStub::CreateCalendarFeed, admin, freq, &feed).ok()) return 1;
  std::vector<double> ms;
  size_t bytes = 0;
  for (int i = 0; i < 50; ++i) {
    grpc::ClientContext ctx;
    sv1::GetCalendarFeedRequest req;
    req.set_token(feed.token());
    google::api::HttpBody body;
    auto t0 = std::chrono::steady_clock::now();
    if (!stub->GetCalendarFeed(&ctx, req, &body).ok()) return 1;
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    bytes = body.data().size();
  }
  std::sort(ms.begin(), ms.end());
  std::printf("GetCalendarFeed, 500 visits + deadlines: p50 %.2f ms  p99 %.2f ms  (%zu bytes)\n",
              ms[ms.size() / 2], ms[ms.size() * 99 / 100], bytes);
  std::printf("\nBookVisit / baseline: %.1f%% (target ≥ 15%%)\n", 100.0 * book.qps / base.qps);
  return 0;
}

}  // namespace
}  // namespace certpath::testing

int main(int argc, char** argv) { return certpath::testing::Main(argc, argv); }
