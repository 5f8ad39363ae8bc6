#include "sdk/hal/serial/fake_serial_port.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::SizeIs;

const std::vector<uint8_t> kRequest = {0x11, 0x03, 0x00, 0x04,
                                       0x00, 0x02, 0x87, 0x5B};
const std::vector<uint8_t> kResponse = {0x11, 0x03, 0x04, 0x09, 0x0A,
                                        0xBE, 0xEF, 0x00, 0x00};

class FakeSerialPortTest : public ::testing::Test {
 protected:
  SimulatedClock clock_;
  FakeSerialPort port_{&clock_, SerialSettings{9600, 8, Parity::kEven, 1}};

  std::vector<uint8_t> ReadFrame(absl::Duration timeout = absl::Seconds(1)) {
    std::vector<uint8_t> buffer(256);
    absl::StatusOr<size_t> n = port_.ReadFrame(absl::MakeSpan(buffer), timeout);
    if (!n.ok()) return {};
    buffer.resize(*n);
    return buffer;
  }
};

TEST_F(FakeSerialPortTest, PlaysScriptedExchange) {
  port_.ExpectWrite(kRequest, kResponse);
  ASSERT_THAT(port_.Write(kRequest), IsOk());
  EXPECT_EQ(ReadFrame(), kResponse);
  EXPECT_TRUE(port_.AllExpectationsMet());
  SerialCounters c = port_.counters();
  EXPECT_EQ(c.bytes_out, kRequest.size());
  EXPECT_EQ(c.bytes_in, kResponse.size());
  EXPECT_EQ(c.frames_out, 1u);
  EXPECT_EQ(c.frames_in, 1u);
  EXPECT_EQ(c.timeouts, 0u);
  EXPECT_EQ(c.errors, 0u);
}

TEST_F(FakeSerialPortTest, SimulatedLineTimeAdvancesTheClock) {
  port_.ExpectWrite(kRequest, kResponse);
  const absl::Duration start = clock_.MonotonicNow();
  ASSERT_THAT(port_.Write(kRequest), IsOk());
  EXPECT_EQ(clock_.MonotonicNow() - start, absl::Seconds(8 * 11) / 9600);
  std::vector<uint8_t> buffer(16);
  EXPECT_THAT(port_.ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(300)),
              IsOk());
  const absl::Duration before_timeout = clock_.MonotonicNow();
  EXPECT_THAT(port_.ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(clock_.MonotonicNow() - before_timeout, absl::Milliseconds(300));
  EXPECT_EQ(port_.counters().timeouts, 1u);
}

