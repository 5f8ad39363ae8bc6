// device_simulator: a population of simulated Modbus RTU devices on one
// serial line (a virtual-bus endpoint), for the demo and the lab.
//
//   device_simulator --port=/dev/pts/5 --line="19200 8E1"
//       --device=5:emdx3_4_120_45:ct=200 --device=12:mccb_measurement_unit
//   device_simulator --port=/dev/pts/5 --address=5 --profile=emdx3_4_120_45
//       --reply_delay_ms=5
//   device_simulator --port=/dev/pts/5 --population=demo
//
// Prints one line per device, then "ready". Commands on stdin, one per line
// (answer "ok" or "error: ..."):
//   fault ADDRESS silent|crc|exception [CODE] [COUNT]   clear ADDRESS
//   delay ADDRESS MS     trip ADDRESS CAUSE     stats     list     quit
//   hold ADDRESS / run ADDRESS: the device's model stands still (its registers
//   keep their values) / runs on, catching up with the clock
//   value ADDRESS QUANTITY: prints "value ADDRESS QUANTITY RAW", the raw
//   register value the device serves now (what a poller records)
// With --commands=FIFO the same commands are also read from a named pipe,
// from any number of writers one after the other (echo "fault 5 silent" >
// FIFO), so a simulator started in the background stays controllable. SIGINT /
// SIGTERM stop it.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lab/devices/population.h"
#include "lab/devices/simulated_device.h"
#include "sdk/base/clock.h"
#include "sdk/devices/profile_loader.h"
#include "sdk/devices/profile_registry.h"

namespace {

using ews::lab::DeviceSpec;
using ews::lab::Fault;
using ews::lab::FaultKind;
using ews::lab::SimulatedDevice;

struct Args {
  std::string port;
  std::string line = "19200 8E1";
  std::vector<std::string> devices;
  std::string profile_dir;
  std::string commands_fifo;
  int address = 0;
  std::string profile;
  int reply_delay_ms = -1;
};

int Usage(const std::string& error) {
  std::cerr << "device_simulator: " << error
            << "\nusage: device_simulator --port=PATH [--line=\"19200 8E1\"] "
               "(--device=ADDRESS:PROFILE[:options] ... | --population=demo | "
               "--address=N --profile=ID) [--reply_delay_ms=N] "
               "[--profile_dir=DIR] [--commands=FIFO]\n";
  return 2;
}

SimulatedDevice* Find(
    const std::vector<std::unique_ptr<SimulatedDevice>>& devices,
    absl::string_view text) {
  int address = 0;
  if (!absl::SimpleAtoi(text, &address)) return nullptr;
  for (const auto& device : devices) {
    if (device->address() == address) return device.get();
  }
  return nullptr;
}

std::string Command(
    const std::vector<std::unique_ptr<SimulatedDevice>>& devices,
    const ews::modbus::RtuSlave& server, const std::string& line) {
  std::vector<std::string> words =
      absl::StrSplit(line, ' ', absl::SkipWhitespace());
  if (words.empty()) return "";
  const std::string& verb = words[0];
  if (verb == "list") {
    std::string out;
    for (const auto& d : devices) {
      absl::StrAppend(&out, "device ", d->address(), " ", d->profile().id(),
                      " requests ", d->requests(), "\n");
    }
    return out + "ok";
  }
  if (verb == "stats") {
    const auto stats = server.stats();
    return absl::StrCat("frames ", stats.frames, " replies ", stats.replies,
                        " discarded ", stats.discarded, "\nok");
  }
  if (words.size() < 2) return "error: missing address";
  SimulatedDevice* device = Find(devices, words[1]);
  if (device == nullptr) return "error: no device at " + words[1];
  if (verb == "clear") {
    device->ClearFault();
    return "ok";
  }
  if (verb == "hold" || verb == "run") {
    device->SetHeld(verb == "hold");
    return "ok";
  }
  if (verb == "value" && words.size() == 3) {
    absl::StatusOr<ews::devices::RawValue> value = device->RawValueOf(words[2]);
    if (!value.ok()) return "error: " + std::string(value.status().message());
    return absl::StrCat("value ", words[1], " ", words[2], " ",
                        value->ToString());
  }
  if (verb == "delay" && words.size() == 3) {
    int ms = 0;
    if (!absl::SimpleAtoi(words[2], &ms) || ms < 0) return "error: bad delay";
    device->SetReplyDelay(absl::Milliseconds(ms));
    return "ok";
  }
  if (verb == "trip" && words.size() == 3) {
    int cause = 0;
    if (!absl::SimpleAtoi(words[2], &cause)) return "error: bad cause";
    absl::Status status = device->Trip(cause);
    return status.ok() ? "ok" : "error: " + std::string(status.message());
  }
  if (verb == "fault" && words.size() >= 3) {
    Fault fault;
    size_t next = 3;
    if (words[2] == "silent") {
      fault.kind = FaultKind::kSilent;
    } else if (words[2] == "crc") {
      fault.kind = FaultKind::kBadCrc;
    } else if (words[2] == "exception") {
      fault.kind = FaultKind::kException;
      int code = 6;
      if (words.size() > 3) {
        if (!absl::SimpleAtoi(words[3], &code) || code < 1 || code > 255) {
          return "error: bad exception code";
        }
        next = 4;
      }
      fault.exception = static_cast<ews::modbus::ExceptionCode>(code);
    } else {
      return "error: fault silent|crc|exception";
    }
    if (words.size() > next && !absl::SimpleAtoi(words[next], &fault.count)) {
      return "error: bad count";
    }
    device->SetFault(fault);
    return "ok";
  }
  return "error: unknown command '" + line + "'";
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    std::pair<std::string, std::string> kv =
        absl::StrSplit(arg, absl::MaxSplits('=', 1));
    const std::string& value = kv.second;
    if (kv.first == "--port") {
      args.port = value;
    } else if (kv.first == "--line") {
      args.line = value;
    } else if (kv.first == "--device") {
      args.devices.push_back(value);
    } else if (kv.first == "--population") {
      if (value != "demo") return Usage("only --population=demo exists");
      for (const std::string& spec : ews::lab::DemoPopulation()) {
        args.devices.push_back(spec);
      }
    } else if (kv.first == "--commands") {
      args.commands_fifo = value;
    } else if (kv.first == "--profile_dir") {
      args.profile_dir = value;
    } else if (kv.first == "--address") {
      if (!absl::SimpleAtoi(value, &args.address)) return Usage("bad address");
    } else if (kv.first == "--profile") {
      args.profile = value;
    } else if (kv.first == "--reply_delay_ms") {
      if (!absl::SimpleAtoi(value, &args.reply_delay_ms)) {
        return Usage("bad reply delay");
      }
    } else {
      return Usage(absl::StrCat("unknown argument '", arg, "'"));
    }
  }
  if (args.port.empty()) return Usage("--port is required");
  if (args.address != 0 || !args.profile.empty()) {
    args.devices.push_back(absl::StrCat(args.address, ":", args.profile));
  }
  if (args.devices.empty()) return Usage("no devices");

