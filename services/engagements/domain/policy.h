#pragma once
// Who may call each RPC of the engagements service: the table the handlers
// and the access-matrix test both read (see services/common/policy.h for the
// two scopes). Finer rules live beside it in rules.h: which side owns a task
// (UpdateTask), which finding fields each side writes (FindingFieldRules),
// and who sees a client (CanSeeClient, plus partners through their engagements).

#include "services/common/policy.h"

namespace certpath::engagements::domain {

const Policy& EngagementsPolicy();

}  // namespace certpath::engagements::domain
