// The RTU master on a real (virtual) RS485 line: lab/bus delivers characters
// at the line's speed, with faults on demand.
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "tests/modbus/bus_fixture.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using testing::BusLine;
using ::testing::ElementsAre;
using ::testing::Optional;

TEST(RtuOverBusTest, EveryFunctionCode) {
  auto line = BusLine::Start();
  ASSERT_THAT(line.status(), IsOk());
  RegisterBank& meter = (*line)->AddDevice(17);
  meter.SetHolding(0x1000, {0x0003, 0x8268});
  meter.SetInput(0, {10, 20});
  meter.SetDiscreteInputs(0, {true, false, true});
  DeviceIdentification id;
  id.objects = {{0, "Maker"}, {1, "EMDX3"}, {2, "1.2"}};
  meter.SetIdentification(id);
  Client& client = (*line)->line();

  auto holding = client.ReadHoldingRegisters(17, 0x1000, 2);
  ASSERT_THAT(holding.status(), IsOk());
  EXPECT_THAT(*holding, ElementsAre(0x0003, 0x8268));
  auto input = client.ReadInputRegisters(17, 0, 2);
  ASSERT_THAT(input.status(), IsOk());
  EXPECT_THAT(*input, ElementsAre(10, 20));
  auto discrete = client.ReadDiscreteInputs(17, 0, 3);
  ASSERT_THAT(discrete.status(), IsOk());
  EXPECT_THAT(*discrete, ElementsAre(true, false, true));
  EXPECT_THAT(client.WriteSingleCoil(17, 4, true), IsOk());
  EXPECT_THAT(client.WriteMultipleCoils(17, 5, {true, true, false}), IsOk());
  auto coils = client.ReadCoils(17, 4, 4);
  ASSERT_THAT(coils.status(), IsOk());
  EXPECT_THAT(*coils, ElementsAre(true, true, true, false));
  EXPECT_THAT(client.WriteSingleRegister(17, 1, 99), IsOk());
  EXPECT_THAT(
      client.WriteMultipleRegisters(17, 2, std::vector<uint16_t>(100, 7)),
      IsOk());
  auto rw = client.ReadWriteMultipleRegisters(17, 1, 3, 3, {55});
  ASSERT_THAT(rw.status(), IsOk());
  EXPECT_THAT(*rw, ElementsAre(99, 7, 55));
  auto identification = client.ReadDeviceIdentification(17);
  ASSERT_THAT(identification.status(), IsOk());
  EXPECT_EQ(identification->objects.at(1), "EMDX3");
  // 125 registers: the longest read answer (255-byte frame).
  auto big = client.ReadHoldingRegisters(17, 0, 125);
  ASSERT_THAT(big.status(), IsOk());
  EXPECT_EQ((*big)[1], 99);
}

TEST(RtuOverBusTest, ExceptionsTimeoutsAndCrcErrors) {
  testing::BusLineOptions options;
  options.line.response_timeout = absl::Milliseconds(250);
  auto line = BusLine::Start(options);
  ASSERT_THAT(line.status(), IsOk());
  (*line)->AddDevice(17);
  Client& client = (*line)->line();
  // A device exception.
  absl::Status status = client.Transact(17, Pdu{0x08, 0, 0, 0, 0}).status();
  EXPECT_THAT(ModbusExceptionCode(status), Optional(0x01));
  // A silent unit: DeadlineExceeded after the response timeout (x2 attempts).
  const absl::Time start = absl::Now();
  EXPECT_THAT(client.ReadHoldingRegisters(30, 0, 1).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(500));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500));
  // One corrupted answer: the read is retried and succeeds; health shows it.
  ASSERT_THAT((*line)->bus().CorruptNext(1, 0x01, /*from=*/1), IsOk());
  EXPECT_THAT(client.ReadHoldingRegisters(17, 0, 1).status(), IsOk());
  DeviceHealth health = (*line)->line().HealthOf(17);
  EXPECT_EQ(health.crc_errors, 1u);
  EXPECT_TRUE(health.online);
  // A corrupted answer to a write is not retried.
  ASSERT_THAT((*line)->bus().CorruptNext(1, 0x01, /*from=*/1), IsOk());
  EXPECT_THAT(client.WriteSingleRegister(17, 0, 1),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ((*line)->line().HealthOf(30).timeouts, 2u);
  if (HasFailure()) std::printf("%s\n", (*line)->bus().FormatCapture().c_str());
}

TEST(RtuOverBusTest, FramesAreSeparatedByAtLeastThreePointFiveCharacters) {
  for (const char* settings : {"9600 8E1", "19200 8E1", "115200 8N1"}) {
    testing::BusLineOptions options;
    options.settings = *hal::ParseSerialSettings(settings);
    options.reply_delay = absl::Milliseconds(3);
    auto line = BusLine::Start(options);
    ASSERT_THAT(line.status(), IsOk());
    (*line)->AddDevice(1);
    for (int i = 0; i < 10; ++i) {
      ASSERT_THAT((*line)->line().ReadHoldingRegisters(1, 0, 2).status(),
                  IsOk());
    }
    const absl::Duration t35 = std::max(options.settings.CharacterTime() * 3.5,
                                        absl::Microseconds(1750));
    std::vector<lab::CapturedFrame> frames =
        (*line)->bus().CaptureFrames(options.settings.CharacterTime() * 1.5);
    ASSERT_EQ(frames.size(), 20u) << settings;
    for (size_t i = 1; i < frames.size(); ++i) {
      EXPECT_FALSE(frames[i].damaged);
      EXPECT_GE(frames[i].start - frames[i - 1].end, t35)
          << settings << " frame " << i;
    }
  }
}

}  // namespace
}  // namespace ews::modbus
