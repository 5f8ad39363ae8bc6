#include "sdk/hal/pulse/pulse_counter.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/pulse/fake_pulse_counter.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;

TEST(ValidatePulseChannelsTest, RejectsBadConfigs) {
  EXPECT_THAT(ValidatePulseChannels({}), IsOk());
  EXPECT_THAT(ValidatePulseChannels({{0}, {1}}), IsOk());
  EXPECT_THAT(ValidatePulseChannels({{-1}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidatePulseChannels({{3}, {3}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      ValidatePulseChannels({{0, PulseEdge::kFalling, absl::Seconds(2)}}),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      ValidatePulseChannels({{0, PulseEdge::kFalling, -absl::Milliseconds(1)}}),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

absl::Duration Ms(double ms) { return absl::Microseconds(ms * 1000); }

TEST(PulseDebouncerTest, CountsSelectedEdgesAndRejectsBounce) {
  PulseDebouncer falling({0, PulseEdge::kFalling, Ms(10)});
  // A pulse with bounce on both edges: fall at 0, bounces, rise at 30.
  EXPECT_TRUE(falling.OnEdge(Ms(0), false));
  EXPECT_FALSE(falling.OnEdge(Ms(0.5), true));    // bounce
  EXPECT_FALSE(falling.OnEdge(Ms(1.0), false));   // bounce
  EXPECT_FALSE(falling.OnEdge(Ms(30), true));     // release: accepted, not
  EXPECT_FALSE(falling.OnEdge(Ms(30.5), false));  // counted; bounce
  EXPECT_FALSE(falling.OnEdge(Ms(31), true));     // bounce
  EXPECT_TRUE(falling.OnEdge(Ms(100), false));    // next pulse
  EXPECT_EQ(falling.accepted(), 2u);
  EXPECT_EQ(falling.rejected(), 4u);

  PulseDebouncer rising({0, PulseEdge::kRising, Ms(10)});
  EXPECT_FALSE(rising.OnEdge(Ms(0), false));
  EXPECT_TRUE(rising.OnEdge(Ms(30), true));
  PulseDebouncer both({0, PulseEdge::kBoth, absl::ZeroDuration()});
  EXPECT_TRUE(both.OnEdge(Ms(0), false));
  EXPECT_TRUE(both.OnEdge(Ms(0), true));
}

TEST(PulseCounterTest, CountsOffsetsAndErrorsThroughTheFake) {
  FakePulseCounter counter;
  EXPECT_THAT(counter.Count(0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(counter.Start({{4}, {5, PulseEdge::kRising}}), IsOk());
  EXPECT_THAT(counter.Start({{4}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(counter.channels().size(), 2u);
  EXPECT_EQ(counter.channel_count(), 2);
  counter.AddPulses(0, 3);
  counter.AddPulses(1, 1);
  EXPECT_THAT(*counter.Counts(), ElementsAre(3, 1));
  ASSERT_THAT(counter.SetCount(0, 1000), IsOk());
  counter.AddPulses(0, 2);
  EXPECT_EQ(*counter.Count(0), 1002u);
  EXPECT_THAT(counter.Count(2), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(counter.SetCount(-1, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));

  counter.SetStuck(1, true);  // a stuck input counts nothing
  counter.AddPulses(1, 5);
  EXPECT_EQ(*counter.Count(1), 1u);
  counter.SetStuck(1, false);
  counter.AddPulses(1, 5);
  EXPECT_EQ(*counter.Count(1), 6u);

  counter.InjectReadError(absl::UnavailableError("gpio read"));
  EXPECT_THAT(counter.Count(0), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(*counter.Count(0), 1002u);

  ASSERT_THAT(counter.Stop(), IsOk());
  ASSERT_THAT(counter.Stop(), IsOk());
  EXPECT_EQ(counter.stop_calls(), 1);
  counter.AddPulses(0, 1);              // stopped: ignored
  EXPECT_EQ(*counter.Count(0), 1002u);  // still readable
}

TEST(PulseCounterTest, FailedStartLeavesItStopped) {
  FakePulseCounter counter;
  counter.InjectStartError(absl::NotFoundError("no chip"));
  EXPECT_THAT(counter.Start({{0}}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(counter.started());
  EXPECT_THAT(counter.Start({{0}}), IsOk());
  EXPECT_EQ(counter.start_calls(), 2);
}

}  // namespace
}  // namespace ews::hal
