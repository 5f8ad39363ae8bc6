#include "sdk/config/validate.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "sdk/security/credentials.h"

namespace ews::config {
namespace {

constexpr uint32_t kBaudRates[] = {1200,  2400,  4800,  9600,
                                   19200, 38400, 57600, 115200};
constexpr int kMaxNameChars = 64;
constexpr int kMaxLocationChars = 128;
constexpr int kMaxIdChars = 32;
constexpr int kMinutesPerDay = 1440;
constexpr int kMinutesPerWeek = 7 * kMinutesPerDay;
constexpr const char* kWeekdays[] = {"Monday",   "Tuesday", "Wednesday",
                                     "Thursday", "Friday",  "Saturday",
                                     "Sunday"};

// ------------------------------------------------------------ primitives

std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", absl::CEscape(s), "\"");
}

// Number of UTF-8 code points (protobuf guarantees valid UTF-8 in strings).
int CodePoints(absl::string_view s) {
  int n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool HasControlChars(absl::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

bool IsId(absl::string_view s) {
  if (s.empty() || s.size() > kMaxIdChars) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = absl::ascii_islower(c) || absl::ascii_isdigit(c) ||
              (i > 0 && (c == '_' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

// inet_pton() reads a C string: an embedded NUL ("1.2.3.4\0junk", legal in
// a protobuf string) must not make the prefix count as the whole.
bool ParseIpv4(absl::string_view s, uint32_t* out) {
  if (absl::StrContains(s, '\0')) return false;
  in_addr addr;
  if (inet_pton(AF_INET, std::string(s).c_str(), &addr) != 1) return false;
  if (out != nullptr) *out = ntohl(addr.s_addr);
  return true;
}

bool IsIpv6(absl::string_view s) {
  if (absl::StrContains(s, '\0')) return false;
  in6_addr addr;
  return inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}

bool IsIpLiteral(absl::string_view s) {
  return ParseIpv4(s, nullptr) || IsIpv6(s);
}

bool IsHostnameLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(c) && c != '-') return false;
  }
  return true;
}

// An RFC 1123 host name or an IP literal. All-numeric names must be valid
// IPv4 ("999.1.1.1" is a typo, not a host).
bool IsHost(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  if (IsIpLiteral(s)) return true;
  bool all_numeric = true;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (!IsHostnameLabel(label)) return false;
    for (char c : label) {
      if (!absl::ascii_isdigit(c)) all_numeric = false;
    }
  }
  return !all_numeric;
}

bool IsCidr(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, '/');
  if (parts.size() != 2) return false;
  int length = 0;
  if (!absl::SimpleAtoi(parts[1], &length) || parts[1].empty() ||
      !absl::ascii_isdigit(parts[1][0])) {
    return false;
  }
  if (ParseIpv4(parts[0], nullptr)) return length >= 0 && length <= 32;
  if (IsIpv6(parts[0])) return length >= 0 && length <= 128;
  return false;
}

bool IsEmail(absl::string_view s) {
  if (s.size() > 254) return false;
  size_t at = s.rfind('@');
  if (at == absl::string_view::npos || at == 0 || at > 64) return false;
  absl::string_view local = s.substr(0, at);
  absl::string_view domain = s.substr(at + 1);
  for (char c : local) {
    if (!absl::ascii_isalnum(c) &&
        !absl::StrContains("!#$%&'*+/=?^_`{|}~.-", c)) {
      return false;
    }
  }
  if (local.front() == '.' || local.back() == '.' ||
      absl::StrContains(local, "..")) {
    return false;
  }
  return IsHost(domain) && absl::StrContains(domain, '.') &&
         !IsIpLiteral(domain);
}

bool IsTimeZoneName(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (absl::string_view part : absl::StrSplit(s, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(c) && c != '_' && c != '-' && c != '+') {
        return false;
      }
    }
  }
  return absl::ascii_isalpha(s[0]);
}

bool IsAbsolutePath(absl::string_view s) {
  if (s.empty() || s.front() != '/' || HasControlChars(s)) return false;
  for (absl::string_view part : absl::StrSplit(s, '/')) {
    if (part == "..") return false;
  }
  return true;
}

bool IsRelativePath(absl::string_view s) {
  if ((!s.empty() && s.front() == '/') || HasControlChars(s) ||
      absl::StrContains(s, '\\')) {
    return false;
  }
  for (absl::string_view part : absl::StrSplit(s, '/')) {
    if (part == "..") return false;
  }
  return true;
}

bool IsLoopback(absl::string_view host) {
  uint32_t ip = 0;
  if (ParseIpv4(host, &ip)) return (ip >> 24) == 127;
  return host == "localhost" || host == "::1";
}

std::string MinuteOfWeek(int minute) {
  int day = minute / kMinutesPerDay;
  int in_day = minute % kMinutesPerDay;
  return absl::StrCat(kWeekdays[day], " ", in_day / 60 < 10 ? "0" : "",
                      in_day / 60, ":", in_day % 60 < 10 ? "0" : "",
                      in_day % 60);
}

// ------------------------------------------------------------- validator

class Validator {
 public:
  explicit Validator(const v1::DeviceConfig& config) : config_(config) {}

  std::vector<FieldError> Run() && {
    CheckSchemaVersion();
    CheckSite();
    CheckModelSize();
    CheckNetwork();
    CheckWeb();
    CheckRs485();
    CheckModbusTcpServer();
    CheckIpGateways();
    CheckGatewayRoutes();
    CheckModbusDevices();
    CheckPulseCounters();
    CheckCapacity();
    CheckConsumptionTree();
    CheckTariffs();
    CheckUsers();
    CheckStorage();
    CheckDataAccess();
    CheckReports();
    CheckNameResolution();
    return std::move(errors_);
  }

