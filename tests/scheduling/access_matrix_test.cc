// BOLA for scheduling: every RPC of certpath.scheduling.v1.SchedulingService
// (but GetCalendarFeed, whose token is its credential) called by every kind of
// principal, with engagements and scheduling in process on one real
// redis-server and scheduling having learnt the engagement from engagements'
// events.
// A = allowed (any answer but NOT_FOUND / PERMISSION_DENIED / UNAUTHENTICATED),
// N = NOT_FOUND (existence not leaked), D = PERMISSION_DENIED, U = UNAUTHENTICATED.
// The expected cells come from the policy table (services/scheduling/domain/
// policy.cc) given who sees what; the hand-written matrix below is a second
// opinion that must agree with it, and the service's answers with both.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "certpath/scheduling/v1/scheduling.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "services/common/policy.h"
#include "services/common/validate.h"
#include "services/scheduling/app.h"
#include "services/scheduling/domain/policy.h"
#include "tests/support/access_matrix.h"
#include "tests/support/fixtures.h"

namespace certpath::testing {
namespace {

namespace sv1 = certpath::scheduling::v1;
namespace cv1 = certpath::common::v1;
using EStub = v1::EngagementService::Stub;
using SStub = sv1::SchedulingService::Stub;
using Sched = TestService<scheduling::App, sv1::SchedulingService>;

google::protobuf::Timestamp At(absl::CivilDay day, int hh, int mm = 0) {
  return ToTimestamp(absl::FromCivil(
      absl::CivilSecond(day.year(), day.month(), day.day(), hh, mm, 0), TokyoZone()));
}

// What a row's request names, for who sees it: an engagement (or a visit of
// it: office staff, partner p1, the engagement's client), office data
// (consultants, calendar feeds: office staff only), or nothing but the tenant.
enum class Names { kTenant, kEngagement, kVisit, kConsultant, kFeed };

// What the calls work on, made by the office admin before the matrix.
struct Objects {
  std::string engagement;  // partner p1 on it
  std::string consultant;
  std::string visit;                         // 2026-12-01 10:00–12:00, read only
  std::string audit;                         // GetAudit, UpdateAudit
  std::function<std::string()> fresh_audit;  // CancelAudit: a planned one per call
  std::string feed;                          // the consultant's
  std::string visit_to_update;               // UpdateVisit (a change of place leaves it live)
  // Confirm, complete and cancel: a new proposed visit per call (on or before
  // the test clock's day when `past`), so every allowed caller finds one live.
  std::function<std::string(bool past)> fresh_visit;
  // Real dead letters of scheduling's outbox, one per RPC that names one.
  std::string dead_to_get, dead_to_replay, dead_to_discard;
  int next_slot = 0;       // BookVisit and fresh_visit(false): a free slot per call
  int next_past_slot = 0;  // fresh_visit(true)
  int next_subject = 0;    // CreateConsultant: a new subject per call
};

using Caller = access::Caller;

using Call = std::function<absl::Status(Sched&, const Caller&, Objects&)>;
struct Row {
  Names names;
  Call call;
};

template <typename Req, typename Resp>
absl::Status Do(Sched& s, const Caller& c, Sched::Method<Req, Resp> m, const Req& req) {
  Resp resp;
  return s.Call(m, c.p, req, &resp, c.raw_token);
}

// The n-th free two-hour slot from `from` on, Monday–Friday (no public
// holiday from 2026-11-16 to -20, nor in December before the 29th).
std::pair<google::protobuf::Timestamp, google::protobuf::Timestamp> Slot(absl::CivilDay from,
                                                                         int n) {
  static const int kHours[] = {9, 11, 14};
  absl::CivilDay day = from;
  for (int left = n / 3;; ++day) {
    absl::Weekday w = absl::GetWeekday(day);
    bool weekday = w != absl::Weekday::saturday && w != absl::Weekday::sunday;
    if (weekday && left-- == 0) break;
  }
  int h = kHours[n % 3];
  return {At(day, h), At(day, h + 2)};
}

sv1::BookVisitRequest Booking(const std::string& engagement, const std::string& consultant,
                              absl::CivilDay day, int from_h, int to_h) {
  sv1::BookVisitRequest req;
  req.set_parent("tenants/t1");
  auto* v = req.mutable_visit();
  v->set_engagement(engagement);
  v->set_kind(sv1::VISIT_KIND_OPTION_A);
  v->set_billable_length(sv1::BILLABLE_LENGTH_HALF_DAY);
  *v->mutable_start_time() = At(day, from_h);
  *v->mutable_end_time() = At(day, to_h);
  v->set_location("東京都千代田区丸の内1-1-1 会議室A");
  v->add_consultants(consultant);
  v->set_agenda("内部監査員教育");
  return req;
}

std::map<std::string, Row> Rows() {
  std::map<std::string, Row> r;
  // ---- consultants, closures, business days
  r["CreateConsultant"] = {
      Names::kTenant, [](Sched& s, const Caller& c, Objects& o) {
        sv1::CreateConsultantRequest req;
        req.set_parent("tenants/t1");
        req.mutable_consultant()->set_subject(absl::StrCat("c", ++o.next_subject, "@office"));
        req.mutable_consultant()->set_display_name_ja("鈴木 一郎");
        return Do(s, c, &SStub::CreateConsultant, req);
      }};
  r["GetConsultant"] = {Names::kConsultant, [](Sched& s, const Caller& c, Objects& o) {
                          sv1::GetConsultantRequest req;
                          req.set_name(o.consultant);
                          return Do(s, c, &SStub::GetConsultant, req);
                        }};
  r["ListConsultants"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects&) {
                            sv1::ListConsultantsRequest req;
                            req.set_parent("tenants/t1");
                            return Do(s, c, &SStub::ListConsultants, req);
                          }};
  r["UpdateConsultant"] = {Names::kConsultant, [](Sched& s, const Caller& c, Objects& o) {
                             sv1::UpdateConsultantRequest req;
                             req.mutable_consultant()->set_name(o.consultant);
                             req.mutable_consultant()->set_display_name_en("Kenji Sato");
                             req.mutable_update_mask()->add_paths("display_name_en");
                             return Do(s, c, &SStub::UpdateConsultant, req);
                           }};
  r["CreateOfficeClosure"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects&) {
                                sv1::CreateOfficeClosureRequest req;
                                req.set_parent("tenants/t1");
                                *req.mutable_closure()->mutable_first_day() = Day(2027, 8, 13);
                                *req.mutable_closure()->mutable_last_day() = Day(2027, 8, 16);
                                req.mutable_closure()->set_reason("夏季休業");
                                return Do(s, c, &SStub::CreateOfficeClosure, req);
                              }};
  r["ListOfficeClosures"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects&) {
                               sv1::ListOfficeClosuresRequest req;
                               req.set_parent("tenants/t1");
                               return Do(s, c, &SStub::ListOfficeClosures, req);
                             }};
  r["ListBusinessDays"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects&) {
                             sv1::ListBusinessDaysRequest req;
                             req.set_parent("tenants/t1");
                             *req.mutable_first_day() = Day(2026, 12, 28);
                             *req.mutable_last_day() = Day(2027, 1, 12);
                             return Do(s, c, &SStub::ListBusinessDays, req);
                           }};
  r["AddBusinessDays"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects&) {
                            sv1::AddBusinessDaysRequest req;
                            req.set_parent("tenants/t1");
                            *req.mutable_date() = Day(2026, 12, 28);
                            req.set_days(1);
                            return Do(s, c, &SStub::AddBusinessDays, req);
                          }};
  // ---- visits
  r["BookVisit"] = {Names::kEngagement, [](Sched& s, const Caller& c, Objects& o) {
                      sv1::BookVisitRequest req =
                          Booking(o.engagement, o.consultant, absl::CivilDay(2026, 12, 4), 9, 11);
                      auto [start, end] = Slot(absl::CivilDay(2026, 12, 4), o.next_slot++);
                      *req.mutable_visit()->mutable_start_time() = start;
                      *req.mutable_visit()->mutable_end_time() = end;
                      return Do(s, c, &SStub::BookVisit, req);
                    }};
  r["GetVisit"] = {Names::kVisit, [](Sched& s, const Caller& c, Objects& o) {
                     sv1::GetVisitRequest req;
                     req.set_name(o.visit);
                     return Do(s, c, &SStub::GetVisit, req);
                   }};
  r["ListVisits"] = {Names::kEngagement, [](Sched& s, const Caller& c, Objects& o) {
                       sv1::ListVisitsRequest req;
                       req.set_parent("tenants/t1");
                       req.set_engagement(o.engagement);
                       return Do(s, c, &SStub::ListVisits, req);
                     }};
  r["UpdateVisit"] = {Names::kVisit, [](Sched& s, const Caller& c, Objects& o) {
                        sv1::UpdateVisitRequest req;
                        req.mutable_visit()->set_name(o.visit_to_update);
                        req.mutable_visit()->set_location("オンライン（Teams）");
                        req.mutable_update_mask()->add_paths("location");
                        return Do(s, c, &SStub::UpdateVisit, req);
                      }};
  r["ConfirmVisit"] = {Names::kVisit, [](Sched& s, const Caller& c, Objects& o) {
                         sv1::VisitActionRequest req;
                         req.set_name(o.fresh_visit(false));
                         return Do(s, c, &SStub::ConfirmVisit, req);
                       }};
  r["CompleteVisit"] = {Names::kVisit, [](Sched& s, const Caller& c, Objects& o) {
                          sv1::CompleteVisitRequest req;
                          req.set_name(o.fresh_visit(true));
                          req.set_minutes("内部監査の手順を説明した。");
                          return Do(s, c, &SStub::CompleteVisit, req);
                        }};
  r["CancelVisit"] = {Names::kVisit, [](Sched& s, const Caller& c, Objects& o) {
                        sv1::CancelVisitRequest req;
                        req.set_name(o.fresh_visit(false));
                        req.set_reason("先方都合");
                        return Do(s, c, &SStub::CancelVisit, req);
                      }};
  r["GetConsultantWorkload"] = {Names::kConsultant, [](Sched& s, const Caller& c, Objects& o) {
                                  sv1::GetConsultantWorkloadRequest req;
                                  req.set_consultant(o.consultant);
                                  *req.mutable_first_day() = Day(2026, 11, 30);
                                  *req.mutable_last_day() = Day(2026, 12, 31);
                                  return Do(s, c, &SStub::GetConsultantWorkload, req);
                                }};
  // ---- audits, deadlines
  r["PlanAudit"] = {Names::kEngagement, [](Sched& s, const Caller& c, Objects& o) {
                      sv1::PlanAuditRequest req;
                      req.set_parent("tenants/t1");
                      req.mutable_audit()->set_engagement(o.engagement);
                      req.mutable_audit()->set_kind(sv1::AUDIT_KIND_STAGE2);
                      *req.mutable_audit()->mutable_first_day() = Day(2027, 3, 10);
                      req.mutable_audit()->set_certification_body("一般財団法人 日本品質保証機構");
                      return Do(s, c, &SStub::PlanAudit, req);
                    }};
  r["ListAudits"] = {Names::kEngagement, [](Sched& s, const Caller& c, Objects& o) {
                       sv1::ListAuditsRequest req;
                       req.set_parent("tenants/t1");
                       req.set_engagement(o.engagement);
                       return Do(s, c, &SStub::ListAudits, req);
                     }};
  r["GetAudit"] = {Names::kVisit, [](Sched& s, const Caller& c, Objects& o) {
                     sv1::GetAuditRequest req;
                     req.set_name(o.audit);
                     return Do(s, c, &SStub::GetAudit, req);
                   }};
  r["UpdateAudit"] = {
      Names::kVisit, [](Sched& s, const Caller& c, Objects& o) {
        sv1::UpdateAuditRequest req;
        req.mutable_audit()->set_name(o.audit);
        req.mutable_audit()->set_certification_body(absl::StrCat("審査機関 ", c.p.subject()));
        req.mutable_update_mask()->add_paths("certification_body");
        return Do(s, c, &SStub::UpdateAudit, req);
      }};
  r["CancelAudit"] = {Names::kVisit, [](Sched& s, const Caller& c, Objects& o) {
                        sv1::CancelAuditRequest req;
                        req.set_name(o.fresh_audit());
                        req.set_reason("審査機関の都合により延期");
                        return Do(s, c, &SStub::CancelAudit, req);
                      }};
  r["ListDeadlines"] = {Names::kEngagement, [](Sched& s, const Caller& c, Objects& o) {
                          sv1::ListDeadlinesRequest req;
                          req.set_parent("tenants/t1");
                          req.set_engagement(o.engagement);
                          return Do(s, c, &SStub::ListDeadlines, req);
                        }};
  // ---- calendar feeds
  r["CreateCalendarFeed"] = {Names::kConsultant, [](Sched& s, const Caller& c, Objects& o) {
                               sv1::CreateCalendarFeedRequest req;
                               req.set_parent("tenants/t1");
                               req.mutable_feed()->set_consultant(o.consultant);
                               return Do(s, c, &SStub::CreateCalendarFeed, req);
                             }};
  r["CreateCalendarFeed.engagement"] = {Names::kEngagement,
                                        [](Sched& s, const Caller& c, Objects& o) {
                                          sv1::CreateCalendarFeedRequest req;
                                          req.set_parent("tenants/t1");
                                          req.mutable_feed()->set_engagement(o.engagement);
                                          return Do(s, c, &SStub::CreateCalendarFeed, req);
                                        }};
  r["RevokeCalendarFeed"] = {Names::kFeed, [](Sched& s, const Caller& c, Objects& o) {
                               sv1::RevokeCalendarFeedRequest req;
                               req.set_name(o.feed);
                               return Do(s, c, &SStub::RevokeCalendarFeed, req);
                             }};
  // ---- dead letters, audit trail
  r["ListDeadLetters"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects&) {
                            cv1::ListDeadLettersRequest req;
                            req.set_parent("tenants/t1/producers/scheduling");
                            return Do(s, c, &SStub::ListDeadLetters, req);
                          }};
  r["GetDeadLetter"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects& o) {
                          cv1::GetDeadLetterRequest req;
                          req.set_name(o.dead_to_get);
                          return Do(s, c, &SStub::GetDeadLetter, req);
                        }};
  r["ReplayDeadLetter"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects& o) {
                             cv1::ReplayDeadLetterRequest req;
                             req.set_name(o.dead_to_replay);
                             return Do(s, c, &SStub::ReplayDeadLetter, req);
                           }};
  r["DiscardDeadLetter"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects& o) {
                              cv1::DiscardDeadLetterRequest req;
                              req.set_name(o.dead_to_discard);
                              req.set_reason("テストのため破棄");
                              return Do(s, c, &SStub::DiscardDeadLetter, req);
                            }};
  r["ListAuditEntries"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects&) {
                             cv1::ListAuditEntriesRequest req;
                             req.set_parent("tenants/t1/services/scheduling");
                             return Do(s, c, &SStub::ListAuditEntries, req);
                           }};
  r["VerifyAuditTrail"] = {Names::kTenant, [](Sched& s, const Caller& c, Objects&) {
                             cv1::VerifyAuditTrailRequest req;
                             req.set_parent("tenants/t1/services/scheduling");
                             return Do(s, c, &SStub::VerifyAuditTrail, req);
                           }};
  return r;
}

