#pragma once
// JSON-lines logging on stdout: one object per line with time, level, service,
// msg and any context fields (trace id, request id, tenant). Never log secrets.

#include <initializer_list>
#include <string>
#include <utility>
#include "absl/strings/string_view.h"

namespace certpath::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void SetService(std::string service);
void SetMinLevel(Level level);
bool Enabled(Level level);
// "debug", "info", "warn", "error"; false when unknown.
bool ParseLevel(absl::string_view name, Level* level);

using Field = std::pair<absl::string_view, absl::string_view>;
void Write(Level level, absl::string_view msg, std::initializer_list<Field> fields = {});

inline void Info(absl::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, msg, f);
}
inline void Warn(absl::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, msg, f);
}
inline void Error(absl::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kError, msg, f);
}

// JSON string escaping (UTF-8 passes through unchanged).
std::string JsonEscape(absl::string_view s);

}  // namespace certpath::log