 private:
  template <typename... Args>
  void Error(std::string field, const Args&... message) {
    errors_.push_back({std::move(field), absl::StrCat(message...)});
  }

  // Range check on an unsigned field.
  void Range(const std::string& field, uint64_t value, uint64_t low,
             uint64_t high, absl::string_view unit = "") {
    if (value < low || value > high) {
      Error(field, value, unit, " is outside ", low, "..", high, unit);
    }
  }

  void Port(const std::string& field, uint32_t port) {
    Range(field, port, 1, 65535);
  }

  // A printable display string of 1..max_chars (or 0..max_chars).
  void Text(const std::string& field, absl::string_view value, int max_chars,
            bool required) {
    if (value.empty()) {
      if (required) Error(field, "must not be empty");
      return;
    }
    if (HasControlChars(value)) {
      Error(field, Quote(value), " contains control characters");
    } else if (CodePoints(value) > max_chars) {
      Error(field, "is ", CodePoints(value), " characters long, at most ",
            max_chars, " allowed");
    }
  }

  void Name(const std::string& field, absl::string_view value) {
    Text(field, value, kMaxNameChars, /*required=*/true);
  }

  void Id(const std::string& field, absl::string_view value) {
    if (!IsId(value)) {
      Error(field, Quote(value), " is not an id (1..", kMaxIdChars,
            " of [a-z0-9_-], starting with a letter or digit)");
    }
  }

  // `value` must be a named value of the enum other than 0.
  template <typename IsValid, typename NameOf>
  void Enum(const std::string& field, int value, IsValid is_valid,
            NameOf name_of) {
    if (value == 0) {
      Error(field, "must be set (", name_of(value), " is not a valid choice)");
    } else if (!is_valid(value)) {
      Error(field, value, " is not a known value");
    }
  }

  // For disabled sections: 0 is fine, unknown values are not.
  template <typename IsValid>
  void EnumOrUnset(const std::string& field, int value, IsValid is_valid) {
    if (!is_valid(value)) Error(field, value, " is not a known value");
  }

  void Host(const std::string& field, absl::string_view value) {
    if (value.empty()) {
      Error(field, "must not be empty");
    } else if (!IsHost(value)) {
      Error(field, Quote(value), " is not a host name or IP address");
    }
  }

  // ---------------------------------------------------------- sections

  void CheckSchemaVersion() {
    uint32_t version = config_.schema_version();
    if (version == 0) {
      Error("schema_version", "must be set (this software writes ",
            kSchemaVersion, ")");
    } else if (version > kSchemaVersion) {
      Error("schema_version", version,
            " was written by newer software; this one reads up to ",
            kSchemaVersion);
    }
  }

  void CheckSite() {
    Name("site.name", config_.site().name());
    const std::string& serial = config_.site().serial();
    bool ok = serial.size() <= 32;
    for (char c : serial) {
      if (!absl::ascii_isalnum(c) && c != '-') ok = false;
    }
    if (!ok) {
      Error("site.serial", Quote(serial),
            " is not a serial number (0..32 of [A-Za-z0-9-])");
    }
  }

  void CheckModelSize() {
    Enum("model_size", config_.model_size(), v1::ModelSize_IsValid,
         [](int v) { return v1::ModelSize_Name(v); });
  }

