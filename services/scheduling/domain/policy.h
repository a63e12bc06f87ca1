#pragma once
// Who may call which scheduling RPC (services/common/policy.h).
#include "services/common/policy.h"

namespace certpath::scheduling::domain {

const Policy& SchedulingPolicy();

}  // namespace certpath::scheduling::domain
