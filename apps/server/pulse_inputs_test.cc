#include "apps/server/pulse_inputs.h"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "apps/server/board.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/pulse/fake_pulse_counter.h"
#include "sdk/storage/store.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

config::v1::PulseCounter Counter(const std::string& id, uint32_t input,
                                 config::v1::PulseKind kind, double quantity,
                                 config::v1::PulseUnit unit,
                                 uint32_t min_width_ms = 0) {
  config::v1::PulseCounter counter;
  counter.set_id(id);
  counter.set_name("Meter " + id);
  counter.set_input(input);
  counter.set_kind(kind);
  counter.set_quantity_per_pulse(quantity);
  counter.set_unit(unit);
  counter.set_min_pulse_width_ms(min_width_ms);
  return counter;
}

config::v1::PulseCounter Water() {
  return Counter("water", 1, config::v1::PULSE_KIND_WATER, 10,
                 config::v1::PULSE_UNIT_LITRE);
}
config::v1::PulseCounter Gas() {
  return Counter("gas", 3, config::v1::PULSE_KIND_GAS, 0.01,
                 config::v1::PULSE_UNIT_CUBIC_METRE, 50);
}
config::v1::PulseCounter Energy() {
  return Counter("energy", 2, config::v1::PULSE_KIND_ENERGY, 1,
                 config::v1::PULSE_UNIT_WH);
}

class PulseInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(std::system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()),
              0);
    OpenHistory();
  }

  // Opens the store in dir_ (closing the one open) and its history writer.
  void OpenHistory() {
    history_.reset();
    store_.reset();
    storage::StoreOptions options;
    options.path = dir_ + "/history.db";
    auto store = storage::Store::Open(options, &clock_, absl::UTCTimeZone());
    ASSERT_THAT(store.status(), IsOk());
    store_ = *std::move(store);
    HistoryWriterOptions history;
    history.commit_on_schedule = false;  // committed by StoredCount()
    history_ = std::make_unique<HistoryWriter>(*store_, clock_, history);
  }

  // PulseInputs on a fresh FakePulseCounter (fake_ points to it).
  std::unique_ptr<PulseInputs> StartInputs(
      std::initializer_list<config::v1::PulseCounter> counters) {
    config::v1::DeviceConfig config;
    for (const auto& counter : counters) *config.add_pulse_counters() = counter;
    PulseInputsOptions options;
    options.counts_path = dir_ + "/pulse-counts";
    options.sample_every_minute = false;
    auto fake = std::make_unique<hal::FakePulseCounter>();
    fake_ = fake.get();
    auto inputs = PulseInputs::StartOn(std::move(fake), config, options, clock_,
                                       history_.get());
    EXPECT_THAT(inputs.status(), IsOk());
    return inputs.ok() ? *std::move(inputs) : nullptr;
  }

  // The stored raw count (value / scale) of the newest minute record, after
  // the history writer's commit.
  int64_t StoredCount(const std::string& id, double scale) {
    EXPECT_THAT(history_->Commit(), IsOk());
    auto series = store_->FindSeries(id, kPulseQuantity);
    EXPECT_THAT(series.status(), IsOk());
    if (!series.ok()) return -1;
    auto points = store_->Read(*series, storage::Tier::kMinute,
                               absl::InfinitePast(), absl::InfiniteFuture());
    EXPECT_THAT(points.status(), IsOk());
    if (!points.ok() || points->empty()) return -1;
    return std::llround(points->back().counter / scale);
  }

  uint64_t CountOf(int channel) {
    absl::StatusOr<uint64_t> count = fake_->Count(channel);
    EXPECT_THAT(count.status(), IsOk());
    return count.value_or(~uint64_t{0});
  }

  SimulatedClock clock_;
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<HistoryWriter> history_;
  hal::FakePulseCounter* fake_ = nullptr;
};