// The cell the policy table gives. `sees_engagement`: the caller sees the
// engagement and its visits; office data (consultants, feeds) only office staff see.
char FromPolicy(const std::string& row, Names names, const Principal& p, bool sees_engagement) {
  std::string method = row.substr(0, row.find('.'));
  const RpcRule& rule = scheduling::domain::SchedulingPolicy().Rule(method);
  if (p.tenant() != "t1") return 'N';  // another tenant: nothing of t1 exists
  bool office = (RoleBit(p) & kOfficeRoles) != 0;
  bool sees = true;
  switch (names) {
    case Names::kTenant:
      break;
    case Names::kEngagement:
    case Names::kVisit:
      sees = sees_engagement;
      break;
    case Names::kConsultant:
    case Names::kFeed:
      sees = office;
      break;
  }
  bool may = (rule.may & RoleBit(p)) != 0;
  if (rule.scope == Scope::kTenant) {
    if (!may) return 'D';
    return sees ? 'A' : 'N';
  }
  if (!sees) return 'N';
  return may ? 'A' : 'D';
}

// The matrix by hand. Columns: admin consultant partner-of-it other-partner
// its-client other-client other-tenant no-token forged-token.
const std::map<std::string, std::string>& Want() {
  static const std::map<std::string, std::string> kWant = {
      {"CreateConsultant", "ADDDDDNUU"},
      {"GetConsultant", "AANNNNNUU"},
      {"ListConsultants", "AADDDDNUU"},
      {"UpdateConsultant", "ADNNNNNUU"},
      {"CreateOfficeClosure", "ADDDDDNUU"},
      {"ListOfficeClosures", "AAAAAANUU"},
      {"ListBusinessDays", "AAAAAANUU"},
      {"AddBusinessDays", "AAAAAANUU"},
      {"BookVisit", "AADDDDNUU"},
      {"GetVisit", "AAANANNUU"},
      {"ListVisits", "AAANANNUU"},
      {"UpdateVisit", "AADNDNNUU"},
      {"ConfirmVisit", "AADNDNNUU"},
      {"CompleteVisit", "AADNDNNUU"},
      {"CancelVisit", "AADNDNNUU"},
      {"GetConsultantWorkload", "AANNNNNUU"},
      {"PlanAudit", "AADDDDNUU"},
      {"ListAudits", "AAANANNUU"},
      {"GetAudit", "AAANANNUU"},
      {"UpdateAudit", "AADNDNNUU"},
      {"CancelAudit", "AADNDNNUU"},
      {"ListDeadlines", "AAANANNUU"},
      {"CreateCalendarFeed", "AADDDDNUU"},
      {"CreateCalendarFeed.engagement", "AADDDDNUU"},
      {"RevokeCalendarFeed", "AANNNNNUU"},
      {"ListDeadLetters", "ADDDDDNUU"},
      {"GetDeadLetter", "ADDDDDNUU"},
      {"ReplayDeadLetter", "ADDDDDNUU"},
      {"DiscardDeadLetter", "ADDDDDNUU"},
      {"ListAuditEntries", "ADDDDDNUU"},
      {"VerifyAuditTrail", "ADDDDDNUU"},
  };
  return kWant;
}

