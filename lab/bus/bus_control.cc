#include "lab/bus/bus_control.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ews::lab {
namespace {

constexpr absl::string_view kHelp =
    "help | endpoints | line <baud> <frame> | drop <n> [from <ep>] | "
    "corrupt <n> [from <ep>] [mask <hex>] | drop_rate <p> | corrupt_rate <p> "
    "| latency <ms> [from <ep>] | cut <ep> | restore <ep> | clear_faults | "
    "capture | clear_capture | stats";

absl::Status Usage(absl::string_view command) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad arguments for \"", command, "\"; ", kHelp));
}

// Parses trailing "from <ep>" / "mask <hex>" options.
absl::Status ParseOptions(const std::vector<std::string>& words, size_t first,
                          int* from, uint32_t* mask) {
  for (size_t i = first; i < words.size(); i += 2) {
    if (i + 1 >= words.size()) return Usage(words[0]);
    if (words[i] == "from" && from != nullptr) {
      if (!absl::SimpleAtoi(words[i + 1], from)) return Usage(words[0]);
    } else if (words[i] == "mask" && mask != nullptr) {
      if (!absl::SimpleHexAtoi(words[i + 1], mask) || *mask == 0 ||
          *mask > 0xFF) {
        return Usage(words[0]);
      }
    } else {
      return Usage(words[0]);
    }
  }
  return absl::OkStatus();
}

// A command line split into words; words[0] is the command.
using Words = std::vector<std::string>;

std::string ListEndpoints(const VirtualBus& bus) {
  std::string out;
  for (int i = 0; i < bus.endpoint_count(); ++i) {
    absl::StrAppend(&out, i, " ", bus.endpoint_path(i), "\n");
  }
  return out;
}

// "line <baud> <frame>"
absl::StatusOr<std::string> SetLine(VirtualBus& bus, const Words& words) {
  if (words.size() != 3) return Usage(words[0]);
  absl::StatusOr<hal::SerialSettings> settings =
      hal::ParseSerialSettings(absl::StrCat(words[1], " ", words[2]));
  if (!settings.ok()) return settings.status();
  if (absl::Status s = bus.SetLineSettings(*settings); !s.ok()) return s;
  return absl::StrCat("line ", settings->ToString(), "\n");
}

// "drop <n> [from <ep>]" and "corrupt <n> [from <ep>] [mask <hex>]"
absl::StatusOr<std::string> DropOrCorrupt(VirtualBus& bus, const Words& words) {
  const std::string& command = words[0];
  int count = 0;
  int from = kAnyEndpoint;
  uint32_t mask = 0x01;
  if (words.size() < 2 || !absl::SimpleAtoi(words[1], &count)) {
    return Usage(command);
  }
  if (absl::Status s =
          ParseOptions(words, 2, &from, command == "corrupt" ? &mask : nullptr);
      !s.ok()) {
    return s;
  }
  absl::Status s =
      command == "drop"
          ? bus.DropNext(count, from)
          : bus.CorruptNext(count, static_cast<uint8_t>(mask), from);
  if (!s.ok()) return s;
  return std::string();
}

// "drop_rate <p>" and "corrupt_rate <p>"
absl::StatusOr<std::string> SetFaultRate(VirtualBus& bus, const Words& words) {
  double p = 0;
  if (words.size() != 2 || !absl::SimpleAtod(words[1], &p)) {
    return Usage(words[0]);
  }
  absl::Status s = words[0] == "drop_rate" ? bus.SetDropProbability(p)
                                           : bus.SetCorruptProbability(p);
  if (!s.ok()) return s;
  return std::string();
}

// "latency <ms> [from <ep>]"
absl::StatusOr<std::string> SetLatency(VirtualBus& bus, const Words& words) {
  double ms = 0;
  int from = kAnyEndpoint;
  if (words.size() < 2 || !absl::SimpleAtod(words[1], &ms)) {
    return Usage(words[0]);
  }
  if (absl::Status s = ParseOptions(words, 2, &from, nullptr); !s.ok()) {
    return s;
  }
  absl::Status s = bus.SetLatency(absl::Microseconds(ms * 1000), from);
  if (!s.ok()) return s;
  return std::string();
}

// "cut <ep>" and "restore <ep>"
absl::StatusOr<std::string> CutOrRestore(VirtualBus& bus, const Words& words) {
  int endpoint = 0;
  if (words.size() != 2 || !absl::SimpleAtoi(words[1], &endpoint)) {
    return Usage(words[0]);
  }
  absl::Status s = bus.SetCutOff(endpoint, words[0] == "cut");
  if (!s.ok()) return s;
  return std::string();
}

std::string FormatStats(const VirtualBus& bus) {
  BusStats s = bus.stats();
  return absl::StrFormat(
      "characters %d collisions %d dropped %d corrupted %d cut_off %d "
      "overflows %d speed_mismatches %d\n",
      s.characters, s.collisions, s.dropped, s.corrupted, s.cut_off,
      s.overflows, s.speed_mismatches);
}

}  // namespace

absl::StatusOr<std::string> ExecuteBusCommand(VirtualBus& bus,
                                              absl::string_view line) {
  std::vector<std::string> words =
      absl::StrSplit(line, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  if (words.empty()) return std::string();
  const std::string& command = words[0];
  if (command == "help") return absl::StrCat(kHelp, "\n");
  if (command == "endpoints") return ListEndpoints(bus);
  if (command == "line") return SetLine(bus, words);
  if (command == "drop" || command == "corrupt") {
    return DropOrCorrupt(bus, words);
  }
  if (command == "drop_rate" || command == "corrupt_rate") {
    return SetFaultRate(bus, words);
  }
  if (command == "latency") return SetLatency(bus, words);
  if (command == "cut" || command == "restore") return CutOrRestore(bus, words);
  if (command == "clear_faults") {
    if (words.size() != 1) return Usage(command);
    bus.ClearFaults();
    return std::string();
  }
  if (command == "capture") return bus.FormatCapture();
  if (command == "clear_capture") {
    bus.ClearCapture();
    return std::string();
  }
  if (command == "stats") return FormatStats(bus);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown command \"", command, "\"; ", kHelp));
}

}  // namespace ews::lab
