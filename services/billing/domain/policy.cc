#include "services/billing/domain/policy.h"

namespace certpath::billing::domain {

const Policy& BillingPolicy() {
  constexpr Scope T = Scope::kTenant, O = Scope::kObject;
  static const Policy kPolicy(
      "billing", {
                     {"GetBillingSettings", T, kOfficeRoles, "billing settings"},
                     {"UpdateBillingSettings", T, kAdminRole, "billing settings"},
                     {"CreateQuote", T, kOfficeRoles, "quote"},
                     // Partners and clients list the quotes of one engagement they see,
                     // sent ones only (drafts are the office's: BillingApi::SeesDrafts).
                     {"ListQuotes", T, kAnyRole, "quote"},
                     {"GetQuote", O, kAnyRole, "quote"},
                     {"UpdateQuote", O, kOfficeRoles, "quote"},
                     {"SendQuote", O, kOfficeRoles, "quote"},
                     {"AcceptQuote", O, kOfficeRoles, "quote"},
                     {"RejectQuote", O, kOfficeRoles, "quote"},
                     {"RecordBillingEvent", T, kOfficeRoles, "billing event"},
                     {"ListBillingEvents", T, kOfficeRoles, "billing event"},
                     {"GetInvoice", O, kAnyRole, "invoice"},
                     // Partners and clients list the invoices of one engagement they see,
                     // issued ones only (drafts are the office's: BillingApi::SeesDrafts).
                     {"ListInvoices", T, kAnyRole, "invoice"},
                     {"UpdateInvoice", O, kAdminRole, "invoice"},
                     {"IssueInvoice", O, kAdminRole, "invoice"},
                     {"VoidInvoice", O, kAdminRole, "invoice"},
                     {"RecordPayment", O, kOfficeRoles, "invoice"},
                     {"ReversePayment", O, kAdminRole, "invoice"},
                     {"RecordRefund", O, kAdminRole, "invoice"},
                     {"ExportInvoices", T, kAdminRole, "invoice"},
                     {"ListAuditEntries", T, kAdminRole, "audit trail"},
                     {"VerifyAuditTrail", T, kAdminRole, "audit trail"},
                 });
  return kPolicy;
}

}  // namespace certpath::billing::domain
