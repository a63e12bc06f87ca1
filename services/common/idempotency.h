#pragma once
// Idempotency records are scoped to the principal who made the request: a
// request_id replayed by anyone else names another record, so a stranger who
// learns a request_id (they travel in logs and traces) gets exactly what a
// first call of theirs would get, never the stored response. Services (the
// outbox relays) act as one principal, so any replica's redelivery replays.

#include <string>

#include "absl/strings/string_view.h"
#include "services/common/principal.h"

namespace certpath {

// "<prefix>idem:<principal scope>:<request_id>"; prefix is the service's
// tenant key prefix ("eng:{t:T}:").
std::string IdempotencyKey(absl::string_view prefix, const Principal& p,
                           absl::string_view request_id);

}  // namespace certpath
