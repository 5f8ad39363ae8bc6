// RtuSlave on a FakeSerialPort (real time): framing and resynchronisation,
// units and handlers, faults.
#include "sdk/modbus/rtu_slave.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/serial/fake_serial_port.h"
#include "sdk/modbus/internal/rtu_codec.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Bytes = std::vector<uint8_t>;

// Answers reads of holding registers in [first, first + 10) with `value`;
// faults on demand (set them while no request is in flight).
class TestHandler final : public RtuUnitHandler {
 public:
  TestHandler(uint16_t first, uint16_t value) : first_(first), value_(value) {}

  bool Serves(absl::Span<const uint8_t> request) const override {
    if (request.size() < 3) return false;
    const uint16_t address = request[1] << 8 | request[2];
    return address >= first_ && address < first_ + 10;
  }
  RtuReply HandleRequest(const Pdu& request) override {
    ++requests;
    if (silent) return {};
    RtuReply reply;
    reply.pdu = Serves(request)
                    ? Pdu{request[0], 2, uint8_t(value_ >> 8), uint8_t(value_)}
                    : Pdu{uint8_t(request[0] | 0x80), 0x02};
    reply.reply_delay = reply_delay;
    reply.corrupt_crc = corrupt_crc;
    return reply;
  }
  void HandleBroadcast(const Pdu&) override { ++broadcasts; }

  std::atomic<bool> silent{false};
  std::atomic<bool> corrupt_crc{false};
  std::optional<absl::Duration> reply_delay;
  std::atomic<int> requests{0};
  std::atomic<int> broadcasts{0};

 private:
  const uint16_t first_;
  const uint16_t value_;
};

class RtuSlaveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto codec = internal::RtuCodec::Create();
    ASSERT_THAT(codec, IsOk());
    codec_ = std::move(*codec);
    hal::SerialSettings settings;
    settings.baud_rate = 115200;
    port_ = std::make_unique<hal::FakeSerialPort>(settings);
    RtuSlaveOptions options;
    options.reply_delay = absl::Milliseconds(2);
    auto slave = RtuSlave::Start(port_.get(), options);
    ASSERT_THAT(slave, IsOk());
    slave_ = std::move(*slave);
  }
  void TearDown() override { slave_.reset(); }

  Bytes Frame(uint8_t unit, const Pdu& pdu) {
    return *codec_->Encode(unit, pdu);
  }

  // Whether `done` becomes true within 2 s.
  static bool Eventually(const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(2);
    while (!done()) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return true;
  }

  // The replies written so far, once there are `n` (or after 2 s).
  std::vector<Bytes> Replies(size_t n) {
    Eventually([&] { return port_->unexpected_writes().size() >= n; });
    return port_->unexpected_writes();
  }
  // Reply `i` (0-based), once there; empty if it never comes.
  Bytes Reply(size_t i) {
    std::vector<Bytes> replies = Replies(i + 1);
    return i < replies.size() ? replies[i] : Bytes();
  }

  // Waits until the slave has seen `frames` good frames.
  void AwaitFrames(uint64_t frames) {
    EXPECT_TRUE(Eventually([&] { return slave_->stats().frames >= frames; }));
    EXPECT_EQ(slave_->stats().frames, frames);
  }

  std::unique_ptr<internal::RtuCodec> codec_;
  std::unique_ptr<hal::FakeSerialPort> port_;
  std::unique_ptr<RtuSlave> slave_;
};

TEST_F(RtuSlaveTest, ServesBanksAndIgnoresOtherUnits) {
  RegisterBank bank;
  bank.SetHolding(0x10, {0x1234});
  slave_->AddUnit(17, &bank);
  port_->QueueInput(Frame(18, ReadRequest(3, 0x10, 1)));
  AwaitFrames(1);
  port_->QueueInput(Frame(17, ReadRequest(3, 0x10, 1)));
  EXPECT_THAT(Replies(1), ElementsAre(Frame(17, {3, 2, 0x12, 0x34})));
  port_->QueueInput(Frame(17, ReadRequest(3, 0x11, 1)));  // unset: 0x02
  EXPECT_THAT(Reply(1), Frame(17, {0x83, 0x02}));
  const RtuSlaveStats stats = slave_->stats();
  EXPECT_EQ(stats.frames, 3u);
  EXPECT_EQ(stats.requests, 2u);
  EXPECT_EQ(stats.replies, 2u);
  EXPECT_EQ(stats.discarded, 0u);
  slave_->RemoveUnit(17);
  port_->QueueInput(Frame(17, ReadRequest(3, 0x10, 1)));
  AwaitFrames(4);
  EXPECT_EQ(Replies(2).size(), 2u);
}

