#include "sdk/modbus/rtu_transport.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/serial/fake_serial_port.h"
#include "sdk/modbus/internal/rtu_codec.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using hal::FakeSerialPort;
using ::testing::ElementsAre;

// Reference CRC-16/MODBUS, written from the spec to check libmodbus's.
std::vector<uint8_t> WithCrc(std::vector<uint8_t> body) {
  uint16_t crc = 0xFFFF;
  for (uint8_t byte : body) {
    crc ^= byte;
    for (int i = 0; i < 8; ++i)
      crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
  }
  body.push_back(crc & 0xFF);
  body.push_back(crc >> 8);
  return body;
}

TEST(RtuCodecTest, EncodesTheSpecExample) {
  auto codec = internal::RtuCodec::Create();
  ASSERT_THAT(codec.status(), IsOk());
  auto adu = (*codec)->Encode(0x11, Pdu{0x03, 0x00, 0x6B, 0x00, 0x03});
  ASSERT_THAT(adu.status(), IsOk());
  // Modbus over serial line spec, 6.2.2 example: CRC 0x8776, low byte first.
  EXPECT_THAT(*adu,
              ElementsAre(0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87));
  EXPECT_THAT((*codec)->Check(*adu), IsOk());
  std::vector<uint8_t> bad = *adu;
  bad.back() ^= 1;
  EXPECT_THAT((*codec)->Check(bad), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT((*codec)->Check({0x11, 0x03}),
              StatusIs(absl::StatusCode::kDataLoss));
}

class RtuTransportTest : public ::testing::Test {
 protected:
  RtuTransportTest() : port_(&clock_, hal::SerialSettings()) {
    RtuOptions options;
    options.clock = &clock_;
    transport_ = *RtuTransport::Create(&port_, options);
  }
  SimulatedClock clock_;
  FakeSerialPort port_;
  std::unique_ptr<RtuTransport> transport_;
};

TEST_F(RtuTransportTest, ReadsRegisters) {
  port_.ExpectWrite(WithCrc({0x11, 0x03, 0x00, 0x6B, 0x00, 0x02}),
                    WithCrc({0x11, 0x03, 0x04, 0x02, 0x2B, 0x00, 0x64}));
  auto pdu = transport_->Exchange(0x11, ReadRequest(3, 0x6B, 2),
                                  absl::Milliseconds(300));
  ASSERT_THAT(pdu.status(), IsOk());
  EXPECT_THAT(*pdu, ElementsAre(0x03, 0x04, 0x02, 0x2B, 0x00, 0x64));
  EXPECT_TRUE(port_.AllExpectationsMet());
}

TEST_F(RtuTransportTest, LeavesThreePointFiveCharactersBetweenFrames) {
  for (int i = 0; i < 3; ++i) {
    port_.ExpectWrite(WithCrc({0x11, 0x06, 0x00, 0x01, 0x00, 0x07}),
                      WithCrc({0x11, 0x06, 0x00, 0x01, 0x00, 0x07}));
    ASSERT_THAT(transport_
                    ->Exchange(0x11, WriteSingleRegisterRequest(1, 7),
                               absl::Milliseconds(300))
                    .status(),
                IsOk());
  }
  std::vector<absl::Duration> reads, writes;
  for (const auto& event : port_.events()) {
    if (event.kind == FakeSerialPort::Event::Kind::kRead) {
      reads.push_back(event.at);
    }
    if (event.kind == FakeSerialPort::Event::Kind::kWrite) {
      writes.push_back(event.at);
    }
  }
  ASSERT_EQ(writes.size(), 3u);
  // Each write starts at least t3.5 (2.005 ms at 19200 8E1) after the
  // previous answer was read.
  for (size_t i = 1; i < writes.size(); ++i) {
    absl::Duration last_read;
    for (absl::Duration read : reads) {
      if (read < writes[i]) last_read = read;
    }
    EXPECT_GE(writes[i] - last_read, transport_->InterFrameSilence());
  }
}

TEST(RtuTransportDelayTest, ConfiguredInterFrameDelayIsKept) {
  SimulatedClock clock;
  FakeSerialPort port(&clock, hal::SerialSettings());
  RtuOptions options;
  options.clock = &clock;
  options.inter_frame_delay = absl::Milliseconds(20);
  auto transport = *RtuTransport::Create(&port, options);
  const auto request = WithCrc({0x11, 0x06, 0x00, 0x01, 0x00, 0x07});
  port.ExpectWrite(request, request);
  port.ExpectWrite(request, request);
  ASSERT_THAT(transport
                  ->Exchange(0x11, WriteSingleRegisterRequest(1, 7),
                             absl::Milliseconds(300))
                  .status(),
              IsOk());
  const absl::Duration after_first = clock.MonotonicNow();
  ASSERT_THAT(transport
                  ->Exchange(0x11, WriteSingleRegisterRequest(1, 7),
                             absl::Milliseconds(300))
                  .status(),
              IsOk());
  absl::Duration second_write;
  for (const auto& event : port.events()) {
    if (event.kind == FakeSerialPort::Event::Kind::kWrite) {
      second_write = event.at;
    }
  }
  EXPECT_GE(second_write - after_first,
            absl::Milliseconds(20) - absl::Microseconds(1));
}

TEST_F(RtuTransportTest, ReturnsExceptionPdus) {
  port_.ExpectWrite(WithCrc({0x11, 0x03, 0x00, 0x6B, 0x00, 0x02}),
                    WithCrc({0x11, 0x83, 0x02}));
  auto pdu = transport_->Exchange(0x11, ReadRequest(3, 0x6B, 2),
                                  absl::Milliseconds(300));
  ASSERT_THAT(pdu.status(), IsOk());
  EXPECT_THAT(*pdu, ElementsAre(0x83, 0x02));
}

TEST_F(RtuTransportTest, TimeoutIsDeadlineExceededAfterTheResponseTimeout) {
  port_.ExpectWrite(WithCrc({0x11, 0x03, 0x00, 0x6B, 0x00, 0x02}),
                    WithCrc({0x11, 0x83, 0x02}),
                    FakeSerialPort::ResponseFault::kNoResponse);
  const absl::Duration start = clock_.MonotonicNow();
  auto pdu = transport_->Exchange(0x11, ReadRequest(3, 0x6B, 2),
                                  absl::Milliseconds(300));
  EXPECT_THAT(pdu.status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  const absl::Duration took = clock_.MonotonicNow() - start;
  // 8 bytes at 19200 8E1 (4.6 ms) + 300 ms.
  EXPECT_GE(took, absl::Milliseconds(300));
  EXPECT_LE(took, absl::Milliseconds(320));
}

TEST_F(RtuTransportTest, CorruptOrPartialAnswersAreDataLoss) {
  const auto request = WithCrc({0x11, 0x03, 0x00, 0x6B, 0x00, 0x02});
  const auto response = WithCrc({0x11, 0x03, 0x04, 0x02, 0x2B, 0x00, 0x64});
  port_.ExpectWrite(request, response, FakeSerialPort::ResponseFault::kCorrupt);
  port_.ExpectWrite(request, response, FakeSerialPort::ResponseFault::kPartial);
  port_.ExpectWrite(request, WithCrc({0x12, 0x03, 0x04, 0x02, 0x2B, 0, 0x64}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(
        transport_
            ->Exchange(0x11, ReadRequest(3, 0x6B, 2), absl::Milliseconds(300))
            .status(),
        StatusIs(absl::StatusCode::kDataLoss));
  }
}

TEST_F(RtuTransportTest, DiscardsStaleInputBeforeARequest) {
  port_.QueueInput({0x11, 0x03, 0x02, 0x00});  // a late answer
  port_.ExpectWrite(WithCrc({0x11, 0x06, 0x00, 0x01, 0x00, 0x07}),
                    WithCrc({0x11, 0x06, 0x00, 0x01, 0x00, 0x07}));
  auto pdu = transport_->Exchange(0x11, WriteSingleRegisterRequest(1, 7),
                                  absl::Milliseconds(300));
  ASSERT_THAT(pdu.status(), IsOk());
  EXPECT_THAT(*pdu, ElementsAre(0x06, 0x00, 0x01, 0x00, 0x07));
}

TEST_F(RtuTransportTest, SilenceFollowsTheLineSettings) {
  EXPECT_EQ(transport_->InterFrameSilence(),
            hal::SerialSettings().CharacterTime() * 3.5);  // 2.005 ms
  ASSERT_THAT(port_.Configure(*hal::ParseSerialSettings("115200 8N1")), IsOk());
  EXPECT_EQ(transport_->InterFrameSilence(), absl::Microseconds(1750));
  ASSERT_THAT(port_.Configure(*hal::ParseSerialSettings("9600 8E1")), IsOk());
  EXPECT_EQ(transport_->InterFrameSilence(),
            absl::Nanoseconds(1145833) * 3.5 + absl::Nanoseconds(1));
}

TEST(RtuTransportBroadcastTest, BroadcastDoesNotWaitForAnAnswer) {
  FakeSerialPort port;  // system clock
  RtuOptions options;
  options.turnaround_delay = absl::Milliseconds(20);
  auto transport = *RtuTransport::Create(&port, options);
  port.ExpectWrite(WithCrc({0x00, 0x06, 0x00, 0x01, 0x00, 0x07}), {});
  auto pdu = transport->Exchange(0, WriteSingleRegisterRequest(1, 7),
                                 absl::Milliseconds(300));
  ASSERT_THAT(pdu.status(), IsOk());
  EXPECT_TRUE(pdu->empty());
  EXPECT_TRUE(port.AllExpectationsMet());
}

TEST_F(RtuTransportTest, TrafficListenerSeesBothDirections) {
  size_t rx = 0, tx = 0;
  port_.SetTrafficListener([&](hal::TrafficDirection direction, size_t bytes) {
    (direction == hal::TrafficDirection::kReceive ? rx : tx) += bytes;
  });
  port_.ExpectWrite(WithCrc({0x11, 0x03, 0x00, 0x6B, 0x00, 0x02}),
                    WithCrc({0x11, 0x03, 0x04, 0x02, 0x2B, 0x00, 0x64}));
  ASSERT_THAT(
      transport_
          ->Exchange(0x11, ReadRequest(3, 0x6B, 2), absl::Milliseconds(300))
          .status(),
      IsOk());
  EXPECT_EQ(tx, 8u);
  EXPECT_EQ(rx, 9u);
}

}  // namespace
}  // namespace ews::modbus
