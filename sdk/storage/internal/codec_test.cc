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

TEST(CodecTest, CountersAndTimestampsWithGapsCostLittle) {
  // A steady counter: steps of 17 +- 1 cost one small delta-of-delta each.
  std::vector<int64_t> counter;
  int64_t c = 123456789;
  for (int i = 0; i < 1440; ++i) counter.push_back(c += 17 + (i % 3 == 0));
  size_t size;
  EXPECT_EQ(RoundTrip(counter, &size), counter);
  EXPECT_LE(size, 1440u + 16);
  // Minute starts with two gaps: the steps are 60 but for two exceptions.
  std::vector<int64_t> starts;
  int64_t t = 1767225600;
  for (int i = 0; i < 1440; ++i) {
    starts.push_back(t);
    t += (i == 100 || i == 900) ? 3600 : 60;
  }
  EXPECT_EQ(RoundTrip(starts, &size), starts);
  EXPECT_LE(size, 20u);
  // The most common value, not only 0, is the default of exceptions.
  std::vector<int64_t> mostly(500, 42);
  mostly[7] = -3;
  mostly[499] = INT64_MIN;
  EXPECT_EQ(RoundTrip(mostly, &size), mostly);
  EXPECT_LE(size, 20u);
}

TEST(CodecTest, NewModesRejectTruncatedAndOutOfRangeInput) {
  for (const std::vector<int64_t>& values :
       {std::vector<int64_t>{5, 10, 16, 23, 31, 40, 50, 61},
        std::vector<int64_t>{0, 60, 120, 3720, 3780, 3840, 3900, 3960}}) {
    std::string data;
    EncodeColumn(values, &data);
    for (size_t cut = 0; cut < data.size(); ++cut) {
      Reader reader(absl::string_view(data).substr(0, cut));
      std::vector<int64_t> out;
      EXPECT_FALSE(DecodeColumn(&reader, values.size(), &out)) << cut;
    }
  }
  // Exceptions whose index runs past the column.
  std::string bad;
  PutVarint(&bad, 6);   // step exceptions
  PutSigned(&bad, 0);   // first
  PutSigned(&bad, 60);  // common step
  PutVarint(&bad, 1);   // one exception
  PutVarint(&bad, 50);  // at index 51 of 4
  PutSigned(&bad, 1);
  Reader reader(bad);
  std::vector<int64_t> out;
  EXPECT_FALSE(DecodeColumn(&reader, 4, &out));
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

TEST(RecordTest, SealedBlockRoundTripsAndIsSmaller) {
  std::vector<Record> day;
  std::mt19937 rng(3);
  for (int i = 0; i < 1440; ++i) {
    if (i >= 600 && i < 660) continue;  // an outage
    Record r;
    r.start = 1767225600 + 60 * i;
    r.a = 2300 + static_cast<int64_t>(rng() % 9) - 4;  // 230.0 V +- 0.4
    r.b = r.samples = 1;
    r.min = r.max = r.last = r.a;
    day.push_back(r);
  }
  const std::string plain = EncodeBlock(SeriesKind::kInstantaneous, day);
  const std::string sealed = EncodeSealedBlock(SeriesKind::kInstantaneous, day);
  EXPECT_LT(sealed.size(), plain.size() * 3 / 4);
  EXPECT_LT(sealed.size(), day.size());  // < 1 byte per value
  auto decoded = DecodeBlock(SeriesKind::kInstantaneous, sealed);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), day.size());
  for (size_t i = 0; i < day.size(); ++i) {
    EXPECT_EQ((*decoded)[i].start, day[i].start);
    EXPECT_EQ((*decoded)[i].a, day[i].a);
    EXPECT_EQ((*decoded)[i].min, day[i].min);
    EXPECT_EQ((*decoded)[i].last, day[i].last);
  }
  // Damage anywhere is a DataLoss, never a silent misread.
  for (size_t at :
       {size_t{0}, size_t{1}, sealed.size() / 2, sealed.size() - 1}) {
    std::string damaged = sealed;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    EXPECT_FALSE(DecodeBlock(SeriesKind::kInstantaneous, damaged).ok()) << at;
  }
  EXPECT_FALSE(
      DecodeBlock(SeriesKind::kInstantaneous, sealed.substr(0, 10)).ok());
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
