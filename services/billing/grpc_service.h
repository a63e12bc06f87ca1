#pragma once
// The gRPC edge of the billing service.

#include "certpath/billing/v1/billing.grpc.pb.h"
#include "services/billing/service.h"
#include "services/common/audit.h"
#include "services/common/server.h"

namespace certpath::billing {

class BillingGrpc final : public v1::BillingService::CallbackService {
 public:
  BillingGrpc(BillingApi& svc, AuditApi& audit, Dispatcher& dispatcher)
      : svc_(svc), audit_(audit), dispatcher_(dispatcher) {}

  CERTPATH_UNARY_RPC(GetBillingSettings, v1::GetBillingSettingsRequest, v1::BillingSettings)
  CERTPATH_UNARY_RPC(UpdateBillingSettings, v1::UpdateBillingSettingsRequest, v1::BillingSettings)
  CERTPATH_UNARY_RPC(CreateQuote, v1::CreateQuoteRequest, v1::Quote)
  CERTPATH_UNARY_RPC(GetQuote, v1::GetQuoteRequest, v1::Quote)
  CERTPATH_UNARY_RPC(ListQuotes, v1::ListQuotesRequest, v1::ListQuotesResponse)
  CERTPATH_UNARY_RPC(UpdateQuote, v1::UpdateQuoteRequest, v1::Quote)
  CERTPATH_UNARY_RPC(SendQuote, v1::QuoteActionRequest, v1::Quote)
  CERTPATH_UNARY_RPC(AcceptQuote, v1::QuoteActionRequest, v1::Quote)
  CERTPATH_UNARY_RPC(RejectQuote, v1::QuoteActionRequest, v1::Quote)
  CERTPATH_UNARY_RPC(RecordBillingEvent, v1::RecordBillingEventRequest, v1::BillingEvent)
  CERTPATH_UNARY_RPC(ListBillingEvents, v1::ListBillingEventsRequest, v1::ListBillingEventsResponse)
  CERTPATH_UNARY_RPC(GetInvoice, v1::GetInvoiceRequest, v1::Invoice)
  CERTPATH_UNARY_RPC(ListInvoices, v1::ListInvoicesRequest, v1::ListInvoicesResponse)
  CERTPATH_UNARY_RPC(UpdateInvoice, v1::UpdateInvoiceRequest, v1::Invoice)
  CERTPATH_UNARY_RPC(IssueInvoice, v1::IssueInvoiceRequest, v1::Invoice)
  CERTPATH_UNARY_RPC(VoidInvoice, v1::VoidInvoiceRequest, v1::Invoice)
  CERTPATH_UNARY_RPC(RecordPayment, v1::RecordPaymentRequest, v1::Invoice)
  CERTPATH_UNARY_RPC(ReversePayment, v1::ReversePaymentRequest, v1::Invoice)
  CERTPATH_UNARY_RPC(RecordRefund, v1::RecordRefundRequest, v1::Invoice)
  CERTPATH_UNARY_RPC(ExportInvoices, v1::ExportInvoicesRequest, google::api::HttpBody)

  CERTPATH_UNARY_RPC_TO(audit_, ListAuditEntries, cv1::ListAuditEntriesRequest,
                        cv1::ListAuditEntriesResponse)
  CERTPATH_UNARY_RPC_TO(audit_, VerifyAuditTrail, cv1::VerifyAuditTrailRequest,
                        cv1::VerifyAuditTrailResponse)

 private:
  BillingApi& svc_;
  AuditApi& audit_;
  Dispatcher& dispatcher_;
};

}  // namespace certpath::billing
