// Engagements (支援契約): create, read, list, update, the phase machine and its
// checklist, audit results, management reviews, registration, termination.
#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/domain/events.h"
#include "services/engagements/domain/rules.h"
#include "services/engagements/internal.h"
#include "services/engagements/service.h"

namespace certpath::engagements {
namespace {

namespace d = domain;
using certpath::common::v1::OutboxEvent;
using internal::kLongText;
using internal::kMaxListItems;
using internal::kShortText;
using internal::Ts;

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

google::protobuf::FieldMask AllEngagementPaths() {
  google::protobuf::FieldMask m;
  for (const char* path : kEngagementPaths) m.add_paths(path);
  return m;
}

}  // namespace

absl::Status EngagementsApi::CreateEngagement(const Principal& p,
                                              const v1::CreateEngagementRequest& req,
                                              v1::Engagement* out) {
  if (auto s = CheckTenantParent(p, req.parent(), "CreateEngagement"); !s.ok()) return s;
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
  ApplyUpdateMask(v, AllEngagementPaths(), kEngagementPaths, in, &e);
  absl::Time now = clock_.Now();
  d::InitializeEngagement(e, now);
  auto events = Envelopes(p.tenant(), e.name(), 1, d::EngagementEvents(nullptr, e));
  auto created = store_.CreateEngagement(p.tenant(), id, e,
                                         store_.MakeIdem(p.tenant(), p, req.request_id(), req),
                                         TokyoDay(now), events);
  if (!created.ok()) return created.status();
  Published(events);
  *out = *std::move(created);
  Present(*out);
  return absl::OkStatus();
}

absl::Status EngagementsApi::GetEngagement(const Principal& p, const v1::GetEngagementRequest& req,
                                           v1::Engagement* out) {
  auto ref = ParseEngagement(p, "name", req.name());
  if (!ref.ok()) return ref.status();
  auto e = Load(p, *ref, "GetEngagement");
  if (!e.ok()) return e.status();
  *out = std::move(e->value);
  Present(*out);
  return absl::OkStatus();
}

absl::Status EngagementsApi::ListEngagements(const Principal& p,
                                             const v1::ListEngagementsRequest& req,
                                             v1::ListEngagementsResponse* out) {
  if (auto s = CheckTenantParent(p, req.parent(), "ListEngagements"); !s.ok()) return s;
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
  absl::CivilDay today = TokyoDay(clock_.Now());
  return ListPaged<v1::ListEngagementsResponse, v1::Engagement>(
      tokens_, req.page_size(), req.page_token(),
      {"engagements", req.parent(), std::to_string(f.phase), std::to_string(f.state), f.consultant,
       f.client_id, f.partner},
      [&](int64_t after, int limit) {
        return store_.ListEngagements(p.tenant(), f, after, limit, today);
      },
      out, &v1::ListEngagementsResponse::add_engagements,
      [this](const Record& r, v1::Engagement* e) {
        if (auto s = DecodeWithEtag(r, e); !s.ok()) return s;
        Present(*e);
        return absl::OkStatus();
      });
}

absl::Status EngagementsApi::UpdateEngagement(const Principal& p,
                                              const v1::UpdateEngagementRequest& req,
                                              v1::Engagement* out) {
  const v1::Engagement& in = req.engagement();
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kEngagementPaths);
  // Unknown paths validate nothing (CheckEngagementField matches known names only).
  for (const auto& path : req.update_mask().paths()) CheckEngagementField(v, in, path);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto ref = ParseEngagement(p, "engagement.name", in.name());
  if (!ref.ok()) return ref.status();
  return Mutate<v1::Engagement>(
      p, *ref, in.etag(), "", req, "UpdateEngagement",
      [&](v1::Engagement& e, v1::Engagement& resp,
          const std::string& etag) -> absl::StatusOr<EngagementEffects> {
        if (MaskHas(req.update_mask(), "standard") && e.phase() != v1::PHASE_PREPARATION) {
          return FailedPrecondition("WRONG_PHASE", "the standard is fixed after preparation");
        }
        FieldViolations mv;
        ApplyUpdateMask(mv, req.update_mask(), kEngagementPaths, in, &e);
        if (auto s = mv.ToStatus(); !s.ok()) return s;
        if (auto start = ToCivilDay(e.support_start())) {
          *e.mutable_support_end() =
              ToDate(d::SupportEnd(*start, ToCivilDay(e.registration_date())));
        }
        *e.mutable_update_time() = Ts(clock_.Now());
        resp = Respond(e, etag);
        return EngagementEffects{};
      },
      out);
}

absl::Status EngagementsApi::Transition(const Principal& p, const std::string& name,
                                        const std::string& etag, const std::string& request_id,
                                        const google::protobuf::Message& req,
                                        absl::string_view method, const Rule& rule,
                                        v1::Engagement* out) {
  auto ref = ParseEngagement(p, "name", name);
  if (!ref.ok()) return ref.status();
  return Mutate<v1::Engagement>(
      p, *ref, etag, request_id, req, method,
      [&](v1::Engagement& e, v1::Engagement& resp,
          const std::string& next_etag) -> absl::StatusOr<EngagementEffects> {
        if (auto s = rule(e); !s.ok()) return s;
        resp = Respond(e, next_etag);
        return EngagementEffects{};
      },
      out);
}

