#pragma once
// The billing service's Redis keys. Operations assemble one Batch (see
// record_store.h) from the Put* helpers here and commit it as one atomic step.
//
//   bill:{t:T}:settings                      billing settings record
//   bill:{t:T}:quote:<id>, :accepted:<eid>   quotes; the accepted quote id per engagement
//   bill:{t:T}:event:<request_id>            billing events (id = the request id)
//   bill:{t:T}:invoice:<id>                  invoices
//   bill:{t:T}:invoice_seq                   invoice number counter (no gaps, no reuse)
//   bill:{t:T}:idx:quotes[:eng:<eid>]        zset ordinal → quote id
//   bill:{t:T}:idx:events[:needs_quote[:<eid>]|:eng:<eid>]
//   bill:{t:T}:idx:invoices[:state:N|:eng:<eid>]
//   bill:{t:T}:idx:invoices:issued           zset yyyymmdd issue date → id (export)
//   bill:{t:T}:idx:invoices:open_due         zset yyyymmdd due date → id (issued, unpaid)
//   bill:{t:T}:idx:invoices:open_balance     zset balance yen → id (issued, unpaid)
//   bill:{t:T}:idem:<principal>:<request_id> idempotency record, per principal (events: kept)
//   bill:tenants                             set of tenants (metrics only)

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/types/optional.h"
#include "certpath/billing/v1/billing.pb.h"
#include "services/common/principal.h"
#include "services/common/record_store.h"

namespace certpath::billing {

namespace v1 = certpath::billing::v1;

template <typename T>
struct Stored {
  T value;
  int64_t version = 0;  // 0 = not stored yet
  int64_t ordinal = 0;
};

struct TenantBillingStats {
  int64_t outstanding_jpy = 0;
  int64_t overdue_count = 0;
  int64_t overdue_jpy = 0;
  int64_t needs_quote = 0;
};

class BillingStore {
 public:
  explicit BillingStore(RecordStore& records) : records_(records) {}

  // Scoped to the principal who made the request (services share one scope).
  static std::string IdemKey(const std::string& tenant, const Principal& p,
                             const std::string& request_id);
  absl::Status RegisterTenant(const std::string& tenant);
  absl::StatusOr<std::vector<std::string>> Tenants();

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
  absl::StatusOr<absl::optional<Stored<v1::BillingEvent>>> GetEvent(const std::string& tenant,
                                                                    const std::string& id);
  absl::StatusOr<std::vector<Stored<v1::BillingEvent>>> EventsNeedingQuote(
      const std::string& tenant, const std::string& eid);
  absl::StatusOr<absl::optional<Stored<v1::Invoice>>> GetInvoice(const std::string& tenant,
                                                                 const std::string& id);

  // Batch helpers: compare-and-set on `before` (null = create) and indexes.
  void PutSettings(Batch& b, const std::string& tenant, int64_t before_version,
                   const v1::BillingSettings& s);
  void PutQuote(Batch& b, const std::string& tenant, const std::string& id,
                const Stored<v1::Quote>* before, const v1::Quote& q);
  void PutAccepted(Batch& b, const std::string& tenant, const std::string& eid,
                   const std::string& quote_id);
  void PutEvent(Batch& b, const std::string& tenant, const std::string& id,
                const Stored<v1::BillingEvent>* before, const v1::BillingEvent& e);
  // `append_number`: the invoice number is allocated in this commit.
  void PutInvoice(Batch& b, const std::string& tenant, const std::string& id,
                  const Stored<v1::Invoice>* before, const v1::Invoice& inv,
                  bool append_number = false);
  void AllocateInvoiceNumber(Batch& b, const std::string& tenant);
  absl::StatusOr<CommitResult> Commit(const Batch& b) { return records_.Commit(b); }
  absl::StatusOr<absl::optional<std::string>> Replay(const std::string& tenant, const Principal& p,
                                                     const std::string& request_id,
                                                     const std::string& fingerprint) {
    return records_.ReadIdempotency(IdemKey(tenant, p, request_id), fingerprint);
  }

  absl::StatusOr<ListPage> ListQuotes(const std::string& tenant, const std::string& eid,
                                      int64_t after, int limit);
  // eid: one engagement's events ("" = all).
  absl::StatusOr<ListPage> ListEvents(const std::string& tenant, bool needs_quote_only,
                                      const std::string& eid, int64_t after, int limit);
  absl::StatusOr<ListPage> ListInvoices(const std::string& tenant, v1::InvoiceState state,
                                        const std::string& eid, bool overdue_only,
                                        absl::CivilDay today, int64_t after, int limit);
  // Issued or paid invoices issued within [from, to], at most `limit`.
  absl::StatusOr<std::vector<v1::Invoice>> InvoicesIssuedBetween(const std::string& tenant,
                                                                 absl::CivilDay from,
                                                                 absl::CivilDay to, int limit);
  absl::StatusOr<TenantBillingStats> Stats(const std::string& tenant, absl::CivilDay today);

 private:
  RecordStore& records_;
};

int64_t DayScore(absl::CivilDay d);

}  // namespace certpath::billing
