#include "sdk/modbus/line_scheduler.h"

#include <atomic>
#include <deque>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/modbus/register_bank.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;

// A transport answering from a RegisterBank, with scripted failures, an
// optional gate that holds the first exchange, and a record of the order.
class ScriptedTransport final : public Transport {
 public:
  explicit ScriptedTransport(RegisterBank* bank) : bank_(bank) {}

  absl::StatusOr<Pdu> Exchange(uint8_t unit, const Pdu& request,
                               absl::Duration response_timeout) override {
    if (gate_ != nullptr) {
      gate_->WaitForNotification();
      gate_ = nullptr;
    }
    absl::MutexLock lock(&mutex_);
    order_.push_back(unit);
    timeouts_seen_.push_back(response_timeout);
    if (silent_.count(unit) != 0) {
      return absl::DeadlineExceededError("no answer");
    }
    if (auto it = exception_.find(unit); it != exception_.end()) {
      return ExceptionResponse(request[0], it->second);
    }
    if (!failures_.empty()) {
      absl::Status failure = failures_.front();
      failures_.pop_front();
      return failure;
    }
    if (unit == 0) return Pdu();
    return bank_->Handle(request);
  }
  std::string Describe() const override { return "scripted"; }

  // Every exchange with `unit` times out (a switched-off device).
  void SetSilent(uint8_t unit, bool silent) {
    absl::MutexLock lock(&mutex_);
    if (silent) {
      silent_.insert(unit);
    } else {
      silent_.erase(unit);
    }
  }
  // Every exchange with `unit` gets exception `code` (as a remote gateway
  // answers 0x0B for a device that is not there).
  void SetException(uint8_t unit, uint8_t code) {
    absl::MutexLock lock(&mutex_);
    exception_[unit] = code;
  }
  void Fail(absl::Status status) {
    absl::MutexLock lock(&mutex_);
    failures_.push_back(status);
  }
  std::vector<uint8_t> order() {
    absl::MutexLock lock(&mutex_);
    return order_;
  }
  std::vector<absl::Duration> timeouts_seen() {
    absl::MutexLock lock(&mutex_);
    return timeouts_seen_;
  }
  absl::Notification* gate_ = nullptr;  // set before the first exchange

 private:
  RegisterBank* bank_;
  absl::Mutex mutex_;
  std::deque<absl::Status> failures_ ABSL_GUARDED_BY(mutex_);
  std::set<uint8_t> silent_ ABSL_GUARDED_BY(mutex_);
  std::map<uint8_t, uint8_t> exception_ ABSL_GUARDED_BY(mutex_);
  std::vector<uint8_t> order_ ABSL_GUARDED_BY(mutex_);
  std::vector<absl::Duration> timeouts_seen_ ABSL_GUARDED_BY(mutex_);
};

class LineSchedulerTest : public ::testing::Test {
 protected:
  LineSchedulerTest() : bank_(/*open=*/true) {
    auto transport = std::make_unique<ScriptedTransport>(&bank_);
    transport_ = transport.get();
    transport_->gate_ = &gate_;
    LineOptions options;
    options.name = "test-line";
    line_ = std::make_unique<LineScheduler>(std::move(transport), options);
  }
  void Open() {
    if (!gate_.HasBeenNotified()) gate_.Notify();
  }
  ~LineSchedulerTest() override { Open(); }

  RegisterBank bank_;
  absl::Notification gate_;
  ScriptedTransport* transport_;
  std::unique_ptr<LineScheduler> line_;
};

TEST_F(LineSchedulerTest, ServesRequestsAndTracksHealth) {
  Open();
  bank_.SetHolding(0x1000, {1, 2});
  auto registers = line_->ReadHoldingRegisters(5, 0x1000, 2);
  ASSERT_THAT(registers.status(), IsOk());
  EXPECT_THAT(*registers, ElementsAre(1, 2));
  DeviceHealth health = line_->HealthOf(5);
  EXPECT_EQ(health.requests, 1u);
  EXPECT_EQ(health.answers, 1u);
  EXPECT_TRUE(health.online);
  EXPECT_EQ(transport_->timeouts_seen()[0], absl::Milliseconds(300));
}

