// Inquiries: the client's e-mail questions, free during support and under the
// advisory retainer (技術顧問契約) after it.
#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/domain/rules.h"
#include "services/engagements/internal.h"
#include "services/engagements/service.h"

namespace certpath::engagements {

namespace d = domain;
using internal::kShortText;
using internal::Ts;

constexpr size_t kInquiryText = 20000;

absl::Status EngagementsApi::CreateInquiry(const Principal& p, const v1::CreateInquiryRequest& req,
                                           v1::Inquiry* out) {
  FieldViolations v;
  CheckText(v, "inquiry.subject", req.inquiry().subject(), kShortText, true);
  CheckText(v, "inquiry.body", req.inquiry().body(), kInquiryText, true, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto ref = ParseEngagement(p, "parent", req.parent());
  if (!ref.ok()) return ref.status();
  std::string id = RandomHex(8);
  return Mutate<v1::Inquiry>(
      p, *ref, "", req.request_id(), req, "CreateInquiry",
      [&](v1::Engagement& e, v1::Inquiry& q,
          const std::string&) -> absl::StatusOr<EngagementEffects> {
        absl::Time now = clock_.Now();
        auto coverage = d::InquiryCoverageFor(e, TokyoDay(now));
        if (!coverage.ok()) return coverage.status();
        q.set_name(absl::StrCat(e.name(), "/inquiries/", id));
        q.set_subject(req.inquiry().subject());
        q.set_body(req.inquiry().body());
        q.set_asked_by(p.subject());
        *q.mutable_ask_time() = Ts(now);
        q.set_coverage(*coverage);
        q.set_etag("1");
        EngagementEffects fx;
        // The coverage was decided on this version of the engagement.
        fx.engagement_changed = false;
        fx.inquiry = ChildWrite<v1::Inquiry>{id, absl::nullopt, q};
        return fx;
      },
      out);
}

absl::Status EngagementsApi::AnswerInquiry(const Principal& p, const v1::AnswerInquiryRequest& req,
                                           v1::Inquiry* out) {
  auto ids = ParseName("name", req.name(), {"tenants", "engagements", "inquiries"});
  if (!ids.ok()) return ids.status();
  FieldViolations v;
  CheckText(v, "answer", req.answer(), kInquiryText, true, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if ((*ids)[0] != p.tenant()) return NotFound("engagement");
  EngagementRef ref{(*ids)[0], (*ids)[1]};
  return Mutate<v1::Inquiry>(
      p, ref, "", "", req, "AnswerInquiry",
      [&](v1::Engagement&, v1::Inquiry& q,
          const std::string&) -> absl::StatusOr<EngagementEffects> {
        auto got = store_.GetInquiry(ref.tenant, ref.id, (*ids)[2]);
        if (!got.ok()) return got.status();
        if (!got->has_value()) return NotFound("inquiry");
        const Stored<v1::Inquiry>& before = **got;
        if (!req.etag().empty() && req.etag() != before.value.etag()) return EtagMismatch();
        // An answer is replaced only on purpose: with the etag it was read at.
        if (!before.value.answer().empty() && req.etag().empty()) {
          return FailedPrecondition("ALREADY_ANSWERED",
                                    "the inquiry has an answer; give its etag to replace it");
        }
        q = before.value;
        q.set_answer(req.answer());
        q.set_answered_by(p.subject());
        *q.mutable_answer_time() = Ts(clock_.Now());
        q.set_etag(std::to_string(before.version + 1));
        EngagementEffects fx;
        fx.engagement_changed = false;
        fx.inquiry = ChildWrite<v1::Inquiry>{(*ids)[2], before, q};
        return fx;
      },
      out);
}

absl::Status EngagementsApi::ListInquiries(const Principal& p, const v1::ListInquiriesRequest& req,
                                           v1::ListInquiriesResponse* out) {
  auto ref = ParseEngagement(p, "parent", req.parent());
  if (!ref.ok()) return ref.status();
  auto e = Load(p, *ref, "ListInquiries");
  if (!e.ok()) return e.status();
  return ListPaged<v1::ListInquiriesResponse, v1::Inquiry>(
      tokens_, req.page_size(), req.page_token(), {"inquiries", req.parent()},
      [&](int64_t after, int limit) {
        return store_.ListInquiries(ref->tenant, ref->id, after, limit);
      },
      out, &v1::ListInquiriesResponse::add_inquiries, DecodeWithEtag<v1::Inquiry>);
}

}  // namespace certpath::engagements
