// TermiosSerialPort on a pty pair: the test holds the pty master (the "line")
// and the port opens the slave like a real serial device. Timing over the
// virtual RS485 bus is tested in //lab/bus.
#include "sdk/hal/serial/termios_serial_port.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;

class TermiosSerialPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[128];
    ASSERT_EQ(openpty(&master_, &slave_, name, nullptr, nullptr), 0);
    path_ = name;
  }
  void TearDown() override {
    close(master_);
    close(slave_);
  }

  std::vector<uint8_t> ReadMaster(size_t want) {
    std::vector<uint8_t> out;
    while (out.size() < want) {
      pollfd pfd = {master_, POLLIN, 0};
      if (poll(&pfd, 1, 5000) <= 0) break;
      uint8_t buffer[256];
      ssize_t n = read(master_, buffer, sizeof buffer);
      if (n <= 0) break;
      out.insert(out.end(), buffer, buffer + n);
    }
    return out;
  }

  int master_ = -1;
  int slave_ = -1;  // kept open so the master never sees a hang-up
  std::string path_;
};

TEST_F(TermiosSerialPortTest, OpensAPtyWithEveryReferenceSetting) {
  auto port = TermiosSerialPort::Open(path_, SerialSettings{});
  ASSERT_THAT(port, IsOk());
  EXPECT_TRUE((*port)->is_pty());
  EXPECT_GE((*port)->NativeHandle(), 0);
  EXPECT_EQ((*port)->rs485_mode(), TermiosSerialPort::Rs485Mode::kUnsupported);
  for (int baud : SupportedBaudRates()) {
    for (Parity parity : {Parity::kNone, Parity::kEven, Parity::kOdd}) {
      for (int stop : {1, 2}) {
        SerialSettings s{baud, 8, parity, stop};
        EXPECT_THAT((*port)->Configure(s), IsOk()) << s.ToString();
        EXPECT_EQ((*port)->settings(), s);
        EXPECT_EQ((*port)->parity_emulated(), parity != Parity::kNone);
        EXPECT_EQ((*port)->CharacterTime(), s.CharacterTime());
      }
    }
  }
}

TEST_F(TermiosSerialPortTest, ChangingOnlyTheParityWorksOnAPty) {
  // A pty rejects a tcsetattr() that changes nothing but PARENB.
  auto port = TermiosSerialPort::Open(path_, {9600, 8, Parity::kNone, 1});
  ASSERT_THAT(port, IsOk());
  EXPECT_THAT((*port)->Configure({9600, 8, Parity::kEven, 1}), IsOk());
  EXPECT_THAT((*port)->Configure({9600, 8, Parity::kOdd, 1}), IsOk());
  EXPECT_THAT((*port)->Configure({9600, 8, Parity::kNone, 1}), IsOk());
  EXPECT_FALSE((*port)->parity_emulated());
}

TEST_F(TermiosSerialPortTest, WritesAndReadsRawBytes) {
  auto port = TermiosSerialPort::Open(path_, SerialSettings{});
  ASSERT_THAT(port, IsOk());
  // Bytes a cooked tty would translate or swallow: CR, LF, ^C, ^S, 0xFF.
  const std::vector<uint8_t> frame = {0x0D, 0x0A, 0x03, 0x13, 0xFF, 0x00};
  size_t written = 0;
  ASSERT_THAT((*port)->Write(frame, &written), IsOk());
  EXPECT_EQ(written, frame.size());
  ASSERT_THAT((*port)->Drain(), IsOk());
  EXPECT_EQ(ReadMaster(frame.size()), frame);

  ASSERT_EQ(write(master_, frame.data(), frame.size()),
            static_cast<ssize_t>(frame.size()));
  std::vector<uint8_t> buffer(64);
  absl::StatusOr<size_t> n =
      (*port)->ReadFrame(absl::MakeSpan(buffer), absl::Seconds(5));
  ASSERT_THAT(n, IsOk());
  buffer.resize(*n);
  EXPECT_EQ(buffer, frame);
  SerialCounters c = (*port)->counters();
  EXPECT_EQ(c.bytes_out, frame.size());
  EXPECT_EQ(c.bytes_in, frame.size());
  EXPECT_EQ(c.frames_out, 1u);
  EXPECT_EQ(c.frames_in, 1u);
  EXPECT_EQ(c.timeouts, 0u);
}

TEST_F(TermiosSerialPortTest, ReadTimesOutWithDeadlineExceeded) {
  auto port = TermiosSerialPort::Open(path_, SerialSettings{});
  ASSERT_THAT(port, IsOk());
  std::vector<uint8_t> buffer(8);
  const absl::Time start = absl::Now();
  EXPECT_THAT((*port)->ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_EQ((*port)->counters().timeouts, 1u);
}

TEST_F(TermiosSerialPortTest, FlushInputDiscardsUnreadBytes) {
  auto port = TermiosSerialPort::Open(path_, SerialSettings{});
  ASSERT_THAT(port, IsOk());
  const uint8_t noise[] = {1, 2, 3};
  ASSERT_EQ(write(master_, noise, 3), 3);
  // Wait until the bytes are readable, then flush them.
  pollfd pfd = {(*port)->NativeHandle(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 5000), 1);
  ASSERT_THAT((*port)->FlushInput(), IsOk());
  std::vector<uint8_t> buffer(8);
  EXPECT_THAT((*port)->ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(20)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(TermiosSerialPortTest, PtyKeepsNoLineErrorCounters) {
  auto port = TermiosSerialPort::Open(path_, SerialSettings{});
  ASSERT_THAT(port, IsOk());
  EXPECT_THAT((*port)->GetLineErrors(),
              StatusIs(absl::StatusCode::kUnimplemented));
}

TEST_F(TermiosSerialPortTest, ClosedPortFailsCleanly) {
  auto port = TermiosSerialPort::Open(path_, SerialSettings{});
  ASSERT_THAT(port, IsOk());
  (*port)->Close();
  EXPECT_EQ((*port)->NativeHandle(), -1);
  EXPECT_THAT((*port)->Write(std::vector<uint8_t>{1}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT((*port)->Configure(SerialSettings{}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT((*port)->GetLineErrors(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(TermiosSerialPortOpenTest, ErrorsSayWhatIsWrong) {
  EXPECT_THAT(TermiosSerialPort::Open("/nonexistent/ttyS9", SerialSettings{}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(TermiosSerialPort::Open("/dev/null", SerialSettings{}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(
      TermiosSerialPort::Open("/dev/null", {14400, 8, Parity::kNone, 1}),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ews::hal
