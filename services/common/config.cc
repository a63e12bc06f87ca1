#include "services/common/config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"
#include "services/common/status.h"

namespace certpath {

absl::StatusOr<Config> Config::FromArgs(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      return InvalidArgument(std::string(arg), "expected --name=value");
    }
    arg.remove_prefix(2);
    auto eq = arg.find('=');
    if (eq == absl::string_view::npos) {
      config.flags_[std::string(arg)] = "true";
    } else {
      config.flags_[std::string(arg.substr(0, eq))] = std::string(arg.substr(eq + 1));
    }
  }
  return config;
}

std::string Config::Get(absl::string_view name, absl::string_view fallback) const {
  if (auto it = flags_.find(name); it != flags_.end()) return it->second;
  std::string env =
      "CERTPATH_" + absl::AsciiStrToUpper(absl::StrReplaceAll(std::string(name), {{"-", "_"}}));
  if (const char* v = std::getenv(env.c_str()); v != nullptr) return v;
  return std::string(fallback);
}

absl::StatusOr<int64_t> Config::GetInt(absl::string_view name, int64_t fallback) const {
  std::string text = Get(name, "");
  if (text.empty()) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return InvalidArgument(std::string(name), "not an integer: " + text);
  }
  return value;
}

bool Config::GetBool(absl::string_view name, bool fallback) const {
  std::string text = absl::AsciiStrToLower(Get(name, ""));
  if (text.empty()) return fallback;
  return text == "true" || text == "1" || text == "yes";
}

}  // namespace certpath
