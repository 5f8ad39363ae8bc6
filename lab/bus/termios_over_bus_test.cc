// The Linux serial backend (TermiosSerialPort) on endpoints of the virtual
// RS485 bus: frames take the line's real time at several settings, and a
// Modbus RTU request built by libmodbus crosses the bus to another endpoint.
#include <modbus/modbus.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lab/bus/virtual_bus.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/serial/termios_serial_port.h"

namespace ews::hal {
void PrintTo(const SerialSettings& settings, std::ostream* os) {
  *os << settings.ToString();
}
}  // namespace ews::hal

namespace ews::lab {
namespace {

using ::ews::hal::Parity;
using ::ews::hal::SerialSettings;
using ::ews::hal::TermiosSerialPort;
using ::ews::testing::IsOk;

// Timing on a loaded 2-core machine: accept +-25 %.
constexpr double kTolerance = 0.25;

uint16_t Crc16(const uint8_t* data, size_t size) {
  uint16_t crc = 0xFFFF;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
  }
  return crc;
}

struct Line {
  std::unique_ptr<VirtualBus> bus;
  std::unique_ptr<TermiosSerialPort> sender;
  std::unique_ptr<TermiosSerialPort> receiver;
};

Line MakeLine(const SerialSettings& settings) {
  Line line;
  BusOptions options;
  options.endpoints = 2;
  options.line = settings;
  auto bus = VirtualBus::Start(options);
  EXPECT_THAT(bus, IsOk());
  if (!bus.ok()) return line;
  line.bus = std::move(*bus);
  auto a = TermiosSerialPort::Open(line.bus->endpoint_path(0), settings);
  auto b = TermiosSerialPort::Open(line.bus->endpoint_path(1), settings);
  EXPECT_THAT(a, IsOk());
  EXPECT_THAT(b, IsOk());
  if (a.ok()) line.sender = std::move(*a);
  if (b.ok()) line.receiver = std::move(*b);
  return line;
}

// Sends `size` bytes from endpoint 0 and measures, on endpoint 1, the time
// from the write to the last byte received.
absl::Duration SendAndTime(Line& line, size_t size,
                           std::vector<uint8_t>* received) {
  std::vector<uint8_t> frame(size);
  for (size_t i = 0; i < size; ++i) frame[i] = static_cast<uint8_t>(i * 7);
  received->clear();
  const absl::Time start = absl::Now();
  EXPECT_THAT(line.sender->Write(frame), IsOk());
  std::vector<uint8_t> buffer(4096);
  while (received->size() < size) {
    auto n = line.receiver->ReadFor(absl::MakeSpan(buffer), absl::Seconds(5));
    if (!n.ok()) break;
    received->insert(received->end(), buffer.begin(), buffer.begin() + *n);
  }
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(*received, frame);
  return elapsed;
}

// The line time as a device sees it, robust to a loaded machine: the bus
// can never deliver faster than the line (every attempt is checked against
// the lower bound), but the kernel's pty workers and the reader can be
// descheduled, so the best of up to three attempts is compared with the
// upper bound.
absl::Duration MeasureLineTime(Line& line, size_t size,
                               absl::Duration expected) {
  absl::Duration best = absl::InfiniteDuration();
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<uint8_t> received;
    const absl::Duration elapsed = SendAndTime(line, size, &received);
    EXPECT_GE(elapsed, expected * (1 - kTolerance)) << "faster than the line";
    best = std::min(best, elapsed);
    if (best <= expected * (1 + kTolerance)) break;
  }
  return best;
}

