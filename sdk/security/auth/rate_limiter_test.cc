#include "sdk/security/auth/rate_limiter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::security {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RateLimiterTest, BurstThenOneTokenPerInterval) {
  SimulatedClock clock;
  RateLimiter limiter({3, absl::Seconds(10), 16}, clock);
  for (int i = 0; i < 3; ++i) EXPECT_THAT(limiter.Take("a"), IsOk());
  EXPECT_THAT(limiter.Take("a"), StatusIs(absl::StatusCode::kResourceExhausted,
                                          HasSubstr("retry in 10 s")));
  // Another key has its own bucket.
  EXPECT_THAT(limiter.Take("b"), IsOk());
  clock.Advance(absl::Seconds(9));
  EXPECT_THAT(limiter.Take("a"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(limiter.Take("a"), IsOk());
  EXPECT_THAT(limiter.Take("a"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // A long pause refills to the burst, not beyond.
  clock.Advance(absl::Hours(1));
  for (int i = 0; i < 3; ++i) EXPECT_THAT(limiter.Take("a"), IsOk());
  EXPECT_THAT(limiter.Take("a"),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(RateLimiterTest, ReportsOnlyTheFirstRefusalOfAFlood) {
  SimulatedClock clock;
  RateLimiter limiter({1, absl::Seconds(5), 16}, clock);
  bool first = true;
  EXPECT_THAT(limiter.Take("a", &first), IsOk());
  EXPECT_THAT(limiter.Take("a", &first),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(first);
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(limiter.Take("a", &first),
                StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_FALSE(first);
  }
  clock.Advance(absl::Seconds(5));
  EXPECT_THAT(limiter.Take("a", &first), IsOk());
  EXPECT_THAT(limiter.Take("a", &first),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(first);
}

TEST(RateLimiterTest, RefusedAttemptsDoNotDeepenTheDebt) {
  SimulatedClock clock;
  RateLimiter limiter({1, absl::Seconds(5), 16}, clock);
  EXPECT_THAT(limiter.Take("a"), IsOk());
  for (int i = 0; i < 100; ++i) {
    EXPECT_THAT(limiter.Take("a"),
                StatusIs(absl::StatusCode::kResourceExhausted));
  }
  clock.Advance(absl::Seconds(5));
  EXPECT_THAT(limiter.Take("a"), IsOk());
}

TEST(RateLimiterTest, TracksAtMostMaxKeys) {
  SimulatedClock clock;
  RateLimiter limiter({2, absl::Seconds(60), 4}, clock);
  EXPECT_THAT(limiter.Take("busy"), IsOk());
  EXPECT_THAT(limiter.Take("busy"), IsOk());
  for (int i = 0; i < 100; ++i) {
    clock.Advance(absl::Milliseconds(1));
    EXPECT_THAT(limiter.Take("k" + std::to_string(i)), IsOk());
    EXPECT_LE(limiter.tracked_keys(), 4u);
  }
  // The least recently used key was evicted: that is the documented cost
  // of a bounded table.
}

TEST(RateLimiterTest, FullBucketsAreForgottenFirst) {
  SimulatedClock clock;
  RateLimiter limiter({2, absl::Seconds(1), 3}, clock);
  EXPECT_THAT(limiter.Take("idle1"), IsOk());
  EXPECT_THAT(limiter.Take("idle2"), IsOk());
  clock.Advance(absl::Seconds(10));  // both refilled
  EXPECT_THAT(limiter.Take("busy"), IsOk());
  EXPECT_THAT(limiter.Take("busy"), IsOk());
  EXPECT_THAT(limiter.Take("new"), IsOk());  // needs room: drops idle1/2
  EXPECT_EQ(limiter.tracked_keys(), 2u);
  EXPECT_THAT(limiter.Take("busy"),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace ews::security
