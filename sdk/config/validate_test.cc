#include "sdk/config/validate.h"

#include <cmath>
#include <functional>
#include <limits>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/test_util.h"

namespace ews::config {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Describe(const std::vector<FieldError>& errors) {
  std::vector<std::string> lines;
  for (const FieldError& e : errors) lines.push_back(e.ToString());
  return absl::StrJoin(lines, "\n");
}

TEST(ValidateTest, FactoryConfigIsValid) {
  EXPECT_THAT(Validate(testing::FactoryConfig()), IsOk());
}

TEST(ValidateTest, RichConfigIsValid) {
  EXPECT_THAT(Validate(testing::RichConfig()), IsOk())
      << Describe(FindErrors(testing::RichConfig()));
}

// One bad configuration: RichConfig() changed by `mutate`; Validate() must
// name `field` (exactly, as the first error's path) and say `message`.
struct BadCase {
  std::string name;
  std::function<void(v1::DeviceConfig&)> mutate;
  std::string field;
  std::string message;
  size_t error_count = 1;
};

void PrintTo(const BadCase& bad, std::ostream* os) { *os << bad.name; }

std::vector<BadCase> BadCases() {
  using C = v1::DeviceConfig;
  const double kNan = std::numeric_limits<double>::quiet_NaN();
  const double kInf = std::numeric_limits<double>::infinity();
  auto add_device = [](C& c, const std::string& id, uint32_t address) {
    v1::ModbusDevice* d = c.add_modbus_devices();
    d->set_id(id);
    d->set_name("Device " + id);
    d->set_profile("generic/meter");
    d->set_address(address);
    d->mutable_rs485();
    return d;
  };
  auto band = [](C& c, int i) {
    return c.mutable_tariffs(0)->mutable_bands(i);
  };
  return {
      // ------------------------------------------------------ identity
      {"SchemaVersionZero", [](C& c) { c.set_schema_version(0); },
       "schema_version", "must be set"},
      {"SchemaVersionNewer", [](C& c) { c.set_schema_version(2); },
       "schema_version", "newer software"},
      {"SiteNameEmpty", [](C& c) { c.mutable_site()->clear_name(); },
       "site.name", "must not be empty"},
      {"SiteNameTooLong",
       [](C& c) { c.mutable_site()->set_name(std::string(65, 'x')); },
       "site.name", "65 characters long"},
      {"SiteNameControlChar", [](C& c) { c.mutable_site()->set_name("a\nb"); },
       "site.name", "control characters"},
      {"SiteSerialBadChars",
       [](C& c) { c.mutable_site()->set_serial("EWS 01"); }, "site.serial",
       "not a serial number"},
      {"ModelSizeUnspecified",
       [](C& c) { c.set_model_size(v1::MODEL_SIZE_UNSPECIFIED); }, "model_size",
       "must be set"},
      {"ModelSizeUnknown",
       [](C& c) { c.set_model_size(static_cast<v1::ModelSize>(7)); },
       "model_size", "7 is not a known value"},
      // ------------------------------------------------------- network
      {"HostnameLeadingDash",
       [](C& c) { c.mutable_network()->set_hostname("-ews"); },
       "network.hostname", "not a host name"},
      {"Ipv4NotChosen", [](C& c) { c.mutable_network()->clear_ipv4(); },
       "network.ipv4", "choose static_ipv4 or dhcp"},
      {"StaticAddressNotIpv4",
       [](C& c) {
         c.mutable_network()->mutable_static_ipv4()->set_address(
             "192.168.1.300");
       },
       "network.static_ipv4.address", "not an IPv4 address"},
      {"StaticAddressLeadingZero",
       [](C& c) {
         c.mutable_network()->mutable_static_ipv4()->set_address(
             "192.168.001.100");
       },
       "network.static_ipv4.address", "not an IPv4 address"},
      {"StaticAddressLoopback",
       [](C& c) {
         c.mutable_network()->mutable_static_ipv4()->set_address("127.0.0.1");
         c.mutable_network()->mutable_static_ipv4()->clear_gateway();
       },
       "network.static_ipv4.address", "not a usable host address"},
      {"NetmaskNotContiguous",
       [](C& c) {
         c.mutable_network()->mutable_static_ipv4()->set_netmask("255.0.255.0");
       },
       "network.static_ipv4.netmask", "contiguous"},
      {"AddressIsBroadcast",
       [](C& c) {
         c.mutable_network()->mutable_static_ipv4()->set_address(
             "192.168.1.255");
       },
       "network.static_ipv4.address", "broadcast"},
      {"GatewayOutsideSubnet",
       [](C& c) {
         c.mutable_network()->mutable_static_ipv4()->set_gateway("192.168.2.1");
       },
       "network.static_ipv4.gateway", "not in the subnet"},
      {"GatewayIsOwnAddress",
       [](C& c) {
         c.mutable_network()->mutable_static_ipv4()->set_gateway(
             "192.168.1.100");
       },
       "network.static_ipv4.gateway", "own address"},
      {"DnsServerNotIp",
       [](C& c) { c.mutable_network()->set_dns_servers(0, "dns.example"); },
       "network.dns_servers[0]", "not an IPv4 or IPv6 address"},
      {"DnsServerWithEmbeddedNul",
       [](C& c) {
         c.mutable_network()->set_dns_servers(
             0, std::string("192.168.1.1\0x", 13));
       },
       "network.dns_servers[0]", "not an IPv4 or IPv6 address"},
      {"TooManyDnsServers",
       [](C& c) {
         for (int i = 0; i < 3; ++i)
           c.mutable_network()->add_dns_servers("::1");
       },
       "network.dns_servers", "at most 3"},
      {"NtpServerBadHost",
       [](C& c) { c.mutable_network()->set_ntp_servers(0, "pool ntp.org"); },
       "network.ntp_servers[0]", "not a host name"},
      {"NtpServerBadNumericHost",
       [](C& c) { c.mutable_network()->set_ntp_servers(0, "999.1.1.1"); },
       "network.ntp_servers[0]", "not a host name"},
      {"TimeZoneEmpty", [](C& c) { c.mutable_network()->clear_time_zone(); },
       "network.time_zone", "IANA"},
      {"TimeZoneDotDot",
       [](C& c) { c.mutable_network()->set_time_zone("Europe/../../etc"); },
       "network.time_zone", "IANA"},
      // ----------------------------------------------------------- web
      {"HttpsPortZero", [](C& c) { c.mutable_web()->set_https_port(0); },
       "web.https_port", "0 is outside 1..65535"},
      {"HttpsPortTooLarge",
       [](C& c) { c.mutable_web()->set_https_port(70000); }, "web.https_port",
       "70000 is outside 1..65535"},
      {"RedirectPortIsHttpsPort",
       [](C& c) { c.mutable_web()->set_http_redirect_port(443); },
       "web.http_redirect_port", "also web.https_port"},
      {"BindAddressNotIp",
       [](C& c) { c.mutable_web()->set_bind_address("localhost"); },
       "web.bind_address", "not an IP address"},
      {"BindAddressNotOwn",
       [](C& c) { c.mutable_web()->set_bind_address("10.0.0.5"); },
       "web.bind_address",
       "10.0.0.5 is not an address of this box (0.0.0.0, 127.0.0.1 or "
       "192.168.1.100)"},
      {"CertificateWithoutKey",
       [](C& c) {
         c.mutable_web()->set_tls_certificate_path("/etc/ews/cert.pem");
       },
       "web.tls_private_key_path", "must be set together"},
      {"CertificatePathRelative",
       [](C& c) {
         c.mutable_web()->set_tls_certificate_path("cert.pem");
         c.mutable_web()->set_tls_private_key_path("/etc/ews/key.pem");
       },
       "web.tls_certificate_path", "not an absolute path"},
      {"SessionTimeoutTooShort",
       [](C& c) { c.mutable_web()->set_session_timeout_s(10); },
       "web.session_timeout_s", "10 s is outside 60..86400 s"},
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
         c.mutable_reports()->mutable_email()->set_enabled(false);
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
      {"PulseWidthTooLong",
       [](C& c) { c.mutable_pulse_counters(0)->set_min_pulse_width_ms(5000); },
       "pulse_counters[0].min_pulse_width_ms", "outside 0..1000"},
      // ---------------------------------------------- consumption tree
      {"BoardIdDuplicate",
       [](C& c) {
         v1::Board* b = c.mutable_consumption_tree()->add_boards();
         b->set_id("main");
         b->set_name("Another");
       },
       "consumption_tree.boards[2].id", "\"main\" is also boards[0].id"},
      {"BoardNameEmpty",
       [](C& c) {
         c.mutable_consumption_tree()->mutable_boards(1)->clear_name();
       },
       "consumption_tree.boards[1].name", "must not be empty"},
      {"BoardParentMissing",
       [](C& c) {
         c.mutable_consumption_tree()->mutable_boards(1)->set_parent_board_id(
             "basement");
       },
       "consumption_tree.boards[1].parent_board_id",
       "\"basement\" is not the id of any board"},
      {"BoardIsItsOwnParent",
       [](C& c) {
         c.mutable_consumption_tree()->mutable_boards(1)->set_parent_board_id(
             "annex");
       },
       "consumption_tree.boards[1].parent_board_id", "(cycle)"},
      {"BoardsFormACycle",
       [](C& c) {
         c.mutable_consumption_tree()->mutable_boards(0)->set_parent_board_id(
             "annex");
       },
       "consumption_tree.boards[0].parent_board_id",
       "\"annex\" leads back to this board (cycle)", 2},
      {"GroupIdDuplicate",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(1)
             ->mutable_groups(0)
             ->set_id("lighting");
       },
       "consumption_tree.boards[1].groups[0].id",
       "is also consumption_tree.boards[0].groups[0].id"},
      {"MemberUnknownDevice",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(0)
             ->mutable_groups(0)
             ->mutable_members(0)
             ->mutable_modbus()
             ->set_device_id("ghost");
       },
       "consumption_tree.boards[0].groups[0].members[0].modbus.device_id",
       "\"ghost\" is not the id of any modbus_devices entry"},
      {"MemberUnknownPulseCounter",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(0)
             ->mutable_groups(1)
             ->mutable_members(1)
             ->set_pulse_counter_id("oil");
       },
       "consumption_tree.boards[0].groups[1].members[1].pulse_counter_id",
       "\"oil\" is not the id of any pulse_counters entry"},
      {"MemberEmptyQuantity",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(0)
             ->mutable_groups(0)
             ->mutable_members(0)
             ->mutable_modbus()
             ->clear_quantity_id();
       },
       "consumption_tree.boards[0].groups[0].members[0].modbus.quantity_id",
       "not a quantity id"},
      {"MemberSourceNotSet",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(0)
             ->mutable_groups(0)
             ->add_members();
       },
       "consumption_tree.boards[0].groups[0].members[1].source",
       "choose modbus or pulse_counter_id"},
      {"QuantityCountedTwice",
       [](C& c) {
         v1::MeterRef* m = c.mutable_consumption_tree()
                               ->mutable_boards(1)
                               ->mutable_groups(0)
                               ->add_members();
         m->mutable_modbus()->set_device_id("main");
         m->mutable_modbus()->set_quantity_id("Ea+");
       },
       "consumption_tree.boards[1].groups[0].members[2]",
       "is already counted at consumption_tree.boards[0].groups[0].members[0]"},
      {"PulseCounterCountedTwice",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(1)
             ->mutable_groups(0)
             ->add_members()
             ->set_pulse_counter_id("gas");
       },
       "consumption_tree.boards[1].groups[0].members[2]",
       "pulse counter \"gas\" is already counted"},
      // ------------------------------------------------------- tariffs
      {"TariffCurrencyLowercase",
       [](C& c) { c.mutable_tariffs(0)->set_currency("eur"); },
       "tariffs[0].currency", "ISO 4217"},
      {"TariffWithoutBands", [](C& c) { c.mutable_tariffs(0)->clear_bands(); },
       "tariffs[0].bands", "at least one time band"},
      {"TariffQuantityUnspecified",
       [](C& c) {
         c.mutable_tariffs(0)->set_quantity(v1::TARIFF_QUANTITY_UNSPECIFIED);
       },
       "tariffs[0].quantity", "must be set"},
      {"TwoElectricityTariffs",
       [](C& c) {
         v1::Tariff* t = c.add_tariffs();
         *t = c.tariffs(0);
         t->set_id("electricity2");
       },
       "tariffs[1].quantity",
       "TARIFF_QUANTITY_ELECTRICITY already has a tariff: tariffs[0]"},
      {"BandWeekdayMaskZero", [band](C& c) { band(c, 2)->set_weekday_mask(0); },
       "tariffs[0].bands[2].weekday_mask", "0 is outside 1..127"},
      {"BandWeekdayMaskTooLarge",
       [band](C& c) { band(c, 2)->set_weekday_mask(128); },
       "tariffs[0].bands[2].weekday_mask", "128 is outside 1..127"},
      {"BandStartPastMidnight",
       [band](C& c) { band(c, 2)->set_start_minute(1440); },
       "tariffs[0].bands[2].start_minute", "1440 is outside 0..1439"},
      {"BandEndZero", [band](C& c) { band(c, 2)->set_end_minute(0); },
       "tariffs[0].bands[2].end_minute", "0 is outside 1..1440"},
      {"BandEmpty", [band](C& c) { band(c, 2)->set_end_minute(360); },
       "tariffs[0].bands[2].end_minute", "equals start_minute"},
      {"BandsOverlap", [band](C& c) { band(c, 0)->set_end_minute(1330); },
       "tariffs[0].bands[1]", "overlaps bands[0] at Monday 22:00"},
      {"WrappingBandOverlapsNextDay",
       [band](C& c) { band(c, 2)->set_start_minute(300); },
       "tariffs[0].bands[2]", "overlaps bands[1] at Saturday 05:00"},
      {"BandPriceNegative",
       [band](C& c) { band(c, 0)->set_price_per_unit(-0.1); },
       "tariffs[0].bands[0].price_per_unit", "not in [0, 1e6]"},
      {"BandPriceInfinite",
       [band, kInf](C& c) { band(c, 0)->set_price_per_unit(kInf); },
       "tariffs[0].bands[0].price_per_unit", "not in [0, 1e6]"},
      // --------------------------------------------------------- users
      {"UserMissing", [](C& c) { c.mutable_users()->DeleteSubrange(2, 1); },
       "users", "no user has role ROLE_INSTALLER"},
      {"UserRoleDuplicate",
       [](C& c) { c.mutable_users(3)->set_role(v1::ROLE_ADMINISTRATOR); },
       "users[3].role", "ROLE_ADMINISTRATOR is also users[0].role", 2},
      {"UserRoleUnspecified",
       [](C& c) { c.mutable_users(1)->set_role(v1::ROLE_UNSPECIFIED); },
       "users[1].role", "must be set", 2},
      {"UserPinMissing", [](C& c) { c.mutable_users(0)->clear_pin(); },
       "users[0].pin", "must be set"},
      {"UserPukMissing", [](C& c) { c.mutable_users(0)->clear_puk(); },
       "users[0].puk", "must be set"},
      {"UserPinHashTruncated",
       [](C& c) { c.mutable_users(0)->mutable_pin()->set_hash("short"); },
       "users[0].pin.hash", "is 5 bytes, 32 expected"},
      {"UserPukSaltShort",
       [](C& c) { c.mutable_users(2)->mutable_puk()->set_salt("salt"); },
       "users[2].puk.salt", "is 4 bytes, at least 16 needed"},
      {"UserPinWeakIterations",
       [](C& c) { c.mutable_users(1)->mutable_pin()->set_iterations(1000); },
       "users[1].pin.iterations", "1000 is outside 10000..10000000"},
      {"UserPinAlgorithmUnspecified",
       [](C& c) {
         c.mutable_users(0)->mutable_pin()->set_algorithm(
             v1::HASH_ALGORITHM_UNSPECIFIED);
       },
       "users[0].pin.algorithm", "must be set"},
      // --------------------------------------------------- data access
      {"FtpPortZero",
       [](C& c) { c.mutable_data_access()->mutable_ftp()->set_port(0); },
       "data_access.ftp.port", "0 is outside 1..65535"},
      {"FtpPassiveRangeInverted",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_passive_port_max(49999);
       },
       "data_access.ftp.passive_port_max", "must be within passive_port_min"},
      {"FtpPassiveRangeTooWide",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_passive_port_max(60000);
       },
       "data_access.ftp.passive_port_max", "must be within passive_port_min"},
      {"FtpPassivePortPrivileged",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_passive_port_min(80);
         c.mutable_data_access()->mutable_ftp()->set_passive_port_max(1050);
       },
       "data_access.ftp.passive_port_min", "80 is outside 1024..65535"},
      {"FtpPortInsidePassiveRange",
       [](C& c) { c.mutable_data_access()->mutable_ftp()->set_port(50005); },
       "data_access.ftp.port", "is inside the passive port range"},
      {"FtpOnTheHttpsPort",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_enabled(true);
         c.mutable_data_access()->mutable_ftp()->set_port(443);
       },
       "data_access.ftp.port", "already used by HTTPS"},
      {"FtpNoConnections",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_max_connections(0);
       },
       "data_access.ftp.max_connections", "0 is outside 1..64"},
      {"FtpIdleTooShort",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_idle_timeout_s(1);
       },
       "data_access.ftp.idle_timeout_s", "1 s is outside 10..3600 s"},
      {"FtpTransferTooLong",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_transfer_timeout_s(90000);
       },
       "data_access.ftp.transfer_timeout_s", "is outside 10..86400 s"},
      // ------------------------------------------------------- storage
      {"MinuteTierZero",
       [](C& c) { c.mutable_storage()->set_minute_tier_days(0); },
       "storage.minute_tier_days", "0 days is outside 1..3650 days"},
      {"HourTierShorterThanMinuteTier",
       [](C& c) { c.mutable_storage()->set_hour_tier_days(30); },
       "storage.hour_tier_days",
       "30 days is outside storage.minute_tier_days (60)..36500"},
      {"BudgetTooSmall",
       [](C& c) { c.mutable_storage()->set_non_counter_budget_bytes(1000); },
       "storage.non_counter_budget_bytes", "1000 bytes is outside"},
      {"CommitIntervalTooShort",
       [](C& c) { c.mutable_storage()->set_commit_interval_s(5); },
       "storage.commit_interval_s", "5 s is outside 10..3600 s"},
      {"CommitIntervalTooLong",
       [](C& c) { c.mutable_storage()->set_commit_interval_s(7200); },
       "storage.commit_interval_s", "7200 s is outside 10..3600 s"},
      // ------------------------------------------------------- reports
      {"EmailWithoutRecipients",
       [](C& c) { c.mutable_reports()->mutable_email()->clear_recipients(); },
       "reports.email.recipients", "0 recipients given, 1..10 needed"},
      {"EmailBadRecipient",
       [](C& c) {
         c.mutable_reports()->mutable_email()->add_recipients("bob@");
       },
       "reports.email.recipients[1]", "\"bob@\" is not an e-mail address"},
      {"EmailHourly",
       [](C& c) {
         c.mutable_reports()->mutable_email()->set_period(v1::PERIOD_HOURLY);
       },
       "reports.email.period", "PERIOD_HOURLY is not offered"},
      {"EmailSmtpHostEmpty",
       [](C& c) {
         c.mutable_reports()->mutable_email()->mutable_smtp()->clear_host();
       },
       "reports.email.smtp.host", "must not be empty"},
      {"EmailSmtpTlsUnspecified",
       [](C& c) {
         c.mutable_reports()->mutable_email()->mutable_smtp()->set_tls_mode(
             v1::TLS_MODE_UNSPECIFIED);
       },
       "reports.email.smtp.tls_mode", "must be set"},
      {"EmailPasswordWithoutUser",
       [](C& c) {
         c.mutable_reports()->mutable_email()->mutable_smtp()->clear_username();
       },
       "reports.email.smtp.password", "username is empty"},
      {"EmailFromAddressBad",
       [](C& c) {
         c.mutable_reports()->mutable_email()->set_from_address("ews");
       },
       "reports.email.from_address", "not an e-mail address"},
      {"EmailSendAtMinuteTooLarge",
       [](C& c) {
         c.mutable_reports()->mutable_email()->set_send_at_minute(1440);
       },
       "reports.email.send_at_minute", "1440 is outside 0..1439"},
      {"DisabledEmailWithUnknownEnum",
       [](C& c) {
         c.mutable_reports()->mutable_email()->set_enabled(false);
         c.mutable_reports()->mutable_email()->set_period(
             static_cast<v1::Period>(9));
       },
       "reports.email.period", "9 is not a known value"},
      {"SftpWithStartTls",
       [](C& c) {
         v1::FtpExport* ftp = c.mutable_reports()->mutable_ftp();
         ftp->set_enabled(true);
         ftp->set_host("files.example.com");
         ftp->set_protocol(v1::FTP_PROTOCOL_SFTP);
         ftp->set_port(22);
       },
       "reports.ftp.tls_mode", "must be TLS_MODE_NONE with FTP_PROTOCOL_SFTP"},
      {"FtpRelativeDirectory",
       [](C& c) {
         v1::FtpExport* ftp = c.mutable_reports()->mutable_ftp();
         ftp->set_enabled(true);
         ftp->set_host("files.example.com");
         ftp->set_remote_directory("exports");
       },
       "reports.ftp.remote_directory", "not an absolute path"},
      {"FtpHostMissing",
       [](C& c) { c.mutable_reports()->mutable_ftp()->set_enabled(true); },
       "reports.ftp.host", "must not be empty"},
      {"SmbShareBadUrl",
       [](C& c) {
         v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
         d->set_enabled(true);
         d->set_url("\\\\server\\share");
       },
       "reports.network_drive.url", "not an SMB share"},
      {"WebdavBadScheme",
       [](C& c) {
         v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
         d->set_enabled(true);
         d->set_protocol(v1::SHARE_PROTOCOL_WEBDAV);
         d->set_url("ftp://server/dav");
       },
       "reports.network_drive.url", "not a WebDAV URL"},
      {"ShareDirectoryEscapes",
       [](C& c) {
         v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
         d->set_enabled(true);
         d->set_url("//nas/energy");
         d->set_remote_directory("ews/../../etc");
       },
       "reports.network_drive.remote_directory", "no \"..\""},
      {"WebdavWithDomain",
       [](C& c) {
         v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
         d->set_enabled(true);
         d->set_protocol(v1::SHARE_PROTOCOL_WEBDAV);
         d->set_url("https://nas.example.com:8443/dav");
         d->set_domain("CORP");
       },
       "reports.network_drive.domain", "only used with SMB"},
  };
}

class ValidateBadConfigTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ValidateBadConfigTest, NamesTheField) {
  const BadCase& bad = GetParam();
  v1::DeviceConfig config = testing::RichConfig();
  bad.mutate(config);

  std::vector<FieldError> errors = FindErrors(config);
  ASSERT_EQ(errors.size(), bad.error_count) << Describe(errors);
  EXPECT_EQ(errors[0].field, bad.field) << Describe(errors);
  EXPECT_THAT(errors[0].message, HasSubstr(bad.message)) << Describe(errors);

  absl::Status status = Validate(config);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               StartsWith(bad.field + ": ")));
}

INSTANTIATE_TEST_SUITE_P(AllBadConfigs, ValidateBadConfigTest,
                         ::testing::ValuesIn(BadCases()),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return info.param.name;
                         });

TEST(ValidateTest, AtLeastTwentyFiveDistinctBadConfigs) {
  std::vector<BadCase> cases = BadCases();
  EXPECT_GE(cases.size(), 25u);
  std::set<std::string> fields;
  for (const BadCase& c : cases) fields.insert(c.field);
  EXPECT_GE(fields.size(), 25u);
}

// Valid variants that a too-strict validator would reject.
TEST(ValidateTest, AcceptsValidVariants) {
  std::vector<std::function<void(v1::DeviceConfig&)>> variants = {
      // DHCP instead of a static address.
      [](v1::DeviceConfig& c) { c.mutable_network()->mutable_dhcp(); },
      // DHCP without DNS servers: the DHCP server provides them.
      [](v1::DeviceConfig& c) {
        c.mutable_network()->mutable_dhcp();
        c.mutable_network()->clear_dns_servers();
      },
      // Bound to loopback only (behind a reverse proxy) or to the own address.
      [](v1::DeviceConfig& c) {
        c.mutable_web()->set_bind_address("127.0.0.1");
      },
      // The Modbus gateway: bound to one address (or all, IPv6 and IPv4),
      // zero meaning the defaults (files written before these fields
      // existed), a read-only route, broadcasts answered.
      [](v1::DeviceConfig& c) {
        auto* server = c.mutable_modbus_tcp_server();
        server->set_bind_address("192.168.1.100");
        server->set_request_timeout_ms(60000);
        server->set_broadcast_reply(true);
        auto* route = server->add_routes();
        route->set_first_unit(1);
        route->set_last_unit(247);
        route->mutable_rs485();
        route->set_read_only(true);
      },
      [](v1::DeviceConfig& c) {
        auto* server = c.mutable_modbus_tcp_server();
        server->set_bind_address("::");
        server->clear_request_timeout_ms();
        c.mutable_rs485()->clear_absent_after_misses();
        c.mutable_rs485()->clear_absent_probe_interval_s();
      },
      [](v1::DeviceConfig& c) {
        c.mutable_modbus_tcp_server()->clear_bind_address();
        c.mutable_rs485()->set_absent_after_misses(100);
        c.mutable_rs485()->set_absent_probe_interval_s(3600);
        c.mutable_ip_gateways(0)->set_absent_after_misses(1);
        c.mutable_ip_gateways(0)->set_absent_probe_interval_s(1);
      },
      [](v1::DeviceConfig& c) {
        c.mutable_web()->set_bind_address("192.168.1.100");
      },
      // A gateway on the box's address but another port is not a loop.
      [](v1::DeviceConfig& c) { c.mutable_ip_gateways(0)->set_port(5020); },
      // No default route, no NTP.
      [](v1::DeviceConfig& c) {
        c.mutable_network()->mutable_static_ipv4()->clear_gateway();
        c.mutable_network()->clear_ntp_servers();
      },
      // Redirect off; IPv6 bind; own certificate.
      [](v1::DeviceConfig& c) {
        c.mutable_web()->set_http_redirect_port(0);
        c.mutable_web()->set_bind_address("::");
        c.mutable_web()->set_tls_certificate_path("/etc/ews/cert.pem");
        c.mutable_web()->set_tls_private_key_path("/etc/ews/key.pem");
      },
      // Every supported baud rate / parity / stop bits combination.
      [](v1::DeviceConfig& c) {
        c.mutable_rs485()->set_baud_rate(115200);
        c.mutable_rs485()->set_parity(v1::PARITY_NONE);
        c.mutable_rs485()->set_stop_bits(v1::STOP_BITS_TWO);
      },
      // A disabled Modbus TCP server may keep a conflicting port.
      [](v1::DeviceConfig& c) {
        c.mutable_modbus_tcp_server()->set_enabled(false);
        c.mutable_modbus_tcp_server()->set_port(443);
      },
      // Unit id 255 through a gateway (a native Modbus TCP device).
      [](v1::DeviceConfig& c) {
        c.mutable_modbus_devices(2)->set_address(255);
      },
      // Same address on another line is fine (pv is address 1 on gw1).
      [](v1::DeviceConfig& c) {
        c.mutable_modbus_devices(1)->set_address(247);
      },
      // Exactly at the model's capacity.
      [](v1::DeviceConfig& c) {
        c.set_model_size(v1::MODEL_10);
        for (int i = 0; i < 5; ++i) {
          v1::ModbusDevice* d = c.add_modbus_devices();
          d->set_id(absl::StrCat("extra", i));
          d->set_name(absl::StrCat("Extra ", i));
          d->set_profile("generic/meter");
          d->set_address(100 + i);
          d->mutable_rs485();
        }
      },
      // A disabled report keeps incomplete settings.
      [](v1::DeviceConfig& c) {
        c.mutable_reports()->mutable_email()->set_enabled(false);
        c.mutable_reports()->mutable_email()->clear_recipients();
        c.mutable_reports()->mutable_email()->set_from_address("nonsense");
      },
      // SFTP, WebDAV with a port, SMB with a domain.
      [](v1::DeviceConfig& c) {
        v1::FtpExport* ftp = c.mutable_reports()->mutable_ftp();
        ftp->set_enabled(true);
        ftp->set_protocol(v1::FTP_PROTOCOL_SFTP);
        ftp->set_tls_mode(v1::TLS_MODE_NONE);
        ftp->set_host("files.example.com");
        ftp->set_port(22);
        ftp->set_username("ews");
        ftp->set_password("secret");
        v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
        d->set_enabled(true);
        d->set_protocol(v1::SHARE_PROTOCOL_WEBDAV);
        d->set_url("https://nas.example.com:8443/dav");
        d->set_remote_directory("ews/exports");
      },
      [](v1::DeviceConfig& c) {
        v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
        d->set_enabled(true);
        d->set_url("//nas/energy/ews");
        d->set_domain("CORP");
        d->set_username("ews");
        d->set_password("secret");
      },
      // A UTF-8 site name of 64 characters (more than 64 bytes).
      [](v1::DeviceConfig& c) {
        std::string name;
        for (int i = 0; i < 64; ++i) name += "\xc3\xa9";  // é
        c.mutable_site()->set_name(name);
      },
      // A whole-week flat tariff.
      [](v1::DeviceConfig& c) {
        v1::Tariff* t = c.add_tariffs();
        t->set_id("water");
        t->set_name("Water");
        t->set_quantity(v1::TARIFF_QUANTITY_WATER);
        t->set_currency("CHF");
        v1::TimeBand* b = t->add_bands();
        b->set_weekday_mask(127);
        b->set_start_minute(0);
        b->set_end_minute(1440);
        b->set_price_per_unit(3.1);
      },
      // Allowed clients, IPv4 and IPv6.
      [](v1::DeviceConfig& c) {
        c.mutable_modbus_tcp_server()->add_allowed_clients("192.168.1.0/24");
        c.mutable_modbus_tcp_server()->add_allowed_clients("fd00::/8");
      },
  };
  for (size_t i = 0; i < variants.size(); ++i) {
    v1::DeviceConfig config = testing::RichConfig();
    variants[i](config);
    EXPECT_THAT(Validate(config), IsOk()) << "variant " << i;
  }
}

TEST(ValidateTest, ReportsEveryProblemButCapsTheMessage) {
  v1::DeviceConfig config;  // empty: many problems
  std::vector<FieldError> errors = FindErrors(config);
  EXPECT_GT(errors.size(), 10u);
  absl::Status status = Validate(config);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               StartsWith("schema_version: must be set")));
  EXPECT_THAT(status.message(),
              HasSubstr(absl::StrCat("... and ", errors.size() - 10, " more")));
}

TEST(ValidateTest, ModelCapacity) {
  EXPECT_EQ(ModelCapacity(v1::MODEL_10), 10);
  EXPECT_EQ(ModelCapacity(v1::MODEL_32), 32);
  EXPECT_EQ(ModelCapacity(v1::MODEL_SIZE_UNSPECIFIED), 0);
}

}  // namespace
}  // namespace ews::config
