#include "sdk/acquisition/poller.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/devices/codec.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/modbus/fake_client.h"

namespace ews::acquisition {
namespace {

using ::ews::devices::RawValue;
using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
namespace v1 = ::ews::devices::v1;

class PollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = devices::ProfileRegistry::BuiltIn();
    ASSERT_THAT(registry, IsOk());
    registry_ = std::move(*registry);
  }

  // Fills unit `address` of the fake with every register of `profile_id`:
  // raw value 1000 + index for each quantity, CT ratio 200, sign positive.
  void Populate(int address, const std::string& profile_id,
                uint32_t energy = 5000) {
    const v1::Profile& profile = *registry_.Find(profile_id);
    devices::RegisterImage image;
    for (const v1::Quantity& q : profile.quantities()) {
      RawValue raw = RawValue::Unsigned(100);
      if (q.id() == "ct_ratio") raw = RawValue::Unsigned(200);
      if (absl::EndsWith(q.id(), "_sign")) raw = RawValue::Unsigned(0);
      if (q.id() == "ea_import") raw = RawValue::Unsigned(energy);
      if (devices::IsSignedType(q.type())) raw = RawValue::Signed(-5);
      if (q.type() == v1::DATA_TYPE_FLOAT32) raw = RawValue::Float(1.5f);
      ASSERT_THAT(devices::EncodeQuantity(profile, q, raw, image), IsOk());
    }
    modbus::RegisterBank& bank = client_.AddUnit(address, /*open=*/true);
    for (uint32_t a = 0; a < 0x10000; ++a) {
      auto word = image.Get(v1::TABLE_HOLDING_REGISTERS, a, 1);
      if (word.ok()) bank.SetHolding(a, *word);
      auto input = image.Get(v1::TABLE_INPUT_REGISTERS, a, 1);
      if (input.ok()) bank.SetInput(a, *input);
    }
  }

  std::unique_ptr<Poller> MakePoller(std::vector<PolledDevice> devices,
                                     PollerOptions options = {}) {
    options.clock = &clock_;
    auto poller =
        Poller::Create(&client_, std::move(devices), options,
                       [this](const PollResult& r) { results_.push_back(r); });
    EXPECT_THAT(poller, IsOk());
    return poller.ok() ? std::move(*poller) : nullptr;
  }

  const Sample* Find(const PollResult& result, const std::string& id) {
    for (const Sample& s : result.samples) {
      if (s.quantity_id == id) return &s;
    }
    return nullptr;
  }

  devices::ProfileRegistry registry_;
  SimulatedClock clock_;
  modbus::FakeClient client_{&clock_};
  std::vector<PollResult> results_;
};

TEST_F(PollerTest, PollsEveryDeviceInMergedReadsWithRtcTime) {
  Populate(1, "emdx3_4_120_45");
  Populate(21, "ems_cx3_measurement");
  auto poller =
      MakePoller({{"meter", 1, registry_.Find("emdx3_4_120_45")},
                  {"ems", 21, registry_.Find("ems_cx3_measurement")}});
  ASSERT_NE(poller, nullptr);
  EXPECT_EQ(poller->PollDue(), 2);
  ASSERT_EQ(results_.size(), 2u);
  const PollResult& meter = results_[0];
  EXPECT_THAT(meter.status, IsOk());
  EXPECT_TRUE(meter.history);
  EXPECT_EQ(meter.time, clock_.WallNow());
  EXPECT_TRUE(meter.quantity_errors.empty());
  EXPECT_EQ(
      meter.samples.size(),
      static_cast<size_t>(registry_.Find("emdx3_4_120_45")->quantities_size()));
  const Sample* ea = Find(meter, "ea_import");
  ASSERT_NE(ea, nullptr);
  EXPECT_EQ(ea->raw, RawValue::Unsigned(5000));
  EXPECT_EQ(ea->scale, 100);  // CT ratio 200
  EXPECT_EQ(ea->value, 500000);
  EXPECT_EQ(ea->kind, v1::KIND_COUNTER);
  EXPECT_EQ(ea->unit, "Wh");
  EXPECT_DOUBLE_EQ(Find(meter, "pf")->value, -0.05);
  // EMDX3: 3 reads (0x1000 block, THD, CT ratio); EMS: input registers.
  std::map<int, int> reads;
  for (const auto& call : client_.calls()) {
    ++reads[call.unit];
    EXPECT_EQ(call.priority, modbus::Priority::kBackground);
    if (call.unit == 21) {
      EXPECT_EQ(call.request[0], 4);
    }
  }
  EXPECT_EQ(reads[1], 3);
  EXPECT_GE(reads[21], 1);
}

