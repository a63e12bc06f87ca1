#pragma once
// Quotes, invoices and payments: the states they move through and what each
// step requires. Pure functions over the billing resources; no I/O.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "certpath/scheduling/v1/scheduling.pb.h"
#include "services/billing/domain/money.h"
#include "services/common/status.h"

namespace certpath::billing::domain {

// Lines as a caller sends them: kind, description, quantity 1..1000, unit
// price 0..100,000,000 yen; at least one when `required`.
void CheckLines(FieldViolations& v, const std::string& field,
                const google::protobuf::RepeatedPtrField<v1::Line>& lines, bool required);
void CheckSettings(FieldViolations& v, const v1::BillingSettings& s);

// SENT past valid_until reads as EXPIRED.
v1::QuoteState EffectiveQuoteState(const v1::Quote& q, absl::CivilDay today);
// draft → sent; draft|sent → accepted|rejected. Recomputes nothing else.
absl::Status MoveQuote(v1::Quote& q, v1::QuoteState to, absl::CivilDay today);
// The lines the stage-1 trigger invoices: the accepted quote's consulting fee.
std::vector<v1::Line> ConsultingFeeLines(const v1::Quote& q);
// The lines of a paid visit done (scheduling's VisitCompleted): 指導料 by the
// day or half day from the price list, then its expenses at cost. Empty for
// an included visit (not billed).
std::vector<v1::Line> PaidVisitLines(const certpath::scheduling::v1::VisitCompleted& visit,
                                     const v1::PriceList& prices);
// OPTION_DELIVERED during support, POST_CONTRACT_GUIDANCE_VISIT after it.
v1::BillingEventKind PaidVisitKind(certpath::scheduling::v1::VisitKind kind);

v1::Invoice DraftInvoice(const std::string& name, const std::string& engagement,
                         const std::string& recipient, const std::vector<v1::Line>& lines,
                         const v1::BillingSettings& settings,
                         const std::vector<std::string>& billing_events, absl::Time now);
// A draft whose recipient or lines were edited: its totals and balance
// follow (at the settings of now; issuing prices it again). Only a draft is
// edited: an issued invoice is voided and replaced instead.
absl::Status RepriceDraft(v1::Invoice& inv, const v1::BillingSettings& settings, absl::Time now);
// An issue date is not in the future (Tokyo `today`) nor before `latest`, the
// latest date among the invoices numbered before it: numbers and dates go in
// the same order. INVALID_ARGUMENT on issue_date.
absl::Status CheckIssueDate(absl::CivilDay issue_date, absl::CivilDay today,
                            absl::optional<absl::CivilDay> latest);
// Draft → issued on `issue_date`: the issuer's name and registration number
// are fixed on it (the caller allocates the number in the same atomic step).
absl::Status Issue(v1::Invoice& inv, absl::CivilDay issue_date, const v1::BillingSettings& settings,
                   absl::Time now);
// An issued invoice that bills the stage-1 consulting fee (an event nobody
// can record again) is voided only with a replacement, so the fee stays
// billed: FEE_NEEDS_REPLACEMENT. A draft may be voided alone (the fee waived).
absl::Status CheckFeeStaysBilled(const v1::Invoice& inv, bool replacement,
                                 const std::vector<v1::BillingEvent>& events);
// Issued (nothing paid, or every payment reversed or refunded) → void, with a
// reason.
absl::Status Void(v1::Invoice& inv, const std::string& reason, absl::Time now);
// A payment of 1..balance yen; the full balance → paid.
absl::Status RecordPayment(v1::Invoice& inv, int64_t amount_jpy, absl::CivilDay paid_date,
                           const std::string& by, absl::Time now);
// Marks payment `payment_id` reversed (recorded by mistake): paid goes down,
// the balance up, a paid invoice reads issued again. Never deletes it.
absl::Status ReversePayment(v1::Invoice& inv, const std::string& payment_id,
                            const std::string& reason, const std::string& by, absl::Time now);
// Money paid back: 1..paid yen, no more than was received and not paid back
// by its date (not in the future); paid goes down, the balance up.
absl::Status RecordRefund(v1::Invoice& inv, int64_t amount_jpy, absl::CivilDay refund_date,
                          const std::string& reason, const std::string& by, absl::Time now);
bool IsOverdue(const v1::Invoice& inv, absl::CivilDay today);

}  // namespace certpath::billing::domain
