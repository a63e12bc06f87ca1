#include "services/engagements/service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/retry.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/domain/rules.h"

namespace certpath::engagements {
namespace {

namespace d = domain;
using certpath::common::v1::OutboxEvent;
using google::protobuf::util::TimeUtil;

constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 500;
constexpr size_t kShortText = 200;    // names, titles
constexpr size_t kLongText = 4000;    // descriptions, advice, notes
constexpr size_t kMaxListItems = 50;  // departments, contacts, consultants, partners

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

// Checks the client fields named by `mask` (all of them when null).
void CheckClientFields(FieldViolations& v, const v1::Client& c,
                       const google::protobuf::FieldMask* mask = nullptr) {
  auto masked = [&](const char* path) { return mask == nullptr || MaskHas(*mask, path); };
  if (masked("display_name")) {
    CheckText(v, "client.display_name", c.display_name(), kShortText, /*required=*/true);
  }
  if (masked("departments")) {
    if (c.departments_size() > static_cast<int>(kMaxListItems)) {
      v.Add("client.departments", "too many");
    }
    for (int i = 0; i < c.departments_size(); ++i) {
      CheckText(v, absl::StrCat("client.departments[", i, "]"), c.departments(i), kShortText, true);
    }
  }
  if (!masked("contacts")) return;
  if (c.contacts_size() > static_cast<int>(kMaxListItems)) v.Add("client.contacts", "too many");
  for (int i = 0; i < c.contacts_size(); ++i) {
    const auto& ct = c.contacts(i);
    std::string f = absl::StrCat("client.contacts[", i, "]");
    CheckText(v, f + ".display_name", ct.display_name(), kShortText, true);
    CheckText(v, f + ".email", ct.email(), 254);
    if (!ct.email().empty() && ct.email().find('@') == std::string::npos) {
      v.Add(f + ".email", "not an e-mail address");
    }
    CheckText(v, f + ".department", ct.department(), kShortText);
    if (!v1::ContactRole_IsValid(ct.role()) || ct.role() == v1::CONTACT_ROLE_UNSPECIFIED) {
      v.Add(f + ".role", "unknown contact role");
    }
  }
}

constexpr char kErased[] = "（消去済み）";
constexpr int kMaxEngagementsPerClient = 200;

// The fields of an engagement a caller may set, by update_mask path.
constexpr const char* kEngagementPaths[] = {"department",
                                            "contact",
                                            "standard",
                                            "certification_body",
                                            "management_representative",
                                            "secretariat",
                                            "lead_consultant",
                                            "consultants",
                                            "partner_organizations",
                                            "contract_date",
                                            "support_start",
                                            "advisory_retainer_end"};

void CheckEngagementField(FieldViolations& v, const v1::Engagement& e, const std::string& path) {
  std::string f = "engagement." + path;
  if (path == "department") CheckText(v, f, e.department(), kShortText);
  if (path == "contact") CheckText(v, f, e.contact(), kShortText);
  if (path == "certification_body") CheckText(v, f, e.certification_body(), kShortText);
  if (path == "management_representative") {
    CheckText(v, f, e.management_representative(), kShortText);
  }
  if (path == "secretariat") CheckText(v, f, e.secretariat(), kShortText);
  if (path == "lead_consultant") CheckText(v, f, e.lead_consultant(), kShortText);
  if (path == "standard" && d::FindStandard(e.standard()) == nullptr) {
    v.Add(f, "unknown standard; one of ISO_IEC_27001_2022, ISO_9001_2015, ...");
  }
  if (path == "consultants") {
    if (e.consultants_size() > static_cast<int>(kMaxListItems)) v.Add(f, "too many");
    for (int i = 0; i < e.consultants_size(); ++i) {
      CheckText(v, absl::StrCat(f, "[", i, "]"), e.consultants(i), kShortText, true);
    }
  }
  if (path == "partner_organizations") {
    if (e.partner_organizations_size() > static_cast<int>(kMaxListItems)) v.Add(f, "too many");
    for (int i = 0; i < e.partner_organizations_size(); ++i) {
      if (!IsValidId(e.partner_organizations(i))) {
        v.Add(absl::StrCat(f, "[", i, "]"), "not a valid organization id");
      }
    }
  }
  if (path == "contract_date") CheckDate(v, f, e.contract_date(), false);
  if (path == "support_start") CheckDate(v, f, e.support_start(), true);
  if (path == "advisory_retainer_end") CheckDate(v, f, e.advisory_retainer_end(), false);
}

void CopyEngagementField(const v1::Engagement& from, v1::Engagement& to, const std::string& path) {
  const auto* field = v1::Engagement::descriptor()->FindFieldByName(path);
  const auto* refl = v1::Engagement::GetReflection();
  to.GetReflection()->ClearField(&to, field);
  if (field->is_repeated()) {
    for (int i = 0; i < refl->FieldSize(from, field); ++i) {
      to.GetReflection()->AddString(&to, field, refl->GetRepeatedString(from, field, i));
    }
  } else if (field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
    to.GetReflection()->MutableMessage(&to, field)->CopyFrom(refl->GetMessage(from, field));
  } else {
    to.GetReflection()->SetString(&to, field, refl->GetString(from, field));
  }
}

void CheckFindingFields(FieldViolations& v, const v1::Finding& f, bool create) {
  if (create || f.source() != v1::FINDING_SOURCE_UNSPECIFIED) {
    if (!v1::FindingSource_IsValid(f.source()) || f.source() == v1::FINDING_SOURCE_UNSPECIFIED) {
      v.Add("finding.source", "required: INTERNAL_AUDIT, STAGE1, STAGE2 or SURVEILLANCE");
    }
  }
  if (!v1::FindingGrade_IsValid(f.grade()) || f.grade() == v1::FINDING_GRADE_UNSPECIFIED) {
    v.Add("finding.grade", "required: CONCERN, MINOR_NC, MAJOR_NC or OBSERVATION");
  }
  CheckText(v, "finding.clause", f.clause(), 32);
  CheckText(v, "finding.description", f.description(), kLongText, true, true);
  CheckText(v, "finding.advice", f.advice(), kLongText, false, true);
  CheckText(v, "finding.corrective_action", f.corrective_action(), kLongText, false, true);
  CheckText(v, "finding.evidence", f.evidence(), kLongText, false, true);
  CheckDate(v, "finding.corrective_action_due", f.corrective_action_due(), false);
  if (!v1::FindingState_IsValid(f.state())) v.Add("finding.state", "unknown state");
}

}  // namespace

EngagementService::EngagementService(EngagementStore& store, const Clock& clock,
                                     const PageTokenCodec& tokens, const WriteGate& gate,
                                     prometheus::Registry& registry)
    : store_(store),
      clock_(clock),
      tokens_(tokens),
      writable_(gate, [this](const std::string& t) { return store_.RegisterTenant(t); }),
      transitions_(prometheus::BuildCounter()
                       .Name("certpath_engagement_phase_transitions_total")
                       .Help("Phase transitions, by the phase entered")
                       .Register(registry)),
      stage1_events_(prometheus::BuildCounter()
                         .Name("certpath_engagement_stage1_passed_events_total")
                         .Help("Stage1Passed events written to the outbox")
                         .Register(registry)
                         .Add({})) {}

absl::StatusOr<EngagementService::EngagementRef> EngagementService::ParseEngagement(
    const Principal& p, absl::string_view field, const std::string& name) const {
  auto ids = ParseName(field, name, {"tenants", "engagements"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("engagement");
  return EngagementRef{(*ids)[0], (*ids)[1]};
}

absl::Status EngagementService::CheckTenantParent(const Principal& p,
                                                  const std::string& parent) const {
  auto ids = ParseName("parent", parent, {"tenants"});
  if (!ids.ok()) return ids.status();
  return (*ids)[0] == p.tenant() ? absl::OkStatus() : NotFound("tenant");
}

absl::Status EngagementService::CheckWritable(const Principal& p) {
  return writable_.Check(p.tenant());
}

Idem EngagementService::MakeIdem(const Principal& p, const std::string& tenant,
                                 const std::string& request_id,
                                 const google::protobuf::Message& request) const {
  if (request_id.empty()) return {};
  return Idem{EngagementStore::IdemKey(tenant, p, request_id), Fingerprint(request)};
}

void EngagementService::Present(v1::Engagement& e) const {
  e.set_state(d::EffectiveState(e, TokyoDay(clock_.Now())));
}

absl::StatusOr<Stored<v1::Engagement>> EngagementService::Load(const Principal& p,
                                                               const EngagementRef& ref,
                                                               int action) {
  auto got = store_.GetEngagement(ref.tenant, ref.id);
  if (!got.ok()) return got.status();
  if (!got->has_value()) return NotFound("engagement");
  auto s = d::Authorize(p, ref.tenant, (*got)->value, static_cast<d::Action>(action));
  if (!s.ok()) return s;
  return **std::move(got);
}

absl::Status EngagementService::MutateEngagement(const Principal& p, const std::string& name,
                                                 const std::string& etag,
                                                 const std::string& request_id,
                                                 const google::protobuf::Message& request,
                                                 int action, const Change& change,
                                                 google::protobuf::Message* out, const Save& save) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  auto ref = ParseEngagement(p, "name", name);
  if (!ref.ok()) return ref.status();
  Idem idem = MakeIdem(p, ref->tenant, request_id, request);
  // A concurrent change: try again on fresh data unless the caller pinned an etag.
  return RetryOnConflict(!etag.empty(), [&]() -> absl::Status {
    auto got = store_.GetEngagementForUpdate(ref->tenant, ref->id, idem);
    if (!got.ok()) return got.status();
    if (!got->engagement) return NotFound("engagement");
    const Stored<v1::Engagement>& before = *got->engagement;
    // The same access check as a first call, before any stored response is answered.
    if (auto s = d::Authorize(p, ref->tenant, before.value, static_cast<d::Action>(action));
        !s.ok()) {
      return s;
    }
    if (got->replay) {
      if (!out->ParseFromString(*got->replay)) return absl::InternalError("corrupt replay");
      return absl::OkStatus();
    }
    if (!etag.empty() && etag != before.value.etag()) return EtagMismatch();
    v1::Engagement after = before.value;
    std::string new_etag = std::to_string(before.version + 1);
    OutboxEvent event;
    bool emit = false;
    out->Clear();
    if (auto s = change(after, new_etag, &event, &emit, out); !s.ok()) return s;
    std::string response = out->SerializeAsString();
    auto saved = save ? save(ref->tenant, ref->id, before, after, idem, response)
                      : store_.SaveEngagement(ref->tenant, ref->id, before, after,
                                              emit ? &event : nullptr, idem, response);
    if (saved.ok()) {
      if (emit) {
        stage1_events_.Increment();
        if (on_event_) on_event_();
      }
      return absl::OkStatus();
    }
    return saved;
  });
}

// ------------------------------------------------------------------ clients

absl::Status EngagementService::CreateClient(const Principal& p, const v1::CreateClientRequest& req,
                                             v1::Client* out) {
  if (auto s = CheckTenantParent(p, req.parent()); !s.ok()) return s;
  if (!d::IsOfficeStaff(p)) return PermissionDenied("only office staff create clients");
  FieldViolations v;
  CheckClientFields(v, req.client());
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  std::string id = RandomHex(8);
  v1::Client c;
  c.set_name(absl::StrCat("tenants/", p.tenant(), "/clients/", id));
  c.set_display_name(req.client().display_name());
  *c.mutable_departments() = req.client().departments();
  *c.mutable_contacts() = req.client().contacts();
  absl::Time now = clock_.Now();
  *c.mutable_create_time() = Ts(now);
  *c.mutable_update_time() = Ts(now);
  auto created =
      store_.CreateClient(p.tenant(), id, c, MakeIdem(p, p.tenant(), req.request_id(), req));
  if (!created.ok()) return created.status();
  *out = *std::move(created);
  return absl::OkStatus();
}

absl::StatusOr<Stored<v1::Client>> EngagementService::LoadClient(const Principal& p,
                                                                 absl::string_view field,
                                                                 const std::string& name) {
  auto ids = ParseName(field, name, {"tenants", "clients"});
  if (!ids.ok()) return ids.status();
  const std::string &tenant = (*ids)[0], &id = (*ids)[1];
  bool visible = d::CanSeeClient(p, tenant, id);
  if (!visible && p.tenant() == tenant && p.role() == Principal::ROLE_PARTNER &&
      !p.organization().empty()) {
    // A partner sees the client of every engagement it is on.
    auto works = store_.PartnerWorksForClient(tenant, p.organization(), id);
    if (!works.ok()) return works.status();
    visible = *works;
  }
  if (!visible) return NotFound("client");
  auto got = store_.GetClient(tenant, id);
  if (!got.ok()) return got.status();
  if (!got->has_value()) return NotFound("client");
  return **std::move(got);
}

absl::Status EngagementService::GetClient(const Principal& p, const v1::GetClientRequest& req,
                                          v1::Client* out) {
  auto c = LoadClient(p, "name", req.name());
  if (!c.ok()) return c.status();
  *out = std::move(c->value);
  return absl::OkStatus();
}

absl::Status EngagementService::ListClients(const Principal& p, const v1::ListClientsRequest& req,
                                            v1::ListClientsResponse* out) {
  if (auto s = CheckTenantParent(p, req.parent()); !s.ok()) return s;
  if (!d::IsOfficeStaff(p)) return PermissionDenied("only office staff list clients");
  auto size = ResolvePageSize(req.page_size(), kDefaultPage, kMaxPage);
  if (!size.ok()) return size.status();
  uint64_t fp = QueryFingerprint({"clients", req.parent()});
  auto after = tokens_.DecodeOrStart(req.page_token(), fp);
  if (!after.ok()) return after.status();
  auto page = store_.ListClients(p.tenant(), *after, *size);
  if (!page.ok()) return page.status();
  return FillPage<v1::ListClientsResponse, v1::Client>(
      *page, tokens_, fp, out, &v1::ListClientsResponse::add_clients, DecodeWithEtag<v1::Client>);
}

absl::Status EngagementService::UpdateClient(const Principal& p, const v1::UpdateClientRequest& req,
                                             v1::Client* out) {
  static constexpr const char* kPaths[] = {"display_name", "departments", "contacts"};
  auto ids = ParseName("client.name", req.client().name(), {"tenants", "clients"});
  if (!ids.ok()) return ids.status();
  if (!d::CanSeeClient(p, (*ids)[0], (*ids)[1])) return NotFound("client");
  if (!d::IsOfficeStaff(p)) return PermissionDenied("only office staff edit clients");
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kPaths);
  // AIP-134: only the masked fields are read, so only they are checked.
  CheckClientFields(v, req.client(), &req.update_mask());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  const std::string& etag = req.client().etag();
  return RetryOnConflict(!etag.empty(), [&]() -> absl::Status {
    auto before = LoadClient(p, "client.name", req.client().name());
    if (!before.ok()) return before.status();
    if (!etag.empty() && etag != before->value.etag()) return EtagMismatch();
    v1::Client c = before->value;
    FieldViolations mv;
    ApplyUpdateMask(mv, req.update_mask(), kPaths, req.client(), &c);
    if (auto s = mv.ToStatus(); !s.ok()) return s;
    *c.mutable_update_time() = Ts(clock_.Now());
    auto saved = store_.SaveClient((*ids)[0], (*ids)[1], c, *before, Idem{}, {});
    if (!saved.ok()) return saved.status();
    *out = *std::move(saved);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> EngagementService::AdminClientAction(
    const Principal& p, const std::string& name, const std::string& reason,
    const std::string& request_id) {
  auto ids = ParseName("name", name, {"tenants", "clients"});
  if (!ids.ok()) return ids.status();
  if (!d::CanSeeClient(p, (*ids)[0], (*ids)[1])) return NotFound("client");
  if (p.role() != Principal::ROLE_OFFICE_ADMIN) {
    return PermissionDenied("only an office admin deletes a client or erases its personal data");
  }
  FieldViolations v;
  CheckText(v, "reason", reason, kLongText, true, true);
  CheckRequestId(v, request_id);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return ids;
}

absl::Status EngagementService::DeleteClient(const Principal& p, const v1::DeleteClientRequest& req,
                                             v1::Client* out) {
  auto ids = AdminClientAction(p, req.name(), req.reason(), req.request_id());
  if (!ids.ok()) return ids.status();
  Idem idem = MakeIdem(p, (*ids)[0], req.request_id(), req);
  // A retry of a delete that went through answers with its tombstone.
  auto replay = store_.ReadReplay(idem);
  if (!replay.ok()) return replay.status();
  if (replay->has_value()) {
    return out->ParseFromString(**replay) ? absl::OkStatus()
                                          : absl::InternalError("corrupt replay");
  }
  auto before = LoadClient(p, "name", req.name());
  if (!before.ok()) return before.status();
  if (!req.etag().empty() && req.etag() != before->value.etag()) return EtagMismatch();
  v1::Client tombstone;
  tombstone.set_name(before->value.name());
  tombstone.set_display_name(before->value.display_name());
  *tombstone.mutable_create_time() = before->value.create_time();
  tombstone.set_deleted_by(p.subject());
  *tombstone.mutable_delete_time() = Ts(clock_.Now());
  tombstone.set_delete_reason(req.reason());
  auto deleted = store_.DeleteClient((*ids)[0], (*ids)[1], *before, tombstone, idem);
  if (!deleted.ok()) {
    if (ErrorReason(deleted.status()) == "HAS_DEPENDENTS") {
      return FailedPrecondition("CLIENT_HAS_ENGAGEMENTS",
                                "the client has engagements; only a client without engagements "
                                "is deleted (erase its personal data instead)");
    }
    return deleted.status();
  }
  *out = *std::move(deleted);
  return absl::OkStatus();
}

absl::Status EngagementService::EraseClientPersonalData(
    const Principal& p, const v1::EraseClientPersonalDataRequest& req, v1::Client* out) {
  auto ids = AdminClientAction(p, req.name(), req.reason(), req.request_id());
  if (!ids.ok()) return ids.status();
  Idem idem = MakeIdem(p, (*ids)[0], req.request_id(), req);
  return RetryOnConflict(false, [&]() -> absl::Status {
    auto replay = store_.ReadReplay(idem);
    if (!replay.ok()) return replay.status();
    if (replay->has_value()) {
      return out->ParseFromString(**replay) ? absl::OkStatus()
                                            : absl::InternalError("corrupt replay");
    }
    auto before = LoadClient(p, "name", req.name());
    if (!before.ok()) return before.status();
    auto engagements = store_.EngagementsOfClient((*ids)[0], (*ids)[1], kMaxEngagementsPerClient);
    if (!engagements.ok()) return engagements.status();
    absl::Time now = clock_.Now();
    v1::Client c = before->value;
    for (auto& ct : *c.mutable_contacts()) {
      ct.set_display_name(kErased);
      ct.clear_email();
    }
    c.set_erased_by(p.subject());
    *c.mutable_erase_time() = Ts(now);
    c.set_erasure_reason(req.reason());
    *c.mutable_update_time() = Ts(now);
    std::vector<std::pair<Stored<v1::Engagement>, v1::Engagement>> changed;
    for (auto& e : *engagements) {
      v1::Engagement after = e.value;
      for (std::string* person :
           {after.mutable_contact(), after.mutable_management_representative(),
            after.mutable_secretariat()}) {
        if (!person->empty()) *person = kErased;
      }
      *after.mutable_update_time() = Ts(now);
      changed.emplace_back(std::move(e), std::move(after));
    }
    auto saved = store_.SaveClient((*ids)[0], (*ids)[1], c, *before, idem, changed);
    if (!saved.ok()) return saved.status();
    *out = *std::move(saved);
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------------ engagements

absl::Status EngagementService::CreateEngagement(const Principal& p,
                                                 const v1::CreateEngagementRequest& req,
                                                 v1::Engagement* out) {
  if (auto s = CheckTenantParent(p, req.parent()); !s.ok()) return s;
  if (!d::IsOfficeStaff(p)) return PermissionDenied("only office staff create engagements");
  const v1::Engagement& in = req.engagement();
  FieldViolations v;
  auto client = ParseName("engagement.client", in.client(), {"tenants", "clients"});
  if (!client.ok()) {
    v.Add("engagement.client", "required: tenants/{tenant}/clients/{client}");
  }
  for (const char* path : kEngagementPaths) CheckEngagementField(v, in, path);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if ((*client)[0] != p.tenant()) return NotFound("client");
  if (auto s = CheckWritable(p); !s.ok()) return s;

  std::string id = RandomHex(8);
  v1::Engagement e;
  e.set_name(absl::StrCat("tenants/", p.tenant(), "/engagements/", id));
  e.set_client(in.client());
  for (const char* path : kEngagementPaths) CopyEngagementField(in, e, path);
  absl::Time now = clock_.Now();
  d::InitializeEngagement(e, now);
  auto created = store_.CreateEngagement(
      p.tenant(), id, e, MakeIdem(p, p.tenant(), req.request_id(), req), TokyoDay(now));
  if (!created.ok()) return created.status();
  *out = *std::move(created);
  Present(*out);
  return absl::OkStatus();
}

absl::Status EngagementService::GetEngagement(const Principal& p,
                                              const v1::GetEngagementRequest& req,
                                              v1::Engagement* out) {
  auto ref = ParseEngagement(p, "name", req.name());
  if (!ref.ok()) return ref.status();
  auto e = Load(p, *ref, static_cast<int>(d::Action::kRead));
  if (!e.ok()) return e.status();
  *out = std::move(e->value);
  Present(*out);
  return absl::OkStatus();
}

absl::Status EngagementService::ListEngagements(const Principal& p,
                                                const v1::ListEngagementsRequest& req,
                                                v1::ListEngagementsResponse* out) {
  if (auto s = CheckTenantParent(p, req.parent()); !s.ok()) return s;
  FieldViolations v;
  if (!v1::Phase_IsValid(req.phase())) v.Add("phase", "unknown phase");
  if (!v1::EngagementState_IsValid(req.state())) v.Add("state", "unknown state");
  CheckText(v, "consultant", req.consultant(), kShortText);
  EngagementFilter f;
  f.phase = req.phase();
  f.state = req.state();
  f.consultant = req.consultant();
  f.partner = req.partner_organization();
  if (!f.partner.empty() && !IsValidId(f.partner)) v.Add("partner_organization", "not a valid id");
  if (!req.client().empty()) {
    auto c = ParseName("client", req.client(), {"tenants", "clients"});
    if (!c.ok()) {
      v.Add("client", "must look like tenants/{tenant}/clients/{client}");
    } else {
      f.client_id = (*c)[1];
    }
  }
  auto size = ResolvePageSize(req.page_size(), kDefaultPage, kMaxPage);
  if (!size.ok()) return size.status();
  if (auto s = v.ToStatus(); !s.ok()) return s;
  // Partners and clients see only their own: their scope is a filter they cannot widen.
  std::string* scope = p.role() == Principal::ROLE_PARTNER  ? &f.partner
                       : p.role() == Principal::ROLE_CLIENT ? &f.client_id
                                                            : nullptr;
  if (scope != nullptr) {
    if (p.organization().empty() || (!scope->empty() && *scope != p.organization())) {
      return absl::OkStatus();  // nothing of theirs matches
    }
    *scope = p.organization();
  }
  uint64_t fp = QueryFingerprint({"engagements", req.parent(), std::to_string(f.phase),
                                  std::to_string(f.state), f.consultant, f.client_id, f.partner});
  auto after = tokens_.DecodeOrStart(req.page_token(), fp);
  if (!after.ok()) return after.status();
  auto page = store_.ListEngagements(p.tenant(), f, *after, *size, TokyoDay(clock_.Now()));
  if (!page.ok()) return page.status();
  return FillPage<v1::ListEngagementsResponse, v1::Engagement>(
      *page, tokens_, fp, out, &v1::ListEngagementsResponse::add_engagements,
      [this](const Record& r, v1::Engagement* e) {
        if (auto s = DecodeWithEtag(r, e); !s.ok()) return s;
        Present(*e);
        return absl::OkStatus();
      });
}

absl::Status EngagementService::UpdateEngagement(const Principal& p,
                                                 const v1::UpdateEngagementRequest& req,
                                                 v1::Engagement* out) {
  const v1::Engagement& in = req.engagement();
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kEngagementPaths);
  // Unknown paths validate nothing (CheckEngagementField matches known names only).
  for (const auto& path : req.update_mask().paths()) CheckEngagementField(v, in, path);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return MutateEngagement(
      p, in.name(), in.etag(), "", req, static_cast<int>(d::Action::kManage),
      [&](v1::Engagement& e, const std::string& etag, OutboxEvent*, bool*,
          google::protobuf::Message* msg) -> absl::Status {
        for (const auto& path : req.update_mask().paths()) {
          if (path == "standard" && e.phase() != v1::PHASE_PREPARATION) {
            return FailedPrecondition("WRONG_PHASE", "the standard is fixed after preparation");
          }
          CopyEngagementField(in, e, path);
        }
        if (auto start = ToCivilDay(e.support_start())) {
          *e.mutable_support_end() =
              ToDate(d::SupportEnd(*start, ToCivilDay(e.registration_date())));
        }
        *e.mutable_update_time() = Ts(clock_.Now());
        auto* resp = static_cast<v1::Engagement*>(msg);
        *resp = e;
        resp->set_etag(etag);
        Present(*resp);
        return absl::OkStatus();
      },
      out);
}

namespace {
// The usual ending of an engagement mutation: the response is the engagement.
absl::Status Respond(v1::Engagement& e, const std::string& etag, google::protobuf::Message* msg,
                     absl::CivilDay today) {
  auto* resp = static_cast<v1::Engagement*>(msg);
  *resp = e;
  resp->set_etag(etag);
  resp->set_state(d::EffectiveState(e, today));
  return absl::OkStatus();
}
}  // namespace

absl::Status EngagementService::AdvancePhase(const Principal& p, const v1::AdvancePhaseRequest& req,
                                             v1::Engagement* out) {
  FieldViolations v;
  CheckText(v, "override_reason", req.override_reason(), kLongText, false, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  absl::Status st = MutateEngagement(
      p, req.name(), req.etag(), req.request_id(), req, static_cast<int>(d::Action::kManage),
      [&](v1::Engagement& e, const std::string& etag, OutboxEvent*, bool*,
          google::protobuf::Message* msg) {
        absl::Time now = clock_.Now();
        if (auto s = d::AdvancePhase(e, p, req.override_reason(), now); !s.ok()) return s;
        return Respond(e, etag, msg, TokyoDay(now));
      },
      out);
  if (st.ok()) transitions_.Add({{"phase", v1::Phase_Name(out->phase())}}).Increment();
  return st;
}

absl::Status EngagementService::TerminateEngagement(const Principal& p,
                                                    const v1::TerminateEngagementRequest& req,
                                                    v1::Engagement* out) {
  FieldViolations v;
  CheckText(v, "reason", req.reason(), kLongText, true, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return MutateEngagement(
      p, req.name(), req.etag(), req.request_id(), req, static_cast<int>(d::Action::kAdminOnly),
      [&](v1::Engagement& e, const std::string& etag, OutboxEvent*, bool*,
          google::protobuf::Message* msg) {
        absl::Time now = clock_.Now();
        if (auto s = d::Terminate(e, p, req.reason(), now); !s.ok()) return s;
        return Respond(e, etag, msg, TokyoDay(now));
      },
      out);
}

absl::Status EngagementService::ListTasks(const Principal& p, const v1::ListTasksRequest& req,
                                          v1::ListTasksResponse* out) {
  auto ref = ParseEngagement(p, "parent", req.parent());
  if (!ref.ok()) return ref.status();
  if (!v1::Phase_IsValid(req.phase())) return InvalidArgument("phase", "unknown phase");
  auto e = Load(p, *ref, static_cast<int>(d::Action::kRead));
  if (!e.ok()) return e.status();
  for (auto& t : d::ListTasks(e->value, req.phase())) *out->add_tasks() = std::move(t);
  return absl::OkStatus();
}

absl::Status EngagementService::UpdateTask(const Principal& p, const v1::UpdateTaskRequest& req,
                                           v1::Task* out) {
  auto ids = ParseName("name", req.name(), {"tenants", "engagements", "tasks"});
  if (!ids.ok()) return ids.status();
  FieldViolations v;
  if (!v1::TaskStatus_IsValid(req.status()) || req.status() == v1::TASK_STATUS_UNSPECIFIED) {
    v.Add("status", "required: OPEN, DONE or NOT_APPLICABLE");
  }
  CheckText(v, "note", req.note(), kLongText, false, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  std::string name = absl::StrCat("tenants/", (*ids)[0], "/engagements/", (*ids)[1]);
  return MutateEngagement(
      p, name, req.etag(), "", req, static_cast<int>(d::Action::kRead),
      [&](v1::Engagement& e, const std::string&, OutboxEvent*, bool*,
          google::protobuf::Message* msg) {
        auto task = d::UpdateTask(e, p, (*ids)[2], req.status(), req.note(), clock_.Now());
        if (!task.ok()) return task.status();
        *static_cast<v1::Task*>(msg) = *std::move(task);
        return absl::OkStatus();
      },
      out);
}

absl::Status EngagementService::RecordAuditResult(const Principal& p,
                                                  const v1::RecordAuditResultRequest& req,
                                                  v1::Engagement* out) {
  FieldViolations v;
  if (req.stage() != v1::AUDIT_STAGE_1 && req.stage() != v1::AUDIT_STAGE_2) {
    v.Add("stage", "required: AUDIT_STAGE_1 or AUDIT_STAGE_2");
  }
  if (!v1::AuditOutcome_IsValid(req.outcome()) || req.outcome() == v1::AUDIT_OUTCOME_UNSPECIFIED) {
    v.Add("outcome", "required");
  }
  CheckDate(v, "audit_date", req.audit_date(), true);
  CheckText(v, "note", req.note(), kLongText, false, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return MutateEngagement(
      p, req.name(), req.etag(), req.request_id(), req, static_cast<int>(d::Action::kManage),
      [&](v1::Engagement& e, const std::string& etag, OutboxEvent* event, bool* emit,
          google::protobuf::Message* msg) {
        absl::Time now = clock_.Now();
        auto date = *ToCivilDay(req.audit_date());
        if (auto s =
                d::RecordAuditResult(e, p, req.stage(), req.outcome(), date, req.note(), now, emit);
            !s.ok()) {
          return s;
        }
        if (*emit) {
          v1::Stage1Passed payload;
          payload.set_engagement(e.name());
          payload.set_reference_number(e.reference_number());
          payload.set_client(e.client());
          *payload.mutable_audit_date() = req.audit_date();
          event->set_id(RandomUuid());
          event->set_type("certpath.engagements.v1.Stage1Passed");
          event->set_tenant(p.tenant());
          event->set_subject(e.name());
          *event->mutable_create_time() = Ts(now);
          event->mutable_payload()->PackFrom(payload);
        }
        return Respond(e, etag, msg, TokyoDay(now));
      },
      out);
}

absl::Status EngagementService::RecordManagementReview(const Principal& p,
                                                       const v1::RecordManagementReviewRequest& req,
                                                       v1::Engagement* out) {
  FieldViolations v;
  CheckDate(v, "review_date", req.review_date(), true);
  CheckText(v, "instructions", req.instructions(), kLongText, false, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return MutateEngagement(
      p, req.name(), req.etag(), req.request_id(), req, static_cast<int>(d::Action::kManage),
      [&](v1::Engagement& e, const std::string& etag, OutboxEvent*, bool*,
          google::protobuf::Message* msg) {
        absl::Time now = clock_.Now();
        if (auto s =
                d::RecordManagementReview(e, p, *ToCivilDay(req.review_date()),
                                          req.top_management_approved(), req.instructions(), now);
            !s.ok()) {
          return s;
        }
        return Respond(e, etag, msg, TokyoDay(now));
      },
      out);
}

absl::Status EngagementService::RecordRegistration(const Principal& p,
                                                   const v1::RecordRegistrationRequest& req,
                                                   v1::Engagement* out) {
  FieldViolations v;
  CheckDate(v, "registration_date", req.registration_date(), true);
  CheckText(v, "certificate_number", req.certificate_number(), 64);
  CheckText(v, "override_reason", req.override_reason(), kLongText, false, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  absl::Status st = MutateEngagement(
      p, req.name(), req.etag(), req.request_id(), req, static_cast<int>(d::Action::kManage),
      [&](v1::Engagement& e, const std::string& etag, OutboxEvent*, bool*,
          google::protobuf::Message* msg) {
        absl::Time now = clock_.Now();
        if (auto s = d::RecordRegistration(e, p, *ToCivilDay(req.registration_date()),
                                           req.certificate_number(), req.override_reason(), now);
            !s.ok()) {
          return s;
        }
        return Respond(e, etag, msg, TokyoDay(now));
      },
      out);
  if (st.ok()) transitions_.Add({{"phase", v1::Phase_Name(out->phase())}}).Increment();
  return st;
}

// ------------------------------------------------------------------ findings

absl::Status EngagementService::CreateFinding(const Principal& p,
                                              const v1::CreateFindingRequest& req,
                                              v1::Finding* out) {
  FieldViolations v;
  CheckFindingFields(v, req.finding(), /*create=*/true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  std::string id = RandomHex(8);
  return MutateEngagement(
      p, req.parent(), "", req.request_id(), req, static_cast<int>(d::Action::kWriteFinding),
      [&](v1::Engagement& e, const std::string&, OutboxEvent*, bool*,
          google::protobuf::Message*) -> absl::Status {
        if (auto s = d::CheckFindingCreate(p, req.finding()); !s.ok()) return s;
        if (e.state() == v1::ENGAGEMENT_STATE_TERMINATED) {
          return FailedPrecondition("ENGAGEMENT_NOT_ACTIVE", "the engagement was terminated");
        }
        *out = req.finding();
        out->set_name(absl::StrCat(e.name(), "/findings/", id));
        out->clear_closed_by();
        out->clear_close_time();
        if (out->state() == v1::FINDING_STATE_UNSPECIFIED) out->set_state(v1::FINDING_STATE_OPEN);
        absl::Time now = clock_.Now();
        *out->mutable_create_time() = Ts(now);
        *out->mutable_update_time() = Ts(now);
        d::RecordFindingClosure(nullptr, *out, p, now);
        out->set_etag("1");
        d::ApplyFindingChange(e, nullptr, *out);
        return absl::OkStatus();
      },
      out,
      [&](const std::string& tenant, const std::string& eid, const Stored<v1::Engagement>& before,
          const v1::Engagement& after, const Idem& idem, const std::string& response) {
        return store_.SaveFinding(tenant, eid, id, before, after, nullptr, *out, idem, response);
      });
}

absl::Status EngagementService::UpdateFinding(const Principal& p,
                                              const v1::UpdateFindingRequest& req,
                                              v1::Finding* out) {
  auto ids =
      ParseName("finding.name", req.finding().name(), {"tenants", "engagements", "findings"});
  if (!ids.ok()) return ids.status();
  static constexpr const char* kPaths[] = {"source",
                                           "grade",
                                           "clause",
                                           "description",
                                           "advice",
                                           "corrective_action",
                                           "corrective_action_due",
                                           "state",
                                           "evidence"};
  std::string name = absl::StrCat("tenants/", (*ids)[0], "/engagements/", (*ids)[1]);
  Stored<v1::Finding> before;
  return MutateEngagement(
      p, name, "", "", req, static_cast<int>(d::Action::kWriteFinding),
      [&](v1::Engagement& e, const std::string&, OutboxEvent*, bool*,
          google::protobuf::Message*) -> absl::Status {
        FieldViolations v;
        CheckUpdateMask(v, req.update_mask(), kPaths);
        if (auto s = v.ToStatus(); !s.ok()) return s;
        if (auto s = d::CheckFindingUpdate(p, req.update_mask()); !s.ok()) return s;
        auto got = store_.GetFinding((*ids)[0], (*ids)[1], (*ids)[2]);
        if (!got.ok()) return got.status();
        if (!got->has_value()) return NotFound("finding");
        before = **got;
        if (!req.finding().etag().empty() && req.finding().etag() != before.value.etag()) {
          return EtagMismatch();
        }
        *out = before.value;
        ApplyUpdateMask(v, req.update_mask(), kPaths, req.finding(), out);
        if (auto s = v.ToStatus(); !s.ok()) return s;
        FieldViolations fv;
        CheckFindingFields(fv, *out, /*create=*/false);
        if (auto s = fv.ToStatus(); !s.ok()) return s;
        absl::Time now = clock_.Now();
        *out->mutable_update_time() = Ts(now);
        d::RecordFindingClosure(&before.value, *out, p, now);
        out->set_etag(std::to_string(before.version + 1));
        d::ApplyFindingChange(e, &before.value, *out);
        return absl::OkStatus();
      },
      out,
      [&](const std::string& tenant, const std::string& eid, const Stored<v1::Engagement>& eng,
          const v1::Engagement& after, const Idem& idem, const std::string& response) {
        return store_.SaveFinding(tenant, eid, (*ids)[2], eng, after, &before, *out, idem,
                                  response);
      });
}

absl::Status EngagementService::ListFindings(const Principal& p, const v1::ListFindingsRequest& req,
                                             v1::ListFindingsResponse* out) {
  auto ref = ParseEngagement(p, "parent", req.parent());
  if (!ref.ok()) return ref.status();
  auto size = ResolvePageSize(req.page_size(), kDefaultPage, kMaxPage);
  if (!size.ok()) return size.status();
  uint64_t fp = QueryFingerprint({"findings", req.parent(), req.open_only() ? "open" : "all"});
  auto after = tokens_.DecodeOrStart(req.page_token(), fp);
  if (!after.ok()) return after.status();
  auto e = Load(p, *ref, static_cast<int>(d::Action::kRead));
  if (!e.ok()) return e.status();
  auto page = store_.ListFindings(ref->tenant, ref->id, req.open_only(), *after, *size);
  if (!page.ok()) return page.status();
  return FillPage<v1::ListFindingsResponse, v1::Finding>(*page, tokens_, fp, out,
                                                         &v1::ListFindingsResponse::add_findings,
                                                         DecodeWithEtag<v1::Finding>);
}

// ------------------------------------------------------------------ inquiries

absl::Status EngagementService::CreateInquiry(const Principal& p,
                                              const v1::CreateInquiryRequest& req,
                                              v1::Inquiry* out) {
  FieldViolations v;
  CheckText(v, "inquiry.subject", req.inquiry().subject(), kShortText, true);
  CheckText(v, "inquiry.body", req.inquiry().body(), 20000, true, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  std::string id = RandomHex(8);
  return MutateEngagement(
      p, req.parent(), "", req.request_id(), req, static_cast<int>(d::Action::kAskInquiry),
      [&](v1::Engagement& e, const std::string&, OutboxEvent*, bool*,
          google::protobuf::Message*) -> absl::Status {
        absl::Time now = clock_.Now();
        auto coverage = d::InquiryCoverageFor(e, TokyoDay(now));
        if (!coverage.ok()) return coverage.status();
        out->set_name(absl::StrCat(e.name(), "/inquiries/", id));
        out->set_subject(req.inquiry().subject());
        out->set_body(req.inquiry().body());
        out->set_asked_by(p.subject());
        *out->mutable_ask_time() = Ts(now);
        out->set_coverage(*coverage);
        out->set_etag("1");
        return absl::OkStatus();
      },
      out,
      [&](const std::string& tenant, const std::string& eid, const Stored<v1::Engagement>& eng,
          const v1::Engagement&, const Idem& idem, const std::string& response) {
        return store_.SaveInquiry(tenant, eid, id, eng, nullptr, *out, idem, response);
      });
}

absl::Status EngagementService::AnswerInquiry(const Principal& p,
                                              const v1::AnswerInquiryRequest& req,
                                              v1::Inquiry* out) {
  auto ids = ParseName("name", req.name(), {"tenants", "engagements", "inquiries"});
  if (!ids.ok()) return ids.status();
  FieldViolations v;
  CheckText(v, "answer", req.answer(), 20000, true, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  std::string name = absl::StrCat("tenants/", (*ids)[0], "/engagements/", (*ids)[1]);
  Stored<v1::Inquiry> before;
  return MutateEngagement(
      p, name, "", "", req, static_cast<int>(d::Action::kAnswerInquiry),
      [&](v1::Engagement&, const std::string&, OutboxEvent*, bool*,
          google::protobuf::Message*) -> absl::Status {
        auto got = store_.GetInquiry((*ids)[0], (*ids)[1], (*ids)[2]);
        if (!got.ok()) return got.status();
        if (!got->has_value()) return NotFound("inquiry");
        before = **got;
        if (!req.etag().empty() && req.etag() != before.value.etag()) return EtagMismatch();
        *out = before.value;
        out->set_answer(req.answer());
        out->set_answered_by(p.subject());
        *out->mutable_answer_time() = Ts(clock_.Now());
        out->set_etag(std::to_string(before.version + 1));
        return absl::OkStatus();
      },
      out,
      [&](const std::string& tenant, const std::string& eid, const Stored<v1::Engagement>& eng,
          const v1::Engagement&, const Idem& idem, const std::string& response) {
        return store_.SaveInquiry(tenant, eid, (*ids)[2], eng, &before, *out, idem, response);
      });
}

absl::Status EngagementService::ListInquiries(const Principal& p,
                                              const v1::ListInquiriesRequest& req,
                                              v1::ListInquiriesResponse* out) {
  auto ref = ParseEngagement(p, "parent", req.parent());
  if (!ref.ok()) return ref.status();
  auto size = ResolvePageSize(req.page_size(), kDefaultPage, kMaxPage);
  if (!size.ok()) return size.status();
  uint64_t fp = QueryFingerprint({"inquiries", req.parent()});
  auto after = tokens_.DecodeOrStart(req.page_token(), fp);
  if (!after.ok()) return after.status();
  auto e = Load(p, *ref, static_cast<int>(d::Action::kRead));
  if (!e.ok()) return e.status();
  auto page = store_.ListInquiries(ref->tenant, ref->id, *after, *size);
  if (!page.ok()) return page.status();
  return FillPage<v1::ListInquiriesResponse, v1::Inquiry>(*page, tokens_, fp, out,
                                                          &v1::ListInquiriesResponse::add_inquiries,
                                                          DecodeWithEtag<v1::Inquiry>);
}

}  // namespace certpath::engagements
