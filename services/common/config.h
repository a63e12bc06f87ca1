#pragma once
// Configuration from flags (--name=value) with the environment as fallback
// (CERTPATH_NAME, upper case, '-' → '_'), then the default.

#include <cstdint>
#include <map>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace certpath {

class Config {
 public:
  // Refuses arguments that are not --name=value or --name (boolean true).
  static absl::StatusOr<Config> FromArgs(int argc, char** argv);

  std::string Get(absl::string_view name, absl::string_view fallback) const;
  absl::StatusOr<int64_t> GetInt(absl::string_view name, int64_t fallback) const;
  bool GetBool(absl::string_view name, bool fallback) const;
  void Set(std::string name, std::string value) { flags_[std::move(name)] = std::move(value); }

 private:
  std::map<std::string, std::string, std::less<>> flags_;
};

}  // namespace certpath
