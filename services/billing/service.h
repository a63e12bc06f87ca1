#pragma once
// The billing service's operations, free of gRPC: validate, authorize, run
// the domain rules, one atomic store step.

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "certpath/billing/v1/billing.pb.h"
#include "services/billing/store.h"
#include "services/common/clock.h"
#include "services/common/page_token.h"
#include "services/common/principal.h"
#include "services/common/service_host.h"

namespace certpath::billing {

// Whether a partner or client principal may see an engagement: billing asks
// the engagements service (it never reads engagements' keys).
class EngagementVisibility {
 public:
  virtual ~EngagementVisibility() = default;
  // OK when visible, NOT_FOUND when not, UNAVAILABLE when it cannot tell.
  virtual absl::Status CheckVisible(const Principal& p, const std::string& engagement) = 0;
};

class BillingService {
 public:
  BillingService(BillingStore& store, const Clock& clock, const PageTokenCodec& tokens,
                 const WriteGate& gate, EngagementVisibility* visibility,
                 prometheus::Registry& registry);

  absl::Status GetBillingSettings(const Principal& p, const v1::GetBillingSettingsRequest& req,
                                  v1::BillingSettings* out);
  absl::Status UpdateBillingSettings(const Principal& p,
                                     const v1::UpdateBillingSettingsRequest& req,
                                     v1::BillingSettings* out);
  absl::Status CreateQuote(const Principal& p, const v1::CreateQuoteRequest& req, v1::Quote* out);
  absl::Status GetQuote(const Principal& p, const v1::GetQuoteRequest& req, v1::Quote* out);
  absl::Status ListQuotes(const Principal& p, const v1::ListQuotesRequest& req,
                          v1::ListQuotesResponse* out);
  absl::Status UpdateQuote(const Principal& p, const v1::UpdateQuoteRequest& req, v1::Quote* out);
  absl::Status SendQuote(const Principal& p, const v1::QuoteActionRequest& req, v1::Quote* out);
  absl::Status AcceptQuote(const Principal& p, const v1::QuoteActionRequest& req, v1::Quote* out);
  absl::Status RejectQuote(const Principal& p, const v1::QuoteActionRequest& req, v1::Quote* out);
  absl::Status RecordBillingEvent(const Principal& p, const v1::RecordBillingEventRequest& req,
                                  v1::BillingEvent* out);
  absl::Status ListBillingEvents(const Principal& p, const v1::ListBillingEventsRequest& req,
                                 v1::ListBillingEventsResponse* out);
  absl::Status GetInvoice(const Principal& p, const v1::GetInvoiceRequest& req, v1::Invoice* out);
  absl::Status ListInvoices(const Principal& p, const v1::ListInvoicesRequest& req,
                            v1::ListInvoicesResponse* out);
  absl::Status IssueInvoice(const Principal& p, const v1::IssueInvoiceRequest& req,
                            v1::Invoice* out);
  absl::Status VoidInvoice(const Principal& p, const v1::VoidInvoiceRequest& req, v1::Invoice* out);
  absl::Status RecordPayment(const Principal& p, const v1::RecordPaymentRequest& req,
                             v1::Invoice* out);
  absl::Status ReversePayment(const Principal& p, const v1::ReversePaymentRequest& req,
                              v1::Invoice* out);
  absl::Status RecordRefund(const Principal& p, const v1::RecordRefundRequest& req,
                            v1::Invoice* out);
  absl::Status ExportInvoices(const Principal& p, const v1::ExportInvoicesRequest& req,
                              v1::ExportInvoicesResponse* out);

 private:
  struct Ref {
    std::string tenant, id;
  };
  absl::StatusOr<Ref> Parse(const Principal& p, absl::string_view field, const std::string& name,
                            absl::string_view kind) const;
  absl::Status CheckParent(const Principal& p, const std::string& parent) const;
  absl::Status CheckWritable(const Principal& p);
  // Office staff see all; partners and clients only their engagements' records.
  absl::Status CheckSees(const Principal& p, const std::string& engagement);
  // Office callers: the engagement must exist (asked of the engagements service).
  absl::Status CheckExists(const Principal& p, const std::string& engagement);
  // The engagement a list is narrowed to ("" = the whole tenant, office staff
  // only): partners and clients must name one they see.
  absl::StatusOr<std::string> ListScope(const Principal& p, const std::string& engagement);
  absl::StatusOr<Stored<v1::Quote>> LoadQuote(const Principal& p, const std::string& name,
                                              bool for_write);
  absl::StatusOr<Stored<v1::Invoice>> LoadInvoice(const Principal& p, const std::string& name);
  absl::Status QuoteAction(const Principal& p, const v1::QuoteActionRequest& req, v1::QuoteState to,
                           v1::Quote* out);
  // Read → authorize (office; `admin_only`) → replay → `change` → compare-and-set,
  // retried on a concurrent change; idempotent by request_id.
  using InvoiceChange = std::function<absl::Status(v1::Invoice& inv, absl::Time now)>;
  absl::Status InvoiceAction(const Principal& p, const std::string& name,
                             const std::string& request_id, const google::protobuf::Message& req,
                             bool admin_only, const InvoiceChange& change, v1::Invoice* out);
  // Present: derived fields for the reader (quote EXPIRED, invoice overdue).
  void Present(v1::Quote& q) const;
  void Present(v1::Invoice& inv) const;
  void CountIssued(const v1::Invoice& inv);
  // True (and `out` filled) when `request_id` was already applied to this request.
  absl::StatusOr<bool> Replayed(const Principal& p, const std::string& request_id,
                                const google::protobuf::Message& req,
                                google::protobuf::Message* out);

  BillingStore& store_;
  const Clock& clock_;
  const PageTokenCodec& tokens_;
  WritableTenants writable_;
  static constexpr size_t kMaxKnownEngagements = 100000;
  std::mutex known_mu_;
  std::set<std::string> known_engagements_;
  EngagementVisibility* visibility_;
  prometheus::Family<prometheus::Counter>& events_total_;
  prometheus::Counter& invoices_issued_;
  prometheus::Counter& invoices_issued_yen_;
};

}  // namespace certpath::billing
