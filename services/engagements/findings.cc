// Findings: concerns and nonconformities of internal audits and of the
// certification body's audits, with corrective actions. Who writes which
// field: domain::FindingFieldRules.
#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/domain/rules.h"
#include "services/engagements/internal.h"
#include "services/engagements/service.h"

namespace certpath::engagements {
namespace {

namespace d = domain;
using internal::kLongText;
using internal::Ts;

constexpr const char* kFindingPaths[] = {"source",
                                         "grade",
                                         "clause",
                                         "description",
                                         "advice",
                                         "corrective_action",
                                         "corrective_action_due",
                                         "state",
                                         "evidence"};

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

absl::Status EngagementsApi::CreateFinding(const Principal& p, const v1::CreateFindingRequest& req,
                                           v1::Finding* out) {
  FieldViolations v;
  CheckFindingFields(v, req.finding(), /*create=*/true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto ref = ParseEngagement(p, "parent", req.parent());
  if (!ref.ok()) return ref.status();
  std::string id = RandomHex(8);
  return Mutate<v1::Finding>(
      p, *ref, "", req.request_id(), req, "CreateFinding",
      [&](v1::Engagement& e, v1::Finding& f,
          const std::string&) -> absl::StatusOr<EngagementEffects> {
        if (auto s = d::CheckFindingCreate(p, req.finding()); !s.ok()) return s;
        if (auto s = d::CheckClosure(nullptr, req.finding()); !s.ok()) return s;
        if (e.state() == v1::ENGAGEMENT_STATE_TERMINATED) {
          return FailedPrecondition("ENGAGEMENT_NOT_ACTIVE", "the engagement was terminated");
        }
        f = req.finding();
        f.set_name(absl::StrCat(e.name(), "/findings/", id));
        f.clear_closed_by();
        f.clear_close_time();
        if (f.state() == v1::FINDING_STATE_UNSPECIFIED) f.set_state(v1::FINDING_STATE_OPEN);
        absl::Time now = clock_.Now();
        *f.mutable_create_time() = Ts(now);
        *f.mutable_update_time() = Ts(now);
        d::RecordFindingClosure(nullptr, f, p, now);
        f.set_etag("1");
        d::ApplyFindingChange(e, nullptr, f);
        EngagementEffects fx;
        fx.finding = ChildWrite<v1::Finding>{id, absl::nullopt, f};
        return fx;
      },
      out);
}

absl::Status EngagementsApi::UpdateFinding(const Principal& p, const v1::UpdateFindingRequest& req,
                                           v1::Finding* out) {
  auto ids =
      ParseName("finding.name", req.finding().name(), {"tenants", "engagements", "findings"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("engagement");
  EngagementRef ref{(*ids)[0], (*ids)[1]};
  return Mutate<v1::Finding>(
      p, ref, "", "", req, "UpdateFinding",
      [&](v1::Engagement& e, v1::Finding& f,
          const std::string&) -> absl::StatusOr<EngagementEffects> {
        FieldViolations v;
        CheckUpdateMask(v, req.update_mask(), kFindingPaths);
        if (auto s = v.ToStatus(); !s.ok()) return s;
        if (auto s = d::CheckFindingUpdate(p, req.update_mask()); !s.ok()) return s;
        auto got = store_.GetFinding(ref.tenant, ref.id, (*ids)[2]);
        if (!got.ok()) return got.status();
        if (!got->has_value()) return NotFound("finding");
        const Stored<v1::Finding>& before = **got;
        if (!req.finding().etag().empty() && req.finding().etag() != before.value.etag()) {
          return EtagMismatch();
        }
        f = before.value;
        ApplyUpdateMask(v, req.update_mask(), kFindingPaths, req.finding(), &f);
        CheckFindingFields(v, f, /*create=*/false);
        if (auto s = v.ToStatus(); !s.ok()) return s;
        if (auto s = d::CheckClosure(&before.value, f); !s.ok()) return s;
        absl::Time now = clock_.Now();
        *f.mutable_update_time() = Ts(now);
        d::RecordFindingClosure(&before.value, f, p, now);
        f.set_etag(std::to_string(before.version + 1));
        d::ApplyFindingChange(e, &before.value, f);
        EngagementEffects fx;
        fx.finding = ChildWrite<v1::Finding>{(*ids)[2], before, f};
        return fx;
      },
      out);
}

absl::Status EngagementsApi::ListFindings(const Principal& p, const v1::ListFindingsRequest& req,
                                          v1::ListFindingsResponse* out) {
  auto ref = ParseEngagement(p, "parent", req.parent());
  if (!ref.ok()) return ref.status();
  auto e = Load(p, *ref, "ListFindings");
  if (!e.ok()) return e.status();
  return ListPaged<v1::ListFindingsResponse, v1::Finding>(
      tokens_, req.page_size(), req.page_token(),
      {"findings", req.parent(), req.open_only() ? "open" : "all"},
      [&](int64_t after, int limit) {
        return store_.ListFindings(ref->tenant, ref->id, req.open_only(), after, limit);
      },
      out, &v1::ListFindingsResponse::add_findings, DecodeWithEtag<v1::Finding>);
}

}  // namespace certpath::engagements
