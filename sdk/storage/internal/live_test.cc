#include "sdk/storage/internal/live.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::storage::internal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::SizeIs;

constexpr int64_t kT0 = 1767225600;  // 2026-01-01T00:00Z

SeriesInfo Counter() {
  SeriesInfo info;
  info.id = 7;
  info.spec.kind = SeriesKind::kCounter;
  info.spec.scale = 0.001;
  info.rules.counter_bits = 32;
  info.rules.gap_threshold_ms = 5 * 60000;
  return info;
}

SeriesInfo Instant() {
  SeriesInfo info;
  info.id = 8;
  info.spec.kind = SeriesKind::kInstantaneous;
  info.spec.scale = 0.1;
  return info;
}

TEST(LiveTest, ChunksAndBatchesRoundTrip) {
  const std::vector<Sample> a = {{kT0 * 1000 + 250, 100},
                                 {kT0 * 1000 + 60250, 117}};
  const std::vector<Sample> b = {{kT0 * 1000 + 300, -5}};
  auto decoded = DecodeChunk(EncodeChunk(a));
  ASSERT_THAT(decoded, IsOk());
  ASSERT_THAT(*decoded, SizeIs(2));
  EXPECT_EQ((*decoded)[1].t_ms, a[1].t_ms);
  EXPECT_EQ((*decoded)[1].raw, 117);
  auto batch =
      DecodeBatch(EncodeBatch({{1, EncodeChunk(a)}, {2, EncodeChunk(b)}}));
  ASSERT_THAT(batch, IsOk());
  ASSERT_THAT(*batch, SizeIs(2));
  EXPECT_EQ((*batch)[0].first, 1);
  EXPECT_EQ((*batch)[1].first, 2);
  auto back = DecodeChunk((*batch)[1].second);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ((*back)[0].raw, -5);
  EXPECT_THAT(DecodeBatch("\x05\x01"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeChunk("\xff\xff\xff"),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(LiveTest, MinutesOfACounterContinueFromThePreviousSample) {
  // Two samples in minute 0, one in minute 1, then 10 minutes of silence.
  const std::vector<Sample> samples = {{kT0 * 1000, 1000},
                                       {kT0 * 1000 + 30000, 1010},
                                       {kT0 * 1000 + 60000, 1025},
                                       {kT0 * 1000 + 660000, 1100}};
  std::vector<Record> minutes =
      BuildMinutes(Counter(), true, {kT0 * 1000 - 60000, 990}, samples);
  ASSERT_THAT(minutes, SizeIs(3));
  EXPECT_EQ(minutes[0].start, kT0);
  EXPECT_EQ(minutes[0].a, 1010);
  EXPECT_EQ(minutes[0].b, 20);
  EXPECT_EQ(minutes[1].b, 15);
  EXPECT_EQ(minutes[2].start, kT0 + 660);
  EXPECT_EQ(minutes[2].b, 75);
  EXPECT_EQ(minutes[2].flags, static_cast<uint32_t>(kFlagGap));
  EXPECT_EQ(minutes[2].gap_start, kT0 + 60);
  // Without a previous sample the first one starts the series.
  minutes = BuildMinutes(Counter(), false, {0, 0}, samples);
  EXPECT_EQ(minutes[0].flags, static_cast<uint32_t>(kFlagFirst));
  EXPECT_EQ(minutes[0].b, 10);
}

TEST(LiveTest, LiveRecordsAggregateToTheTierAndClipToThePeriod) {
  LiveState live;
  std::vector<Sample> samples;
  for (int i = 0; i < 120; ++i)
    samples.push_back({(kT0 + 60 * i) * 1000, 2300 + i % 2});
  live.chunks.push_back(EncodeChunk(samples));
  const absl::TimeZone utc = absl::UTCTimeZone();
  auto hours = LiveRecords(Instant(), live, Tier::kHour, kT0, kT0 + 7200, utc);
  ASSERT_THAT(hours, IsOk());
  ASSERT_THAT(*hours, SizeIs(2));
  EXPECT_EQ((*hours)[1].start, kT0 + 3600);
  EXPECT_EQ((*hours)[1].b, 60);
  EXPECT_EQ((*hours)[1].min, 2300);
  EXPECT_EQ((*hours)[1].max, 2301);
  auto minutes =
      LiveRecords(Instant(), live, Tier::kMinute, kT0 + 600, kT0 + 720, utc);
  ASSERT_THAT(minutes, IsOk());
  ASSERT_THAT(*minutes, SizeIs(2));
  EXPECT_EQ((*minutes)[0].start, kT0 + 600);
  live.chunks.push_back("\x01");
  EXPECT_THAT(LiveRecords(Instant(), live, Tier::kHour, kT0, kT0 + 7200, utc),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(LiveTest, MergeCombinesRecordsOfTheSameInterval) {
  Record stored{kT0, 4600, 2, 2300, 2300, 2300};
  Record live_same{kT0, 2310, 1, 2310, 2310, 2310};
  Record live_next{kT0 + 60, 2320, 1, 2320, 2320, 2320};
  std::vector<Record> merged = MergeRecords(SeriesKind::kInstantaneous,
                                            {stored}, {live_same, live_next});
  ASSERT_THAT(merged, SizeIs(2));
  EXPECT_EQ(merged[0].a, 6910);
  EXPECT_EQ(merged[0].b, 3);
  EXPECT_EQ(merged[0].max, 2310);
  EXPECT_EQ(merged[0].last, 2310);
  EXPECT_EQ(merged[1].start, kT0 + 60);
}

TEST(LiveTest, ToPointScalesAndClampPeriodBounds) {
  Record r{kT0, 4601, 2, 2300, 2301, 2301};
  Point p = ToPoint(Instant().spec, Tier::kMinute, r, absl::UTCTimeZone());
  EXPECT_DOUBLE_EQ(p.avg, 230.05);
  EXPECT_DOUBLE_EQ(p.max, 230.1);
  EXPECT_EQ(p.end, absl::FromUnixSeconds(kT0 + 60));
  int64_t from = -5, to = INT64_MAX;
  ClampPeriod(&from, &to);
  EXPECT_EQ(from, 0);
  EXPECT_EQ(to, 253402300799);
}

}  // namespace
}  // namespace ews::storage::internal
