// Validation of the field bus: RS-485 line, Modbus TCP server and gateway
// routes, IP gateways, Modbus devices, pulse counters.
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
namespace {

constexpr uint32_t kBaudRates[] = {1200,  2400,  4800,  9600,
                                   19200, 38400, 57600, 115200};

}  // namespace

void Validator::CheckRs485() {
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
void Validator::AbsentUnits(const std::string& at, uint32_t misses,
                            uint32_t probe_interval_s) {
  if (misses != 0) Range(at + ".absent_after_misses", misses, 1, 100);
  if (probe_interval_s != 0) {
    Range(at + ".absent_probe_interval_s", probe_interval_s, 1, 3600, " s");
  }
}

void Validator::CheckModbusTcpServer() {
  const v1::ModbusTcpServer& server = config_.modbus_tcp_server();
  Port("modbus_tcp_server.port", server.port());
  if (server.enabled() && server.port() != 0) {
    if (server.port() == config_.web().https_port()) {
      Error("modbus_tcp_server.port", server.port(), " is also web.https_port");
    } else if (server.port() == config_.web().http_redirect_port()) {
      Error("modbus_tcp_server.port", server.port(),
            " is also web.http_redirect_port");
    }
  }
  Range("modbus_tcp_server.max_connections", server.max_connections(), 1, 128);
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
void Validator::CheckGatewayRoutes() {
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

void Validator::CheckIpGateways() {
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
        Error(at + ".host", endpoint, " is also ip_gateways[", it->second, "]");
      }
    }
  }
  gateway_ids_ = std::move(ids);
}

// Ids and names are shared by Modbus devices and pulse counters.
void Validator::ClaimIdAndName(const std::string& at, absl::string_view id,
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

void Validator::CheckModbusDevices() {
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
        Error(at + ".address", dev.address(), " is already used on ", line_name,
              " by modbus_devices[", it->second, "] (",
              Quote(config_.modbus_devices(it->second).name()), ")");
      }
    }
  }
}

void Validator::CheckPulseCounters() {
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
        Error(at + ".input", pc.input(), " is already used by pulse_counters[",
              it->second, "]");
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
    double start = pc.starting_index();
    if (!std::isfinite(start) || start < 0 ||
        (q > 0 && std::isfinite(q) && start / q > 9007199254740992.0)) {
      Error(at + ".starting_index", start,
            " is not a reading >= 0 of at most 2^53 pulses");
    }
    Range(at + ".min_pulse_width_ms", pc.min_pulse_width_ms(), 0, 1000, " ms");
  }
}

}  // namespace ews::config::internal
