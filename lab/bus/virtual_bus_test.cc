#include "lab/bus/virtual_bus.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/serial/termios_serial_port.h"

namespace ews::lab {
namespace {

using ::ews::hal::Parity;
using ::ews::hal::SerialSettings;
using ::ews::hal::TermiosSerialPort;
using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

const SerialSettings k9600_8E1{9600, 8, Parity::kEven, 1};
constexpr absl::Duration kWait = absl::Seconds(10);

class VirtualBusTest : public ::testing::Test {
 protected:
  void StartBus(int endpoints, SerialSettings line = k9600_8E1) {
    BusOptions options;
    options.endpoints = endpoints;
    options.line = line;
    auto bus = VirtualBus::Start(options);
    ASSERT_THAT(bus, IsOk());
    bus_ = std::move(*bus);
    for (int i = 0; i < endpoints; ++i) {
      auto port = TermiosSerialPort::Open(bus_->endpoint_path(i), line);
      ASSERT_THAT(port, IsOk());
      ports_.push_back(std::move(*port));
    }
  }

  // Reads until `count` bytes arrived or the line was silent for `silence`.
  std::vector<uint8_t> Receive(int endpoint, size_t count,
                               absl::Duration silence = absl::Seconds(2)) {
    std::vector<uint8_t> out;
    std::vector<uint8_t> buffer(4096);
    while (out.size() < count) {
      auto n = ports_[endpoint]->ReadFor(absl::MakeSpan(buffer), silence);
      if (!n.ok()) break;
      out.insert(out.end(), buffer.begin(), buffer.begin() + *n);
    }
    return out;
  }

  bool Silent(int endpoint) {
    std::vector<uint8_t> buffer(16);
    return absl::IsDeadlineExceeded(
        ports_[endpoint]
            ->ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(30))
            .status());
  }

  std::unique_ptr<VirtualBus> bus_;
  std::vector<std::unique_ptr<TermiosSerialPort>> ports_;
};

TEST_F(VirtualBusTest, EveryByteReachesAllOtherEndpointsButNotTheSender) {
  StartBus(3);
  const std::vector<uint8_t> frame = {0x11, 0x03, 0x00, 0x04, 0x0D, 0x0A};
  ASSERT_THAT(ports_[0]->Write(frame), IsOk());
  EXPECT_EQ(Receive(1, frame.size()), frame);
  EXPECT_EQ(Receive(2, frame.size()), frame);
  EXPECT_TRUE(Silent(0));
  ASSERT_THAT(ports_[2]->Write(std::vector<uint8_t>{0x42}), IsOk());
  EXPECT_THAT(Receive(0, 1), ElementsAre(0x42));
  EXPECT_THAT(Receive(1, 1), ElementsAre(0x42));
  EXPECT_TRUE(Silent(2));
}

TEST_F(VirtualBusTest, CaptureTimesCharactersFromTheLineSettings) {
  StartBus(2);
  std::vector<uint8_t> frame(50);
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>(i);
  ASSERT_THAT(ports_[0]->Write(frame), IsOk());
  ASSERT_TRUE(bus_->WaitForCapture(frame.size(), kWait));
  EXPECT_EQ(Receive(1, frame.size()), frame);
  std::vector<CapturedFrame> frames = bus_->CaptureFrames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].from, 0);
  EXPECT_EQ(frames[0].bytes, frame);
  EXPECT_FALSE(frames[0].damaged);
  // Back to back at 11 bits per character (the pty itself has no parity).
  const absl::Duration expected = k9600_8E1.TransmitTime(frame.size());
  EXPECT_NEAR(absl::ToDoubleMilliseconds(frames[0].end - frames[0].start),
              absl::ToDoubleMilliseconds(expected),
              0.01 * absl::ToDoubleMilliseconds(expected));
  std::vector<CapturedChar> chars = bus_->Capture();
  ASSERT_EQ(chars.size(), frame.size());
  EXPECT_EQ(chars[1].start - chars[0].start, k9600_8E1.CharacterTime());
  EXPECT_THAT(bus_->FormatCapture(), ::testing::HasSubstr("ep0 00 01 02"));
}

