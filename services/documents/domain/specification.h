#pragma once
// The office's マネジメントシステム構築支援仕様書 (the seed document) for one
// engagement, as print-ready HTML (A4, Japanese fonts by family): the header
// (作成日, 会社名, 部門名, ご担当者, 整理番号, the standard), sections 1–6
// with the role-division table from engagements' task catalogue, the support
// period, the options priced from billing's price list, and 別紙1 from the
// template catalogue. Pure: the caller gathers the inputs.

#include <string>

#include "absl/time/civil_time.h"
#include "certpath/billing/v1/billing.pb.h"
#include "certpath/engagements/v1/engagements.pb.h"

namespace certpath::documents::domain {

struct SpecificationInput {
  absl::CivilDay created;  // 作成日 (Asia/Tokyo)
  certpath::engagements::v1::Engagement engagement;
  certpath::engagements::v1::Client client;
  certpath::billing::v1::PriceList prices;
  std::string office_name;  // the office's (billing settings' issuer name)
};

std::string SupportSpecificationHtml(const SpecificationInput& in);

}  // namespace certpath::documents::domain
