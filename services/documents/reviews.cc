// Reviews: submitted (free during the support period, a paid review the
// office accepts after it), commented on with anchors, decided — approval
// supersedes the approved version and publishes DocumentApproved.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/act.h"
#include "services/common/clock.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/documents/domain/catalog.h"
#include "services/documents/domain/rules.h"
#include "services/documents/service.h"

namespace certpath::documents {

namespace d = domain;

absl::Status DocumentsApi::SubmitForReview(const Principal& p,
                                           const v1::SubmitForReviewRequest& req,
                                           v1::DocumentVersion* out) {
  if (auto s = CheckWritable(p); !s.ok()) return s;
  VersionRef ref;
  return Act<v1::DocumentVersion>(
      store_, Idem{}, req.etag(),
      [&] { return LoadVersion(p, req.name(), "SubmitForReview", &ref); },
      [&](const Stored<v1::DocumentVersion>& before) -> absl::Status {
        if (auto s = d::CheckActive(ref.doc.document.value); !s.ok()) return s;
        // A version older than the one in force is never approved: not
        // submitted either (it would wait for a decision that cannot come).
        if (auto s =
                d::CheckNotOlderThanEffective(ref.doc.document.value, ref.n, before.value.number(),
                                              "upload a newer one and submit that");
            !s.ok()) {
          return s;
        }
        // Free or paid: the engagement's support period decides (as the caller sees it).
        auto e = engagements_.Get(p, ref.doc.engagement);
        if (!e.ok()) return e.status();
        v1::DocumentVersion v = before.value;
        if (auto s = d::Submit(v, d::ReviewIncluded(*e, TokyoDay(clock_.Now()))); !s.ok()) {
          return s;
        }
        *v.mutable_update_time() = ToTimestamp(clock_.Now());
        auto r =
            store_.SaveVersion(p.tenant(), nullptr, nullptr, before, v, absl::nullopt, {}, Idem{},
                               {ref.doc.document});  // an archive meanwhile: ABORTED, then refused
        if (!r.ok()) return r.status();
        return out->ParseFromString(r->response) ? absl::OkStatus()
                                                 : absl::InternalError("corrupt response");
      },
      out);
}

absl::Status DocumentsApi::AcceptPaidReview(const Principal& p,
                                            const v1::AcceptPaidReviewRequest& req,
                                            v1::DocumentVersion* out) {
  FieldViolations fv;
  CheckRequestId(fv, req.request_id());
  if (req.price_jpy() <= 0) fv.Add("price_jpy", "required (yen)");
  if (auto s = fv.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  VersionRef ref;
  // Kept for good, as every billing effect: a replay months later is the same acceptance.
  Idem idem = store_.MakeIdem(p.tenant(), p, req.request_id(), req, /*keep_for_good=*/true);
  return Act<v1::DocumentVersion>(
      store_, idem, req.etag(),
      [&] { return LoadVersion(p, req.name(), "AcceptPaidReview", &ref); },
      [&](const Stored<v1::DocumentVersion>& before) -> absl::Status {
        if (auto s = d::CheckActive(ref.doc.document.value); !s.ok()) return s;
        // Never billed for a version that cannot be approved (the office
        // declines it instead).
        if (auto s = d::CheckNotOlderThanEffective(ref.doc.document.value, ref.n,
                                                   before.value.number(), "decline it instead");
            !s.ok()) {
          return s;
        }
        auto settings = office_.Settings(p);
        if (!settings.ok()) return settings.status();
        // Billed to the recipient of the engagement's accepted quote: without
        // one the billing event would only wait as a dead letter.
        auto quoted = office_.HasAcceptedQuote(p, ref.doc.engagement);
        if (!quoted.ok()) return quoted.status();
        if (!*quoted) {
          return FailedPrecondition("NO_ACCEPTED_QUOTE",
                                    "a paid review is invoiced to the recipient of the "
                                    "engagement's accepted quote: accept a quote first");
        }
        const billing::v1::PriceList* prices = &settings->prices();
        v1::DocumentVersion v = before.value;
        if (auto s = d::AcceptPaid(v, req.price_jpy(), prices->manual_review_min_jpy(),
                                   prices->manual_review_max_jpy());
            !s.ok()) {
          return s;
        }
        absl::Time now = clock_.Now();
        *v.mutable_update_time() = ToTimestamp(now);
        certpath::documents::v1::PaidReviewAccepted paid;
        paid.set_engagement(ref.doc.engagement);
        paid.set_document(ref.doc.document.value.name());
        paid.set_version(v.name());
        paid.set_document_title(ref.doc.document.value.title());
        paid.set_price_jpy(req.price_jpy());
        *paid.mutable_accept_date() = ToDate(TokyoDay(now));
        paid.set_accepted_by(p.subject());
        std::vector<cv1::OutboxEvent> events = {Envelope(p.tenant(), ref.doc.engagement, paid)};
        auto r = store_.SaveVersion(p.tenant(), nullptr, nullptr, before, v, absl::nullopt, events,
                                    idem, {ref.doc.document});
        if (!r.ok()) return r.status();
        if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
        if (!r->replayed) Published(events.size());
        return absl::OkStatus();
      },
      out);
}

absl::Status DocumentsApi::CreateReviewComment(const Principal& p,
                                               const v1::CreateReviewCommentRequest& req,
                                               v1::ReviewComment* out) {
  FieldViolations v;
  CheckText(v, "comment.body", req.comment().body(), 4000, true, true);
  CheckText(v, "comment.section", req.comment().section(), 100);
  if (req.comment().page() < 0 || req.comment().page() > 10000) {
    v.Add("comment.page", "0 (none) … 10000");
  }
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  VersionRef ref;
  auto ver = LoadVersion(p, req.parent(), "CreateReviewComment", &ref);
  if (!ver.ok()) return ver.status();
  // A retry is answered as the first call was, even once the document is archived.
  Idem idem = store_.MakeIdem(p.tenant(), p, req.request_id(), req);
  if (auto answered = store_.AnswerReplay(idem, out)) return *answered;
  if (auto s = d::CheckActive(ref.doc.document.value); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  std::string id = RandomHex(8);
  v1::ReviewComment c = req.comment();
  c.set_name(absl::StrCat(req.parent(), "/comments/", id));
  c.set_author(p.subject());
  c.set_round(ver->value.reviews_size() + 1);
  *c.mutable_create_time() = ToTimestamp(clock_.Now());
  auto saved = store_.AddComment(p.tenant(), ref.doc.did, ref.n, id, c, idem);
  if (!saved.ok()) return saved.status();
  *out = *std::move(saved);
  return absl::OkStatus();
}

absl::Status DocumentsApi::ListReviewComments(const Principal& p,
                                              const v1::ListReviewCommentsRequest& req,
                                              v1::ListReviewCommentsResponse* out) {
  VersionRef ref;
  auto ver = LoadVersion(p, req.parent(), "ListReviewComments", &ref);
  if (!ver.ok()) return ver.status();
  return ListPaged<v1::ListReviewCommentsResponse, v1::ReviewComment>(
      tokens_, req.page_size(), req.page_token(), {"comments", req.parent()},
      [&](int64_t after, int limit) {
        return store_.ListComments(p.tenant(), ref.doc.did, ref.n, after, limit);
      },
      out, &v1::ListReviewCommentsResponse::add_comments, DecodeRecord<v1::ReviewComment>);
}

absl::Status DocumentsApi::DecideReview(const Principal& p, const v1::DecideReviewRequest& req,
                                        v1::DocumentVersion* out) {
  FieldViolations fv;
  CheckDate(fv, "effective_date", req.effective_date(), false);
  if (!v1::ReviewDecision_IsValid(req.decision()) ||
      req.decision() == v1::REVIEW_DECISION_UNSPECIFIED) {
    fv.Add("decision", "APPROVE, REQUEST_CHANGES or DECLINE");
  }
  if (req.decision() != v1::REVIEW_DECISION_APPROVE && req.has_effective_date()) {
    fv.Add("effective_date", "only with APPROVE (a version takes effect when approved)");
  }
  if (auto s = fv.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  VersionRef ref;
  return Act<v1::DocumentVersion>(
      store_, Idem{}, req.etag(), [&] { return LoadVersion(p, req.name(), "DecideReview", &ref); },
      [&](const Stored<v1::DocumentVersion>& before) -> absl::Status {
        if (auto s = d::CheckActive(ref.doc.document.value); !s.ok()) return s;
        auto e = engagements_.Get(p, ref.doc.engagement);
        if (!e.ok()) return e.status();
        if (!d::MayDecide(p, *e)) {
          return PermissionDenied(
              "reviews are decided by the engagement's consultants, an office admin or a listed "
              "partner");
        }
        if (req.decision() == v1::REVIEW_DECISION_DECLINE &&
            p.role() != Principal::ROLE_OFFICE_ADMIN && p.role() != Principal::ROLE_CONSULTANT) {
          return PermissionDenied("a paid review request is accepted or declined by the office");
        }
        absl::Time now = clock_.Now();
        absl::CivilDay effective = ToCivilDay(req.effective_date()).value_or(TokyoDay(now));
        // 制定 / 改訂 take effect from the approval on: not backdated before the
        // version existed, nor set more than a year ahead.
        absl::CivilDay created =
            TokyoDay(absl::FromUnixSeconds(before.value.create_time().seconds()));
        absl::CivilDay today = TokyoDay(now);
        absl::CivilDay year_ahead(today.year() + 1, today.month(), today.day());
        if (effective < created || effective > year_ahead) {
          return InvalidArgument("effective_date",
                                 "from the version's creation day up to a year from today");
        }
        const Stored<v1::Document>& doc = ref.doc.document;
        // Effective dates never go backwards: which version applied on a day
        // stays answerable (ISO/IEC 27001 7.5.3).
        auto in_force_from = ToCivilDay(doc.value.effective_date());
        if (req.decision() == v1::REVIEW_DECISION_APPROVE && in_force_from &&
            effective < *in_force_from) {
          return InvalidArgument("effective_date",
                                 absl::StrCat("not before ", absl::FormatCivilTime(*in_force_from),
                                              ", the effective date of version ",
                                              doc.value.effective_version_number()));
        }
        if (req.decision() == v1::REVIEW_DECISION_APPROVE) {
          if (auto s = d::CheckNotOlderThanEffective(doc.value, ref.n, before.value.number(),
                                                     "approve a newer one instead");
              !s.ok()) {
            return s;
          }
        }
        v1::DocumentVersion v = before.value;
        if (auto s = d::Decide(v, req.decision(), p.subject(), effective, now); !s.ok()) return s;
        *v.mutable_update_time() = ToTimestamp(now);
        // Counted once committed (a conflict runs this again).
        auto counted = [&] {
          reviews_total_
              .Add({{"decision", v1::ReviewDecision_Name(req.decision())},
                    {"billable", v.reviews().rbegin()->billable() ? "true" : "false"}})
              .Increment();
        };
        if (req.decision() != v1::REVIEW_DECISION_APPROVE) {
          auto r = store_.SaveVersion(p.tenant(), nullptr, nullptr, before, v, absl::nullopt, {},
                                      Idem{});
          if (!r.ok()) return r.status();
          counted();
          return out->ParseFromString(r->response) ? absl::OkStatus()
                                                   : absl::InternalError("corrupt response");
        }
        // Approval: the version takes effect (制定 / 改訂); the one before is superseded.
        auto superseded = SupersedeEffective(p.tenant(), doc.value, ref.n, effective, now);
        if (!superseded.ok()) return superseded.status();
        v1::Document d_after = doc.value;
        d_after.set_effective_version(v.name());
        d_after.set_effective_version_number(v.number());
        *d_after.mutable_effective_date() = ToDate(effective);
        *d_after.mutable_update_time() = ToTimestamp(now);
        std::vector<Stored<v1::Document>> decided_on;
        auto approved = Approval(p, ref.doc.engagement, d_after, v, now, &decided_on);
        if (!approved.ok()) return approved.status();
        std::vector<cv1::OutboxEvent> events = {
            Envelope(p.tenant(), ref.doc.engagement, *approved)};
        auto r = store_.SaveVersion(p.tenant(), &doc, &d_after, before, v, *superseded, events,
                                    Idem{}, decided_on);
        if (!r.ok()) return r.status();
        counted();
        if (!out->ParseFromString(r->response)) return absl::InternalError("corrupt response");
        Published(events.size());
        return absl::OkStatus();
      },
      out);
}

}  // namespace certpath::documents
