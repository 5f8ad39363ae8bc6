// Validation of the network and web sections (and host names that need DNS).
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "sdk/config/internal/validator.h"

namespace ews::config::internal {

void Validator::CheckNetwork() {
  const v1::Network& net = config_.network();
  if (!IsHostnameLabel(net.hostname())) {
    Error("network.hostname", Quote(net.hostname()),
          " is not a host name (1..63 of [A-Za-z0-9-], no leading or "
          "trailing '-')");
  }
  switch (net.ipv4_case()) {
    case v1::Network::kStaticIpv4:
      CheckStaticIpv4(net.static_ipv4());
      break;
    case v1::Network::kDhcp:
      break;
    case v1::Network::IPV4_NOT_SET:
      Error("network.ipv4", "choose static_ipv4 or dhcp");
      break;
  }
  if (net.dns_servers_size() > 3) {
    Error("network.dns_servers", net.dns_servers_size(),
          " servers given, at most 3 allowed");
  }
  for (int i = 0; i < net.dns_servers_size(); ++i) {
    if (!IsIpLiteral(net.dns_servers(i))) {
      Error(absl::StrCat("network.dns_servers[", i, "]"),
            Quote(net.dns_servers(i)), " is not an IPv4 or IPv6 address");
    }
  }
  if (net.ntp_servers_size() > 4) {
    Error("network.ntp_servers", net.ntp_servers_size(),
          " servers given, at most 4 allowed");
  }
  for (int i = 0; i < net.ntp_servers_size(); ++i) {
    if (!IsHost(net.ntp_servers(i))) {
      Error(absl::StrCat("network.ntp_servers[", i, "]"),
            Quote(net.ntp_servers(i)), " is not a host name or IP address");
    }
  }
  if (!IsTimeZoneName(net.time_zone())) {
    Error("network.time_zone", Quote(net.time_zone()),
          " is not an IANA time zone name (e.g. \"Europe/Paris\", "
          "\"UTC\")");
  }
}

void Validator::CheckStaticIpv4(const v1::StaticIpv4& ip) {
  uint32_t address = 0;
  uint32_t mask = 0;
  bool address_ok = ParseIpv4(ip.address(), &address);
  bool mask_ok = ParseIpv4(ip.netmask(), &mask);
  if (!address_ok) {
    Error("network.static_ipv4.address", Quote(ip.address()),
          " is not an IPv4 address");
  } else {
    uint8_t first = address >> 24;
    if (first == 0 || first == 127 || first >= 224) {
      Error("network.static_ipv4.address", ip.address(),
            " is not a usable host address (0.x, 127.x, multicast or "
            "reserved)");
      address_ok = false;
    }
  }
  if (!mask_ok) {
    Error("network.static_ipv4.netmask", Quote(ip.netmask()),
          " is not an IPv4 netmask");
  } else {
    uint32_t inverted = ~mask;
    bool contiguous = (inverted & (inverted + 1)) == 0;
    if (!contiguous || mask == 0 || inverted < 3) {
      Error("network.static_ipv4.netmask", ip.netmask(),
            " is not a contiguous netmask between /1 and /30");
      mask_ok = false;
    }
  }
  if (address_ok && mask_ok) {
    uint32_t host = address & ~mask;
    if (host == 0 || host == ~mask) {
      Error("network.static_ipv4.address", ip.address(),
            " is the network or broadcast address of its subnet");
    }
  }
  if (ip.gateway().empty()) return;
  uint32_t gateway = 0;
  if (!ParseIpv4(ip.gateway(), &gateway)) {
    Error("network.static_ipv4.gateway", Quote(ip.gateway()),
          " is not an IPv4 address");
  } else if (address_ok && mask_ok) {
    if ((gateway & mask) != (address & mask)) {
      Error("network.static_ipv4.gateway", ip.gateway(),
            " is not in the subnet of ", ip.address(), "/", ip.netmask());
    } else if (gateway == address) {
      Error("network.static_ipv4.gateway", ip.gateway(),
            " is the box's own address");
    }
  }
}

void Validator::CheckWeb() {
  const v1::Web& web = config_.web();
  Port("web.https_port", web.https_port());
  Range("web.http_redirect_port", web.http_redirect_port(), 0, 65535);
  if (web.http_redirect_port() != 0 &&
      web.http_redirect_port() == web.https_port()) {
    Error("web.http_redirect_port", web.http_redirect_port(),
          " is also web.https_port");
  }
  BindAddress("web.bind_address", web.bind_address());
  bool has_cert = !web.tls_certificate_path().empty();
  bool has_key = !web.tls_private_key_path().empty();
  if (has_cert != has_key) {
    Error(has_cert ? "web.tls_private_key_path" : "web.tls_certificate_path",
          "must be set together with ",
          has_cert ? "web.tls_certificate_path" : "web.tls_private_key_path",
          " (both empty = self-signed certificate)");
  }
  if (has_cert && !IsAbsolutePath(web.tls_certificate_path())) {
    Error("web.tls_certificate_path", Quote(web.tls_certificate_path()),
          " is not an absolute path");
  }
  if (has_key && !IsAbsolutePath(web.tls_private_key_path())) {
    Error("web.tls_private_key_path", Quote(web.tls_private_key_path()),
          " is not an absolute path");
  }
  Range("web.session_timeout_s", web.session_timeout_s(), 60, 86400, " s");
}

// An IP literal; with a static address an IPv4 one must be 0.0.0.0,
// loopback or the box's own address.
void Validator::BindAddress(const std::string& field,
                            const std::string& address) {
  uint32_t bind = 0;
  if (!IsIpLiteral(address)) {
    Error(field, Quote(address),
          " is not an IP address (\"0.0.0.0\" = all interfaces)");
  } else if (config_.network().has_static_ipv4() && ParseIpv4(address, &bind) &&
             bind != 0 && !IsLoopback(address) &&
             address != config_.network().static_ipv4().address()) {
    Error(field, address,
          " is not an address of this box (0.0.0.0, 127.0.0.1 or ",
          config_.network().static_ipv4().address(), ")");
  }
}

// With a static address and no DNS server, host names cannot resolve.
void Validator::CheckNameResolution() {
  const v1::Network& net = config_.network();
  if (!net.has_static_ipv4() || net.dns_servers_size() > 0) return;
  auto check = [this](const std::string& field, const std::string& host) {
    if (!host.empty() && IsHost(host) && !IsIpLiteral(host) &&
        host != "localhost") {
      Error(field, Quote(host),
            " is a host name but network.dns_servers is empty (give an IP "
            "address or a DNS server)");
    }
  };
  for (int i = 0; i < net.ntp_servers_size(); ++i) {
    check(absl::StrCat("network.ntp_servers[", i, "]"), net.ntp_servers(i));
  }
  for (int i = 0; i < config_.ip_gateways_size(); ++i) {
    check(absl::StrCat("ip_gateways[", i, "].host"),
          config_.ip_gateways(i).host());
  }
  const v1::Reports& reports = config_.reports();
  if (ReportsUseEmail()) {
    check("reports.email.smtp.host", reports.email().smtp().host());
  }
  if (ReportsUseFtp()) {
    check("reports.ftp.host", reports.ftp().host());
  }
}

}  // namespace ews::config::internal