absl::Status EngagementsApi::AdvancePhase(const Principal& p, const v1::AdvancePhaseRequest& req,
                                          v1::Engagement* out) {
  FieldViolations v;
  CheckText(v, "override_reason", req.override_reason(), kLongText, false, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return Transition(
      p, req.name(), req.etag(), req.request_id(), req, "AdvancePhase",
      [&](v1::Engagement& e) { return d::AdvancePhase(e, p, req.override_reason(), clock_.Now()); },
      out);
}

absl::Status EngagementsApi::TerminateEngagement(const Principal& p,
                                                 const v1::TerminateEngagementRequest& req,
                                                 v1::Engagement* out) {
  FieldViolations v;
  CheckText(v, "reason", req.reason(), kLongText, true, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return Transition(
      p, req.name(), req.etag(), req.request_id(), req, "TerminateEngagement",
      [&](v1::Engagement& e) { return d::Terminate(e, p, req.reason(), clock_.Now()); }, out);
}

absl::Status EngagementsApi::ListTasks(const Principal& p, const v1::ListTasksRequest& req,
                                       v1::ListTasksResponse* out) {
  auto ref = ParseEngagement(p, "parent", req.parent());
  if (!ref.ok()) return ref.status();
  if (!v1::Phase_IsValid(req.phase())) return InvalidArgument("phase", "unknown phase");
  auto e = Load(p, *ref, "ListTasks");
  if (!e.ok()) return e.status();
  for (auto& t : d::ListTasks(e->value, req.phase())) *out->add_tasks() = std::move(t);
  return absl::OkStatus();
}

absl::Status EngagementsApi::UpdateTask(const Principal& p, const v1::UpdateTaskRequest& req,
                                        v1::Task* out) {
  auto ids = ParseName("name", req.name(), {"tenants", "engagements", "tasks"});
  if (!ids.ok()) return ids.status();
  FieldViolations v;
  if (!v1::TaskStatus_IsValid(req.status()) || req.status() == v1::TASK_STATUS_UNSPECIFIED) {
    v.Add("status", "required: OPEN, DONE or NOT_APPLICABLE");
  }
  CheckText(v, "note", req.note(), kLongText, false, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if ((*ids)[0] != p.tenant()) return NotFound("engagement");
  EngagementRef ref{(*ids)[0], (*ids)[1]};
  return Mutate<v1::Task>(
      p, ref, req.etag(), "", req, "UpdateTask",
      [&](v1::Engagement& e, v1::Task& resp,
          const std::string&) -> absl::StatusOr<EngagementEffects> {
        auto task = d::UpdateTask(e, p, (*ids)[2], req.status(), req.note(), clock_.Now());
        if (!task.ok()) return task.status();
        resp = *std::move(task);
        return EngagementEffects{};
      },
      out);
}

absl::Status EngagementsApi::RecordAuditResult(const Principal& p,
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
  auto ref = ParseEngagement(p, "name", req.name());
  if (!ref.ok()) return ref.status();
  return Mutate<v1::Engagement>(
      p, *ref, req.etag(), req.request_id(), req, "RecordAuditResult",
      [&](v1::Engagement& e, v1::Engagement& resp,
          const std::string& etag) -> absl::StatusOr<EngagementEffects> {
        bool stage1_passed = false;  // its event is derived from the change (domain/events.h)
        if (auto s = d::RecordAuditResult(e, p, req.stage(), req.outcome(),
                                          *ToCivilDay(req.audit_date()), req.note(), clock_.Now(),
                                          &stage1_passed);
            !s.ok()) {
          return s;
        }
        EngagementEffects fx;
        resp = Respond(e, etag);
        return fx;
      },
      out);
}

absl::Status EngagementsApi::RecordManagementReview(const Principal& p,
                                                    const v1::RecordManagementReviewRequest& req,
                                                    v1::Engagement* out) {
  FieldViolations v;
  CheckDate(v, "review_date", req.review_date(), true);
  CheckText(v, "instructions", req.instructions(), kLongText, false, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return Transition(
      p, req.name(), req.etag(), req.request_id(), req, "RecordManagementReview",
      [&](v1::Engagement& e) {
        return d::RecordManagementReview(e, p, *ToCivilDay(req.review_date()),
                                         req.top_management_approved(), req.instructions(),
                                         clock_.Now());
      },
      out);
}

absl::Status EngagementsApi::RecordRegistration(const Principal& p,
                                                const v1::RecordRegistrationRequest& req,
                                                v1::Engagement* out) {
  FieldViolations v;
  CheckDate(v, "registration_date", req.registration_date(), true);
  CheckText(v, "certificate_number", req.certificate_number(), 64);
  CheckText(v, "override_reason", req.override_reason(), kLongText, false, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return Transition(
      p, req.name(), req.etag(), req.request_id(), req, "RecordRegistration",
      [&](v1::Engagement& e) {
        return d::RecordRegistration(e, p, *ToCivilDay(req.registration_date()),
                                     req.certificate_number(), req.override_reason(), clock_.Now());
      },
      out);
}

}  // namespace certpath::engagements
