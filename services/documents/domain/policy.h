#pragma once
// Who may call which documents RPC (services/common/policy.h).
#include "services/common/policy.h"

namespace certpath::documents::domain {

const Policy& DocumentsPolicy();

}  // namespace certpath::documents::domain
