#include "services/scheduling/domain/policy.h"

namespace certpath::scheduling::domain {

const Policy& SchedulingPolicy() {
  constexpr Scope T = Scope::kTenant, O = Scope::kObject;
  static const Policy kPolicy(
      "scheduling",
      {
          {"CreateConsultant", T, kAdminRole, "consultant"},
          {"GetConsultant", O, kOfficeRoles, "consultant"},
          {"ListConsultants", T, kOfficeRoles, "consultant"},
          {"UpdateConsultant", O, kAdminRole, "consultant"},
          {"CreateOfficeClosure", T, kAdminRole, "office closure"},
          {"ListOfficeClosures", T, kAnyRole, "office closure"},
          {"ListBusinessDays", T, kAnyRole, "business days"},
          {"AddBusinessDays", T, kAnyRole, "business days"},
          {"BookVisit", T, kOfficeRoles, "visit"},
          // Partners and clients see the visits of the engagements they see.
          {"GetVisit", O, kAnyRole, "visit"},
          {"ListVisits", T, kAnyRole, "visit"},
          {"UpdateVisit", O, kOfficeRoles, "visit"},
          {"ConfirmVisit", O, kOfficeRoles, "visit"},
          {"CompleteVisit", O, kOfficeRoles, "visit"},
          {"CancelVisit", O, kOfficeRoles, "visit"},
          {"GetConsultantWorkload", O, kOfficeRoles, "consultant"},
          {"PlanAudit", T, kOfficeRoles, "audit"},
          {"ListAudits", T, kAnyRole, "audit"},
          {"GetAudit", O, kAnyRole, "audit"},
          {"UpdateAudit", O, kOfficeRoles, "audit"},
          {"CancelAudit", O, kOfficeRoles, "audit"},
          {"ListDeadlines", T, kAnyRole, "deadline"},
          {"CreateCalendarFeed", T, kOfficeRoles, "calendar feed"},
          {"RevokeCalendarFeed", O, kOfficeRoles, "calendar feed"},
          // The token is the credential (the gateway serves it without one).
          {"GetCalendarFeed", T, kAnyRole, "calendar feed"},
          {"ListDeadLetters", T, kAdminRole, "dead letter"},
          {"GetDeadLetter", T, kAdminRole, "dead letter"},
          {"ReplayDeadLetter", T, kAdminRole, "dead letter"},
          {"DiscardDeadLetter", T, kAdminRole, "dead letter"},
          {"ListAuditEntries", T, kAdminRole, "audit trail"},
          {"VerifyAuditTrail", T, kAdminRole, "audit trail"},
          // Consumed events (certpath.common.v1.EventConsumer), by the producers' relays.
          {"DeliverEvent", O, kServiceRole, "engagement"},
      });
  return kPolicy;
}

}  // namespace certpath::scheduling::domain
