#include "services/engagements/domain/policy.h"

namespace certpath::engagements::domain {

const Policy& EngagementsPolicy() {
  constexpr Scope T = Scope::kTenant, O = Scope::kObject;
  constexpr uint8_t kOfficeOrPartner = kOfficeRoles | kPartnerRole;
  static const Policy kPolicy(
      "engagements",
      {
          {"CreateClient", T, kOfficeRoles, "client"},
          {"ListClients", T, kOfficeRoles, "client"},
          {"GetClient", O, kAnyRole, "client"},
          {"UpdateClient", O, kOfficeRoles, "client"},
          {"DeleteClient", O, kAdminRole, "client"},
          {"EraseClientPersonalData", O, kAdminRole, "client"},
          {"CreateEngagement", T, kOfficeRoles, "engagement"},
          // Partners and clients list only theirs: their scope is a filter they cannot widen.
          {"ListEngagements", T, kAnyRole, "engagement"},
          {"GetEngagement", O, kAnyRole, "engagement"},
          {"UpdateEngagement", O, kOfficeRoles, "engagement"},
          {"AdvancePhase", O, kOfficeRoles, "engagement"},
          {"TerminateEngagement", O, kAdminRole, "engagement"},
          {"ListTasks", O, kAnyRole, "engagement"},
          // Each side its own tasks (domain::UpdateTask).
          {"UpdateTask", O, kAnyRole, "engagement"},
          {"RecordAuditResult", O, kOfficeRoles, "engagement"},
          {"RecordManagementReview", O, kOfficeRoles, "engagement"},
          {"RecordRegistration", O, kOfficeRoles, "engagement"},
          // The audited side: internal-audit findings, corrective actions and
          // evidence only (domain::CheckFindingCreate / CheckFindingUpdate).
          {"CreateFinding", O, kAnyRole, "engagement"},
          {"UpdateFinding", O, kAnyRole, "engagement"},
          {"ListFindings", O, kAnyRole, "engagement"},
          {"CreateInquiry", O, kAnyRole, "engagement"},
          {"AnswerInquiry", O, kOfficeOrPartner, "engagement"},
          {"ListInquiries", O, kAnyRole, "engagement"},
          // Event delivery and the audit trail (services/common/outbox.h, audit.h).
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

}  // namespace certpath::engagements::domain
