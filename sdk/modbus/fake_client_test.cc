#include "sdk/modbus/fake_client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;

TEST(FakeClientTest, ReadsAndWritesThroughTheClientInterface) {
  SimulatedClock clock;
  FakeClient fake(&clock);
  fake.AddUnit(17).SetHolding(0x1000, {0x0003, 0x8268});
  fake.unit(17)->SetCoils(0, {false, false});
  Client& client = fake;

  auto registers = client.ReadHoldingRegisters(17, 0x1000, 2);
  ASSERT_THAT(registers.status(), IsOk());
  EXPECT_THAT(*registers, ElementsAre(0x0003, 0x8268));
  EXPECT_THAT(client.WriteSingleCoil(17, 1, true), IsOk());
  auto coils = client.ReadCoils(17, 0, 2);
  ASSERT_THAT(coils.status(), IsOk());
  EXPECT_THAT(*coils, ElementsAre(false, true));
  EXPECT_THAT(client.WriteMultipleRegisters(17, 0x1000, {1, 2}), IsOk());
  auto rw = client.ReadWriteMultipleRegisters(17, 0x1000, 2, 0x1001, {9});
  ASSERT_THAT(rw.status(), IsOk());
  EXPECT_THAT(*rw, ElementsAre(1, 9));
}

TEST(FakeClientTest, InjectsFaults) {
  FakeClient fake;
  fake.AddUnit(1).SetHolding(0, {5});
  fake.InjectTimeouts(1, 1);
  EXPECT_THAT(fake.ReadHoldingRegisters(1, 0, 1).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  fake.InjectException(1, 0x04);
  absl::Status status = fake.ReadHoldingRegisters(1, 0, 1).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ModbusExceptionCode(status), Optional(0x04));
  fake.InjectError(1, absl::DataLossError("crc"));
  EXPECT_THAT(fake.ReadHoldingRegisters(1, 0, 1).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(fake.ReadHoldingRegisters(1, 0, 1).status(), IsOk());
  EXPECT_THAT(ModbusExceptionCode(fake.ReadHoldingRegisters(1, 1, 1).status()),
              Optional(0x02));
  fake.SetOffline(1, true);
  EXPECT_THAT(fake.ReadHoldingRegisters(1, 0, 1).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(fake.ReadHoldingRegisters(99, 0, 1).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(FakeClientTest, RecordsCallsWithPriority) {
  FakeClient fake;
  fake.AddUnit(2, /*open=*/true);
  CallOptions interactive;
  interactive.priority = Priority::kInteractive;
  ASSERT_THAT(fake.ReadInputRegisters(2, 0, 3, interactive).status(), IsOk());
  std::vector<FakeClient::Call> calls = fake.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].unit, 2);
  EXPECT_EQ(calls[0].priority, Priority::kInteractive);
  EXPECT_THAT(calls[0].request, ElementsAre(4, 0, 0, 0, 3));
}

TEST(FakeClientTest, BroadcastWritesReachEveryUnitAndRejectsReads) {
  FakeClient fake;
  fake.AddUnit(1, true);
  fake.AddUnit(2, true);
  EXPECT_THAT(fake.WriteSingleRegister(0, 7, 99), IsOk());
  EXPECT_EQ(fake.unit(1)->holding(7), 99);
  EXPECT_EQ(fake.unit(2)->holding(7), 99);
  EXPECT_THAT(fake.ReadHoldingRegisters(0, 7, 1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(fake.ReadHoldingRegisters(1, 0, 126).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FakeClientTest, DeviceIdentification) {
  FakeClient fake;
  DeviceIdentification id;
  id.objects = {{0, "Maker"}, {1, "4 120 45"}, {2, "v2"}};
  fake.AddUnit(5).SetIdentification(id);
  auto got = fake.ReadDeviceIdentification(5);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->objects.at(1), "4 120 45");
}

}  // namespace
}  // namespace ews::modbus
