// Bad configurations: network and web.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sdk/config/validate_test_cases.h"

namespace ews::config::validate_test {

std::vector<BadCase> NetworkBadCases() {
  using C = v1::DeviceConfig;
  return {
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
  };
}

}  // namespace ews::config::validate_test
