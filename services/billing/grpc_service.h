#pragma once
// The gRPC edge of the billing service.

#include "certpath/billing/v1/billing.grpc.pb.h"
#include "services/billing/service.h"
#include "services/common/server.h"

namespace certpath::billing {

class GrpcBillingService final : public v1::BillingService::CallbackService {
 public:
  GrpcBillingService(BillingService& svc, Dispatcher& dispatcher)
      : svc_(svc), dispatcher_(dispatcher) {}

#define CERTPATH_RPC(Method, Req, Resp)                                                     \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const v1::Req* req,    \
                                   v1::Resp* resp) override {                               \
    return dispatcher_.Run(                                                                 \
        ctx, [this, req, resp](const Principal& p) { return svc_.Method(p, *req, resp); }); \
  }
  CERTPATH_RPC(GetBillingSettings, GetBillingSettingsRequest, BillingSettings)
  CERTPATH_RPC(UpdateBillingSettings, UpdateBillingSettingsRequest, BillingSettings)
  CERTPATH_RPC(CreateQuote, CreateQuoteRequest, Quote)
  CERTPATH_RPC(GetQuote, GetQuoteRequest, Quote)
  CERTPATH_RPC(ListQuotes, ListQuotesRequest, ListQuotesResponse)
  CERTPATH_RPC(UpdateQuote, UpdateQuoteRequest, Quote)
  CERTPATH_RPC(SendQuote, QuoteActionRequest, Quote)
  CERTPATH_RPC(AcceptQuote, QuoteActionRequest, Quote)
  CERTPATH_RPC(RejectQuote, QuoteActionRequest, Quote)
  CERTPATH_RPC(RecordBillingEvent, RecordBillingEventRequest, BillingEvent)
  CERTPATH_RPC(ListBillingEvents, ListBillingEventsRequest, ListBillingEventsResponse)
  CERTPATH_RPC(GetInvoice, GetInvoiceRequest, Invoice)
  CERTPATH_RPC(ListInvoices, ListInvoicesRequest, ListInvoicesResponse)
  CERTPATH_RPC(IssueInvoice, IssueInvoiceRequest, Invoice)
  CERTPATH_RPC(VoidInvoice, VoidInvoiceRequest, Invoice)
  CERTPATH_RPC(RecordPayment, RecordPaymentRequest, Invoice)
  CERTPATH_RPC(ExportInvoices, ExportInvoicesRequest, ExportInvoicesResponse)
#undef CERTPATH_RPC

 private:
  BillingService& svc_;
  Dispatcher& dispatcher_;
};

}  // namespace certpath::billing
