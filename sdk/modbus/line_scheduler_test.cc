#include "sdk/modbus/line_scheduler.h"

#include <atomic>
#include <deque>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
    if (!failures_.empty()) {
      absl::Status failure = failures_.front();
      failures_.pop_front();
      return failure;
    }
    if (unit == 0) return Pdu();
    return bank_->Handle(request);
  }
  std::string Describe() const override { return "scripted"; }

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
  EXPECT_THAT(line_->ReadHoldingRegisters(2, 0, 1, short_deadline).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
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

}  // namespace
}  // namespace ews::modbus