TEST(TermiosOverBusTest, HundredByteFrameAt9600_8E1TakesItsLineTime) {
  const SerialSettings settings{9600, 8, Parity::kEven, 1};
  Line line = MakeLine(settings);
  ASSERT_NE(line.receiver, nullptr);
  EXPECT_TRUE(line.sender->parity_emulated());  // a pty cannot hold parity
  const double expected_ms = 100.0 * 11 / 9600 * 1000;  // 114.58 ms
  const absl::Duration elapsed =
      MeasureLineTime(line, 100, absl::Microseconds(expected_ms * 1000));
  RecordProperty("expected_ms", absl::StrCat(expected_ms));
  RecordProperty("measured_ms",
                 absl::StrCat(absl::ToDoubleMilliseconds(elapsed)));
  EXPECT_NEAR(absl::ToDoubleMilliseconds(elapsed), expected_ms,
              kTolerance * expected_ms);
  // The capture, timed by the bus's schedule, is exact.
  std::vector<CapturedFrame> frames = line.bus->CaptureFrames();
  ASSERT_GE(frames.size(), 1u);
  EXPECT_NEAR(absl::ToDoubleMilliseconds(frames[0].end - frames[0].start),
              expected_ms, 0.01 * expected_ms);
  EXPECT_EQ(line.receiver->counters().bytes_in, 100u * frames.size());
  EXPECT_EQ(line.sender->counters().frames_out, frames.size());
}

class TermiosOverBusTimingTest
    : public ::testing::TestWithParam<SerialSettings> {};

TEST_P(TermiosOverBusTimingTest, FrameTakesItsLineTime) {
  const SerialSettings settings = GetParam();
  Line line = MakeLine(settings);
  ASSERT_NE(line.receiver, nullptr);
  // About 150 ms of line time, so scheduling noise stays small against it.
  const size_t size = static_cast<size_t>(
      std::ceil(0.150 / absl::ToDoubleSeconds(settings.CharacterTime())));
  const absl::Duration elapsed =
      MeasureLineTime(line, size, settings.TransmitTime(size));
  const double expected_ms =
      absl::ToDoubleMilliseconds(settings.TransmitTime(size));
  EXPECT_NEAR(absl::ToDoubleMilliseconds(elapsed), expected_ms,
              kTolerance * expected_ms)
      << settings.ToString() << ", " << size << " bytes";
}

INSTANTIATE_TEST_SUITE_P(
    Settings, TermiosOverBusTimingTest,
    ::testing::Values(SerialSettings{1200, 8, Parity::kNone, 1},
                      SerialSettings{4800, 8, Parity::kOdd, 2},
                      SerialSettings{19200, 8, Parity::kEven, 1},
                      SerialSettings{38400, 8, Parity::kNone, 2},
                      SerialSettings{115200, 8, Parity::kEven, 1}),
    [](const ::testing::TestParamInfo<SerialSettings>& info) {
      std::string name = info.param.ToString();
      name[name.find(' ')] = '_';
      return name;
    });