TEST_F(VirtualBusTest, TwoTalkersAtOnceCollide) {
  StartBus(3);
  // Each frame lasts 57 ms on the line, so they overlap.
  const std::vector<uint8_t> a(50, 0xF0);
  const std::vector<uint8_t> b(50, 0x3C);
  ASSERT_THAT(ports_[0]->Write(a), IsOk());
  ASSERT_THAT(ports_[1]->Write(b), IsOk());
  std::vector<uint8_t> heard = Receive(2, a.size() + b.size());
  ASSERT_EQ(heard.size(), a.size() + b.size());
  int garbled = 0;
  for (uint8_t byte : heard) garbled += (byte == (0xF0 & 0x3C));
  EXPECT_GT(garbled, 0);
  EXPECT_GT(bus_->stats().collisions, 0u);
  int damaged = 0;
  for (const CapturedFrame& f : bus_->CaptureFrames()) damaged += f.damaged;
  EXPECT_GE(damaged, 2);
}

TEST_F(VirtualBusTest, SequentialTalkersDoNotCollide) {
  StartBus(2);
  ASSERT_THAT(ports_[0]->Write(std::vector<uint8_t>{1, 2, 3}), IsOk());
  EXPECT_THAT(Receive(1, 3), ElementsAre(1, 2, 3));
  ASSERT_THAT(ports_[1]->Write(std::vector<uint8_t>{4, 5}), IsOk());
  EXPECT_THAT(Receive(0, 2), ElementsAre(4, 5));
  EXPECT_EQ(bus_->stats().collisions, 0u);
  EXPECT_EQ(bus_->CaptureFrames().size(), 2u);
}

TEST_F(VirtualBusTest, DropsAndCorruptsOnDemand) {
  StartBus(2);
  ASSERT_THAT(bus_->DropNext(2, 0), IsOk());
  ASSERT_THAT(ports_[0]->Write(std::vector<uint8_t>{1, 2, 3, 4}), IsOk());
  EXPECT_THAT(Receive(1, 2), ElementsAre(3, 4));
  ASSERT_THAT(bus_->CorruptNext(1, 0x80), IsOk());
  ASSERT_THAT(ports_[0]->Write(std::vector<uint8_t>{0x01, 0x02}), IsOk());
  EXPECT_THAT(Receive(1, 2), ElementsAre(0x81, 0x02));
  BusStats stats = bus_->stats();
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.corrupted, 1u);
  std::vector<CapturedChar> chars = bus_->Capture();
  ASSERT_EQ(chars.size(), 6u);
  EXPECT_TRUE(chars[0].dropped);
  EXPECT_TRUE(chars[4].corrupted);
  EXPECT_EQ(chars[4].sent, 0x01);
  EXPECT_EQ(chars[4].on_line, 0x81);
}

TEST_F(VirtualBusTest, RandomDropRateIsRoughlyHonoured) {
  StartBus(2, {115200, 8, Parity::kNone, 1});
  ASSERT_THAT(bus_->SetDropProbability(0.5), IsOk());
  ASSERT_THAT(ports_[0]->Write(std::vector<uint8_t>(400, 0x55)), IsOk());
  ASSERT_TRUE(bus_->WaitForCapture(400, kWait));
  const uint64_t dropped = bus_->stats().dropped;
  EXPECT_GT(dropped, 120u);
  EXPECT_LT(dropped, 280u);
  EXPECT_EQ(Receive(1, 400, absl::Milliseconds(300)).size(), 400 - dropped);
}

TEST_F(VirtualBusTest, LatencyDelaysAnEndpointsBytes) {
  StartBus(2);
  ASSERT_THAT(bus_->SetLatency(absl::Milliseconds(200), 1), IsOk());
  const absl::Time start = absl::Now();
  ASSERT_THAT(ports_[1]->Write(std::vector<uint8_t>{7}), IsOk());
  EXPECT_THAT(Receive(0, 1), ElementsAre(7));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
  ASSERT_TRUE(bus_->WaitForCapture(1, kWait));
  EXPECT_GE(bus_->Capture()[0].start, absl::Milliseconds(200));
}

TEST_F(VirtualBusTest, CutOffEndpointNeitherSendsNorReceives) {
  StartBus(3);
  ASSERT_THAT(bus_->SetCutOff(2, true), IsOk());
  ASSERT_THAT(ports_[2]->Write(std::vector<uint8_t>{9, 9}), IsOk());
  ASSERT_THAT(ports_[0]->Write(std::vector<uint8_t>{1}), IsOk());
  EXPECT_THAT(Receive(1, 1), ElementsAre(1));
  EXPECT_TRUE(Silent(2));
  EXPECT_EQ(bus_->stats().cut_off, 2u);
  ASSERT_THAT(bus_->SetCutOff(2, false), IsOk());
  ASSERT_THAT(ports_[0]->Write(std::vector<uint8_t>{2}), IsOk());
  EXPECT_THAT(Receive(2, 1), ElementsAre(2));
  bus_->ClearFaults();
}