TEST_F(PollerTest, KeepsTheScheduleAndPollsOnlyWhenDue) {
  Populate(1, "mccb_measurement_unit");
  auto poller =
      MakePoller({{"breaker", 1, registry_.Find("mccb_measurement_unit"),
                   absl::Minutes(1)}});
  ASSERT_NE(poller, nullptr);
  EXPECT_EQ(poller->PollDue(), 1);
  EXPECT_EQ(poller->PollDue(), 0);
  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(poller->PollDue(), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(poller->PollDue(), 1);
  EXPECT_EQ(poller->NextDue(), clock_.MonotonicNow() + absl::Minutes(1));
  // Three slots missed (the box was busy): one poll, then the cadence.
  clock_.Advance(absl::Minutes(3) + absl::Seconds(30));
  EXPECT_EQ(poller->PollDue(), 1);
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(poller->PollDue(), 1);
}

TEST_F(PollerTest, OfflineDeviceBacksOffWhileOthersGoOn) {
  Populate(1, "mccb_measurement_unit");
  Populate(2, "mccb_measurement_unit");
  PollerOptions options;
  options.initial_backoff = absl::Seconds(10);
  options.max_backoff = absl::Seconds(40);
  auto poller = MakePoller(
      {{"a", 1, registry_.Find("mccb_measurement_unit"), absl::Seconds(5)},
       {"b", 2, registry_.Find("mccb_measurement_unit"), absl::Seconds(5)}},
      options);
  ASSERT_NE(poller, nullptr);
  client_.SetOffline(2, true);
  std::vector<absl::Duration> b_attempts;
  for (int second = 0; second <= 120; ++second) {
    const size_t before = client_.call_count();
    poller->PollDue();
    for (size_t i = before; i < client_.call_count(); ++i) {
      if (client_.calls()[i].unit == 2) {
        b_attempts.push_back(clock_.MonotonicNow());
        break;
      }
    }
    clock_.Advance(absl::Seconds(1));
  }
  auto states = poller->States();
  EXPECT_TRUE(states[0].online);
  EXPECT_EQ(states[0].polls, 25u);  // every 5 s for 120 s
  EXPECT_FALSE(states[1].online);
  EXPECT_THAT(states[1].last_error,
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  // Back-off 10, 20, 40, 40 s after the first failure at 0.
  ASSERT_GE(b_attempts.size(), 4u);
  const absl::Duration t0 = b_attempts[0];
  EXPECT_EQ(b_attempts[1] - t0, absl::Seconds(10));
  EXPECT_EQ(b_attempts[2] - t0, absl::Seconds(30));
  EXPECT_EQ(b_attempts[3] - t0, absl::Seconds(70));
  EXPECT_EQ(b_attempts[4] - t0, absl::Seconds(110));
  // One failed read per attempt: the poller gives up on the device at once.
  int b_calls = 0;
  for (const auto& call : client_.calls()) b_calls += call.unit == 2;
  EXPECT_EQ(b_calls, static_cast<int>(b_attempts.size()));

  client_.SetOffline(2, false);
  clock_.Advance(absl::Seconds(60));
  poller->PollDue();
  EXPECT_TRUE(poller->States()[1].online);
  EXPECT_EQ(poller->States()[1].consecutive_failures, 0);
}

TEST_F(PollerTest, AnAbsentUnitIsOfflineWithTheLinesReason) {
  // The line answers at once for a unit that missed its last requests
  // (LineScheduler): the device is offline, and says why.
  Populate(1, "mccb_measurement_unit");
  auto poller = MakePoller({{"a", 1, registry_.Find("mccb_measurement_unit")}});
  ASSERT_NE(poller, nullptr);
  client_.InjectError(1,
                      modbus::UnitAbsentStatus(
                          "rs485: unit 1 absent since 2026-01-01T00:00:00Z"));
  poller->PollDue();
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(modbus::IsUnitAbsent(results_[0].status));
  EXPECT_TRUE(results_[0].samples.empty());
  EXPECT_FALSE(poller->States()[0].online);
  EXPECT_THAT(std::string(poller->States()[0].last_error.message()),
              ::testing::HasSubstr("unit 1 absent since"));
}

TEST_F(PollerTest, AnExceptionLosesOnlyThatRead) {
  Populate(1, "emdx3_4_120_45");
  auto poller = MakePoller({{"meter", 1, registry_.Find("emdx3_4_120_45")}});
  ASSERT_NE(poller, nullptr);
  client_.InjectException(1, 0x02);  // the first read (0x1000 block)
  poller->PollDue();
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_THAT(results_[0].status, IsOk());
  EXPECT_FALSE(results_[0].quantity_errors.empty());
  EXPECT_EQ(Find(results_[0], "v1n"), nullptr);
  EXPECT_NE(Find(results_[0], "thd_v1"), nullptr);
  EXPECT_TRUE(poller->States()[0].online);
}

TEST_F(PollerTest, LiveViewPollsFasterWithEveryQuantity) {
  Populate(24, "ems_cx3_pulse_concentrator");
  auto poller = MakePoller(
      {{"pulses", 24, registry_.Find("ems_cx3_pulse_concentrator")}});
  ASSERT_NE(poller, nullptr);
  poller->PollDue();
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(Find(results_[0], "input1_weight"), nullptr);  // live_only
  ASSERT_THAT(poller->SetLive("pulses", absl::Seconds(2), absl::Seconds(10)),
              IsOk());
  int live = 0;
  for (int second = 0; second < 30; ++second) {
    poller->PollDue();
    clock_.Advance(absl::Seconds(1));
  }
  for (const PollResult& r : results_) {
    if (!r.history) {
      ++live;
      EXPECT_NE(Find(r, "input1_weight"), nullptr);
    }
  }
  EXPECT_EQ(live, 5);  // every 2 s for 10 s
  EXPECT_THAT(poller->SetLive("nobody", absl::Seconds(1), absl::Seconds(1)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PollerTest, RejectsBadConfigurationsAndTheModelLimit) {
  const v1::Profile* p = registry_.Find("mccb_measurement_unit");
  auto create = [&](std::vector<PolledDevice> devices,
                    PollerOptions options = {}) {
    return Poller::Create(&client_, std::move(devices), options, nullptr)
        .status();
  };
  EXPECT_THAT(
      create({{"a", 0, p}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'a': address")));
  EXPECT_THAT(
      create({{"a", 1, nullptr}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no profile")));
  EXPECT_THAT(
      create({{"a", 1, p}, {"a", 2, p}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not unique")));
  std::vector<PolledDevice> eleven;
  for (int i = 1; i <= 11; ++i) eleven.push_back({absl::StrCat("d", i), i, p});
  PollerOptions model10;
  model10.model_size = 10;
  EXPECT_THAT(create(eleven, model10),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("model 10 manages at most 10")));
  eleven.pop_back();
  EXPECT_THAT(create(eleven, model10), IsOk());
  model10.pulse_counters = 1;
  EXPECT_THAT(create(eleven, model10),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("10 Modbus addresses + 1 pulse counter")));
  PollerOptions model32;
  model32.model_size = 32;
  model32.pulse_counters = 22;
  EXPECT_THAT(create(eleven, model32), IsOk());
}

}  // namespace
}  // namespace ews::acquisition

namespace ews::acquisition {
namespace {

TEST(PollerThreadTest, StartPollsOnItsOwnAndStopReturnsPromptly) {
  auto registry = devices::ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  modbus::FakeClient client;  // system clock
  client.AddUnit(3, /*open=*/true);
  absl::Mutex mutex;
  int polls = 0;
  auto poller =
      Poller::Create(&client,
                     {{"m", 3, registry->Find("mccb_measurement_unit"),
                       absl::Milliseconds(50)}},
                     PollerOptions{}, [&](const PollResult& result) {
                       absl::MutexLock lock(&mutex);
                       EXPECT_THAT(result.status, IsOk());
                       ++polls;
                     });
  ASSERT_THAT(poller, IsOk());
  ASSERT_THAT((*poller)->Start(), IsOk());
  EXPECT_THAT((*poller)->Start(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  {
    absl::MutexLock lock(&mutex);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
      return polls >= 4;
    };
    EXPECT_TRUE(
        mutex.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10)));
  }
  const absl::Time stop_at = absl::Now();
  (*poller)->Stop();
  EXPECT_LT(absl::Now() - stop_at, absl::Milliseconds(500));
  absl::MutexLock lock(&mutex);
  const int after_stop = polls;
  mutex.Unlock();
  absl::SleepFor(absl::Milliseconds(150));
  mutex.Lock();
  EXPECT_EQ(polls, after_stop);
}

}  // namespace
}  // namespace ews::acquisition

namespace ews::acquisition {
namespace {

TEST(PollerAlignmentTest, HistoryPollsFollowTheWallClock) {
  auto registry = devices::ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  SimulatedClock clock(absl::FromUnixSeconds(1767225600) +
                       absl::Seconds(20));  // hh:00:20
  modbus::FakeClient client(&clock);
  client.AddUnit(3, /*open=*/true);
  std::vector<absl::Time> times;
  PollerOptions options;
  options.clock = &clock;
  options.align_to_wall_clock = true;
  auto poller = Poller::Create(
      &client,
      {{"m", 3, registry->Find("mccb_measurement_unit"), absl::Minutes(1)}},
      options, [&](const PollResult& r) { times.push_back(r.time); });
  ASSERT_THAT(poller, IsOk());
  EXPECT_EQ((*poller)->PollDue(), 0);  // not before hh:01:00
  clock.Advance(absl::Seconds(40));
  EXPECT_EQ((*poller)->PollDue(), 1);
  // The clock is set 10 s back (NTP): the next poll is still at :00.
  clock.SetWallTime(clock.WallNow() - absl::Seconds(10));
  clock.Advance(absl::Seconds(5));
  (*poller)->PollDue();  // re-aligned after the previous poll: not yet
  for (int i = 0; i < 70; ++i) {
    clock.Advance(absl::Seconds(1));
    (*poller)->PollDue();
  }
  ASSERT_EQ(times.size(), 2u);
  EXPECT_EQ(absl::ToUnixSeconds(times[0]) % 60, 0);
  EXPECT_EQ(absl::ToUnixSeconds(times[1]) % 60, 0);
}

}  // namespace
}  // namespace ews::acquisition
