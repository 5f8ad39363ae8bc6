#include "sdk/hal/pulse/pulse_count_store.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/pulse/fake_pulse_counter.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(PulseCountStoreTest, RoundTripsAndOverwritesAtomically) {
  const std::string path = TempPath("roundtrip");
  EXPECT_THAT(LoadPulseCounts(path), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(SavePulseCounts(path, {1, 0, 18446744073709551615ull}), IsOk());
  EXPECT_THAT(*LoadPulseCounts(path),
              ElementsAre(1, 0, 18446744073709551615ull));
  ASSERT_THAT(SavePulseCounts(path, {7}), IsOk());
  EXPECT_THAT(*LoadPulseCounts(path), ElementsAre(7));
  std::ifstream temporary(path + ".tmp");
  EXPECT_FALSE(temporary.good());  // renamed away
}

TEST(PulseCountStoreTest, CorruptFileIsDataLoss) {
  const std::string path = TempPath("corrupt");
  ASSERT_THAT(SavePulseCounts(path, {12345}), IsOk());
  std::string text;
  {
    std::ifstream in(path);
    std::getline(in, text, '\0');
  }
  text[text.find("12345")] = '9';  // a flipped digit
  std::ofstream(path) << text;
  EXPECT_THAT(LoadPulseCounts(path), StatusIs(absl::StatusCode::kDataLoss));
  std::ofstream(path) << "garbage";
  EXPECT_THAT(LoadPulseCounts(path), StatusIs(absl::StatusCode::kDataLoss));
  std::ofstream(path) << "";
  EXPECT_THAT(LoadPulseCounts(path), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(PulseCountStoreTest, UnwritableDirectoryIsAnError) {
  EXPECT_THAT(SavePulseCounts("/nonexistent-dir/counts", {1}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(PulseCountPersistenceTest, SavesPeriodicallyAndRestores) {
  SimulatedClock clock;
  const std::string path = TempPath("periodic");
  FakePulseCounter counter;
  PulseCountPersistence persistence(&counter, &clock,
                                    {path, absl::Seconds(60)});
  EXPECT_THAT(persistence.Restore(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(counter.Start({{0}, {1}}), IsOk());
  ASSERT_THAT(persistence.Restore(), IsOk());  // no file: first start
  counter.AddPulses(0, 10);
  clock.Advance(absl::Seconds(59));
  ASSERT_THAT(persistence.Poll(), IsOk());
  EXPECT_EQ(persistence.saves(), 0u);
  clock.Advance(absl::Seconds(1));
  ASSERT_THAT(persistence.Poll(), IsOk());
  EXPECT_EQ(persistence.saves(), 1u);
  EXPECT_THAT(*LoadPulseCounts(path), ElementsAre(10, 0));

  FakePulseCounter restarted;
  ASSERT_THAT(restarted.Start({{0}, {1}}), IsOk());
  PulseCountPersistence again(&restarted, &clock, {path, absl::Seconds(60)});
  ASSERT_THAT(again.Restore(), IsOk());
  restarted.AddPulses(1, 2);
  EXPECT_THAT(*restarted.Counts(), ElementsAre(10, 2));
}

TEST(PulseCountPersistenceTest, CorruptFileIsReportedAndCountsStartAtZero) {
  SimulatedClock clock;
  const std::string path = TempPath("corrupt-restore");
  std::ofstream(path) << "ews-pulse-counts 1\nchannels 1\n0 5\ncrc32 0\n";
  FakePulseCounter counter;
  ASSERT_THAT(counter.Start({{0}}), IsOk());
  PulseCountPersistence persistence(&counter, &clock, {path});
  EXPECT_THAT(persistence.Restore(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(*counter.Count(0), 0u);
  ASSERT_THAT(persistence.Shutdown(), IsOk());  // replaces the bad file
  EXPECT_THAT(LoadPulseCounts(path), IsOk());
}

}  // namespace
}  // namespace ews::hal