TEST_F(PulseInputsTest, OpensOneRisingChannelPerCounterOnInputMinusOne) {
  auto inputs = StartInputs({Water(), Gas()});
  ASSERT_NE(inputs, nullptr);
  ASSERT_EQ(fake_->channels().size(), 2u);
  EXPECT_EQ(fake_->channels()[0].line, 0);
  EXPECT_EQ(fake_->channels()[0].edge, hal::PulseEdge::kRising);
  EXPECT_EQ(fake_->channels()[0].debounce, absl::Milliseconds(10));
  EXPECT_EQ(fake_->channels()[1].line, 2);
  EXPECT_EQ(fake_->channels()[1].debounce, absl::Milliseconds(50));
}

TEST_F(PulseInputsTest, StoresTheExactPulseCountsAsCounterSeries) {
  auto inputs = StartInputs({Water(), Gas()});
  ASSERT_NE(inputs, nullptr);
  // 2^52 - 1 pulses of 0.01 m³: no double holds 45035996273704.95 exactly.
  const uint64_t big = (uint64_t{1} << 52) - 1;
  fake_->AddPulses(0, 123456789);
  fake_->AddPulses(1, big - 5);
  clock_.Advance(absl::Minutes(1));
  ASSERT_THAT(inputs->RecordNow(), IsOk());
  EXPECT_EQ(StoredCount("water", 10), 123456789);

  auto series = store_->FindSeries("gas", kPulseQuantity);
  ASSERT_THAT(series.status(), IsOk());
  auto spec = store_->GetSpec(*series);
  ASSERT_THAT(spec.status(), IsOk());
  EXPECT_EQ(spec->kind, storage::SeriesKind::kCounter);
  EXPECT_EQ(spec->unit, "m³");
  EXPECT_EQ(spec->scale, 0.01);

  fake_->AddPulses(1, 5);
  fake_->AddPulses(0, 1);
  clock_.Advance(absl::Minutes(1));
  ASSERT_THAT(inputs->RecordNow(), IsOk());
  EXPECT_EQ(StoredCount("water", 10), 123456790);
  EXPECT_EQ(history_->Health().committed_samples, 4);
  auto points = store_->Read(*series, storage::Tier::kMinute,
                             absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_THAT(points.status(), IsOk());
  ASSERT_EQ(points->size(), 2u);
  // The counter is the raw count times the scale, as the store computes it.
  EXPECT_EQ(points->back().counter, static_cast<double>(big) * 0.01);
  EXPECT_EQ(points->back().delta, 5 * 0.01);
}

TEST_F(PulseInputsTest, APowerCutResumesFromTheCountsCommittedWithTheHistory) {
  const std::string counts = dir_ + "/pulse-counts";
  auto saved = [&] {
    return hal::LoadPulseCounts(counts).value_or(std::vector<uint64_t>{});
  };
  {
    auto inputs = StartInputs({Water()});
    ASSERT_NE(inputs, nullptr);
    fake_->AddPulses(0, 5);
    clock_.Advance(absl::Minutes(1));
    ASSERT_THAT(inputs->RecordNow(), IsOk());
    ASSERT_THAT(history_->Commit(), IsOk());
    // Committed with the history; the file is not written at each commit
    // (a page of flash each time), only once an hour.
    EXPECT_EQ(saved(), std::vector<uint64_t>{});
    fake_->AddPulses(0, 3);
    clock_.Advance(absl::Hours(1));
    ASSERT_THAT(inputs->RecordNow(), IsOk());
    ASSERT_THAT(history_->Commit(), IsOk());
    EXPECT_EQ(saved(), std::vector<uint64_t>{8});  // an hour later
    fake_->AddPulses(0, 4);
    clock_.Advance(absl::Minutes(1));
    ASSERT_THAT(inputs->RecordNow(), IsOk());
    ASSERT_THAT(history_->Commit(), IsOk());
    EXPECT_EQ(saved(), std::vector<uint64_t>{8});
    fake_->AddPulses(0, 1);  // not committed: a power cut loses it
  }
  // A power cut: the file holds the hourly save (Stop() saved 13 here, put
  // back to 8), the store is reopened from its files.
  ASSERT_THAT(hal::SavePulseCounts(counts, {8}), IsOk());
  ASSERT_NO_FATAL_FAILURE(OpenHistory());
  auto inputs = StartInputs({Water()});
  ASSERT_NE(inputs, nullptr);
  EXPECT_EQ(CountOf(0), 12u);  // the last committed count, above the file's
}

TEST_F(PulseInputsTest, RecordsOnEveryWallClockMinute) {
  config::v1::DeviceConfig config;
  *config.add_pulse_counters() = Water();
  PulseInputsOptions options;
  options.counts_path = dir_ + "/pulse-counts";
  clock_.Advance(absl::Seconds(20));  // 00:00:20
  auto fake = std::make_unique<hal::FakePulseCounter>();
  hal::FakePulseCounter* counter = fake.get();
  auto inputs = PulseInputs::StartOn(std::move(fake), config, options, clock_,
                                     history_.get());
  ASSERT_THAT(inputs.status(), IsOk());
  counter->AddPulses(0, 5);
  // The thread's record of a minute, waited for in real time.
  auto last_sample = [&](absl::Time expected) {
    absl::Time last = absl::InfinitePast();
    for (int i = 0; i < 500 && last != expected; ++i) {
      absl::SleepFor(absl::Milliseconds(10));
      EXPECT_THAT(history_->Commit(), IsOk());
      auto series = store_->FindSeries("water", kPulseQuantity);
      if (series.ok()) last = store_->LastSampleTime(*series).value_or(last);
    }
    return last;
  };
  const absl::Time start = absl::FromUnixSeconds(1767225600);
  clock_.Advance(absl::Seconds(40));
  EXPECT_EQ(last_sample(start + absl::Minutes(1)), start + absl::Minutes(1));
  EXPECT_EQ(StoredCount("water", 10), 5);
  counter->AddPulses(0, 1);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(last_sample(start + absl::Minutes(2)), start + absl::Minutes(2));
  EXPECT_EQ(StoredCount("water", 10), 6);
  // The thread sleeps on the simulated clock: keep it moving until it is
  // joined.
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    (*inputs)->Stop();
    stopped = true;
  });
  while (!stopped) {
    clock_.Advance(absl::Milliseconds(100));
    absl::SleepFor(absl::Milliseconds(1));
  }
  stopper.join();
  EXPECT_EQ(hal::LoadPulseCounts(options.counts_path)
                .value_or(std::vector<uint64_t>{}),
            std::vector<uint64_t>{6});
}

