#pragma once
// Who may call each RPC of the billing service: the table the handlers and
// the access-matrix test both read (services/common/policy.h). Partners and
// clients see quotes and invoices of the engagements the engagements service
// shows them, and nothing else of billing.

#include "services/common/policy.h"

namespace certpath::billing::domain {

const Policy& BillingPolicy();

}  // namespace certpath::billing::domain
