// ews-gateway: the Modbus TCP <-> RTU gateway on its own, for end-to-end
// tests and bench work without apps/server.
//
//   ews-gateway --tty=/dev/ttyS1 --serial="19200 8E1" --port=502
//               [--local_units=1-247] [--bind=0.0.0.0]
//               [--remote=100-120:-90=10.0.0.7:502[/rtu] ...]
//               [--response_timeout_ms=300] [--max_connections=128]
//               [--idle_timeout_s=60] [--allow=10.0.0.0/8,...]
//               [--request_timeout_ms=1000] [--broadcast_reply]
//               [--read_only] [--absent_after_misses=3]
//               [--absent_probe_interval_ms=10000]
//
// Without --tty there is no local line (all devices behind IP gateways).
// Prints "listening on <port>" once it serves (the readiness handshake) and
// runs until SIGINT/SIGTERM.
#include <signal.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "sdk/base/log.h"
#include "sdk/hal/serial/termios_serial_port.h"
#include "sdk/modbus/gateway_server.h"
#include "sdk/modbus/line_scheduler.h"
#include "sdk/modbus/rtu_transport.h"
#include "sdk/modbus/tcp_transport.h"

ABSL_FLAG(std::string, tty, "", "serial device of the RS485 line");
ABSL_FLAG(std::string, serial, "19200 8E1", "line settings");
ABSL_FLAG(std::string, local_units, "1-247", "unit ids routed to the tty");
ABSL_FLAG(std::vector<std::string>, remote, {},
          "routes to IP gateways: FIRST-LAST[:SHIFT]=HOST:PORT[/rtu] "
          "(/rtu: RTU frames over TCP instead of Modbus TCP)");
ABSL_FLAG(std::string, bind, "0.0.0.0", "address to listen on");
ABSL_FLAG(int, port, 502, "TCP port (0: any)");
ABSL_FLAG(int, response_timeout_ms, 300, "RTU response timeout");
ABSL_FLAG(int, max_connections, 128, "concurrent TCP clients");
ABSL_FLAG(int, idle_timeout_s, 60, "idle connections are closed after this");
ABSL_FLAG(std::vector<std::string>, allow, {},
          "allowed client addresses/networks (empty: any)");
ABSL_FLAG(int, request_timeout_ms, 1000,
          "deadline of one request through a line (queue + wire); queued "
          "longer: exception 0x0A");
ABSL_FLAG(bool, broadcast_reply, false,
          "answer broadcasts (unit 0) with an echo (default: no reply)");
ABSL_FLAG(bool, read_only, false,
          "every route read-only: writes get exception 0x01");
ABSL_FLAG(int, absent_after_misses, 3,
          "a unit missing this many requests in a row is absent: answered "
          "0x0B at once but for a probe (0: never)");
ABSL_FLAG(int, absent_probe_interval_ms, 10000,
          "how often an absent unit is asked again (after 1 s, doubling up "
          "to this)");

