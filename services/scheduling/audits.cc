// Certification-body audits, and the deadlines scheduling derives from
// engagements' events (never typed in): each event applied once, the
// engagement's view and the deadlines it moves in one step.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "services/common/act.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/retry.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/scheduling/domain/rules.h"
#include "services/scheduling/service.h"

namespace certpath::scheduling {
namespace {

namespace d = domain;

// Far above any engagement's visits (three included, options, guidance).
constexpr int kMaxEngagementVisits = 1000;
namespace ev1 = certpath::engagements::v1;

// What a deadline says, without its bookkeeping: whether a change is one.
std::string Content(v1::Deadline x) {
  x.clear_sequence();
  x.clear_update_time();
  return x.SerializeAsString();
}

constexpr const char* kAuditPaths[] = {"first_day", "last_day", "certification_body",
                                       "observing_consultants", "observation_visit"};

void Copy(const google::protobuf::RepeatedPtrField<std::string>& from,
          google::protobuf::RepeatedPtrField<std::string>* to) {
  *to = from;
}

// Audits planned before states existed read as PLANNED.
void Normalize(v1::Audit& a) {
  if (a.state() == v1::AUDIT_STATE_UNSPECIFIED) a.set_state(v1::AUDIT_STATE_PLANNED);
}

absl::Status DecodeAudit(const Record& r, v1::Audit* out) {
  if (auto s = DecodeWithEtag(r, out); !s.ok()) return s;
  Normalize(*out);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<DeadlineChange>> SchedulingApi::DeadlineChanges(
    const std::string& tenant, const v1::EngagementView& e, const std::vector<v1::Audit>& audits,
    const cv1::OutboxEvent* finding_event) {
  std::string eid = LastSegment(e.engagement());
  auto existing = store_.EngagementDeadlines(tenant, eid);
  if (!existing.ok()) return existing.status();
  std::map<std::string, Stored<v1::Deadline>> before;
  for (auto& s : *existing) before[LastSegment(s.value.name())] = std::move(s);
  std::map<std::string, v1::Deadline> desired = d::EngagementDeadlines(tenant, e, audits);
  bool ended = e.state() == ev1::ENGAGEMENT_STATE_TERMINATED;
  // Deadlines not derived from the engagement itself (corrective actions, or
  // ones whose date was cleared) keep their date; consultants follow the
  // engagement, and an ended engagement meets them all.
  for (const auto& [id, s] : before) {
    if (desired.count(id)) continue;
    v1::Deadline x = s.value;
    if (x.kind() != v1::DEADLINE_KIND_CORRECTIVE_ACTION) x.set_satisfied(true);
    if (ended) x.set_satisfied(true);
    std::vector<std::string> cs;
    if (!e.lead_consultant().empty()) cs.push_back(e.lead_consultant());
    for (const auto& c : e.consultants()) {
      if (c != e.lead_consultant()) cs.push_back(c);
    }
    *x.mutable_consultants() = {cs.begin(), cs.end()};
    desired[id] = x;
  }
  if (finding_event != nullptr) {
    ev1::FindingChanged f;
    if (!finding_event->payload().UnpackTo(&f)) {
      return InvalidArgument("event.payload", "not a certpath.engagements.v1.FindingChanged");
    }
    std::string id =
        d::DeadlineId(eid, v1::DEADLINE_KIND_CORRECTIVE_ACTION, LastSegment(f.finding()));
    auto due = ToCivilDay(f.corrective_action_due());
    if (due) {
      v1::Deadline x;
      x.set_name(absl::StrCat("tenants/", tenant, "/deadlines/", id));
      x.set_engagement(e.engagement());
      x.set_kind(v1::DEADLINE_KIND_CORRECTIVE_ACTION);
      *x.mutable_due_date() = ToDate(*due);
      x.set_source(f.finding());
      static const std::map<int, const char*> kGrades = {
          {ev1::FINDING_GRADE_CONCERN, "懸念事項"},
          {ev1::FINDING_GRADE_MINOR_NC, "軽微な不適合"},
          {ev1::FINDING_GRADE_MAJOR_NC, "重大な不適合"},
          {ev1::FINDING_GRADE_OBSERVATION, "改善の機会"}};
      auto grade = kGrades.find(f.grade());
      x.set_description(
          absl::StrCat(d::DeadlineTitle(v1::DEADLINE_KIND_CORRECTIVE_ACTION),
                       grade == kGrades.end() ? "" : absl::StrCat("（", grade->second, "）")));
      x.set_satisfied(f.state() == ev1::FINDING_STATE_CLOSED || ended);
      std::vector<std::string> cs;
      if (!e.lead_consultant().empty()) cs.push_back(e.lead_consultant());
      for (const auto& c : e.consultants()) {
        if (c != e.lead_consultant()) cs.push_back(c);
      }
      *x.mutable_consultants() = {cs.begin(), cs.end()};
      desired[id] = x;
    } else if (auto it = desired.find(id); it != desired.end()) {
      it->second.set_satisfied(true);  // the due date was withdrawn
    }
  }
  std::vector<DeadlineChange> out;
  auto now = ToTimestamp(clock_.Now());
  for (auto& [id, x] : desired) {
    auto it = before.find(id);
    if (it != before.end()) {
      x.set_sequence(it->second.value.sequence());
      x.clear_update_time();
      v1::Deadline old = it->second.value;
      old.clear_update_time();
      if (Content(old) == Content(x)) continue;
      x.set_sequence(it->second.value.sequence() + 1);
    }
    *x.mutable_update_time() = now;
    DeadlineChange& c = out.emplace_back();
    if (it != before.end()) c.before = it->second;
    c.after = std::move(x);
  }
  return out;
}

absl::Status SchedulingApi::ApplyEngagementEvent(const Principal& p,
                                                 const cv1::OutboxEvent& event) {
  const std::string& type = event.type();
  std::string engagement;
  ev1::EngagementChanged changed;
  ev1::RegistrationRecorded registered;
  ev1::EngagementTerminated terminated;
  ev1::FindingChanged finding;
  ev1::AuditResultRecorded audit;
  ev1::Stage1Passed stage1;
  bool ok = true;
  if (type == "certpath.engagements.v1.EngagementChanged") {
    ok = event.payload().UnpackTo(&changed);
    engagement = changed.engagement();
  } else if (type == "certpath.engagements.v1.RegistrationRecorded") {
    ok = event.payload().UnpackTo(&registered);
    engagement = registered.engagement();
  } else if (type == "certpath.engagements.v1.EngagementTerminated") {
    ok = event.payload().UnpackTo(&terminated);
    engagement = terminated.engagement();
  } else if (type == "certpath.engagements.v1.FindingChanged") {
    ok = event.payload().UnpackTo(&finding);
    engagement = finding.engagement();
  } else if (type == "certpath.engagements.v1.AuditResultRecorded") {
    ok = event.payload().UnpackTo(&audit);
    engagement = audit.engagement();
  } else if (type == "certpath.engagements.v1.Stage1Passed") {
    ok = event.payload().UnpackTo(&stage1);
    engagement = stage1.engagement();
  } else {
    return InvalidArgument("event.type", "not an engagements event scheduling consumes: " + type);
  }
  if (!ok) return InvalidArgument("event.payload", "does not match its type " + type);
  auto eid = ParseId(p, "event.payload.engagement", engagement, "engagements");
  if (!eid.ok()) return eid.status();
  const std::string& tenant = p.tenant();
  return ApplyOnce(p, event, [&](const Idem& idem) -> absl::Status {
    auto before = store_.GetEngagement(tenant, *eid);
    if (!before.ok()) return before.status();
    v1::EngagementView view;
    if (before->has_value()) {
      view = (*before)->value;
    } else {
      view.set_engagement(engagement);
    }
    if (type == "certpath.engagements.v1.EngagementChanged") {
      view.set_client(changed.client());
      view.set_phase(changed.phase());
      view.set_state(changed.state());
      *view.mutable_support_start() = changed.support_start();
      *view.mutable_support_end() = changed.support_end();
      view.set_lead_consultant(changed.lead_consultant());
      Copy(changed.consultants(), view.mutable_consultants());
      Copy(changed.partner_organizations(), view.mutable_partner_organizations());
      *view.mutable_advisory_retainer_end() = changed.advisory_retainer_end();
    } else if (type == "certpath.engagements.v1.RegistrationRecorded") {
      *view.mutable_registration_date() = registered.registration_date();
      view.set_state(ev1::ENGAGEMENT_STATE_CERTIFIED);
    } else if (type == "certpath.engagements.v1.EngagementTerminated") {
      view.set_state(ev1::ENGAGEMENT_STATE_TERMINATED);
    }
    auto audits = store_.EngagementAudits(tenant, *eid, 100);
    if (!audits.ok()) return audits.status();
    auto changes = DeadlineChanges(
        tenant, view, *audits, type == "certpath.engagements.v1.FindingChanged" ? &event : nullptr);
    if (!changes.ok()) return changes.status();
    auto r = store_.ApplyEngagement(tenant, before->has_value() ? &**before : nullptr, view,
                                    *changes, idem);
    return r.ok() ? absl::OkStatus() : r.status();
  });
}

absl::Status SchedulingApi::ApplyOnce(const Principal& p, const cv1::OutboxEvent& event,
                                      const std::function<absl::Status(const Idem&)>& step) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  Idem idem = store_.MakeIdem(p.tenant(), p, event.id(), event, /*keep_for_good=*/true);
  return RetryOnConflict(false, [&]() -> absl::Status {
    auto replay = store_.ReadReplay(idem);
    if (!replay.ok()) return replay.status();
    if (replay->has_value()) return absl::OkStatus();
    return step(idem);
  });
}

absl::Status SchedulingApi::ApplyPersonalDataErased(const Principal& p,
                                                    const cv1::OutboxEvent& event) {
  ev1::ClientPersonalDataErased erased;
  if (!event.payload().UnpackTo(&erased)) {
    return InvalidArgument("event.payload",
                           "not a certpath.engagements.v1.ClientPersonalDataErased");
  }
  std::vector<std::string> eids;
  for (const auto& e : erased.engagements()) {
    auto eid = ParseId(p, "event.payload.engagements", e, "engagements");
    if (!eid.ok()) return eid.status();
    eids.push_back(*eid);
  }
  const std::string& tenant = p.tenant();
  return ApplyOnce(p, event, [&](const Idem& idem) -> absl::Status {
    std::vector<std::pair<Stored<v1::Visit>, v1::Visit>> changed;
    for (const auto& eid : eids) {
      auto visits = store_.EngagementVisits(tenant, eid, kMaxEngagementVisits);
      if (!visits.ok()) return visits.status();
      for (const auto& listed : *visits) {
        auto v = store_.GetVisit(tenant, LastSegment(listed.name()));
        if (!v.ok()) return v.status();
        if (!*v) continue;
        v1::Visit after = (*v)->value;
        if (!d::EraseClientAttendees(after)) continue;
        *after.mutable_update_time() = ToTimestamp(clock_.Now());
        changed.emplace_back(**v, std::move(after));
      }
    }
    // Applied once even when nothing names them (the idempotency record).
    auto r = store_.SaveVisitsOnly(tenant, changed, idem);
    return r.ok() ? absl::OkStatus() : r.status();
  });
}

absl::Status SchedulingApi::CheckAudit(const Principal& p, absl::string_view method, v1::Audit& a,
                                       const v1::Audit* before, AuditReads* reads) {
  FieldViolations v;
  if (a.engagement().empty()) v.Add("audit.engagement", "required");
  if (!v1::AuditKind_IsValid(a.kind()) || a.kind() == v1::AUDIT_KIND_UNSPECIFIED) {
    v.Add("audit.kind",
          "required: STAGE1, STAGE2, SURVEILLANCE_1, SURVEILLANCE_2, RECERTIFICATION");
  }
  CheckDate(v, "audit.first_day", a.first_day(), true);
  CheckDate(v, "audit.last_day", a.last_day(), false);
  CheckText(v, "audit.certification_body", a.certification_body(), 200);
  if (a.observing_consultants().size() > d::kMaxVisitConsultants) {
    v.Add("audit.observing_consultants", "at most 5");
  }
  if (auto s = v.ToStatus(); !s.ok()) return s;
  absl::CivilDay first = *ToCivilDay(a.first_day());
  absl::CivilDay last = ToCivilDay(a.last_day()).value_or(first);
  if (last < first || last - first > 14) {
    return InvalidArgument("audit.last_day", "on or after first_day, at most 14 days later");
  }
  *a.mutable_last_day() = ToDate(last);
  auto e = LoadEngagement(p, "audit.engagement", a.engagement());
  if (!e.ok()) return e.status();
  if (e->value.state() == ev1::ENGAGEMENT_STATE_TERMINATED) {
    return FailedPrecondition("ENGAGEMENT_TERMINATED", "the engagement was terminated");
  }
  if (auto s = d::CheckAuditStart("audit.first_day", first, e->value); !s.ok()) return s;
  reads->engagement = *std::move(e);
  for (int i = 0; i < a.observing_consultants().size(); ++i) {
    std::string field = absl::StrCat("audit.observing_consultants[", i, "]");
    auto cid = ParseId(p, field, a.observing_consultants(i), "consultants");
    if (!cid.ok()) return InvalidArgument(field, "a consultant of this tenant");
    auto c = store_.GetConsultant(p.tenant(), *cid);
    if (!c.ok()) return c.status();
    if (!c->has_value()) return InvalidArgument(field, "no such consultant");
  }
  if (a.observation_visit().empty()) return absl::OkStatus();
  if (before != nullptr && before->observation_visit() == a.observation_visit() &&
      before->first_day().SerializeAsString() == a.first_day().SerializeAsString() &&
      before->last_day().SerializeAsString() == a.last_day().SerializeAsString() &&
      before->observing_consultants().size() == a.observing_consultants().size() &&
      std::equal(a.observing_consultants().begin(), a.observing_consultants().end(),
                 before->observing_consultants().begin())) {
    return absl::OkStatus();
  }
  auto visit = LoadVisit(p, a.observation_visit(), method);
  if (!visit.ok()) return InvalidArgument("audit.observation_visit", "no such visit");
  if (visit->value.kind() != v1::VISIT_KIND_OPTION_C ||
      visit->value.engagement() != a.engagement()) {
    return InvalidArgument("audit.observation_visit",
                           "an option-c visit (審査へのオブザーブ) of the same engagement");
  }
  if (visit->value.state() == v1::VISIT_STATE_CANCELLED) {
    return InvalidArgument("audit.observation_visit",
                           "the visit was cancelled: clear observation_visit or name another");
  }
  if (auto s = d::CheckObservationDay("audit.observation_visit", a,
                                      TokyoDay(FromTimestamp(visit->value.start_time())));
      !s.ok()) {
    return s;
  }
  reads->observation = *visit;
  // Who observes is who goes: the visit's consultants (taken as the
  // observers when none are named).
  if (a.observing_consultants().empty()) {
    *a.mutable_observing_consultants() = visit->value.consultants();
    return absl::OkStatus();
  }
  std::vector<std::string> missing;
  for (const auto& c : visit->value.consultants()) {
    if (std::find(a.observing_consultants().begin(), a.observing_consultants().end(), c) ==
        a.observing_consultants().end()) {
      missing.push_back(c);
    }
  }
  if (!missing.empty()) {
    return InvalidArgument(
        "audit.observing_consultants",
        "the observation visit's consultants observe: add " + absl::StrJoin(missing, ", "));
  }
  return absl::OkStatus();
}

absl::Status SchedulingApi::SaveAudit(const Principal& p, const Stored<v1::Audit>* before,
                                      v1::Audit a, const AuditReads& reads, const Idem& idem,
                                      v1::Audit* out) {
  if (before != nullptr) {
    a.set_sequence(before->value.sequence() + 1);
    *a.mutable_update_time() = ToTimestamp(clock_.Now());
  } else {
    *a.mutable_update_time() = a.create_time();
  }
  std::string eid = LastSegment(a.engagement());
  absl::optional<Stored<v1::EngagementView>> view = reads.engagement;
  if (!view) {
    auto read = store_.GetEngagement(p.tenant(), eid);
    if (!read.ok()) return read.status();
    if (!read->has_value()) return NotFound("engagement");
    view = **read;
  }
  auto audits = store_.EngagementAudits(p.tenant(), eid, 100);
  if (!audits.ok()) return audits.status();
  // The engagement's audits, this one as it will be.
  std::vector<v1::Audit> all;
  for (v1::Audit& other : *audits) {
    if (other.name() == a.name()) {
      all.push_back(a);
      continue;
    }
    if (!a.observation_visit().empty() && other.observation_visit() == a.observation_visit() &&
        !d::Cancelled(a) && !d::Cancelled(other)) {
      return InvalidArgument("audit.observation_visit",
                             "the visit observes " + other.name() + " already");
    }
    all.push_back(std::move(other));
  }
  if (before == nullptr) all.push_back(a);
  auto changes = DeadlineChanges(p.tenant(), view->value, all, nullptr);
  if (!changes.ok()) return changes.status();
  auto r = store_.SaveAudit(p.tenant(), before, a, idem, *changes, *view,
                            reads.observation ? &*reads.observation : nullptr);
  if (!r.ok()) return r.status();
  return out->ParseFromString(r->response) ? absl::OkStatus()
                                           : absl::InternalError("corrupt response");
}

absl::Status SchedulingApi::PlanAudit(const Principal& p, const v1::PlanAuditRequest& req,
                                      v1::Audit* out) {
  if (auto s = CheckParent(p, req.parent(), "PlanAudit"); !s.ok()) return s;
  FieldViolations v;
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  Idem idem = store_.MakeIdem(p.tenant(), p, req.request_id(), req);
  return RetryOnConflict(false, [&]() -> absl::Status {
    auto replay = store_.ReadReplay(idem);
    if (!replay.ok()) return replay.status();
    if (replay->has_value()) {
      return out->ParseFromString(**replay) ? absl::OkStatus()
                                            : absl::InternalError("corrupt replay");
    }
    // Checked on every attempt: a conflict means something it read changed.
    v1::Audit a = req.audit();
    AuditReads reads;
    if (auto s = CheckAudit(p, "PlanAudit", a, nullptr, &reads); !s.ok()) return s;
    a.set_name(absl::StrCat("tenants/", p.tenant(), "/audits/", RandomHex(8)));
    a.set_state(v1::AUDIT_STATE_PLANNED);
    a.clear_cancel_reason();
    a.set_created_by(p.subject());
    a.set_sequence(0);
    a.clear_etag();
    *a.mutable_create_time() = ToTimestamp(clock_.Now());
    return SaveAudit(p, nullptr, a, reads, idem, out);
  });
}

absl::StatusOr<Stored<v1::Audit>> SchedulingApi::LoadAudit(const Principal& p,
                                                           const std::string& name,
                                                           absl::string_view method) {
  auto id = ParseId(p, "name", name, "audits");
  if (!id.ok()) return id.status();
  auto a = store_.GetAudit(p.tenant(), *id);
  if (!a.ok()) return a.status();
  if (!a->has_value()) return NotFound("audit");
  if (auto s = CheckSeen(p, (*a)->value.engagement(), "audit", method); !s.ok()) return s;
  Stored<v1::Audit> out = **a;
  Normalize(out.value);
  return out;
}

absl::Status SchedulingApi::GetAudit(const Principal& p, const v1::GetAuditRequest& req,
                                     v1::Audit* out) {
  auto a = LoadAudit(p, req.name(), "GetAudit");
  if (!a.ok()) return a.status();
  *out = a->value;
  out->set_etag(std::to_string(a->version));
  return absl::OkStatus();
}

absl::Status SchedulingApi::UpdateAudit(const Principal& p, const v1::UpdateAuditRequest& req,
                                        v1::Audit* out) {
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kAuditPaths);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Audit>(
      store_, Idem{}, req.audit().etag(),
      [&] { return LoadAudit(p, req.audit().name(), "UpdateAudit"); },
      [&](const Stored<v1::Audit>& before) -> absl::Status {
        if (d::Cancelled(before.value)) {
          return FailedPrecondition("AUDIT_STATE", "the audit was cancelled; plan a new one");
        }
        v1::Audit a = before.value;
        FieldViolations mv;
        ApplyUpdateMask(mv, req.update_mask(), kAuditPaths, req.audit(), &a);
        if (auto s = mv.ToStatus(); !s.ok()) return s;
        // A new first day alone moves the audit: it keeps its length.
        if (MaskHas(req.update_mask(), "first_day") && !MaskHas(req.update_mask(), "last_day")) {
          auto first = ToCivilDay(before.value.first_day());
          auto last = ToCivilDay(before.value.last_day());
          auto moved = ToCivilDay(a.first_day());
          a.clear_last_day();
          if (first && last && moved) *a.mutable_last_day() = ToDate(*moved + (*last - *first));
        }
        // Moved off its observation visit's day, the audit must let the visit
        // go (observation_visit cleared) or name another: the visit cannot
        // move first, as it stays on the days of the audit it observes.
        AuditReads reads;
        if (auto s = CheckAudit(p, "UpdateAudit", a, &before.value, &reads); !s.ok()) return s;
        if (a.SerializeAsString() == before.value.SerializeAsString()) {
          *out = a;
          out->set_etag(std::to_string(before.version));
          return absl::OkStatus();
        }
        return SaveAudit(p, &before, a, reads, Idem{}, out);
      },
      out);
}

absl::Status SchedulingApi::CancelAudit(const Principal& p, const v1::CancelAuditRequest& req,
                                        v1::Audit* out) {
  FieldViolations v;
  CheckText(v, "reason", absl::StripAsciiWhitespace(req.reason()), 500, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Audit>(
      store_, Idem{}, req.etag(), [&] { return LoadAudit(p, req.name(), "CancelAudit"); },
      [&](const Stored<v1::Audit>& before) -> absl::Status {
        if (d::Cancelled(before.value)) {
          return FailedPrecondition("AUDIT_STATE", "the audit was cancelled already");
        }
        v1::Audit a = before.value;
        a.set_state(v1::AUDIT_STATE_CANCELLED);
        a.set_cancel_reason(std::string(absl::StripAsciiWhitespace(req.reason())));
        return SaveAudit(p, &before, a, AuditReads{}, Idem{}, out);
      },
      out);
}

absl::Status SchedulingApi::ListAudits(const Principal& p, const v1::ListAuditsRequest& req,
                                       v1::ListAuditsResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "ListAudits"); !s.ok()) return s;
  auto eid = ListScope(p, req.engagement());
  if (!eid.ok()) return eid.status();
  return ListPaged<v1::ListAuditsResponse, v1::Audit>(
      tokens_, req.page_size(), req.page_token(), {"audits", req.parent(), *eid},
      [&](int64_t after, int limit) { return store_.ListAudits(p.tenant(), *eid, after, limit); },
      out, &v1::ListAuditsResponse::add_audits, DecodeAudit);
}

