#include "sdk/modbus/pdu.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/modbus/exception.h"
#include "sdk/modbus/register_bank.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Not;
using ::testing::Optional;

TEST(PduTest, BuildsRequests) {
  EXPECT_THAT(ReadRequest(fc::kReadHoldingRegisters, 0x1000, 2),
              ElementsAre(0x03, 0x10, 0x00, 0x00, 0x02));
  EXPECT_THAT(WriteSingleCoilRequest(0x00AC, true),
              ElementsAre(0x05, 0x00, 0xAC, 0xFF, 0x00));
  EXPECT_THAT(WriteMultipleCoilsRequest(19, {true, false, true, true, false,
                                             false, true, true, true, false}),
              ElementsAre(0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01));
  EXPECT_THAT(
      WriteMultipleRegistersRequest(1, {0x000A, 0x0102}),
      ElementsAre(0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02));
}

TEST(PduTest, ValidatesRequests) {
  EXPECT_THAT(ValidateRequest(ReadRequest(3, 0, 125)), IsOk());
  EXPECT_THAT(ValidateRequest(ReadRequest(3, 0, 126)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ModbusExceptionCode(ValidateRequest(ReadRequest(3, 0, 0))),
              Optional(0x03));
  EXPECT_THAT(ValidateRequest(ReadRequest(1, 0, 2000)), IsOk());
  EXPECT_THAT(ValidateRequest(ReadRequest(1, 0, 2001)), Not(IsOk()));
  EXPECT_THAT(ModbusExceptionCode(ValidateRequest(ReadRequest(3, 0xFFFF, 2))),
              Optional(0x02));
  EXPECT_THAT(ValidateRequest(Pdu{0x03, 0x00}), Not(IsOk()));  // truncated
  EXPECT_THAT(ValidateRequest(Pdu{0x05, 0, 1, 0x12, 0x34}), Not(IsOk()));
  Pdu bad_count = WriteMultipleRegistersRequest(0, {1, 2});
  bad_count[5] = 3;
  EXPECT_THAT(ValidateRequest(bad_count), Not(IsOk()));
  EXPECT_THAT(ValidateRequest(Pdu{}), Not(IsOk()));
  EXPECT_THAT(ValidateRequest(Pdu(254, 0x03)), Not(IsOk()));
  EXPECT_THAT(ValidateRequest(Pdu{0x08, 0x00, 0x00, 0x12, 0x34}), IsOk());
  EXPECT_THAT(ModbusExceptionCode(ValidateRequest(Pdu{0x83})), Optional(0x01));
  EXPECT_THAT(
      ValidateRequest(ReadDeviceIdentificationRequest(DeviceIdCode::kBasic, 0)),
      IsOk());
  EXPECT_THAT(ValidateRequest(Pdu{0x2B, 0x0E, 0x05, 0x00}), Not(IsOk()));
}

TEST(PduTest, ChecksResponses) {
  const Pdu request = ReadRequest(3, 0x1000, 2);
  EXPECT_THAT(CheckResponse(1, request, Pdu{3, 4, 0, 1, 0, 2}), IsOk());
  auto registers = ParseRegisters(request, Pdu{3, 4, 0, 1, 0, 2});
  ASSERT_THAT(registers.status(), IsOk());
  EXPECT_THAT(*registers, ElementsAre(1, 2));
  // Exception response: typed error.
  absl::Status exception = CheckResponse(1, request, Pdu{0x83, 0x02});
  EXPECT_THAT(exception, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ModbusExceptionCode(exception), Optional(0x02));
  EXPECT_THAT(ModbusExceptionCode(CheckResponse(1, request, Pdu{0x83, 0x0B})),
              Optional(0x0B));
  EXPECT_THAT(CheckResponse(1, request, Pdu{0x83, 0x0B}),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  // Wrong length / function: DataLoss, no exception code.
  EXPECT_THAT(CheckResponse(1, request, Pdu{3, 2, 0, 1}),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(CheckResponse(1, request, Pdu{4, 4, 0, 1, 0, 2}),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(ModbusExceptionCode(CheckResponse(1, request, Pdu{4})),
            std::nullopt);
  const Pdu write = WriteSingleRegisterRequest(5, 7);
  EXPECT_THAT(CheckResponse(1, write, write), IsOk());
  EXPECT_THAT(CheckResponse(1, write, Pdu{6, 0, 5, 0, 8}), Not(IsOk()));
}

TEST(PduTest, GatewayExceptionForStatus) {
  EXPECT_EQ(GatewayExceptionFor(absl::DeadlineExceededError("")), 0x0B);
  EXPECT_EQ(GatewayExceptionFor(absl::DataLossError("")), 0x0B);
  EXPECT_EQ(GatewayExceptionFor(absl::UnavailableError("")), 0x0A);
  EXPECT_EQ(GatewayExceptionFor(UnitAbsentStatus("unit 7 absent")), 0x0B);
  EXPECT_TRUE(IsUnitAbsent(UnitAbsentStatus("unit 7 absent")));
  EXPECT_FALSE(IsUnitAbsent(absl::UnavailableError("unit 7 absent")));
  EXPECT_EQ(ModbusExceptionCode(UnitAbsentStatus("x")), std::nullopt);
  EXPECT_EQ(GatewayExceptionFor(ExceptionStatus(0x04)), 0x04);
}

TEST(RegisterBankTest, ServesEveryFunction) {
  RegisterBank bank;
  bank.SetHolding(100, {1, 2, 3});
  bank.SetInput(0, {9});
  bank.SetCoils(0, {true, false, true});
  bank.SetDiscreteInputs(0, {false, true});
  EXPECT_THAT(bank.Handle(ReadRequest(3, 100, 3)),
              ElementsAre(3, 6, 0, 1, 0, 2, 0, 3));
  EXPECT_THAT(bank.Handle(ReadRequest(3, 100, 4)), ElementsAre(0x83, 0x02));
  EXPECT_THAT(bank.Handle(ReadRequest(4, 0, 1)), ElementsAre(4, 2, 0, 9));
  EXPECT_THAT(bank.Handle(ReadRequest(1, 0, 3)), ElementsAre(1, 1, 0x05));
  EXPECT_THAT(bank.Handle(ReadRequest(2, 0, 2)), ElementsAre(2, 1, 0x02));
  EXPECT_THAT(bank.Handle(WriteSingleRegisterRequest(101, 42)),
              ElementsAre(6, 0, 101, 0, 42));
  EXPECT_EQ(bank.holding(101), 42);
  EXPECT_THAT(bank.Handle(WriteMultipleRegistersRequest(100, {7, 8})),
              ElementsAre(0x10, 0, 100, 0, 2));
  EXPECT_EQ(bank.holding(100), 7);
  EXPECT_THAT(bank.Handle(WriteSingleCoilRequest(1, true)),
              ElementsAre(5, 0, 1, 0xFF, 0));
  EXPECT_TRUE(bank.coil(1));
  EXPECT_THAT(bank.Handle(WriteMultipleCoilsRequest(0, {false, false})),
              ElementsAre(0x0F, 0, 0, 0, 2));
  EXPECT_FALSE(bank.coil(1));
  EXPECT_THAT(bank.Handle(ReadWriteMultipleRegistersRequest(100, 1, 102, {5})),
              ElementsAre(0x17, 2, 0, 7));
  EXPECT_EQ(bank.holding(102), 5);
  EXPECT_THAT(bank.Handle(Pdu{0x08, 0, 0, 0, 0}), ElementsAre(0x88, 0x01));
  EXPECT_THAT(bank.Handle(ReadRequest(3, 0, 200)), ElementsAre(0x83, 0x03));
}

TEST(RegisterBankTest, DeviceIdentificationSplitsLongAnswers) {
  RegisterBank bank;
  DeviceIdentification id;
  id.conformity_level = 0x83;
  id.objects[0] = "EWS";
  id.objects[1] = "EWS-32";
  id.objects[2] = "1.0";
  for (uint8_t object = 0x80; object < 0x84; ++object) {
    id.objects[object] = std::string(100, 'x');
  }
  bank.SetIdentification(id);
  Pdu basic =
      bank.Handle(ReadDeviceIdentificationRequest(DeviceIdCode::kBasic, 0));
  auto part = ParseDeviceIdentification(basic);
  ASSERT_THAT(part.status(), IsOk());
  EXPECT_FALSE(part->more_follows);
  EXPECT_EQ(part->identification.objects.size(), 3u);
  EXPECT_EQ(part->identification.objects[1], "EWS-32");
  Pdu extended =
      bank.Handle(ReadDeviceIdentificationRequest(DeviceIdCode::kExtended, 0));
  part = ParseDeviceIdentification(extended);
  ASSERT_THAT(part.status(), IsOk());
  EXPECT_TRUE(part->more_follows);
  EXPECT_LE(extended.size(), kMaxPduSize);
}

}  // namespace
}  // namespace ews::modbus
