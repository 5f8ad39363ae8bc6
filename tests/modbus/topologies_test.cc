// The three concentrator topologies of the reference product, end to end
// over Modbus TCP and virtual RS485 lines:
//   all local      TCP client -> box gateway -> our RS485 line -> devices
//   all remote     box -> IP gateways (Modbus TCP) -> their RS485 -> devices
//   mixed          both, by unit-id range (with an id shift)
// "IP gateways" are GatewayServers with their own virtual line; the box
// reaches them with TcpTransport lines, as it reaches third-party gateways.
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/modbus/gateway_server.h"
#include "sdk/modbus/tcp_transport.h"
#include "tests/modbus/bus_fixture.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;
using testing::BusLine;
using ::testing::ElementsAre;
using ::testing::Optional;

std::unique_ptr<LineScheduler> TcpLine(uint16_t port, const char* name) {
  TcpOptions tcp;
  tcp.host = "127.0.0.1";
  tcp.port = port;
  LineOptions options;
  options.name = name;
  options.response_timeout = absl::Seconds(1);
  return std::make_unique<LineScheduler>(std::make_unique<TcpTransport>(tcp),
                                         options);
}

std::unique_ptr<GatewayServer> Gateway(std::vector<GatewayRoute> routes) {
  GatewayOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.routes = std::move(routes);
  options.identity.objects = {{0, "EWS"}, {1, "EWS-32"}, {2, "1.0"}};
  auto server = GatewayServer::Start(options);
  EXPECT_THAT(server.status(), IsOk());
  return server.ok() ? *std::move(server) : nullptr;
}

// A remote IP gateway with devices `first`..`first+count-1` on its line,
// holding register 0 = unit * 100.
struct RemoteGateway {
  std::unique_ptr<BusLine> line;
  std::unique_ptr<GatewayServer> server;
};
RemoteGateway StartRemote(uint8_t first, int count) {
  RemoteGateway remote;
  remote.line = *BusLine::Start();
  for (int i = 0; i < count; ++i) {
    remote.line->AddDevice(first + i).SetHolding(0,
                                                 {uint16_t((first + i) * 100)});
  }
  remote.server = Gateway({{1, 247, 0, &remote.line->line(), true, "rs485"}});
  return remote;
}

TEST(TopologiesTest, AllDevicesOnOurRs485) {
  auto local = BusLine::Start();
  ASSERT_THAT(local.status(), IsOk());
  for (uint8_t unit : {1, 2, 3})
    (*local)->AddDevice(unit).SetHolding(0, {unit});
  auto box = Gateway({{1, 247, 0, &(*local)->line(), true, "rs485"}});
  auto scada = TcpLine(box->port(), "scada");
  for (uint8_t unit : {1, 2, 3}) {
    auto value = scada->ReadHoldingRegisters(unit, 0, 1);
    ASSERT_THAT(value.status(), IsOk());
    EXPECT_THAT(*value, ElementsAre(unit));
  }
  EXPECT_THAT(
      ModbusExceptionCode(scada->ReadHoldingRegisters(4, 0, 1).status()),
      Optional(0x0B));
  EXPECT_THAT(
      ModbusExceptionCode(scada->ReadHoldingRegisters(250, 0, 1).status()),
      Optional(0x0A));
}

TEST(TopologiesTest, AllDevicesBehindIpGateways) {
  RemoteGateway a = StartRemote(1, 2);  // units 1, 2 on gateway A's line
  RemoteGateway b = StartRemote(1, 2);  // units 1, 2 on gateway B's line
  auto line_a = TcpLine(a.server->port(), "gw-a");
  auto line_b = TcpLine(b.server->port(), "gw-b");
  // Concentrator: the box polls the remote devices itself...
  auto direct_a = line_a->ReadHoldingRegisters(1, 0, 1);
  ASSERT_THAT(direct_a.status(), IsOk());
  auto local_a = a.line->line().ReadHoldingRegisters(1, 0, 1);
  ASSERT_THAT(local_a.status(), IsOk());
  auto direct = line_b->ReadHoldingRegisters(2, 0, 1);
  ASSERT_THAT(direct.status(), IsOk());
  EXPECT_THAT(*direct, ElementsAre(200));
  // ... and a TCP client reaches them through the box: 11-12 -> A (shift
  // -10), 21-22 -> B (shift -20).
  b.line->AddDevice(2).SetHolding(0, {222});
  auto box = Gateway({{11, 12, -10, line_a.get(), false, "gw-a"},
                      {21, 22, -20, line_b.get(), false, "gw-b"}});
  auto scada = TcpLine(box->port(), "scada");
  auto a1 = scada->ReadHoldingRegisters(11, 0, 1);
  ASSERT_THAT(a1.status(), IsOk());
  EXPECT_THAT(*a1, ElementsAre(100));
  auto b2 = scada->ReadHoldingRegisters(22, 0, 1);
  ASSERT_THAT(b2.status(), IsOk());
  EXPECT_THAT(*b2, ElementsAre(222));
  EXPECT_THAT(scada->WriteSingleRegister(21, 5, 77), IsOk());
  auto back = line_b->ReadHoldingRegisters(1, 5, 1);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_THAT(*back, ElementsAre(77));
  // The box answers for itself; unrouted units get 0x0A.
  EXPECT_EQ(scada->ReadDeviceIdentification(255)->objects.at(0), "EWS");
  EXPECT_THAT(
      ModbusExceptionCode(scada->ReadHoldingRegisters(1, 0, 1).status()),
      Optional(0x0A));
  // The remote gateway's own 0x0B for a silent unit comes back unchanged.
  EXPECT_THAT(
      ModbusExceptionCode(scada->ReadHoldingRegisters(13, 0, 1).status()),
      Optional(0x0A));
  EXPECT_EQ(line_a->stats().transactions, 2u);
}

TEST(TopologiesTest, MixedLocalAndRemote) {
  auto local = BusLine::Start();
  ASSERT_THAT(local.status(), IsOk());
  (*local)->AddDevice(5).SetHolding(0, {5});
  RemoteGateway remote = StartRemote(5, 1);  // its unit 5 holds 500
  auto line_remote = TcpLine(remote.server->port(), "gw");
  auto box = Gateway({{1, 99, 0, &(*local)->line(), true, "rs485"},
                      {100, 199, -95, line_remote.get(), false, "gw"}});
  auto scada = TcpLine(box->port(), "scada");
  auto here = scada->ReadHoldingRegisters(5, 0, 1);
  ASSERT_THAT(here.status(), IsOk());
  EXPECT_THAT(*here, ElementsAre(5));
  auto there = scada->ReadHoldingRegisters(100, 0, 1);
  ASSERT_THAT(there.status(), IsOk());
  EXPECT_THAT(*there, ElementsAre(500));
  // The remote gateway's line has no unit 6: its 0x0B comes back through us.
  EXPECT_THAT(
      ModbusExceptionCode(scada->ReadHoldingRegisters(101, 0, 1).status()),
      Optional(0x0B));
  // The remote gateway goes away: 0x0A for its units, local ones unaffected.
  remote.server->Stop();
  EXPECT_THAT(
      ModbusExceptionCode(scada->ReadHoldingRegisters(100, 0, 1).status()),
      Optional(0x0A));
  EXPECT_THAT(scada->ReadHoldingRegisters(5, 0, 1).status(), IsOk());
}

}  // namespace
}  // namespace ews::modbus