TEST_F(PulseInputsTest,
       CountsSurviveARestartAndFollowTheirIdWhenCountersChange) {
  {
    auto inputs = StartInputs({Water(), Gas()});
    ASSERT_NE(inputs, nullptr);
    fake_->AddPulses(0, 40);
    fake_->AddPulses(1, 7);
    clock_.Advance(absl::Minutes(1));
    ASSERT_THAT(inputs->RecordNow(), IsOk());
    fake_->AddPulses(0, 2);  // after the last minute: saved by Stop()
  }
  {
    auto inputs = StartInputs({Water(), Gas()});
    ASSERT_NE(inputs, nullptr);
    EXPECT_EQ(CountOf(0), 42u);
    EXPECT_EQ(CountOf(1), 7u);
    fake_->AddPulses(1, 1);
  }
  // A counter added in front: water and gas keep their counts.
  auto inputs = StartInputs({Energy(), Gas(), Water()});
  ASSERT_NE(inputs, nullptr);
  EXPECT_EQ(CountOf(0), 0u);
  EXPECT_EQ(CountOf(1), 8u);
  EXPECT_EQ(CountOf(2), 42u);
  clock_.Advance(absl::Minutes(1));
  ASSERT_THAT(inputs->RecordNow(), IsOk());
  EXPECT_EQ(StoredCount("water", 10), 42);
  EXPECT_EQ(StoredCount("gas", 0.01), 8);
  EXPECT_EQ(StoredCount("energy", 1), 0);
}

