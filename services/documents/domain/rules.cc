#include "services/documents/domain/rules.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/policy.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::documents::domain {

int VersionIndex(const std::string& version_name) {
  size_t at = version_name.rfind("/versions/");
  int n = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(version_name.substr(at + sizeof("/versions/") - 1), &n) || n < 1) {
    return 0;
  }
  return n;
}

absl::StatusOr<std::string> NextVersionNumber(const std::string& latest, bool major) {
  if (latest.empty()) return std::string("1.0");
  std::pair<std::string, std::string> parts = absl::StrSplit(latest, '.');
  int a = 0, b = 0;
  if (!absl::SimpleAtoi(parts.first, &a) || !absl::SimpleAtoi(parts.second, &b) || a < 1 || b < 0) {
    return absl::InternalError("corrupt version number " + latest);
  }
  return major ? absl::StrCat(a + 1, ".0") : absl::StrCat(a, ".", b + 1);
}

bool ReviewIncluded(const ev1::Engagement& e, absl::CivilDay today) {
  if (e.state() != ev1::ENGAGEMENT_STATE_ACTIVE) return false;
  auto start = ToCivilDay(e.support_start()), end = ToCivilDay(e.support_end());
  return start && end && today >= *start && today <= *end;
}

absl::Status Submit(v1::DocumentVersion& v, bool included) {
  switch (v.state()) {
    case v1::VERSION_STATE_DRAFT:
    case v1::VERSION_STATE_CHANGES_REQUESTED:
      break;
    case v1::VERSION_STATE_PROVIDED:
      return FailedPrecondition("VERSION_STATE",
                                "this is the office's template as provided; upload the customized "
                                "version and submit that");
    default:
      return FailedPrecondition("VERSION_STATE",
                                "only a draft (or one with changes requested) is submitted; this "
                                "version is " +
                                    v1::VersionState_Name(v.state()));
  }
  v.set_state(included ? v1::VERSION_STATE_IN_REVIEW : v1::VERSION_STATE_AWAITING_ACCEPTANCE);
  v.set_billable_review(false);
  v.set_review_price_jpy(0);
  return absl::OkStatus();
}

absl::Status CheckActive(const v1::Document& doc) {
  if (doc.state() == v1::DOCUMENT_STATE_ARCHIVED) {
    return FailedPrecondition("DOCUMENT_STATE", "the document is archived");
  }
  return absl::OkStatus();
}

absl::Status AcceptPaid(v1::DocumentVersion& v, int64_t price_jpy, int64_t min_jpy,
                        int64_t max_jpy) {
  if (v.state() != v1::VERSION_STATE_AWAITING_ACCEPTANCE) {
    return FailedPrecondition("VERSION_STATE",
                              "only a version awaiting acceptance (submitted after the support "
                              "period) is accepted as a paid review");
  }
  if (price_jpy < min_jpy || price_jpy > max_jpy) {
    return InvalidArgument("price_jpy", absl::StrCat("within the price list's manual-review range ",
                                                     min_jpy, " … ", max_jpy, " yen"));
  }
  v.set_state(v1::VERSION_STATE_IN_REVIEW);
  v.set_billable_review(true);
  v.set_review_price_jpy(price_jpy);
  return absl::OkStatus();
}

absl::Status Decide(v1::DocumentVersion& v, v1::ReviewDecision decision, const std::string& by,
                    absl::CivilDay effective, absl::Time now) {
  bool awaiting = v.state() == v1::VERSION_STATE_AWAITING_ACCEPTANCE;
  if (v.state() != v1::VERSION_STATE_IN_REVIEW && !awaiting) {
    return FailedPrecondition("VERSION_STATE",
                              "only a version in review (or a paid review request) is decided");
  }
  if (awaiting != (decision == v1::REVIEW_DECISION_DECLINE)) {
    return FailedPrecondition("VERSION_STATE",
                              awaiting ? "a paid review request is accepted (AcceptPaidReview) or "
                                         "declined (DECLINE) before it is decided"
                                       : "only a paid review request awaiting acceptance is "
                                         "declined; a version in review is approved or sent back");
  }
  if (decision != v1::REVIEW_DECISION_APPROVE && decision != v1::REVIEW_DECISION_REQUEST_CHANGES &&
      decision != v1::REVIEW_DECISION_DECLINE) {
    return InvalidArgument("decision", "APPROVE, REQUEST_CHANGES or DECLINE");
  }
  v1::Review* r = v.add_reviews();
  r->set_round(v.reviews_size());
  r->set_reviewer(by);
  r->set_decision(decision);
  *r->mutable_decide_time() = ToTimestamp(now);
  r->set_billable(v.billable_review());
  r->set_price_jpy(v.review_price_jpy());
  if (decision == v1::REVIEW_DECISION_APPROVE) {
    v.set_state(v1::VERSION_STATE_APPROVED);
    v.set_approved_by(by);
    *v.mutable_approve_time() = ToTimestamp(now);
    *v.mutable_effective_date() = ToDate(effective);
  } else if (decision == v1::REVIEW_DECISION_DECLINE) {
    v.set_state(v1::VERSION_STATE_DRAFT);
  } else {
    v.set_state(v1::VERSION_STATE_CHANGES_REQUESTED);
  }
  v.set_billable_review(false);
  v.set_review_price_jpy(0);
  return absl::OkStatus();
}

absl::Status CheckNotOlderThanEffective(const v1::Document& doc, int n, const std::string& number,
                                        absl::string_view instead) {
  if (n >= VersionIndex(doc.effective_version())) return absl::OkStatus();
  return FailedPrecondition(
      "OLDER_THAN_EFFECTIVE",
      absl::StrCat("version ", number, " is older than the effective version ",
                   doc.effective_version_number(), "; ", instead));
}

absl::Status Withdraw(v1::DocumentVersion& v) {
  if (v.state() == v1::VERSION_STATE_IN_REVIEW && v.billable_review()) {
    return FailedPrecondition("PAID_REVIEW_OPEN",
                              "version " + v.number() +
                                  " is in a paid review the office accepted (billed): decide it "
                                  "before archiving the document");
  }
  if (v.state() == v1::VERSION_STATE_IN_REVIEW ||
      v.state() == v1::VERSION_STATE_AWAITING_ACCEPTANCE) {
    v.set_state(v1::VERSION_STATE_DRAFT);
    v.set_billable_review(false);
    v.set_review_price_jpy(0);
  }
  return absl::OkStatus();
}

bool MayDecide(const Principal& p, const ev1::Engagement& e) {
  switch (p.role()) {
    case Principal::ROLE_OFFICE_ADMIN:
    case Principal::ROLE_SERVICE:
      return true;
    case Principal::ROLE_CONSULTANT:
      return e.lead_consultant() == p.subject() ||
             std::find(e.consultants().begin(), e.consultants().end(), p.subject()) !=
                 e.consultants().end();
    case Principal::ROLE_PARTNER:
      return std::find(e.partner_organizations().begin(), e.partner_organizations().end(),
                       p.organization()) != e.partner_organizations().end();
    default:
      return false;
  }
}

}  // namespace certpath::documents::domain
