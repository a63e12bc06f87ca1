#pragma once
// The billing service's operations, free of gRPC: validate, authorize against
// the policy table (domain/policy.h), run the domain rules, one atomic store
// step. One file per resource: settings.cc, quotes.cc, events.cc,
// invoices.cc (with the export); what they share is service.cc.

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "certpath/billing/v1/billing.pb.h"
#include "certpath/common/v1/common.pb.h"
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

class BillingApi {
 public:
  BillingApi(BillingStore& store, const Clock& clock, const PageTokenCodec& tokens,
             const WriteGate& gate, EngagementVisibility* visibility,
             prometheus::Registry& registry);

  // settings.cc
  absl::Status GetBillingSettings(const Principal& p, const v1::GetBillingSettingsRequest& req,
                                  v1::BillingSettings* out);
  absl::Status UpdateBillingSettings(const Principal& p,
                                     const v1::UpdateBillingSettingsRequest& req,
                                     v1::BillingSettings* out);
  // quotes.cc
  absl::Status CreateQuote(const Principal& p, const v1::CreateQuoteRequest& req, v1::Quote* out);
  absl::Status GetQuote(const Principal& p, const v1::GetQuoteRequest& req, v1::Quote* out);
  absl::Status ListQuotes(const Principal& p, const v1::ListQuotesRequest& req,
                          v1::ListQuotesResponse* out);
  absl::Status UpdateQuote(const Principal& p, const v1::UpdateQuoteRequest& req, v1::Quote* out);
  absl::Status SendQuote(const Principal& p, const v1::QuoteActionRequest& req, v1::Quote* out);
  absl::Status AcceptQuote(const Principal& p, const v1::QuoteActionRequest& req, v1::Quote* out);
  absl::Status RejectQuote(const Principal& p, const v1::QuoteActionRequest& req, v1::Quote* out);
  // events.cc
  // Consumed event (subscriptions.cc): the consulting fee of a stage-1 pass,
  // recorded as a billing event whose request_id is the event id.
  absl::Status ApplyStage1Passed(const Principal& p,
                                 const certpath::common::v1::OutboxEvent& event);
  // Consumed event: a paid visit done (options a–e, post-contract guidance),
  // billed from the price list; included visits are not billed.
  absl::Status ApplyVisitCompleted(const Principal& p,
                                   const certpath::common::v1::OutboxEvent& event);
  // Consumed event: a paid review of a document accepted after support (documents).
  absl::Status ApplyPaidReviewAccepted(const Principal& p,
                                       const certpath::common::v1::OutboxEvent& event);
  absl::Status RecordBillingEvent(const Principal& p, const v1::RecordBillingEventRequest& req,
                                  v1::BillingEvent* out);
  absl::Status ListBillingEvents(const Principal& p, const v1::ListBillingEventsRequest& req,
                                 v1::ListBillingEventsResponse* out);
  // invoices.cc
  absl::Status GetInvoice(const Principal& p, const v1::GetInvoiceRequest& req, v1::Invoice* out);
  absl::Status ListInvoices(const Principal& p, const v1::ListInvoicesRequest& req,
                            v1::ListInvoicesResponse* out);
  absl::Status UpdateInvoice(const Principal& p, const v1::UpdateInvoiceRequest& req,
                             v1::Invoice* out);
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
                              google::api::HttpBody* out);

 private:
  // Office staff (and services) see drafts; clients and partners see quotes
  // once sent and invoices once issued.
  static bool SeesDrafts(const Principal& p);
  struct Ref {
    std::string tenant, id;
  };
  absl::StatusOr<Ref> Parse(const Principal& p, absl::string_view field, const std::string& name,
                            absl::string_view kind) const;
  // The principal's tenant named as `parent`, and `method` allowed to its role.
  absl::Status CheckParent(const Principal& p, const std::string& parent,
                           absl::string_view method) const;
  absl::Status CheckWritable(const Principal& p);
  // Office staff see all; partners and clients only their engagements' records.
  absl::Status CheckSees(const Principal& p, const std::string& engagement);
  // Office callers: the engagement must exist (asked of the engagements service).
  absl::Status CheckExists(const Principal& p, const std::string& engagement);
  // The engagement a list is narrowed to ("" = the whole tenant, office staff
  // only): partners and clients must name one they see.
  absl::StatusOr<std::string> ListScope(const Principal& p, const std::string& engagement);
  // Reads the record, checks the caller sees its engagement, then authorizes `method`.
  absl::StatusOr<Stored<v1::Quote>> LoadQuote(const Principal& p, const std::string& name,
                                              absl::string_view method);
  absl::StatusOr<Stored<v1::Invoice>> LoadInvoice(const Principal& p, const std::string& name,
                                                  absl::string_view method);
  absl::Status QuoteAction(const Principal& p, const v1::QuoteActionRequest& req, v1::QuoteState to,
                           absl::string_view method, v1::Quote* out);
  // Payments and their corrections: read → authorize → replay → `change` →
  // one compare-and-set step; idempotent by request_id.
  using InvoiceChange = std::function<absl::Status(v1::Invoice& inv, absl::Time now)>;
  absl::Status InvoiceAction(const Principal& p, absl::string_view method, const std::string& name,
                             const std::string& request_id, const google::protobuf::Message& req,
                             const InvoiceChange& change, v1::Invoice* out);
  // The invoice a step committed (the first one's, on a replay), presented.
  absl::Status Answer(const absl::StatusOr<CommitResult>& committed, v1::Invoice* out) const;
  // Present: derived fields for the reader (quote EXPIRED, invoice overdue).
  void Present(v1::Quote& q) const;
  void Present(v1::Invoice& inv) const;
  void CountIssued(const v1::Invoice& inv);
  // Events other services publish and billing bills: the recipient of the
  // engagement's accepted quote, and one billing event whose request id is the event id.
  absl::StatusOr<std::string> RecipientOf(const std::string& tenant, const std::string& engagement);
  absl::Status RecordConsumed(const Principal& p, const certpath::common::v1::OutboxEvent& event,
                              v1::BillingEventKind kind, const std::string& engagement,
                              const google::type::Date& occurred,
                              const std::vector<v1::Line>& lines);

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
