#pragma once
// Input checks shared by every service: text (UTF-8, length), resource names,
// request ids, calendar dates. Each adds to a FieldViolations instead of failing
// fast, so one reply lists every problem.

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/type/date.pb.h"
#include "services/common/status.h"

namespace certpath {

// Decodes one code point at s[i]; returns its length, or 0 when invalid
// (overlong forms, surrogates and values above U+10FFFF are invalid).
size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp);
bool IsValidUtf8(absl::string_view s);
// Unicode code points in valid UTF-8.
size_t CodePoints(absl::string_view s);
// `s` (valid UTF-8) cut to at most `max_points` code points, whole characters.
std::string ClipText(absl::string_view s, size_t max_points);

// Valid UTF-8, no control characters except \n and \t when `multiline`, at most
// `max_chars` code points; when `required`, more than spaces (a blank
// justification or title is a missing one).
void CheckText(FieldViolations& v, absl::string_view field, absl::string_view value,
               size_t max_chars, bool required = false, bool multiline = false);

// Ids the server assigns and clients send back: [a-z0-9][a-z0-9-]{0,62}.
bool IsValidId(absl::string_view id);

// Splits "tenants/t1/engagements/e1" against {"tenants","engagements"} into
// {"t1","e1"}; INVALID_ARGUMENT on `field` when it does not match.
absl::StatusOr<std::vector<std::string>> ParseName(absl::string_view field, absl::string_view name,
                                                   const std::vector<absl::string_view>& kinds);

// The id at the end of a resource name: "tenants/t1/engagements/e1" → "e1".
inline std::string LastSegment(absl::string_view name) {
  return std::string(name.substr(name.rfind('/') + 1));
}

// A request_id is a UUID (8-4-4-4-12 hex). Empty is allowed (no idempotency).
void CheckRequestId(FieldViolations& v, absl::string_view value);

absl::optional<absl::CivilDay> ToCivilDay(const google::type::Date& d);
google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);
google::type::Date ToDate(absl::CivilDay day);
// When `required`, an unset date (0/0/0) is a violation; a set one must be a real day.
void CheckDate(FieldViolations& v, absl::string_view field, const google::type::Date& d,
               bool required);

// An update_mask must name at least one path, each among `allowed`.
void CheckUpdateMask(FieldViolations& v, const google::protobuf::FieldMask& mask,
                     absl::Span<const char* const> allowed);

// AIP-134 update: checks the mask (every path a top-level field among
// `allowed`; an output-only or unknown path is refused with its name), then
// copies exactly the masked fields of `from` into `to` with protobuf's
// FieldMaskUtil (a masked field unset in `from` is cleared; repeated and
// message fields are replaced, not merged). Validate only the masked paths
// afterwards: fields outside the mask are ignored. Copies nothing when the
// mask is refused.
void ApplyUpdateMask(FieldViolations& v, const google::protobuf::FieldMask& mask,
                     absl::Span<const char* const> allowed, const google::protobuf::Message& from,
                     google::protobuf::Message* to);
bool MaskHas(const google::protobuf::FieldMask& mask, absl::string_view path);

// SHA-256 of the message type and its deterministic serialization: what
// "the same request" means for idempotency.
std::string Fingerprint(const google::protobuf::Message& m);

}  // namespace certpath
