#include "gateway/http_fields.h"

#include <algorithm>
#include <cmath>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/crypto.h"
#include "services/common/server.h"

namespace certpath::gateway {

std::string TraceParent() { return absl::StrCat("00-", RandomHex(16), "-", RandomHex(8), "-01"); }

bool ValidTraceParent(absl::string_view v) {
  if (v.size() != 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 2 || i == 35 || i == 52) continue;
    char c = v[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return v.substr(0, 2) != "ff" && v.substr(3, 32) != std::string(32, '0') &&
         v.substr(36, 16) != std::string(16, '0');
}

bool ValidTraceState(absl::string_view v) {
  if (v.empty() || v.size() > 512) return false;
  for (char c : v) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool SafeRequestId(absl::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string AllowHeader(std::vector<std::string> methods) {
  if (absl::c_linear_search(methods, "GET")) methods.push_back("HEAD");
  return absl::StrJoin(methods, ", ");
}

std::vector<std::pair<std::string, std::string>> AdmissionHeaders(const Admission& admitted) {
  std::vector<std::pair<std::string, std::string>> out;
  if (admitted.metered) {
    const RateLimit& l = admitted.limit;
    int64_t reset =
        static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(admitted.take.retry_after)));
    out.emplace_back("RateLimit", absl::StrCat("limit=", l.burst, ", remaining=",
                                               admitted.take.remaining, ", reset=", reset));
    out.emplace_back("RateLimit-Policy",
                     absl::StrCat(l.burst, ";w=", static_cast<int64_t>(l.burst / l.per_second)));
    if (!admitted.take.allowed) {
      out.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, reset)));
    }
  }
  if (admitted.principal.status().code() == absl::StatusCode::kUnauthenticated) {
    out.emplace_back("WWW-Authenticate", "Bearer");
  }
  return out;
}

log::Level AnswerLogLevel(int http_status, const absl::Status& s) {
  if (http_status < 400) return log::Level::kInfo;
  if (s.ok()) return http_status >= 500 ? log::Level::kError : log::Level::kWarn;
  return FailureLogLevel(s.code());
}

}  // namespace certpath::gateway
