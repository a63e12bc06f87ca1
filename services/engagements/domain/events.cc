#include "services/engagements/domain/events.h"

#include "google/protobuf/util/message_differencer.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/domain/catalog.h"

namespace certpath::engagements::domain {

namespace {

using google::protobuf::Any;

template <typename M>
Any Pack(const M& m) {
  Any a;
  a.PackFrom(m);
  return a;
}

v1::EngagementChanged Contract(const v1::Engagement& e) {
  v1::EngagementChanged c;
  c.set_engagement(e.name());
  c.set_client(e.client());
  c.set_phase(e.phase());
  c.set_state(e.state());
  *c.mutable_support_start() = e.support_start();
  *c.mutable_support_end() = e.support_end();
  c.set_lead_consultant(e.lead_consultant());
  *c.mutable_consultants() = e.consultants();
  *c.mutable_partner_organizations() = e.partner_organizations();
  *c.mutable_advisory_retainer_end() = e.advisory_retainer_end();
  return c;
}

bool SameDate(const google::type::Date& a, const google::type::Date& b) {
  return a.year() == b.year() && a.month() == b.month() && a.day() == b.day();
}

}  // namespace

std::vector<Any> EngagementEvents(const v1::Engagement* before, const v1::Engagement& after) {
  std::vector<Any> out;
  v1::EngagementChanged now = Contract(after);
  if (before == nullptr) {
    now.set_created(true);
    out.push_back(Pack(now));
  } else if (!google::protobuf::util::MessageDifferencer::Equals(Contract(*before), now)) {
    out.push_back(Pack(now));
  }
  int seen = before ? before->audit_results_size() : 0;
  for (int i = seen; i < after.audit_results_size(); ++i) {
    const v1::AuditResult& r = after.audit_results(i);
    v1::AuditResultRecorded a;
    a.set_engagement(after.name());
    a.set_stage(r.stage());
    a.set_outcome(r.outcome());
    *a.mutable_audit_date() = r.audit_date();
    out.push_back(Pack(a));
    if (r.stage() == v1::AUDIT_STAGE_1 && r.outcome() == v1::AUDIT_OUTCOME_MAY_PROCEED) {
      // The consulting fee is due: billing invoices it.
      v1::Stage1Passed s;
      s.set_engagement(after.name());
      s.set_reference_number(after.reference_number());
      s.set_client(after.client());
      *s.mutable_audit_date() = r.audit_date();
      out.push_back(Pack(s));
    }
  }
  bool registered_before = before && before->has_registration_date();
  if (after.has_registration_date() &&
      (!registered_before || !SameDate(before->registration_date(), after.registration_date()) ||
       before->certificate_number() != after.certificate_number())) {
    v1::RegistrationRecorded r;
    r.set_engagement(after.name());
    *r.mutable_registration_date() = after.registration_date();
    r.set_certificate_number(after.certificate_number());
    out.push_back(Pack(r));
  }
  if (after.state() == v1::ENGAGEMENT_STATE_TERMINATED &&
      (before == nullptr || before->state() != v1::ENGAGEMENT_STATE_TERMINATED)) {
    v1::EngagementTerminated t;
    t.set_engagement(after.name());
    if (after.has_update_time()) {
      auto day = absl::ToCivilDay(absl::FromUnixSeconds(after.update_time().seconds()),
                                  absl::FixedTimeZone(9 * 3600));
      *t.mutable_termination_date() = ToDate(day);
    }
    out.push_back(Pack(t));
  }
  return out;
}

std::vector<Any> FindingEvents(const v1::Finding* before, const v1::Finding& after) {
  if (before != nullptr && before->grade() == after.grade() && before->state() == after.state() &&
      SameDate(before->corrective_action_due(), after.corrective_action_due())) {
    return {};
  }
  v1::FindingChanged f;
  std::string name = after.name();
  f.set_engagement(name.substr(0, name.find("/findings/")));
  f.set_finding(name);
  f.set_created(before == nullptr);
  f.set_grade(after.grade());
  *f.mutable_corrective_action_due() = after.corrective_action_due();
  f.set_state(after.state());
  return {Pack(f)};
}

absl::StatusOr<bool> CompleteTaskFromEvent(v1::Engagement& e, const std::string& task_id,
                                           const std::string& by, const std::string& note,
                                           absl::Time now) {
  if (FindTask(task_id) == nullptr) return NotFound("task " + task_id);
  if (e.state() == v1::ENGAGEMENT_STATE_TERMINATED) return false;
  v1::TaskState* s = nullptr;
  for (auto& ts : *e.mutable_task_states()) {
    if (ts.task_id() == task_id) s = &ts;
  }
  if (s != nullptr &&
      (s->status() == v1::TASK_STATUS_DONE || s->status() == v1::TASK_STATUS_NOT_APPLICABLE)) {
    return false;
  }
  if (s == nullptr) {
    s = e.add_task_states();
    s->set_task_id(task_id);
  }
  s->set_status(v1::TASK_STATUS_DONE);
  s->set_note(note);
  s->set_updated_by(by);
  *s->mutable_update_time() = ToTimestamp(now);
  *e.mutable_update_time() = ToTimestamp(now);
  return true;
}

}  // namespace certpath::engagements::domain
