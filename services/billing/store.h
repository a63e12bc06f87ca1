#pragma once
// The billing service's Redis keys and atomic steps, on the shared repository
// layer (services/common/repository.h): each business operation is one typed
// step here, one Commit; nothing above this file sees a key or a Batch.
//
//   bill:{t:T}:settings                      billing settings record
//   bill:{t:T}:quote:<id>                    quotes
//   bill:{t:T}:accepted:<eid>                the accepted quote id of an engagement
//   bill:{t:T}:event:<request_id>            billing events (id = the request id)
//   bill:{t:T}:invoice:<id>                  invoices
//   bill:{t:T}:invoice_seq                   invoice number counter (no gaps, no reuse)
//   bill:{t:T}:idx:quotes[:eng:<eid>]        zset ordinal → quote id
//   bill:{t:T}:idx:events[:needs_quote[:<eid>]|:eng:<eid>]
//   bill:{t:T}:idx:invoices[:state:N|:eng:<eid>]
//   bill:{t:T}:idx:invoices:issued           zset yyyymmdd issue date → id (export)
//   bill:{t:T}:idx:invoices:open_due         zset yyyymmdd due date → id (issued, unpaid)
//   bill:{t:T}:idx:invoices:open_balance     zset balance yen → id (issued, unpaid)
//   bill:{t:T}:idx:refunds                   zset yyyymmdd refund date → <invoice id>:<refund id>
//   bill:{t:T}:idem:<principal>:<request_id> idempotency record, per principal (events: kept)
//   bill:tenants                             set of tenants (metrics only)

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/types/optional.h"
#include "certpath/billing/v1/billing.pb.h"
#include "services/common/principal.h"
#include "services/common/repository.h"

namespace certpath::billing {

namespace v1 = certpath::billing::v1;

struct TenantBillingStats {
  int64_t outstanding_jpy = 0;
  int64_t overdue_count = 0;
  int64_t overdue_jpy = 0;
  int64_t needs_quote = 0;
};

// A new invoice written in a step: issued ones get their number there.
struct NewInvoice {
  std::string id;
  v1::Invoice invoice;
  bool issue = false;
};

class BillingStore : public Repository {
 public:
  BillingStore(RecordStore& records, int64_t idempotency_ttl_seconds)
      : Repository(records, "bill", "billing", idempotency_ttl_seconds) {}

  // ---- reads
  // Defaults (version 0) when the tenant never saved settings.
  absl::StatusOr<Stored<v1::BillingSettings>> GetSettings(const std::string& tenant);
  absl::StatusOr<absl::optional<Stored<v1::Quote>>> GetQuote(const std::string& tenant,
                                                             const std::string& id);
  // The accepted quote of an engagement, if any; `version` of the pointer too.
  struct Accepted {
    absl::optional<Stored<v1::Quote>> quote;
    int64_t pointer_version = 0;
  };
  absl::StatusOr<Accepted> GetAcceptedQuote(const std::string& tenant, const std::string& eid);
  absl::StatusOr<std::vector<Stored<v1::BillingEvent>>> EventsNeedingQuote(
      const std::string& tenant, const std::string& eid);
  absl::StatusOr<absl::optional<Stored<v1::Invoice>>> GetInvoice(const std::string& tenant,
                                                                 const std::string& id);
  // The latest issue date, up to `today`, among the invoices numbered so far
  // (voided ones included): what an issue date is checked against. Dates
  // after today (typed before the rule existed) are left out.
  absl::StatusOr<absl::optional<absl::CivilDay>> LatestNumberedDay(const std::string& tenant,
                                                                   absl::CivilDay today);
  // Invoices numbered (index) against numbers allocated: equal unless some
  // were numbered before the index existed, or by an older replica.
  absl::StatusOr<bool> NumberedIndexComplete(const std::string& tenant);
  // Puts the quotes the by-state index lacks (made before it existed) into it.
  absl::Status CompleteQuoteStates(const std::string& tenant);
  // Puts the numbered invoices the index lacks into it (adding one already
  // there changes nothing).
  absl::Status BackfillNumbered(const std::string& tenant);
  // The billing events named (tenants/{t}/billingEvents/{id}); one missing is INTERNAL.
  absl::StatusOr<std::vector<Stored<v1::BillingEvent>>> GetEvents(
      const std::string& tenant, const google::protobuf::RepeatedPtrField<std::string>& names);