TEST_F(LineSchedulerTest, RetriesReadsButNotWrites) {
  Open();
  transport_->Fail(absl::DeadlineExceededError("silent"));
  EXPECT_THAT(line_->ReadHoldingRegisters(7, 0, 1).status(), IsOk());
  transport_->Fail(absl::DataLossError("crc"));
  transport_->Fail(absl::DataLossError("crc"));
  EXPECT_THAT(line_->ReadHoldingRegisters(7, 0, 1).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  transport_->Fail(absl::DeadlineExceededError("silent"));
  EXPECT_THAT(line_->WriteSingleRegister(7, 0, 1),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(transport_->order().size(), 2u + 2u + 1u);
  DeviceHealth health = line_->HealthOf(7);
  EXPECT_EQ(health.requests, 3u);
  EXPECT_EQ(health.timeouts, 2u);
  EXPECT_EQ(health.crc_errors, 2u);
  EXPECT_EQ(health.answers, 1u);
  EXPECT_FALSE(health.online);
  EXPECT_THAT(health.last_error, StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(LineSchedulerTest, ExceptionsAreAnswersAndTypedErrors) {
  Open();
  RegisterBank closed;
  absl::Status status = line_->ReadHoldingRegisters(9, 0, 126).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(transport_->order().empty());  // never reached the line
  status = line_->Transact(9, Pdu{0x08, 0, 0, 0, 0}).status();
  EXPECT_THAT(ModbusExceptionCode(status), Optional(0x01));
  EXPECT_EQ(line_->HealthOf(9).exceptions, 1u);
  EXPECT_TRUE(line_->HealthOf(9).online);
}

TEST_F(LineSchedulerTest, InteractiveAndGatewayGoFirstWithoutStarvingPolling) {
  // Hold the line with one request, queue 6 background, 10 gateway and 1
  // interactive request, then let it go.
  std::vector<std::thread> threads;
  auto issue = [&](uint8_t unit, Priority priority) {
    threads.emplace_back([this, unit, priority] {
      CallOptions options;
      options.priority = priority;
      EXPECT_THAT(line_->ReadHoldingRegisters(unit, 0, 1, options).status(),
                  IsOk());
    });
  };
  issue(1, Priority::kBackground);  // takes the line, blocked on the gate
  while (!line_->stats().busy) absl::SleepFor(absl::Milliseconds(1));
  auto wait_queued = [&](size_t n) {
    while (line_->stats().queued < n) absl::SleepFor(absl::Milliseconds(1));
  };
  for (int i = 0; i < 6; ++i) {
    issue(100 + i, Priority::kBackground);
    wait_queued(i + 1);
  }
  for (int i = 0; i < 10; ++i) {
    issue(200 + i, Priority::kGateway);
    wait_queued(7 + i);
  }
  issue(50, Priority::kInteractive);
  wait_queued(17);
  Open();
  for (auto& thread : threads) thread.join();
  const std::vector<uint8_t> order = transport_->order();
  ASSERT_EQ(order.size(), 18u);
  EXPECT_EQ(order[0], 1);
  EXPECT_EQ(order[1], 50);  // interactive first
  // Gateway requests in FIFO order, one background request after every 4
  // gateway ones (starvation_limit), background in FIFO order too.
  std::vector<uint8_t> expected = {1,   50,  200, 201, 202, 100, 203, 204, 205,
                                   206, 101, 207, 208, 209, 102, 103, 104, 105};
  EXPECT_EQ(order, expected);
}

TEST_F(LineSchedulerTest, RequestsExpiredInTheQueueNeverReachTheWire) {
  std::thread holder([this] {
    EXPECT_THAT(line_->ReadHoldingRegisters(1, 0, 1).status(), IsOk());
  });
  while (!line_->stats().busy) absl::SleepFor(absl::Milliseconds(1));
  CallOptions short_deadline;
  short_deadline.timeout = absl::Milliseconds(30);
  // Unavailable (the line was busy), not DeadlineExceeded (the device did
  // not answer): a gateway answers 0x0A, not 0x0B.
  absl::Status expired =
      line_->ReadHoldingRegisters(2, 0, 1, short_deadline).status();
  EXPECT_THAT(expired, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(IsUnitAbsent(expired));
  EXPECT_EQ(GatewayExceptionFor(expired), 0x0A);
  Open();
  holder.join();
  EXPECT_THAT(line_->ReadHoldingRegisters(3, 0, 1).status(), IsOk());
  EXPECT_THAT(transport_->order(), ElementsAre(1, 3));
}

TEST_F(LineSchedulerTest, StopFailsQueuedRequests) {
  std::thread holder([this] { (void)line_->ReadHoldingRegisters(1, 0, 1); });
  while (!line_->stats().busy) absl::SleepFor(absl::Milliseconds(1));
  std::thread waiter([this] {
    absl::Status status = line_->ReadHoldingRegisters(2, 0, 1).status();
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable));
  });
  while (line_->stats().queued == 0) absl::SleepFor(absl::Milliseconds(1));
  std::thread stopper([this] { line_->Stop(); });
  absl::SleepFor(absl::Milliseconds(10));
  Open();
  stopper.join();
  holder.join();
  waiter.join();
  EXPECT_THAT(line_->ReadHoldingRegisters(3, 0, 1).status(),
              StatusIs(absl::StatusCode::kUnavailable));
}

// The absent logic on a simulated clock (deadlines never pass by themselves:
// the clock only moves when the test advances it).
class AbsentUnitTest : public ::testing::Test {
 protected:
  AbsentUnitTest() : bank_(/*open=*/true) {
    auto transport = std::make_unique<ScriptedTransport>(&bank_);
    transport_ = transport.get();
    options_.name = "test-line";
    options_.clock = &clock_;
    options_.absent_after_misses = 3;
    options_.absent_probe_interval = absl::Seconds(10);
    line_ = std::make_unique<LineScheduler>(std::move(transport), options_);
  }
  absl::Status Read(uint8_t unit) {
    return line_->ReadHoldingRegisters(unit, 0, 1).status();
  }
  // Unit 7 misses three reads (two attempts each) and becomes absent.
  void MakeAbsent() {
    transport_->SetSilent(7, true);
    for (int i = 0; i < 3; ++i) {
      EXPECT_THAT(Read(7), StatusIs(absl::StatusCode::kDeadlineExceeded));
    }
    ASSERT_EQ(line_->HealthOf(7).state, UnitState::kAbsent);
  }
  size_t Exchanges() { return transport_->order().size(); }

  SimulatedClock clock_;
  RegisterBank bank_;
  LineOptions options_;
  ScriptedTransport* transport_;
  std::unique_ptr<LineScheduler> line_;
};

TEST_F(AbsentUnitTest, AbsentAfterMissesThenFastFailed) {
  transport_->SetSilent(7, true);
  EXPECT_THAT(Read(7), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(line_->HealthOf(7).state, UnitState::kMissing);
  EXPECT_THAT(Read(7), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(Read(7), StatusIs(absl::StatusCode::kDeadlineExceeded));
  DeviceHealth health = line_->HealthOf(7);
  EXPECT_EQ(health.state, UnitState::kAbsent);
  EXPECT_EQ(health.consecutive_misses, 3);
  EXPECT_EQ(health.absences, 1u);
  EXPECT_EQ(health.absent_since, clock_.WallNow());
  EXPECT_EQ(Exchanges(), 6u);  // 3 reads, 2 attempts each

  // Now answered at once, without touching the wire; other units go on.
  absl::Status fast = Read(7);
  EXPECT_THAT(fast, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(IsUnitAbsent(fast));
  EXPECT_EQ(GatewayExceptionFor(fast), 0x0B);
  EXPECT_THAT(std::string(fast.message()),
              ::testing::HasSubstr("absent since 2026-01-01T00:00:00Z"));
  EXPECT_THAT(std::string(fast.message()),
              ::testing::HasSubstr("next probe in 1s"));
  EXPECT_THAT(line_->WriteSingleRegister(7, 0, 1),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Exchanges(), 6u);
  EXPECT_THAT(Read(8), IsOk());
  EXPECT_EQ(line_->HealthOf(7).fast_failed, 2u);
  EXPECT_EQ(line_->stats().fast_failed, 2u);
  EXPECT_EQ(line_->HealthOf(8).state, UnitState::kOnline);
}

TEST_F(AbsentUnitTest, ProbesWithOneAttemptAtDoublingIntervals) {
  MakeAbsent();
  size_t exchanges = Exchanges();
  // Probes due 1 s after the unit became absent, then 2, 4, 8 s after each
  // failed probe, then every absent_probe_interval (10 s).
  const int kIntervals[] = {1, 2, 4, 8, 10, 10};
  uint64_t probes = 0;
  for (int interval : kIntervals) {
    clock_.Advance(absl::Seconds(interval) - absl::Milliseconds(1));
    EXPECT_TRUE(IsUnitAbsent(Read(7)))
        << "before the probe after " << interval << " s";
    EXPECT_EQ(Exchanges(), exchanges);
    clock_.Advance(absl::Milliseconds(1));
    // The probe: a real request, one attempt only; then fast-failed again.
    EXPECT_THAT(Read(7), StatusIs(absl::StatusCode::kDeadlineExceeded));
    EXPECT_EQ(Exchanges(), ++exchanges);
    EXPECT_TRUE(IsUnitAbsent(Read(7)));
    EXPECT_EQ(Exchanges(), exchanges);
    EXPECT_EQ(line_->HealthOf(7).probes, ++probes);
  }
  DeviceHealth health = line_->HealthOf(7);
  EXPECT_EQ(health.consecutive_misses, 3 + 6);
  EXPECT_EQ(health.next_probe_at, clock_.MonotonicNow() + absl::Seconds(10));
  EXPECT_EQ(health.absences, 1u);
}

TEST_F(AbsentUnitTest, FirstAnswerRestores) {
  MakeAbsent();
  transport_->SetSilent(7, false);
  EXPECT_TRUE(IsUnitAbsent(Read(7)));  // not asked before the probe is due
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(Read(7), IsOk());  // the probe
  DeviceHealth health = line_->HealthOf(7);
  EXPECT_EQ(health.state, UnitState::kOnline);
  EXPECT_TRUE(health.online);
  EXPECT_EQ(health.consecutive_misses, 0);
  EXPECT_EQ(health.absent_since, absl::InfinitePast());
  const size_t before = Exchanges();
  EXPECT_THAT(Read(7), IsOk());
  EXPECT_EQ(Exchanges(), before + 1);
  // Absent again only after a full count of new misses.
  transport_->SetSilent(7, true);
  EXPECT_THAT(Read(7), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(line_->HealthOf(7).state, UnitState::kMissing);
}

TEST_F(AbsentUnitTest,
       ExceptionAnswersArePresenceRemoteMissesAreNotPathsSayNothing) {
  // The device's own exception: it is there.
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(line_->Transact(9, Pdu{0x08, 0, 0, 0, 0}).status(),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_EQ(line_->HealthOf(9).state, UnitState::kOnline);
  transport_->SetException(12, 0x02);
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(ModbusExceptionCode(Read(12)), Optional(0x02));
  }
  EXPECT_EQ(line_->HealthOf(12).state, UnitState::kOnline);
  // A remote gateway saying the device behind did not answer: a miss.
  transport_->SetException(10, 0x0B);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(ModbusExceptionCode(Read(10)), Optional(0x0B));
  }
  EXPECT_EQ(line_->HealthOf(10).state, UnitState::kAbsent);
  EXPECT_TRUE(IsUnitAbsent(Read(10)));
  // The path, not the unit: a remote gateway's 0x0A, an unreachable gateway.
  transport_->SetException(13, 0x0A);
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(ModbusExceptionCode(Read(13)), Optional(0x0A));
    transport_->Fail(absl::UnavailableError("connection refused"));
    EXPECT_THAT(Read(14), StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_EQ(line_->HealthOf(13).state, UnitState::kUnknown);
  EXPECT_EQ(line_->HealthOf(14).state, UnitState::kUnknown);
  EXPECT_FALSE(IsUnitAbsent(Read(14)));
  // CRC errors prove nothing either way.
  transport_->SetSilent(11, true);
  (void)Read(11);
  (void)Read(11);
  transport_->SetSilent(11, false);
  transport_->Fail(absl::DataLossError("crc"));
  transport_->Fail(absl::DataLossError("crc"));
  EXPECT_THAT(Read(11), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(line_->HealthOf(11).state, UnitState::kMissing);
  EXPECT_EQ(line_->HealthOf(11).consecutive_misses, 2);
}

TEST_F(AbsentUnitTest, BroadcastsNeverMakeAUnitAbsent) {
  for (int i = 0; i < 5; ++i) {
    transport_->Fail(absl::DeadlineExceededError("?"));
    (void)line_->WriteSingleRegister(kBroadcastUnit, 0, 1);
  }
  EXPECT_TRUE(line_->Health().empty());
  EXPECT_EQ(Exchanges(), 5u);
}

TEST(AbsentUnitOffTest, ZeroMissesKeepsAskingASilentUnit) {
  RegisterBank bank(/*open=*/true);
  auto transport = std::make_unique<ScriptedTransport>(&bank);
  ScriptedTransport* raw = transport.get();
  raw->SetSilent(7, true);
  LineOptions options;
  options.absent_after_misses = 0;
  LineScheduler line(std::move(transport), options);
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(line.ReadHoldingRegisters(7, 0, 1).status(),
                StatusIs(absl::StatusCode::kDeadlineExceeded));
  }
  EXPECT_EQ(raw->order().size(), 10u);
  EXPECT_EQ(line.HealthOf(7).state, UnitState::kMissing);
}

}  // namespace
}  // namespace ews::modbus
