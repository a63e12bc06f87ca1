// The support specification of one engagement, rendered from the engagements
// service (as the caller sees it), billing's price list and the catalogues.
#include "absl/strings/str_cat.h"
#include "services/common/call_context.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/documents/domain/catalog.h"
#include "services/documents/domain/specification.h"
#include "services/documents/service.h"

namespace certpath::documents {

Principal DocumentsApi::OfficePrincipal(const std::string& tenant) const {
  Principal office;
  office.set_tenant(tenant);
  office.set_subject("documents");
  office.set_role(Principal::ROLE_SERVICE);
  return office;
}

std::string DocumentsApi::EngagementHeading(const Principal& p, const std::string& engagement) {
  auto e = engagements_.Get(p, engagement);
  if (!e.ok()) return engagement;
  auto c = engagements_.GetClient(OfficePrincipal(p.tenant()), e->client());
  return absl::StrCat(c.ok() ? c->display_name() + " " : "", "整理番号 ", e->reference_number());
}

absl::Status DocumentsApi::RenderSupportSpecification(
    const Principal& p, const v1::RenderSupportSpecificationRequest& req,
    google::api::HttpBody* out) {
  auto engagement = SeenEngagement(p, "engagement", req.engagement(), "RenderSupportSpecification");
  if (!engagement.ok()) return engagement.status();
  domain::SpecificationInput in;
  in.created = TokyoDay(clock_.Now());
  auto e = engagements_.Get(p, *engagement);
  if (!e.ok()) return e.status();
  if (auto s = domain::CheckCatalogServes(e->standard()); !s.ok()) return s;
  in.engagement = *std::move(e);
  // The caller sees the engagement (asked above, as the caller). The client
  // company's name, the office's name and its prices are printed in its
  // header and options, read with the office's rights (a service principal of this
  // tenant): partners may not read client records or billing settings.
  Principal office = OfficePrincipal(p.tenant());
  auto c = engagements_.GetClient(office, in.engagement.client());
  if (!c.ok()) return c.status();
  in.client = *std::move(c);
  auto settings = office_.Settings(office);
  if (!settings.ok()) return settings.status();
  if (settings->issuer_name().empty()) {
    return FailedPrecondition("BILLING_SETTINGS",
                              "the office's name is not set (billing settings, issuer_name)");
  }
  in.office_name = settings->issuer_name();
  in.prices = settings->prices();
  out->set_content_type("text/html; charset=utf-8");
  out->set_data(domain::SupportSpecificationHtml(in));
  AddResponseMetadata("content-disposition",
                      absl::StrCat("inline; filename=\"support-specification-",
                                   in.engagement.reference_number(), ".html\""));
  return absl::OkStatus();
}

}  // namespace certpath::documents