TEST_F(VirtualBusTest, LineSettingsCanChange) {
  StartBus(2);
  ASSERT_THAT(bus_->SetLineSettings({115200, 8, Parity::kNone, 2}), IsOk());
  EXPECT_EQ(bus_->line_settings().baud_rate, 115200);
  EXPECT_THAT(bus_->SetLineSettings({1000, 8, Parity::kNone, 1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(ports_[0]->Write(std::vector<uint8_t>{1, 2}), IsOk());
  ASSERT_TRUE(bus_->WaitForCapture(2, kWait));
  std::vector<CapturedChar> chars = bus_->Capture();
  EXPECT_EQ(chars[0].end - chars[0].start, absl::Seconds(11) / 115200);
}

TEST_F(VirtualBusTest, ADeviceAtTheWrongBaudRateHearsAndSendsGarbage) {
  StartBus(3);  // line and ports at 9600 8E1
  ASSERT_THAT(ports_[2]->Configure({19200, 8, Parity::kEven, 1}), IsOk());
  const std::vector<uint8_t> frame = {0x11, 0x03, 0x00, 0x04};
  ASSERT_THAT(ports_[0]->Write(frame), IsOk());
  EXPECT_EQ(Receive(1, frame.size()), frame);
  std::vector<uint8_t> heard = Receive(2, frame.size());
  ASSERT_EQ(heard.size(), frame.size());
  EXPECT_NE(heard, frame);
  // What the misconfigured device sends is garbage for everyone else.
  ASSERT_THAT(ports_[2]->Write(frame), IsOk());
  std::vector<uint8_t> from_wrong = Receive(0, frame.size());
  ASSERT_EQ(from_wrong.size(), frame.size());
  EXPECT_NE(from_wrong, frame);
  std::vector<CapturedFrame> frames = bus_->CaptureFrames();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_FALSE(frames[0].damaged);
  EXPECT_TRUE(frames[1].damaged);
  EXPECT_EQ(frames[1].sent, frame);
  EXPECT_EQ(bus_->stats().speed_mismatches, 2 * frame.size());
  // Fixed: the device's next frame is clean again.
  ASSERT_THAT(ports_[2]->Configure(k9600_8E1), IsOk());
  ASSERT_THAT(ports_[2]->Write(frame), IsOk());
  EXPECT_EQ(Receive(0, frame.size()), frame);
}

TEST_F(VirtualBusTest, ClearingTheCaptureMidFrameDoesNotTouchTheTraffic) {
  StartBus(2);
  std::vector<uint8_t> frame(50);
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = 0x80 | i;
  ASSERT_THAT(ports_[0]->Write(frame), IsOk());
  ASSERT_TRUE(bus_->WaitForCapture(5, kWait));
  bus_->ClearCapture();
  EXPECT_EQ(Receive(1, frame.size()), frame);
  EXPECT_LT(bus_->Capture().size(), frame.size());
}

TEST(VirtualBusOptionsTest, RejectsBadOptionsAndMakesLinks) {
  BusOptions options;
  options.endpoints = 0;
  EXPECT_THAT(VirtualBus::Start(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options.endpoints = 2;
  options.line.baud_rate = 300;
  EXPECT_THAT(VirtualBus::Start(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options.line.baud_rate = 19200;
  options.link_dir = "/nonexistent-ews-dir";
  EXPECT_THAT(VirtualBus::Start(options),
              StatusIs(absl::StatusCode::kNotFound));
  const char* tmp = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  options.link_dir = tmp;
  auto bus = VirtualBus::Start(options);
  ASSERT_THAT(bus, IsOk());
  const std::string link = std::string(tmp) + "/ep1";
  char target[256] = {};
  ASSERT_GT(readlink(link.c_str(), target, sizeof target - 1), 0);
  EXPECT_EQ(target, (*bus)->endpoint_path(1));
  EXPECT_THAT((*bus)->SetCutOff(2, true),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bus->reset();
  EXPECT_NE(access(link.c_str(), F_OK), 0);  // removed with the bus
}

}  // namespace
}  // namespace ews::lab