  absl::StatusOr<ews::hal::SerialSettings> line =
      ews::hal::ParseSerialSettings(args.line);
  if (!line.ok()) return Usage(std::string(line.status().message()));
  absl::StatusOr<ews::devices::ProfileRegistry> registry =
      ews::devices::ProfileRegistry::BuiltIn();
  if (!registry.ok()) {
    std::cerr << "device_simulator: " << registry.status() << "\n";
    return 1;
  }
  if (!args.profile_dir.empty()) {
    auto extra = ews::devices::LoadProfileDirectory(args.profile_dir);
    if (!extra.ok()) {
      std::cerr << "device_simulator: " << extra.status() << "\n";
      return 1;
    }
    for (auto& profile : *extra) {
      absl::Status added = registry->Add(profile, args.profile_dir);
      if (!added.ok()) {
        std::cerr << "device_simulator: " << added << "\n";
        return 1;
      }
    }
  }

  ews::Clock* clock = &ews::SystemClock::Get();
  std::vector<std::unique_ptr<SimulatedDevice>> devices;
  std::vector<SimulatedDevice*> pointers;
  for (const std::string& text : args.devices) {
    absl::StatusOr<DeviceSpec> spec = ews::lab::ParseDeviceSpec(text);
    if (!spec.ok()) return Usage(std::string(spec.status().message()));
    const ews::devices::v1::Profile* profile = registry->Find(spec->profile_id);
    if (profile == nullptr) {
      return Usage(absl::StrCat("unknown profile '", spec->profile_id, "'"));
    }
    if (args.reply_delay_ms >= 0) {
      spec->options.reply_delay = absl::Milliseconds(args.reply_delay_ms);
    }
    auto device = SimulatedDevice::Create(*profile, spec->options, clock);
    if (!device.ok()) return Usage(std::string(device.status().message()));
    pointers.push_back(device->get());
    devices.push_back(std::move(*device));
  }

  // Block the stop signals before any thread starts, then wait for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = ews::lab::ServeDevices(args.port, *line, pointers, clock);
  if (!server.ok()) {
    std::cerr << "device_simulator: " << args.port << ": " << server.status()
              << "\n";
    return 1;
  }
  for (const auto& device : devices) {
    std::cout << "device " << device->address() << " " << device->profile().id()
              << "\n";
  }
  std::cout << "port " << args.port << " " << line->ToString() << "\nready"
            << std::endl;

  std::thread commands([&] {
    std::string text;
    while (std::getline(std::cin, text)) {
      if (text == "quit") break;
      const std::string answer = Command(devices, **server, text);
      if (!answer.empty()) std::cout << answer << std::endl;
    }
    // "quit" stops the process; end of input (stdin closed, e.g. a
    // background job) leaves it running until a signal.
    if (text == "quit") kill(getpid(), SIGTERM);
  });
  commands.detach();
  if (!args.commands_fifo.empty()) {
    std::thread fifo([&] {
      // Opened for reading and writing, once: the FIFO then never reads as
      // ended between two writers. Reopened after each writer's end, it lost
      // a command written just before the old read end was closed (two quick
      // `echo hold N >fifo` in a row held only one device).
      std::fstream in(args.commands_fifo, std::ios::in | std::ios::out);
      if (!in) return;
      std::string text;
      while (std::getline(in, text)) {
        if (text == "quit") {
          kill(getpid(), SIGTERM);
          return;
        }
        const std::string answer = Command(devices, **server, text);
        if (!answer.empty()) std::cout << answer << std::endl;
      }
    });
    fifo.detach();
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server->reset();
  std::cout << "stopped" << std::endl;
  std::_Exit(0);  // the stdin thread may still be blocked in getline
}
