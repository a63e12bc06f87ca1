#pragma once
// Setup shared by the billing tests and benchmark: an issuer that can issue
// qualified invoices, and engagements standing at stage 1 with an accepted
// consulting-fee quote (so passing stage 1 bills at once).

#include <string>

#include "absl/status/statusor.h"
#include "certpath/billing/v1/billing.grpc.pb.h"
#include "certpath/engagements/v1/engagements.grpc.pb.h"
#include "services/common/principal.h"

namespace certpath::testing {

// Issuer name and registration number set; stage-1 invoices issued at once.
absl::Status SetUpIssuer(billing::v1::BillingService::Stub& billing, const Principal& admin,
                         bool withholding);

// Creates an engagement for `client`, takes it to stage 1 (admin overrides) and
// accepts a quote whose consulting fee is `fee_jpy`. Returns the engagement name.
absl::StatusOr<std::string> Stage1ReadyEngagement(
    engagements::v1::EngagementService::Stub& engagements,
    billing::v1::BillingService::Stub& billing, const Principal& admin, const std::string& client,
    int64_t fee_jpy);

// A quote for `engagement` (recipient 株式会社デモ, the consulting fee
// `fee_jpy`), sent and accepted.
absl::Status AcceptQuoteFor(billing::v1::BillingService::Stub& billing, const Principal& admin,
                            const std::string& engagement, int64_t fee_jpy);

// "Stage 1 passed, may proceed" for `engagement` on 2026-11-20.
engagements::v1::RecordAuditResultRequest Stage1Passed(const std::string& engagement);

}  // namespace certpath::testing
