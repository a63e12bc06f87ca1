// certpath-demo: what the local runner uses to talk to a running service.
//   certpath-demo wait --target=127.0.0.1:7101 [--timeout-seconds=30]
//       waits until grpc.health.v1 answers SERVING.
//   certpath-demo seed --target=... --token=TOKEN [--tenant=demo]
//       [--billing-target=...] [--scheduling-target=...]
//       creates the demo client and engagement (idempotent: fixed request ids),
//       with a billing target the issuer settings and an accepted quote, with
//       a scheduling target the demo consultant, the first included visit on
//       the next business day and a calendar feed; prints the resource names.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "certpath/billing/v1/billing.grpc.pb.h"
#include "certpath/engagements/v1/engagements.grpc.pb.h"
#include "certpath/scheduling/v1/scheduling.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/config.h"
#include "services/common/principal.h"

namespace {

namespace v1 = certpath::engagements::v1;
using grpc::health::v1::HealthCheckResponse;

int Wait(const certpath::Config& config) {
  auto timeout = config.GetInt("timeout-seconds", 30);
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout.ok() ? *timeout : 30);
  while (std::chrono::steady_clock::now() < deadline) {
    // A fresh channel each try: a channel that failed to connect backs off for seconds.
    auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
        config.Get("target", "127.0.0.1:7101"), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckRequest req;
    HealthCheckResponse resp;
    if (health->Check(&ctx, req, &resp).ok() && resp.status() == HealthCheckResponse::SERVING) {
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "certpath-demo: service not SERVING in time\n");
  return 1;
}

google::type::Date Day(int y, int m, int d) {
  google::type::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

template <typename Stub, typename Req, typename Resp>
grpc::Status Try(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*), Stub& stub,
                 const std::string& token, const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx.AddMetadata(certpath::kPrincipalMetadataKey, token);
  return (stub.*method)(&ctx, req, resp);
}

template <typename Stub, typename Req, typename Resp>
bool Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*), Stub& stub,
          const std::string& token, const Req& req, Resp* resp) {
  grpc::Status s = Try(method, stub, token, req, resp);
  if (!s.ok()) std::fprintf(stderr, "certpath-demo: %s\n", s.error_message().c_str());
  return s.ok();
}

namespace bv1 = certpath::billing::v1;

// Demo issuer settings and an accepted quote, so stage 1 bills at once.
bool SeedBilling(const std::string& target, const std::string& token, const std::string& tenant,
                 const std::string& engagement) {
  auto stub =
      bv1::BillingService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  bv1::UpdateBillingSettingsRequest sreq;
  sreq.mutable_settings()->set_name("tenants/" + tenant + "/billingSettings");
  sreq.mutable_settings()->set_issuer_name("本間マネジメントオフィス（デモ）");
  sreq.mutable_settings()->set_registration_number("T1234567890123");
  sreq.mutable_settings()->set_withholding(true);
  sreq.mutable_settings()->set_issue_stage1_invoices(true);
  for (const char* p :
       {"issuer_name", "registration_number", "withholding", "issue_stage1_invoices"}) {
    sreq.mutable_update_mask()->add_paths(p);
  }
  bv1::BillingSettings settings;
  if (!Call(&bv1::BillingService::Stub::UpdateBillingSettings, *stub, token, sreq, &settings)) {
    return false;
  }
  bv1::CreateQuoteRequest qreq;
  qreq.set_parent("tenants/" + tenant);
  qreq.set_request_id("00000000-0000-4000-8000-00000000a001");
  auto* q = qreq.mutable_quote();
  q->set_engagement(engagement);
  q->set_recipient_name("株式会社デモ");
  *q->mutable_valid_until() = Day(2027, 3, 31);
  auto* l = q->add_lines();
  l->set_kind(bv1::LINE_KIND_CONSULTING_FEE);
  l->set_description("ISMS構築支援 コンサルタント費用");
  l->set_quantity(1);
  l->set_unit("式");
  l->set_unit_price_jpy(1'200'000);
  bv1::Quote quote;
  if (!Call(&bv1::BillingService::Stub::CreateQuote, *stub, token, qreq, &quote)) return false;
  bv1::QuoteActionRequest act;
  act.set_name(quote.name());
  // Sent to the client, then accepted (a client accepts only a quote it was sent).
  Try(&bv1::BillingService::Stub::SendQuote, *stub, token, act, &quote);
  grpc::Status s = Try(&bv1::BillingService::Stub::AcceptQuote, *stub, token, act, &quote);
  // Accepted by an earlier run: fine.
  if (!s.ok() && s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) return false;
  std::printf("quote=%s\n", quote.name().c_str());
  return true;
}

namespace sv1 = certpath::scheduling::v1;