TEST_F(FakeSerialPortTest, InjectedTimeoutLosesTheResponse) {
  port_.ExpectWrite(kRequest, kResponse);
  port_.InjectReadTimeouts(1);
  ASSERT_THAT(port_.Write(kRequest), IsOk());
  std::vector<uint8_t> buffer(16);
  EXPECT_THAT(port_.ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(port_.pending_input(), 0u);
}

TEST_F(FakeSerialPortTest, ResponseFaults) {
  using Fault = FakeSerialPort::ResponseFault;
  port_.ExpectWrite(kRequest, kResponse, Fault::kPartial);
  port_.ExpectWrite(kRequest, kResponse, Fault::kCorrupt);
  port_.ExpectWrite(kRequest, kResponse, Fault::kGarbage);
  port_.ExpectWrite(kRequest, kResponse, Fault::kNoResponse);

  ASSERT_THAT(port_.Write(kRequest), IsOk());
  EXPECT_THAT(ReadFrame(), ElementsAre(0x11, 0x03, 0x04, 0x09));

  ASSERT_THAT(port_.Write(kRequest), IsOk());
  std::vector<uint8_t> corrupt = kResponse;
  corrupt.back() ^= 0xFF;
  EXPECT_EQ(ReadFrame(), corrupt);

  ASSERT_THAT(port_.Write(kRequest), IsOk());
  std::vector<uint8_t> garbage = ReadFrame();
  EXPECT_THAT(garbage, SizeIs(kResponse.size()));
  EXPECT_NE(garbage, kResponse);

  ASSERT_THAT(port_.Write(kRequest), IsOk());
  std::vector<uint8_t> buffer(16);
  EXPECT_THAT(port_.ReadFrame(absl::MakeSpan(buffer), absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(port_.AllExpectationsMet());
}

TEST_F(FakeSerialPortTest, GarbageBeforeTheResponseAndFlush) {
  port_.QueueInput({0xFF, 0x00});
  EXPECT_EQ(port_.pending_input(), 2u);
  ASSERT_THAT(port_.FlushInput(), IsOk());
  EXPECT_EQ(port_.pending_input(), 0u);
  port_.ExpectWrite(kRequest, kResponse);
  ASSERT_THAT(port_.Write(kRequest), IsOk());
  port_.QueueInput({0xAA});
  std::vector<uint8_t> expected = kResponse;
  expected.push_back(0xAA);
  EXPECT_EQ(ReadFrame(), expected);
}

TEST_F(FakeSerialPortTest, UnexpectedWritesAreRecorded) {
  port_.ExpectWrite(kRequest, kResponse);
  ASSERT_THAT(port_.Write(std::vector<uint8_t>{0x01, 0x02}), IsOk());
  EXPECT_FALSE(port_.AllExpectationsMet());
  EXPECT_THAT(port_.unexpected_writes(), ElementsAre(ElementsAre(0x01, 0x02)));
  EXPECT_THAT(port_.written(), ElementsAre(0x01, 0x02));
}

TEST_F(FakeSerialPortTest, InjectedErrorsAreReturnedOnceAndCounted) {
  port_.InjectWriteError(absl::UnavailableError("tx fifo stuck"));
  size_t written = 99;
  EXPECT_THAT(port_.Write(kRequest, &written),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(written, 0u);
  EXPECT_THAT(port_.Write(kRequest, &written), IsOk());
  EXPECT_EQ(written, kRequest.size());

  port_.InjectReadError(absl::InternalError("EIO"));
  std::vector<uint8_t> buffer(4);
  EXPECT_THAT(port_.ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(1)),
              StatusIs(absl::StatusCode::kInternal));

  port_.InjectConfigureError(absl::UnavailableError("busy"));
  EXPECT_THAT(port_.Configure({115200, 8, Parity::kNone, 1}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(port_.settings().baud_rate, 9600);  // unchanged
  EXPECT_EQ(port_.counters().errors, 3u);
}

TEST_F(FakeSerialPortTest, ConfigureValidatesAndChangesCharacterTime) {
  EXPECT_THAT(port_.Configure({1234, 8, Parity::kNone, 1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(port_.Configure({115200, 8, Parity::kNone, 2}), IsOk());
  EXPECT_EQ(port_.CharacterTime(), absl::Seconds(11) / 115200);
}

TEST_F(FakeSerialPortTest, RecordsTimestampedEventsAndNotifiesTraffic) {
  std::vector<std::pair<TrafficDirection, size_t>> traffic;
  port_.SetTrafficListener(
      [&](TrafficDirection d, size_t n) { traffic.emplace_back(d, n); });
  port_.ExpectWrite(kRequest, kResponse);
  ASSERT_THAT(port_.Write(kRequest), IsOk());
  ASSERT_THAT(port_.Drain(), IsOk());
  EXPECT_EQ(ReadFrame(), kResponse);
  std::vector<FakeSerialPort::Event> events = port_.events();
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events[0].kind, FakeSerialPort::Event::Kind::kWrite);
  EXPECT_EQ(events[0].at, absl::ZeroDuration());  // when the write started
  EXPECT_EQ(events[1].kind, FakeSerialPort::Event::Kind::kDrain);
  EXPECT_EQ(events[1].at, absl::Seconds(8 * 11) / 9600);
  EXPECT_EQ(events[2].kind, FakeSerialPort::Event::Kind::kRead);
  EXPECT_THAT(events[2].bytes, ElementsAreArray(kResponse));
  EXPECT_EQ(events[3].kind, FakeSerialPort::Event::Kind::kTimeout);  // silence
  ASSERT_EQ(traffic.size(), 2u);
  EXPECT_EQ(traffic[0].first, TrafficDirection::kTransmit);
  EXPECT_EQ(traffic[1].first, TrafficDirection::kReceive);
  EXPECT_EQ(traffic[1].second, kResponse.size());
}

TEST(FakeSerialPortRealTimeTest, ReadWaitsForInputFromAnotherThread) {
  FakeSerialPort port;
  std::thread writer([&] { port.QueueInput({0x42}); });
  std::vector<uint8_t> buffer(4);
  absl::StatusOr<size_t> n =
      port.ReadFor(absl::MakeSpan(buffer), absl::Seconds(10));
  writer.join();
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(buffer[0], 0x42);
}

}  // namespace
}  // namespace ews::hal
