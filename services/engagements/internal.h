#pragma once
// What the engagements service's handler files share (not part of its API).

#include <string>

#include "services/common/validate.h"

namespace certpath::engagements::internal {

inline constexpr size_t kShortText = 200;    // names, titles
inline constexpr size_t kLongText = 4000;    // descriptions, advice, notes
inline constexpr size_t kMaxListItems = 50;  // departments, contacts, consultants, partners

inline google::protobuf::Timestamp Ts(absl::Time t) { return ToTimestamp(t); }

}  // namespace certpath::engagements::internal
