// RX/TX LEDs pulse with RS485 traffic: the line's SerialPort traffic listener
// drives ews::hal::LedIndicators, as apps/server wires it.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/led/fake_leds.h"
#include "sdk/hal/led/led_indicators.h"
#include "sdk/hal/serial/fake_serial_port.h"
#include "sdk/modbus/line_scheduler.h"
#include "sdk/modbus/rtu_transport.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;

TEST(LedsTest, RxAndTxBlinkOnLineTraffic) {
  SimulatedClock clock;
  hal::FakeLeds leds(&clock);
  hal::LedIndicators indicators(&leds, &clock);
  ASSERT_THAT(indicators.Start(), IsOk());
  hal::FakeSerialPort port;  // real time; the exchange is immediate
  port.SetTrafficListener([&](hal::TrafficDirection direction, size_t) {
    direction == hal::TrafficDirection::kReceive ? indicators.OnRx()
                                                 : indicators.OnTx();
  });
  auto transport = RtuTransport::Create(&port);
  ASSERT_THAT(transport.status(), IsOk());
  LineScheduler line(*std::move(transport), LineOptions());
  // Read 1 register of unit 1 -> 42 (CRC-16/MODBUS computed independently).
  port.ExpectWrite({0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0A},
                   {0x01, 0x03, 0x02, 0x00, 0x2A, 0x39, 0x9B});
  auto value = line.ReadHoldingRegisters(1, 0, 1);
  ASSERT_THAT(value.status(), IsOk());
  EXPECT_EQ((*value)[0], 42);
  ASSERT_THAT(indicators.Tick(), IsOk());
  EXPECT_TRUE(leds.IsOn(hal::Led::kRx));
  EXPECT_TRUE(leds.IsOn(hal::Led::kTx));
  clock.Advance(absl::Milliseconds(60));
  ASSERT_THAT(indicators.Tick(), IsOk());
  EXPECT_FALSE(leds.IsOn(hal::Led::kRx));
  EXPECT_FALSE(leds.IsOn(hal::Led::kTx));
  EXPECT_TRUE(leds.IsOn(hal::Led::kPower));
}

}  // namespace
}  // namespace ews::modbus
