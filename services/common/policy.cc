#include "services/common/policy.h"

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace certpath {

bool IsOfficeStaff(const Principal& p) { return (RoleBit(p) & kOfficeRoles) != 0; }
bool IsOfficeAdmin(const Principal& p) { return p.role() == Principal::ROLE_OFFICE_ADMIN; }

uint8_t RoleBit(const Principal& p) {
  switch (p.role()) {
    case Principal::ROLE_OFFICE_ADMIN:
      return kAdminRole;
    case Principal::ROLE_CONSULTANT:
      return kConsultantRole;
    case Principal::ROLE_SERVICE:
      return kServiceRole;
    case Principal::ROLE_PARTNER:
      return kPartnerRole;
    case Principal::ROLE_CLIENT:
      return kClientRole;
    default:
      return 0;
  }
}

Policy::Policy(std::string service, std::initializer_list<RpcRule> rules)
    : service_(std::move(service)), rules_(rules) {}

const RpcRule& Policy::Rule(absl::string_view method) const {
  for (const auto& r : rules_) {
    if (method == r.method) return r;
  }
  log::Error("no access rule for an RPC", {{"method", method}});
  std::abort();  // a programming error: every RPC is in the table (tested)
}

std::string RolesText(uint8_t may) {
  std::vector<std::string> names;
  constexpr uint8_t kStaff = kAdminRole | kConsultantRole;
  if ((may & kStaff) == kStaff) {
    names.push_back("office staff");
  } else if (may & kAdminRole) {
    names.push_back("office admins");
  } else if (may & kConsultantRole) {
    names.push_back("consultants");
  }
  if (may & kPartnerRole) names.push_back("partners");
  if (may & kClientRole) names.push_back("clients");
  if (names.empty()) return "the office's own services";
  std::string last = names.back();
  names.pop_back();
  return names.empty() ? last : absl::StrCat(absl::StrJoin(names, ", "), " and ", last);
}

bool Policy::May(const Principal& p, absl::string_view method) const {
  return (Rule(method).may & RoleBit(p)) != 0;
}

absl::Status Policy::Allow(const Principal& p, absl::string_view method) const {
  if (May(p, method)) return absl::OkStatus();
  const RpcRule& r = Rule(method);
  std::string who = RolesText(r.may);
  const char* article =
      r.what[0] != '\0' && std::strchr("aeiou", r.what[0]) != nullptr ? " on an " : " on a ";
  return PermissionDenied(absl::StrCat(method, article, r.what, " is for ", who));
}

absl::Status Policy::Hidden(absl::string_view method) const { return NotFound(Rule(method).what); }

absl::Status Policy::CheckCovers(absl::string_view service) const {
  const auto* svc =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(service));
  if (svc == nullptr) return absl::FailedPreconditionError(absl::StrCat("no service ", service));
  std::vector<std::string> methods;
  for (int i = 0; i < svc->method_count(); ++i) methods.push_back(svc->method(i)->name());
  auto missing = Uncovered(methods);
  if (missing.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(service_, ": no access rule for ", absl::StrJoin(missing, ", ")));
}

std::vector<std::string> Policy::Uncovered(const std::vector<std::string>& methods) const {
  std::vector<std::string> out;
  for (const auto& m : methods) {
    bool found = false;
    for (const auto& r : rules_) found = found || m == r.method;
    if (!found) out.push_back(m);
  }
  return out;
}

}  // namespace certpath