// The meter's reading at commissioning: a new counter starts there; a count
// the box keeps is never put back to it.
TEST_F(PulseInputsTest, ANewCounterStartsAtItsStartingIndex) {
  config::v1::PulseCounter water = Water();  // 10 L per pulse
  water.set_starting_index(1234.5);          // L: 123.45 pulses
  {
    auto inputs = StartInputs({water});
    ASSERT_NE(inputs, nullptr);
    EXPECT_EQ(CountOf(0), 123u);
    fake_->AddPulses(0, 2);
    clock_.Advance(absl::Minutes(1));
    ASSERT_THAT(inputs->RecordNow(), IsOk());
    EXPECT_EQ(StoredCount("water", 10), 125);
  }
  // A restart keeps the count; a counter added meanwhile starts at its own.
  config::v1::PulseCounter gas = Gas();  // 0.01 m³ per pulse
  gas.set_starting_index(42);
  auto inputs = StartInputs({water, gas});
  ASSERT_NE(inputs, nullptr);
  EXPECT_EQ(CountOf(0), 125u);
  EXPECT_EQ(CountOf(1), 4200u);
}

TEST_F(PulseInputsTest, ServesCountersAsPulseDevices) {
  auto inputs = StartInputs({Water(), Energy()});
  ASSERT_NE(inputs, nullptr);
  EXPECT_THAT(inputs->LineJson(),
              HasSubstr(R"("name":"pulse","available":true)"));
  inputs->DevicesJson();  // starts the rate window
  fake_->AddPulses(0, 3);
  fake_->AddPulses(1, 100);
  clock_.Advance(absl::Minutes(1));
  const std::string json = inputs->DevicesJson();
  EXPECT_THAT(json, HasSubstr(R"({"id":"water","name":"Meter water",)"
                              R"("profile":"pulse_counter","line":"pulse",)"
                              R"("input":1,"kind":"water","online":true)"));
  EXPECT_THAT(json, HasSubstr(R"("pulses":3,"index":30,"unit":"L",)"
                              R"("rate_per_hour":1800,)"));
  EXPECT_THAT(json, HasSubstr(R"({"quantity":"rate","name":"Rate",)"
                              R"("value":6000,"unit":"W"})"));
}

TEST_F(PulseInputsTest, InputsThatCannotBeOpenedAreReportedOffline) {
  config::v1::DeviceConfig config;
  *config.add_pulse_counters() = Water();
  PulseInputsOptions options;
  options.sample_every_minute = false;
  BoardOptions board_options;
  board_options.pulse_gpiochip = dir_ + "/no-such-gpiochip";
  LinuxBoard board(board_options);
  auto inputs =
      PulseInputs::Start(config, options, clock_, history_.get(), board);
  ASSERT_THAT(inputs.status(), IsOk());
  EXPECT_THAT((*inputs)->LineJson(), HasSubstr(R"("available":false)"));
  EXPECT_THAT((*inputs)->LineJson(), HasSubstr("no GPIO chip"));
  EXPECT_THAT((*inputs)->DevicesJson(),
              HasSubstr(R"("online":false,"state":"no GPIO chip)"));
  EXPECT_THAT((*inputs)->RecordNow(), StatusIs(absl::StatusCode::kUnavailable));

  auto fake = std::make_unique<hal::FakePulseCounter>();
  fake->InjectStartError(absl::PermissionDeniedError("gpiochip0: denied"));
  inputs = PulseInputs::StartOn(std::move(fake), config, options, clock_,
                                history_.get());
  ASSERT_THAT(inputs.status(), IsOk());
  EXPECT_THAT((*inputs)->DevicesJson(), HasSubstr("denied"));
}

TEST_F(PulseInputsTest, NoCountersNoLine) {
  PulseInputsOptions options;
  LinuxBoard board{BoardOptions()};
  auto inputs = PulseInputs::Start(config::v1::DeviceConfig(), options, clock_,
                                   nullptr, board);
  ASSERT_THAT(inputs.status(), IsOk());
  EXPECT_EQ((*inputs)->LineJson(), "");
  EXPECT_EQ((*inputs)->DevicesJson(), "");
}

}  // namespace
}  // namespace ews::server
