// scan_and_watch: an OEM application built only on the EWS SDK's public
// headers. It opens an RS485 line, scans it for devices, identifies their
// profiles, and prints live values of everything it found.
//
//   scan_and_watch --port=/dev/ttyS1 [--line="19200 8E1"] [--first=1]
//                  [--last=247] [--timeout_ms=300] [--period_s=5] [--rounds=0]
//
// --rounds=0 watches until interrupted. Exit status: 0 ok, 1 I/O error,
// 2 bad arguments.
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sdk/acquisition/bus_scan.h"
#include "sdk/acquisition/poller.h"
#include "sdk/base/clock.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/hal/serial/termios_serial_port.h"
#include "sdk/modbus/line_scheduler.h"
#include "sdk/modbus/rtu_transport.h"

namespace {

struct Args {
  std::string port;
  std::string line = "19200 8E1";
  int first = 1;
  int last = 247;
  int timeout_ms = 300;
  int period_s = 5;
  int rounds = 0;
};

bool ParseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(argv[i], absl::MaxSplits('=', 1));
    const std::string& v = kv.second;
    bool ok = true;
    if (kv.first == "--port") {
      args.port = v;
    } else if (kv.first == "--line") {
      args.line = v;
    } else if (kv.first == "--first") {
      ok = absl::SimpleAtoi(v, &args.first);
    } else if (kv.first == "--last") {
      ok = absl::SimpleAtoi(v, &args.last);
    } else if (kv.first == "--timeout_ms") {
      ok = absl::SimpleAtoi(v, &args.timeout_ms) && args.timeout_ms > 0;
    } else if (kv.first == "--period_s") {
      ok = absl::SimpleAtoi(v, &args.period_s) && args.period_s > 0;
    } else if (kv.first == "--rounds") {
      ok = absl::SimpleAtoi(v, &args.rounds) && args.rounds >= 0;
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "scan_and_watch: bad argument '" << argv[i] << "'\n";
      return false;
    }
  }
  if (args.port.empty()) {
    std::cerr << "usage: scan_and_watch --port=/dev/ttyS1 [--line=\"19200 "
                 "8E1\"] [--first=1] [--last=247] [--timeout_ms=300] "
                 "[--period_s=5] [--rounds=0]\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) return 2;
  auto settings = ews::hal::ParseSerialSettings(args.line);
  if (!settings.ok()) {
    std::cerr << "scan_and_watch: " << settings.status() << "\n";
    return 2;
  }
  auto registry = ews::devices::ProfileRegistry::BuiltIn();
  if (!registry.ok()) {
    std::cerr << "scan_and_watch: " << registry.status() << "\n";
    return 1;
  }

  // The line: port -> RTU master -> scheduler (the one owner of the line).
  auto port = ews::hal::TermiosSerialPort::Open(args.port, *settings);
  if (!port.ok()) {
    std::cerr << "scan_and_watch: " << port.status() << "\n";
    return 1;
  }
  auto transport = ews::modbus::RtuTransport::Create(port->get());
  if (!transport.ok()) {
    std::cerr << "scan_and_watch: " << transport.status() << "\n";
    return 1;
  }
  ews::modbus::LineOptions line_options;
  line_options.response_timeout = absl::Milliseconds(args.timeout_ms);
  ews::modbus::LineScheduler line(std::move(*transport), line_options);

  // 1. Scan.
  ews::acquisition::ScanOptions scan;
  scan.first_address = args.first;
  scan.last_address = args.last;
  std::printf("scanning %s %s, addresses %d..%d\n", args.port.c_str(),
              settings->ToString().c_str(), args.first, args.last);
  auto found = ews::acquisition::ScanBus(
      line, *registry, scan, [](const ews::acquisition::ScanProgress& p) {
        std::fprintf(stderr, "\r%3d/%d addresses, %d found", p.done, p.total,
                     p.found);
      });
  std::fprintf(stderr, "\n");
  if (!found.ok()) {
    std::cerr << "scan_and_watch: " << found.status() << "\n";
    return 1;
  }
  std::vector<ews::acquisition::PolledDevice> devices;
  for (const auto& device : *found) {
    std::printf("found %3d  %-28s %s\n", device.address,
                device.profile ? device.profile->id().c_str() : "(unknown)",
                device.evidence.c_str());
    if (device.profile == nullptr) continue;
    devices.push_back(
        {absl::StrFormat("%s@%d", device.profile->id(), device.address),
         device.address, device.profile, absl::Seconds(args.period_s)});
  }
  if (devices.empty()) {
    std::printf("no device identified\n");
    return 0;
  }

  // 2. Watch: print every poll.
  ews::Clock& clock = ews::SystemClock::Get();
  ews::acquisition::PollerOptions options;
  options.clock = &clock;
  auto poller = ews::acquisition::Poller::Create(
      &line, devices, options, [](const ews::acquisition::PollResult& result) {
        std::printf(
            "%s %s\n",
            absl::FormatTime("%H:%M:%S", result.time, absl::LocalTimeZone())
                .c_str(),
            result.device.c_str());
        if (!result.status.ok()) {
          std::printf("  offline: %s\n",
                      std::string(result.status.message()).c_str());
          return;
        }
        for (const auto& s : result.samples) {
          std::printf("  %-22s %14.3f %s\n", s.quantity_id.c_str(), s.value,
                      s.unit.c_str());
        }
        std::fflush(stdout);
      });
  if (!poller.ok()) {
    std::cerr << "scan_and_watch: " << poller.status() << "\n";
    return 1;
  }
  for (int round = 0; args.rounds == 0 || round < args.rounds; ++round) {
    (*poller)->PollDue();
    const absl::Duration wait = (*poller)->NextDue() - clock.MonotonicNow();
    if (round + 1 != args.rounds && wait > absl::ZeroDuration()) {
      clock.SleepFor(wait);
    }
  }
  return 0;
}
