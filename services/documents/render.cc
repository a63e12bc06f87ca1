// The support specification of one engagement, rendered from the engagements
// service (as the caller sees it), billing's price list and the catalogues.
#include "absl/strings/str_cat.h"
#include "services/common/call_context.h"
#include "services/common/clock.h"
#include "services/documents/domain/specification.h"
#include "services/documents/service.h"

namespace certpath::documents {

absl::Status DocumentsApi::RenderSupportSpecification(
    const Principal& p, const v1::RenderSupportSpecificationRequest& req,
    google::api::HttpBody* out) {
  auto engagement = SeenEngagement(p, "engagement", req.engagement(), "RenderSupportSpecification");
  if (!engagement.ok()) return engagement.status();
  domain::SpecificationInput in;
  in.created = TokyoDay(clock_.Now());
  auto e = engagements_.Get(p, *engagement);
  if (!e.ok()) return e.status();
  in.engagement = *std::move(e);
  // The caller sees the engagement (asked above, as the caller). The client
  // company's name and the office's prices are printed in its header and
  // options, read with the office's rights (a service principal of this
  // tenant): partners may not read client records or billing settings.
  Principal office;
  office.set_tenant(p.tenant());
  office.set_subject("documents");
  office.set_role(Principal::ROLE_SERVICE);
  auto c = engagements_.GetClient(office, in.engagement.client());
  if (!c.ok()) return c.status();
  in.client = *std::move(c);
  auto prices = prices_.Prices(office);
  if (!prices.ok()) return prices.status();
  in.prices = *std::move(prices);
  out->set_content_type("text/html; charset=utf-8");
  out->set_data(domain::SupportSpecificationHtml(in));
  AddResponseMetadata("content-disposition",
                      absl::StrCat("inline; filename=\"support-specification-",
                                   in.engagement.reference_number(), ".html\""));
  return absl::OkStatus();
}

}  // namespace certpath::documents
