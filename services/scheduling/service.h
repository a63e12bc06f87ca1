#pragma once
// The scheduling service's operations, free of gRPC: validate, authorize
// against the policy table (domain/policy.h), run the domain rules, one
// atomic store step. One file per resource: consultants.cc (consultants,
// closures, business days), visits.cc, audits.cc (audits, deadlines and the
// engagement events they come from), feeds.cc; what they share is service.cc.

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "certpath/common/v1/common.pb.h"
#include "certpath/scheduling/v1/scheduling.pb.h"
#include "google/api/httpbody.pb.h"
#include "services/common/clock.h"
#include "services/common/page_token.h"
#include "services/common/principal.h"
#include "services/common/service_host.h"
#include "services/scheduling/domain/calendar.h"
#include "services/scheduling/store.h"

namespace certpath::scheduling {

using domain::BusinessCalendar;
using domain::Closure;

class SchedulingApi {
 public:
  SchedulingApi(SchedulingStore& store, const Clock& clock, const PageTokenCodec& tokens,
                const WriteGate& gate, prometheus::Registry& registry);
  // Called after a step published an event (wakes the relay).
  void set_event_hook(std::function<void()> hook) { on_event_ = std::move(hook); }

  // consultants.cc
  absl::Status CreateConsultant(const Principal& p, const v1::CreateConsultantRequest& req,
                                v1::Consultant* out);
  absl::Status GetConsultant(const Principal& p, const v1::GetConsultantRequest& req,
                             v1::Consultant* out);
  absl::Status ListConsultants(const Principal& p, const v1::ListConsultantsRequest& req,
                               v1::ListConsultantsResponse* out);
  absl::Status UpdateConsultant(const Principal& p, const v1::UpdateConsultantRequest& req,
                                v1::Consultant* out);
  absl::Status CreateOfficeClosure(const Principal& p, const v1::CreateOfficeClosureRequest& req,
                                   v1::OfficeClosure* out);
  absl::Status ListOfficeClosures(const Principal& p, const v1::ListOfficeClosuresRequest& req,
                                  v1::ListOfficeClosuresResponse* out);
  absl::Status ListBusinessDays(const Principal& p, const v1::ListBusinessDaysRequest& req,
                                v1::ListBusinessDaysResponse* out);
  absl::Status AddBusinessDays(const Principal& p, const v1::AddBusinessDaysRequest& req,
                               v1::AddBusinessDaysResponse* out);
  // visits.cc
  absl::Status BookVisit(const Principal& p, const v1::BookVisitRequest& req, v1::Visit* out);
  absl::Status GetVisit(const Principal& p, const v1::GetVisitRequest& req, v1::Visit* out);
  absl::Status ListVisits(const Principal& p, const v1::ListVisitsRequest& req,
                          v1::ListVisitsResponse* out);
  absl::Status UpdateVisit(const Principal& p, const v1::UpdateVisitRequest& req, v1::Visit* out);
  absl::Status ConfirmVisit(const Principal& p, const v1::VisitActionRequest& req, v1::Visit* out);
  absl::Status CompleteVisit(const Principal& p, const v1::CompleteVisitRequest& req,
                             v1::Visit* out);
  absl::Status CancelVisit(const Principal& p, const v1::CancelVisitRequest& req, v1::Visit* out);
  absl::Status GetConsultantWorkload(const Principal& p,
                                     const v1::GetConsultantWorkloadRequest& req,
                                     v1::ConsultantWorkload* out);
  // audits.cc
  absl::Status PlanAudit(const Principal& p, const v1::PlanAuditRequest& req, v1::Audit* out);
  absl::Status ListAudits(const Principal& p, const v1::ListAuditsRequest& req,
                          v1::ListAuditsResponse* out);
  absl::Status GetAudit(const Principal& p, const v1::GetAuditRequest& req, v1::Audit* out);
  absl::Status UpdateAudit(const Principal& p, const v1::UpdateAuditRequest& req, v1::Audit* out);
  absl::Status CancelAudit(const Principal& p, const v1::CancelAuditRequest& req, v1::Audit* out);
  absl::Status ListDeadlines(const Principal& p, const v1::ListDeadlinesRequest& req,
                             v1::ListDeadlinesResponse* out);
  // Consumed engagements events (subscriptions.cc), each applied once.
  absl::Status ApplyEngagementEvent(const Principal& p, const cv1::OutboxEvent& event);
  // ClientPersonalDataErased: the client attendees of the engagements' visits
  // erased, in one step, once per event.
  absl::Status ApplyPersonalDataErased(const Principal& p, const cv1::OutboxEvent& event);
  // feeds.cc
  absl::Status CreateCalendarFeed(const Principal& p, const v1::CreateCalendarFeedRequest& req,
                                  v1::CalendarFeed* out);
  absl::Status RevokeCalendarFeed(const Principal& p, const v1::RevokeCalendarFeedRequest& req,
                                  v1::CalendarFeed* out);
  absl::Status GetCalendarFeed(const Principal& p, const v1::GetCalendarFeedRequest& req,
                               google::api::HttpBody* out);

