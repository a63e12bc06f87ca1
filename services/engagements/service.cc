// What the engagements handlers share: parsing names, the tenant and
// write-gate checks, loading with authorization, and the one typed sequence
// of every change to an engagement (Mutate).
#include "services/engagements/service.h"

#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/retry.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/domain/events.h"
#include "services/engagements/domain/policy.h"
#include "services/engagements/domain/rules.h"
#include "services/engagements/internal.h"

namespace certpath::engagements {

namespace d = domain;
using certpath::common::v1::OutboxEvent;

EngagementsApi::EngagementsApi(EngagementStore& store, const Clock& clock,
                               const PageTokenCodec& tokens, const WriteGate& gate,
                               prometheus::Registry& registry)
    : store_(store),
      clock_(clock),
      tokens_(tokens),
      writable_(gate, [this](const std::string& t) { return store_.RegisterTenant(t); }),
      transitions_(prometheus::BuildCounter()
                       .Name("certpath_engagement_phase_transitions_total")
                       .Help("Phase transitions, by the phase entered")
                       .Register(registry)) {}

std::vector<OutboxEvent> EngagementsApi::Envelopes(
    const std::string& tenant, const std::string& subject, int64_t version,
    const std::vector<google::protobuf::Any>& payloads) const {
  std::vector<OutboxEvent> out;
  for (const auto& payload : payloads) {
    OutboxEvent& e = out.emplace_back();
    e.set_id(RandomUuid());
    std::string type = payload.type_url();
    e.set_type(type.substr(type.rfind('/') + 1));
    e.set_tenant(tenant);
    e.set_subject(subject);
    *e.mutable_create_time() = ToTimestamp(clock_.Now());
    *e.mutable_payload() = payload;
    e.set_producer("engagements");
    e.set_subject_version(version);
  }
  return out;
}

void EngagementsApi::Published(const std::vector<OutboxEvent>& events) {
  if (!events.empty() && on_event_) on_event_();
}

absl::StatusOr<EngagementsApi::EngagementRef> EngagementsApi::ParseEngagement(
    const Principal& p, absl::string_view field, const std::string& name) const {
  auto ids = ParseName(field, name, {"tenants", "engagements"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("engagement");
  return EngagementRef{(*ids)[0], (*ids)[1]};
}

absl::Status EngagementsApi::CheckTenantParent(const Principal& p, const std::string& parent,
                                               absl::string_view method) const {
  auto ids = ParseName("parent", parent, {"tenants"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("tenant");
  return d::EngagementsPolicy().Allow(p, method);
}

absl::Status EngagementsApi::CheckWritable(const Principal& p) {
  return writable_.Check(p.tenant());
}

void EngagementsApi::Present(v1::Engagement& e) const {
  e.set_state(d::EffectiveState(e, TokyoDay(clock_.Now())));
}

v1::Engagement EngagementsApi::Respond(const v1::Engagement& e, const std::string& etag) const {
  v1::Engagement out = e;
  out.set_etag(etag);
  Present(out);
  return out;
}

absl::StatusOr<Stored<v1::Engagement>> EngagementsApi::Load(const Principal& p,
                                                            const EngagementRef& ref,
                                                            absl::string_view method) {
  auto got = store_.GetEngagement(ref.tenant, ref.id);
  if (!got.ok()) return got.status();
  if (!got->has_value()) return NotFound("engagement");
  if (auto s = d::Authorize(p, ref.tenant, (*got)->value, method); !s.ok()) return s;
  return **std::move(got);
}

absl::Status EngagementsApi::SeeClient(const Principal& p, const std::string& tenant,
                                       const std::string& id, absl::string_view method) {
  bool visible = d::CanSeeClient(p, tenant, id);
  if (!visible && p.tenant() == tenant && p.role() == Principal::ROLE_PARTNER &&
      !p.organization().empty()) {
    // A partner sees the client of every engagement it is on.
    auto works = store_.PartnerWorksForClient(tenant, p.organization(), id);
    if (!works.ok()) return works.status();
    visible = *works;
  }
  if (!visible) return NotFound("client");
  return d::EngagementsPolicy().Allow(p, method);
}

absl::StatusOr<Stored<v1::Client>> EngagementsApi::LoadClient(const Principal& p,
                                                              absl::string_view field,
                                                              const std::string& name,
                                                              absl::string_view method) {
  auto ids = ParseName(field, name, {"tenants", "clients"});
  if (!ids.ok()) return ids.status();
  if (auto s = SeeClient(p, (*ids)[0], (*ids)[1], method); !s.ok()) return s;
  auto got = store_.GetClient((*ids)[0], (*ids)[1]);
  if (!got.ok()) return got.status();
  if (!got->has_value()) return NotFound("client");
  return **std::move(got);
}

absl::Status EngagementsApi::MutateMessage(const Principal& p, const EngagementRef& ref,
                                           const std::string& etag, const std::string& request_id,
                                           const google::protobuf::Message& request,
                                           absl::string_view method, const MessageChange& change,
                                           google::protobuf::Message* out, bool keep_for_good) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  Idem idem = store_.MakeIdem(ref.tenant, p, request_id, request, keep_for_good);
  return RetryOnConflict(!etag.empty(), [&]() -> absl::Status {
    // The engagement and the idempotency record in one round trip.
    auto got = store_.GetEngagementForUpdate(ref.tenant, ref.id, idem);
    if (!got.ok()) return got.status();
    if (!got->engagement) return NotFound("engagement");
    const Stored<v1::Engagement>& before = *got->engagement;
    // The same access check as a first call, before any stored response is answered.
    if (auto s = d::Authorize(p, ref.tenant, before.value, method); !s.ok()) return s;
    if (got->replay) {
      return out->ParseFromString(*got->replay) ? absl::OkStatus()
                                                : absl::InternalError("corrupt replay");
    }
    if (!etag.empty() && etag != before.value.etag()) return EtagMismatch();
    v1::Engagement after = before.value;
    out->Clear();
    auto effects = change(after, *out, std::to_string(before.version + 1));
    if (!effects.ok()) return effects.status();
    // What the change publishes, derived from it (domain/events.h), in its own step.
    auto payloads = d::EngagementEvents(&before.value, after);
    if (effects->finding) {
      const auto& f = *effects->finding;
      auto more = d::FindingEvents(f.before ? &f.before->value : nullptr, f.after);
      payloads.insert(payloads.end(), more.begin(), more.end());
    }
    int64_t version = before.version + (effects->engagement_changed ? 1 : 0);
    auto events = Envelopes(ref.tenant, ref.name(), version, payloads);
    effects->events.insert(effects->events.end(), events.begin(), events.end());
    auto saved = store_.SaveEngagement(ref.tenant, ref.id, before, after, *effects, idem,
                                       out->SerializeAsString());
    if (!saved.ok()) return saved.status();
    if (saved->replayed) {
      // A concurrent retry of this request committed first: answer with its response.
      return out->ParseFromString(saved->response) ? absl::OkStatus()
                                                   : absl::InternalError("corrupt replay");
    }
    Published(effects->events);
    if (after.phase() != before.value.phase()) {
      transitions_.Add({{"phase", v1::Phase_Name(after.phase())}}).Increment();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> EngagementsApi::AdminClientAction(
    const Principal& p, absl::string_view method, const std::string& name,
    const std::string& reason, const std::string& request_id) {
  auto ids = ParseName("name", name, {"tenants", "clients"});
  if (!ids.ok()) return ids.status();
  if (auto s = SeeClient(p, (*ids)[0], (*ids)[1], method); !s.ok()) return s;
  FieldViolations v;
  CheckText(v, "reason", reason, internal::kLongText, true, true);
  CheckRequestId(v, request_id);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return ids;
}

}  // namespace certpath::engagements
