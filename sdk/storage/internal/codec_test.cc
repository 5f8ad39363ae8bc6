#include "sdk/storage/internal/codec.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/storage/internal/record.h"

namespace ews::storage::internal {
namespace {

std::vector<int64_t> RoundTrip(const std::vector<int64_t>& values,
                               size_t* size = nullptr) {
  std::string data;
  EncodeColumn(values, &data);
  if (size != nullptr) *size = data.size();
  Reader reader(data);
  std::vector<int64_t> out;
  EXPECT_TRUE(DecodeColumn(&reader, values.size(), &out));
  EXPECT_TRUE(reader.done());
  return out;
}

TEST(CodecTest, ColumnModesRoundTrip) {
  const std::vector<std::vector<int64_t>> cases = {
      {},
      {7},
      {5, 5, 5, 5},
      {0, 60, 120, 180},
      {1, -1, 300, 2, 2, INT64_MAX, INT64_MIN, 0},
      {0, 0, 0, 9, 0, 0, -4, 0},
      {123456789, 123456790, 123456795, 123456795},
  };
  for (const auto& values : cases) EXPECT_EQ(RoundTrip(values), values);
}

TEST(CodecTest, RandomRoundTrip) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    std::vector<int64_t> values(rng() % 100);
    for (auto& v : values) v = static_cast<int64_t>(rng()) >> (rng() % 64);
    EXPECT_EQ(RoundTrip(values), values);
  }
}

TEST(CodecTest, ConstantAndConstantDeltaCostAlmostNothing) {
  size_t size;
  RoundTrip(std::vector<int64_t>(60, 2314), &size);
  EXPECT_LE(size, 3u);
  std::vector<int64_t> ramp;
  for (int i = 0; i < 60; ++i) ramp.push_back(1000 + 60 * i);
  RoundTrip(ramp, &size);
  EXPECT_LE(size, 5u);
}

TEST(CodecTest, TruncatedInputIsRejected) {
  std::string data;
  EncodeColumn({1, 1000, -70000, 5}, &data);
  for (size_t cut = 0; cut < data.size(); ++cut) {
    Reader reader(absl::string_view(data).substr(0, cut));
    std::vector<int64_t> out;
    EXPECT_FALSE(DecodeColumn(&reader, 4, &out)) << cut;
  }
}

TEST(RecordTest, BlockRoundTripCounterAndInstant) {
  std::vector<Record> counter;
  for (int i = 0; i < 60; ++i) {
    Record r;
    r.start = 1767225600 + 60 * i;
    r.a = 12345678 + 17 * i;
    r.b = i == 0 ? 5 : 17;
    r.samples = 1;
    if (i == 30) {
      r.flags = kFlagGap;
      r.gap_start = r.start - 3600;
      r.b = 900;
      r.a += 0;
    }
    counter.push_back(r);
  }
  auto decoded = DecodeBlock(SeriesKind::kCounter,
                             EncodeBlock(SeriesKind::kCounter, counter));
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), counter.size());
  for (size_t i = 0; i < counter.size(); ++i) {
    EXPECT_EQ((*decoded)[i].a, counter[i].a);
    EXPECT_EQ((*decoded)[i].b, counter[i].b);
    EXPECT_EQ((*decoded)[i].flags, counter[i].flags);
    EXPECT_EQ((*decoded)[i].gap_start, counter[i].gap_start);
  }
  std::vector<Record> instant;
  for (int i = 0; i < 60; ++i) {
    Record r;
    r.start = 1767225600 + 60 * i;
    r.b = 6;
    r.a = 6 * 2300 + i;
    r.min = 2290;
    r.max = 2310 + i % 3;
    r.last = 2301;
    instant.push_back(r);
  }
  decoded = DecodeBlock(SeriesKind::kInstantaneous,
                        EncodeBlock(SeriesKind::kInstantaneous, instant));
  ASSERT_TRUE(decoded.ok());
  for (size_t i = 0; i < instant.size(); ++i) {
    EXPECT_EQ((*decoded)[i].a, instant[i].a);
    EXPECT_EQ((*decoded)[i].b, instant[i].b);
    EXPECT_EQ((*decoded)[i].min, instant[i].min);
    EXPECT_EQ((*decoded)[i].max, instant[i].max);
    EXPECT_EQ((*decoded)[i].last, instant[i].last);
  }
  EXPECT_FALSE(DecodeBlock(SeriesKind::kCounter, "garbage").ok());
}

TEST(RecordTest, CounterSteps) {
  CounterRules rules;
  rules.counter_bits = 32;
  rules.gap_threshold_ms = 300000;
  CounterStep step = StepCounter(rules, {0, 100}, {60000, 150});
  EXPECT_EQ(step.delta, 50);
  EXPECT_EQ(step.flags, 0u);
  step = StepCounter(rules, {0, 4294967290}, {60000, 10});
  EXPECT_EQ(step.delta, 16);
  EXPECT_EQ(step.flags, static_cast<uint32_t>(kFlagWrap));
  step = StepCounter(rules, {0, 5000}, {60000, 10});
  EXPECT_EQ(step.delta, 0);
  EXPECT_EQ(step.flags, static_cast<uint32_t>(kFlagReset));
  step = StepCounter(rules, {0, 5000}, {3600000, 5900});
  EXPECT_EQ(step.delta, 900);
  EXPECT_EQ(step.flags, static_cast<uint32_t>(kFlagGap));
  EXPECT_EQ(step.gap_start, 0);
}

}  // namespace
}  // namespace ews::storage::internal