TEST_F(RtuSlaveTest, ResynchronisesOnForeignTraffic) {
  RegisterBank bank;
  bank.SetHolding(0, {7});
  slave_->AddUnit(17, &bank);
  // Noise, another slave's answer and then our request, back to back.
  Bytes line = {0xFF, 0x03, 0x10, 0x00};
  const Bytes foreign = Frame(5, {3, 4, 0, 1, 0, 2});
  line.insert(line.end(), foreign.begin(), foreign.end());
  const Bytes request = Frame(17, ReadRequest(3, 0, 1));
  line.insert(line.end(), request.begin(), request.end());
  port_->QueueInput(line);
  EXPECT_THAT(Replies(1), ElementsAre(Frame(17, {3, 2, 0, 7})));
  EXPECT_GT(slave_->stats().discarded, 0u);
}

TEST_F(RtuSlaveTest, AFrameOfUnknownLengthEndsAtSilence) {
  RegisterBank bank;
  slave_->AddUnit(17, &bank);
  // A function the slave cannot frame by length: exception 01.
  port_->QueueInput(Frame(17, {0x41, 1, 2, 3}));
  EXPECT_THAT(Replies(1), ElementsAre(Frame(17, {0xC1, 0x01})));
  // A read with one byte too many: malformed, exception 03.
  port_->QueueInput(Frame(17, {3, 0, 0, 0, 1, 0}));
  EXPECT_THAT(Reply(1), Frame(17, {0x83, 0x03}));
}

TEST_F(RtuSlaveTest, HandlersShareAnAddress) {
  TestHandler measurement(0x1000, 230), signalling(0x0400, 1);
  slave_->AddHandler(15, &measurement);
  slave_->AddHandler(15, &signalling);
  port_->QueueInput(Frame(15, ReadRequest(3, 0x0400, 1)));
  EXPECT_THAT(Replies(1), ElementsAre(Frame(15, {3, 2, 0, 1})));
  port_->QueueInput(Frame(15, ReadRequest(3, 0x1000, 1)));
  EXPECT_THAT(Reply(1), Frame(15, {3, 2, 0, 230}));
  // Nobody has it: the first handler answers (with its exception).
  port_->QueueInput(Frame(15, ReadRequest(3, 0x2000, 1)));
  EXPECT_THAT(Reply(2), Frame(15, {0x83, 0x02}));
  EXPECT_EQ(measurement.requests, 2);
  EXPECT_EQ(signalling.requests, 1);
  // A broadcast reaches everyone and is not answered.
  port_->QueueInput(Frame(0, WriteSingleRegisterRequest(0, 1)));
  EXPECT_TRUE(Eventually([&] {
    return measurement.broadcasts == 1 && signalling.broadcasts == 1;
  }));
  port_->QueueInput(Frame(15, ReadRequest(3, 0x1000, 1)));
  EXPECT_EQ(Replies(4).size(), 4u);  // the next request's answer, no other
}

TEST_F(RtuSlaveTest, FaultsOnDemand) {
  TestHandler device(0, 42);
  slave_->AddHandler(9, &device);
  device.silent = true;
  port_->QueueInput(Frame(9, ReadRequest(3, 0, 1)));
  EXPECT_TRUE(Eventually([&] { return device.requests == 1; }));
  EXPECT_THAT(port_->unexpected_writes(), IsEmpty());
  device.silent = false;
  device.corrupt_crc = true;
  port_->QueueInput(Frame(9, ReadRequest(3, 0, 1)));
  Bytes bad = Reply(0);
  EXPECT_FALSE(codec_->Check(bad).ok());
  bad.end()[-2] ^= 0xFF;
  bad.end()[-1] ^= 0xFF;
  EXPECT_EQ(bad, Frame(9, {3, 2, 0, 42}));
  device.corrupt_crc = false;
  device.reply_delay = absl::Milliseconds(60);
  const absl::Time start = absl::Now();
  port_->QueueInput(Frame(9, ReadRequest(3, 0, 1)));
  EXPECT_EQ(Reply(1), Frame(9, {3, 2, 0, 42}));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(60));
}

}  // namespace
}  // namespace ews::modbus