TEST(SchedulingAccessMatrix, EveryRpcIsInTheMatrix) {
  const auto* svc = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      sv1::SchedulingService::service_full_name());
  ASSERT_NE(svc, nullptr);
  std::vector<std::string> methods;
  for (int i = 0; i < svc->method_count(); ++i) methods.push_back(svc->method(i)->name());
  // Every RPC has a policy row; one more row is DeliverEvent (EventConsumer).
  EXPECT_EQ(scheduling::domain::SchedulingPolicy().Uncovered(methods), std::vector<std::string>{});
  EXPECT_EQ(scheduling::domain::SchedulingPolicy().rules().size(), methods.size() + 1);
  // Every RPC but GetCalendarFeed (public: the token is the credential) is called below.
  std::vector<std::string> rows, wanted;
  for (const auto& [row, unused] : Rows()) rows.push_back(row);
  for (const auto& [row, unused] : Want()) wanted.push_back(row);
  access::CheckCoverage(methods, rows, wanted, {"GetCalendarFeed"});
}

class SchedulingAccess : public ::testing::Test {
 protected:
  // Scheduling's own events (VisitCompleted) are delivered back to itself,
  // which consumes no such event and refuses them: real dead letters for the
  // dead-letter RPCs.
  SchedulingAccess()
      : clock(DefaultNow()),
        scheduling_port(FreePort()),
        eng(redis, clock,
            [this](engagements::AppOptions& o) {
              o.consumer_targets["scheduling"] = Local(scheduling_port);
              o.relay_poll_interval = absl::Milliseconds(100);
            }),
        sched(redis, clock, [this](scheduling::AppOptions& o) {
          o.host.server.listen = Local(scheduling_port);
          o.consumer_targets["engagements"] = Local(scheduling_port);
          o.consumer_targets["billing"] = Local(scheduling_port);
          o.relay_poll_interval = absl::Milliseconds(100);
        }) {
    eng.Start();
    sched.Start();
    EXPECT_TRUE(eng.ready() && sched.ready());
  }

