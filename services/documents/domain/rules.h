#pragma once
// The rules of engagement documents, free of I/O: version numbers, the
// states a version moves through, who may decide a review, when reviews are
// free (during the support period) or paid (after it).

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "certpath/documents/v1/documents.pb.h"
#include "certpath/engagements/v1/engagements.pb.h"
#include "services/common/principal.h"

namespace certpath::documents::domain {

namespace v1 = certpath::documents::v1;
namespace ev1 = certpath::engagements::v1;

// The index n of a version name ".../versions/{n}"; 0 when it is not one.
int VersionIndex(const std::string& version_name);

// "" → "1.0"; minor: "1.2" → "1.3"; major: "1.2" → "2.0".
absl::StatusOr<std::string> NextVersionNumber(const std::string& latest, bool major);

// Whether a review requested on `today` is included in support (free): the
// engagement is active and today is within its support period.
bool ReviewIncluded(const ev1::Engagement& e, absl::CivilDay today);

// DRAFT / CHANGES_REQUESTED → IN_REVIEW when included, else
// AWAITING_ACCEPTANCE. The office's template as provided is not submitted:
// the client's customized version is (seed §2).
absl::Status Submit(v1::DocumentVersion& v, bool included);
// FAILED_PRECONDITION DOCUMENT_STATE when `doc` is archived: no new versions,
// reviews, comments or decisions.
absl::Status CheckActive(const v1::Document& doc);
// AWAITING_ACCEPTANCE → IN_REVIEW, billable at `price_jpy`, which must lie in
// [min_jpy, max_jpy] (the price list's manual-review range).
absl::Status AcceptPaid(v1::DocumentVersion& v, int64_t price_jpy, int64_t min_jpy,
                        int64_t max_jpy);
// IN_REVIEW → APPROVED (effective from `effective`) or CHANGES_REQUESTED;
// AWAITING_ACCEPTANCE → DRAFT when the office declines the paid review.
// Appends the round to the version's reviews.
absl::Status Decide(v1::DocumentVersion& v, v1::ReviewDecision decision, const std::string& by,
                    absl::CivilDay effective, absl::Time now);
// FAILED_PRECONDITION OLDER_THAN_EFFECTIVE when version `n` (numbered
// `number`) of `doc` is older than its effective version: never approved (no
// rollback), so neither submitted nor accepted as a paid review. `instead`
// says what to do.
absl::Status CheckNotOlderThanEffective(const v1::Document& doc, int n, const std::string& number,
                                        absl::string_view instead);
// A version waiting for a review, taken back to DRAFT as its document is
// archived (it would wait for ever); FAILED_PRECONDITION PAID_REVIEW_OPEN for
// a paid review accepted (billed) and not decided yet.
absl::Status Withdraw(v1::DocumentVersion& v);
// Who decides a review: an office admin, a consultant of the engagement
// (lead or listed), a partner organization listed on it. Clients never.
bool MayDecide(const Principal& p, const ev1::Engagement& e);

}  // namespace certpath::documents::domain
