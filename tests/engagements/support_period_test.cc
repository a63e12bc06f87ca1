// The support period: start + 18 calendar months (month-end clamped), or the
// registration date if earlier; EXPIRED derived past the end.

#include <gtest/gtest.h>

#include "services/common/validate.h"
#include "services/engagements/domain/rules.h"

namespace certpath::engagements::domain {
namespace {

struct Case {
  absl::CivilDay start;
  int months;
  absl::CivilDay want;
};

TEST(AddMonthsClamped, Table) {
  const Case cases[] = {
      {absl::CivilDay(2026, 1, 31), 18, absl::CivilDay(2027, 7, 31)},  // domain.md example
      {absl::CivilDay(2026, 8, 31), 18, absl::CivilDay(2028, 2, 29)},  // leap February
      {absl::CivilDay(2025, 8, 31), 18, absl::CivilDay(2027, 2, 28)},  // common February
      {absl::CivilDay(2026, 4, 15), 18, absl::CivilDay(2027, 10, 15)},
      {absl::CivilDay(2026, 5, 31), 18, absl::CivilDay(2027, 11, 30)},  // 30-day month
      {absl::CivilDay(2027, 8, 29), 18, absl::CivilDay(2029, 2, 28)},
      {absl::CivilDay(2026, 12, 1), 18, absl::CivilDay(2028, 6, 1)},  // year wrap
      {absl::CivilDay(2028, 2, 29), 12, absl::CivilDay(2029, 2, 28)},
      {absl::CivilDay(2026, 1, 31), 1, absl::CivilDay(2026, 2, 28)},
      {absl::CivilDay(2026, 3, 31), 0, absl::CivilDay(2026, 3, 31)},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(AddMonthsClamped(c.start, c.months), c.want) << c.start << " + " << c.months;
  }
}

TEST(SupportEnd, EarlierOfRegistrationAndEighteenMonths) {
  absl::CivilDay start(2026, 1, 31);
  EXPECT_EQ(SupportEnd(start, absl::nullopt), absl::CivilDay(2027, 7, 31));
  EXPECT_EQ(SupportEnd(start, absl::CivilDay(2027, 3, 1)), absl::CivilDay(2027, 3, 1));
  EXPECT_EQ(SupportEnd(start, absl::CivilDay(2027, 9, 1)), absl::CivilDay(2027, 7, 31));
}

TEST(EffectiveState, ExpiresTheDayAfterSupportEnd) {
  v1::Engagement e;
  e.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
  *e.mutable_support_end() = ToDate(absl::CivilDay(2027, 7, 31));
  EXPECT_EQ(EffectiveState(e, absl::CivilDay(2027, 7, 31)), v1::ENGAGEMENT_STATE_ACTIVE);
  EXPECT_EQ(EffectiveState(e, absl::CivilDay(2027, 8, 1)), v1::ENGAGEMENT_STATE_EXPIRED);
  *e.mutable_registration_date() = ToDate(absl::CivilDay(2027, 7, 1));
  EXPECT_EQ(EffectiveState(e, absl::CivilDay(2027, 8, 1)), v1::ENGAGEMENT_STATE_ACTIVE);
  e.set_state(v1::ENGAGEMENT_STATE_TERMINATED);
  EXPECT_EQ(EffectiveState(e, absl::CivilDay(2030, 1, 1)), v1::ENGAGEMENT_STATE_TERMINATED);
}

TEST(InquiryCoverage, FreeDuringSupportRetainerAfter) {
  v1::Engagement e;
  e.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
  *e.mutable_support_end() = ToDate(absl::CivilDay(2027, 7, 31));
  EXPECT_EQ(*InquiryCoverageFor(e, absl::CivilDay(2027, 7, 31)),
            v1::INQUIRY_COVERAGE_SUPPORT_INCLUDED);
  auto after = InquiryCoverageFor(e, absl::CivilDay(2027, 8, 1));
  EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);
  *e.mutable_advisory_retainer_end() = ToDate(absl::CivilDay(2028, 7, 31));
  EXPECT_EQ(*InquiryCoverageFor(e, absl::CivilDay(2027, 8, 1)),
            v1::INQUIRY_COVERAGE_ADVISORY_RETAINER);
  EXPECT_FALSE(InquiryCoverageFor(e, absl::CivilDay(2028, 8, 1)).ok());
  e.set_state(v1::ENGAGEMENT_STATE_TERMINATED);
  EXPECT_FALSE(InquiryCoverageFor(e, absl::CivilDay(2027, 1, 1)).ok());
}

}  // namespace
}  // namespace certpath::engagements::domain
