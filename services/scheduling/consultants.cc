// Consultants, office closures and business days.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/act.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/scheduling/domain/rules.h"
#include "services/scheduling/service.h"

namespace certpath::scheduling {
namespace {

constexpr const char* kConsultantPaths[] = {
    "display_name_ja", "display_name_en",       "email",   "base_location",
    "working_days",    "weekly_visit_capacity", "inactive"};
constexpr int kMaxBusinessDaysRange = 366;

void CheckConsultantFields(FieldViolations& v, const v1::Consultant& c,
                           const google::protobuf::FieldMask* mask) {
  auto masked = [&](const char* path) { return mask == nullptr || MaskHas(*mask, path); };
  if (masked("display_name_ja"))
    CheckText(v, "consultant.display_name_ja", c.display_name_ja(), 100, true);
  if (masked("display_name_en"))
    CheckText(v, "consultant.display_name_en", c.display_name_en(), 100);
  if (masked("email")) {
    CheckText(v, "consultant.email", c.email(), 254);
    if (!c.email().empty() && c.email().find('@') == std::string::npos) {
      v.Add("consultant.email", "not an e-mail address");
    }
  }
  if (masked("base_location")) CheckText(v, "consultant.base_location", c.base_location(), 200);
  if (masked("working_days")) {
    for (int i = 0; i < c.working_days().size(); ++i) {
      int w = c.working_days(i);
      if (!v1::Weekday_IsValid(w) || w == v1::WEEKDAY_UNSPECIFIED) {
        v.Add(absl::StrCat("consultant.working_days[", i, "]"), "MONDAY … SUNDAY");
      } else if (std::count(c.working_days().begin(), c.working_days().begin() + i, w) > 0) {
        v.Add(absl::StrCat("consultant.working_days[", i, "]"), "listed twice");
      }
    }
    if (c.working_days().size() > 7) v.Add("consultant.working_days", "at most 7");
  }
  if (masked("weekly_visit_capacity") &&
      (c.weekly_visit_capacity() < 0 || c.weekly_visit_capacity() > 50)) {
    v.Add("consultant.weekly_visit_capacity", "0 (default 5) … 50");
  }
}

absl::StatusOr<std::pair<absl::CivilDay, absl::CivilDay>> Range(const std::string& prefix,
                                                                const google::type::Date& first,
                                                                const google::type::Date& last,
                                                                int max_days) {
  FieldViolations v;
  CheckDate(v, prefix + "first_day", first, true);
  CheckDate(v, prefix + "last_day", last, true);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  absl::CivilDay a = *ToCivilDay(first), b = *ToCivilDay(last);
  if (b < a) return InvalidArgument(prefix + "last_day", "before first_day");
  if (b - a >= max_days)
    return InvalidArgument(prefix + "last_day", absl::StrCat("at most ", max_days, " days"));
  if (a.year() < 1980 || b.year() > 2099) {
    return InvalidArgument(prefix + "first_day", "years 1980 … 2099");
  }
  return std::make_pair(a, b);
}

}  // namespace

absl::Status SchedulingApi::CreateConsultant(const Principal& p,
                                             const v1::CreateConsultantRequest& req,
                                             v1::Consultant* out) {
  if (auto s = CheckParent(p, req.parent(), "CreateConsultant"); !s.ok()) return s;
  const v1::Consultant& in = req.consultant();
  FieldViolations v;
  CheckText(v, "consultant.subject", in.subject(), 128, true);
  CheckConsultantFields(v, in, nullptr);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  std::string id = RandomHex(8);
  v1::Consultant c = in;
  c.set_name(absl::StrCat("tenants/", p.tenant(), "/consultants/", id));
  if (c.working_days().empty()) {
    for (int w = v1::MONDAY; w <= v1::FRIDAY; ++w) c.add_working_days(static_cast<v1::Weekday>(w));
  }
  if (c.weekly_visit_capacity() == 0) c.set_weekly_visit_capacity(5);
  absl::Time now = clock_.Now();
  *c.mutable_create_time() = ToTimestamp(now);
  *c.mutable_update_time() = ToTimestamp(now);
  c.clear_etag();
  auto r = store_.CreateConsultant(p.tenant(), id, c,
                                   store_.MakeIdem(p.tenant(), p, req.request_id(), req));
  if (!r.ok()) return r.status();
  return out->ParseFromString(r->response) ? absl::OkStatus()
                                           : absl::InternalError("corrupt response");
}

absl::Status SchedulingApi::GetConsultant(const Principal& p, const v1::GetConsultantRequest& req,
                                          v1::Consultant* out) {
  auto c = LoadConsultant(p, req.name(), "GetConsultant");
  if (!c.ok()) return c.status();
  *out = c->value;
  return absl::OkStatus();
}

absl::Status SchedulingApi::ListConsultants(const Principal& p,
                                            const v1::ListConsultantsRequest& req,
                                            v1::ListConsultantsResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "ListConsultants"); !s.ok()) return s;
  return ListPaged<v1::ListConsultantsResponse, v1::Consultant>(
      tokens_, req.page_size(), req.page_token(), {"consultants", req.parent()},
      [&](int64_t after, int limit) { return store_.ListConsultants(p.tenant(), after, limit); },
      out, &v1::ListConsultantsResponse::add_consultants, DecodeWithEtag<v1::Consultant>);
}