// The demo consultant (consultant@demo), the engagement's first visit on the
// next business day, 10:00–12:00 Japan time, and a calendar feed of the consultant.
bool SeedScheduling(const std::string& target, const std::string& token, const std::string& tenant,
                    const std::string& engagement) {
  auto stub = sv1::SchedulingService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  using S = sv1::SchedulingService::Stub;
  sv1::CreateConsultantRequest creq;
  creq.set_parent("tenants/" + tenant);
  creq.set_request_id("00000000-0000-4000-8000-00000000c0c0");
  creq.mutable_consultant()->set_subject("consultant@demo");
  creq.mutable_consultant()->set_display_name_ja("佐藤 健二");
  creq.mutable_consultant()->set_display_name_en("Kenji Sato");
  creq.mutable_consultant()->set_base_location("東京");
  sv1::Consultant consultant;
  grpc::Status s = Try(&S::CreateConsultant, *stub, token, creq, &consultant);
  if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {  // an earlier run's
    sv1::ListConsultantsRequest lreq;
    lreq.set_parent("tenants/" + tenant);
    lreq.set_page_size(500);
    sv1::ListConsultantsResponse all;
    if (!Call(&S::ListConsultants, *stub, token, lreq, &all)) return false;
    for (const auto& c : all.consultants()) {
      if (c.subject() == "consultant@demo") consultant = c;
    }
  } else if (!s.ok()) {
    std::fprintf(stderr, "certpath-demo: %s\n", s.error_message().c_str());
    return false;
  }
  std::printf("consultant=%s\n", consultant.name().c_str());
  // The next business day after today (Japan time).
  absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(9 * 3600));
  sv1::AddBusinessDaysRequest add;
  add.set_parent("tenants/" + tenant);
  *add.mutable_date() = Day(static_cast<int>(today.year()), today.month(), today.day());
  add.set_days(1);
  sv1::AddBusinessDaysResponse next;
  if (!Call(&S::AddBusinessDays, *stub, token, add, &next)) return false;
  sv1::BookVisitRequest book;
  book.set_parent("tenants/" + tenant);
  auto* v = book.mutable_visit();
  v->set_engagement(engagement);
  v->set_kind(sv1::VISIT_KIND_INCLUDED_1);
  absl::TimeZone jst = absl::FixedTimeZone(9 * 3600);
  absl::CivilDay day(next.date().year(), next.date().month(), next.date().day());
  auto at = [&](int hour) {
    google::protobuf::Timestamp t;
    t.set_seconds(absl::ToUnixSeconds(absl::FromCivil(absl::CivilHour(day) + hour, jst)));
    return t;
  };
  *v->mutable_start_time() = at(10);
  *v->mutable_end_time() = at(12);
  v->set_location("株式会社デモ 本社 会議室A");
  v->add_consultants(consultant.name());
  v->set_agenda("事業内容の把握、ISMS適用範囲と支援方針の確認");
  sv1::Visit visit;
  // The engagement reaches scheduling by event, within a moment.
  for (int i = 0; i < 100; ++i) {
    s = Try(&S::BookVisit, *stub, token, book, &visit);
    if (s.error_code() != grpc::StatusCode::NOT_FOUND) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (s.ok()) {
    std::printf("visit=%s\n", visit.name().c_str());
  } else if (s.error_code() != grpc::StatusCode::ALREADY_EXISTS) {  // booked by an earlier run
    std::fprintf(stderr, "certpath-demo: %s\n", s.error_message().c_str());
    return false;
  }
  sv1::CreateCalendarFeedRequest freq;
  freq.set_parent("tenants/" + tenant);
  freq.mutable_feed()->set_consultant(consultant.name());
  sv1::CalendarFeed feed;
  if (!Call(&S::CreateCalendarFeed, *stub, token, freq, &feed)) return false;
  std::printf("feed_path=%s\n", feed.feed_path().c_str());
  return true;
}

int Seed(const certpath::Config& config) {
  std::string token = config.Get("token", "");
  std::string tenant = config.Get("tenant", "demo");
  auto stub = v1::EngagementService::NewStub(grpc::CreateChannel(
      config.Get("target", "127.0.0.1:7101"), grpc::InsecureChannelCredentials()));
  v1::CreateClientRequest cr;
  cr.set_parent("tenants/" + tenant);
  cr.set_request_id("00000000-0000-4000-8000-00000000c11e");
  auto* c = cr.mutable_client();
  c->set_display_name("株式会社デモ");
  c->add_departments("情報システム部");
  auto* contact = c->add_contacts();
  contact->set_display_name("山田 太郎");
  contact->set_email("yamada@demo.example.jp");
  contact->set_role(v1::CONTACT_ROLE_MANAGEMENT_REPRESENTATIVE);
  v1::Client client;
  if (!Call(&v1::EngagementService::Stub::CreateClient, *stub, token, cr, &client)) return 1;

  v1::CreateEngagementRequest er;
  er.set_parent("tenants/" + tenant);
  er.set_request_id("00000000-0000-4000-8000-0000000e0001");
  auto* e = er.mutable_engagement();
  e->set_client(client.name());
  e->set_department("情報システム部");
  e->set_contact("山田 太郎");
  e->set_standard("ISO_IEC_27001_2022");
  e->set_certification_body("認証機関（未定）");
  e->set_lead_consultant("consultant@demo");
  e->add_partner_organizations("partner-demo");
  *e->mutable_contract_date() = Day(2026, 11, 1);
  *e->mutable_support_start() = Day(2026, 11, 1);
  v1::Engagement engagement;
  if (!Call(&v1::EngagementService::Stub::CreateEngagement, *stub, token, er, &engagement)) {
    return 1;
  }
  std::printf("client=%s\nengagement=%s\nreference_number=%s\n", client.name().c_str(),
              engagement.name().c_str(), engagement.reference_number().c_str());
  std::string billing = config.Get("billing-target", "");
  if (!billing.empty() && !SeedBilling(billing, token, tenant, engagement.name())) return 1;
  std::string scheduling = config.Get("scheduling-target", "");
  if (!scheduling.empty() && !SeedScheduling(scheduling, token, tenant, engagement.name())) {
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: certpath-demo wait|seed --target=HOST:PORT [--token=T]\n");
    return 2;
  }
  std::string cmd = argv[1];
  auto config = certpath::Config::FromArgs(argc - 1, argv + 1);
  if (!config.ok()) return 2;
  if (cmd == "wait") return Wait(*config);
  if (cmd == "seed") return Seed(*config);
  return 2;
}
