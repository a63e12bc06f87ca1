// certpath-demo: what the local runner uses to talk to a running service.
//   certpath-demo wait --target=127.0.0.1:7101 [--timeout-seconds=30]
//       waits until grpc.health.v1 answers SERVING.
//   certpath-demo seed --target=... --token=TOKEN [--tenant=demo]
//       creates the demo client and engagement (idempotent: fixed request ids)
//       and prints their resource names.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "certpath/engagements/v1/engagements.grpc.pb.h"
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

template <typename Req, typename Resp>
bool Call(grpc::Status (v1::EngagementService::Stub::*method)(grpc::ClientContext*, const Req&,
                                                              Resp*),
          v1::EngagementService::Stub& stub, const std::string& token, const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx.AddMetadata(certpath::kPrincipalMetadataKey, token);
  grpc::Status s = (stub.*method)(&ctx, req, resp);
  if (!s.ok()) std::fprintf(stderr, "certpath-demo: %s\n", s.error_message().c_str());
  return s.ok();
}

google::type::Date Day(int y, int m, int d) {
  google::type::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
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