 private:
  // A consumed event applied once: `step` runs (again after a conflict)
  // unless the event was applied before, and commits with `idem` (kept for good).
  absl::Status ApplyOnce(const Principal& p, const cv1::OutboxEvent& event,
                         const std::function<absl::Status(const Idem&)>& step);
  // The principal's tenant named as `parent`, and `method` allowed to its role.
  absl::Status CheckParent(const Principal& p, const std::string& parent,
                           absl::string_view method) const;
  absl::Status CheckWritable(const Principal& p) { return writable_.Check(p.tenant()); }
  // `name` as tenants/{tenant}/{kind}/{id} of the caller's tenant → id.
  absl::StatusOr<std::string> ParseId(const Principal& p, absl::string_view field,
                                      const std::string& name, absl::string_view kind) const;
  // The engagement as scheduling knows it, if the caller sees it (else NOT_FOUND).
  absl::StatusOr<Stored<v1::EngagementView>> LoadEngagement(const Principal& p,
                                                            absl::string_view field,
                                                            const std::string& name);
  // The engagement a list is narrowed to ("" = the whole tenant, office staff
  // only): partners and clients must name one they see.
  absl::StatusOr<std::string> ListScope(const Principal& p, const std::string& engagement);
  absl::StatusOr<Stored<v1::Consultant>> LoadConsultant(const Principal& p, const std::string& name,
                                                        absl::string_view method);
  absl::StatusOr<Stored<v1::Visit>> LoadVisit(const Principal& p, const std::string& name,
                                              absl::string_view method);
  // NOT_FOUND (as `what`) unless office staff or a caller who sees
  // `engagement`; then `method` allowed to the caller's role.
  absl::Status CheckSeen(const Principal& p, const std::string& engagement, absl::string_view what,
                         absl::string_view method);
  // The tenant's holidays and closures; closures cached for a few seconds
  // (dropped here when this replica records one).
  absl::StatusOr<BusinessCalendar> Calendar(const std::string& tenant);
  // What a booking decision on `visit` reads (its engagement, consultants and
  // their calendars), in one round trip; the engagement must be one the
  // caller sees.
  absl::StatusOr<BookingRead> ReadBooking(const Principal& p, const v1::Visit& visit);
  // The calendar checks of a visit: consultants exist, are free, work that
  // day, no holiday or closure; what an admin's override let pass goes to
  // *overridden (FAILED_PRECONDITION otherwise).
  absl::Status CheckCalendars(const Principal& p, const v1::Visit& visit, const BookingRead& read,
                              const std::string& override_reason,
                              std::vector<std::string>* overridden);
  // One step of a visit's change, with its event when done.
  // `observed`, `view`: what an observation visit's move was checked
  // against (kept unchanged; SchedulingStore::SaveVisit).
  absl::Status SaveVisit(const Principal& p, const Stored<v1::Visit>* before, v1::Visit after,
                         const std::vector<CalendarRead>& calendars, const Idem& idem, bool publish,
                         v1::Visit* out, const std::vector<Stored<v1::Audit>>& observed = {},
                         const Stored<v1::EngagementView>* view = nullptr);
  absl::Status VisitAction(const Principal& p, const std::string& name, const std::string& etag,
                           absl::string_view method,
                           const std::function<absl::Status(v1::Visit&)>& change, v1::Visit* out);
  // The audit `name`, if the caller sees its engagement (else NOT_FOUND);
  // `method` allowed to the caller's role; audits planned before states
  // existed read as PLANNED.
  absl::StatusOr<Stored<v1::Audit>> LoadAudit(const Principal& p, const std::string& name,
                                              absl::string_view method);
  // An audit as planned or changed, checked (fields, days, a live
  // engagement, observers of this tenant, an observation visit of the
  // engagement on the audit's days whose consultants observe) and completed
  // (last_day set; the visit's consultants observe when none are named).
  // What it read (the engagement, the observation visit) goes to *reads. A
  // change (`before` set) that leaves the visit, the days and the observers
  // alone does not check the visit again (it may have been cancelled since).
  struct AuditReads {
    absl::optional<Stored<v1::EngagementView>> engagement;
    absl::optional<Stored<v1::Visit>> observation;
  };
  absl::Status CheckAudit(const Principal& p, absl::string_view method, v1::Audit& a,
                          const v1::Audit* before, AuditReads* reads);
  // One step: the audit (new when `before` is null; its sequence raised and
  // update time set otherwise) and the engagement's deadlines recomputed
  // with it. An observation visit observes one audit. `reads`: what
  // CheckAudit read, kept unchanged (the engagement is read when absent).
  absl::Status SaveAudit(const Principal& p, const Stored<v1::Audit>* before, v1::Audit a,
                         const AuditReads& reads, const Idem& idem, v1::Audit* out);
  // The deadlines of an engagement recomputed: what changes.
  absl::StatusOr<std::vector<DeadlineChange>> DeadlineChanges(
      const std::string& tenant, const v1::EngagementView& e, const std::vector<v1::Audit>& audits,
      const cv1::OutboxEvent* finding_event);

  SchedulingStore& store_;
  const Clock& clock_;
  const PageTokenCodec& tokens_;
  WritableTenants writable_;
  std::function<void()> on_event_;
  static constexpr absl::Duration kClosureCacheTtl = absl::Seconds(5);
  struct CachedClosures {
    absl::Time read;
    std::vector<Closure> closures;
  };
  std::mutex closures_mu_;
  std::map<std::string, CachedClosures> closures_;  // by tenant
  prometheus::Family<prometheus::Counter>& visits_total_;
  prometheus::Family<prometheus::Counter>& overrides_total_;
  prometheus::Family<prometheus::Counter>& feeds_served_;
};

}  // namespace certpath::scheduling
