#pragma once
// A service's Redis key names: "<svc>:{t:<tenant>}:…" (a tenant stays in one
// cluster slot, so one atomic step never spans slots).

#include <string>

#include "absl/strings/string_view.h"

namespace certpath {

class KeySpace {
 public:
  explicit KeySpace(std::string service) : service_(std::move(service)) {}
  std::string Prefix(const std::string& tenant) const;  // "<svc>:{t:T}:"
  std::string Key(const std::string& tenant, absl::string_view kind, absl::string_view id) const;
  std::string Index(const std::string& tenant, absl::string_view name) const;
  std::string Ordinals(const std::string& tenant) const;
  std::string Tenants() const;  // the set of tenants that wrote (metrics)

 private:
  std::string service_;
};

}  // namespace certpath
