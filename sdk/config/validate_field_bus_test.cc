// Bad configurations: the field bus (RS-485, Modbus TCP server and gateway
// routes, IP gateways, Modbus devices, pulse counters).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sdk/config/validate_test_cases.h"

namespace ews::config::validate_test {

std::vector<BadCase> FieldBusBadCases() {
  using C = v1::DeviceConfig;
  const double kNan = std::numeric_limits<double>::quiet_NaN();
  auto add_device = [](C& c, const std::string& id, uint32_t address) {
    v1::ModbusDevice* d = c.add_modbus_devices();
    d->set_id(id);
    d->set_name("Device " + id);
    d->set_profile("generic/meter");
    d->set_address(address);
    d->mutable_rs485();
    return d;
  };
  return {
      // --------------------------------------------------------- rs485
      {"Rs485DeviceNotUnderDev",
       [](C& c) { c.mutable_rs485()->set_device("ttyS0"); }, "rs485.device",
       "under /dev/"},
      {"UnsupportedBaudRate",
       [](C& c) { c.mutable_rs485()->set_baud_rate(14400); }, "rs485.baud_rate",
       "14400 bps is not supported"},
      {"BaudRateZero", [](C& c) { c.mutable_rs485()->set_baud_rate(0); },
       "rs485.baud_rate", "0 bps is not supported"},
      {"ParityUnspecified",
       [](C& c) { c.mutable_rs485()->set_parity(v1::PARITY_UNSPECIFIED); },
       "rs485.parity", "PARITY_UNSPECIFIED is not a valid choice"},
      {"StopBitsUnknown",
       [](C& c) {
         c.mutable_rs485()->set_stop_bits(static_cast<v1::StopBits>(3));
       },
       "rs485.stop_bits", "3 is not a known value"},
      {"ResponseTimeoutTooShort",
       [](C& c) { c.mutable_rs485()->set_response_timeout_ms(5); },
       "rs485.response_timeout_ms", "5 ms is outside 20..5000 ms"},
      {"InterFrameDelayTooLong",
       [](C& c) { c.mutable_rs485()->set_inter_frame_delay_ms(2000); },
       "rs485.inter_frame_delay_ms", "outside 0..1000"},
      {"TooManyRetries", [](C& c) { c.mutable_rs485()->set_retries(9); },
       "rs485.retries", "9 is outside 0..5"},
      {"AbsentAfterTooManyMisses",
       [](C& c) { c.mutable_rs485()->set_absent_after_misses(101); },
       "rs485.absent_after_misses", "101 is outside 1..100"},
      {"AbsentProbeIntervalTooLong",
       [](C& c) { c.mutable_rs485()->set_absent_probe_interval_s(3601); },
       "rs485.absent_probe_interval_s", "3601 s is outside 1..3600 s"},
      // --------------------------------------------- modbus tcp server
      {"ModbusServerPortIsHttps",
       [](C& c) { c.mutable_modbus_tcp_server()->set_port(443); },
       "modbus_tcp_server.port", "also web.https_port"},
      {"ModbusServerPortIsRedirect",
       [](C& c) { c.mutable_modbus_tcp_server()->set_port(80); },
       "modbus_tcp_server.port", "also web.http_redirect_port"},
      {"ModbusServerNoConnections",
       [](C& c) { c.mutable_modbus_tcp_server()->set_max_connections(0); },
       "modbus_tcp_server.max_connections", "0 is outside 1..128"},
      {"GatewayRouteUnitOutOfRange",
       [](C& c) {
         auto* route = c.mutable_modbus_tcp_server()->add_routes();
         route->set_first_unit(0);
         route->set_last_unit(10);
         route->mutable_rs485();
       },
       "modbus_tcp_server.routes[0].first_unit", "0 is outside 1..247"},
      {"GatewayRoutesOverlap",
       [](C& c) {
         auto* first = c.mutable_modbus_tcp_server()->add_routes();
         first->set_first_unit(1);
         first->set_last_unit(20);
         first->mutable_rs485();
         auto* second = c.mutable_modbus_tcp_server()->add_routes();
         second->set_first_unit(20);
         second->set_last_unit(30);
         second->mutable_rs485();
       },
       "modbus_tcp_server.routes[1].first_unit", "overlap"},
      {"GatewayRouteShiftLeavesUnitRange",
       [](C& c) {
         auto* route = c.mutable_modbus_tcp_server()->add_routes();
         route->set_first_unit(100);
         route->set_last_unit(200);
         route->set_unit_shift(100);
         route->mutable_rs485();
       },
       "modbus_tcp_server.routes[0].unit_shift", "outside 1..247"},
      {"GatewayRouteToUnknownGateway",
       [](C& c) {
         auto* route = c.mutable_modbus_tcp_server()->add_routes();
         route->set_first_unit(1);
         route->set_last_unit(10);
         route->mutable_ip_gateway()->set_gateway_id("nowhere");
       },
       "modbus_tcp_server.routes[0].ip_gateway.gateway_id",
       "not an ip_gateways"},
      {"GatewayRouteWithoutTarget",
       [](C& c) {
         auto* route = c.mutable_modbus_tcp_server()->add_routes();
         route->set_first_unit(1);
         route->set_last_unit(10);
       },
       "modbus_tcp_server.routes[0].target", "choose rs485 or ip_gateway"},
      {"ModbusServerIdleTimeoutZero",
       [](C& c) { c.mutable_modbus_tcp_server()->set_idle_timeout_s(0); },
       "modbus_tcp_server.idle_timeout_s", "outside 1..3600"},
      {"GatewayRequestTimeoutTooShort",
       [](C& c) { c.mutable_modbus_tcp_server()->set_request_timeout_ms(50); },
       "modbus_tcp_server.request_timeout_ms", "50 ms is outside 100..60000"},
      {"GatewayRequestTimeoutTooLong",
       [](C& c) {
         c.mutable_modbus_tcp_server()->set_request_timeout_ms(60001);
       },
       "modbus_tcp_server.request_timeout_ms", "outside 100..60000"},
      {"GatewayBindAddressNotAnAddress",
       [](C& c) { c.mutable_modbus_tcp_server()->set_bind_address("eth0"); },
       "modbus_tcp_server.bind_address", "\"eth0\" is not an IP address"},
      {"GatewayBindAddressNotOfThisBox",
       [](C& c) {
         c.mutable_modbus_tcp_server()->set_bind_address("192.168.1.7");
       },
       "modbus_tcp_server.bind_address",
       "192.168.1.7 is not an address of this box"},
      {"AllowedClientBadPrefix",
       [](C& c) {
         c.mutable_modbus_tcp_server()->add_allowed_clients("10.0.0.0/8");
         c.mutable_modbus_tcp_server()->add_allowed_clients("10.0.0.0/33");
       },
       "modbus_tcp_server.allowed_clients[1]", "not a CIDR"},
      {"AllowedClientNoPrefix",
       [](C& c) {
         c.mutable_modbus_tcp_server()->add_allowed_clients("10.0.0.1");
       },
       "modbus_tcp_server.allowed_clients[0]", "not a CIDR"},
      // --------------------------------------------------- ip gateways
      {"GatewayIdUppercase",
       [](C& c) {
         c.mutable_ip_gateways(0)->set_id("GW1");
         c.mutable_modbus_devices(2)->mutable_ip_gateway()->set_gateway_id(
             "GW1");
       },
       "ip_gateways[0].id", "not an id"},
      {"GatewayIdDuplicate",
       [](C& c) {
         v1::IpGateway* gw = c.add_ip_gateways();
         *gw = c.ip_gateways(0);
         gw->set_host("192.168.1.21");
       },
       "ip_gateways[1].id", "\"gw1\" is also ip_gateways[0].id"},
      {"GatewayEndpointDuplicate",
       [](C& c) {
         v1::IpGateway* gw = c.add_ip_gateways();
         *gw = c.ip_gateways(0);
         gw->set_id("gw2");
       },
       "ip_gateways[1].host", "192.168.1.20:502 is also ip_gateways[0]"},
      {"GatewayAbsentAfterTooManyMisses",
       [](C& c) { c.mutable_ip_gateways(0)->set_absent_after_misses(1000); },
       "ip_gateways[0].absent_after_misses", "1000 is outside 1..100"},
      {"GatewayAbsentProbeIntervalTooLong",
       [](C& c) {
         c.mutable_ip_gateways(0)->set_absent_probe_interval_s(86400);
       },
       "ip_gateways[0].absent_probe_interval_s", "outside 1..3600 s"},
      {"GatewayLoopsToOwnServer",
       [](C& c) { c.mutable_ip_gateways(0)->set_host("192.168.1.100"); },
       "ip_gateways[0].host",
       "192.168.1.100:502 is this box's own Modbus TCP server"},
      {"GatewayLoopsToLoopback",
       [](C& c) { c.mutable_ip_gateways(0)->set_host("127.0.0.1"); },
       "ip_gateways[0].host", "own Modbus TCP server (polling it would loop)"},
      {"NtpNameWithoutDns",
       [](C& c) {
         c.mutable_network()->clear_dns_servers();
         c.mutable_reports()->mutable_email()->mutable_smtp()->set_host(
             "192.168.1.25");
       },
       "network.ntp_servers[0]",
       "\"pool.ntp.org\" is a host name but network.dns_servers is empty"},
      {"SmtpNameWithoutDns",
       [](C& c) {
         c.mutable_network()->clear_dns_servers();
         c.mutable_network()->clear_ntp_servers();
       },
       "reports.email.smtp.host", "network.dns_servers is empty"},
      {"GatewayNameWithoutDns",
       [](C& c) {
         c.mutable_network()->clear_dns_servers();
         c.mutable_network()->set_ntp_servers(0, "192.168.1.1");
         c.mutable_reports()->mutable_list(0)->set_enabled(false);
         c.mutable_ip_gateways(0)->set_host("gw1.site.lan");
       },
       "ip_gateways[0].host", "\"gw1.site.lan\" is a host name"},
      {"GatewayHostEmpty", [](C& c) { c.mutable_ip_gateways(0)->clear_host(); },
       "ip_gateways[0].host", "must not be empty"},
      {"GatewayProtocolUnspecified",
       [](C& c) {
         c.mutable_ip_gateways(0)->set_protocol(
             v1::GATEWAY_PROTOCOL_UNSPECIFIED);
       },
       "ip_gateways[0].protocol", "must be set"},
      {"GatewayPortZero", [](C& c) { c.mutable_ip_gateways(0)->set_port(0); },
       "ip_gateways[0].port", "0 is outside 1..65535"},
      // ------------------------------------------------ modbus devices
      {"DeviceAddressZero",
       [](C& c) { c.mutable_modbus_devices(1)->set_address(0); },
       "modbus_devices[1].address", "0 is outside 1..247"},
      {"DeviceAddress248OnRs485",
       [](C& c) { c.mutable_modbus_devices(1)->set_address(248); },
       "modbus_devices[1].address", "248 is outside 1..247"},
      {"DuplicateAddressOnRs485",
       [](C& c) { c.mutable_modbus_devices(1)->set_address(1); },
       "modbus_devices[1].address",
       "1 is already used on the RS485 line by modbus_devices[0] (\"Main "
       "meter\")"},
      {"DuplicateUnitIdOnGateway",
       [add_device](C& c) {
         v1::ModbusDevice* d = add_device(c, "pv2", 1);
         d->mutable_ip_gateway()->set_gateway_id("gw1");
       },
       "modbus_devices[3].address", "already used on ip gateway \"gw1\""},
      {"GatewayUnitIdOutOfRange",
       [](C& c) { c.mutable_modbus_devices(2)->set_address(250); },
       "modbus_devices[2].address", "or 255"},
      {"UnitId255ThroughRtuOverTcp",
       [](C& c) {
         c.mutable_ip_gateways(0)->set_protocol(
             v1::GATEWAY_PROTOCOL_RTU_OVER_TCP);
         c.mutable_modbus_devices(2)->set_address(255);
       },
       "modbus_devices[2].address", "not possible through an RTU-over-TCP"},
      {"DeviceUnknownGateway",
       [](C& c) {
         c.mutable_modbus_devices(2)->mutable_ip_gateway()->set_gateway_id(
             "gw9");
       },
       "modbus_devices[2].ip_gateway.gateway_id", "not the id of any"},
      {"DeviceLinkNotSet",
       [](C& c) { c.mutable_modbus_devices(0)->clear_link(); },
       "modbus_devices[0].link", "choose rs485 or ip_gateway"},
      {"DeviceIdDuplicate", [add_device](C& c) { add_device(c, "main", 3); },
       "modbus_devices[3].id", "\"main\" is also modbus_devices[0].id"},
      {"DeviceIdEmpty", [add_device](C& c) { add_device(c, "", 3); },
       "modbus_devices[3].id", "not an id"},
      {"DeviceNameSharedWithCounter",
       [](C& c) { c.mutable_pulse_counters(1)->set_name("HVAC"); },
       "pulse_counters[1].name", "\"HVAC\" is also modbus_devices[1].name"},
      {"DeviceIdSharedWithCounter",
       [add_device](C& c) { add_device(c, "water", 3); },
       "pulse_counters[0].id", "\"water\" is also modbus_devices[3].id"},
      {"DeviceProfileEmpty",
       [](C& c) { c.mutable_modbus_devices(0)->clear_profile(); },
       "modbus_devices[0].profile", "not a profile id"},
      {"DeviceLocationTooLong",
       [](C& c) {
         c.mutable_modbus_devices(0)->set_location(std::string(129, 'l'));
       },
       "modbus_devices[0].location", "at most 128"},
      {"DevicePollIntervalTooLong",
       [](C& c) { c.mutable_modbus_devices(0)->set_poll_interval_s(4000); },
       "modbus_devices[0].poll_interval_s", "outside 0..3600"},
      {"MoreDevicesThanModel10",
       [add_device](C& c) {
         c.set_model_size(v1::MODEL_10);
         for (int i = 0; i < 6; ++i) {
           add_device(c, absl::StrCat("extra", i), 10 + i);
         }
       },
       "model_size",
       "9 Modbus devices + 2 pulse counters = 11 exceed the MODEL_10 limit of "
       "10"},
      {"MoreDevicesThanModel32",
       [add_device](C& c) {
         for (int i = 0; i < 28; ++i) {
           add_device(c, absl::StrCat("extra", i), 10 + i);
         }
       },
       "model_size", "= 33 exceed the MODEL_32 limit of 32"},
      // ------------------------------------------------ pulse counters
      {"PulseInputZero",
       [](C& c) { c.mutable_pulse_counters(0)->set_input(0); },
       "pulse_counters[0].input", "0 is outside 1..32"},
      {"PulseInputBeyondModel10",
       [](C& c) {
         c.set_model_size(v1::MODEL_10);
         c.mutable_pulse_counters(1)->set_input(11);
       },
       "pulse_counters[1].input", "11 is outside 1..10"},
      {"PulseInputDuplicate",
       [](C& c) { c.mutable_pulse_counters(1)->set_input(1); },
       "pulse_counters[1].input", "already used by pulse_counters[0]"},
      {"PulseKindUnspecified",
       [](C& c) {
         c.mutable_pulse_counters(0)->set_kind(v1::PULSE_KIND_UNSPECIFIED);
       },
       "pulse_counters[0].kind", "must be set"},
      {"PulseUnitUnspecified",
       [](C& c) {
         c.mutable_pulse_counters(0)->set_unit(v1::PULSE_UNIT_UNSPECIFIED);
       },
       "pulse_counters[0].unit", "must be set"},
      {"WaterCountedInKwh",
       [](C& c) { c.mutable_pulse_counters(0)->set_unit(v1::PULSE_UNIT_KWH); },
       "pulse_counters[0].unit", "PULSE_UNIT_KWH does not measure"},
      {"EnergyCountedInLitres",
       [](C& c) {
         c.mutable_pulse_counters(0)->set_kind(v1::PULSE_KIND_ENERGY);
       },
       "pulse_counters[0].unit", "does not measure PULSE_KIND_ENERGY"},
      {"QuantityPerPulseZero",
       [](C& c) { c.mutable_pulse_counters(0)->set_quantity_per_pulse(0); },
       "pulse_counters[0].quantity_per_pulse", "not in (0, 1e6]"},
      {"QuantityPerPulseNegative",
       [](C& c) { c.mutable_pulse_counters(0)->set_quantity_per_pulse(-1); },
       "pulse_counters[0].quantity_per_pulse", "not in (0, 1e6]"},
      {"QuantityPerPulseNan",
       [kNan](C& c) {
         c.mutable_pulse_counters(0)->set_quantity_per_pulse(kNan);
       },
       "pulse_counters[0].quantity_per_pulse", "not in (0, 1e6]"},
      {"StartingIndexNegative",
       [](C& c) { c.mutable_pulse_counters(0)->set_starting_index(-5); },
       "pulse_counters[0].starting_index", "not a reading >= 0"},
      {"StartingIndexNan",
       [kNan](C& c) { c.mutable_pulse_counters(0)->set_starting_index(kNan); },
       "pulse_counters[0].starting_index", "not a reading >= 0"},
      {"StartingIndexBeyond2To53Pulses",
       [](C& c) {
         c.mutable_pulse_counters(0)->set_quantity_per_pulse(0.01);
         c.mutable_pulse_counters(0)->set_starting_index(1e14);
       },
       "pulse_counters[0].starting_index", "at most 2^53 pulses"},
      {"PulseWidthTooLong",
       [](C& c) { c.mutable_pulse_counters(0)->set_min_pulse_width_ms(5000); },
       "pulse_counters[0].min_pulse_width_ms", "outside 0..1000"},
  };
}

}  // namespace ews::config::validate_test