  static std::string Local(int port) { return absl::StrCat("127.0.0.1:", port); }

  // An engagement (support from 2026-04-01) that scheduling has learnt of.
  v1::Engagement NewEngagement(const std::string& client, std::vector<std::string> partners) {
    v1::Engagement e;
    absl::Status s =
        eng.Call(&EStub::CreateEngagement, kAdmin, EngagementRequest(client, partners), &e);
    EXPECT_TRUE(s.ok()) << s;
    sv1::ListDeadlinesRequest req;
    req.set_parent("tenants/t1");
    req.set_engagement(e.name());
    sv1::ListDeadlinesResponse resp;
    for (int i = 0; i < 400; ++i) {
      s = sched.Call(&SStub::ListDeadlines, kAdmin, req, &resp);
      if (s.ok()) return e;
      absl::SleepFor(absl::Milliseconds(25));
    }
    ADD_FAILURE() << "scheduling never learnt of " << e.name() << ": " << s;
    return e;
  }

  std::string Book(const sv1::BookVisitRequest& req) {
    sv1::Visit v;
    absl::Status s = sched.Call(&SStub::BookVisit, kAdmin, req, &v);
    EXPECT_TRUE(s.ok()) << s;
    return v.name();
  }

  RedisServer redis;
  FakeClock clock;
  int scheduling_port;
  TestService<engagements::App, v1::EngagementService> eng;
  Sched sched;
};

