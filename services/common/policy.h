#pragma once
// Who may call what, as data: every service declares one table of its RPCs
// (services/<svc>/domain/policy.cc) and its handlers and its access-matrix
// test both read it. Role predicates live here, once.
//
// Two kinds of RPC:
//  - tenant scope (create, list, settings): a caller of another tenant gets
//    NOT_FOUND; a caller of the tenant whose role may not call it gets
//    PERMISSION_DENIED;
//  - object scope (anything naming one resource): a caller who may not see the
//    object — another tenant, a partner not on the engagement, another client
//    company — gets NOT_FOUND (existence is not leaked); one who sees it but
//    whose role may not do this gets PERMISSION_DENIED.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/common/principal.h"

namespace certpath {

bool IsOfficeStaff(const Principal& p);  // OFFICE_ADMIN, CONSULTANT, SERVICE
bool IsOfficeAdmin(const Principal& p);

// Roles as bits, for the `may` column.
enum RoleBits : uint8_t {
  kAdminRole = 1 << 0,
  kConsultantRole = 1 << 1,
  kServiceRole = 1 << 2,
  kPartnerRole = 1 << 3,
  kClientRole = 1 << 4,
};
inline constexpr uint8_t kOfficeRoles = kAdminRole | kConsultantRole | kServiceRole;
inline constexpr uint8_t kAdminRoles = kAdminRole | kServiceRole;
inline constexpr uint8_t kAnyRole = kOfficeRoles | kPartnerRole | kClientRole;
uint8_t RoleBit(const Principal& p);  // 0 for an unknown role
// Who `may` (role bits) names, for a PERMISSION_DENIED message: "office
// admins", "office staff and partners", "consultants, partners and clients" …
std::string RolesText(uint8_t may);

enum class Scope { kTenant, kObject };

struct RpcRule {
  const char* method;  // the RPC's name, as in the proto
  Scope scope;
  uint8_t may;       // roles that may call it (on what they can see)
  const char* what;  // the resource named in NOT_FOUND / PERMISSION_DENIED
};

class Policy {
 public:
  Policy(std::string service, std::initializer_list<RpcRule> rules);

  // The rule of `method`; every RPC has one (App::Start refuses to start a
  // service whose table misses one: CheckCovers).
  const RpcRule& Rule(absl::string_view method) const;
  // PERMISSION_DENIED when `p`'s role may not call `method`. Call it once the
  // caller was found to see the object (object scope) or the tenant.
  absl::Status Allow(const Principal& p, absl::string_view method) const;
  // NOT_FOUND of the rule's resource: what a caller who may not see it gets.
  absl::Status Hidden(absl::string_view method) const;
  bool May(const Principal& p, absl::string_view method) const;
  const std::vector<RpcRule>& rules() const { return rules_; }
  // The methods of `methods` without a rule (empty = every RPC is covered).
  std::vector<std::string> Uncovered(const std::vector<std::string>& methods) const;
  // FAILED_PRECONDITION naming the RPCs of `service` (a proto service's full
  // name, e.g. "certpath.billing.v1.BillingService") that have no rule.
  absl::Status CheckCovers(absl::string_view service) const;

 private:
  std::string service_;
  std::vector<RpcRule> rules_;
};

}  // namespace certpath