namespace {

bool ParseRange(const std::string& text, uint8_t& first, uint8_t& last,
                int& shift) {
  std::vector<std::string> range_shift = absl::StrSplit(text, ':');
  std::vector<std::string> range = absl::StrSplit(range_shift[0], '-');
  int a = 0, b = 0;
  if (range.size() != 2 || !absl::SimpleAtoi(range[0], &a) ||
      !absl::SimpleAtoi(range[1], &b)) {
    return false;
  }
  shift = 0;
  if (range_shift.size() == 2 && !absl::SimpleAtoi(range_shift[1], &shift)) {
    return false;
  }
  first = static_cast<uint8_t>(a);
  last = static_cast<uint8_t>(b);
  return a >= 1 && b <= 254 && a <= b;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<ews::hal::TermiosSerialPort> port;
  std::vector<std::unique_ptr<ews::modbus::LineScheduler>> lines;
  ews::modbus::GatewayOptions options;
  options.bind_address = absl::GetFlag(FLAGS_bind);
  options.port = static_cast<uint16_t>(absl::GetFlag(FLAGS_port));
  options.max_connections = absl::GetFlag(FLAGS_max_connections);
  options.idle_timeout = absl::Seconds(absl::GetFlag(FLAGS_idle_timeout_s));
  options.allow_list = absl::GetFlag(FLAGS_allow);
  options.request_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_request_timeout_ms));
  options.broadcast_reply = absl::GetFlag(FLAGS_broadcast_reply);
  options.identity.conformity_level = 0x01;
  options.identity.objects = {{0, "EWS"}, {1, "ews-gateway"}, {2, "0.1"}};
  ews::modbus::LineOptions line_options;
  line_options.response_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_response_timeout_ms));
  line_options.absent_after_misses = absl::GetFlag(FLAGS_absent_after_misses);
  line_options.absent_probe_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_absent_probe_interval_ms));

  if (!absl::GetFlag(FLAGS_tty).empty()) {
    auto settings = ews::hal::ParseSerialSettings(absl::GetFlag(FLAGS_serial));
    if (!settings.ok()) {
      std::cerr << settings.status() << "\n";
      return 2;
    }
    auto opened =
        ews::hal::TermiosSerialPort::Open(absl::GetFlag(FLAGS_tty), *settings);
    if (!opened.ok()) {
      std::cerr << opened.status() << "\n";
      return 1;
    }
    port = *std::move(opened);
    auto transport = ews::modbus::RtuTransport::Create(port.get());
    if (!transport.ok()) {
      std::cerr << transport.status() << "\n";
      return 1;
    }
    lines.push_back(std::make_unique<ews::modbus::LineScheduler>(
        *std::move(transport), line_options));
    ews::modbus::GatewayRoute route;
    int shift = 0;
    if (!ParseRange(absl::GetFlag(FLAGS_local_units), route.first_unit,
                    route.last_unit, shift)) {
      std::cerr << "bad --local_units\n";
      return 2;
    }
    route.unit_shift = shift;
    route.target = lines.back().get();
    route.accepts_broadcast = true;
    route.name = "rs485";
    options.routes.push_back(route);
  }
  for (const std::string& remote : absl::GetFlag(FLAGS_remote)) {
    std::vector<std::string> parts = absl::StrSplit(remote, '=');
    bool rtu_over_tcp = false;
    if (parts.size() == 2 && absl::EndsWith(parts[1], "/rtu")) {
      rtu_over_tcp = true;
      parts[1].resize(parts[1].size() - 4);
    }
    std::vector<std::string> host_port = parts.size() == 2
                                             ? absl::StrSplit(parts[1], ':')
                                             : std::vector<std::string>();
    ews::modbus::GatewayRoute route;
    int shift = 0, tcp_port = 0;
    if (host_port.size() != 2 ||
        !ParseRange(parts[0], route.first_unit, route.last_unit, shift) ||
        !absl::SimpleAtoi(host_port[1], &tcp_port)) {
      std::cerr << "bad --remote " << remote << "\n";
      return 2;
    }
    ews::modbus::TcpOptions tcp;
    tcp.host = host_port[0];
    tcp.port = static_cast<uint16_t>(tcp_port);
    if (rtu_over_tcp)
      tcp.framing = ews::modbus::TcpOptions::Framing::kRtuOverTcp;
    ews::modbus::LineOptions remote_options = line_options;
    remote_options.response_timeout = absl::Seconds(1);
    lines.push_back(std::make_unique<ews::modbus::LineScheduler>(
        std::make_unique<ews::modbus::TcpTransport>(tcp), remote_options));
    route.unit_shift = shift;
    route.target = lines.back().get();
    route.name = parts[1];
    options.routes.push_back(route);
  }
  for (auto& route : options.routes) {
    route.read_only = absl::GetFlag(FLAGS_read_only);
  }
  auto server = ews::modbus::GatewayServer::Start(options);
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  std::cout << "listening on " << (*server)->port() << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  (*server)->Stop();
  for (auto& line : lines) line->Stop();
  return 0;
}