TEST_F(SchedulingAccess, EveryRpcEveryPrincipal) {
  // The client and its engagement (partner p1), as the admin.
  v1::CreateClientRequest creq;
  creq.set_parent("tenants/t1");
  creq.mutable_client()->set_display_name("株式会社デモ");
  v1::Client client;
  ASSERT_TRUE(eng.Call(&EStub::CreateClient, kAdmin, creq, &client).ok());
  v1::Engagement e = NewEngagement(client.name(), {"p1"});
  // A second engagement, only for a second subject of dead letters.
  v1::Engagement other = NewEngagement(client.name(), {});
  std::string cid = LastSegment(e.client());
  ASSERT_EQ(cid, LastSegment(client.name()));

  Objects o;
  o.engagement = e.name();
  {
    sv1::CreateConsultantRequest req;
    req.set_parent("tenants/t1");
    req.mutable_consultant()->set_subject("kenji@office");
    req.mutable_consultant()->set_display_name_ja("佐藤 健二");
    req.mutable_consultant()->set_weekly_visit_capacity(50);
    sv1::Consultant c;
    absl::Status s = sched.Call(&SStub::CreateConsultant, kAdmin, req, &c);
    ASSERT_TRUE(s.ok()) << s;
    o.consultant = c.name();
  }
  // 2026-12-01 is a Tuesday.
  o.visit = Book(Booking(o.engagement, o.consultant, absl::CivilDay(2026, 12, 1), 10, 12));
  o.visit_to_update =
      Book(Booking(o.engagement, o.consultant, absl::CivilDay(2026, 12, 2), 10, 12));
  o.fresh_visit = [this, &o](bool past) {
    sv1::BookVisitRequest req =
        Booking(o.engagement, o.consultant, absl::CivilDay(2026, 12, 4), 9, 11);
    // Past slots: the week of 2026-11-16 (15 of them, the test clock is 2026-11-26).
    auto [start, end] = past ? Slot(absl::CivilDay(2026, 11, 16), o.next_past_slot++)
                             : Slot(absl::CivilDay(2026, 12, 4), o.next_slot++);
    *req.mutable_visit()->mutable_start_time() = start;
    *req.mutable_visit()->mutable_end_time() = end;
    return Book(req);
  };
  {
    sv1::PlanAuditRequest req;
    req.set_parent("tenants/t1");
    req.mutable_audit()->set_engagement(o.engagement);
    req.mutable_audit()->set_kind(sv1::AUDIT_KIND_STAGE1);
    *req.mutable_audit()->mutable_first_day() = Day(2027, 1, 20);
    req.mutable_audit()->set_certification_body("一般財団法人 日本品質保証機構");
    sv1::Audit a;
    absl::Status s = sched.Call(&SStub::PlanAudit, kAdmin, req, &a);
    ASSERT_TRUE(s.ok()) << s;
    o.audit = a.name();
    o.fresh_audit = [this, req]() {
      sv1::Audit fresh;
      absl::Status s = sched.Call(&SStub::PlanAudit, kAdmin, req, &fresh);
      EXPECT_TRUE(s.ok()) << s;
      return fresh.name();
    };
  }
  {
    sv1::CreateCalendarFeedRequest req;
    req.set_parent("tenants/t1");
    req.mutable_feed()->set_consultant(o.consultant);
    sv1::CalendarFeed f;
    absl::Status s = sched.Call(&SStub::CreateCalendarFeed, kAdmin, req, &f);
    ASSERT_TRUE(s.ok()) << s;
    o.feed = f.name();
  }
  // Dead letters: a visit of each engagement done, each event refused by both
  // consumers (one dead letter per consumer and subject; later ones wait behind it).
  for (const auto& [eng_name, from_h] :
       std::vector<std::pair<std::string, int>>{{o.engagement, 10}, {other.name(), 13}}) {
    std::string done =
        Book(Booking(eng_name, o.consultant, absl::CivilDay(2026, 11, 24), from_h, from_h + 2));
    sv1::CompleteVisitRequest req;
    req.set_name(done);
    req.set_minutes("実施済み");
    sv1::Visit v;
    absl::Status s = sched.Call(&SStub::CompleteVisit, kAdmin, req, &v);
    ASSERT_TRUE(s.ok()) << s;
  }
  {
    cv1::ListDeadLettersRequest req;
    req.set_parent("tenants/t1/producers/scheduling");
    cv1::ListDeadLettersResponse resp;
    for (int i = 0; i < 400; ++i) {
      resp.Clear();
      ASSERT_TRUE(sched.Call(&SStub::ListDeadLetters, kAdmin, req, &resp).ok());
      if (resp.dead_letters_size() >= 4) break;
      absl::SleepFor(absl::Milliseconds(25));
    }
    ASSERT_EQ(resp.dead_letters_size(), 4);
    o.dead_to_get = resp.dead_letters(0).name();
    o.dead_to_replay = resp.dead_letters(1).name();
    o.dead_to_discard = resp.dead_letters(2).name();
  }

  const std::vector<Caller> callers = access::NineCallers(cid, clock);
  // Who sees the engagement and its visits: office staff, the partner on it, its client.
  const bool sees_engagement[] = {true, true, true, false, true, false, false, false, false};

  auto rows = Rows();
  ASSERT_EQ(rows.size(), Want().size());
  std::map<std::string, std::string> got_matrix;
  for (auto& [row, spec] : rows) {
    std::string expected;
    for (size_t i = 0; i < std::size(callers); ++i) {
      expected += callers[i].raw_token
                      ? 'U'
                      : FromPolicy(row, spec.names, callers[i].p, sees_engagement[i]);
    }
    ASSERT_TRUE(Want().count(row)) << row;
    EXPECT_EQ(expected, Want().at(row))
        << row << ": the policy table and the hand-written matrix disagree";
    got_matrix[row] = access::RunRow(row, callers, expected,
                                     [&](const Caller& c) { return spec.call(sched, c, o); });
  }
  access::PrintMatrix(got_matrix, Want());
}

}  // namespace
}  // namespace certpath::testing