  // ---- steps (one atomic commit each; compare-and-set on every version read)
  absl::StatusOr<v1::BillingSettings> SaveSettings(const std::string& tenant,
                                                   const Stored<v1::BillingSettings>& before,
                                                   const v1::BillingSettings& next);
  absl::StatusOr<v1::Quote> CreateQuote(const std::string& tenant, const std::string& id,
                                        const v1::Quote& q, const Idem& idem);
  absl::StatusOr<v1::Quote> SaveQuote(const std::string& tenant, const Stored<v1::Quote>& before,
                                      const v1::Quote& q);
  // Acceptance: the quote, the engagement's accepted-quote pointer (one per
  // engagement: ALREADY_EXISTS otherwise) and the stage-1 events that waited
  // for it, each with its invoice. The events' `after` replace their `before`.
  struct WaitingEvent {
    Stored<v1::BillingEvent> before;
    v1::BillingEvent after;
    NewInvoice invoice;
  };
  // `waiting_read`: how many stage-1 events of the engagement were waiting
  // when the step was decided, checked in the step (one recorded meanwhile
  // aborts it; the acceptance runs again and invoices that one too).
  absl::StatusOr<v1::Quote> AcceptQuote(const std::string& tenant, const Stored<v1::Quote>& before,
                                        const v1::Quote& q,
                                        const std::vector<WaitingEvent>& waiting,
                                        int64_t waiting_read = -1);
  // A billing event, its idempotency record and its invoice (if it has lines);
  // `accepted_version`: the accepted-quote pointer's version the lines were
  // taken from (stage-1 events), checked in the same step; a stage-1 event is
  // one per engagement (ALREADY_EXISTS for another id). The commit answers a
  // redelivery from the idempotency record (CommitResult::replayed).
  absl::StatusOr<CommitResult> RecordEvent(const std::string& tenant, const std::string& id,
                                           const v1::BillingEvent& e, const Idem& idem,
                                           absl::optional<int64_t> accepted_version,
                                           const absl::optional<NewInvoice>& invoice);
  // Draft → issued: the number is allocated in the step and appended to the
  // stored invoice and the response. Another invoice numbered meanwhile with
  // a date after this one's (up to `today`) aborts the step.
  absl::StatusOr<CommitResult> IssueInvoice(const std::string& tenant,
                                            const Stored<v1::Invoice>& before,
                                            const v1::Invoice& issued, const Idem& idem,
                                            absl::CivilDay today);
  // Any other change of an invoice (payments, void) and, when voiding with a
  // replacement, the new draft and the billing events it now bills.
  struct EventChange {
    Stored<v1::BillingEvent> before;
    v1::BillingEvent after;
  };
  absl::StatusOr<CommitResult> SaveInvoice(const std::string& tenant,
                                           const Stored<v1::Invoice>& before,
                                           const v1::Invoice& after, const Idem& idem,
                                           const absl::optional<NewInvoice>& replacement = {},
                                           const std::vector<EventChange>& rebilled = {});

  // ---- lists
  // `sent_only`: quotes sent or later (a draft is the office's).
  absl::StatusOr<ListPage> ListQuotes(const std::string& tenant, const std::string& eid,
                                      bool sent_only, int64_t after, int limit);
  // eid: one engagement's events ("" = all).
  absl::StatusOr<ListPage> ListEvents(const std::string& tenant, bool needs_quote_only,
                                      const std::string& eid, int64_t after, int limit);
  // `numbered_only`: invoices that were issued (drafts are the office's).
  absl::StatusOr<ListPage> ListInvoices(const std::string& tenant, v1::InvoiceState state,
                                        const std::string& eid, bool overdue_only,
                                        bool numbered_only, absl::CivilDay today, int64_t after,
                                        int limit);
  // Issued or paid invoices issued within [from, to], at most `limit`.
  absl::StatusOr<std::vector<v1::Invoice>> InvoicesIssuedBetween(const std::string& tenant,
                                                                 absl::CivilDay from,
                                                                 absl::CivilDay to, int limit);
  // Invoices with a refund dated within [from, to] (whatever their state), at most `limit`.
  absl::StatusOr<std::vector<v1::Invoice>> InvoicesRefundedBetween(const std::string& tenant,
                                                                   absl::CivilDay from,
                                                                   absl::CivilDay to, int limit);
  absl::StatusOr<TenantBillingStats> Stats(const std::string& tenant, absl::CivilDay today);

 private:
  // Adds to `index` each record of `ids` ("<kind>:<id>" keys) that `score`
  // scores, unless it is there already.
  template <typename T>
  absl::Status AddMissing(const std::string& tenant, const std::string& index, const char* kind,
                          const std::vector<std::string>& ids,
                          const std::function<absl::optional<int64_t>(const T&)>& score);
  absl::StatusOr<std::vector<std::string>> Members(const std::string& index);
  void PutQuote(Batch& b, const std::string& tenant, const std::string& id,
                const Stored<v1::Quote>* before, const v1::Quote& q);
  void PutEvent(Batch& b, const std::string& tenant, const std::string& id,
                const Stored<v1::BillingEvent>* before, const v1::BillingEvent& e);
  void PutInvoice(Batch& b, const std::string& tenant, const std::string& id,
                  const Stored<v1::Invoice>* before, const v1::Invoice& inv,
                  bool append_number = false);
  void AddInvoice(Batch& b, const std::string& tenant, const NewInvoice& n);
};

}  // namespace certpath::billing