absl::Status SchedulingApi::UpdateConsultant(const Principal& p,
                                             const v1::UpdateConsultantRequest& req,
                                             v1::Consultant* out) {
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kConsultantPaths);
  CheckConsultantFields(v, req.consultant(), &req.update_mask());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Consultant>(
      store_, Idem{}, req.consultant().etag(),
      [&] { return LoadConsultant(p, req.consultant().name(), "UpdateConsultant"); },
      [&](const Stored<v1::Consultant>& before) -> absl::Status {
        v1::Consultant c = before.value;
        FieldViolations mv;
        ApplyUpdateMask(mv, req.update_mask(), kConsultantPaths, req.consultant(), &c);
        if (auto s = mv.ToStatus(); !s.ok()) return s;
        if (c.working_days().empty()) {
          return InvalidArgument("consultant.working_days", "at least one working day");
        }
        if (c.weekly_visit_capacity() == 0) c.set_weekly_visit_capacity(5);
        *c.mutable_update_time() = ToTimestamp(clock_.Now());
        auto saved = store_.SaveConsultant(p.tenant(), before, c);
        if (!saved.ok()) return saved.status();
        *out = *std::move(saved);
        return absl::OkStatus();
      },
      out);
}

absl::Status SchedulingApi::CreateOfficeClosure(const Principal& p,
                                                const v1::CreateOfficeClosureRequest& req,
                                                v1::OfficeClosure* out) {
  if (auto s = CheckParent(p, req.parent(), "CreateOfficeClosure"); !s.ok()) return s;
  const v1::OfficeClosure& in = req.closure();
  FieldViolations v;
  CheckText(v, "closure.reason", in.reason(), 100, true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto range = Range("closure.", in.first_day(), in.last_day(), 62);
  if (!range.ok()) return range.status();
  if (auto s = CheckWritable(p); !s.ok()) return s;
  std::string id = RandomHex(8);
  v1::OfficeClosure c = in;
  c.set_name(absl::StrCat("tenants/", p.tenant(), "/officeClosures/", id));
  c.set_created_by(p.subject());
  *c.mutable_create_time() = ToTimestamp(clock_.Now());
  auto r = store_.CreateClosure(p.tenant(), id, c,
                                store_.MakeIdem(p.tenant(), p, req.request_id(), req));
  if (!r.ok()) return r.status();
  {
    std::lock_guard<std::mutex> lock(closures_mu_);
    closures_.erase(p.tenant());  // this replica books against it at once
  }
  return out->ParseFromString(r->response) ? absl::OkStatus()
                                           : absl::InternalError("corrupt response");
}

absl::Status SchedulingApi::ListOfficeClosures(const Principal& p,
                                               const v1::ListOfficeClosuresRequest& req,
                                               v1::ListOfficeClosuresResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "ListOfficeClosures"); !s.ok()) return s;
  return ListPaged<v1::ListOfficeClosuresResponse, v1::OfficeClosure>(
      tokens_, req.page_size(), req.page_token(), {"closures", req.parent()},
      [&](int64_t after, int limit) { return store_.ListClosures(p.tenant(), after, limit); }, out,
      &v1::ListOfficeClosuresResponse::add_closures, DecodeRecord<v1::OfficeClosure>);
}

absl::Status SchedulingApi::ListBusinessDays(const Principal& p,
                                             const v1::ListBusinessDaysRequest& req,
                                             v1::ListBusinessDaysResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "ListBusinessDays"); !s.ok()) return s;
  auto range = Range("", req.first_day(), req.last_day(), kMaxBusinessDaysRange);
  if (!range.ok()) return range.status();
  auto cal = Calendar(p.tenant());
  if (!cal.ok()) return cal.status();
  for (absl::CivilDay day = range->first; day <= range->second; ++day) {
    std::string why = cal->WhyClosed(day);
    if (why.empty()) {
      *out->add_business_days() = ToDate(day);
    } else {
      auto* c = out->add_closed_days();
      *c->mutable_date() = ToDate(day);
      c->set_reason(why);
    }
  }
  return absl::OkStatus();
}

absl::Status SchedulingApi::AddBusinessDays(const Principal& p,
                                            const v1::AddBusinessDaysRequest& req,
                                            v1::AddBusinessDaysResponse* out) {
  if (auto s = CheckParent(p, req.parent(), "AddBusinessDays"); !s.ok()) return s;
  FieldViolations v;
  CheckDate(v, "date", req.date(), true);
  if (req.days() < -1000 || req.days() > 1000) v.Add("days", "-1000 … 1000");
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto cal = Calendar(p.tenant());
  if (!cal.ok()) return cal.status();
  auto day = cal->AddBusinessDays(*ToCivilDay(req.date()), req.days());
  if (!day || day->year() < 1980 || day->year() > 2099) {
    return InvalidArgument("days", "the result falls outside 1980 … 2099");
  }
  *out->mutable_date() = ToDate(*day);
  return absl::OkStatus();
}

}  // namespace certpath::scheduling