  void CheckNetwork() {
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

  void CheckStaticIpv4(const v1::StaticIpv4& ip) {
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

  void CheckWeb() {
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
  void BindAddress(const std::string& field, const std::string& address) {
    uint32_t bind = 0;
    if (!IsIpLiteral(address)) {
      Error(field, Quote(address),
            " is not an IP address (\"0.0.0.0\" = all interfaces)");
    } else if (config_.network().has_static_ipv4() &&
               ParseIpv4(address, &bind) && bind != 0 && !IsLoopback(address) &&
               address != config_.network().static_ipv4().address()) {
      Error(field, address,
            " is not an address of this box (0.0.0.0, 127.0.0.1 or ",
            config_.network().static_ipv4().address(), ")");
    }
  }

  void CheckRs485() {
    const v1::Rs485Port& port = config_.rs485();
    if (!absl::StartsWith(port.device(), "/dev/") ||
        !IsAbsolutePath(port.device())) {
      Error("rs485.device", Quote(port.device()),
            " is not a device path under /dev/");
    }
    bool known_rate = false;
    for (uint32_t rate : kBaudRates) known_rate |= rate == port.baud_rate();
    if (!known_rate) {
      Error("rs485.baud_rate", port.baud_rate(),
            " bps is not supported (1200, 2400, 4800, 9600, 19200, 38400, "
            "57600, 115200)");
    }
    Enum("rs485.parity", port.parity(), v1::Parity_IsValid,
         [](int v) { return v1::Parity_Name(v); });
    Enum("rs485.stop_bits", port.stop_bits(), v1::StopBits_IsValid,
         [](int v) { return v1::StopBits_Name(v); });
    Range("rs485.response_timeout_ms", port.response_timeout_ms(), 20, 5000,
          " ms");
    Range("rs485.inter_frame_delay_ms", port.inter_frame_delay_ms(), 0, 1000,
          " ms");
    Range("rs485.retries", port.retries(), 0, 5);
    AbsentUnits("rs485", port.absent_after_misses(),
                port.absent_probe_interval_s());
  }

  // 0 = the default, else in range (rs485 and ip_gateways[]).
  void AbsentUnits(const std::string& at, uint32_t misses,
                   uint32_t probe_interval_s) {
    if (misses != 0) Range(at + ".absent_after_misses", misses, 1, 100);
    if (probe_interval_s != 0) {
      Range(at + ".absent_probe_interval_s", probe_interval_s, 1, 3600, " s");
    }
  }

  void CheckModbusTcpServer() {
    const v1::ModbusTcpServer& server = config_.modbus_tcp_server();
    Port("modbus_tcp_server.port", server.port());
    if (server.enabled() && server.port() != 0) {
      if (server.port() == config_.web().https_port()) {
        Error("modbus_tcp_server.port", server.port(),
              " is also web.https_port");
      } else if (server.port() == config_.web().http_redirect_port()) {
        Error("modbus_tcp_server.port", server.port(),
              " is also web.http_redirect_port");
      }
    }
    Range("modbus_tcp_server.max_connections", server.max_connections(), 1,
          128);
    Range("modbus_tcp_server.idle_timeout_s", server.idle_timeout_s(), 1, 3600,
          " s");
    if (server.request_timeout_ms() != 0) {
      Range("modbus_tcp_server.request_timeout_ms", server.request_timeout_ms(),
            100, 60000, " ms");
    }
    if (!server.bind_address().empty()) {
      BindAddress("modbus_tcp_server.bind_address", server.bind_address());
    }
    for (int i = 0; i < server.allowed_clients_size(); ++i) {
      if (!IsCidr(server.allowed_clients(i))) {
        Error(absl::StrCat("modbus_tcp_server.allowed_clients[", i, "]"),
              Quote(server.allowed_clients(i)),
              " is not a CIDR (\"192.168.1.0/24\", \"fd00::/8\")");
      }
    }
  }

  // Needs gateway_ids_ (CheckIpGateways).
  void CheckGatewayRoutes() {
    const auto& routes = config_.modbus_tcp_server().routes();
    for (int i = 0; i < routes.size(); ++i) {
      const v1::GatewayRoute& route = routes[i];
      const std::string at = absl::StrCat("modbus_tcp_server.routes[", i, "]");
      Range(at + ".first_unit", route.first_unit(), 1, 247);
      Range(at + ".last_unit", route.last_unit(), 1, 247);
      if (route.last_unit() < route.first_unit()) {
        Error(at + ".last_unit", route.last_unit(), " is below first_unit ",
              route.first_unit());
      }
      for (int j = 0; j < i; ++j) {
        if (route.first_unit() <= routes[j].last_unit() &&
            routes[j].first_unit() <= route.last_unit()) {
          Error(at + ".first_unit", route.first_unit(),
                ": units overlap modbus_tcp_server.routes[", j, "]");
        }
      }
      const int64_t shifted_first =
          int64_t{route.first_unit()} + route.unit_shift();
      const int64_t shifted_last =
          int64_t{route.last_unit()} + route.unit_shift();
      const bool native_tcp =
          route.first_unit() == route.last_unit() && shifted_first == 255;
      const bool units_valid = route.first_unit() >= 1 &&
                               route.last_unit() <= 247 &&
                               route.first_unit() <= route.last_unit();
      if (units_valid && !native_tcp &&
          (shifted_first < 1 || shifted_last > 247)) {
        Error(at + ".unit_shift", route.unit_shift(),
              " moves units outside 1..247");
      }
      switch (route.target_case()) {
        case v1::GatewayRoute::kRs485:
          break;
        case v1::GatewayRoute::kIpGateway:
          if (gateway_ids_.count(route.ip_gateway().gateway_id()) == 0) {
            Error(at + ".ip_gateway.gateway_id",
                  Quote(route.ip_gateway().gateway_id()),
                  " is not an ip_gateways[].id");
          }
          break;
        default:
          Error(at + ".target", "unset", ": choose rs485 or ip_gateway");
      }
    }
  }

  void CheckIpGateways() {
    std::map<std::string, int> ids;
    for (int i = 0; i < config_.ip_gateways_size(); ++i) {
      const v1::IpGateway& gw = config_.ip_gateways(i);
      std::string at = absl::StrCat("ip_gateways[", i, "]");
      Id(at + ".id", gw.id());
      if (!gw.id().empty()) {
        auto [it, inserted] = ids.emplace(gw.id(), i);
        if (!inserted) {
          Error(at + ".id", Quote(gw.id()), " is also ip_gateways[", it->second,
                "].id");
        }
      }
      Name(at + ".name", gw.name());
      Host(at + ".host", gw.host());
      Port(at + ".port", gw.port());
      Enum(at + ".protocol", gw.protocol(), v1::GatewayProtocol_IsValid,
           [](int v) { return v1::GatewayProtocol_Name(v); });
      Range(at + ".response_timeout_ms", gw.response_timeout_ms(), 20, 10000,
            " ms");
      AbsentUnits(at, gw.absent_after_misses(), gw.absent_probe_interval_s());
      bool own_host = IsLoopback(gw.host()) ||
                      (config_.network().has_static_ipv4() &&
                       gw.host() == config_.network().static_ipv4().address());
      if (own_host && gw.port() == config_.modbus_tcp_server().port()) {
        Error(at + ".host", gw.host(), ":", gw.port(),
              " is this box's own Modbus TCP server (polling it would loop)");
      }
      // Two gateway entries for one host:port would double-poll a line.
      if (!gw.host().empty()) {
        std::string endpoint = absl::StrCat(gw.host(), ":", gw.port());
        auto [it, inserted] = gateway_endpoints_.emplace(endpoint, i);
        if (!inserted) {
          Error(at + ".host", endpoint, " is also ip_gateways[", it->second,
                "]");
        }
      }
    }
    gateway_ids_ = std::move(ids);
  }

  // Ids and names are shared by Modbus devices and pulse counters.
  void ClaimIdAndName(const std::string& at, absl::string_view id,
                      absl::string_view name) {
    Id(at + ".id", id);
    if (!id.empty()) {
      auto [it, inserted] = meter_ids_.emplace(std::string(id), at);
      if (!inserted) {
        Error(at + ".id", Quote(id), " is also ", it->second, ".id");
      }
    }
    Name(at + ".name", name);
    if (!name.empty()) {
      auto [it, inserted] = meter_names_.emplace(std::string(name), at);
      if (!inserted) {
        Error(at + ".name", Quote(name), " is also ", it->second, ".name");
      }
    }
  }

  void CheckModbusDevices() {
    // (line, address) -> device index. Line "" = our RS485 port.
    std::map<std::pair<std::string, uint32_t>, int> used;
    for (int i = 0; i < config_.modbus_devices_size(); ++i) {
      const v1::ModbusDevice& dev = config_.modbus_devices(i);
      std::string at = absl::StrCat("modbus_devices[", i, "]");
      ClaimIdAndName(at, dev.id(), dev.name());
      Text(at + ".location", dev.location(), kMaxLocationChars,
           /*required=*/false);
      bool profile_ok = !dev.profile().empty() && dev.profile().size() <= 64;
      for (char c : dev.profile()) {
        if (!absl::ascii_isalnum(c) && !absl::StrContains("_./-", c)) {
          profile_ok = false;
        }
      }
      if (!profile_ok) {
        Error(at + ".profile", Quote(dev.profile()),
              " is not a profile id (1..64 of [A-Za-z0-9_./-])");
      }
      Range(at + ".poll_interval_s", dev.poll_interval_s(), 0, 3600, " s");

      std::string line;
      std::string line_name;
      bool address_ok = true;
      switch (dev.link_case()) {
        case v1::ModbusDevice::kRs485:
          line_name = "the RS485 line";
          if (dev.address() < 1 || dev.address() > 247) {
            Error(at + ".address", dev.address(), " is outside 1..247");
            address_ok = false;
          }
          break;
        case v1::ModbusDevice::kIpGateway: {
          const std::string& gw = dev.ip_gateway().gateway_id();
          line = "gw:" + gw;
          line_name = absl::StrCat("ip gateway ", Quote(gw));
          if (gateway_ids_.count(gw) == 0) {
            Error(at + ".ip_gateway.gateway_id", Quote(gw),
                  " is not the id of any ip_gateways entry");
          }
          auto it = gateway_ids_.find(gw);
          bool modbus_tcp = it == gateway_ids_.end() ||
                            config_.ip_gateways(it->second).protocol() !=
                                v1::GATEWAY_PROTOCOL_RTU_OVER_TCP;
          if (dev.address() == 255 && !modbus_tcp) {
            Error(at + ".address",
                  "255 (native Modbus TCP device) is not possible through "
                  "an RTU-over-TCP gateway; use the slave address 1..247");
            address_ok = false;
          } else if ((dev.address() < 1 || dev.address() > 247) &&
                     dev.address() != 255) {
            Error(at + ".address", dev.address(),
                  " is outside 1..247 (or 255 for a native Modbus TCP "
                  "device)");
            address_ok = false;
          }
          break;
        }
        case v1::ModbusDevice::LINK_NOT_SET:
          Error(at + ".link", "choose rs485 or ip_gateway");
          address_ok = false;
          break;
      }
      if (address_ok) {
        auto [it, inserted] =
            used.emplace(std::make_pair(line, dev.address()), i);
        if (!inserted) {
          Error(at + ".address", dev.address(), " is already used on ",
                line_name, " by modbus_devices[", it->second, "] (",
                Quote(config_.modbus_devices(it->second).name()), ")");
        }
      }
    }
  }

  void CheckPulseCounters() {
    int capacity = ModelCapacity(config_.model_size());
    if (capacity == 0) capacity = 32;
    std::map<uint32_t, int> inputs;
    for (int i = 0; i < config_.pulse_counters_size(); ++i) {
      const v1::PulseCounter& pc = config_.pulse_counters(i);
      std::string at = absl::StrCat("pulse_counters[", i, "]");
      ClaimIdAndName(at, pc.id(), pc.name());
      Text(at + ".location", pc.location(), kMaxLocationChars,
           /*required=*/false);
      if (pc.input() < 1 || pc.input() > static_cast<uint32_t>(capacity)) {
        Error(at + ".input", pc.input(), " is outside 1..", capacity);
      } else {
        auto [it, inserted] = inputs.emplace(pc.input(), i);
        if (!inserted) {
          Error(at + ".input", pc.input(),
                " is already used by pulse_counters[", it->second, "]");
        }
      }
      Enum(at + ".kind", pc.kind(), v1::PulseKind_IsValid,
           [](int v) { return v1::PulseKind_Name(v); });
      Enum(at + ".unit", pc.unit(), v1::PulseUnit_IsValid,
           [](int v) { return v1::PulseUnit_Name(v); });
      bool energy_unit =
          pc.unit() == v1::PULSE_UNIT_WH || pc.unit() == v1::PULSE_UNIT_KWH;
      bool volume_unit = pc.unit() == v1::PULSE_UNIT_LITRE ||
                         pc.unit() == v1::PULSE_UNIT_CUBIC_METRE;
      if ((pc.kind() == v1::PULSE_KIND_ENERGY && volume_unit) ||
          ((pc.kind() == v1::PULSE_KIND_WATER ||
            pc.kind() == v1::PULSE_KIND_GAS) &&
           energy_unit)) {
        Error(at + ".unit", v1::PulseUnit_Name(pc.unit()), " does not measure ",
              v1::PulseKind_Name(pc.kind()),
              " (energy: WH or KWH; water and gas: LITRE or CUBIC_METRE)");
      }
      double q = pc.quantity_per_pulse();
      if (!std::isfinite(q) || q <= 0 || q > 1e6) {
        Error(at + ".quantity_per_pulse", q, " is not in (0, 1e6]");
      }
      Range(at + ".min_pulse_width_ms", pc.min_pulse_width_ms(), 0, 1000,
            " ms");
    }
  }

  void CheckCapacity() {
    int capacity = ModelCapacity(config_.model_size());
    if (capacity == 0) return;  // model_size already reported
    int used = config_.modbus_devices_size() + config_.pulse_counters_size();
    if (used > capacity) {
      Error("model_size",
            absl::StrCat(config_.modbus_devices_size(), " Modbus devices + ",
                         config_.pulse_counters_size(),
                         " pulse counters = ", used, " exceed the ",
                         v1::ModelSize_Name(config_.model_size()), " limit of ",
                         capacity));
    }
  }

  void CheckConsumptionTree() {
    const v1::ConsumptionTree& tree = config_.consumption_tree();
    std::map<std::string, int> board_index;
    for (int b = 0; b < tree.boards_size(); ++b) {
      const v1::Board& board = tree.boards(b);
      std::string at = absl::StrCat("consumption_tree.boards[", b, "]");
      Id(at + ".id", board.id());
      if (!board.id().empty()) {
        auto [it, inserted] = board_index.emplace(board.id(), b);
        if (!inserted) {
          Error(at + ".id", Quote(board.id()), " is also boards[", it->second,
                "].id");
        }
      }
      Name(at + ".name", board.name());
    }
    // Parents exist, and following parents never comes back.
    for (int b = 0; b < tree.boards_size(); ++b) {
      const v1::Board& board = tree.boards(b);
      if (board.parent_board_id().empty()) continue;
      std::string field =
          absl::StrCat("consumption_tree.boards[", b, "].parent_board_id");
      if (board_index.count(board.parent_board_id()) == 0) {
        Error(field, Quote(board.parent_board_id()),
              " is not the id of any board");
        continue;
      }
      std::set<int> seen = {b};
      std::string parent = board.parent_board_id();
      while (!parent.empty()) {
        auto it = board_index.find(parent);
        if (it == board_index.end()) break;  // reported on that board
        if (!seen.insert(it->second).second) {
          if (it->second == b) {
            Error(field, Quote(board.parent_board_id()),
                  " leads back to this board (cycle)");
          }
          break;  // a cycle further up is reported on its own boards
        }
        parent = tree.boards(it->second).parent_board_id();
      }
    }
    // Groups and members.
    std::map<std::string, std::string> group_ids;
    std::map<std::string, std::string> counted;  // reference -> field
    for (int b = 0; b < tree.boards_size(); ++b) {
      const v1::Board& board = tree.boards(b);
      for (int g = 0; g < board.groups_size(); ++g) {
        const v1::Group& group = board.groups(g);
        std::string at =
            absl::StrCat("consumption_tree.boards[", b, "].groups[", g, "]");
        Id(at + ".id", group.id());
        if (!group.id().empty()) {
          auto [it, inserted] = group_ids.emplace(group.id(), at);
          if (!inserted) {
            Error(at + ".id", Quote(group.id()), " is also ", it->second,
                  ".id");
          }
        }
        Name(at + ".name", group.name());
        for (int m = 0; m < group.members_size(); ++m) {
          CheckMember(absl::StrCat(at, ".members[", m, "]"), group.members(m),
                      counted);
        }
      }
    }
  }

  void CheckMember(const std::string& at, const v1::MeterRef& ref,
                   std::map<std::string, std::string>& counted) {
    std::string key;
    switch (ref.source_case()) {
      case v1::MeterRef::kModbus: {
        const v1::ModbusQuantityRef& q = ref.modbus();
        bool device_ok = false;
        for (const v1::ModbusDevice& dev : config_.modbus_devices()) {
          device_ok |= dev.id() == q.device_id();
        }
        if (!device_ok) {
          Error(at + ".modbus.device_id", Quote(q.device_id()),
                " is not the id of any modbus_devices entry");
        }
        bool quantity_ok =
            !q.quantity_id().empty() && q.quantity_id().size() <= kMaxIdChars;
        for (char c : q.quantity_id()) {
          if (!absl::ascii_isalnum(c) && !absl::StrContains("_.+-", c)) {
            quantity_ok = false;
          }
        }
        if (!quantity_ok) {
          Error(at + ".modbus.quantity_id", Quote(q.quantity_id()),
                " is not a quantity id (1..32 of [A-Za-z0-9_.+-])");
        }
        if (!device_ok || !quantity_ok) return;
        key = absl::StrCat("device ", Quote(q.device_id()), " quantity ",
                           Quote(q.quantity_id()));
        break;
      }
      case v1::MeterRef::kPulseCounterId: {
        bool ok = false;
        for (const v1::PulseCounter& pc : config_.pulse_counters()) {
          ok |= pc.id() == ref.pulse_counter_id();
        }
        if (!ok) {
          Error(at + ".pulse_counter_id", Quote(ref.pulse_counter_id()),
                " is not the id of any pulse_counters entry");
          return;
        }
        key = absl::StrCat("pulse counter ", Quote(ref.pulse_counter_id()));
        break;
      }
      case v1::MeterRef::SOURCE_NOT_SET:
        Error(at + ".source", "choose modbus or pulse_counter_id");
        return;
    }
    auto [it, inserted] = counted.emplace(key, at);
    if (!inserted) {
      Error(at, key, " is already counted at ", it->second,
            " (it would be counted twice)");
    }
  }

  void CheckTariffs() {
    std::map<std::string, int> ids;
    std::map<int, int> per_quantity;
    for (int t = 0; t < config_.tariffs_size(); ++t) {
      const v1::Tariff& tariff = config_.tariffs(t);
      std::string at = absl::StrCat("tariffs[", t, "]");
      Id(at + ".id", tariff.id());
      if (!tariff.id().empty()) {
        auto [it, inserted] = ids.emplace(tariff.id(), t);
        if (!inserted) {
          Error(at + ".id", Quote(tariff.id()), " is also tariffs[", it->second,
                "].id");
        }
      }
      Name(at + ".name", tariff.name());
      Enum(at + ".quantity", tariff.quantity(), v1::TariffQuantity_IsValid,
           [](int v) { return v1::TariffQuantity_Name(v); });
      if (tariff.quantity() != v1::TARIFF_QUANTITY_UNSPECIFIED) {
        auto [it, inserted] = per_quantity.emplace(tariff.quantity(), t);
        if (!inserted) {
          Error(at + ".quantity", v1::TariffQuantity_Name(tariff.quantity()),
                " already has a tariff: tariffs[", it->second, "]");
        }
      }
      const std::string& cur = tariff.currency();
      if (cur.size() != 3 || !absl::ascii_isupper(cur[0]) ||
          !absl::ascii_isupper(cur[1]) || !absl::ascii_isupper(cur[2])) {
        Error(at + ".currency", Quote(cur),
              " is not an ISO 4217 code (three capital letters, e.g. EUR)");
      }
      if (tariff.bands_size() == 0) {
        Error(at + ".bands", "at least one time band is needed");
      }
      // Which band covers each minute of the week, -1 = none.
      std::vector<int> owner(kMinutesPerWeek, -1);
      for (int i = 0; i < tariff.bands_size(); ++i) {
        CheckBand(absl::StrCat(at, ".bands[", i, "]"), i, tariff.bands(i),
                  owner);
      }
    }
  }

  void CheckBand(const std::string& at, int index, const v1::TimeBand& band,
                 std::vector<int>& owner) {
    Text(at + ".name", band.name(), 32, /*required=*/false);
    bool ok = true;
    if (band.weekday_mask() < 1 || band.weekday_mask() > 127) {
      Error(at + ".weekday_mask", band.weekday_mask(),
            " is outside 1..127 (bit 0 = Monday ... bit 6 = Sunday)");
      ok = false;
    }
    if (band.start_minute() > 1439) {
      Error(at + ".start_minute", band.start_minute(), " is outside 0..1439");
      ok = false;
    }
    if (band.end_minute() < 1 || band.end_minute() > 1440) {
      Error(at + ".end_minute", band.end_minute(), " is outside 1..1440");
      ok = false;
    } else if (band.end_minute() == band.start_minute()) {
      Error(at + ".end_minute", band.end_minute(),
            " equals start_minute (an empty band)");
      ok = false;
    }
    double price = band.price_per_unit();
    if (!std::isfinite(price) || price < 0 || price > 1e6) {
      Error(at + ".price_per_unit", price, " is not in [0, 1e6]");
    }
    if (!ok) return;
    int length = static_cast<int>(band.end_minute()) -
                 static_cast<int>(band.start_minute());
    if (length < 0) length += kMinutesPerDay;  // wraps past midnight
    for (int day = 0; day < 7; ++day) {
      if ((band.weekday_mask() & (1u << day)) == 0) continue;
      int start = day * kMinutesPerDay + band.start_minute();
      for (int k = 0; k < length; ++k) {
        int minute = (start + k) % kMinutesPerWeek;
        if (owner[minute] >= 0) {
          Error(at, "overlaps bands[", owner[minute], "] at ",
                MinuteOfWeek(minute));
          return;
        }
        owner[minute] = index;
      }
    }
  }

  void CheckHashedCode(const std::string& at, const v1::HashedCode& code) {
    Enum(at + ".algorithm", code.algorithm(), v1::HashAlgorithm_IsValid,
         [](int v) { return v1::HashAlgorithm_Name(v); });
    Range(at + ".iterations", code.iterations(), security::kMinIterations,
          security::kMaxIterations);
    if (code.salt().size() < security::kSaltBytes) {
      Error(at + ".salt", "is ", code.salt().size(), " bytes, at least ",
            security::kSaltBytes, " needed");
    }
    if (code.hash().size() != security::kHashBytes) {
      Error(at + ".hash", "is ", code.hash().size(), " bytes, ",
            security::kHashBytes, " expected");
    }
  }

  void CheckUsers() {
    std::map<int, int> roles;
    for (int i = 0; i < config_.users_size(); ++i) {
      const v1::User& user = config_.users(i);
      std::string at = absl::StrCat("users[", i, "]");
      Enum(at + ".role", user.role(), v1::Role_IsValid,
           [](int v) { return v1::Role_Name(v); });
      if (user.role() != v1::ROLE_UNSPECIFIED) {
        auto [it, inserted] = roles.emplace(user.role(), i);
        if (!inserted) {
          Error(at + ".role",
                v1::Role_IsValid(user.role()) ? v1::Role_Name(user.role())
                                              : absl::StrCat(user.role()),
                " is also users[", it->second, "].role");
        }
      }
      if (!user.has_pin()) {
        Error(at + ".pin", "must be set (a hashed 5-digit code)");
      } else {
        CheckHashedCode(at + ".pin", user.pin());
      }
      if (!user.has_puk()) {
        Error(at + ".puk", "must be set (a hashed 14-digit code)");
      } else {
        CheckHashedCode(at + ".puk", user.puk());
      }
    }
    for (v1::Role role : {v1::ROLE_ADMINISTRATOR, v1::ROLE_GREENUP,
                          v1::ROLE_INSTALLER, v1::ROLE_USER}) {
      if (roles.count(role) == 0) {
        Error("users", "no user has role ", v1::Role_Name(role),
              " (exactly one user per role)");
      }
    }
  }

  void CheckStorage() {
    const v1::Storage& s = config_.storage();
    Range("storage.minute_tier_days", s.minute_tier_days(), 1, 3650, " days");
    if (s.hour_tier_days() < s.minute_tier_days() ||
        s.hour_tier_days() > 36500) {
      Error("storage.hour_tier_days", s.hour_tier_days(),
            " days is outside storage.minute_tier_days (", s.minute_tier_days(),
            ")..36500");
    }
    Range("storage.non_counter_budget_bytes", s.non_counter_budget_bytes(),
          uint64_t{1} << 20, uint64_t{1} << 40, " bytes");
    if (s.commit_interval_s() != 0) {
      Range("storage.commit_interval_s", s.commit_interval_s(), 10, 3600, " s");
    }
  }

  void CheckDataAccess() {
    // Absent in files written before it existed: the server uses the factory
    // values (off).
    if (!config_.has_data_access()) return;
    const v1::FtpServer& ftp = config_.data_access().ftp();
    Range("data_access.ftp.port", ftp.port(), 1, 65535);
    Range("data_access.ftp.passive_port_min", ftp.passive_port_min(), 1024,
          65535);
    Range("data_access.ftp.passive_port_max", ftp.passive_port_max(), 1024,
          65535);
    if (ftp.passive_port_max() < ftp.passive_port_min() ||
        ftp.passive_port_max() - ftp.passive_port_min() >= 1000) {
      Error("data_access.ftp.passive_port_max", ftp.passive_port_max(),
            " must be within passive_port_min (", ftp.passive_port_min(),
            ") .. passive_port_min + 999");
    } else if (ftp.port() >= ftp.passive_port_min() &&
               ftp.port() <= ftp.passive_port_max()) {
      Error("data_access.ftp.port", ftp.port(),
            " is inside the passive port range");
    }
    if (ftp.enabled() && (ftp.port() == config_.web().https_port() ||
                          ftp.port() == config_.web().http_redirect_port() ||
                          (config_.modbus_tcp_server().enabled() &&
                           ftp.port() == config_.modbus_tcp_server().port()))) {
      Error("data_access.ftp.port", ftp.port(),
            " is already used by HTTPS, the HTTP redirect or Modbus TCP");
    }
    Range("data_access.ftp.max_connections", ftp.max_connections(), 1, 64);
    Range("data_access.ftp.idle_timeout_s", ftp.idle_timeout_s(), 10, 3600,
          " s");
    Range("data_access.ftp.transfer_timeout_s", ftp.transfer_timeout_s(), 10,
          86400, " s");
  }

  void CheckCredentials(const std::string& at, absl::string_view username,
                        absl::string_view password) {
    Text(at + ".username", username, 128, /*required=*/false);
    if (HasControlChars(password) || password.size() > 128) {
      Error(at + ".password",
            "must be at most 128 bytes without control characters");
    } else if (!password.empty() && username.empty()) {
      Error(at + ".password", "is set but " + at + ".username is empty");
    }
  }

  void CheckReports() {
    const v1::Reports& reports = config_.reports();
    const v1::EmailReports& email = reports.email();
    Range("reports.email.send_at_minute", email.send_at_minute(), 0, 1439);
    if (!email.enabled()) {
      EnumOrUnset("reports.email.period", email.period(), v1::Period_IsValid);
      EnumOrUnset("reports.email.smtp.tls_mode", email.smtp().tls_mode(),
                  v1::TlsMode_IsValid);
    } else {
      if (email.recipients_size() < 1 || email.recipients_size() > 10) {
        Error("reports.email.recipients", email.recipients_size(),
              " recipients given, 1..10 needed");
      }
      for (int i = 0; i < email.recipients_size(); ++i) {
        if (!IsEmail(email.recipients(i))) {
          Error(absl::StrCat("reports.email.recipients[", i, "]"),
                Quote(email.recipients(i)), " is not an e-mail address");
        }
      }
      Enum("reports.email.period", email.period(), v1::Period_IsValid,
           [](int v) { return v1::Period_Name(v); });
      if (email.period() == v1::PERIOD_HOURLY) {
        Error("reports.email.period",
              "PERIOD_HOURLY is not offered for e-mail (DAILY, WEEKLY or "
              "MONTHLY)");
      }
      Host("reports.email.smtp.host", email.smtp().host());
      Port("reports.email.smtp.port", email.smtp().port());
      Enum("reports.email.smtp.tls_mode", email.smtp().tls_mode(),
           v1::TlsMode_IsValid, [](int v) { return v1::TlsMode_Name(v); });
      CheckCredentials("reports.email.smtp", email.smtp().username(),
                       email.smtp().password());
      if (!IsEmail(email.from_address())) {
        Error("reports.email.from_address", Quote(email.from_address()),
              " is not an e-mail address");
      }
    }

    const v1::FtpExport& ftp = reports.ftp();
    if (!ftp.enabled()) {
      EnumOrUnset("reports.ftp.protocol", ftp.protocol(),
                  v1::FtpProtocol_IsValid);
      EnumOrUnset("reports.ftp.tls_mode", ftp.tls_mode(), v1::TlsMode_IsValid);
      EnumOrUnset("reports.ftp.period", ftp.period(), v1::Period_IsValid);
    } else {
      Enum("reports.ftp.protocol", ftp.protocol(), v1::FtpProtocol_IsValid,
           [](int v) { return v1::FtpProtocol_Name(v); });
      Host("reports.ftp.host", ftp.host());
      Port("reports.ftp.port", ftp.port());
      Enum("reports.ftp.tls_mode", ftp.tls_mode(), v1::TlsMode_IsValid,
           [](int v) { return v1::TlsMode_Name(v); });
      if (ftp.protocol() == v1::FTP_PROTOCOL_SFTP &&
          ftp.tls_mode() != v1::TLS_MODE_NONE &&
          ftp.tls_mode() != v1::TLS_MODE_UNSPECIFIED) {
        Error("reports.ftp.tls_mode",
              "must be TLS_MODE_NONE with FTP_PROTOCOL_SFTP (SSH encrypts)");
      }
      CheckCredentials("reports.ftp", ftp.username(), ftp.password());
      if (!IsAbsolutePath(ftp.remote_directory())) {
        Error("reports.ftp.remote_directory", Quote(ftp.remote_directory()),
              " is not an absolute path without \"..\"");
      }
      Enum("reports.ftp.period", ftp.period(), v1::Period_IsValid,
           [](int v) { return v1::Period_Name(v); });
    }

    const v1::NetworkDrive& drive = reports.network_drive();
    if (!drive.enabled()) {
      EnumOrUnset("reports.network_drive.protocol", drive.protocol(),
                  v1::ShareProtocol_IsValid);
      EnumOrUnset("reports.network_drive.period", drive.period(),
                  v1::Period_IsValid);
    } else {
      Enum("reports.network_drive.protocol", drive.protocol(),
           v1::ShareProtocol_IsValid,
           [](int v) { return v1::ShareProtocol_Name(v); });
      CheckShareUrl(drive);
      CheckCredentials("reports.network_drive", drive.username(),
                       drive.password());
      if (!drive.domain().empty()) {
        if (drive.protocol() != v1::SHARE_PROTOCOL_SMB) {
          Error("reports.network_drive.domain", "is only used with SMB");
        } else {
          Text("reports.network_drive.domain", drive.domain(), 64,
               /*required=*/false);
        }
      }
      if (!drive.remote_directory().empty() &&
          !IsRelativePath(drive.remote_directory())) {
        Error("reports.network_drive.remote_directory",
              Quote(drive.remote_directory()),
              " is not a relative path inside the share (no leading '/', "
              "no \"..\")");
      }
      Enum("reports.network_drive.period", drive.period(), v1::Period_IsValid,
           [](int v) { return v1::Period_Name(v); });
    }
  }

  // With a static address and no DNS server, host names cannot resolve.
  void CheckNameResolution() {
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
    if (reports.email().enabled()) {
      check("reports.email.smtp.host", reports.email().smtp().host());
    }
    if (reports.ftp().enabled()) {
      check("reports.ftp.host", reports.ftp().host());
    }
  }

  void CheckShareUrl(const v1::NetworkDrive& drive) {
    const std::string field = "reports.network_drive.url";
    absl::string_view url = drive.url();
    if (drive.protocol() == v1::SHARE_PROTOCOL_SMB) {
      // //server/share[/path]
      std::vector<absl::string_view> parts = absl::StrSplit(url, '/');
      if (!absl::StartsWith(url, "//") || parts.size() < 4 ||
          !IsHost(parts[2]) || parts[3].empty() || HasControlChars(url)) {
        Error(field, Quote(url), " is not an SMB share (\"//server/share\")");
      }
    } else if (drive.protocol() == v1::SHARE_PROTOCOL_WEBDAV) {
      absl::string_view rest = url;
      if (!absl::ConsumePrefix(&rest, "https://") &&
          !absl::ConsumePrefix(&rest, "http://")) {
        Error(field, Quote(url),
              " is not a WebDAV URL (\"https://server/path\")");
        return;
      }
      absl::string_view authority = rest.substr(0, rest.find('/'));
      absl::string_view host = authority;
      size_t colon = authority.rfind(':');
      if (colon != absl::string_view::npos &&
          !absl::StartsWith(authority, "[")) {
        host = authority.substr(0, colon);
        int port = 0;
        if (!absl::SimpleAtoi(authority.substr(colon + 1), &port) || port < 1 ||
            port > 65535) {
          Error(field, Quote(url), " has a bad port");
          return;
        }
      }
      if (!IsHost(host) || HasControlChars(url)) {
        Error(field, Quote(url),
              " is not a WebDAV URL (\"https://server/path\")");
      }
    }
  }

  const v1::DeviceConfig& config_;
  std::vector<FieldError> errors_;
  std::map<std::string, int> gateway_ids_;
  std::map<std::string, int> gateway_endpoints_;
  std::map<std::string, std::string> meter_ids_;
  std::map<std::string, std::string> meter_names_;
};

}  // namespace

int ModelCapacity(v1::ModelSize model_size) {
  switch (model_size) {
    case v1::MODEL_10:
      return 10;
    case v1::MODEL_32:
      return 32;
    default:
      return 0;
  }
}

std::vector<FieldError> FindErrors(const v1::DeviceConfig& config) {
  return Validator(config).Run();
}

absl::Status Validate(const v1::DeviceConfig& config) {
  std::vector<FieldError> errors = FindErrors(config);
  if (errors.empty()) return absl::OkStatus();
  constexpr size_t kMaxReported = 10;
  std::vector<std::string> lines;
  for (size_t i = 0; i < errors.size() && i < kMaxReported; ++i) {
    lines.push_back(errors[i].ToString());
  }
  std::string message = absl::StrJoin(lines, "; ");
  if (errors.size() > kMaxReported) {
    absl::StrAppend(&message, "; ... and ", errors.size() - kMaxReported,
                    " more");
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace ews::config