absl::Status SchedulingApi::ListDeadlines(const Principal& p, const v1::ListDeadlinesRequest& req,
                                          v1::ListDeadlinesResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "ListDeadlines"); !s.ok()) return s;
  FieldViolations v;
  if (!v1::DeadlineKind_IsValid(req.kind())) v.Add("kind", "unknown value");
  CheckDate(v, "due_before", req.due_before(), false);
  CheckText(v, "consultant", req.consultant(), 128);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (!req.consultant().empty() && !IsOfficeStaff(p)) {
    return InvalidArgument("consultant", "office staff filter by consultant");
  }
  auto eid = ListScope(p, req.engagement());
  if (!eid.ok()) return eid.status();
  auto due = ToCivilDay(req.due_before());
  return ListPaged<v1::ListDeadlinesResponse, v1::Deadline>(
      tokens_, req.page_size(), req.page_token(),
      {"deadlines", req.parent(), *eid, req.consultant(), std::to_string(req.kind()),
       due ? absl::FormatCivilTime(*due) : "", req.include_satisfied() ? "all" : "open"},
      [&](int64_t after, int limit) {
        return store_.ListDeadlines(p.tenant(), *eid, req.consultant(), req.kind(), due,
                                    req.include_satisfied(), after, limit);
      },
      out, &v1::ListDeadlinesResponse::add_deadlines, DecodeRecord<v1::Deadline>);
}

}  // namespace certpath::scheduling
