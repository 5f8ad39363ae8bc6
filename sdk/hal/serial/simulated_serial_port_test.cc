#include "sdk/hal/serial/simulated_serial_port.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

const SerialSettings k9600_8E1{9600, 8, Parity::kEven, 1};

// A device that answers any frame with 9 bytes, and address 0 (broadcast)
// with nothing.
std::vector<uint8_t> Device(absl::Span<const uint8_t> frame) {
  if (frame.empty() || frame[0] == 0) return {};
  return {frame[0], 0x03, 0x04, 0x09, 0x0A, 0xBE, 0xEF, 0x12, 0x34};
}

TEST(SimulatedSerialPortTest, AnswerArrivesWithLineTiming) {
  SimulatedClock clock;
  SimulatedSerialPort port(&clock, Device, {k9600_8E1, absl::Milliseconds(5)});
  const std::vector<uint8_t> request = {0x11, 0x03, 0, 4, 0, 2, 0x87, 0x5B};
  const absl::Duration start = clock.MonotonicNow();
  ASSERT_THAT(port.Write(request), IsOk());
  std::vector<uint8_t> buffer(64);
  auto n = port.ReadFrame(absl::MakeSpan(buffer), absl::Milliseconds(300));
  ASSERT_THAT(n, IsOk());
  buffer.resize(*n);
  EXPECT_EQ(buffer, Device(request));
  // Request 8 chars + 5 ms turnaround + answer 9 chars + t3.5 silence.
  const absl::Duration ct = k9600_8E1.CharacterTime();
  const absl::Duration expected = k9600_8E1.TransmitTime(8) +
                                  absl::Milliseconds(5) +
                                  k9600_8E1.TransmitTime(9) + ct * 3.5;
  EXPECT_LE(absl::AbsDuration(clock.MonotonicNow() - start - expected),
            absl::Microseconds(1));
  EXPECT_EQ(port.counters().frames_in, 1u);
}

TEST(SimulatedSerialPortTest, NoAnswerTimesOutAfterTheTimeout) {
  SimulatedClock clock;
  SimulatedSerialPort port(&clock, Device, {k9600_8E1});
  ASSERT_THAT(port.Write(std::vector<uint8_t>{0x00, 0x06}), IsOk());
  const absl::Duration start = clock.MonotonicNow();
  std::vector<uint8_t> buffer(8);
  EXPECT_THAT(port.ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(clock.MonotonicNow() - start, absl::Milliseconds(300));
}

TEST(SimulatedSerialPortTest, TooShortATimeoutMissesTheAnswer) {
  SimulatedClock clock;
  SimulatedSerialPort port(&clock, Device, {k9600_8E1, absl::Milliseconds(5)});
  ASSERT_THAT(port.Write(std::vector<uint8_t>{0x11, 0x03}), IsOk());
  std::vector<uint8_t> buffer(8);
  // The first answer byte is complete 2 + 1 characters + 5 ms after the
  // write: about 8.4 ms.
  EXPECT_THAT(port.ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(8)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(port.ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(1)),
              IsOk());
}

TEST(SimulatedSerialPortTest, DrainWaitsForTheTransmitter) {
  SimulatedClock clock;
  SimulatedSerialPort port(&clock, nullptr, {k9600_8E1});
  ASSERT_THAT(port.Write(std::vector<uint8_t>(100, 0x55)), IsOk());
  ASSERT_THAT(port.Drain(), IsOk());
  EXPECT_EQ(clock.MonotonicNow(), k9600_8E1.TransmitTime(100));
  ASSERT_THAT(port.FlushInput(), IsOk());
}

TEST(SimulatedSerialPortTest, WorksInRealTime) {
  SimulatedSerialPort port(
      &SystemClock::Get(), Device,
      {{115200, 8, Parity::kNone, 1}, absl::Milliseconds(1)});
  ASSERT_THAT(port.Write(std::vector<uint8_t>{0x01, 0x03}), IsOk());
  std::vector<uint8_t> buffer(64);
  auto n = port.ReadFrame(absl::MakeSpan(buffer), absl::Seconds(1));
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 9u);
}

}  // namespace
}  // namespace ews::hal