TEST(TermiosOverBusTest, ModbusRtuFrameBuiltByLibmodbusCrossesTheBus) {
  const SerialSettings settings{9600, 8, Parity::kEven, 1};
  BusOptions options;
  options.endpoints = 2;
  options.line = settings;
  auto bus = VirtualBus::Start(options);
  ASSERT_THAT(bus, IsOk());
  // Endpoint 1: a device on the Linux backend.
  auto device = TermiosSerialPort::Open((*bus)->endpoint_path(1), settings);
  ASSERT_THAT(device, IsOk());

  // Endpoint 0: a libmodbus RTU master.
  modbus_t* master =
      modbus_new_rtu((*bus)->endpoint_path(0).c_str(), 9600, 'E', 8, 1);
  ASSERT_NE(master, nullptr);
  ASSERT_EQ(modbus_set_slave(master, 0x11), 0);
  ASSERT_EQ(modbus_connect(master), 0) << modbus_strerror(errno);
  modbus_set_response_timeout(master, 2, 0);

  uint16_t registers[2] = {};
  int read_result = -1;
  std::thread poller(
      [&] { read_result = modbus_read_registers(master, 4, 2, registers); });

  // The request: slave 0x11, function 3, address 4, count 2, CRC.
  std::vector<uint8_t> request(256);
  // Silence of 20 ms rather than t3.5 (3.6 ms): on a loaded CI machine the
  // reader may be descheduled longer than t3.5; the line timing itself is
  // asserted on the capture below.
  auto n = (*device)->ReadFrame(absl::MakeSpan(request), absl::Seconds(5),
                                absl::Milliseconds(20));
  ASSERT_THAT(n, IsOk());
  request.resize(*n);
  ASSERT_EQ(request.size(), 8u);
  EXPECT_THAT(std::vector<uint8_t>(request.begin(), request.begin() + 6),
              ::testing::ElementsAre(0x11, 0x03, 0x00, 0x04, 0x00, 0x02));
  const uint16_t crc = Crc16(request.data(), 6);
  EXPECT_EQ(request[6], crc & 0xFF);
  EXPECT_EQ(request[7], crc >> 8);

  // The answer: 231.4 V and 0xBEEF.
  std::vector<uint8_t> response = {0x11, 0x03, 0x04, 0x09, 0x0A, 0xBE, 0xEF};
  const uint16_t response_crc = Crc16(response.data(), response.size());
  response.push_back(response_crc & 0xFF);
  response.push_back(response_crc >> 8);
  ASSERT_THAT((*device)->Write(response), IsOk());
  poller.join();
  EXPECT_EQ(read_result, 2) << modbus_strerror(errno);
  EXPECT_EQ(registers[0], 2314);
  EXPECT_EQ(registers[1], 0xBEEF);

  // Both frames on the capture, each taking its line time at 11 bits/char.
  std::vector<CapturedFrame> frames = (*bus)->CaptureFrames();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].from, 0);
  EXPECT_EQ(frames[0].bytes, request);
  EXPECT_EQ(frames[1].from, 1);
  EXPECT_EQ(frames[1].bytes, response);
  EXPECT_LE(absl::AbsDuration(frames[0].end - frames[0].start -
                              settings.TransmitTime(8)),
            absl::Microseconds(1));
  EXPECT_LE(absl::AbsDuration(frames[1].end - frames[1].start -
                              settings.TransmitTime(9)),
            absl::Microseconds(1));
  // The response cannot start before the request has fully arrived.
  EXPECT_GE(frames[1].start, frames[0].end);

  modbus_close(master);
  modbus_free(master);
}

// sdk/modbus may hand TermiosSerialPort's fd to libmodbus instead of letting
// libmodbus open the device: the port keeps its settings and ownership.
TEST(TermiosOverBusTest, LibmodbusCanDriveTheNativeHandle) {
  const SerialSettings settings{19200, 8, Parity::kEven, 1};
  Line line = MakeLine(settings);
  ASSERT_NE(line.receiver, nullptr);
  modbus_t* master =
      modbus_new_rtu(line.bus->endpoint_path(0).c_str(), 19200, 'E', 8, 1);
  ASSERT_NE(master, nullptr);
  // No modbus_connect(): libmodbus uses the port's open, configured fd.
  ASSERT_EQ(modbus_set_socket(master, line.sender->NativeHandle()), 0);
  ASSERT_EQ(modbus_set_slave(master, 7), 0);
  modbus_set_response_timeout(master, 2, 0);
  int result = -1;
  std::thread poller(
      [&] { result = modbus_write_register(master, 0x0010, 0x1234); });
  std::vector<uint8_t> request(64);
  auto n = line.receiver->ReadFrame(absl::MakeSpan(request), absl::Seconds(5),
                                    absl::Milliseconds(20));
  ASSERT_THAT(n, IsOk());
  request.resize(*n);
  ASSERT_EQ(request.size(), 8u);
  EXPECT_THAT(std::vector<uint8_t>(request.begin(), request.begin() + 6),
              ::testing::ElementsAre(0x07, 0x06, 0x00, 0x10, 0x12, 0x34));
  // Function 6 echoes the request.
  ASSERT_THAT(line.receiver->Write(request), IsOk());
  poller.join();
  EXPECT_EQ(result, 1) << modbus_strerror(errno);
  modbus_free(master);  // does not close the fd: the port owns it
  EXPECT_THAT(line.sender->Write(std::vector<uint8_t>{0x00}), IsOk());
}

}  // namespace
}  // namespace ews::lab
